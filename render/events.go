package render

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portwatch/portwatch/collector"
	"github.com/portwatch/portwatch/watch"
)

// This file writes the change stream of watch mode: one line per
// watch.Event, as JSON (NDJSON) or as plain text for logs.

// eventTextTime is the time layout of EventText: RFC 3339 in UTC with
// exactly three fractional digits, so every line's time has the same width.
const eventTextTime = "2006-01-02T15:04:05.000Z07:00"

// eventBufs holds the buffers EventJSON and EventText build a line in, so a
// stream of events does not allocate one per line.
var eventBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

// maxPooledEvent is the largest buffer put back in eventBufs; a line with
// thousands of owners should not pin its memory.
const maxPooledEvent = 64 << 10

// EventJSON writes ev as one line of JSON, ended by "\n", for an NDJSON
// change stream:
//
//	{"event":"added","time":"2026-11-21T12:00:01.5Z","socket":{...}}
//	{"event":"changed","time":"...","socket":{...},"changes":{"state":["SYN_SENT","ESTABLISHED"]}}
//
// Fields, in this order:
//   - event: "added", "removed" or "changed" (watch.Kind.String);
//   - time: the event's time, RFC 3339 in UTC with nanoseconds
//     (time.RFC3339Nano), as JSON writes a snapshot's time;
//   - socket: the socket object of JSON schema version 1, with the same
//     fields, order and values as one element of a snapshot's "sockets"
//     (see JSON); for "removed", the socket as it was last seen;
//   - changes: only for "changed", an object with only the fields that
//     changed, each as [old, new]: "state" as state names
//     (collector.StateName, so UDP shows UNCONN) and "owners" as two
//     owners arrays of {"pid","process","fd"} objects, like the socket's
//     "owners" ([] when there was none).
//
// Like JSON, strings are not sanitized but escaped, so the line is valid
// JSON for any bytes in a name and safe to print on a terminal; it never
// holds a raw newline. An event of an unknown kind, or with a time outside
// the years 0-9999 in UTC, is an error and nothing is written.
func EventJSON(w io.Writer, ev *watch.Event, opts Options) error {
	return writeEvent(w, ev, opts, appendEventJSON)
}

// EventText writes ev as one plain line, ended by "\n", for logs and
// terminals. The fields are separated by one space and none of them holds
// white space (a space inside a name is written \x20, other Unicode spaces
// as \u00a0), so the line splits into fields on runs of spaces (awk):
//
//	TIME KIND PROTO LOCAL REMOTE STATE [SERVICE] [PID/PROGRAM] [USER INODE RECV-Q SEND-Q] [CHANGES]
//
//	2026-11-21T12:00:01.500Z added   tcp  127.0.0.1:8080 0.0.0.0:* LISTEN http-alt 1234/nginx
//	2026-11-21T12:00:02.000Z changed tcp  10.0.0.5:40000 10.0.0.9:443 ESTABLISHED https 1234/curl state SYN_SENT->ESTABLISHED
//
// TIME is RFC 3339 in UTC with milliseconds (fixed width); KIND is added,
// removed or changed, padded to 7; PROTO (tcp, tcp6, udp, udp6) is padded
// to 4. Then come the columns of Table with the same opts, in Table's
// order and with Table's cell values: addresses as FormatAddr, SERVICE
// unless opts.Numeric, PID/PROGRAM with opts.Owners, the four Extended
// columns with opts.Extended. A changed event ends with what changed:
// "state OLD->NEW" and/or "owners OLD->NEW" and/or, with internals,
// "bytes +SENT/+RECEIVED", owners written like the
// PID/Program column ("-" for none); the owners change is shown even
// without opts.Owners, as it is what the event is about.
//
// Every string that came from the system is sanitized (see Sanitize), so a
// process name cannot add a line or forge one. An event of an unknown
// kind, or with a time outside the years 0-9999 in UTC, is an error.
func EventText(w io.Writer, ev *watch.Event, opts Options) error {
	return writeEvent(w, ev, opts, appendEventText)
}

// writeEvent formats ev with appendEvent in a pooled buffer and writes it.
func writeEvent(w io.Writer, ev *watch.Event, opts Options,
	appendEvent func([]byte, *watch.Event, Options) ([]byte, error)) error {
	bp := eventBufs.Get().(*[]byte)
	b, err := appendEvent((*bp)[:0], ev, opts)
	if err == nil {
		_, err = w.Write(b)
	}
	if cap(b) <= maxPooledEvent {
		*bp = b[:0]
		eventBufs.Put(bp)
	}
	return err
}

// checkEvent returns the event's time in UTC, or why ev cannot be written.
func checkEvent(ev *watch.Event) (time.Time, error) {
	if ev == nil {
		return time.Time{}, errors.New("render: nil event")
	}
	switch ev.Kind {
	case watch.Added, watch.Removed, watch.Changed:
	default:
		return time.Time{}, fmt.Errorf("render: unknown event kind %d", ev.Kind)
	}
	t := ev.Time.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("render: event time %v is outside years 0-9999", ev.Time)
	}
	return t, nil
}

// appendEventJSON appends EventJSON's line.
func appendEventJSON(b []byte, ev *watch.Event, opts Options) ([]byte, error) {
	t, err := checkEvent(ev)
	if err != nil {
		return b, err
	}
	b = append(b, `{"event":"`...)
	b = append(b, ev.Kind.String()...)
	b = append(b, `","time":"`...)
	b = t.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","socket":`...)
	b = appendSocketJSON(b, &ev.Socket, opts.Services, newUserNames(opts.UserName), newNetnsNames(nil, opts), opts.Container, opts.Forward)
	if ev.Kind == watch.Changed {
		b = append(b, `,"changes":{`...)
		if ev.Changed&watch.StateChange != 0 {
			b = append(b, `"state":[`...)
			b = appendJSONString(b, collector.StateName(ev.Socket.Proto, ev.OldState))
			b = append(b, ',')
			b = appendJSONString(b, ev.Socket.StateName())
			b = append(b, ']')
		}
		if ev.Changed&watch.OwnerChange != 0 {
			if ev.Changed&watch.StateChange != 0 {
				b = append(b, ',')
			}
			b = append(b, `"owners":[`...)
			b = appendOwnersJSON(b, ev.OldOwners)
			b = append(b, ',')
			b = appendOwnersJSON(b, ev.Socket.Owners)
			b = append(b, ']')
		}
		if ev.Changed&watch.TrafficChange != 0 {
			if ev.Changed&(watch.StateChange|watch.OwnerChange) != 0 {
				b = append(b, ',')
			}
			b = append(b, `"bytes":{"sent":`...)
			b = strconv.AppendUint(b, ev.Sent, 10)
			b = append(b, `,"received":`...)
			b = strconv.AppendUint(b, ev.Received, 10)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, "}\n"...), nil
}

// appendOwnersJSON appends owners as a JSON array of {"pid","process","fd"}
// objects, as appendSocketJSON writes a socket's owners.
func appendOwnersJSON(b []byte, owners []collector.Owner) []byte {
	b = append(b, '[')
	for i := range owners {
		o := &owners[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"pid":`...)
		b = strconv.AppendInt(b, int64(o.PID), 10)
		b = append(b, `,"process":`...)
		b = appendJSONString(b, o.Process)
		b = append(b, `,"fd":`...)
		b = strconv.AppendInt(b, int64(o.FD), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendEventText appends EventText's line.
func appendEventText(b []byte, ev *watch.Event, opts Options) ([]byte, error) {
	t, err := checkEvent(ev)
	if err != nil {
		return b, err
	}
	s := &ev.Socket
	b = t.AppendFormat(b, eventTextTime)
	b = append(b, ' ')
	kind := len(b)
	b = append(b, ev.Kind.String()...)
	b = appendSpaces(b, 7-(len(b)-kind))
	cells := tableStreamer{
		numeric: opts.Numeric,
		svc:     opts.Services,
		users:   newUserNames(opts.UserName),
	}
	for _, c := range tableColumns(opts) {
		b = append(b, ' ')
		start := len(b)
		b = cells.appendCell(b, s, c)
		b = escapeSpaces(b, start)
		if c == colProto {
			b = appendSpaces(b, 4-(len(b)-start))
		}
	}
	if ev.Kind == watch.Changed {
		if ev.Changed&watch.StateChange != 0 {
			b = append(b, " state "...)
			b = append(b, collector.StateName(s.Proto, ev.OldState)...)
			b = append(b, "->"...)
			b = append(b, s.StateName()...)
		}
		if ev.Changed&watch.OwnerChange != 0 {
			b = append(b, " owners "...)
			start := len(b)
			b = appendOwners(b, &collector.Socket{Owners: ev.OldOwners})
			b = append(b, "->"...)
			b = appendOwners(b, &collector.Socket{Owners: s.Owners})
			b = escapeSpaces(b, start)
		}
		if ev.Changed&watch.TrafficChange != 0 {
			b = append(b, " bytes +"...)
			b = strconv.AppendUint(b, ev.Sent, 10)
			b = append(b, "/+"...)
			b = strconv.AppendUint(b, ev.Received, 10)
		}
	}
	return append(b, '\n'), nil
}

// escapeSpaces rewrites the white space of b[start:] as escapes in
// Sanitize's style, a space as \x20 and other Unicode spaces (no-break
// space, ideographic space, ...) as \u00a0, so that the field holds no
// character that splits fields.
func escapeSpaces(b []byte, start int) []byte {
	i := start
	for i < len(b) && b[i] != ' ' && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b
	}
	tail := append([]byte(nil), b[i:]...)
	b = b[:i]
	for j := 0; j < len(tail); {
		r, size := utf8.DecodeRune(tail[j:])
		switch {
		case r == ' ':
			b = append(b, `\x20`...)
		case r >= utf8.RuneSelf && unicode.IsSpace(r):
			b = append(b, '\\', 'u',
				hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		default:
			b = append(b, tail[j:j+size]...)
		}
		j += size
	}
	return b
}
