package dict

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Subset lists. Tokens of one log template appear in subsets of each
// other's records ("completed" only where "duration_ms" is, which is only
// where "level" is): such a list is much shorter written as the ranks of
// its positions within a parent list of the same dictionary:
//
//	subset   uvarint(encSubset) | uvarint(len(parent)) | parent | ranks
//
// parent is the parent's key and ranks a posting list (any encoding but
// subset) of indexes into the parent's positions: rank r stands for the
// parent's r-th position. A parent may itself be a subset list, at most
// MaxSubsetDepth deep. Reader.Postings decodes them; DecodePostings,
// which has no dictionary, refuses them.

// encSubset is the roaring tag with a reserved bit set (roaring itself
// is exactly encRoaring).
const encSubset = 1<<encBits | encRoaring

// Limits of subset coding.
const (
	// MaxSubsetDepth is the longest chain of subset lists a reader follows.
	MaxSubsetDepth = 4
	// writeDepth is the longest chain a Parents writes: each level costs a
	// lookup the decoding of the parent's whole list.
	writeDepth = 2
	// maxParentRatio bounds a parent's length, as a multiple of the
	// list's: decoding the list decodes the parent's.
	maxParentRatio = 4
	// MaxParents is the most lists a Parents takes.
	MaxParents = 64
	// MinSubset is the shortest list tried as a subset (and taken as a
	// parent).
	MinSubset = 16
	// maxTries is the most parents a list is measured against (the
	// shortest that hold it).
	maxTries = 2
)

// Parents are the lists (the longest of a dictionary) that other lists of
// the dictionary may be written as subsets of.
//
//	ps := dict.NewParents()
//	ps.Add(key, positions)                   // the longest lists, copied
//	ps.Plan()
//	v := ps.AppendPostings(nil, key, pos)    // for every key, in key order
type Parents struct {
	lists   []parent // by length, shortest first, after Plan
	byKey   map[string]int
	ranks   []uint32 // the ranks rankIn found
	best    []uint32 // the ranks of the best parent so far
	out     []byte
	scratch *roaring.Bitmap
}

type parent struct {
	key   string
	pos   []uint32
	enc   []byte // its own value, chosen by Plan
	depth int    // 0: written plainly
}

// NewParents returns an empty set.
func NewParents() *Parents {
	return &Parents{byKey: map[string]int{}, scratch: roaring.New()}
}

// Add takes a copy of key's list as a parent. It ignores lists beyond
// MaxParents and lists shorter than MinSubset.
func (ps *Parents) Add(key []byte, pos []uint32) {
	if len(ps.lists) >= MaxParents || len(pos) < MinSubset {
		return
	}
	ps.lists = append(ps.lists, parent{key: string(key), pos: slices.Clone(pos)})
}

// Plan chooses the parents' own encodings, longest first, each against
// the longer parents.
func (ps *Parents) Plan() {
	slices.SortStableFunc(ps.lists, func(a, b parent) int { return len(a.pos) - len(b.pos) })
	for i := len(ps.lists) - 1; i >= 0; i-- {
		p := &ps.lists[i]
		p.enc, p.depth = ps.encode(nil, p.pos, i+1)
		ps.byKey[p.key] = i
	}
}

// AppendPostings appends key's value, pos, to dst: as a subset of a
// parent when that is shorter, else as AppendPostings does.
func (ps *Parents) AppendPostings(dst, key []byte, pos []uint32) []byte {
	if i, ok := ps.byKey[string(key)]; ok {
		return append(dst, ps.lists[i].enc...)
	}
	// The first parent longer than pos.
	from, _ := slices.BinarySearchFunc(ps.lists, len(pos)+1, func(p parent, n int) int { return len(p.pos) - n })
	dst, _ = ps.encode(dst, pos, from)
	return dst
}

// encode appends the shortest encoding of pos, trying the parents from
// index from on, and returns its subset depth. Candidates are compared by
// an estimate (the Rice or bitset size of the ranks); the best one is
// encoded and kept if it beats the plain encoding.
func (ps *Parents) encode(dst []byte, pos []uint32, from int) ([]byte, int) {
	if len(pos) < MinSubset {
		return AppendPostings(dst, pos, ps.scratch), 0
	}
	// The plain encoding is only measured here; it is written when no
	// subset beats it.
	plainPlan := planPostings(pos, ps.scratch)
	plain := plainPlan.size
	best, bestSize, tries := -1, plain, 0
	for i := from; i < len(ps.lists) && tries < maxTries; i++ {
		p := &ps.lists[i]
		if len(p.pos) > maxParentRatio*len(pos) {
			break
		}
		if len(p.pos) <= len(pos) || p.depth >= writeDepth || !ps.rankIn(pos, p.pos) {
			continue
		}
		tries++
		_, size := riceParam(ps.ranks)
		size = min(size, uvarintLen(uint64(ps.ranks[0])<<encBits)+int(ps.ranks[len(ps.ranks)-1]-ps.ranks[0])/8+1)
		if size += 2 + len(p.key); size < bestSize {
			best, bestSize = i, size
			ps.best, ps.ranks = ps.ranks, ps.best
		}
	}
	if best < 0 {
		return appendPlanned(dst, pos, plainPlan, ps.scratch), 0
	}
	p := &ps.lists[best]
	out := binary.AppendUvarint(ps.out[:0], encSubset)
	out = binary.AppendUvarint(out, uint64(len(p.key)))
	out = append(out, p.key...)
	out = AppendPostings(out, ps.best, ps.scratch) // scratch no longer holds pos's bitmap
	ps.out = out
	if len(out) >= plain {
		return AppendPostings(dst, pos, ps.scratch), 0
	}
	return append(dst, out...), p.depth + 1
}

// rankIn sets ps.ranks to the index in parent of each position of pos and
// reports whether parent holds them all. parent is at most
// maxParentRatio times longer than pos: one merge of the two is cheaper
// than a search for each position.
func (ps *Parents) rankIn(pos, parent []uint32) bool {
	// Most lists are not subsets: look at a few positions first.
	for _, x := range []uint32{pos[len(pos)/2], pos[len(pos)-1], pos[len(pos)/4], pos[3*len(pos)/4]} {
		if _, found := slices.BinarySearch(parent, x); !found {
			return false
		}
	}
	ranks := slices.Grow(ps.ranks[:0], len(pos))
	j := 0
	for _, x := range pos {
		for j < len(parent) && parent[j] < x {
			j++
		}
		if j == len(parent) || parent[j] != x {
			ps.ranks = ranks
			return false
		}
		ranks = append(ranks, uint32(j))
	}
	ps.ranks = ranks
	return true
}

// Postings decodes value, a posting list of this dictionary: of positions
// below records, possibly a subset of another of its lists.
func (r *Reader) Postings(value []byte, records uint64) (*roaring.Bitmap, error) {
	if x, n := binary.Uvarint(value); n <= 0 || x != encSubset {
		return DecodePostings(value, records)
	}
	pos, err := r.positions(value, records, 0)
	if err != nil {
		return nil, err
	}
	return bitmapOf(pos, records), nil
}

// Words is the number of 64-bit words of a bitset of records bits, the
// length PostingsInto wants.
func Words(records uint64) int { return int((records + 63) / 64) }

// PostingsInto adds the positions of value, a posting list of this
// dictionary, to the bitset dst (position p is bit p%64 of dst[p/64]),
// which must hold at least Words(records) words. It is Postings without
// building a bitmap: the caller reuses dst across lookups, so a long list
// costs no fresh memory. Positions already set in dst stay set (a union).
func (r *Reader) PostingsInto(value []byte, records uint64, dst []uint64) error {
	if len(dst) < Words(records) {
		return fmt.Errorf("%w: bitset of %d words for %d records", ErrShortBitset, len(dst), records)
	}
	s := denseSink{words: dst}
	if x, n := binary.Uvarint(value); n <= 0 || x != encSubset {
		return decodeTo(&s, value, records)
	}
	pos, err := r.positions(value, records, 0)
	if err != nil {
		return err
	}
	s.AddMany(pos)
	return nil
}

// positions decodes value into a new slice, following subset lists
// depth levels deep already.
func (r *Reader) positions(value []byte, records uint64, depth int) ([]uint32, error) {
	x, n := binary.Uvarint(value)
	if n <= 0 || x != encSubset {
		s := arraySink{pos: make([]uint32, 0, sizeHint(value))}
		err := decodeTo(&s, value, records)
		return s.pos, err
	}
	if depth >= MaxSubsetDepth {
		return nil, fmt.Errorf("%w: subset lists nested more than %d deep", errPostings, MaxSubsetDepth)
	}
	klen, m := binary.Uvarint(value[n:])
	if m <= 0 || klen > uint64(len(value)-n-m) {
		return nil, fmt.Errorf("%w: bad parent key length", errPostings)
	}
	key := value[n+m : n+m+int(klen)]
	pv, ok, err := r.Get(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: parent %q missing", errPostings, key)
	}
	if len(pv) < r.prefix {
		return nil, fmt.Errorf("%w: parent %q value of %d bytes", errPostings, key, len(pv))
	}
	parent, err := r.positions(pv[r.prefix:], records, depth+1)
	if err != nil {
		return nil, err
	}
	ranks := arraySink{pos: make([]uint32, 0, sizeHint(value[n+m+int(klen):]))}
	if err := decodeTo(&ranks, value[n+m+int(klen):], uint64(len(parent))); err != nil {
		return nil, err
	}
	for i, rk := range ranks.pos {
		ranks.pos[i] = parent[rk] // rk < len(parent): checked by decodeTo
	}
	return ranks.pos, nil
}

// countSink counts positions without keeping them.
type countSink struct{ n uint64 }

func (s *countSink) AddMany(b []uint32) { s.n += uint64(len(b)) }

// Count returns the number of positions in value, as Postings would
// return them, without building the list: a subset list counts its ranks
// and never decodes its parent. Every position (rank) is checked against
// records, as when decoding.
func (r *Reader) Count(value []byte, records uint64) (uint64, error) {
	x, n := binary.Uvarint(value)
	if n > 0 && x == encSubset {
		klen, m := binary.Uvarint(value[n:])
		if m <= 0 || klen > uint64(len(value)-n-m) {
			return 0, fmt.Errorf("%w: bad parent key length", errPostings)
		}
		value = value[n+m+int(klen):]
	}
	var s countSink
	err := decodeTo(&s, value, records)
	return s.n, err
}
