package planner

import (
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// A bitset holds a chunk's candidate positions one bit each (position p is
// bit p%64 of word p/64), in words lent by a scratch. Long posting lists
// are read into bitsets (index.TokenBitsReader, index.PairBitsReader)
// because the words are reused from chunk to chunk: building a roaring
// bitmap per list per chunk allocated fresh memory each time, and a fresh
// page is what a short query pays most for (a fault costs ~14 µs on the
// 2-core VM the figures come from). Intersections and unions of bitsets
// are word by word; only the compiled answer becomes a roaring bitmap.

// scratch lends the bitsets of one compilation and takes them back. It is
// used by one goroutine at a time; the planner pools them.
type scratch struct {
	free [][]uint64
	out  int // bitsets lent and not given back
}

// get returns a zeroed bitset of n words.
func (s *scratch) get(n int) []uint64 {
	s.out++
	if k := len(s.free); k > 0 {
		w := s.free[k-1]
		s.free = s.free[:k-1]
		if cap(w) >= n {
			w = w[:n]
			clear(w)
			return w
		}
	}
	return make([]uint64, n)
}

// put takes w back; w must not be used after.
func (s *scratch) put(w []uint64) {
	if w != nil {
		s.out--
		s.free = append(s.free, w)
	}
}

// popcount is the number of positions in w.
func popcount(w []uint64) uint64 {
	n := 0
	for _, x := range w {
		n += bits.OnesCount64(x)
	}
	return uint64(n)
}

// andWords leaves in a the positions also in b.
func andWords(a, b []uint64) {
	b = b[:len(a)]
	for i := range a {
		a[i] &= b[i]
	}
}

// orWords adds the positions of b to a.
func orWords(a, b []uint64) {
	b = b[:len(a)]
	for i := range a {
		a[i] |= b[i]
	}
}

// flipWords complements a over positions [0, n).
func flipWords(a []uint64, n uint64) {
	for i := range a {
		a[i] = ^a[i]
	}
	if r := n % 64; r != 0 && len(a) > 0 {
		a[len(a)-1] &= 1<<r - 1
	}
}

// sparseLimit is the cardinality below which a bitmap meets a bitset
// value by value instead of being spread into words of its own.
func sparseLimit(words []uint64) uint64 { return uint64(len(words)) }

// keepIn returns the positions of bm that are in w, as a new bitmap.
func keepIn(bm *roaring.Bitmap, w []uint64) *roaring.Bitmap {
	var kept []uint32
	it := bm.Iterator()
	for it.HasNext() {
		if p := it.Next(); w[p>>6]&(1<<(p&63)) != 0 {
			kept = append(kept, p)
		}
	}
	return roaring.BitmapOf(kept...)
}

// addTo adds the positions of bm to w.
func (s *scratch) addTo(w []uint64, bm *roaring.Bitmap) {
	if bm.GetCardinality() <= sparseLimit(w) {
		it := bm.Iterator()
		for it.HasNext() {
			p := it.Next()
			w[p>>6] |= 1 << (p & 63)
		}
		return
	}
	t := s.spread(bm, len(w))
	orWords(w, t)
	s.put(t)
}

// spread returns a bitset of n words holding the positions of bm, lent
// like get's. (WriteDenseTo copies bitmap containers over what is there,
// so it writes into zeroed words only.)
func (s *scratch) spread(bm *roaring.Bitmap, n int) []uint64 {
	t := s.get(n)
	bm.WriteDenseTo(t)
	return t
}
