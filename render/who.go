package render

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/process"
	"github.com/portwatch/portwatch/services"
)

// Who is what `portwatch who PORT` found: the sockets on the port, the
// registry's entries for it and the details of every owning process.
type Who struct {
	Query     string              // the query as given, e.g. "8080/tcp"
	Port      uint16              // the port asked about
	Services  []services.Info     // the registry's entries, one per protocol asked
	Snapshot  *collector.Snapshot // the sockets on the port
	Processes []WhoProcess        // every owner of those sockets, by PID
	Root      bool                // the lookup ran as root (explains hidden owners)
}

// WhoProcess is one owning process with its details.
type WhoProcess struct {
	process.Info
	User    string         // name of Info.UID; "" when it has none
	Parents []process.Info // nearest first, ending at PID 1 when visible
	Err     string         // why details are missing (the process exited), or ""
}

// WhoText writes a report for people: the registry's entries, the sockets
// as a table with owners, each owner's details, and why the owners that
// are unknown are unknown. Times are shown in now's location, with their
// age relative to now.
func WhoText(w io.Writer, who *Who, opts Options, now time.Time) error {
	var b strings.Builder
	for _, info := range who.Services {
		fmt.Fprintf(&b, "%d/%s  ", info.Port, info.Proto)
		if info.Name == "" {
			b.WriteString("not in the service registry\n")
			continue
		}
		b.WriteString(Sanitize(info.Name))
		if d := firstDescription(info); d != "" {
			b.WriteString(": " + Sanitize(d))
		}
		b.WriteByte('\n')
		if info.Risk != "" {
			b.WriteString("  risk: " + Sanitize(info.Risk) + "\n")
		}
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	topts := opts
	topts.Owners = true
	if err := Table(w, who.Snapshot, topts); err != nil {
		return err
	}

	b.Reset()
	for i := range who.Processes {
		writeWhoProcess(&b, &who.Processes[i], now)
	}
	writeUnknownOwners(&b, who.Snapshot.Sockets, who.Root)
	_, err := io.WriteString(w, b.String())
	return err
}

func firstDescription(info services.Info) string {
	for _, e := range info.Entries {
		if e.Description != "" {
			return e.Description
		}
	}
	return ""
}

func writeWhoProcess(b *strings.Builder, p *WhoProcess, now time.Time) {
	fmt.Fprintf(b, "\nPID %d  %s\n", p.PID, orDash(Sanitize(p.Name)))
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(b, "  %-10s %s\n", label, value)
		}
	}
	if p.Err != "" {
		line("details", Sanitize(p.Err))
		return
	}
	line("command", Sanitize(CommandLine(p.Cmdline)))
	if p.Exe != "" {
		exe := Sanitize(p.Exe)
		switch p.ExeStatus {
		case process.ExeDeleted:
			exe += "  (deleted since it started)"
		case process.ExeReplaced:
			exe += "  (replaced on disk since it started)"
		}
		line("executable", exe)
	}
	switch {
	case p.UID >= 0:
		user := "uid " + strconv.Itoa(p.UID)
		if p.User != "" {
			user = Sanitize(p.User) + " (" + user + ")"
		}
		line("user", user)
	case p.UserName != "":
		line("user", Sanitize(p.UserName))
	}
	if !p.Start.IsZero() {
		line("started", p.Start.In(now.Location()).Format("2006-01-02 15:04:05 MST")+", "+age(now.Sub(p.Start))+" ago")
	}
	if p.Unit != "" {
		unit := Sanitize(p.Unit)
		if p.UserUnit {
			unit += "  (a user's systemd unit)"
		}
		line("unit", unit)
	}
	if p.Container.Runtime != "" || p.Container.ID != "" {
		line("container", strings.TrimSpace(Sanitize(p.Container.Runtime+" "+p.Container.ID)))
	}
	if len(p.Parents) > 0 {
		var chain []string
		for i := len(p.Parents) - 1; i >= 0; i-- {
			chain = append(chain, strconv.Itoa(p.Parents[i].PID)+" "+orDash(Sanitize(p.Parents[i].Name)))
		}
		line("parents", strings.Join(chain, " > "))
	}
	if len(p.Missing) > 0 {
		line("unreadable", Sanitize(strings.Join(p.Missing, "; ")))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// age is a duration for people: "42s", "3m12s", "5h4m", "12d3h".
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// CommandLine joins argv for display, quoting the arguments a shell would
// split differently (empty, or holding spaces or quotes). The result still
// needs Sanitize before it reaches a terminal.
func CommandLine(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`") {
			b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}

// writeUnknownOwners explains, per reason, the sockets without owners.
func writeUnknownOwners(b *strings.Builder, socks []collector.Socket, root bool) {
	counts := map[collector.OwnerUnknown]int{}
	var order []collector.OwnerUnknown
	for i := range socks {
		r := socks[i].OwnerUnknown
		if len(socks[i].Owners) > 0 || r == collector.OwnerKnown {
			continue
		}
		if counts[r] == 0 {
			order = append(order, r)
		}
		counts[r]++
	}
	for _, r := range order {
		n := "1 socket has"
		if counts[r] > 1 {
			n = strconv.Itoa(counts[r]) + " sockets have"
		}
		fmt.Fprintf(b, "\n%s no owner shown (%s): %s\n", n, Sanitize(r.String()), ExplainOwnerUnknown(r, root))
	}
}

// ExplainOwnerUnknown says in one line why a socket's owner is unknown and,
// where something can be done, what.
func ExplainOwnerUnknown(r collector.OwnerUnknown, root bool) string {
	switch r {
	case collector.OwnerPermission:
		if root {
			return "the kernel refused to show the holder's file descriptors even to root (a non-dumpable process or a security policy)"
		}
		return "it belongs to another user's process; run as root (sudo portwatch who ...) to see it"
	case collector.OwnerKernel:
		return "no process holds it: a closing connection (TIME_WAIT), one not yet accepted, or a process in another PID namespace"
	case collector.OwnerExited:
		return "its process exited while portwatch looked"
	case collector.OwnerOtherNetns:
		return "it belongs to another network namespace"
	case collector.OwnerUnsupported:
		return "this platform does not report socket owners"
	}
	return "unknown reason"
}

// whoJSON is the JSON form of Who.
type whoJSON struct {
	Version   int               `json:"version"`
	Query     string            `json:"query"`
	Port      uint16            `json:"port"`
	Services  []whoServiceJSON  `json:"services"`
	Sockets   []json.RawMessage `json:"sockets"`
	Processes []whoProcessJSON  `json:"processes"`
}

type whoServiceJSON struct {
	Proto       string   `json:"proto"`
	Name        string   `json:"name"`
	Names       []string `json:"names"`
	Description string   `json:"description"`
	Risk        string   `json:"risk"`
}

type whoProcessJSON struct {
	PID       int           `json:"pid"`
	PPID      int           `json:"ppid"`
	Name      string        `json:"name"`
	Cmdline   []string      `json:"cmdline"`
	Exe       string        `json:"exe"`
	ExeStatus string        `json:"exe_status"`
	UID       int           `json:"uid"`
	User      string        `json:"user"`
	Start     *time.Time    `json:"start"`
	Cgroup    string        `json:"cgroup"`
	Unit      string        `json:"unit"`
	UserUnit  bool          `json:"user_unit"`
	Container *whoContainer `json:"container"`
	Parents   []whoParent   `json:"parents"`
	Missing   []string      `json:"unreadable"`
	Error     string        `json:"error,omitempty"`
}

type whoContainer struct {
	Runtime string `json:"runtime"`
	ID      string `json:"id"`
}

type whoParent struct {
	PID  int    `json:"pid"`
	Name string `json:"name"`
}

// WhoJSON writes who as one JSON object: version, query, port, services
// [{proto, name, names, description, risk}], sockets (each as in the
// snapshot schema), processes [{pid, ppid, name, cmdline, exe, exe_status
// ("ok", "deleted", "replaced" or "" when unknown), uid, user, start (RFC
// 3339 or null), cgroup, unit, user_unit, container ({runtime, id} or
// null), parents [{pid, name}] nearest first, unreadable [field: reason],
// error}]. Lists are [] when empty, never null.
func WhoJSON(w io.Writer, who *Who, opts Options) error {
	out := whoJSON{Version: schemaVersion, Query: who.Query, Port: who.Port,
		Services: []whoServiceJSON{}, Sockets: []json.RawMessage{}, Processes: []whoProcessJSON{}}
	for _, info := range who.Services {
		out.Services = append(out.Services, whoServiceJSON{Proto: info.Proto, Name: info.Name,
			Names: nonNil(info.Names), Description: firstDescription(info), Risk: info.Risk})
	}
	users := newUserNames(opts.UserName)
	names := newNetnsNames(who.Snapshot, opts)
	for i := range who.Snapshot.Sockets {
		out.Sockets = append(out.Sockets, appendSocketJSON(nil, &who.Snapshot.Sockets[i], opts.Services, users, names, opts.Container, opts.Forward))
	}
	for _, p := range who.Processes {
		pj := whoProcessJSON{PID: p.PID, PPID: p.PPID, Name: p.Name, Cmdline: nonNil(p.Cmdline), Exe: p.Exe,
			ExeStatus: string(p.ExeStatus), UID: p.UID, User: cmp.Or(p.User, p.UserName), Cgroup: p.Cgroup, Unit: p.Unit,
			UserUnit: p.UserUnit, Parents: []whoParent{}, Missing: nonNil(p.Missing), Error: p.Err}
		if !p.Start.IsZero() {
			start := p.Start.UTC()
			pj.Start = &start
		}
		if p.Container.Runtime != "" || p.Container.ID != "" {
			pj.Container = &whoContainer{p.Container.Runtime, p.Container.ID}
		}
		for _, q := range p.Parents {
			pj.Parents = append(pj.Parents, whoParent{q.PID, q.Name})
		}
		out.Processes = append(out.Processes, pj)
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(terminalSafe(data), '\n'))
	return err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// terminalSafe rewrites encoding/json output so it is as safe to print on
// a terminal as appendJSONString's: DEL, C1 controls and format characters
// (bidi, zero-width) become \u escapes. They can only occur inside strings,
// where an escape decodes to the same character, so the JSON keeps its
// meaning.
func terminalSafe(data []byte) []byte {
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, `\u007f`...)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if unsafeRune(r, size) && !(r == utf8.RuneError && size == 1) {
			out = appendJSONRuneEscape(out, r)
		} else {
			out = append(out, data[i:i+size]...)
		}
		i += size
	}
	return out
}
