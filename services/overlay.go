package services

import (
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// LoadFile reads a file in /etc/services syntax (see ParseServicesFile) and
// lays its names over the registry's: for every port/proto the file names,
// the file's first name becomes the display name. A later load wins over an
// earlier one, so load the host's /etc/services before the user's own file.
// source is recorded in Entry.Source; "" means path.
//
// A missing file gives an error wrapping fs.ErrNotExist, which callers
// loading an optional file can ignore. When some lines are bad, LoadFile
// still takes in every good line and returns a *FileError listing the
// skipped ones (a warning, not a failure).
func (r *Registry) LoadFile(path, source string) error {
	if source == "" {
		source = path
	}
	text, err := readFile(path)
	if err != nil {
		return err
	}
	// Name needs only each line's port and first name; the rest waits in
	// text until Lookup asks for it (layer.entry).
	p := parser{source: source, heads: make([]head, 0, strings.Count(text, "\n")+1)}
	p.parseText(text)
	r.addLayer(&layer{source: source, text: text}, p.heads)
	if len(p.warnings) > 0 {
		return &FileError{Path: path, Warnings: p.warnings}
	}
	return nil
}

// readFile returns the text of the file at path, read in one allocation
// for a regular file: the string shares the buffer the file was read into.
func readFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("services: %w", err)
	}
	defer f.Close()
	size := 512
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < maxFileSize {
		size = int(fi.Size()) + 1 // +1: room to find the end without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 1)
		}
		n, err := f.Read(buf[len(buf):min(cap(buf), maxFileSize+1)])
		buf = buf[:len(buf)+n]
		if len(buf) > maxFileSize {
			return "", fmt.Errorf("services: %s: larger than %d MiB, not loaded", path, maxFileSize>>20)
		}
		if err == io.EOF {
			// Nothing writes to buf again: the string can share it.
			return unsafe.String(unsafe.SliceData(buf), len(buf)), nil
		}
		if err != nil {
			return "", fmt.Errorf("services: reading %s: %w", path, err)
		}
	}
}

// layer is one loaded file.
type layer struct {
	source string
	text   string

	// entries is what the file says about each port/proto it names,
	// built from text by the first Lookup that needs it.
	once    sync.Once
	entries map[key]*Entry
}

// entry returns the file's entry for k: every name from every line naming
// k, distinct, in file order (getservbyport's first), and the first
// description. It is nil when the file does not name k.
func (l *layer) entry(k key) *Entry {
	l.once.Do(func() {
		p := parser{source: l.source, full: true}
		p.parseText(l.text)
		l.entries = make(map[key]*Entry, len(p.lines))
		for _, line := range p.lines {
			names := p.names[line.start:line.end]
			desc := cleanComment(line.comment)
			m := l.entries[line.k]
			if m == nil {
				l.entries[line.k] = &Entry{Proto: protoNames[line.k>>16], Port: uint16(line.k), Names: slices.Clone(names), Description: desc, Source: l.source}
				continue
			}
			for _, n := range names {
				m.Names = appendDistinct(m.Names, n)
			}
			if m.Description == "" {
				m.Description = desc
			}
		}
	})
	return l.entries[k]
}

// overlay holds the display names the loaded files give, for Name. Every
// port/proto some file names has a rank, 0 to n-1, and names[rank] is its
// display name. The rank is found in constant time: pages[p][port>>
// overlayShift] is 0 when the files name no port of that page, else 1 +
// the index in blocks of the page's block, whose mask has a bit for every
// port of the page the files name; the port's rank is the block's base plus
// the number of lower bits set. A page named costs 16 bytes.
type overlay struct {
	pages  [2][65536 >> overlayShift]uint16
	blocks []overlayBlock
	names  []string
}

// overlayShift: a page of the overlay has 1<<overlayShift ports, one bit
// each in a block's mask.
const overlayShift = 6

type overlayBlock struct {
	mask uint64 // bit i: the files name port page<<overlayShift | i
	base uint32 // the rank of the lowest port named in the page
}

// name returns the display name the files give protocol index p and port,
// "" when none names it.
func (o *overlay) name(p int, port uint16) string {
	b := o.pages[p&1][port>>overlayShift]
	if b == 0 {
		return ""
	}
	blk := &o.blocks[b-1]
	bit := uint64(1) << (port & (1<<overlayShift - 1))
	if blk.mask&bit == 0 {
		return ""
	}
	return o.names[blk.base+uint32(bits.OnesCount64(blk.mask&(bit-1)))]
}

// rank returns the rank of a port/proto the files name.
func (o *overlay) rank(k key) uint32 {
	blk := &o.blocks[o.pages[k>>16][uint16(k)>>overlayShift]-1]
	return blk.base + uint32(bits.OnesCount64(blk.mask&(1<<(k&(1<<overlayShift-1))-1)))
}

// addLayer adds a file, whose good lines' ports and first names are heads:
// its first name for a port/proto becomes the display name, over every
// earlier source's.
func (r *Registry) addLayer(l *layer, heads []head) {
	r.layers = append(r.layers, l)
	if len(heads) == 0 {
		return
	}
	o := r.over
	if o == nil {
		o = new(overlay)
		r.over = o
	}
	// The earlier files' masks and bases, to move their names to their new
	// ranks.
	oldBlocks := slices.Clone(o.blocks)
	oldNames := o.names
	// A block for every page the file is the first to name, then a bit for
	// every port.
	have, need := len(o.blocks), 0
	for _, h := range heads {
		if pg := &o.pages[h.k>>16][uint16(h.k)>>overlayShift]; *pg == 0 {
			need++
			*pg = uint16(have + need)
		}
	}
	o.blocks = slices.Grow(o.blocks, need)[:have+need]
	clear(o.blocks[have:])
	for _, h := range heads {
		o.blocks[o.pages[h.k>>16][uint16(h.k)>>overlayShift]-1].mask |= 1 << (h.k & (1<<overlayShift - 1))
	}
	// Rank anew (any order of the blocks will do) and move the names.
	n := uint32(0)
	for i := range o.blocks {
		o.blocks[i].base = n
		n += uint32(bits.OnesCount64(o.blocks[i].mask))
	}
	o.names = make([]string, n)
	for i, ob := range oldBlocks {
		nb := &o.blocks[i]
		for m, j := ob.mask, ob.base; m != 0; m &= m - 1 {
			bit := m & -m
			o.names[nb.base+uint32(bits.OnesCount64(nb.mask&(bit-1)))] = oldNames[j]
			j++
		}
	}
	// The file's first line for a port/proto gives the name: the last to
	// be written.
	for i := len(heads) - 1; i >= 0; i-- {
		h := &heads[i]
		o.names[o.rank(h.k)] = l.text[h.name.start:h.name.end]
	}
}
