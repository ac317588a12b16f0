package render

import (
	"io"
	"strconv"
	"time"

	"github.com/portwatch/portwatch/counters"
)

// CountersText writes the protocol counters as netstat -s does: a block
// per group ("Tcp:"), each counter's value right-aligned in the group and
// its short human name.
func CountersText(w io.Writer, snap *counters.Snapshot) error {
	var b []byte
	cs := snap.Counters
	for i := 0; i < len(cs); {
		j := i
		width := 0
		for j < len(cs) && cs[j].Group == cs[i].Group {
			width = max(width, len(strconv.FormatInt(cs[j].Value, 10)))
			j++
		}
		b = appendSanitized(b, cs[i].Group)
		b = append(b, ":\n"...)
		for _, c := range cs[i:j] {
			v := strconv.FormatInt(c.Value, 10)
			b = append(b, "    "...)
			b = appendSpaces(b, width-len(v))
			b = append(b, v...)
			b = append(b, "  "...)
			b = appendSanitized(b, counters.HumanName(c.Group, c.Name))
			b = append(b, '\n')
		}
		i = j
	}
	_, err := w.Write(b)
	return err
}

// CountersJSON writes the protocol counters as one object, by the kernel's
// names, in its order: {"version":1,"time":...,"counters":{"Ip":
// {"Forwarding":1,...},...}}.
func CountersJSON(w io.Writer, snap *counters.Snapshot) error {
	b := append([]byte(nil), `{"version":1,"time":`...)
	b = strconv.AppendQuote(b, snap.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"counters":{`...)
	cs := snap.Counters
	for i, c := range cs {
		first := i == 0 || cs[i-1].Group != c.Group
		if first {
			if i > 0 {
				b = append(b, "},"...)
			}
			b = appendJSONString(b, c.Group)
			b = append(b, ":{"...)
		} else {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.Name)
		b = append(b, ':')
		b = strconv.AppendInt(b, c.Value, 10)
	}
	if len(cs) > 0 {
		b = append(b, '}')
	}
	b = append(b, "}}\n"...)
	_, err := w.Write(b)
	return err
}
