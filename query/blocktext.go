package query

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"sort"

	"glarc/chunk"
	"glarc/tokenizer"
)

// minBlockSearch is the fewest candidates in one block for which the
// block's whole text is searched for the query's literal before any of its
// records is read: below it, reading the candidates one by one is cheaper.
const minBlockSearch = 16

// literal returns bytes that every line matching n holds, compared ASCII
// case-insensitively (lowercased), or nil when there are none: the text of
// a token, phrase or prefix term, the literal a regular expression's
// matches hold (unless (?i) could match it with non-ASCII letters), the
// longest such text of an And. Or, Not and fields give none.
func literal(n Node) []byte {
	switch n := n.(type) {
	case Token:
		return lowerASCII(n.Word)
	case Phrase:
		return lowerASCII(n.Text)
	case Prefix:
		return lowerASCII(n.Text)
	case Regexp:
		m, err := newRegexpM(nil, n)
		if err != nil || m.lit == "" || m.unicodeFold {
			return nil
		}
		return lowerASCII(m.lit)
	case And:
		var best []byte
		for _, t := range n.Terms {
			if l := literal(t); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return nil
}

func lowerASCII(s string) []byte {
	if s == "" {
		return nil
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

// blockSearch skips the candidates of a block whose text does not hold the
// query's literal: it searches the whole decoded block at once (one pass of
// IndexByte) instead of reading and matching its records one by one, and
// marks the records holding the literal. It is a necessary condition only:
// the marked records are still matched exactly.
type blockSearch struct {
	lit    []byte
	fold   bool // lit holds ASCII letters: compare case-insensitively
	bt     chunk.BlockTexter
	starts []uint64 // first position of each block
	n      uint64   // records in the chunk

	// The block searched last: positions [first, end).
	first, end uint64
	searched   bool     // false: the block had too few candidates
	hits       []uint64 // bit i: record first+i holds lit
	nhits      int
	scan       tokenizer.FoldScanner // of the block's text, when fold
	// rare is the index in lit of the byte that the exact search looks
	// for first: the rarest in a sample of the first block searched (-1
	// until then).
	rare int
}

// newBlockSearch returns a search for cur's blocks, or nil when cur cannot
// hand over block text or the query has no literal.
func newBlockSearch(cur chunk.RecordCursor, q *Query) *blockSearch {
	bt, ok := cur.(chunk.BlockTexter)
	if !ok {
		return nil
	}
	bl, ok := cur.(chunk.BlockLayout)
	if !ok {
		return nil
	}
	if len(q.lit) == 0 {
		return nil
	}
	fold := bytes.ContainsFunc(q.lit, func(r rune) bool { return 'a' <= r && r <= 'z' })
	return &blockSearch{lit: q.lit, fold: fold, bt: bt, starts: bl.BlockStarts(), n: cur.Len(), rare: -1}
}

// block returns the bounds of the block holding p.
func (b *blockSearch) block(p uint64) (first, end uint64) {
	i := sort.Search(len(b.starts), func(i int) bool { return b.starts[i] > p }) - 1
	first, end = b.starts[max(i, 0)], b.n
	if i+1 < len(b.starts) {
		end = b.starts[i+1]
	}
	return first, end
}

// enter makes the block holding p the current one, searching its text if
// it holds at least minBlockSearch of the candidates cands (nil: every
// position).
func (b *blockSearch) enter(p uint64, cands candidateCounter) error {
	b.first, b.end = b.block(p)
	b.searched = false
	if cands.count(b.first, b.end) < minBlockSearch {
		return nil
	}
	text, first, offs, err := b.bt.BlockText(p)
	if err != nil {
		return err
	}
	if first != b.first || uint64(len(offs)) != b.end-b.first+1 {
		return fmt.Errorf("block text at %d: %d records from %d, layout says [%d, %d): %w",
			p, len(offs)-1, first, b.first, b.end, chunk.ErrCorrupt)
	}
	k := int(b.end - b.first)
	b.hits = resizeBits(b.hits, k)
	b.nhits = 0
	if b.fold {
		b.scan = tokenizer.NewFoldScanner(text, b.lit)
	} else if b.rare < 0 {
		b.rare = rarest(b.lit, text[:min(len(text), rareSample)])
	}
	rec := 0 // the record holding offset i
	for i := 0; i+len(b.lit) <= len(text); {
		j := b.index(text, i)
		if j < 0 {
			break
		}
		for rec < k && uint64(offs[rec+1]) <= uint64(j) {
			rec++
		}
		if rec >= k {
			break
		}
		if uint64(j+len(b.lit)) > uint64(offs[rec+1]) {
			i = j + 1 // across two records: no line holds it
			continue
		}
		b.hits[rec/64] |= 1 << (rec % 64)
		b.nhits++
		i = int(offs[rec+1]) // one hit a record is enough
	}
	b.searched = true
	return nil
}

// index returns the offset of the first match of lit in text at or after
// i, or -1. Calls for one block come with i ascending, as b.scan needs.
func (b *blockSearch) index(text []byte, i int) int {
	if b.fold {
		return b.scan.Next(i)
	}
	return indexRare(text, i, b.lit, b.rare)
}

// rareSample is how much of a chunk's first searched block is counted to
// choose the byte of the literal to look for first.
const rareSample = 4 << 10

// rarest returns the index in lit of the byte that occurs least often in
// sample (the first of equals).
func rarest(lit, sample []byte) int {
	var counts [256]int
	for _, c := range sample {
		counts[c]++
	}
	best := 0
	for i, c := range lit {
		if counts[c] < counts[lit[best]] {
			best = i
		}
	}
	return best
}

// indexRare returns the offset of the first lit in text at or after i, or
// -1. It looks for lit[rare] with IndexByte and compares lit around each
// one: bytes.Index looks for lit[0], which in a log line is often a digit
// or a letter met every 20 bytes (an IndexByte call each), where a rarer
// byte of the same literal is met every 60 or more. Where even the rare
// byte turns out frequent it hands over to bytes.Index, which then
// compares at every offset.
func indexRare(text []byte, i int, lit []byte, rare int) int {
	if rare <= 0 {
		if j := bytes.Index(text[i:], lit); j >= 0 {
			return i + j
		}
		return -1
	}
	n, c := len(lit), lit[rare]
	start, fails := i, 0
	for i+n <= len(text) {
		// lit starting at i+o has lit[rare] at i+rare+o.
		o := bytes.IndexByte(text[i+rare:len(text)-n+rare+1], c)
		if o < 0 {
			return -1
		}
		j := i + o
		if string(text[j:j+n]) == string(lit) {
			return j
		}
		i = j + 1
		if fails++; fails > 4+(i-start)/16 {
			if k := bytes.Index(text[i:], lit); k >= 0 {
				return i + k
			}
			return -1
		}
	}
	return -1
}

// may reports whether the record at p may match: false when its block was
// searched and p does not hold the literal.
func (b *blockSearch) may(p uint64, cands candidateCounter) (bool, error) {
	if p < b.first || p >= b.end {
		if err := b.enter(p, cands); err != nil {
			return true, err
		}
	}
	if !b.searched {
		return true, nil
	}
	i := p - b.first
	return b.hits[i/64]&(1<<(i%64)) != 0, nil
}

func resizeBits(s []uint64, n int) []uint64 {
	w := (n + 63) / 64
	if cap(s) < w {
		return make([]uint64, w)
	}
	s = s[:w]
	clear(s)
	return s
}

// candidateCounter counts a stream's candidates in a range of positions.
type candidateCounter struct{ s *stream }

func (c candidateCounter) count(first, end uint64) uint64 {
	if c.s.cands == nil {
		return end - first
	}
	return countBelow(c.s.cands, end) - countBelow(c.s.cands, first)
}

// skipMisses moves the stream, after a candidate p of b's searched block
// that does not hold the literal, past the block's next candidates that
// do not either (in its direction): to the block's next record holding
// it, or past the block. It returns how many candidates it skipped.
func (s *stream) skipMisses(b *blockSearch, p uint64) uint64 {
	if s.reverse {
		// Records below p remain: the last one holding lit ends the skip.
		for i := int(p-b.first) - 1; i >= 0; i-- {
			if w := b.hits[i/64] & (1<<(i%64+1) - 1); w != 0 {
				return s.skipDownTo(b.first + uint64(i&^63+63-bits.LeadingZeros64(w)) + 1)
			}
			i &^= 63 // the rest of this word is clear
		}
		return s.skipDownTo(b.first)
	}
	k := int(b.end - b.first)
	for i := int(p-b.first) + 1; i < k; i++ {
		if w := b.hits[i/64] >> (i % 64); w != 0 {
			return s.skipUpTo(b.first + uint64(i+bits.TrailingZeros64(w)))
		}
		i |= 63 // the rest of this word is clear
	}
	return s.skipUpTo(b.end)
}

// skipUpTo moves a forward stream past its candidates below end and
// returns how many it skipped.
func (s *stream) skipUpTo(end uint64) uint64 {
	end = min(end, s.hi)
	if s.cands == nil {
		if s.next >= end {
			return 0
		}
		n := end - s.next
		s.next = end
		return n
	}
	// The iterator's next value is the first candidate not yet read.
	if !s.it.HasNext() {
		return 0
	}
	from := uint64(s.it.PeekNext())
	if from >= end {
		return 0
	}
	n := candidateCounter{s}.count(from, end)
	if end > math.MaxUint32 {
		for s.it.HasNext() {
			s.it.Next()
		}
	} else {
		s.it.AdvanceIfNeeded(uint32(end))
	}
	return n
}

// skipDownTo moves a reverse stream past its candidates at or above lo
// (positions below s.next remain) and returns how many it skipped.
func (s *stream) skipDownTo(lo uint64) uint64 {
	lo = max(lo, s.lo)
	if s.next <= lo {
		return 0
	}
	n := candidateCounter{s}.count(lo, s.next)
	s.next = lo
	return n
}
