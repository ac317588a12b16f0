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
	b = append(b, `,"counters":`...)
	cs := snap.Counters
	b = appendGroups(b, len(cs), func(i int) (string, string) { return cs[i].Group, cs[i].Name },
		func(b []byte, i int) []byte { return strconv.AppendInt(b, cs[i].Value, 10) })
	b = append(b, "}\n"...)
	_, err := w.Write(b)
	return err
}

// RatesText writes one report of counter rates: the time, then each
// counter that moved with its rate per second and short name, grouped as
// CountersText groups them; "nothing moved" when none did.
func RatesText(w io.Writer, at time.Time, rates []counters.Rate) error {
	b := at.AppendFormat(nil, "15:04:05")
	b = append(b, '\n')
	if len(rates) == 0 {
		b = append(b, "    nothing moved\n"...)
	}
	for i, r := range rates {
		if i == 0 || rates[i-1].Group != r.Group {
			b = appendSanitized(b, r.Group)
			b = append(b, ":\n"...)
		}
		b = append(b, "    "...)
		b = strconv.AppendFloat(b, r.PerSecond, 'f', 1, 64)
		b = append(b, "/s  "...)
		b = appendSanitized(b, counters.HumanName(r.Group, r.Name))
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}

// RatesJSON writes one report of counter rates as one line:
// {"version":1,"time":...,"interval_seconds":S,"rates":{"Tcp":{"InSegs":12.5},...}}.
func RatesJSON(w io.Writer, at time.Time, over time.Duration, rates []counters.Rate) error {
	b := append([]byte(nil), `{"version":1,"time":`...)
	b = strconv.AppendQuote(b, at.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"interval_seconds":`...)
	b = strconv.AppendFloat(b, over.Seconds(), 'f', -1, 64)
	b = append(b, `,"rates":`...)
	b = appendGroups(b, len(rates), func(i int) (string, string) { return rates[i].Group, rates[i].Name },
		func(b []byte, i int) []byte { return strconv.AppendFloat(b, rates[i].PerSecond, 'f', -1, 64) })
	b = append(b, "}\n"...)
	_, err := w.Write(b)
	return err
}

// appendGroups appends n values as a JSON object of groups, each an object
// of names: {"Tcp":{"InSegs":V,...},...}. key gives value i's group and
// name (a group's values come together); value appends value i.
func appendGroups(b []byte, n int, key func(i int) (group, name string), value func(b []byte, i int) []byte) []byte {
	b = append(b, '{')
	prev := ""
	for i := range n {
		group, name := key(i)
		if i == 0 || group != prev {
			if i > 0 {
				b = append(b, "},"...)
			}
			b = appendJSONString(b, group)
			b = append(b, ":{"...)
		} else {
			b = append(b, ',')
		}
		prev = group
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = value(b, i)
	}
	if n > 0 {
		b = append(b, '}')
	}
	return append(b, '}')
}
