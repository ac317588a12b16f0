package render

import (
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/portwatch/portwatch/collector"
)

// ClosedText writes the outcome of ending snap's sockets, one line each:
// "closed" or "failed", the connection (protocol, local -> remote), its
// owners, and for a failure why. errs[i] is socket i's error; a socket gone
// already counts as closed.
func ClosedText(w io.Writer, snap *collector.Snapshot, errs []error, opts Options) error {
	var b []byte
	for i := range snap.Sockets {
		s := &snap.Sockets[i]
		err := errs[i]
		switch {
		case err == nil:
			b = append(b, "closed  "...)
		case isGone(err):
			b = append(b, "gone    "...)
		default:
			b = append(b, "failed  "...)
		}
		b = appendConnection(b, s)
		if err != nil && !isGone(err) {
			b = append(b, ": "...)
			b = appendSanitized(b, err.Error())
		}
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}

// ConnectionText is one line naming the connection s: its protocol,
// local -> remote and its owners when it has some, sanitized, as close
// prints it.
func ConnectionText(s *collector.Socket) string {
	return string(appendConnection(nil, s))
}

// appendConnection appends ConnectionText(s).
func appendConnection(b []byte, s *collector.Socket) []byte {
	b = append(b, s.Proto.String()...)
	b = append(b, ' ')
	b = append(b, FormatAddr(s.Local)...)
	b = append(b, " -> "...)
	b = append(b, FormatAddr(s.Remote)...)
	if len(s.Owners) > 0 {
		b = append(b, "  "...)
		b = appendOwners(b, s)
	}
	return b
}

// ClosedJSON writes the outcome of ending snap's sockets as one object:
// {"version":1,"time","dry_run","sockets":[socket fields, then "closed"
// (bool) and "error" ("" when closed)]}. A nil errs is a dry run: nothing
// was ended.
func ClosedJSON(w io.Writer, snap *collector.Snapshot, errs []error, opts Options) error {
	users := newUserNames(opts.UserName)
	names := newNetnsNames(snap, opts)
	b := append([]byte(nil), `{"version":1,"time":`...)
	b = strconv.AppendQuote(b, snap.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"dry_run":`...)
	b = strconv.AppendBool(b, errs == nil)
	b = append(b, `,"sockets":[`...)
	for i := range snap.Sockets {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendSocketJSON(b, &snap.Sockets[i], nil, users, names, nil, nil)
		b = b[:len(b)-1] // reopen the object
		closed, msg := false, ""
		if errs != nil {
			closed = errs[i] == nil || isGone(errs[i])
			if errs[i] != nil {
				msg = errs[i].Error()
			}
		}
		b = append(b, `,"closed":`...)
		b = strconv.AppendBool(b, closed)
		b = append(b, `,"error":`...)
		b = appendJSONString(b, msg)
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	_, err := w.Write(b)
	return err
}

// isGone reports whether err says the socket was gone already.
func isGone(err error) bool {
	return errors.Is(err, collector.ErrDestroyGone)
}
