package render

import (
	"encoding/csv"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/portwatch/portwatch/collector"
)

// csvHeader is the CSV header: the JSON socket fields, in the same order.
var csvHeader = []string{
	"proto", "family", "local_addr", "local_port", "remote_addr", "remote_port",
	"state", "uid", "user", "inode", "recv_q", "send_q",
	"local_service", "remote_service", "pid", "process", "owners", "owner_unknown",
}

// CSV writes snap's sockets with encoding/csv, one record per socket, with
// the columns and values of the JSON socket fields in the same order (see
// JSON), preceded by a header row unless opts.NoHeader. Names are always
// included (Numeric does not apply) and every string that came from the
// system is sanitized, so each record is one line.
//
// The owners column flattens the owners list as pid/process/fd entries joined
// by ";", e.g. "812/nginx/3;813/nginx/3" (fd -1 when unknown, "" when there
// is no owner). A process name may contain "/", so split an entry at its
// first and last "/"; a ";" inside a process name is written as \x3b, so
// splitting the column on ";" is always safe.
func CSV(w io.Writer, snap *collector.Snapshot, opts Options) error {
	if snap == nil {
		return errors.New("render: nil snapshot")
	}
	cw := csv.NewWriter(w)
	if !opts.NoHeader {
		if err := cw.Write(csvHeader); err != nil {
			return err
		}
	}
	users := newUserNames(opts.UserName)
	rec := make([]string, len(csvHeader))
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		proto := s.Proto.String()
		pid, process := 0, ""
		if o := firstOwner(s); o != nil {
			pid, process = o.PID, o.Process
		}
		rec = rec[:0]
		rec = append(rec,
			proto,
			s.Family.String(),
			csvAddr(s.Local),
			strconv.FormatUint(uint64(s.Local.Port()), 10),
			csvAddr(s.Remote),
			strconv.FormatUint(uint64(s.Remote.Port()), 10),
			s.StateName(),
			strconv.Itoa(s.UID),
			Sanitize(users.name(s.UID)),
			strconv.FormatUint(s.Inode, 10),
			strconv.FormatUint(uint64(s.RecvQ), 10),
			strconv.FormatUint(uint64(s.SendQ), 10),
			Sanitize(portName(opts.Services, proto, s.Local.Port())),
			Sanitize(portName(opts.Services, proto, s.Remote.Port())),
			strconv.Itoa(pid),
			Sanitize(process),
			csvOwners(s.Owners),
			Sanitize(string(s.OwnerUnknown)),
		)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvAddr is an address as JSON writes it (IPv4-mapped unmapped, no
// brackets, "" when invalid), with a zone sanitized.
func csvAddr(ap netip.AddrPort) string {
	a := ap.Addr()
	if !a.IsValid() {
		return ""
	}
	if a.Is4In6() {
		a = a.Unmap()
	}
	return Sanitize(a.String())
}

// csvOwners flattens owners as pid/process/fd;pid/process/fd.
func csvOwners(owners []collector.Owner) string {
	var b strings.Builder
	for i := range owners {
		o := &owners[i]
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(strconv.Itoa(o.PID))
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(Sanitize(o.Process), ";", `\x3b`))
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(o.FD))
	}
	return b.String()
}
