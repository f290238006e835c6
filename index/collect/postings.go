package collect

import (
	"bytes"
	"encoding/binary"
	"iter"
	"math/bits"
	"slices"
)

// Postings maps keys to ascending, distinct positions. It is an
// open-addressing hash table over the keys' hashes; key bytes live in one
// arena and positions in chained pages cut from large slabs, each page of
// a list twice the size of the one before (up to maxPageLevel), so adding
// an occurrence allocates nothing (but, now and then, a slab, a larger
// arena or table), nothing is copied as a list grows, reading a long list
// back touches few pages, and the GC has no pointers to scan. The zero
// value is ready.
type Postings struct {
	slots   []uint32 // entry index + 1; 0 is empty. len is a power of two.
	entries []entry
	arena   []byte
	slabs   [][]uint32 // pages; a page's last slot holds the next page's address
	fill    int        // used length of the last slab
	scratch []uint32   // the positions Sorted yields
}

type entry struct {
	hash uint64
	// w0 and w1 hold a key of at most 16 bytes as little-endian words
	// padded with zero bytes (zero for a longer key): addWords compares
	// them instead of the arena's bytes.
	w0, w1   uint64
	off, len uint32 // key bytes in arena
	list     PosList
	_        [8]byte // 64 bytes: one cache line
}

// PosList is a list of ascending, distinct positions in the pages of a
// Postings (which may also hold lists of no key: PairSet's key lists).
// The zero value is empty.
type PosList struct {
	n          uint32 // positions
	last       uint32 // the last position
	head, tail uint32 // addresses (slab<<slabBits | offset) of the first and last page
	used       uint32 // positions in the last page
	level      uint32 // the last page holds pageSlots(level) positions
}

// Len is the number of positions.
func (l *PosList) Len() int { return int(l.n) }

// Position pages: the page of level l is minPage<<l long, its last slot
// the address of the next page. A list's i-th page has level
// min(i, maxPageLevel).
const (
	minPage      = 8
	maxPageLevel = 6
	slabBits     = 16
	slabLen      = 1 << slabBits
)

func pageSlots(level uint32) uint32 { return minPage<<level - 1 }

// alloc returns the address of a fresh page of size uint32s.
func (p *Postings) alloc(size int) uint32 {
	if len(p.slabs) == 0 || p.fill+size > slabLen {
		p.slabs = append(p.slabs, make([]uint32, slabLen))
		p.fill = 0
	}
	addr := uint32(len(p.slabs)-1)<<slabBits | uint32(p.fill)
	p.fill += size
	return addr
}

// page returns the page at addr, of the given level.
func (p *Postings) page(addr, level uint32) []uint32 {
	off := addr & (slabLen - 1)
	return p.slabs[addr>>slabBits][off : off+pageSlots(level)+1]
}

// push appends pos to l unless it is l's last position already.
func (p *Postings) push(l *PosList, pos uint32) {
	switch {
	case l.n == 0:
		l.head = p.alloc(minPage)
		l.tail, l.level, l.used = l.head, 0, 0
	case l.last == pos:
		return
	case l.used == pageSlots(l.level):
		next := min(l.level+1, maxPageLevel)
		np := p.alloc(minPage << next)
		p.page(l.tail, l.level)[pageSlots(l.level)] = np
		l.tail, l.level, l.used = np, next, 0
	}
	p.page(l.tail, l.level)[l.used] = pos
	l.used++
	l.n++
	l.last = pos
}

// appendPos appends l's positions to dst.
func (p *Postings) appendPos(dst []uint32, l *PosList) []uint32 {
	dst = slices.Grow(dst, int(l.n))
	addr, level, left := l.head, uint32(0), l.n
	for left > 0 {
		page := p.page(addr, level)
		k := min(left, pageSlots(level))
		dst = append(dst, page[:k]...)
		left -= k
		addr = page[len(page)-1]
		level = min(level+1, maxPageLevel)
	}
	return dst
}

// minSlots is the table size of the first key.
const minSlots = 64

// hashKey is a fast 64-bit hash of b for the table (not stored anywhere).
func hashKey(b []byte) uint64 {
	const m1, m2 = 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9
	h := uint64(len(b)) * m1
	for len(b) >= 8 {
		hi, lo := bits.Mul64(h^binary.LittleEndian.Uint64(b), m2)
		h = hi ^ lo
		b = b[8:]
	}
	if len(b) > 0 {
		var t uint64
		for i, c := range b {
			t |= uint64(c) << (8 * i)
		}
		hi, lo := bits.Mul64(h^t, m1)
		h = hi ^ lo
	}
	h ^= h >> 32
	return h
}

// hashWords is hashKey of the n bytes (at most 16) held in w0 and w1 as
// little-endian words padded with zero bytes.
func hashWords(w0, w1 uint64, n int) uint64 {
	const m1, m2 = 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9
	h := uint64(n) * m1
	t := w0
	if n >= 8 {
		hi, lo := bits.Mul64(h^w0, m2)
		h, t = hi^lo, w1
		if n == 16 {
			hi, lo := bits.Mul64(h^w1, m2)
			h, t = hi^lo, 0
		}
	}
	if n&7 != 0 {
		hi, lo := bits.Mul64(h^t, m1)
		h = hi ^ lo
	}
	return h ^ h>>32
}

// addWords is Add of the n bytes (at most 16) held in w0 and w1 as
// little-endian words padded with zero bytes.
func (p *Postings) addWords(w0, w1 uint64, n int, pos uint32) {
	if p.slots == nil {
		p.slots = make([]uint32, minSlots)
	}
	h := hashWords(w0, w1, n)
	mask := len(p.slots) - 1
	i := int(h) & mask
	for ; ; i = (i + 1) & mask {
		s := p.slots[i]
		if s == 0 {
			break
		}
		if e := &p.entries[s-1]; e.hash == h && e.w0 == w0 && e.w1 == w1 && e.len == uint32(n) {
			p.push(&e.list, pos)
			return
		}
	}
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:], w0)
	binary.LittleEndian.PutUint64(buf[8:], w1)
	p.insert(i, h, buf[:n], w0, w1, pos)
}

// keyWords returns key (at most 16 bytes) as two little-endian words
// padded with zero bytes.
func keyWords(key []byte) (w0, w1 uint64) {
	var buf [16]byte
	copy(buf[:], key)
	return binary.LittleEndian.Uint64(buf[:]), binary.LittleEndian.Uint64(buf[8:])
}

// find returns the slot of key (hash h): the entry index + 1 there, or 0
// and the empty slot where it would go.
func (p *Postings) find(h uint64, key []byte) (slot int, idx uint32) {
	mask := len(p.slots) - 1
	if len(key) <= 16 {
		// Compared in the entry, without reading the arena.
		w0, w1 := keyWords(key)
		for i := int(h) & mask; ; i = (i + 1) & mask {
			s := p.slots[i]
			if s == 0 {
				return i, 0
			}
			if e := &p.entries[s-1]; e.hash == h && e.w0 == w0 && e.w1 == w1 && e.len == uint32(len(key)) {
				return i, s
			}
		}
	}
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := p.slots[i]
		if s == 0 {
			return i, 0
		}
		e := &p.entries[s-1]
		if e.hash == h && bytes.Equal(p.arena[e.off:e.off+e.len], key) {
			return i, s
		}
	}
}

// Add records pos under key. Positions must arrive in ascending order;
// repeats of the last one are dropped.
func (p *Postings) Add(key []byte, pos uint32) {
	p.add(hashKey(key), key, pos)
}

func (p *Postings) add(h uint64, key []byte, pos uint32) {
	if p.slots == nil {
		p.slots = make([]uint32, minSlots)
	}
	slot, s := p.find(h, key)
	if s != 0 {
		p.push(&p.entries[s-1].list, pos)
		return
	}
	var w0, w1 uint64
	if len(key) <= 16 {
		w0, w1 = keyWords(key)
	}
	p.insert(slot, h, key, w0, w1, pos)
}

// insert adds key (hash h, words w0 and w1) at the empty slot with pos.
func (p *Postings) insert(slot int, h uint64, key []byte, w0, w1 uint64, pos uint32) {
	off := len(p.arena)
	p.arena = append(p.arena, key...)
	p.entries = append(p.entries, entry{hash: h, w0: w0, w1: w1, off: uint32(off), len: uint32(len(key))})
	p.push(&p.entries[len(p.entries)-1].list, pos)
	p.slots[slot] = uint32(len(p.entries))
	if 2*len(p.entries) > len(p.slots) {
		p.grow()
	}
}

// grow doubles the table.
func (p *Postings) grow() {
	p.slots = make([]uint32, 2*len(p.slots))
	mask := len(p.slots) - 1
	for j := range p.entries {
		i := int(p.entries[j].hash) & mask
		for p.slots[i] != 0 {
			i = (i + 1) & mask
		}
		p.slots[i] = uint32(j + 1)
	}
}

// AddExisting records pos under key, like Add, if key is already held,
// and reports whether it was.
func (p *Postings) AddExisting(key []byte, pos uint32) bool {
	if p.slots == nil {
		return false
	}
	_, s := p.find(hashKey(key), key)
	if s == 0 {
		return false
	}
	p.push(&p.entries[s-1].list, pos)
	return true
}

// addIndex is Add, returning the index of key's entry: it stays key's
// for as long as p holds keys.
func (p *Postings) addIndex(key []byte, pos uint32) uint32 {
	p.Add(key, pos)
	_, s := p.find(hashKey(key), key)
	return s - 1
}

// existingIndex is AddExisting, returning the index of key's entry.
func (p *Postings) existingIndex(key []byte, pos uint32) (uint32, bool) {
	if p.slots == nil {
		return 0, false
	}
	_, s := p.find(hashKey(key), key)
	if s == 0 {
		return 0, false
	}
	p.push(&p.entries[s-1].list, pos)
	return s - 1, true
}

// pushIndex records pos under the key of entry i (from addIndex or
// existingIndex).
func (p *Postings) pushIndex(i, pos uint32) { p.push(&p.entries[i].list, pos) }

// Has reports whether key has positions.
func (p *Postings) Has(key []byte) bool {
	if p.slots == nil {
		return false
	}
	_, s := p.find(hashKey(key), key)
	return s != 0
}

// Get returns key's positions in a new slice, nil if none.
func (p *Postings) Get(key []byte) []uint32 {
	if p.slots == nil {
		return nil
	}
	if _, s := p.find(hashKey(key), key); s != 0 {
		return p.appendPos(nil, &p.entries[s-1].list)
	}
	return nil
}

// AppendPos appends key's positions to dst; nothing if key has none.
func (p *Postings) AppendPos(dst []uint32, key []byte) []uint32 {
	if p.slots == nil {
		return dst
	}
	if _, s := p.find(hashKey(key), key); s != 0 {
		return p.appendPos(dst, &p.entries[s-1].list)
	}
	return dst
}

// Len is the number of keys.
func (p *Postings) Len() int { return len(p.entries) }

// Sorted walks the keys in byte order with their positions. Both slices
// belong to p and are valid until the next step; do not add while
// walking.
func (p *Postings) Sorted() iter.Seq2[[]byte, []uint32] {
	return func(yield func([]byte, []uint32) bool) {
		order := make([]uint32, len(p.entries))
		for i := range order {
			order[i] = uint32(i)
		}
		key := func(i uint32) []byte {
			e := &p.entries[i]
			return p.arena[e.off : e.off+e.len]
		}
		slices.SortFunc(order, func(a, b uint32) int { return bytes.Compare(key(a), key(b)) })
		for _, i := range order {
			p.scratch = p.appendPos(p.scratch[:0], &p.entries[i].list)
			if !yield(key(i), p.scratch) {
				return
			}
		}
	}
}

// Longest walks the k keys with the most positions (fewer if there are
// fewer keys), most first, with their positions. Both slices belong to p
// and are valid until the next step.
func (p *Postings) Longest(k int) iter.Seq2[[]byte, []uint32] {
	return func(yield func([]byte, []uint32) bool) {
		// The k longest, most first, ties in entry order (a stable sort's
		// first k), kept in order as the entries go by: most entries are
		// shorter than the k-th and cost one comparison.
		top := make([]uint32, 0, min(k, len(p.entries)))
		for i := range p.entries {
			n := p.entries[i].list.n
			if len(top) == k && (k == 0 || n <= p.entries[top[k-1]].list.n) {
				continue
			}
			j := len(top)
			for j > 0 && p.entries[top[j-1]].list.n < n {
				j--
			}
			if len(top) < k {
				top = append(top, 0)
			}
			copy(top[j+1:], top[j:len(top)-1])
			top[j] = uint32(i)
		}
		for _, i := range top {
			e := &p.entries[i]
			p.scratch = p.appendPos(p.scratch[:0], &e.list)
			if !yield(p.arena[e.off:e.off+e.len], p.scratch) {
				return
			}
		}
	}
}

// Counts walks the keys, in no particular order, with their numbers of
// positions. The key belongs to p and is valid until the next step.
func (p *Postings) Counts() iter.Seq2[[]byte, int] {
	return func(yield func([]byte, int) bool) {
		for i := range p.entries {
			e := &p.entries[i]
			if !yield(p.arena[e.off:e.off+e.len], int(e.list.n)) {
				return
			}
		}
	}
}

// SortedKeys returns the keys in byte order, as strings.
func (p *Postings) SortedKeys() []string {
	out := make([]string, 0, len(p.entries))
	for k := range p.Sorted() {
		out = append(out, string(k))
	}
	return out
}
