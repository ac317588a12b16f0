package audit

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/portwatch/portwatch/internal/portrange"
)

// RulesVersion is the version of the rules file format this package reads.
const RulesVersion = 1

// builtinRules is the rule set compiled into portwatch.
//
//go:embed rules.json
var builtinRules []byte

// BuiltinRules returns the embedded rules file, for `audit --print-rules`.
func BuiltinRules() []byte { return slices.Clone(builtinRules) }

// Rules is an ordered set of rules with unique ids.
type Rules struct {
	Rules []Rule
}

// Rule is one check: listeners matching When get a finding.
type Rule struct {
	ID       string   // stable identifier, e.g. "database-exposed"
	Severity Severity // how bad a finding is
	Title    string   // one line: what is wrong
	Remedy   string   // one line: what to do
	When     Condition
}

// Condition is what a listener must match for a rule to apply. Every set
// field must match; a list matches when any of its items does.
type Condition struct {
	Proto    string      // "tcp" or "udp"; "" for both
	Ports    []PortRange // the listener's port is in one of them
	Exposure []Exposure  // the listener's exposure is one of them
	Exe      []string    // an owner's executable status is one of them (deleted, replaced)
	ExeUnder []string    // an owner's executable lies under one of these directories
	User     string      // "root" or "non-root": the owners' (else the socket's) user
	Service  string      // "known" or "unknown" to the service registry
	Baseline Change      // the listener's difference from the baseline
}

// PortRange is an inclusive range of ports.
type PortRange struct{ First, Last uint16 }

// Matches reports whether the rule applies to l. A listener that is
// missing (only in the baseline) matches only rules about the baseline.
func (r *Rule) Matches(l *Listener) bool {
	c := &r.When
	if c.Baseline != Unchanged && c.Baseline != l.Change || c.Baseline == Unchanged && l.Change == Missing {
		return false
	}
	if c.Proto != "" && c.Proto != l.Proto {
		return false
	}
	if len(c.Ports) > 0 && !slices.ContainsFunc(c.Ports, func(p PortRange) bool { return p.First <= l.Port && l.Port <= p.Last }) {
		return false
	}
	if len(c.Exposure) > 0 && !slices.Contains(c.Exposure, l.Exposure) {
		return false
	}
	if len(c.Exe) > 0 && !slices.ContainsFunc(l.Owners, func(o Owner) bool { return slices.Contains(c.Exe, o.ExeStatus) }) {
		return false
	}
	if len(c.ExeUnder) > 0 && !slices.ContainsFunc(l.Owners, func(o Owner) bool {
		return slices.ContainsFunc(c.ExeUnder, func(dir string) bool { return strings.HasPrefix(o.Exe, dir) })
	}) {
		return false
	}
	if c.User != "" {
		uid := ownerUID(l)
		if uid < 0 || (c.User == "root") != (uid == 0) {
			return false
		}
	}
	if c.Service != "" && (c.Service == "known") != (l.Service != "") {
		return false
	}
	return true
}

// ownerUID is the user a listener runs as: the first non-root owner's,
// else root when every owner is root, else the socket's.
func ownerUID(l *Listener) int {
	uid := -1
	for _, o := range l.Owners {
		if o.UID > 0 {
			return o.UID
		}
		if o.UID == 0 {
			uid = 0
		}
	}
	if uid < 0 && l.Change != Missing {
		return l.UID
	}
	return uid
}

// Rule files are JSON:
//
//	{"portwatch_audit_rules": 1, "rules": [{"id": ..., "severity": ...,
//	  "title": ..., "remedy": ..., "when": {...}, "disabled": false}]}
type rulesFile struct {
	Version *int       `json:"portwatch_audit_rules"`
	Rules   []ruleJSON `json:"rules"`
}

type ruleJSON struct {
	ID       string         `json:"id"`
	Severity *string        `json:"severity"`
	Title    *string        `json:"title"`
	Remedy   *string        `json:"remedy"`
	When     *conditionJSON `json:"when"`
	Disabled bool           `json:"disabled"`
}

type conditionJSON struct {
	Proto    string   `json:"proto,omitempty"`
	Ports    []string `json:"ports,omitempty"`
	Exposure []string `json:"exposure,omitempty"`
	Exe      []string `json:"exe,omitempty"`
	ExeUnder []string `json:"exe_under,omitempty"`
	User     string   `json:"user,omitempty"`
	Service  string   `json:"service,omitempty"`
	Baseline string   `json:"baseline,omitempty"`
}

// validRuleID reports whether id is a rule id: 1 to 63 lower-case
// letters, digits, '-' and '.', starting with a letter or digit.
func validRuleID(id string) bool {
	if len(id) == 0 || len(id) > 63 || id[0] == '-' || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Builtin returns the rules compiled into portwatch.
func Builtin() *Rules {
	rules, err := ParseRules(builtinRules, nil)
	if err != nil {
		panic("audit: embedded rules.json: " + err.Error())
	}
	return rules
}

// ParseRules reads a rules file. With base nil the file must define whole
// rules. With a base rule set, the file amends it: a rule with a new id is
// added, a rule with a known id replaces only the fields it gives
// (severity, title, remedy, when), and "disabled": true removes it.
func ParseRules(data []byte, base *Rules) (*Rules, error) {
	var f rulesFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, err
	}
	if f.Version == nil {
		return nil, errors.New(`not a portwatch rules file: no "portwatch_audit_rules" version field`)
	}
	if *f.Version != RulesVersion {
		return nil, fmt.Errorf("rules file version %d is not supported (this portwatch reads version %d)", *f.Version, RulesVersion)
	}
	out := &Rules{}
	if base != nil {
		out.Rules = slices.Clone(base.Rules)
	}
	seen := map[string]bool{}
	for i, rj := range f.Rules {
		if !validRuleID(rj.ID) {
			return nil, fmt.Errorf("rule %d: invalid id %q (lower-case letters, digits, '-' and '.')", i+1, rj.ID)
		}
		if seen[rj.ID] {
			return nil, fmt.Errorf("rule %q: defined twice", rj.ID)
		}
		seen[rj.ID] = true
		at := slices.IndexFunc(out.Rules, func(r Rule) bool { return r.ID == rj.ID })
		if rj.Disabled {
			if at >= 0 {
				out.Rules = slices.Delete(out.Rules, at, at+1)
			}
			continue
		}
		var r Rule
		if at >= 0 {
			r = out.Rules[at]
		} else if rj.Severity == nil || rj.Title == nil || rj.When == nil {
			return nil, fmt.Errorf("rule %q: a new rule needs severity, title and when", rj.ID)
		}
		r.ID = rj.ID
		if err := rj.apply(&r); err != nil {
			return nil, fmt.Errorf("rule %q: %v", rj.ID, err)
		}
		if at >= 0 {
			out.Rules[at] = r
		} else {
			out.Rules = append(out.Rules, r)
		}
	}
	return out, nil
}

// apply copies the fields rj gives into r, checking each.
func (rj *ruleJSON) apply(r *Rule) error {
	if rj.Severity != nil {
		sev, err := ParseSeverity(*rj.Severity)
		if err != nil {
			return err
		}
		r.Severity = sev
	}
	if rj.Title != nil {
		if strings.TrimSpace(*rj.Title) == "" {
			return errors.New("empty title")
		}
		r.Title = *rj.Title
	}
	if rj.Remedy != nil {
		r.Remedy = *rj.Remedy
	}
	if rj.When != nil {
		c, err := rj.When.parse()
		if err != nil {
			return fmt.Errorf("when: %v", err)
		}
		r.When = c
	}
	return nil
}

func (cj *conditionJSON) parse() (Condition, error) {
	var c Condition
	switch cj.Proto {
	case "", "tcp", "udp":
		c.Proto = cj.Proto
	default:
		return c, fmt.Errorf("proto %q: accepted: tcp, udp", cj.Proto)
	}
	for _, s := range cj.Ports {
		p, err := ParsePortRange(s)
		if err != nil {
			return c, err
		}
		c.Ports = append(c.Ports, p)
	}
	for _, s := range cj.Exposure {
		e, err := ParseExposure(s)
		if err != nil {
			return c, err
		}
		c.Exposure = append(c.Exposure, e)
	}
	for _, s := range cj.Exe {
		if s != ExeDeleted && s != ExeReplaced {
			return c, fmt.Errorf("exe %q: accepted: deleted, replaced", s)
		}
		c.Exe = append(c.Exe, s)
	}
	for _, dir := range cj.ExeUnder {
		if !strings.HasPrefix(dir, "/") && !strings.Contains(dir, `:\`) {
			return c, fmt.Errorf("exe_under %q: not an absolute directory", dir)
		}
		if !strings.HasSuffix(dir, "/") && !strings.HasSuffix(dir, `\`) {
			dir += "/"
		}
		c.ExeUnder = append(c.ExeUnder, dir)
	}
	switch cj.User {
	case "", "root", "non-root":
		c.User = cj.User
	default:
		return c, fmt.Errorf("user %q: accepted: root, non-root", cj.User)
	}
	switch cj.Service {
	case "", "known", "unknown":
		c.Service = cj.Service
	default:
		return c, fmt.Errorf("service %q: accepted: known, unknown", cj.Service)
	}
	switch Change(cj.Baseline) {
	case Unchanged, New, Changed, Missing:
		c.Baseline = Change(cj.Baseline)
	default:
		return c, fmt.Errorf("baseline %q: accepted: new, changed, missing", cj.Baseline)
	}
	if c.Proto == "" && c.Ports == nil && c.Exposure == nil && c.Exe == nil && c.ExeUnder == nil &&
		c.User == "" && c.Service == "" && c.Baseline == "" {
		return c, errors.New("no condition: a rule must say which listeners it is about")
	}
	return c, nil
}

// ParsePortRange parses "N" or "N-M" with 1 <= N <= M <= 65535.
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, ok := portrange.Parse(s)
	if !ok || lo == 0 {
		return PortRange{}, fmt.Errorf("port %q: accepted: N or N-M, 1 <= N <= M <= 65535", s)
	}
	return PortRange{lo, hi}, nil
}

// MarshalJSON writes the rules in the rules file format.
func (rs *Rules) MarshalJSON() ([]byte, error) {
	f := rulesFile{Version: new(int)}
	*f.Version = RulesVersion
	for _, r := range rs.Rules {
		sev, title, remedy := r.Severity.String(), r.Title, r.Remedy
		c := r.When
		cj := &conditionJSON{Proto: c.Proto, User: c.User, Service: c.Service, Baseline: string(c.Baseline), Exe: c.Exe, ExeUnder: c.ExeUnder}
		for _, p := range c.Ports {
			if p.First == p.Last {
				cj.Ports = append(cj.Ports, strconv.Itoa(int(p.First)))
			} else {
				cj.Ports = append(cj.Ports, fmt.Sprintf("%d-%d", p.First, p.Last))
			}
		}
		for _, e := range c.Exposure {
			cj.Exposure = append(cj.Exposure, string(e))
		}
		f.Rules = append(f.Rules, ruleJSON{ID: r.ID, Severity: &sev, Title: &title, Remedy: &remedy, When: cj})
	}
	return json.Marshal(f)
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data, with errors that give the line of the problem.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return fmt.Errorf("line %d: data after the JSON object", lineOf(data, dec.InputOffset()))
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
		return errors.New("empty file")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("line %d: truncated: the JSON ends early", lineOf(data, int64(len(data))))
	case errors.As(err, &syn):
		return fmt.Errorf("line %d: not valid JSON: %v", lineOf(data, syn.Offset), syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the top level"
		}
		return fmt.Errorf("line %d: %s: expected %s, found a JSON %s", lineOf(data, typ.Offset), field, typ.Type, typ.Value)
	}
	return fmt.Errorf("line %d: %v", lineOf(data, dec.InputOffset()), err)
}

func lineOf(data []byte, offset int64) int {
	offset = max(0, min(offset, int64(len(data))))
	return 1 + bytes.Count(data[:offset], []byte{'\n'})
}
