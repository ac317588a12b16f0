package render

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/containers"
)

// schemaVersion is the version of the JSON snapshot format that JSON writes
// and ReadJSON reads.
const schemaVersion = 1

// JSON writes snap as one JSON object in schema version 1 (the README's
// "JSON (schema version 1)"): top-level fields version, time, host, source,
// sockets, warnings; each socket proto, family, local_addr, local_port,
// remote_addr, remote_port, state, uid, user, inode, recv_q, send_q,
// local_service, remote_service, pid, process, owners [{pid, process, fd}],
// owner_unknown, in that order; then, for a socket of a collection that
// read network namespaces (--netns), netns (the namespace's inode) and
// netns_name ("" when it has none). Such a snapshot also has a top-level
// namespaces list after sockets: [{netns, netns_name}], every namespace
// read, those without sockets included. An owner in a container known to
// opts.Container has a container object after fd: {runtime, id, name, pod,
// pod_namespace}; a host listener that opts.Forward knows as a published
// port ends with forwards_to: {netns, addr, port, container}.
//
// The object is written with one socket per line, so it is both valid JSON
// and friendly to grep and diff. Field values:
//   - time is RFC 3339 in UTC with nanoseconds (time.RFC3339Nano);
//   - addresses are written without brackets or port, IPv4-mapped IPv6
//     addresses as IPv4, while family keeps the socket's family; an invalid
//     (zero) address is "";
//   - user is the user name ("" when unknown), local_service and
//     remote_service the names of the local and remote port ("" when
//     unknown or port 0); names are always included, Numeric does not apply;
//   - pid and process repeat the owner with the lowest PID, 0 and "" when
//     there is none; owners and warnings are [] when empty, never null.
//
// Strings are not sanitized: JSON escapes control characters itself. Invalid
// UTF-8 bytes become U+FFFD, as encoding/json does; DEL, C1 controls,
// U+2028/U+2029 and format characters (bidi controls, zero-width
// characters: what Sanitize escapes) are written as \u escapes, so the
// output is also safe to print on a terminal while decoding to the same
// strings.
// Output is deterministic: sockets and warnings keep their order.
func JSON(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	t := snap.Time.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("render: snapshot time %v is outside years 0-9999", snap.Time)
	}
	const flushAt = 32 << 10
	buf := make([]byte, 0, flushAt+4096)
	buf = append(buf, `{"version":`...)
	buf = strconv.AppendInt(buf, schemaVersion, 10)
	buf = append(buf, `,"time":"`...)
	buf = t.AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","host":`...)
	buf = appendJSONString(buf, snap.Host)
	buf = append(buf, `,"source":`...)
	buf = appendJSONString(buf, string(snap.Source))
	buf = append(buf, `,"sockets":[`...)
	users := newUserNames(opts.UserName)
	names := newNetnsNames(snap, opts)
	for i := range snap.Sockets {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		buf = appendSocketJSON(buf, &snap.Sockets[i], opts.Services, users, names, opts.Container, opts.Forward)
		if len(buf) >= flushAt {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(snap.Sockets) > 0 {
		buf = append(buf, '\n')
	}
	buf = append(buf, ']')
	if len(snap.Namespaces) > 0 {
		buf = append(buf, `,"namespaces":[`...)
		for i := range snap.Namespaces {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '{')
			buf = appendNetnsFields(buf, snap.Namespaces[i].Inode, snap.Namespaces[i].Name)
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"warnings":[`...)
	for i, warn := range snap.Warnings {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, warn)
	}
	buf = append(buf, "]}\n"...)
	_, err := w.Write(buf)
	return err
}

// appendSocketJSON appends one socket object; names names its namespace,
// ctr (when not nil) the containers of its owners, fwd (when not nil) the
// container port a host listener is published as.
func appendSocketJSON(buf []byte, s *collector.Socket, svc ServiceNamer, users *userNames, names netnsNames,
	ctr func(int) (containers.Info, bool), fwd func(*collector.Socket) (containers.Forward, bool)) []byte {
	proto := s.Proto.String()
	buf = append(buf, `{"proto":`...)
	buf = appendJSONString(buf, proto)
	buf = append(buf, `,"family":`...)
	buf = appendJSONString(buf, s.Family.String())
	buf = append(buf, `,"local_addr":`...)
	buf = appendAddrJSON(buf, s.Local)
	buf = append(buf, `,"local_port":`...)
	buf = strconv.AppendUint(buf, uint64(s.Local.Port()), 10)
	buf = append(buf, `,"remote_addr":`...)
	buf = appendAddrJSON(buf, s.Remote)
	buf = append(buf, `,"remote_port":`...)
	buf = strconv.AppendUint(buf, uint64(s.Remote.Port()), 10)
	buf = append(buf, `,"state":`...)
	buf = appendJSONString(buf, s.StateName())
	buf = append(buf, `,"uid":`...)
	buf = strconv.AppendInt(buf, int64(s.UID), 10)
	buf = append(buf, `,"user":`...)
	buf = appendJSONString(buf, users.name(s.UID))
	buf = append(buf, `,"inode":`...)
	buf = strconv.AppendUint(buf, s.Inode, 10)
	buf = append(buf, `,"recv_q":`...)
	buf = strconv.AppendUint(buf, uint64(s.RecvQ), 10)
	buf = append(buf, `,"send_q":`...)
	buf = strconv.AppendUint(buf, uint64(s.SendQ), 10)
	buf = append(buf, `,"local_service":`...)
	buf = appendJSONString(buf, portName(svc, proto, s.Local.Port()))
	buf = append(buf, `,"remote_service":`...)
	buf = appendJSONString(buf, portName(svc, proto, s.Remote.Port()))
	pid, process := 0, ""
	if o := firstOwner(s); o != nil {
		pid, process = o.PID, o.Process
	}
	buf = append(buf, `,"pid":`...)
	buf = strconv.AppendInt(buf, int64(pid), 10)
	buf = append(buf, `,"process":`...)
	buf = appendJSONString(buf, process)
	buf = append(buf, `,"owners":[`...)
	for i := range s.Owners {
		o := &s.Owners[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"pid":`...)
		buf = strconv.AppendInt(buf, int64(o.PID), 10)
		buf = append(buf, `,"process":`...)
		buf = appendJSONString(buf, o.Process)
		buf = append(buf, `,"fd":`...)
		buf = strconv.AppendInt(buf, int64(o.FD), 10)
		if ctr != nil {
			if info, ok := ctr(o.PID); ok {
				buf = appendContainerJSON(buf, info)
			}
		}
		buf = append(buf, '}')
	}
	buf = append(buf, `],"owner_unknown":`...)
	buf = appendJSONString(buf, s.OwnerUnknown.String())
	if s.Netns != 0 {
		buf = append(buf, ',')
		buf = appendNetnsFields(buf, s.Netns, names.name(s.Netns))
	}
	if fwd != nil {
		if f, ok := fwd(s); ok {
			buf = appendForwardJSON(buf, f)
		}
	}
	if s.Internals != nil {
		buf = appendInternalsJSON(buf, s.Internals)
	}
	buf = append(buf, '}')
	return buf
}

// appendForwardJSON appends a published listener's forwards_to field.
func appendForwardJSON(buf []byte, f containers.Forward) []byte {
	buf = append(buf, `,"forwards_to":{"netns":`...)
	buf = strconv.AppendUint(buf, f.NetnsInode, 10)
	buf = append(buf, `,"addr":`...)
	if f.ContainerIP.IsValid() {
		buf = appendJSONString(buf, f.ContainerIP.String())
	} else {
		buf = append(buf, `""`...)
	}
	buf = append(buf, `,"port":`...)
	buf = strconv.AppendUint(buf, uint64(f.ContainerPort), 10)
	buf = appendContainerJSON(buf, f.Container)
	return append(buf, '}')
}

// appendContainerJSON appends an owner's container field.
func appendContainerJSON(buf []byte, c containers.Info) []byte {
	buf = append(buf, `,"container":{"runtime":`...)
	buf = appendJSONString(buf, c.Runtime)
	buf = append(buf, `,"id":`...)
	buf = appendJSONString(buf, c.ID)
	buf = append(buf, `,"name":`...)
	buf = appendJSONString(buf, c.Name)
	buf = append(buf, `,"pod":`...)
	buf = appendJSONString(buf, c.Pod)
	buf = append(buf, `,"pod_namespace":`...)
	buf = appendJSONString(buf, c.PodNamespace)
	return append(buf, '}')
}

// appendNetnsFields appends the fields netns and netns_name.
func appendNetnsFields(buf []byte, ino uint64, name string) []byte {
	buf = append(buf, `"netns":`...)
	buf = strconv.AppendUint(buf, ino, 10)
	buf = append(buf, `,"netns_name":`...)
	return appendJSONString(buf, name)
}

// appendAddrJSON appends ap's address as a JSON string: IPv4-mapped IPv6 as
// IPv4, "" for an invalid address.
func appendAddrJSON(buf []byte, ap netip.AddrPort) []byte {
	a := ap.Addr()
	if !a.IsValid() {
		return append(buf, `""`...)
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	if a.Zone() != "" {
		return appendJSONString(buf, a.String())
	}
	buf = append(buf, '"')
	buf = a.AppendTo(buf)
	return append(buf, '"')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// controls, DEL and what Sanitize escapes as \u (C1, U+2028/U+2029, format
// characters) are \u escaped, beyond U+FFFF as a surrogate pair.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unsafeRune(r, size) {
			i += size
			continue
		}
		buf = append(buf, s[start:i]...)
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else {
			buf = appendJSONRuneEscape(buf, r)
		}
		i += size
		start = i
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
