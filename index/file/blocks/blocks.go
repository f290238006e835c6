// Package blocks keeps one Bloom filter per block of a sealed chunk over
// the token runs that the token index does not hold (numbers, IDs, single
// letters, runs longer than 16 bytes: every run but an index token) and the
// run pairs of tokenizer.RunPairs, so that a query for such runs —
// `173.234.31.186`, `4711`, a UUID — skips the blocks that cannot hold all
// of them.
//
//	ix := blocks.NewIndexer()
//	err := ix.Build(ctx, meta, cur, chunkDir)            // writes chunkDir/blocks.flt
//	r, err := blocks.Open(filepath.Join(chunkDir, blocks.FileName))
//	keys := [][]byte{[]byte("198"), []byte("51"), []byte("198.51")} // runs and run pairs
//	cand, err := r.Candidates(keys)                      // positions of the blocks to read
//
// Blocks are the cursor's (chunk.BlockLayout), or groups of
// collect.DefaultBlockRecords positions when it has none.
//
// # Keys
//
// A block's keys are, for each line of the block, every token run that is
// not an index token (IsKey: tokenizer.IsIndexToken is false), and every
// run pair of tokenizer.RunPairs ("198.51", "51.100", "100.23" of an IP
// address; a pair is never an index token). Index tokens are left out: the
// token index answers them exactly, and they were about 5% of a block's
// keys.
//
// Common keys are left out too: a key whose fingerprint (the high 32 bits
// of its Hash) is held by at least 3/4 of the blocks of a chunk of
// MinCommonBlocks blocks or more (ports, small numbers, time-of-day pairs:
// about a fifth of the keys of a generated syslog block). Fingerprints are
// counted for those seen in the first two blocks only. The common section
// lists these fingerprints; every key with such a fingerprint is left out
// of every filter.
//
// MayContain and Candidates skip the keys the filters do not hold (index
// tokens, common fingerprints), so such a key alone passes every block.
//
// # Layout
//
// A container file (index/file/container) of type 'b', version 7 (version
// 1 had no run pairs; 2 held index tokens and probed with a division; 3 had
// no common section; 4 spread a key's bits over the whole filter and
// checksummed each filter whole; 5 kept each block's filter apart, so that
// a lookup read one place per block; 6 padded each row to whole bytes),
// with five sections:
//
//	0 meta    u64 records | u32 blocks | u32 hashes (k) | u32 bits per key | u32 buckets | u32 segment bytes (4096)  (28 B, checked at open)
//	1 starts  blocks × u64 first position, ascending from 0                        (checked at open)
//	2 rows    buckets × 512 rows of a bit per block, packed: ceil(buckets·512·blocks/8) bytes  (checked by segment, when read)
//	3 common  u32 fingerprints of the common keys, strictly ascending               (checked at open)
//	4 sums    u32 CRC-32C of each segment of 4096 bytes of the rows (the last may be shorter)  (checked at open)
//
// The filters of all blocks are stored sliced: every block has a blocked
// Bloom filter of the same number of buckets of 512 bits, and row p of
// bucket b holds bit p of bucket b of every block's filter. The rows are
// packed bits: with n blocks, row r = 512·b + p is bits [r·n, r·n+n) of
// section 2, block j its bit r·n+j, and bit i of the section is bit i mod 8
// of byte i/8 (the last byte is padded with zero bits). A lookup of a key
// reads its k rows, all in one bucket of 512·n bits, and ANDs them: one
// read answers the key for every block of the chunk, where one filter per
// block took a read per block (a page of the file each, on 260 blocks of
// a 64 MiB chunk).
//
// For h = Hash(key) the key's bucket is hi64(h · buckets) (hi64: the high
// 64 bits of the 128-bit product) and its bits are p = (h >> 9i) & 511 for
// i in [0, k). Hash is FNV-1a (64-bit) over the ASCII-lowercased key,
// finished with the SplitMix64 mixer. buckets = max(1, ceil(n · bits per
// key / 512)) where n is the number of keys of the block at the 90th
// percentile of the chunk's blocks (blocks of one chunk hold similar
// amounts of text; the few larger ones get a higher false positive rate).
// With 8 bits per key and k = 6 about 2.5% of blocks that lack a key still
// pass. A lookup checks the 4 KiB segments its rows lie in, once per
// lookup; Verify checks every section whole.
package blocks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/file/container"
	"glarc/tokenizer"
)

// FileName is the block filter file inside a chunk directory.
const FileName = "blocks.flt"

// Format constants.
const (
	Version        byte = 7
	MetaSize            = 28
	StartSize           = 8
	CommonSize          = 4
	SumSize             = 4
	BucketBits          = 512  // a bucket of a block's filter holds all bits of a key
	SegmentBytes        = 4096 // the rows are checksummed in 4 KiB segments
	sections            = 5
	DefaultBitsPer      = 8
	DefaultHashes       = 6
	maxHashes           = 7 // 9 bits of the hash per bit in the bucket
	maxBitsPerKey       = 64
	// bucketsPercentile is the block (by key count, in percent of the
	// chunk's blocks) that the number of buckets is sized for.
	bucketsPercentile = 90
)

// Section numbers. Stored order: never renumber.
const (
	secMeta   = 0
	secStarts = 1
	secRows   = 2
	secCommon = 3
	secSums   = 4
)

// sectionNames names the sections in errors, by number.
func sectionNames() [sections]string {
	return [sections]string{"meta", "starts", "rows", "common", "segment sums"}
}

// FNV-1a (64-bit) parameters of Hash.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// Hash is the filter hash of a key (a token run or a run pair), ASCII
// case folded: FNV-1a over the lowercased bytes, finished by mix.
func Hash(key []byte) uint64 {
	h := fnvOffset
	for _, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return mix(h)
}

// mix is the SplitMix64 finisher: FNV's low bits are weak.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// IsKey reports whether the filters hold run, a token run or a run pair,
// when a block holds it: every run pair, and every token run but an index
// token (tokenizer.IsIndexToken), which the token index answers exactly.
func IsKey(run []byte) bool { return !tokenizer.IsIndexToken(run) }

// Indexer builds block filters. It is safe for concurrent use.
type Indexer struct{}

var (
	_ index.BlockIndexer  = (*Indexer)(nil)
	_ index.SharedIndexer = (*Indexer)(nil)
)

// NewIndexer returns the block filter indexer.
func NewIndexer() *Indexer { return &Indexer{} }

// Name returns index.KindBlocks.
func (*Indexer) Name() string { return index.KindBlocks }

// Build hashes every run of every block and writes dir/blocks.flt.
func (ix *Indexer) Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error {
	c, err := ix.NewCollector(meta, cur)
	if err != nil {
		return err
	}
	if err := index.Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		c.Add(pos, rec)
		return nil
	}); err != nil {
		return fmt.Errorf("build block filters of chunk %s: %w", meta.ID, err)
	}
	if err := c.Finish(dir); err != nil {
		return fmt.Errorf("build block filters of chunk %s: %w", meta.ID, err)
	}
	return nil
}

// NewCollector returns a collector of the chunk's block filters, for a
// pass shared with other indexes.
func (*Indexer) NewCollector(meta chunk.ChunkMeta, cur chunk.RecordCursor) (index.Collector, error) {
	if !meta.Sealed {
		return nil, fmt.Errorf("build block filters of chunk %s: %w", meta.ID, index.ErrChunkNotSealed)
	}
	starts, err := collect.BlockStarts(cur)
	if err != nil {
		return nil, fmt.Errorf("build block filters of chunk %s: %w", meta.ID, err)
	}
	return newCollector(cur.Len(), starts), nil
}

func newCollector(records uint64, starts []uint64) *Collector {
	return &Collector{records: records, starts: starts, ends: make([]int, 0, len(starts))}
}

// Collector builds the filters: the distinct key hashes of the current
// block are kept in a set, which is appended to hashes when the next block
// starts; Finish takes out the common keys and turns each block's hashes
// into its filter.
type Collector struct {
	records uint64
	starts  []uint64
	set     hashSet    // the current block: len(ends)
	hashes  hashPages  // distinct key hashes of the finished blocks, back to back
	ends    []int      // block i's hashes end at ends[i]
	counts  countTable // sampled fingerprints → blocks holding them
}

// hashPages is a list of hashes in pages of hashPage: appending never
// copies what is held.
type hashPages struct {
	pages [][]uint64
	n     int
}

const hashPageBits = 16
const hashPage = 1 << hashPageBits

func (p *hashPages) append(h uint64) {
	if p.n>>hashPageBits == len(p.pages) {
		p.pages = append(p.pages, make([]uint64, hashPage))
	}
	p.pages[p.n>>hashPageBits][p.n&(hashPage-1)] = h
	p.n++
}

// appendSet appends the hashes of set, in its order.
func (p *hashPages) appendSet(set *hashSet) {
	if set.zero {
		p.append(0)
	}
	slots := set.slots
	for len(slots) > 0 {
		if p.n>>hashPageBits == len(p.pages) {
			p.pages = append(p.pages, make([]uint64, hashPage))
		}
		page := p.pages[p.n>>hashPageBits]
		i := p.n & (hashPage - 1)
		k := 0
		for ; k < len(slots) && i < hashPage; k++ {
			if h := slots[k]; h != 0 {
				page[i] = h
				i++
			}
		}
		p.n = p.n&^(hashPage-1) + i
		slots = slots[k:]
	}
}

// each calls fn for the hashes [from, to).
func (p *hashPages) each(from, to int, fn func(uint64)) {
	for from < to {
		page := p.pages[from>>hashPageBits]
		end := min(to, from&^(hashPage-1)+hashPage)
		for _, h := range page[from&(hashPage-1) : end-from&^(hashPage-1)] {
			fn(h)
		}
		from = end
	}
}

// Add hashes the runs and run pairs of the record at pos.
func (c *Collector) Add(pos uint32, rec *chunk.Record) { c.AddLine(pos, rec.Raw) }

// AddLine hashes the runs and run pairs of line, the record at pos (an
// index.LineCollector).
func (c *Collector) AddLine(pos uint32, line []byte) {
	for len(c.ends)+1 < len(c.starts) && uint64(pos) >= c.starts[len(c.ends)+1] {
		c.endBlock()
	}
	AddLine(&c.set, line)
}

// AddLine adds the keys of line to set: the hash of every token run that
// is not an index token, and of every pair of neighbouring runs that
// tokenizer.RunPairs yields. It reads line once: a run's hash, its class
// and its pair's hash (the previous run's FNV state carried over the
// separator) are computed in the same loop.
func AddLine(set interface{ Add(uint64) }, line []byte) {
	var prev uint64 // FNV state (unmixed) of the previous run
	prevEnd := -1   // end of the previous run; -1 when it is an index token or absent
	for i := 0; i < len(line); {
		if tokenizer.Class(line[i])&tokenizer.ClassToken == 0 {
			i++
			continue
		}
		start := i
		h := fnvOffset
		var class byte
		for ; i < len(line); i++ {
			c := line[i]
			cl := tokenizer.Class(c)
			if cl&tokenizer.ClassToken == 0 {
				break
			}
			class |= cl
			// ClassLetter<<4 is 0x20: lowercases an ASCII letter.
			h = (h ^ uint64(c|(cl&tokenizer.ClassLetter)<<4)) * fnvPrime
		}
		letter, digit := class&tokenizer.ClassLetter != 0, class&tokenizer.ClassDigit != 0
		run := line[start:i]
		// The same rule as tokenizer.IsIndexToken, with the cheap tests
		// first (TestAddLineMatchesRunPairs).
		if n := len(run); letter && n >= tokenizer.MinTokenLen && n <= tokenizer.MaxTokenLen &&
			(!digit && !tokenizer.IsUUID(run) || digit && tokenizer.IsIndexToken(run)) {
			prevEnd = -1
			continue
		}
		set.Add(mix(h))
		if prevEnd >= 0 && start == prevEnd+1 {
			p := (prev ^ uint64(line[prevEnd])) * fnvPrime // the separator, never a letter
			for _, c := range run {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				p = (p ^ uint64(c)) * fnvPrime
			}
			set.Add(mix(p))
		}
		prev, prevEnd = h, i
	}
}

// ClassLetter<<4 must be 'a'-'A' for AddLine's lowercasing: both
// constants are non-negative only when they are equal.
const (
	_ uint = tokenizer.ClassLetter<<4 - ('a' - 'A')
	_ uint = ('a' - 'A') - tokenizer.ClassLetter<<4
)

// endBlock moves the current set to hashes and counts its fingerprints.
func (c *Collector) endBlock() {
	from := c.hashes.n
	c.hashes.appendSet(&c.set)
	switch {
	case len(c.ends) < sampleBlocks:
		c.hashes.each(from, c.hashes.n, func(h uint64) { c.counts.bump(fingerprint(h), true) })
	case c.counts.n > 0:
		c.hashes.each(from, c.hashes.n, func(h uint64) { c.counts.count(fingerprint(h)) })
	}
	c.ends = append(c.ends, c.hashes.n)
	c.set.reset()
}

// Finish writes dir/blocks.flt.
func (c *Collector) Finish(dir string) error {
	return c.write(filepath.Join(dir, FileName))
}

// write ends the blocks not yet ended and writes the file at path.
func (c *Collector) write(path string) error {
	for len(c.ends) < len(c.starts) {
		c.endBlock()
	}
	common := c.counts.atLeast(commonMin(len(c.starts)))
	// Each block's keys, the common ones left out, are counted first to
	// size the buckets, then set.
	counts := make([]int, len(c.ends))
	start := 0
	for i, end := range c.ends {
		c.hashes.each(start, end, func(h uint64) {
			if !common.has(fingerprint(h)) {
				counts[i]++
			}
		})
		start = end
	}
	filters := newBlockFilters(len(c.ends), bucketsFor(counts, DefaultBitsPer))
	start = 0
	for i, end := range c.ends {
		c.hashes.each(start, end, func(h uint64) {
			if !common.has(fingerprint(h)) {
				filters.setKey(i, h, DefaultHashes)
			}
		})
		start = end
	}
	return writeRows(path, c.records, c.starts, filters.rows(), common.list)
}

// hashSet is a set of 64-bit hashes (open addressing; 0 is held aside).
type hashSet struct {
	slots []uint64
	n     int
	zero  bool
}

// Add puts h into the set.
func (s *hashSet) Add(h uint64) {
	if h == 0 {
		if !s.zero {
			s.zero = true
			s.n++
		}
		return
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return
		case 0:
			s.slots[i] = h
			s.n++
			return
		}
	}
}

func (s *hashSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(1024, 2*len(old)))
	mask := uint64(len(s.slots) - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}

func (s *hashSet) each(fn func(uint64)) {
	if s.zero {
		fn(0)
	}
	for _, h := range s.slots {
		if h != 0 {
			fn(h)
		}
	}
}

// reset empties the set, keeping its table.
func (s *hashSet) reset() {
	clear(s.slots)
	s.n, s.zero = 0, false
}

// Write writes the filters of hashes, one set of distinct key hashes per
// block, as Collector does.
func Write(path string, records uint64, starts []uint64, hashes [][]uint64) error {
	if len(hashes) != len(starts) {
		return fmt.Errorf("%d hash sets for %d blocks", len(hashes), len(starts))
	}
	c := newCollector(records, starts)
	for _, hs := range hashes {
		for _, h := range hs {
			c.set.Add(h)
		}
		c.endBlock()
	}
	return c.write(path)
}

// writeRows writes the sliced filters and the common fingerprints
// (ascending).
func writeRows(path string, records uint64, starts []uint64, rows rowSet, common []uint32) error {
	w, err := container.Create(path, container.TypeBlocks, Version)
	if err != nil {
		return err
	}
	packed := rows.packed()
	if uint64(len(packed)) > math.MaxUint32*SegmentBytes {
		w.Abort()
		return errors.New("block filters too large")
	}
	meta := binary.LittleEndian.AppendUint64(nil, records)
	meta = binary.LittleEndian.AppendUint32(meta, uint32(len(starts)))
	meta = binary.LittleEndian.AppendUint32(meta, DefaultHashes)
	meta = binary.LittleEndian.AppendUint32(meta, DefaultBitsPer)
	meta = binary.LittleEndian.AppendUint32(meta, uint32(rows.buckets))
	meta = binary.LittleEndian.AppendUint32(meta, SegmentBytes)
	w.Write(meta)
	w.EndSection()
	buf := make([]byte, 0, StartSize*len(starts))
	for _, s := range starts {
		buf = binary.LittleEndian.AppendUint64(buf, s)
	}
	w.Write(buf)
	w.EndSection()
	w.Write(packed)
	w.EndSection()
	cb := make([]byte, 0, CommonSize*len(common))
	for _, f := range common {
		cb = binary.LittleEndian.AppendUint32(cb, f)
	}
	w.Write(cb)
	w.EndSection()
	sums := make([]byte, 0, SumSize*((len(packed)+SegmentBytes-1)/SegmentBytes))
	for lo := 0; lo < len(packed); lo += SegmentBytes {
		sums = binary.LittleEndian.AppendUint32(sums, container.Checksum(packed[lo:min(lo+SegmentBytes, len(packed))]))
	}
	w.Write(sums)
	w.EndSection()
	return w.Commit()
}

// Stat reports the filter file in dir.
func (*Indexer) Stat(dir string) index.Info {
	path := filepath.Join(dir, FileName)
	info := index.Info{Name: index.KindBlocks}
	fi, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			info.Err = err
		}
		return info
	}
	info.Exists, info.Bytes = true, fi.Size()
	r, err := Open(path)
	if err != nil {
		info.Err = err
		return info
	}
	info.Complete = true
	info.Err = r.Close()
	return info
}

// Open opens dir/blocks.flt.
func (*Indexer) Open(dir string) (index.BlockReader, error) {
	r, err := Open(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Reader reads block filters. It is safe for concurrent use.
type Reader struct {
	f       *container.File
	records uint64
	k       int
	starts  []uint64
	buckets uint64
	words   int    // uint64 words of a row read into a lookup's scratch
	rows    []byte // section 2
	sums    []byte // CRC-32C of each segment of rows
	common  []byte // ascending u32 fingerprints
}

var _ index.BlockReader = (*Reader)(nil)

// Open maps and checks a filter file.
func Open(path string) (*Reader, error) {
	return container.OpenReader(path, container.TypeBlocks, Version, sections, newReader)
}

// FromBytes reads a filter file held in memory (tests, fuzzing).
func FromBytes(name string, data []byte) (*Reader, error) {
	f, err := container.FromBytes(name, data, container.TypeBlocks, Version, sections)
	if err != nil {
		return nil, err
	}
	return newReader(f)
}

func newReader(f *container.File) (*Reader, error) {
	var secs [sections][]byte
	for i, name := range sectionNames() {
		if i == secRows {
			continue
		}
		b, err := f.Verified(i, name)
		if err != nil {
			return nil, err
		}
		secs[i] = b
	}
	bad := func(sec int, format string, args ...any) error {
		return &index.CorruptError{Path: f.Path(), Section: sectionNames()[sec],
			Offset: f.Offset(sec), Reason: fmt.Sprintf(format, args...)}
	}
	meta := secs[secMeta]
	if len(meta) != MetaSize {
		return nil, bad(secMeta, "%d bytes, want %d", len(meta), MetaSize)
	}
	r := &Reader{f: f, records: binary.LittleEndian.Uint64(meta), rows: f.Section(secRows)}
	n := binary.LittleEndian.Uint32(meta[8:])
	k := binary.LittleEndian.Uint32(meta[12:])
	bpk := binary.LittleEndian.Uint32(meta[16:])
	buckets := binary.LittleEndian.Uint32(meta[20:])
	if seg := binary.LittleEndian.Uint32(meta[24:]); k == 0 || k > maxHashes || bpk == 0 || bpk > maxBitsPerKey || buckets == 0 || seg != SegmentBytes {
		return nil, bad(secMeta, "bad parameters k=%d bits=%d buckets=%d segment=%d", k, bpk, buckets, seg)
	}
	r.k, r.buckets = int(k), uint64(buckets)
	if uint64(len(secs[secStarts])) != uint64(n)*StartSize {
		return nil, bad(secMeta, "%d blocks, a starts section of %d bytes", n, len(secs[secStarts]))
	}
	if n == 0 {
		return nil, bad(secMeta, "no blocks")
	}
	r.starts = make([]uint64, n)
	for i := range r.starts {
		s := binary.LittleEndian.Uint64(secs[secStarts][i*StartSize:])
		if i == 0 && s != 0 || i > 0 && s <= r.starts[i-1] || s >= max(r.records, 1) {
			return nil, bad(secStarts, "block %d starts at %d", i, s)
		}
		r.starts[i] = s
	}
	r.words = (int(n) + 63) / 64
	if uint64(buckets) > math.MaxUint64/BucketBits/uint64(n) {
		return nil, bad(secMeta, "%d buckets of %d blocks", buckets, n)
	}
	if want := (r.buckets*BucketBits*uint64(n) + 7) / 8; uint64(len(r.rows)) != want {
		return nil, bad(secRows, "%d bytes, %d buckets of %d blocks take %d", len(r.rows), buckets, n, want)
	}
	r.sums = secs[secSums]
	if segs := (uint64(len(r.rows)) + SegmentBytes - 1) / SegmentBytes; uint64(len(r.sums)) != segs*SumSize {
		return nil, bad(secSums, "%d bytes for %d segments", len(r.sums), segs)
	}
	r.common = secs[secCommon]
	if len(r.common)%CommonSize != 0 {
		return nil, bad(secCommon, "%d bytes", len(r.common))
	}
	for i := CommonSize; i < len(r.common); i += CommonSize {
		if binary.LittleEndian.Uint32(r.common[i-CommonSize:]) >= binary.LittleEndian.Uint32(r.common[i:]) {
			return nil, bad(secCommon, "fingerprint %d out of order", i/CommonSize)
		}
	}
	return r, nil
}

// segments is a set of the segments of the rows found intact during one
// lookup.
type segments []uint64

func (r *Reader) newSegments() segments {
	return make(segments, (len(r.sums)/SumSize+63)/64)
}

// check checks the checksum of segment i of the rows, once per lookup.
func (r *Reader) check(seen segments, i int) error {
	if seen[i/64]&(1<<(i%64)) != 0 {
		return nil
	}
	lo := i * SegmentBytes
	b := r.rows[lo:min(lo+SegmentBytes, len(r.rows))]
	if got, want := container.Checksum(b), binary.LittleEndian.Uint32(r.sums[i*SumSize:]); got != want {
		return &index.CorruptError{Path: r.f.Path(), Section: "rows", Offset: r.f.Offset(secRows) + int64(lo),
			Reason: fmt.Sprintf("segment %d checksum %#08x, want %#08x", i, got, want)}
	}
	seen[i/64] |= 1 << (i % 64)
	return nil
}

// andRow ANDs row p of bucket b into acc, after checking the segments it
// lies in, and reports whether a block is left.
func (r *Reader) andRow(acc []uint64, seen segments, b, p uint64) (bool, error) {
	n := uint64(len(r.starts))
	start := (b*BucketBits + p) * n // first bit
	for s := start / 8 / SegmentBytes; s <= (start+n-1)/8/SegmentBytes; s++ {
		if err := r.check(seen, int(s)); err != nil {
			return true, err
		}
	}
	var left uint64
	for w := range acc {
		v := bitsAt(r.rows, start+64*uint64(w))
		if rest := n - 64*uint64(w); rest < 64 {
			v &= 1<<rest - 1
		}
		acc[w] &= v
		left |= acc[w]
	}
	return left != 0, nil
}

// bitsAt returns the 64 bits of b from bit off on (bit i is bit i mod 8
// of byte i/8), zero past the end of b.
func bitsAt(b []byte, off uint64) uint64 {
	i, s := off/8, off%8
	var buf [9]byte
	if i < uint64(len(b)) {
		copy(buf[:], b[i:])
	}
	v := binary.LittleEndian.Uint64(buf[:8]) >> s
	if s > 0 {
		v |= uint64(buf[8]) << (64 - s)
	}
	return v
}

// and ANDs into acc (a bit per block) the rows of every key hash of hs,
// checking each segment it reads (seen: the segments already checked). It
// stops early when no block is left.
func (r *Reader) and(acc []uint64, hs []uint64, seen segments) error {
	for _, h := range hs {
		b := bucketOf(h, r.buckets)
		for i := range r.k {
			left, err := r.andRow(acc, seen, b, bitOf(h, i))
			if err != nil || !left {
				return err
			}
		}
	}
	return nil
}

// allBlocks returns a row with the bit of every block set.
func (r *Reader) allBlocks() []uint64 {
	acc := make([]uint64, r.words)
	for j := range acc {
		acc[j] = ^uint64(0)
	}
	if n := len(r.starts) % 64; n != 0 {
		acc[len(acc)-1] = 1<<n - 1
	}
	return acc
}

// Records is the number of records covered.
func (r *Reader) Records() uint64 { return r.records }

// Size is the file size in bytes.
func (r *Reader) Size() int64 { return r.f.Size() }

// BlockStarts returns the first position of each block.
func (r *Reader) BlockStarts() []uint64 { return r.starts }

// keyHashes appends the hashes of the keys of runs that the filters hold
// to dst: keys (IsKey) that are not common.
func (r *Reader) keyHashes(dst []uint64, runs [][]byte) []uint64 {
	for _, run := range runs {
		if !IsKey(run) {
			continue
		}
		if h := Hash(run); !r.isCommon(h) {
			dst = append(dst, h)
		}
	}
	return dst
}

// isCommon reports whether the fingerprint of h is in the common section.
func (r *Reader) isCommon(h uint64) bool {
	f := fingerprint(h)
	n := len(r.common) / CommonSize
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch v := binary.LittleEndian.Uint32(r.common[mid*CommonSize:]); {
		case v == f:
			return true
		case v < f:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}

// MayContain reports whether block may hold every run of runs (token
// runs or run pairs). Index tokens are not held (IsKey) and pass; so does
// a block whose rows are damaged.
func (r *Reader) MayContain(block int, runs [][]byte) bool {
	if block < 0 || block >= len(r.starts) {
		return true
	}
	var buf [8]uint64
	hs := r.keyHashes(buf[:0], runs)
	acc := r.allBlocks()
	if err := r.and(acc, hs, r.newSegments()); err != nil {
		return true
	}
	return acc[block/64]&(1<<(block%64)) != 0
}

// Candidates returns the positions of the blocks that may hold every run
// (token runs or run pairs). Index tokens are not held (IsKey): a query of
// index tokens alone gets every block.
func (r *Reader) Candidates(runs [][]byte) (*roaring.Bitmap, error) {
	var buf [8]uint64
	hs := r.keyHashes(buf[:0], runs)
	acc := r.allBlocks()
	if err := r.and(acc, hs, r.newSegments()); err != nil {
		return nil, err
	}
	out := roaring.New()
	for i, s := range r.starts {
		if acc[i/64]&(1<<(i%64)) == 0 {
			continue
		}
		end := r.records
		if i+1 < len(r.starts) {
			end = r.starts[i+1]
		}
		out.AddRange(s, end)
	}
	return out, nil
}

// Verify checks every section against its checksum.
func (r *Reader) Verify() error {
	for i, name := range sectionNames() {
		if err := r.f.Verify(i, name); err != nil {
			return err
		}
	}
	return nil
}

// Close unmaps the file.
func (r *Reader) Close() error { return r.f.Close() }
