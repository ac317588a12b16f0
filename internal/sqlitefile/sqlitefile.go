// Package sqlitefile reads the rows of a table from the bytes of an SQLite
// database file, and of its write-ahead log: enough to read another
// program's small state database (podman 5's) without linking an SQLite
// engine. It reads table b-trees and records as the file format
// (sqlite.org/fileformat.html) lays them out; it does not run SQL, read
// indexes or write anything. Every length and page number is checked
// against the bytes given: a damaged file is an error, never a panic.
package sqlitefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// DB is a database read from its bytes.
type DB struct {
	pageSize int
	usable   int            // page size less the reserved bytes at each page's end
	pages    []byte         // the main file
	wal      map[int][]byte // pages the log's committed frames replace, by number
	nPages   int            // the database's size in pages, the log's when it has one
}

// Value is a column's value: nil, int64, float64, string (TEXT) or
// []byte (BLOB).
type Value any

// Row is one row of a table: its rowid and its columns in order.
type Row struct {
	RowID   int64
	Columns []Value
}

const headerMagic = "SQLite format 3\x00"

// Open reads a database from the bytes of its file and, when not nil, of
// its write-ahead log (the -wal file beside it), whose committed frames
// are newer than the file. A file that is not an SQLite database is an
// error; a log that does not match the file is ignored up to its first
// frame that does not.
func Open(file, wal []byte) (*DB, error) {
	if len(file) < 100 || string(file[:16]) != headerMagic {
		return nil, errors.New("sqlite: not an SQLite 3 database")
	}
	size := int(binary.BigEndian.Uint16(file[16:18]))
	if size == 1 {
		size = 65536
	}
	if size < 512 || size&(size-1) != 0 {
		return nil, fmt.Errorf("sqlite: page size %d is not a power of two from 512 to 65536", size)
	}
	reserved := int(file[20])
	db := &DB{pageSize: size, usable: size - reserved, pages: file, nPages: len(file) / size}
	if db.usable < 480 {
		return nil, fmt.Errorf("sqlite: %d reserved bytes leave too little of a %d-byte page", reserved, size)
	}
	if n := int(binary.BigEndian.Uint32(file[28:32])); n > 0 && n < db.nPages {
		db.nPages = n
	}
	db.readWAL(wal)
	return db, nil
}

// readWAL takes the pages of the log's committed transactions: frames
// whose salts are the header's, up to the last with a commit mark.
func (db *DB) readWAL(wal []byte) {
	const walHeader, frameHeader = 32, 24
	if len(wal) < walHeader {
		return
	}
	magic := binary.BigEndian.Uint32(wal[0:4])
	if magic&^1 != 0x377f0682 || int(binary.BigEndian.Uint32(wal[8:12])) != db.pageSize {
		return
	}
	salt := wal[16:24]
	pending := map[int][]byte{}
	for off := walHeader; off+frameHeader+db.pageSize <= len(wal); off += frameHeader + db.pageSize {
		h := wal[off : off+frameHeader]
		if string(h[8:16]) != string(salt) {
			break // a frame of an earlier generation of the log
		}
		page := int(binary.BigEndian.Uint32(h[0:4]))
		if page < 1 {
			break
		}
		pending[page] = wal[off+frameHeader : off+frameHeader+db.pageSize]
		if commit := int(binary.BigEndian.Uint32(h[4:8])); commit > 0 {
			if db.wal == nil {
				db.wal = map[int][]byte{}
			}
			for n, p := range pending {
				db.wal[n] = p
			}
			clear(pending)
			db.nPages = commit
		}
	}
}

// stored is how many pages the bytes given hold: no chain of pages is
// longer.
func (db *DB) stored() int {
	return len(db.pages)/db.pageSize + len(db.wal)
}

// page returns page n (from 1), the log's copy when it has one.
func (db *DB) page(n int) ([]byte, error) {
	if n < 1 || n > db.nPages {
		return nil, fmt.Errorf("sqlite: page %d is outside the database's %d", n, db.nPages)
	}
	if p, ok := db.wal[n]; ok {
		return p, nil
	}
	start := (n - 1) * db.pageSize
	if start+db.pageSize > len(db.pages) {
		return nil, fmt.Errorf("sqlite: page %d is past the end of the file", n)
	}
	return db.pages[start : start+db.pageSize], nil
}

// Table returns the rows of the table called name (compared without
// case, as SQL does), in rowid order.
func (db *DB) Table(name string) ([]Row, error) {
	schema, err := db.rows(1)
	if err != nil {
		return nil, fmt.Errorf("sqlite: the schema: %w", err)
	}
	for _, r := range schema {
		// sqlite_schema: type, name, tbl_name, rootpage, sql.
		if len(r.Columns) < 4 {
			continue
		}
		typ, _ := r.Columns[0].(string)
		tbl, _ := r.Columns[1].(string)
		root, _ := r.Columns[3].(int64)
		if typ == "table" && strings.EqualFold(tbl, name) {
			if root < 1 || root > math.MaxInt32 {
				return nil, fmt.Errorf("sqlite: table %s has root page %d", name, root)
			}
			rows, err := db.rows(int(root))
			if err != nil {
				return nil, fmt.Errorf("sqlite: table %s: %w", name, err)
			}
			return rows, nil
		}
	}
	return nil, fmt.Errorf("sqlite: no table %s", name)
}

// rows walks the table b-tree rooted at page root.
func (db *DB) rows(root int) ([]Row, error) {
	var out []Row
	visited := map[int]bool{} // a b-tree's pages are its own, each once
	var walk func(n, depth int) error
	walk = func(n, depth int) error {
		if visited[n] || depth > 64 {
			return fmt.Errorf("page %d is in the b-tree twice, or it is deeper than a database can be", n)
		}
		visited[n] = true
		p, err := db.page(n)
		if err != nil {
			return err
		}
		hdr := 0
		if n == 1 {
			hdr = 100 // page 1 starts with the file's header
		}
		if len(p) < hdr+8 {
			return fmt.Errorf("page %d is too short", n)
		}
		kind := p[hdr]
		cells := int(binary.BigEndian.Uint16(p[hdr+3 : hdr+5]))
		ptrs := hdr + 8
		if kind == 0x05 {
			ptrs = hdr + 12
		}
		if ptrs+2*cells > len(p) {
			return fmt.Errorf("page %d: %d cells do not fit", n, cells)
		}
		for i := range cells {
			off := int(binary.BigEndian.Uint16(p[ptrs+2*i:]))
			if off < ptrs || off >= db.usable {
				return fmt.Errorf("page %d: cell %d at %d is outside the page", n, i, off)
			}
			switch kind {
			case 0x05: // interior: child page, then the rowid key
				if off+4 > db.usable {
					return fmt.Errorf("page %d: cell %d is cut", n, i)
				}
				if err := walk(int(binary.BigEndian.Uint32(p[off:])), depth+1); err != nil {
					return err
				}
			case 0x0d:
				row, err := db.leafCell(p, off)
				if err != nil {
					return fmt.Errorf("page %d: cell %d: %w", n, i, err)
				}
				out = append(out, row)
			default:
				return fmt.Errorf("page %d is not a table b-tree page (type %#x)", n, kind)
			}
		}
		if kind == 0x05 {
			return walk(int(binary.BigEndian.Uint32(p[hdr+8:])), depth+1)
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// leafCell reads a table leaf cell at off of page p: the payload's length,
// the rowid, the payload's start and, when it does not fit, the first of
// its overflow pages.
func (db *DB) leafCell(p []byte, off int) (Row, error) {
	cell := p[off:db.usable]
	size, n := varint(cell)
	if n == 0 || size > math.MaxInt32 {
		return Row{}, errors.New("bad payload length")
	}
	cell = cell[n:]
	rowid, n := varint(cell)
	if n == 0 {
		return Row{}, errors.New("bad rowid")
	}
	cell = cell[n:]
	payload, err := db.payload(cell, int(size))
	if err != nil {
		return Row{}, err
	}
	cols, err := decodeRecord(payload)
	if err != nil {
		return Row{}, err
	}
	return Row{RowID: int64(rowid), Columns: cols}, nil
}

// payload assembles a payload of size bytes that starts in cell, following
// its overflow chain where the format says it spills.
func (db *DB) payload(cell []byte, size int) ([]byte, error) {
	u := db.usable
	maxLocal := u - 35
	local := size
	if size > maxLocal {
		minLocal := (u-12)*32/255 - 23
		local = minLocal + (size-minLocal)%(u-4)
		if local > maxLocal {
			local = minLocal
		}
	}
	if local > len(cell) || (local < size && local+4 > len(cell)) {
		return nil, errors.New("the payload is cut")
	}
	out := make([]byte, 0, min(size, 1<<20))
	out = append(out, cell[:local]...)
	if local == size {
		return out, nil
	}
	next := int(binary.BigEndian.Uint32(cell[local:]))
	for hops := 0; len(out) < size; hops++ {
		if hops > db.stored() {
			return nil, errors.New("the overflow chain is longer than the database")
		}
		p, err := db.page(next)
		if err != nil {
			return nil, fmt.Errorf("overflow: %w", err)
		}
		chunk := p[4:u]
		if rest := size - len(out); rest < len(chunk) {
			chunk = chunk[:rest]
		}
		out = append(out, chunk...)
		next = int(binary.BigEndian.Uint32(p[0:4]))
	}
	return out, nil
}

// decodeRecord reads a record: a header of serial types, then the values.
func decodeRecord(rec []byte) ([]Value, error) {
	hlen, n := varint(rec)
	if n == 0 || hlen > uint64(len(rec)) || hlen < uint64(n) {
		return nil, errors.New("bad record header")
	}
	types := rec[n:hlen]
	body := rec[hlen:]
	var out []Value
	for len(types) > 0 {
		t, n := varint(types)
		if n == 0 {
			return nil, errors.New("bad serial type")
		}
		types = types[n:]
		size := serialSize(t)
		if size > uint64(len(body)) {
			return nil, errors.New("a value runs past the record")
		}
		v := body[:size]
		body = body[size:]
		switch {
		case t == 0:
			out = append(out, nil)
		case t <= 6:
			out = append(out, bigEndianInt(v))
		case t == 7:
			out = append(out, math.Float64frombits(binary.BigEndian.Uint64(v)))
		case t == 8 || t == 9:
			out = append(out, int64(t-8))
		case t >= 12 && t%2 == 0:
			out = append(out, append([]byte(nil), v...))
		case t >= 13:
			out = append(out, string(v))
		default:
			return nil, fmt.Errorf("reserved serial type %d", t)
		}
	}
	return out, nil
}

// serialSize is the length of a value of serial type t.
func serialSize(t uint64) uint64 {
	switch {
	case t <= 4:
		return [...]uint64{0, 1, 2, 3, 4}[t]
	case t == 5:
		return 6
	case t == 6 || t == 7:
		return 8
	case t < 12:
		return 0
	}
	return (t - 12) / 2
}

// bigEndianInt reads a two's-complement big-endian integer of 1 to 8
// bytes.
func bigEndianInt(b []byte) int64 {
	var v int64
	if len(b) > 0 && b[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

// varint reads SQLite's variable-length integer (1 to 9 bytes, big-endian
// groups of 7 bits, the ninth byte whole) and its length, 0 when b ends
// first.
func varint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < 9 && i < len(b); i++ {
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}
