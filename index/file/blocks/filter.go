package blocks

import (
	"math/bits"
	"slices"
)

// rowSet is the sliced filters of a chunk's blocks being built: bucket
// count buckets, each of BucketBits rows of a bit per block.
type rowSet struct {
	blocks  int
	buckets uint64
	rowLen  int
	b       []byte
}

func newRows(blocks int, buckets uint64) rowSet {
	rowLen := (blocks + 7) / 8
	return rowSet{blocks: blocks, buckets: buckets, rowLen: rowLen, b: make([]byte, buckets*BucketBits*uint64(rowLen))}
}

// setKey sets the k bits of key hash h in the filter of block.
func (rs rowSet) setKey(block int, h uint64, k int) {
	b := bucketOf(h, rs.buckets)
	for i := range k {
		off := (b*BucketBits+bitOf(h, i))*uint64(rs.rowLen) + uint64(block/8)
		rs.b[off] |= 1 << (block % 8)
	}
}

// bucketsFor is the bucket count of every block's filter: enough for
// bitsPerKey bits per key of the block at bucketsPercentile by key count.
func bucketsFor(counts []int, bitsPerKey uint64) uint64 {
	if len(counts) == 0 {
		return 1
	}
	sorted := slices.Sorted(slices.Values(counts))
	n := uint64(sorted[(len(sorted)-1)*bucketsPercentile/100])
	return max(1, (n*bitsPerKey+BucketBits-1)/BucketBits)
}

// bucketOf is key hash h's bucket of buckets: hi64(h · buckets).
func bucketOf(h, buckets uint64) uint64 {
	hi, _ := bits.Mul64(h, buckets)
	return hi
}

// bitOf is the i-th bit of key hash h in its bucket: bits 9i to 9i+8 of h.
func bitOf(h uint64, i int) uint64 { return h >> (9 * i) & (BucketBits - 1) }
