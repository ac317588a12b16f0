// Package audit judges a host's listening sockets: how far each one is
// exposed, which rules it breaks, and how the set differs from a saved
// baseline. It is pure but for one write: the caller collects the
// listeners and their owners and passes them in; rules and baselines are
// read from bytes, and Baseline.Save writes a baseline file.
package audit

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Exposure says which addresses a listener accepts connections on.
type Exposure string

// Exposure classes.
const (
	// ExposureLoopback: only this host (127.0.0.0/8, ::1).
	ExposureLoopback Exposure = "loopback"
	// ExposureSpecific: one address of this host that is not loopback.
	ExposureSpecific Exposure = "specific"
	// ExposureAll: every address (0.0.0.0, or :: which is dual-stack
	// unless the socket is IPv6-only).
	ExposureAll Exposure = "all"
	// ExposureNamespace: an address that is not loopback, every one or a
	// specific one, of a network namespace other than the host's (a
	// container's, a named one): reachable from that namespace's own
	// network, not on the host's addresses. A port the host publishes for
	// it is a listener of the host's, with its own exposure.
	ExposureNamespace Exposure = "namespace"
)

// exposures lists the classes in the order reports group them: widest first.
var exposures = []Exposure{ExposureAll, ExposureSpecific, ExposureNamespace, ExposureLoopback}

// Classify returns the exposure of a listener bound to addr.
func Classify(addr netip.Addr) Exposure {
	a := addr.Unmap()
	switch {
	case a.IsUnspecified():
		return ExposureAll
	case a.IsLoopback():
		return ExposureLoopback
	}
	return ExposureSpecific
}

// ClassifyIn returns the exposure of a listener bound to addr in the
// host's namespace, or, when otherNetns, in another one: there a loopback
// address is still loopback, any other is ExposureNamespace.
func ClassifyIn(addr netip.Addr, otherNetns bool) Exposure {
	e := Classify(addr)
	if otherNetns && e != ExposureLoopback {
		return ExposureNamespace
	}
	return e
}

// ParseExposure parses an exposure class name.
func ParseExposure(s string) (Exposure, error) {
	for _, e := range exposures {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("unknown exposure %q (accepted: loopback, namespace, specific, all)", s)
}

// Severity ranks findings.
type Severity int

// Severities, lowest first.
const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
)

var severityNames = [...]string{SeverityInfo: "info", SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high"}

// String returns the severity's name: info, low, medium or high.
func (s Severity) String() string {
	if s >= SeverityInfo && s <= SeverityHigh {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity parses info, low, medium or high.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && n == strings.ToLower(s) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (accepted: info, low, medium, high)", s)
}

// Change is how a listener differs from the baseline.
type Change string

// Baseline changes.
const (
	Unchanged Change = ""
	// New: listening now, not in the baseline.
	New Change = "new"
	// Changed: the same protocol and port listen now, but the address
	// class, executable or user differ from the baseline.
	Changed Change = "changed"
	// Missing: in the baseline, not listening now.
	Missing Change = "missing"
)

// ExeStatus values of Owner.ExeStatus, as the process package reports them.
const (
	ExeDeleted  = "deleted"
	ExeReplaced = "replaced"
)

// Owner is a process holding a listener.
type Owner struct {
	PID       int
	Process   string // process name
	UID       int    // effective user id; -1 when unknown
	User      string // user name; "" when it has none
	Exe       string // executable path; "" when unknown
	ExeStatus string // "ok", "deleted", "replaced" or "" when unknown
}

// Listener is a listening socket (TCP LISTEN, unconnected UDP) as the
// audit sees it. A Listener that only the baseline knows (Change ==
// Missing) has no Local address, owners or socket user.
type Listener struct {
	Proto        string         // "tcp" or "udp"
	Local        netip.AddrPort // the bound address; invalid for a missing listener
	Port         uint16
	Exposure     Exposure
	Service      string // the registry's name for the port; "" when unknown
	UID          int    // the socket's user id (the creator's); -1 when unknown
	User         string // the socket's user name
	Owners       []Owner
	OwnerUnknown string // why Owners is empty, when it is

	// Netns names the listener's network namespace when it is not the
	// host's: its /run/netns name, else net:[INODE]; "" for the host's.
	// NetnsName is the /run/netns name alone, "" when it has none.
	Netns, NetnsName string
	// Container is the container its owners run in (its name, or
	// namespace/pod/name), "" for none.
	Container string
	// ForwardsTo is, for a host listener that a container runtime
	// publishes, the container and its port ("web:8080"); "" otherwise.
	ForwardsTo string
	// PublishedAs is, for a listener inside a container's namespace that
	// its runtime publishes with no host listener of its own (a NAT rule:
	// podman 5's netavark, docker without its userland proxy), the host
	// address and port it is reached on ("0.0.0.0:8080"); its Exposure is
	// then that address's. "" otherwise.
	PublishedAs string

	Change Change // difference from the baseline, when one was given
	// Was is the baseline entry a Changed or Missing listener came from.
	Was *Entry
}

// Entry returns the listener's baseline entry: what survives restarts.
// The user is the first owner's when known (a process may drop privileges
// after binding the socket), else the socket's.
func (l *Listener) Entry() Entry {
	e := Entry{Proto: l.Proto, Port: l.Port, Exposure: l.Exposure, Container: l.Container}
	if l.Container == "" {
		// A container's namespace may be named anew at each start: the
		// container's name is its identity. A named namespace's name is.
		e.Netns = l.NetnsName
	}
	name, uid := l.User, l.UID
	if len(l.Owners) > 0 {
		o := l.Owners[0]
		e.Exe = o.Exe
		if o.User != "" || o.UID >= 0 {
			name, uid = o.User, o.UID
		}
	}
	if name == "" && uid >= 0 {
		name = strconv.Itoa(uid)
	}
	e.User = name
	return e
}

// Finding is one rule broken by one listener.
type Finding struct {
	Rule     *Rule
	Listener *Listener
}

// Report is the result of an audit.
type Report struct {
	// Listeners, widest exposure first, then by protocol, port and address.
	Listeners []*Listener
	// Findings, highest severity first, then by rule id and listener.
	Findings []Finding
	// Baseline is true when the listeners were compared with a baseline.
	Baseline bool
}

// Evaluate checks each listener against the rules. When base is not nil,
// the listeners are first compared with it: the baseline's listeners that
// no longer listen are added as Missing listeners.
func Evaluate(listeners []Listener, rules *Rules, base *Baseline) *Report {
	r := &Report{}
	for i := range listeners {
		r.Listeners = append(r.Listeners, &listeners[i])
	}
	if base != nil {
		r.Baseline = true
		r.Listeners = append(r.Listeners, compare(r.Listeners, base.Listeners)...)
	}
	slices.SortStableFunc(r.Listeners, compareListeners)
	for _, l := range r.Listeners {
		for i := range rules.Rules {
			if rules.Rules[i].Matches(l) {
				r.Findings = append(r.Findings, Finding{Rule: &rules.Rules[i], Listener: l})
			}
		}
	}
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if c := cmp.Compare(b.Rule.Severity, a.Rule.Severity); c != 0 {
			return c
		}
		if c := strings.Compare(a.Rule.ID, b.Rule.ID); c != 0 {
			return c
		}
		return compareListeners(a.Listener, b.Listener)
	})
	return r
}

func exposureRank(e Exposure) int { return slices.Index(exposures, e) }

func compareListeners(a, b *Listener) int {
	if c := cmp.Compare(exposureRank(a.Exposure), exposureRank(b.Exposure)); c != 0 {
		return c
	}
	if c := strings.Compare(a.Proto, b.Proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	return a.Local.Compare(b.Local)
}

// Failing returns the findings that fail the audit under policy.
func (r *Report) Failing(policy FailPolicy) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if policy.Fails(f) {
			out = append(out, f)
		}
	}
	return out
}

// FailPolicy says which findings make an audit fail (exit status 3).
type FailPolicy struct {
	// MinSeverity: findings at or above it fail; 0 means none by severity.
	MinSeverity Severity
	// Changes: baseline differences that fail whatever their severity.
	Changes []Change
}

// DefaultFailOn is the --fail-on default: new listeners and high findings.
const DefaultFailOn = "new,high"

// ParseFailPolicy parses a comma-separated list of severities (info, low,
// medium, high: that severity and above), baseline changes (new, changed,
// missing) and none.
func ParseFailPolicy(s string) (FailPolicy, error) {
	var p FailPolicy
	for _, item := range strings.Split(s, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		switch item {
		case "none":
		case string(New), string(Changed), string(Missing):
			p.Changes = append(p.Changes, Change(item))
		default:
			sev, err := ParseSeverity(item)
			if err != nil {
				return FailPolicy{}, fmt.Errorf("unknown item %q (accepted: info, low, medium, high, new, changed, missing, none)", item)
			}
			if p.MinSeverity == 0 || sev < p.MinSeverity {
				p.MinSeverity = sev
			}
		}
	}
	return p, nil
}

// Fails reports whether f fails the audit.
func (p FailPolicy) Fails(f Finding) bool {
	if p.MinSeverity != 0 && f.Rule.Severity >= p.MinSeverity {
		return true
	}
	return f.Rule.When.Baseline != "" && slices.Contains(p.Changes, f.Rule.When.Baseline)
}
