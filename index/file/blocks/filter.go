package blocks

import (
	"encoding/binary"
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

// packed returns the rows as the file stores them: row r is bits
// [r·n, r·n+n) for n blocks, bit i in bit i mod 8 of byte i/8.
func (rs rowSet) packed() []byte {
	n := uint64(rs.blocks)
	if n%8 == 0 {
		return rs.b // rows of whole bytes are already packed
	}
	rows := rs.buckets * BucketBits
	rowLen := uint64(rs.rowLen)
	words := make([]uint64, (rows*n+63)/64+1)
	for r := range rows {
		src := rs.b[r*rowLen : (r+1)*rowLen]
		for k := uint64(0); k < rowLen; k += 8 {
			var buf [8]byte
			copy(buf[:], src[k:])
			v := binary.LittleEndian.Uint64(buf[:])
			if rest := n - 8*k; rest < 64 {
				v &= 1<<rest - 1
			}
			off := r*n + 8*k
			words[off/64] |= v << (off % 64)
			if s := off % 64; s > 0 {
				words[off/64+1] |= v >> (64 - s)
			}
		}
	}
	out := make([]byte, 0, 8*len(words))
	for _, w := range words {
		out = binary.LittleEndian.AppendUint64(out, w)
	}
	return out[:(rows*n+7)/8]
}

// blockFilters are the filters of a chunk's blocks before they are
// sliced: block i's filter is words [i·w, (i+1)·w), buckets·BucketBits bits
// in a row, bit r of the filter in word r/64. Setting a key's bits there
// touches one cache line of a small filter instead of k rows spread over
// the whole rowSet; rows slices them all at once.
type blockFilters struct {
	blocks  int
	buckets uint64
	w       uint64 // words of a filter
	words   []uint64
}

func newBlockFilters(blocks int, buckets uint64) blockFilters {
	w := buckets * BucketBits / 64
	return blockFilters{blocks: blocks, buckets: buckets, w: w, words: make([]uint64, uint64(blocks)*w)}
}

// setKey sets the k bits of key hash h in the filter of block.
func (bf blockFilters) setKey(block int, h uint64, k int) {
	f := bf.words[uint64(block)*bf.w : uint64(block+1)*bf.w]
	b := bucketOf(h, bf.buckets) * BucketBits
	for i := range k {
		r := b + bitOf(h, i)
		f[r/64] |= 1 << (r % 64)
	}
}

// rows returns the filters sliced: row r holds bit r of every block's
// filter, bit i%8 of its byte i/8 for block i. Eight blocks' words at a
// time become the bytes of 64 rows by 8×8 bit transposes.
func (bf blockFilters) rows() rowSet {
	rs := newRows(bf.blocks, bf.buckets)
	rowLen := uint64(rs.rowLen)
	for wi := range bf.w {
		for c := range rowLen {
			var x [8]uint64 // the word wi of blocks 8c to 8c+7
			for j := range uint64(8) {
				if blk := 8*c + j; blk < uint64(bf.blocks) {
					x[j] = bf.words[blk*bf.w+wi]
				}
			}
			for lane := range uint64(8) {
				// Byte j of m: bits 8·lane to 8·lane+7 of block 8c+j.
				var m uint64
				for j := range uint64(8) {
					m |= (x[j] >> (8 * lane) & 0xff) << (8 * j)
				}
				if m == 0 {
					continue
				}
				m = transpose8(m)
				// Byte t of m: bit 8·lane+t of each of the eight blocks.
				row := wi*64 + 8*lane
				for t := range uint64(8) {
					rs.b[(row+t)*rowLen+c] = byte(m >> (8 * t))
				}
			}
		}
	}
	return rs
}

// transpose8 transposes the 8×8 bit matrix m whose byte i is row i (bit j
// of byte i becomes bit i of byte j).
func transpose8(m uint64) uint64 {
	t := (m ^ m>>7) & 0x00aa00aa00aa00aa
	m ^= t ^ t<<7
	t = (m ^ m>>14) & 0x0000cccc0000cccc
	m ^= t ^ t<<14
	t = (m ^ m>>28) & 0x00000000f0f0f0f0
	m ^= t ^ t<<28
	return m
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
