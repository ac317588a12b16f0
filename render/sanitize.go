package render

import (
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Sanitize returns a copy of s that is safe to print on a terminal, for
// strings that came from the system (process and user names, host names,
// warnings). A process can name itself with escape sequences or newlines to
// hide or forge rows; after Sanitize such a name stays on one line and
// changes nothing on the screen.
//
// These become visible escapes:
//   - C0 controls and DEL: \n, \r, \t by name, the others as \x1b style;
//   - invalid UTF-8 bytes: \xff style;
//   - C1 controls (U+0080-U+009F), the line and paragraph separators
//     (U+2028, U+2029) and every format character (Unicode category Cf):
//     the bidi marks, embeddings, overrides and isolates (U+061C,
//     U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), the zero-width
//     characters (U+200B-U+200D, U+2060-U+2064, U+FEFF), the soft
//     hyphen U+00AD, U+180E, the tag characters (U+E0001,
//     U+E0020-U+E007F) and the others: \u202e style, \U000e0001 style
//     beyond U+FFFF.
//
// Everything else, including backslashes and printable non-ASCII text, is
// kept as is, so the result is not a reversible encoding (JSON output is the
// lossless form). When s is already clean Sanitize returns it without
// allocating.
func Sanitize(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return sanitizeFrom(s, i)
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, size) {
			return sanitizeFrom(s, i)
		}
		i += size
	}
	return s
}

// unsafeRune reports whether the non-ASCII rune r, decoded from size bytes,
// must be escaped: invalid UTF-8, C1 controls, line and paragraph
// separators, format characters (bidi controls, zero-width characters).
func unsafeRune(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true // C1
	case r < 0xad:
		return false // Latin-1 letters and signs: the first Cf is U+00AD
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

const hexDigits = "0123456789abcdef"

// appendRuneEscape appends r as Sanitize escapes it: \u and four hex
// digits, or \U and eight beyond U+FFFF.
func appendRuneEscape(b []byte, r rune) []byte {
	if r > 0xffff {
		b = append(b, '\\', 'U')
		for shift := 28; shift >= 0; shift -= 4 {
			b = append(b, hexDigits[r>>shift&0xf])
		}
		return b
	}
	return appendU4(b, r)
}

// appendJSONRuneEscape appends r as a JSON escape: \u and four hex digits,
// or a UTF-16 surrogate pair of them beyond U+FFFF.
func appendJSONRuneEscape(b []byte, r rune) []byte {
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		return appendU4(appendU4(b, hi), lo)
	}
	return appendU4(b, r)
}

// appendU4 appends \u and the four hex digits of r, at most U+FFFF.
func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// sanitizeFrom is Sanitize's slow path; s[:i] is known to be clean.
func sanitizeFrom(s string, i int) string {
	b := make([]byte, 0, len(s)+16)
	b = append(b, s[:i]...)
	return string(appendEscaped(b, s[i:]))
}

// appendSanitized appends Sanitize(s) to b without allocating a string.
func appendSanitized(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRuneInString(s[i:]); !unsafeRune(r, size) {
				i += size
				continue
			}
		}
		b = append(b, s[:i]...)
		return appendEscaped(b, s[i:])
	}
	return append(b, s...)
}

// appendEscaped appends s to b with the escapes Sanitize documents.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case unsafeRune(r, size):
			b = appendRuneEscape(b, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}
