package render

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"sshd", "sshd"},
		{"a b\\c", "a b\\c"},
		{"café 東京 🚀", "café 東京 🚀"},
		{"\ufffd", "\ufffd"}, // a valid U+FFFD stays
		{"a\nb", `a\nb`},
		{"a\r\tb", `a\r\tb`},
		{"\x00\x01\x1b\x7f", `\x00\x01\x1b\x7f`},
		{"evil\n\x1b[31mtcp  0.0.0.0:22", `evil\n\x1b[31mtcp  0.0.0.0:22`},
		{"\u0085\u009b31m", `\u0085\u009b31m`},
		{"x\u202egnp.exe", `x\u202egnp.exe`},
		{"\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{"a\u2028b\u2029", `a\u2028b\u2029`},
		{"\xff\xfe", `\xff\xfe`},
		{"ok\xc3", `ok\xc3`},             // truncated sequence
		{"\xed\xa0\x80", `\xed\xa0\x80`}, // surrogate half
		{"é\xc3\xa9", "é\u00e9"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSanitizeFormatCharacters checks that the invisible format characters
// that reorder or hide text (bidi marks, zero-width characters, tags) are
// escaped, and that visible neighbours of theirs are not.
func TestSanitizeFormatCharacters(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"\u00ad", `\u00ad`}, // soft hyphen
		{"\u0600\u0605\u06dd\u070f\u08e2", `\u0600\u0605\u06dd\u070f\u08e2`},
		{"a\u061cb", `a\u061cb`},         // Arabic letter mark
		{"\u180e", `\u180e`},             // Mongolian vowel separator
		{"\u200b", `\u200b`},             // zero width space
		{"\u200c\u200d", `\u200c\u200d`}, // zero width non-joiner, joiner
		{"x\u200eexe.txt", `x\u200eexe.txt`},
		{"x\u200fexe.txt", `x\u200fexe.txt`},
		{"\u202a\u202b\u202c\u202d\u202e", `\u202a\u202b\u202c\u202d\u202e`},
		{"\u2060\u2061\u2062\u2063\u2064", `\u2060\u2061\u2062\u2063\u2064`},
		{"\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"\u206a\u206f", `\u206a\u206f`}, // deprecated format controls
		{"\ufeffsshd", `\ufeffsshd`},     // zero width no-break space (BOM)
		{"\ufff9\ufffb", `\ufff9\ufffb`}, // interlinear annotation
		{"\U000110bd", `\U000110bd`},     // Kaithi number sign
		{"\U0001d173\U0001d17a", `\U0001d173\U0001d17a`},
		{"ssh\U000e0001\U000e0041\U000e007f", `ssh\U000e0001\U000e0041\U000e007f`}, // tags
		// Visible characters next to those ranges stay.
		{"\u00ac\u00ae\u061b\u2010\u2065\u2070\ufefe\ufffc\ufffd", "\u00ac\u00ae\u061b\u2010\u2065\u2070\ufefe\ufffc\ufffd"},
		{"\U0001d172\U000e0080", "\U0001d172\U000e0080"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(appendSanitized([]byte("p:"), tt.in)); got != "p:"+tt.want {
			t.Errorf("appendSanitized(%q) = %q, want %q", tt.in, got, "p:"+tt.want)
		}
	}
}

func TestSanitizeCleanDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"nginx", "avahi-daemon", "Web Content", "café 東京"} {
		if n := testing.AllocsPerRun(100, func() { _ = Sanitize(s) }); n != 0 {
			t.Errorf("Sanitize(%q) allocates %v times, want 0", s, n)
		}
		if Sanitize(s) != s {
			t.Errorf("clean %q changed", s)
		}
	}
}

// terminalUnsafe reports whether a terminal could act on r or hide or
// reorder text with it: the controls (C0, DEL, C1), the format characters
// (bidi controls, zero-width characters) and the line and paragraph
// separators, by their Unicode categories.
func terminalUnsafe(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}

// checkSanitized fails when s holds anything Sanitize must escape.
func checkSanitized(t *testing.T, in, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("Sanitize(%q) = %q: invalid UTF-8", in, s)
	}
	for _, r := range s {
		if terminalUnsafe(r) {
			t.Fatalf("Sanitize(%q) = %q keeps %U", in, s, r)
		}
	}
}

func TestSanitizeAllBytes(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 256; i++ {
		b.WriteByte(byte(i))
	}
	in := b.String()
	checkSanitized(t, in, Sanitize(in))
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"sshd", "evil\n\x1b[31m", "\u202e\u0085", "\xff", "café"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		checkSanitized(t, in, out)
		if again := Sanitize(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		if len(out) < len(in) {
			t.Fatalf("Sanitize(%q) = %q lost bytes", in, out)
		}
	})
}
