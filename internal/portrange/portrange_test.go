package portrange

import "testing"

func TestParse(t *testing.T) {
	for s, want := range map[string][2]uint16{"0": {0, 0}, "80": {80, 80}, "1-65535": {1, 65535}, "22-22": {22, 22}} {
		lo, hi, ok := Parse(s)
		if !ok || lo != want[0] || hi != want[1] {
			t.Errorf("Parse(%q) = %d, %d, %v; want %v", s, lo, hi, ok, want)
		}
	}
	for _, s := range []string{"", "-", "80-", "-80", "90-80", "65536", "1-65536", "x", "+1", "1-2-3", " 1"} {
		if lo, hi, ok := Parse(s); ok {
			t.Errorf("Parse(%q) = %d, %d, true; want not a range", s, lo, hi)
		}
	}
}
