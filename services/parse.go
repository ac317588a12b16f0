package services

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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
	p := parser{source: source}
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
			p.parseLine(line)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.warn("read error: %v", err)
			}
			break
		}
	}
	if p.dropped > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: %d more problems not shown", source, p.dropped))
	}
	return p.entries, p.warnings
}

type parser struct {
	source   string
	lineNo   int
	entries  []Entry
	warnings []string
	dropped  int
}

func (p *parser) warn(format string, args ...any) {
	if len(p.warnings) >= maxWarnings {
		p.dropped++
		return
	}
	p.warnings = append(p.warnings, fmt.Sprintf("%s:%d: ", p.source, p.lineNo)+fmt.Sprintf(format, args...))
}

func (p *parser) parseLine(line []byte) {
	body, comment, hasComment := bytes.Cut(line, []byte("#"))
	fields := bytes.Fields(body)
	if len(fields) == 0 {
		return
	}
	if len(fields) < 2 {
		p.warn("%s: want \"name port/protocol [aliases]\"", quote(fields[0]))
		return
	}
	portText, protoText, ok := bytes.Cut(fields[1], []byte("/"))
	if !ok {
		p.warn("%s is not port/protocol", quote(fields[1]))
		return
	}
	port, err := strconv.ParseUint(string(portText), 10, 16)
	if err != nil {
		p.warn("bad port %s: want 0-65535", quote(portText))
		return
	}
	if len(protoText) == 0 {
		p.warn("%s has no protocol", quote(fields[1]))
		return
	}
	proto := strings.ToLower(string(protoText))
	if protoIndex(proto) < 0 || len(proto) != 3 {
		return // sctp, ddp, ...: not ours to show
	}
	name := string(fields[0])
	if !validName(name) {
		p.warn("bad service name %s", quote(fields[0]))
		return
	}
	e := Entry{Proto: proto, Port: uint16(port), Names: []string{name}, Source: p.source}
	for _, a := range fields[2:] {
		alias := string(a)
		if !validName(alias) {
			p.warn("bad alias %s dropped", quote(a))
			continue
		}
		e.Names = appendDistinct(e.Names, alias)
	}
	if hasComment {
		e.Description = cleanComment(comment)
	}
	p.entries = append(p.entries, e)
}

// validName accepts a name or alias: valid UTF-8, no control or space
// characters (bytes.Fields already split on spaces).
func validName(s string) bool {
	return s != "" && utf8.ValidString(s) && printable(s) && !strings.ContainsFunc(s, unicode.IsSpace)
}

// cleanComment turns a trailing comment into a one-line description: valid
// UTF-8, control characters removed, spaces collapsed.
func cleanComment(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// quote quotes a bad token for a warning, shortened when long.
func quote(b []byte) string {
	if len(b) > maxQuotedLen {
		return strconv.Quote(string(b[:maxQuotedLen])) + "..."
	}
	return strconv.Quote(string(b))
}
