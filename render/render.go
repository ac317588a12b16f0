// Package render turns a collector.Snapshot into what portwatch prints: an
// aligned table like netstat's, JSON (schema version 1: see JSON, and the
// README's "JSON (schema version 1)"), CSV with the JSON's columns, and a
// summary of counts like ss -s. It also reads that JSON back (ReadJSON),
// sorts sockets (Sort) and makes strings that came from the system safe to
// print on a terminal (Sanitize).
//
// Nothing here reads flags, the environment or the terminal: the CLI passes
// Options and an io.Writer.
package render

import (
	"net/netip"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
)

// ServiceNamer names a port; *services.Registry satisfies it. Name returns ""
// when it knows no name for the port. proto is "tcp" or "udp".
type ServiceNamer interface {
	Name(proto string, port uint16) string
}

// Options select what the renderers show.
type Options struct {
	// Owners adds the PID/Program column (netstat -o / -p).
	Owners bool
	// Extended adds the User, Inode, Recv-Q and Send-Q columns (-e).
	Extended bool
	// Numeric drops the table's Service column and shows users as numeric
	// UIDs. It applies to Table only: JSON and CSV always carry names.
	Numeric bool
	// NoHeader leaves out the header row of Table and CSV.
	NoHeader bool
	// Services names ports; nil means no service names.
	Services ServiceNamer
	// UserName names a user id; nil, or an empty result, shows the numeric
	// uid. The CLI passes a cached os/user lookup.
	UserName func(uid int) string
	// Netns adds Table's Netns column (first): each socket's network
	// namespace, by name or as net:[INODE]. The CLI sets it when more
	// than one namespace is shown.
	Netns bool
	// Namespaces name the namespaces of sockets for renderers that are
	// given no snapshot (EventJSON); a snapshot's own Namespaces are used
	// otherwise.
	Namespaces []collector.Netns
	// Container, when set, tells the container a process runs in, by PID:
	// JSON gives each such owner a container object. With Owners and
	// ContainerColumn the table has a Container column after PID/Program.
	Container       func(pid int) (containers.Info, bool)
	ContainerColumn bool
	// Forward, when set, tells the container port a host listener is
	// published as: JSON gives the socket forwards_to, and the Container
	// column shows "->NAME:PORT".
	Forward func(s *collector.Socket) (containers.Forward, bool)
}

// userNames remembers UserName's answers for one rendering call, so a
// snapshot of 100k sockets asks the callback once per distinct uid.
type userNames struct {
	fn    func(uid int) string
	cache map[int]string
	// The last answer, which most sockets in a row share.
	lastUID  int
	lastName string
}

func newUserNames(fn func(uid int) string) *userNames {
	return &userNames{fn: fn, cache: make(map[int]string), lastUID: -1}
}

// name returns the raw (unsanitized) user name of uid, "" when unknown.
func (u *userNames) name(uid int) string {
	if u.fn == nil || uid < 0 {
		return ""
	}
	if uid == u.lastUID {
		return u.lastName
	}
	n, ok := u.cache[uid]
	if !ok {
		n = u.fn(uid)
		u.cache[uid] = n
	}
	u.lastUID, u.lastName = uid, n
	return n
}

// FormatAddr formats an address for the Local and Foreign Address columns:
// IPv4 as 127.0.0.1:22, IPv6 bracketed as [::1]:22, IPv4-mapped IPv6
// addresses as IPv4, and port 0 as * (0.0.0.0:*, [::]:*), like netstat. An
// invalid (zero) AddrPort is *:*. An IPv6 zone is kept and sanitized.
func FormatAddr(ap netip.AddrPort) string {
	var buf [64]byte
	return string(appendAddr(buf[:0], ap))
}

// appendAddr appends ap to b as FormatAddr formats it.
func appendAddr(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr()
	if !a.IsValid() {
		return append(b, "*:*"...)
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Is6() {
		b = append(b, '[')
		if z := a.Zone(); z != "" {
			b = a.WithZone("").AppendTo(b)
			b = append(b, '%')
			b = appendSanitized(b, z)
		} else {
			b = a.AppendTo(b)
		}
		b = append(b, ']')
	} else {
		b = a.AppendTo(b)
	}
	b = append(b, ':')
	if p := ap.Port(); p == 0 {
		b = append(b, '*')
	} else {
		b = appendDecimal(b, uint64(p))
	}
	return b
}

// protoColumn is the Proto column: tcp, tcp6, udp, udp6 as netstat prints it.
func protoColumn(s *collector.Socket) string {
	switch {
	case s.Proto == collector.ProtoTCP && s.Family == collector.FamilyIPv6:
		return "tcp6"
	case s.Proto == collector.ProtoTCP:
		return "tcp"
	case s.Proto == collector.ProtoUDP && s.Family == collector.FamilyIPv6:
		return "udp6"
	case s.Proto == collector.ProtoUDP:
		return "udp"
	}
	if s.Family == collector.FamilyIPv6 {
		return s.Proto.String() + "6"
	}
	return s.Proto.String()
}

// ServiceOf returns the Service column's value for s, sanitized: for a
// listening socket (s.Listening()) the name of its local port; otherwise the
// name of the lower-numbered of its two ports that svc knows (if only one is
// known, that one). Port 0 is never looked up. It returns "-" when no port
// has a name or svc is nil.
func ServiceOf(s *collector.Socket, svc ServiceNamer) string {
	if n := serviceName(s, svc); n != "" {
		return Sanitize(n)
	}
	return "-"
}

// serviceName is ServiceOf's raw name, "" when there is none.
func serviceName(s *collector.Socket, svc ServiceNamer) string {
	if svc == nil {
		return ""
	}
	proto := s.Proto.String()
	lp := s.Local.Port()
	if s.Listening() {
		return portName(svc, proto, lp)
	}
	lo, hi := lp, s.Remote.Port()
	if lo > hi {
		lo, hi = hi, lo
	}
	if n := portName(svc, proto, lo); n != "" {
		return n
	}
	return portName(svc, proto, hi)
}

// portName asks svc for the name of port, never for port 0.
func portName(svc ServiceNamer, proto string, port uint16) string {
	if svc == nil || port == 0 {
		return ""
	}
	return svc.Name(proto, port)
}

// firstOwner returns the owner with the lowest PID, or nil.
func firstOwner(s *collector.Socket) *collector.Owner {
	if len(s.Owners) == 0 {
		return nil
	}
	o := &s.Owners[0]
	for i := 1; i < len(s.Owners); i++ {
		if s.Owners[i].PID < o.PID {
			o = &s.Owners[i]
		}
	}
	return o
}
