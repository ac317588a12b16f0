package render

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portwatch/portwatch/audit"
)

// AuditMeta is what an audit report says about the run itself.
type AuditMeta struct {
	Time     time.Time
	Host     string
	Baseline string           // the baseline file compared with, "" when none
	Policy   audit.FailPolicy // which findings fail the audit
	FailOn   string           // the policy as given, e.g. "new,high"
	Warnings []string         // partial failures of the collection
	Color    bool             // colour severities and changes (terminals only)
	Report   *audit.Report    // the audit
}

// severityColor is the SGR sequence a severity is painted with. A switch,
// not a map: a package-level map is built in every run of the binary.
func severityColor(s audit.Severity) string {
	switch s {
	case audit.SeverityHigh:
		return sgrRed + sgrBold
	case audit.SeverityMedium:
		return sgrYellow
	case audit.SeverityLow:
		return "\x1b[36m"
	case audit.SeverityInfo:
		return "\x1b[2m"
	}
	return ""
}

// changeMark is the mark of a baseline change in the listener table.
func changeMark(c audit.Change) string {
	switch c {
	case audit.New:
		return "+"
	case audit.Changed:
		return "~"
	case audit.Missing:
		return "-"
	case audit.Unchanged:
		return " "
	}
	return ""
}

// AuditText writes an audit for people: the findings grouped by severity,
// highest first, each with its remedy; then every listener grouped by
// exposure, widest first, with baseline changes marked + (new), ~ (changed)
// and - (missing). With m.Color, severities and marks are coloured.
func AuditText(w io.Writer, m *AuditMeta) error {
	var b strings.Builder
	rep := m.Report
	paint := func(s, sgr string) string {
		if !m.Color || sgr == "" {
			return s
		}
		return sgr + s + sgrReset
	}

	failing := 0
	for _, f := range rep.Findings {
		if m.Policy.Fails(f) {
			failing++
		}
	}
	fmt.Fprintf(&b, "%s: %s, %s", paint("portwatch audit", sgrBold), plural(countListening(rep), "listener"), plural(len(rep.Findings), "finding"))
	if len(rep.Findings) > 0 {
		fmt.Fprintf(&b, " (%s)", severityCounts(rep.Findings))
	}
	if m.Baseline != "" {
		fmt.Fprintf(&b, ", compared with %s", Sanitize(m.Baseline))
	}
	b.WriteByte('\n')

	var last audit.Severity
	for _, f := range rep.Findings {
		if f.Rule.Severity != last {
			last = f.Rule.Severity
			fmt.Fprintf(&b, "\n%s\n", paint(strings.ToUpper(last.String()), severityColor(last)+sgrBold))
		}
		fail := " "
		if m.Policy.Fails(f) {
			fail = "!"
		}
		fmt.Fprintf(&b, "%s %-24s %s  %s\n", fail, f.Rule.ID, listenerName(f.Listener), Sanitize(f.Rule.Title))
		if f.Rule.Remedy != "" {
			fmt.Fprintf(&b, "  %-24s fix: %s\n", "", Sanitize(f.Rule.Remedy))
		}
	}

	groups := []struct {
		title string
		keep  func(*audit.Listener) bool
	}{
		{"Every address", func(l *audit.Listener) bool { return l.Change != audit.Missing && l.Exposure == audit.ExposureAll }},
		{"Specific addresses", func(l *audit.Listener) bool {
			return l.Change != audit.Missing && l.Exposure == audit.ExposureSpecific
		}},
		{"Inside other network namespaces (containers)", func(l *audit.Listener) bool {
			return l.Change != audit.Missing && l.Exposure == audit.ExposureNamespace
		}},
		{"Loopback only", func(l *audit.Listener) bool {
			return l.Change != audit.Missing && l.Exposure == audit.ExposureLoopback
		}},
		{"In the baseline, not listening now", func(l *audit.Listener) bool { return l.Change == audit.Missing }},
	}
	header := []string{"", "Proto", "Address", "Service", "PID/Program", "User", "Executable", ""}
	where := slices.ContainsFunc(rep.Listeners, func(l *audit.Listener) bool { return placeOf(l) != "" })
	if where {
		header = slices.Insert(header, 3, "Where")
	}
	if !rep.Baseline {
		header = header[1:]
	}
	var sections [][][]string
	widths := make([]int, len(header))
	for i, c := range header {
		widths[i] = displayWidth([]byte(c))
	}
	for _, g := range groups {
		var rows [][]string
		for _, l := range rep.Listeners {
			if g.keep(l) {
				row := listenerRow(l)
				if where {
					row = slices.Insert(row, 3, orDash(placeOf(l)))
				}
				if !rep.Baseline {
					row = row[1:]
				}
				for i, c := range row {
					widths[i] = max(widths[i], displayWidth([]byte(c)))
				}
				rows = append(rows, row)
			}
		}
		sections = append(sections, rows)
	}
	line := func(row []string) string {
		var b strings.Builder
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth([]byte(c))))
			}
		}
		text := strings.TrimRight(b.String(), " ")
		if rep.Baseline && row[0] != changeMark(audit.Unchanged) {
			text = paint(row[0], map[string]string{"+": sgrGreen, "~": sgrYellow, "-": sgrRed}[row[0]]) + text[len(row[0]):]
		}
		return text
	}
	if len(rep.Listeners) > 0 {
		fmt.Fprintf(&b, "\n%s\n", paint(line(header), sgrBold))
	}
	for i, rows := range sections {
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s\n", paint(groups[i].title+":", sgrBold))
		for _, r := range rows {
			b.WriteString(line(r) + "\n")
		}
	}

	if failing > 0 {
		fmt.Fprintf(&b, "\n%s at or above --fail-on %s (marked !)\n", plural(failing, "finding"), Sanitize(m.FailOn))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// plural is n and what, with an s unless n is 1: "1 finding", "2 findings".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func countListening(rep *audit.Report) int {
	n := 0
	for _, l := range rep.Listeners {
		if l.Change != audit.Missing {
			n++
		}
	}
	return n
}

func severityCounts(fs []audit.Finding) string {
	var parts []string
	for sev := audit.SeverityHigh; sev >= audit.SeverityInfo; sev-- {
		n := 0
		for _, f := range fs {
			if f.Rule.Severity == sev {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	return strings.Join(parts, ", ")
}

// listenerName is "tcp 0.0.0.0:6379 redis-server/812", or for a listener
// only the baseline knows "tcp port 5432 (was /usr/bin/postgres)"; then
// where it is when not on the host: "in web", "in netns vpn",
// "->web:8080" for a port published for a container.
func listenerName(l *audit.Listener) string {
	s := fmt.Sprintf("%s port %d", l.Proto, l.Port)
	if l.Change != audit.Missing {
		s = l.Proto + " " + FormatAddr(l.Local)
		if len(l.Owners) > 0 {
			o := l.Owners[0]
			s += " " + orDash(Sanitize(o.Process)) + "/" + strconv.Itoa(o.PID)
		}
	}
	switch {
	case l.ForwardsTo != "":
		s += " ->" + Sanitize(l.ForwardsTo)
	case l.Container != "":
		s += " in " + Sanitize(l.Container)
	case l.Netns != "":
		s += " in netns " + Sanitize(l.Netns)
	}
	if l.PublishedAs != "" {
		s += " published as " + Sanitize(l.PublishedAs)
	}
	return s
}

// placeOf is the Where column: the container a port is published for
// (->web:8080), the container the listener runs in, else its namespace,
// followed by the host address it is published on without a host
// listener ("web <-0.0.0.0:8080"); "" on the host. Sanitized.
func placeOf(l *audit.Listener) string {
	var where string
	switch {
	case l.ForwardsTo != "":
		return "->" + Sanitize(l.ForwardsTo)
	case l.Container != "":
		where = Sanitize(l.Container)
	default:
		where = Sanitize(l.Netns)
	}
	if l.PublishedAs != "" {
		where += " <-" + Sanitize(l.PublishedAs)
	}
	return where
}

// listenerRow is a listener's line: mark, proto, address, service, owner,
// user, executable, and for a changed listener what it was.
func listenerRow(l *audit.Listener) []string {
	addr := FormatAddr(l.Local)
	if l.Change == audit.Missing {
		addr = "port " + strconv.Itoa(int(l.Port))
	}
	owner, user, exe := "-", Sanitize(l.User), ""
	if len(l.Owners) > 0 {
		var names []string
		for _, o := range l.Owners {
			names = append(names, strconv.Itoa(o.PID)+"/"+orDash(Sanitize(o.Process)))
		}
		owner = strings.Join(names, ",")
		o := l.Owners[0]
		if o.User != "" {
			user = Sanitize(o.User)
		} else if o.UID >= 0 {
			user = strconv.Itoa(o.UID)
		}
		exe = Sanitize(o.Exe)
		if o.ExeStatus == audit.ExeDeleted || o.ExeStatus == audit.ExeReplaced {
			exe += " (" + o.ExeStatus + ")"
		}
	} else if l.OwnerUnknown != "" {
		owner = "-(" + Sanitize(l.OwnerUnknown) + ")"
	}
	if l.Change == audit.Missing && l.Was != nil {
		exe = Sanitize(l.Was.Exe)
	}
	if user == "" && l.UID >= 0 {
		user = strconv.Itoa(l.UID)
	}
	row := []string{changeMark(l.Change), l.Proto, addr, orDash(Sanitize(l.Service)), owner, orDash(user), orDash(exe)}
	if l.Change == audit.Changed && l.Was != nil {
		row = append(row, "was "+wasText(l))
	} else {
		row = append(row, "")
	}
	return row
}

// wasText says what differs from the baseline entry.
func wasText(l *audit.Listener) string {
	now, was := l.Entry(), l.Was
	var parts []string
	if now.Exposure != was.Exposure {
		parts = append(parts, string(was.Exposure))
	}
	if now.Exe != was.Exe {
		parts = append(parts, orDash(Sanitize(was.Exe)))
	}
	if now.User != was.User {
		parts = append(parts, "user "+orDash(Sanitize(was.User)))
	}
	return strings.Join(parts, ", ")
}

// The JSON form of an audit.
type auditJSON struct {
	Version   int                `json:"version"`
	Time      time.Time          `json:"time"`
	Host      string             `json:"host"`
	Baseline  *string            `json:"baseline"`
	FailOn    string             `json:"fail_on"`
	Failed    bool               `json:"failed"`
	Summary   map[string]int     `json:"summary"`
	Findings  []auditFindingJSON `json:"findings"`
	Listeners []auditListenJSON  `json:"listeners"`
	Warnings  []string           `json:"warnings"`
}

type auditFindingJSON struct {
	ID        string `json:"id"`
	Severity  string `json:"severity"`
	Fails     bool   `json:"fails"`
	Title     string `json:"title"`
	Remedy    string `json:"remedy"`
	Proto     string `json:"proto"`
	LocalAddr string `json:"local_addr"`
	Port      uint16 `json:"port"`
	Exposure  string `json:"exposure"`
	PID       int    `json:"pid"`
	Process   string `json:"process"`
	Exe       string `json:"exe"`
	Change    string `json:"change"`
	auditPlace
}

// auditPlace is where a listener is, in JSON: omitted on the host.
type auditPlace struct {
	Netns       string `json:"netns,omitempty"`
	Container   string `json:"container,omitempty"`
	ForwardsTo  string `json:"forwards_to,omitempty"`
	PublishedAs string `json:"published_as,omitempty"`
}

type auditListenJSON struct {
	Proto        string           `json:"proto"`
	LocalAddr    string           `json:"local_addr"`
	Port         uint16           `json:"port"`
	Exposure     string           `json:"exposure"`
	Service      string           `json:"service"`
	UID          int              `json:"uid"`
	User         string           `json:"user"`
	Owners       []auditOwnerJSON `json:"owners"`
	OwnerUnknown string           `json:"owner_unknown"`
	Change       string           `json:"change"`
	Was          *audit.Entry     `json:"was"`
	Findings     []string         `json:"findings"`
	auditPlace
}

type auditOwnerJSON struct {
	PID       int    `json:"pid"`
	Process   string `json:"process"`
	UID       int    `json:"uid"`
	User      string `json:"user"`
	Exe       string `json:"exe"`
	ExeStatus string `json:"exe_status"`
}

// AuditJSON writes the audit as one JSON object: version, time, host,
// baseline (the file, or null), fail_on, failed, summary (listeners, new,
// changed, missing and findings per severity), findings [{id, severity,
// fails, title, remedy, proto, local_addr, port, exposure, pid, process,
// exe, change}] highest severity first, listeners [{proto, local_addr,
// port, exposure, service, uid, user, owners [{pid, process, uid, user,
// exe, exe_status}], owner_unknown, change ("", "new", "changed",
// "missing"), was (the baseline entry, or null), findings [ids]}],
// warnings. A missing listener has local_addr "" and no owners. A finding
// or listener not on the host's own network also has netns (its
// namespace), container (its owners') and, for a port published for a
// container, forwards_to ("web:8080"); these are omitted on the host.
func AuditJSON(w io.Writer, m *AuditMeta) error {
	rep := m.Report
	out := auditJSON{Version: schemaVersion, Time: m.Time.UTC(), Host: m.Host, FailOn: m.FailOn,
		Summary:  map[string]int{"listeners": countListening(rep), "new": 0, "changed": 0, "missing": 0},
		Findings: []auditFindingJSON{}, Listeners: []auditListenJSON{}, Warnings: nonNil(m.Warnings)}
	if m.Baseline != "" {
		out.Baseline = &m.Baseline
	}
	for sev := audit.SeverityInfo; sev <= audit.SeverityHigh; sev++ {
		out.Summary[sev.String()] = 0
	}
	byListener := map[*audit.Listener][]string{}
	for _, f := range rep.Findings {
		l := f.Listener
		fails := m.Policy.Fails(f)
		out.Failed = out.Failed || fails
		out.Summary[f.Rule.Severity.String()]++
		byListener[l] = append(byListener[l], f.Rule.ID)
		fj := auditFindingJSON{ID: f.Rule.ID, Severity: f.Rule.Severity.String(), Fails: fails,
			Title: f.Rule.Title, Remedy: f.Rule.Remedy, Proto: l.Proto, LocalAddr: addrOnly(l.Local),
			Port: l.Port, Exposure: string(l.Exposure), Change: string(l.Change),
			auditPlace: auditPlace{l.Netns, l.Container, l.ForwardsTo, l.PublishedAs}}
		if len(l.Owners) > 0 {
			fj.PID, fj.Process, fj.Exe = l.Owners[0].PID, l.Owners[0].Process, l.Owners[0].Exe
		} else if l.Was != nil {
			fj.Exe = l.Was.Exe
		}
		out.Findings = append(out.Findings, fj)
	}
	for _, l := range rep.Listeners {
		if l.Change != audit.Unchanged {
			out.Summary[string(l.Change)]++
		}
		lj := auditListenJSON{Proto: l.Proto, LocalAddr: addrOnly(l.Local), Port: l.Port,
			Exposure: string(l.Exposure), Service: l.Service, UID: l.UID, User: l.User,
			Owners: []auditOwnerJSON{}, OwnerUnknown: l.OwnerUnknown, Change: string(l.Change),
			Was: l.Was, Findings: nonNil(byListener[l]), auditPlace: auditPlace{l.Netns, l.Container, l.ForwardsTo, l.PublishedAs}}
		if l.Change == audit.New {
			lj.Was = nil
		}
		for _, o := range l.Owners {
			lj.Owners = append(lj.Owners, auditOwnerJSON{o.PID, o.Process, o.UID, o.User, o.Exe, o.ExeStatus})
		}
		out.Listeners = append(out.Listeners, lj)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(terminalSafe(data), '\n'))
	return err
}

// addrOnly is the address of ap without port or brackets, IPv4-mapped
// addresses as IPv4; "" for the zero value.
func addrOnly(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	return ap.Addr().Unmap().String()
}
