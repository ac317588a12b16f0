package render

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// This file measures sanitized text in terminal cells and cuts it to a
// width. Every width in render comes from displayWidth, so the table, the
// live view and the audit agree with tablewriter on how wide a cell is.

// ellipsis marks text cut to fit.
const ellipsis = "…"

// ellipsisWidth is the display width of ellipsis: 1, or 2 where East
// Asian ambiguous characters are wide (twwidth's setting, which may change).
func ellipsisWidth() int { return displayWidth([]byte(ellipsis)) }

// displayWidth is the display width of a sanitized cell as tablewriter
// measures it: its length when it is ASCII (Sanitize leaves no control
// bytes, so every byte is one column), twwidth.Width otherwise.
func displayWidth(cell []byte) int {
	i := 0
	for ; i+8 <= len(cell); i += 8 {
		if binary.LittleEndian.Uint64(cell[i:])&0x8080808080808080 != 0 {
			return twwidth.Width(string(cell))
		}
	}
	for ; i < len(cell); i++ {
		if cell[i] >= utf8.RuneSelf {
			return twwidth.Width(string(cell))
		}
	}
	return len(cell)
}

// cutRight returns b cut to at most w display cells, ending in the
// ellipsis when it was cut, and its width. It may write into b's array
// past the cut.
func cutRight(b []byte, w int) ([]byte, int) {
	if bw := displayWidth(b); bw <= w {
		return b, bw
	}
	if w <= 0 {
		return b[:0], 0
	}
	ellW := ellipsisWidth()
	room := w - ellW
	if room < 0 {
		room = w // no room for the ellipsis: just cut
	}
	n, used := 0, 0
	for n < len(b) {
		_, size := utf8.DecodeRune(b[n:])
		rw := displayWidth(b[n : n+size])
		if used+rw > room {
			break
		}
		n += size
		used += rw
	}
	if room == w {
		return b[:n], used
	}
	return append(b[:n], ellipsis...), used + ellW
}

// cutLeft is cutRight keeping the end of b, starting with the ellipsis. It
// returns a new slice when it cuts.
func cutLeft(b []byte, w int) ([]byte, int) {
	if bw := displayWidth(b); bw <= w {
		return b, bw
	}
	if w <= 0 {
		return b[:0], 0
	}
	ellW := ellipsisWidth()
	room := w - ellW
	withEll := room >= 0
	if !withEll {
		room = w
	}
	n, used := len(b), 0
	for n > 0 {
		_, size := utf8.DecodeLastRune(b[:n])
		rw := displayWidth(b[n-size : n])
		if used+rw > room {
			break
		}
		n -= size
		used += rw
	}
	out := make([]byte, 0, len(ellipsis)+len(b)-n)
	if withEll {
		out = append(out, ellipsis...)
		used += ellW
	}
	return append(out, b[n:]...), used
}

// trimSpaces removes the spaces at the end of b.
func trimSpaces(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}
