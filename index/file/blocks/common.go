package blocks

import (
	"math/bits"
	"slices"
)

// Common keys: a key that most blocks of a chunk hold (a frequent number,
// a port, a time-of-day pair) narrows little and costs bits in every
// filter, so the filters leave it out and the common section lists it.
// Which keys are common is decided from fingerprints counted while the
// chunk is built; the choice only has to be the same at build and at
// query time (both test the fingerprint), never right, to keep the
// filters sound.

// Parameters of the common keys.
const (
	// MinCommonBlocks is the fewest blocks of a chunk with common keys: a
	// small chunk keeps every key, so a rare key can skip it whole.
	MinCommonBlocks = 8
	// A fingerprint is common when at least commonNum/commonDen of the
	// blocks hold it.
	commonNum, commonDen = 3, 4
	// sampleBlocks is how many leading blocks choose the candidates: a
	// fingerprint first seen later is never common.
	sampleBlocks = 2
	// countSlots is the size of the candidate table; it takes at most
	// half as many fingerprints and ignores the rest.
	countSlots = 1 << 17
)

// fingerprint is the common-section fingerprint of key hash h.
func fingerprint(h uint64) uint32 { return uint32(h >> 32) }

// commonMin is the fewest blocks holding a common fingerprint in a chunk
// of blocks blocks; more than blocks when no key is common.
func commonMin(blocks int) uint32 {
	if blocks < MinCommonBlocks {
		return uint32(blocks) + 1
	}
	return uint32((blocks*commonNum + commonDen - 1) / commonDen)
}

// countTable counts, per fingerprint, the blocks holding it: open
// addressing over slots of fingerprint<<32 | count, a count of 0 marking a
// free slot (one cache line per lookup). Two keys of one block with the
// same fingerprint count twice, which only makes it common sooner. Once
// the candidates are in, a bitmap of their low bits answers most lookups
// of other fingerprints without reading the table.
type countTable struct {
	slots []uint64
	n     int
	held  []uint64 // bit f&(heldBits-1) is set for every fingerprint f held; nil while inserting
}

// heldBits is the size of countTable.held: 128 KiB, sixteen bits for each
// fingerprint the table may take.
const heldBits = 1 << 20

// bump counts one more block holding f; f is added when insert is set and
// there is room.
func (t *countTable) bump(f uint32, insert bool) {
	if t.slots == nil {
		if !insert {
			return
		}
		t.slots = make([]uint64, countSlots)
	}
	const mask = countSlots - 1
	for i := f & mask; ; i = (i + 1) & mask {
		switch s := t.slots[i]; {
		case s == 0:
			if insert && 2*(t.n+1) <= countSlots {
				t.slots[i] = uint64(f)<<32 | 1
				t.n++
			}
			return
		case uint32(s>>32) == f:
			t.slots[i]++
			return
		}
	}
}

// count counts one more block holding f if f is held (bump without
// insert), looking at the bitmap of held fingerprints first.
func (t *countTable) count(f uint32) {
	if t.held == nil {
		if t.slots == nil {
			return
		}
		t.held = make([]uint64, heldBits/64)
		for _, s := range t.slots {
			if s != 0 {
				b := uint32(s>>32) & (heldBits - 1)
				t.held[b/64] |= 1 << (b % 64)
			}
		}
	}
	if b := f & (heldBits - 1); t.held[b/64]&(1<<(b%64)) == 0 {
		return
	}
	t.bump(f, false)
}

// atLeast returns the fingerprints counted least times or more.
func (t *countTable) atLeast(least uint32) fpSet {
	var out fpSet
	for _, s := range t.slots {
		if s != 0 && uint32(s) >= least {
			out.list = append(out.list, uint32(s>>32))
		}
	}
	slices.Sort(out.list)
	if len(out.list) > 0 {
		out.slots = make([]uint64, 1<<bits.Len(uint(4*len(out.list)))) // at most a quarter full
		mask := uint32(len(out.slots) - 1)
		for _, f := range out.list {
			i := f & mask
			for out.slots[i] != 0 {
				i = (i + 1) & mask
			}
			out.slots[i] = uint64(f) | 1<<32
		}
	}
	return out
}

// fpSet is a set of fingerprints: ascending, and hashed for lookups.
type fpSet struct {
	list  []uint32
	slots []uint64 // 1<<32 | f, 0 for a free slot; a power of two long
}

// has reports whether f is in the set.
func (s fpSet) has(f uint32) bool {
	if len(s.slots) == 0 {
		return false
	}
	mask := uint32(len(s.slots) - 1)
	for i := f & mask; ; i = (i + 1) & mask {
		switch v := s.slots[i]; {
		case v == 0:
			return false
		case uint32(v) == f:
			return true
		}
	}
}
