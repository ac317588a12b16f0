package render

import (
	"encoding/binary"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/clipperhouse/displaywidth"
)

// This file measures sanitized text in terminal cells and cuts it to a
// width. Every width in render comes from displayWidth, so the table, the
// live view and the audit agree on how wide a cell is.

// ellipsis marks text cut to fit.
const ellipsis = "…"

// ellipsisWidth is the display width of ellipsis: 1, or 2 where East
// Asian ambiguous characters are wide.
func ellipsisWidth() int { return displayWidth([]byte(ellipsis)) }

// displayWidth is the display width of a sanitized cell: its length when
// it is ASCII (Sanitize leaves no control bytes, so every byte is one
// column), the sum of its runes' East Asian Width otherwise (wide
// characters two columns, combining marks none, ambiguous ones one or two
// as eastAsianWide says).
func displayWidth(cell []byte) int {
	i := 0
	for ; i+8 <= len(cell); i += 8 {
		if binary.LittleEndian.Uint64(cell[i:])&0x8080808080808080 != 0 {
			return runesWidth(cell)
		}
	}
	for ; i < len(cell); i++ {
		if cell[i] >= utf8.RuneSelf {
			return runesWidth(cell)
		}
	}
	return len(cell)
}

// displayWidthString is displayWidth of a string.
func displayWidthString(cell string) int {
	if isPrintableASCII(cell) {
		return len(cell)
	}
	return runesWidth([]byte(cell))
}

// runesWidth sums the widths of b's runes. Rune by rune, not by grapheme
// cluster: terminals advance the cursor per rune, and the characters that
// join runes into one cluster (ZWJ, variation selectors aside) are escaped
// by Sanitize.
func runesWidth(b []byte) int {
	opts := displaywidth.Options{EastAsianWidth: eastAsianWide()}
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		n += opts.Rune(r)
		b = b[size:]
	}
	return n
}

// eastAsianWide reports whether East Asian ambiguous characters (such as
// ±, é and the ellipsis) take two columns. It is decided once, on first
// use: RUNEWIDTH_EASTASIAN (1, on, true or yes; 0, off, false or no) says
// so outright; otherwise they are wide only in a Chinese, Japanese or
// Korean locale outside the terminals that draw them narrow whatever the
// locale (xterm and its kind, screen, tmux, VTE-based ones, and any that
// sets TERM_PROGRAM). Tests replace it.
var eastAsianWide = sync.OnceValue(func() bool {
	return detectEastAsianWide(os.Getenv)
})

// detectEastAsianWide is eastAsianWide's rule, reading the environment
// through getenv.
func detectEastAsianWide(getenv func(string) string) bool {
	switch strings.ToLower(getenv("RUNEWIDTH_EASTASIAN")) {
	case "1", "on", "true", "yes":
		return true
	case "0", "off", "false", "no":
		return false
	}
	if getenv("TERM_PROGRAM") != "" || getenv("TERM_PROGRAM_WSL") != "" || getenv("VTE_VERSION") != "" ||
		getenv("ALACRITTY_LOG") != "" || getenv("WT_PROFILE_ID") != "" {
		return false
	}
	term := strings.ToLower(getenv("TERM"))
	for _, modern := range []string{"xterm", "screen", "tmux", "kitty", "ghostty", "wezterm"} {
		if strings.Contains(term, modern) && term != "xterm-mono" {
			return false
		}
	}
	locale := getenv("LC_ALL")
	if locale == "" {
		locale = getenv("LC_CTYPE")
	}
	if locale == "" {
		locale = getenv("LANG")
	}
	return isCJKLocale(locale)
}

// isCJKLocale reports whether a locale name (language[_TERRITORY][.codeset]
// [@modifier]) is Chinese, Japanese or Korean by language, or set in a
// territory that writes one of them.
func isCJKLocale(locale string) bool {
	locale = strings.ToLower(locale)
	if i := strings.IndexAny(locale, ".@"); i >= 0 {
		locale = locale[:i]
	}
	lang, territory, _ := strings.Cut(strings.ReplaceAll(locale, "-", "_"), "_")
	switch lang {
	case "zh", "ja", "ko", "chi", "zho", "jpn", "kor", "chinese", "japanese", "korean":
		return true
	}
	switch territory {
	case "cn", "tw", "hk", "mo", "jp", "kr", "kp", "sg":
		return true
	}
	return false
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
