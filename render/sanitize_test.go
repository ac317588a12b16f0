package render

import (
	"strings"
	"testing"
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

// checkSanitized fails when s holds anything Sanitize must escape.
func checkSanitized(t *testing.T, in, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("Sanitize(%q) = %q: invalid UTF-8", in, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029 {
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
