package blocks

import "math/bits"

// A filter is a blocked Bloom filter: words/BucketWords buckets of 512
// bits, and all k bits of a key in one bucket, so that a lookup reads one
// cache line and one checksummed segment per block.

// filterWords is the size in words of the filter of n keys.
func filterWords(n int, bitsPerKey uint64) int {
	buckets := (uint64(n)*bitsPerKey + BucketWords*64 - 1) / (BucketWords * 64)
	return int(max(1, buckets)) * BucketWords
}

// bucket is the first word of key hash h's bucket in a filter of words
// words: BucketWords · hi64(h · buckets).
func bucket(h uint64, words uint32) uint32 {
	hi, _ := bits.Mul64(h, uint64(words/BucketWords))
	return uint32(hi) * BucketWords
}

// bitOf is the i-th bit of key hash h in its bucket: bits 9i to 9i+8 of h.
func bitOf(h uint64, i int) uint64 { return h >> (9 * i) & (BucketWords*64 - 1) }

// setKey sets the k bits of key hash h in filter.
func setKey(filter []uint64, h uint64, k int) {
	b := bucket(h, uint32(len(filter)))
	for i := range k {
		p := bitOf(h, i)
		filter[b+uint32(p/64)] |= 1 << (p % 64)
	}
}
