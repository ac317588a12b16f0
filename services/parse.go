package services

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxLineLen   = 64 << 10 // longer lines are skipped with a warning
	maxWarnings  = 100      // then one summary warning
	maxQuotedLen = 40       // bytes of a bad token quoted in a warning
)

// ParseServicesFile parses text in /etc/services syntax:
//
//	name  port/protocol  [alias ...]  [# comment]
//
// Blank lines and lines holding only a comment are skipped. A line's
// trailing comment becomes the Entry's Description. Only tcp and udp
// entries are returned; other protocols (sctp, ddp, ...) are ignored
// silently. Ports are 0-65535. Lines that cannot be read that way (no
// port/protocol, a bad port, a name or alias with control characters or
// invalid UTF-8) are skipped, each with a warning "source:line: problem";
// a bad alias alone is dropped with a warning. After 100 warnings the rest
// are counted in one last warning. A read error from r ends parsing with a
// warning. source names the input in warnings and in Entry.Source.
//
// ParseServicesFile never panics, whatever the input.
func ParseServicesFile(r io.Reader, source string) ([]Entry, []string) {
	p := parser{source: source, full: true}
	br := bufio.NewReaderSize(r, maxLineLen)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			p.lineNo++
			p.warn("line longer than %d bytes, skipped", maxLineLen)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		} else if len(line) > 0 {
			p.lineNo++
			s := string(line)
			p.parseLine(s, 0, len(s))
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.warn("read error: %v", err)
			}
			break
		}
	}
	p.finish()
	return p.entries(), p.warnings
}

// parser parses /etc/services syntax, line by line.
type parser struct {
	source   string
	lineNo   int
	warnings []string
	dropped  int
	fields   []span // scratch: the fields of the line being parsed

	// With full, the good lines go to lines and names, everything kept;
	// without, only to heads, what a Registry needs for Name.
	full  bool
	lines []fileLine
	names []string // the lines' names: a line's are names[line.start:line.end]
	heads []head
}

// span is a field of a line: text[start:end] of the text being parsed.
type span struct{ start, end int32 }

// fileLine is one good line.
type fileLine struct {
	k          key    // protocol and port
	start, end int32  // the line's names in parser.names
	comment    string // the trailing comment as it is, "" when none: cleanComment makes a description of it
}

// head is the port and first name of a good line: the name is
// text[name.start:name.end] of the text parsed.
type head struct {
	k    key
	name span
}

// entries returns the good lines as Entries, in file order.
func (p *parser) entries() []Entry {
	if len(p.lines) == 0 {
		return nil
	}
	entries := make([]Entry, len(p.lines))
	for i, l := range p.lines {
		entries[i] = Entry{
			Proto:       protoNames[l.k>>16],
			Port:        uint16(l.k),
			Names:       p.names[l.start:l.end:l.end],
			Description: cleanComment(l.comment),
			Source:      p.source,
		}
	}
	return entries
}

func (p *parser) warn(format string, args ...any) {
	if len(p.warnings) >= maxWarnings {
		p.dropped++
		return
	}
	p.warnings = append(p.warnings, fmt.Sprintf("%s:%d: ", p.source, p.lineNo)+fmt.Sprintf(format, args...))
}

// finish adds the count of warnings beyond maxWarnings.
func (p *parser) finish() {
	if p.dropped > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: %d more problems not shown", p.source, p.dropped))
	}
}

// parseText parses a whole text exactly as ParseServicesFile parses the
// same bytes from a reader, but in place: names and comments are slices of
// text, and a line costs no allocation. A line whose fields are ASCII is
// split in one pass over its bytes before its comment; any other goes to
// parseLine.
func (p *parser) parseText(text string) {
	if p.fields == nil {
		p.fields = make([]span, 0, 8)
	}
	for pos := 0; pos < len(text); {
		p.lineNo++
		p.fields = p.fields[:0]
		i := pos
		slow := false
	scan:
		for i < len(text) {
			switch lineClass[text[i]] {
			case cSpace:
				i++
			case cField:
				if i-pos >= maxLineLen {
					break scan // too long: skipped below, fields and all
				}
				start := i
				for i++; i < len(text) && lineClass[text[i]] == cField; i++ {
				}
				p.fields = append(p.fields, span{int32(start), int32(i)})
			case cOther:
				slow = true
				break scan
			default: // '#' or newline
				break scan
			}
		}
		end := len(text) // the line's end, without its newline
		if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
			end = i + j
		}
		next := min(end+1, len(text))
		switch {
		case end-pos >= maxLineLen:
			// ParseServicesFile's buffer of maxLineLen bytes must hold the
			// line and its newline, or, at the end, the line and no more.
			p.warn("line longer than %d bytes, skipped", maxLineLen)
		case slow:
			p.parseLine(text, pos, next)
		case i < len(text) && text[i] == '#':
			p.addFields(text, text[i+1:next])
		default:
			p.addFields(text, "")
		}
		pos = next
	}
	p.finish()
}

// Classes of bytes for parseText.
const (
	cField   = iota // part of a field
	cSpace          // an ASCII space other than newline, as unicode.IsSpace has them
	cNewline        // '\n'
	cHash           // '#'
	cOther          // not ASCII
)

var lineClass = func() (c [256]uint8) {
	for _, b := range "\t\v\f\r " {
		c[b] = cSpace
	}
	c['\n'] = cNewline
	c['#'] = cHash
	for b := utf8.RuneSelf; b < 256; b++ {
		c[b] = cOther
	}
	return c
}()

// parseLine parses the line text[pos:end] (its newline may be included),
// splitting it as strings.Cut at '#' and strings.Fields do.
func (p *parser) parseLine(text string, pos, end int) {
	body, comment, _ := strings.Cut(text[pos:end], "#")
	p.fields = p.fields[:0]
	for i := 0; ; {
		start, stop := nextField(body, i)
		if start == stop {
			break
		}
		p.fields = append(p.fields, span{int32(pos + start), int32(pos + stop)})
		i = stop
	}
	p.addFields(text, comment)
}

// nextField returns the bounds of the first field of s at or after i,
// splitting as strings.Fields does (around runs of unicode.IsSpace); start
// equals stop when there is none.
func nextField(s string, i int) (start, stop int) {
	for i < len(s) { // spaces
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	start = i
	for i < len(s) {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return start, i
}

// addFields takes in a line of text split into p.fields, with its comment,
// warning about what is wrong with it.
func (p *parser) addFields(text, comment string) {
	fields := p.fields
	switch len(fields) {
	case 0:
		return
	case 1:
		p.warn("%s: want \"name port/protocol [aliases]\"", quote(text[fields[0].start:fields[0].end]))
		return
	}
	name := text[fields[0].start:fields[0].end]
	k, ok := p.portProto(text[fields[1].start:fields[1].end], name)
	if !ok {
		return
	}
	start := len(p.names)
	if p.full {
		p.names = append(p.names, name)
	}
	for _, f := range fields[2:] {
		alias := text[f.start:f.end]
		if !validName(alias) {
			p.warn("bad alias %s dropped", quote(alias))
			continue
		}
		if p.full && !slices.Contains(p.names[start:], alias) {
			p.names = append(p.names, alias)
		}
	}
	if p.full {
		p.lines = append(p.lines, fileLine{k: k, start: int32(start), end: int32(len(p.names)), comment: comment})
	} else {
		p.heads = append(p.heads, head{k: k, name: fields[0]})
	}
}

// portProto reads a line's port/protocol field and checks its name, warning
// about the first problem. Protocols other than tcp and udp are not an
// error, but the line is not kept.
func (p *parser) portProto(field, name string) (key, bool) {
	slash := 0
	for slash < len(field) && field[slash] != '/' {
		slash++
	}
	if slash == len(field) {
		p.warn("%s is not port/protocol", quote(field))
		return 0, false
	}
	portText, protoText := field[:slash], field[slash+1:]
	port, ok := parsePort(portText)
	if !ok {
		p.warn("bad port %s: want 0-65535", quote(portText))
		return 0, false
	}
	if len(protoText) == 0 {
		p.warn("%s has no protocol", quote(field))
		return 0, false
	}
	proto := protoOf(protoText)
	if proto < 0 {
		return 0, false // sctp, ddp, ...: not ours to show
	}
	if !validName(name) {
		p.warn("bad service name %s", quote(name))
		return 0, false
	}
	return mkKey(proto, port), true
}

// parsePort parses a port as strconv.ParseUint(s, 10, 16) does: decimal
// digits only, leading zeros allowed, at most 65535.
func parsePort(s string) (uint16, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		d := int(s[i]) - '0'
		if d < 0 || d > 9 {
			return 0, false
		}
		if n = n*10 + d; n > 0xFFFF {
			return 0, false
		}
	}
	return uint16(n), true
}

// protoOf returns 0 for tcp and 1 for udp, in any case, and -1 for any
// other protocol. (Only ASCII letters lower-case to ASCII t, c, p, u, d,
// so this is strings.ToLower's answer.)
func protoOf(s string) int {
	if len(s) != 3 {
		return -1
	}
	switch {
	case s[0]|0x20 == 't' && s[1]|0x20 == 'c' && s[2]|0x20 == 'p':
		return 0
	case s[0]|0x20 == 'u' && s[1]|0x20 == 'd' && s[2]|0x20 == 'p':
		return 1
	}
	return -1
}

// validName accepts a name or alias: valid UTF-8, no control or space
// characters (bytes.Fields already split on spaces).
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f { // not printable ASCII: look closer
			return utf8.ValidString(s) && printable(s) && !strings.ContainsFunc(s, unicode.IsSpace)
		}
	}
	return s != ""
}

// cleanComment turns a trailing comment into a one-line description: valid
// UTF-8, control characters removed, spaces collapsed.
func cleanComment(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// quote quotes a bad token for a warning, shortened when long.
func quote(s string) string {
	if len(s) > maxQuotedLen {
		return strconv.Quote(s[:maxQuotedLen]) + "..."
	}
	return strconv.Quote(s)
}
