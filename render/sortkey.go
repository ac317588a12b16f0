package render

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"
	"slices"
	"strings"

	"github.com/portwatch/portwatch/collector"
)

// How Sort sorts. Each socket gets one fixed-size key, a string of bits
// compared as unsigned words: the fields the order compares, most
// significant first, and last the socket's index, which makes every key
// distinct (so the sort is stable) and tells where the socket came from.
//
// A field keeps only the bits that vary between the sockets being sorted:
// the bits above its highest varying bit are the same in every key, so
// dropping them keeps the order. Strings (zones, service and process names,
// state names) are replaced by their rank among the distinct strings. So a
// host's 120k sockets usually need 3 to 5 words of key instead of the 9
// words the fields take at full width.
//
// The keys are sorted with an in-place MSD radix sort (no comparison
// function call per step, no second buffer); then the sockets are moved
// into place along the cycles of the permutation, so the only memory Sort
// takes is the keys (and, for string keys, a hash table of the strings).
// The live view sorts the same keys but moves its row indexes instead
// (sortIndex).

// Fields of a sort key.
const (
	fNetns   = iota // the namespace's inode: every order groups by namespace
	fMissing        // sortVal.missing
	fNum            // sortVal.num
	fStr            // rank of sortVal.str
	fProto
	fFamily
	fLocalBits // 0 invalid, 1 IPv4, 2 IPv6: netip.Addr.BitLen's order
	fLocalHi
	fLocalLo
	fLocalZone // rank of the zone, 0 for none
	fLocalPort
	fRemoteBits
	fRemoteHi
	fRemoteLo
	fRemoteZone
	fRemotePort
	fInode
	fIndex
	numKeyFields
)

// maxKeyWords is the most words a key takes: every field at full width.
const maxKeyWords = 10

// Fields of the keys, most significant first: the default order, the
// local and remote orders, and the orders by a sortVal.
var (
	defaultKeyFields = []uint8{fNetns, fProto, fFamily,
		fLocalBits, fLocalHi, fLocalLo, fLocalZone, fLocalPort,
		fRemoteBits, fRemoteHi, fRemoteLo, fRemoteZone, fRemotePort,
		fInode, fIndex}
	localKeyFields = []uint8{fNetns, fLocalBits, fLocalHi, fLocalLo, fLocalZone, fLocalPort,
		fProto, fFamily,
		fRemoteBits, fRemoteHi, fRemoteLo, fRemoteZone, fRemotePort,
		fInode, fIndex}
	remoteKeyFields = []uint8{fNetns, fRemoteBits, fRemoteHi, fRemoteLo, fRemoteZone, fRemotePort,
		fProto, fFamily,
		fLocalBits, fLocalHi, fLocalLo, fLocalZone, fLocalPort,
		fInode, fIndex}
	valueKeyFields = []uint8{fNetns, fMissing, fNum, fStr, fProto, fFamily,
		fLocalBits, fLocalHi, fLocalLo, fLocalZone, fLocalPort,
		fRemoteBits, fRemoteHi, fRemoteLo, fRemoteZone, fRemotePort,
		fInode, fIndex}
)

// keyFields lists the fields of key k, most significant first.
func keyFields(k sortKey) []uint8 {
	switch k {
	case sortDefault:
		return defaultKeyFields
	case sortLocal:
		return localKeyFields
	case sortRemote:
		return remoteKeyFields
	}
	return valueKeyFields
}

// keyPlan is how one Sort call packs its keys.
type keyPlan struct {
	k      sortKey
	svc    ServiceNamer
	fields []uint8
	width  [numKeyFields]uint     // bits kept of each field
	bits   uint                   // bits of a key
	words  int                    // words of a key
	places [numKeyFields]keyPlace // where the fields with bits go
	nplace int
	zones  map[string]uint64 // zone -> rank (from 1); nil when no zone
	ranked bool              // strs ranks sortVal.str
	strs   stringRanks
}

// sortPacked sorts socks by key k, in place; or, when idx is not nil, it
// leaves socks alone and puts idx, whose idx[n] belongs to socks[n], in
// the sorted order.
func sortPacked(socks []collector.Socket, k sortKey, svc ServiceNamer, idx []int) {
	if len(socks) < 2 {
		return
	}
	if k == sortProto {
		k = sortDefault // proto, then family, is how the default order starts
	}
	p := keyPlan{k: k, svc: svc, fields: keyFields(k)}
	p.measure(socks)
	switch {
	case p.words <= 1:
		sortByKeys[[1]uint64](socks, idx, &p)
	case p.words <= 2:
		sortByKeys[[2]uint64](socks, idx, &p)
	case p.words <= 3:
		sortByKeys[[3]uint64](socks, idx, &p)
	case p.words <= 4:
		sortByKeys[[4]uint64](socks, idx, &p)
	case p.words <= 6:
		sortByKeys[[6]uint64](socks, idx, &p)
	default:
		sortByKeys[[maxKeyWords]uint64](socks, idx, &p)
	}
}

// keyPlace is where a field goes in a key: the field's value, masked,
// shifted left by shift into word, or when it straddles two words, shifted
// right by shift into word and left by shift2 into the next one.
type keyPlace struct {
	mask                       uint64
	field, word, shift, shift2 uint8
	straddles                  bool
}

// keyValues are one socket's field values, before trimming to width.
type keyValues [numKeyFields]uint64

// values fills v with the fields of s, socks[i], that need no ranking and
// returns sortVal.str. With ranks, it also fills the ranked fields (zones
// and strings).
func (p *keyPlan) values(v *keyValues, s *collector.Socket, i int, ranks bool) (str string) {
	v[fNetns] = s.Netns
	v[fProto], v[fFamily] = uint64(s.Proto), uint64(s.Family)
	v[fLocalBits], v[fLocalHi], v[fLocalLo] = addrKey(s.Local.Addr())
	v[fLocalPort] = uint64(s.Local.Port())
	v[fRemoteBits], v[fRemoteHi], v[fRemoteLo] = addrKey(s.Remote.Addr())
	v[fRemotePort] = uint64(s.Remote.Port())
	v[fInode] = s.Inode
	v[fIndex] = uint64(i)
	var sv sortVal
	switch p.k {
	case sortDefault, sortLocal, sortRemote:
	default:
		sv = sortValue(s, p.k, p.svc)
		if sv.missing {
			v[fMissing] = 1
		} else {
			v[fMissing] = 0
		}
		v[fNum] = sv.num
	}
	if !ranks {
		return sv.str
	}
	v[fLocalZone], v[fRemoteZone] = 0, 0
	if p.zones != nil {
		v[fLocalZone] = p.zones[s.Local.Addr().Zone()]
		v[fRemoteZone] = p.zones[s.Remote.Addr().Zone()]
	}
	v[fStr] = 0
	if p.ranked && sv.str != "" {
		v[fStr] = p.strs.rank(sv.str)
	}
	return sv.str
}

// addrKey returns a's place in netip.Addr.Compare's order, zone aside:
// 0, 1, 2 for invalid, IPv4 and IPv6, then the 128 bits (IPv4 as
// ::ffff:a.b.c.d, as netip keeps it).
func addrKey(a netip.Addr) (family, hi, lo uint64) {
	switch {
	case a.Is4():
		family = 1
	case a.Is6():
		family = 2
	default:
		return 0, 0, 0
	}
	a16 := a.As16()
	return family, binary.BigEndian.Uint64(a16[:8]), binary.BigEndian.Uint64(a16[8:])
}

// measure finds the bits each field needs, ranks zones and strings, and
// sets p.words.
func (p *keyPlan) measure(socks []collector.Socket) {
	var first, v keyValues
	var varying [numKeyFields]uint64
	p.values(&first, &socks[0], 0, false)
	switch p.k {
	case sortState, sortService, sortProcess:
		p.ranked = true
		p.strs.init(len(socks))
	}
	for i := range socks {
		s := &socks[i]
		str := p.values(&v, s, i, false)
		for f := range v {
			varying[f] |= v[f] ^ first[f]
		}
		if z := s.Local.Addr().Zone(); z != "" {
			p.addZone(z)
		}
		if z := s.Remote.Addr().Zone(); z != "" {
			p.addZone(z)
		}
		if p.ranked && str != "" {
			p.strs.add(str)
		}
	}
	for f := range varying {
		p.width[f] = uint(bits.Len64(varying[f]))
	}
	p.width[fLocalZone], p.width[fRemoteZone] = 0, 0
	if p.zones != nil {
		names := make([]string, 0, len(p.zones))
		for z := range p.zones {
			names = append(names, z)
		}
		slices.Sort(names)
		for i, z := range names {
			p.zones[z] = uint64(i + 1)
		}
		p.width[fLocalZone] = uint(bits.Len64(uint64(len(names))))
		p.width[fRemoteZone] = p.width[fLocalZone]
	}
	p.width[fStr] = 0
	if p.ranked {
		// "" (and a missing value) ranks 0, before every other string.
		p.width[fStr] = uint(bits.Len64(uint64(p.strs.finish())))
	}
	p.bits = 0
	p.nplace = 0
	for _, f := range p.fields {
		n := p.width[f]
		if n == 0 {
			continue
		}
		pl := keyPlace{mask: 1<<n - 1, field: f, word: uint8(p.bits / 64)}
		if n == 64 {
			pl.mask = 1<<64 - 1
		}
		// The field takes bits p.bits to p.bits+n-1, counted from the top
		// of word 0.
		if free := 64 - p.bits%64; n <= free {
			pl.shift = uint8(free - n)
		} else {
			pl.straddles = true
			pl.shift = uint8(n - free)
			pl.shift2 = uint8(64 - (n - free))
		}
		p.places[p.nplace] = pl
		p.nplace++
		p.bits += n
	}
	p.words = max(1, int((p.bits+63)/64))
}

// addZone records zone z for ranking.
func (p *keyPlan) addZone(z string) {
	if p.zones == nil {
		p.zones = make(map[string]uint64)
	}
	p.zones[z] = 0
}

// packKey writes the key of socket s, socks[i], into the zeroed *key.
func packKey[K keyWords](p *keyPlan, key *K, s *collector.Socket, i int) {
	var v keyValues
	p.values(&v, s, i, true)
	for _, pl := range p.places[:p.nplace] {
		x := v[pl.field] & pl.mask
		if !pl.straddles {
			(*key)[pl.word] |= x << pl.shift
		} else {
			(*key)[pl.word] |= x >> pl.shift
			(*key)[pl.word+1] |= x << pl.shift2
		}
	}
}

// keyIndex returns the socket index packed last in key.
func keyIndex[K keyWords](p *keyPlan, key K) int {
	n := p.width[fIndex]
	if n == 0 {
		return 0
	}
	pos := p.bits - n
	word, off := pos/64, pos%64
	var x uint64
	if free := 64 - off; n <= free {
		x = key[word] >> (free - n)
	} else {
		x = key[word]<<(n-free) | key[word+1]>>(64-(n-free))
	}
	return int(x & (1<<n - 1))
}

// keyWords are the key sizes sortByKeys is made for.
type keyWords interface {
	[1]uint64 | [2]uint64 | [3]uint64 | [4]uint64 | [6]uint64 | [maxKeyWords]uint64
}

// compareKeys compares two keys as unsigned numbers.
func compareKeys[K keyWords](a, b K) int {
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// sortByKeys packs a key of type K per socket, sorts the keys and moves
// the sockets into place, or idx when it is not nil.
func sortByKeys[K keyWords](socks []collector.Socket, idx []int, p *keyPlan) {
	keys := make([]K, len(socks))
	for i := range socks {
		packKey(p, &keys[i], &socks[i], i)
	}
	sorted := true
	for i := 1; i < len(keys); i++ {
		if compareKeys(keys[i-1], keys[i]) > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	radixSortKeys(keys, 0)

	// The element keys[j] came from belongs at j. Keep those indexes in
	// the words of keys, index j in word j (written after keys[j], which
	// holds word j or a later one, is read), then move the elements.
	for j := range keys {
		setPermIndex(keys, j, keyIndex(p, keys[j]))
	}
	if idx != nil {
		permute(keys, idx)
	} else {
		permute(keys, socks)
	}
}

// permute moves xs[permIndex(keys, j)] to xs[j] for every j, following
// each cycle of the permutation and marking done places with their own
// index.
func permute[K keyWords, T any](keys []K, xs []T) {
	for i := range xs {
		if permIndex(keys, i) == i {
			continue
		}
		tmp := xs[i]
		j := i
		for {
			from := permIndex(keys, j)
			setPermIndex(keys, j, j)
			if from == i {
				xs[j] = tmp
				break
			}
			xs[j] = xs[from]
			j = from
		}
	}
}

// permIndex returns word j of keys, taken as one array of words.
func permIndex[K keyWords](keys []K, j int) int {
	var k K
	return int(keys[j/len(k)][j%len(k)])
}

// setPermIndex sets word j of keys, taken as one array of words.
func setPermIndex[K keyWords](keys []K, j, v int) {
	var k K
	keys[j/len(k)][j%len(k)] = uint64(v)
}

// radixSortKeys sorts keys whose first d bytes (counted from the top of
// word 0) are equal: an in-place MSD radix sort on the following bytes
// (American flag sort), with insertion sort for small buckets. Keys are
// distinct, so they are in order before the bytes run out.
func radixSortKeys[K keyWords](keys []K, d int) {
	var k K
	for nbytes := len(k) * 8; d < nbytes; d++ {
		if len(keys) <= 32 {
			break
		}
		w, shift := d/8, 56-8*(d%8)
		var count [256]int
		for i := range keys {
			count[byte(keys[i][w]>>shift)]++
		}
		if count[byte(keys[0][w]>>shift)] == len(keys) {
			continue // one bucket: on to the next byte
		}
		var next, end [256]int
		n := 0
		for c := range count {
			next[c] = n
			n += count[c]
			end[c] = n
		}
		for c := range 256 {
			for next[c] < end[c] {
				// Move the key at next[c] to its bucket, taking the key
				// there, until one belongs to bucket c.
				x := keys[next[c]]
				for xc := int(byte(x[w] >> shift)); xc != c; xc = int(byte(x[w] >> shift)) {
					j := next[xc]
					next[xc]++
					x, keys[j] = keys[j], x
				}
				keys[next[c]] = x
				next[c]++
			}
		}
		n = 0
		for c := range count {
			if count[c] > 1 {
				radixSortKeys(keys[n:n+count[c]], d+1)
			}
			n += count[c]
		}
		return
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && compareKeys(keys[j], keys[j-1]) < 0; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

// stringRanks gives each distinct string its rank in string order, with
// an open-addressing hash table, so that it allocates the same few times
// for any number of strings.
type stringRanks struct {
	seed  maphash.Seed
	slots []uint32 // 0: empty; else 1 + an index into strs
	strs  []string // the distinct strings; sorted by finish
}

// init makes room for up to max strings.
func (r *stringRanks) init(max int) {
	size := 8
	for size < 2*max {
		size *= 2
	}
	r.seed = maphash.MakeSeed()
	r.slots = make([]uint32, size)
	r.strs = make([]string, 0, max)
}

// slot returns the index of s's slot: the one holding s, or the empty one
// where it belongs.
func (r *stringRanks) slot(s string) int {
	mask := len(r.slots) - 1
	i := int(maphash.String(r.seed, s)) & mask
	for {
		j := r.slots[i]
		if j == 0 || r.strs[j-1] == s {
			return i
		}
		i = (i + 1) & mask
	}
}

// add records s.
func (r *stringRanks) add(s string) {
	if i := r.slot(s); r.slots[i] == 0 {
		r.strs = append(r.strs, s)
		r.slots[i] = uint32(len(r.strs))
	}
}

// finish sorts the strings and returns the largest rank: the distinct
// strings rank from 1, "" ranks 0.
func (r *stringRanks) finish() int {
	slices.SortFunc(r.strs, strings.Compare)
	clear(r.slots)
	for i, s := range r.strs {
		r.slots[r.slot(s)] = uint32(i + 1)
	}
	return len(r.strs)
}

// rank returns the rank of s, which must have been added.
func (r *stringRanks) rank(s string) uint64 {
	return uint64(r.slots[r.slot(s)])
}
