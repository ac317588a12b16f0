// Package portrange reads the port ranges that portwatch's inputs spell
// "N" or "N-M": services files, audit rules, pasta's port specs.
package portrange

import (
	"strconv"
	"strings"
)

// Parse reads "N" or "N-M", decimal ports 0 to 65535 with N <= M, and
// reports whether s is one; a single port is the range N-N. Callers that
// do not take port 0 check lo.
func Parse(s string) (lo, hi uint16, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	l, err := strconv.ParseUint(a, 10, 16)
	if err != nil {
		return 0, 0, false
	}
	h := l
	if isRange {
		if h, err = strconv.ParseUint(b, 10, 16); err != nil {
			return 0, 0, false
		}
	}
	if h < l {
		return 0, 0, false
	}
	return uint16(l), uint16(h), true
}
