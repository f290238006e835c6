// Package dict is the sorted key → posting-list dictionary inside glarc's
// index files, and the posting-list codec.
//
//	ps := dict.NewParents()                  // optional: lists written as subsets
//	ps.Add(longKey, longList)                // of the longest ones
//	ps.Plan()
//	d := dict.NewWriter(sectionWriter)       // keys in strictly increasing order
//	d.Add([]byte("failed"), ps.AppendPostings(nil, []byte("failed"), positions))
//	idx, err := d.Finish()                   // the index section, written next
//
//	r, err := dict.NewReader(path, blocksSection, blocksOffset, verifiedIndexSection)
//	v, ok, err := r.Get([]byte("failed"))
//	bm, err := r.Postings(v, records)        // dict.DecodePostings(v, records) without subsets
//
// # Layout (two sections, little-endian)
//
// The blocks section is a run of blocks. A block holds up to BlockEntries
// entries and is cut after the entry that takes it to BlockBytes or more:
//
//	block   entry ... | u32 CRC-32C(entries)
//	entry   uvarint shared | uvarint suffixLen | suffix | value field
//	value field
//	        uvarint(valueLen<<1) | value        the value inline
//	        uvarint(ref<<1 | 1)                 the value of an earlier entry
//
// Keys are front-coded: the key is the first shared bytes of the previous
// key in the block followed by suffix; the first entry of a block has
// shared = 0. Each block is checked against its CRC when it is read, so a
// lookup touches one block and never the whole section (two when the
// value is a reference).
//
// A reference names entry ref%BlockEntries of block ref/BlockEntries,
// which comes before the referring entry and holds its value inline. The
// writer refers to the first entry with the same value whenever the
// reference is shorter: tokens of one log template share a posting list
// (about a quarter of a token index on a generated syslog corpus).
//
// The index section (small, checked when the file is opened):
//
//	u32 keys | u32 blocks | blocks × (u32 blockOff | u32 keyOff) | first keys
//
// blockOff is the block's offset in the blocks section (block i ends where
// block i+1 starts, the last at the section end); keyOff is the offset of
// the block's first key in the first-keys blob that ends the section (key i
// ends where key i+1 starts). Lookups binary search the first keys, then walk
// one block: the dictionary is never loaded onto the heap.
//
// # Posting lists
//
// A value is a posting list of record positions (uint32, ascending), in
// whichever of these encodings is smallest (the low two bits of the first
// uvarint say which):
//
//	list     uvarint(first<<2 | 0) | uvarint(delta) ...   deltas ≥ 1, to the value's end
//	roaring  uvarint(1) | Roaring portable serialization (run containers allowed)
//	bitset   uvarint(first<<2 | 2) | bytes: bit j of byte i = position first+8i+j;
//	         bit 0 of the first byte and the last byte are never zero
//	rice     uvarint(first<<2 | 3) | uvarint((count-1)<<5 | k) | bits, low bit
//	         of each byte first: per delta minus one v, v>>k one bits, a zero
//	         bit, then the k low bits of v
//	subset   uvarint(1<<2 | 1) | uvarint(len(parent)) | parent | ranks
//
// A subset list (subset.go) is the ranks, a posting list in any other
// encoding, of its positions within the list of the key parent in the same
// dictionary; Parents writes them and Reader.Postings reads them (at most
// MaxSubsetDepth deep), DecodePostings refuses them.
package dict

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"sort"

	"glarc/index"
	"glarc/index/file/container"
)

// Block limits.
const (
	// BlockEntries is the most entries a block holds.
	BlockEntries = 16
	// BlockBytes cuts a block once its entries reach this size.
	BlockBytes = 4096
	// CRCSize is the checksum that ends each block.
	CRCSize = 4
	// IndexHeaderSize is the u32 key count and u32 block count.
	IndexHeaderSize = 8
	// IndexEntrySize is one (blockOff, keyOff) pair.
	IndexEntrySize = 8
	// MaxKeyLen bounds a key (a reader rejects longer ones).
	MaxKeyLen = 1 << 16
)

// ErrOrder means keys were not added in strictly increasing order.
var ErrOrder = errors.New("dictionary keys out of order")

// ErrTooLarge means a dictionary outgrew its 32-bit offsets.
var ErrTooLarge = errors.New("dictionary too large")

// Writer writes the blocks section to w as keys are added.
type Writer struct {
	w       io.Writer
	off     uint64 // bytes written to w
	block   []byte
	entries int
	prev    []byte
	keys    uint64
	index   []byte // (blockOff, keyOff) pairs
	first   []byte // first keys blob
	err     error
	// shared maps a value stored inline to its entry's reference, so that
	// a later entry with the same value refers to it.
	shared map[string]uint64
}

// NewWriter returns a Writer that writes the blocks section to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Add appends an entry. key must sort after every key added before.
func (d *Writer) Add(key, value []byte) error {
	if d.err != nil {
		return d.err
	}
	if d.keys > 0 && bytes.Compare(key, d.prev) <= 0 {
		d.err = fmt.Errorf("add %q after %q: %w", key, d.prev, ErrOrder)
		return d.err
	}
	if len(key) > MaxKeyLen {
		d.err = fmt.Errorf("add key of %d bytes: %w", len(key), ErrTooLarge)
		return d.err
	}
	shared := 0
	if d.entries == 0 {
		if d.off > math.MaxUint32 || len(d.first) > math.MaxUint32-len(key) {
			d.err = fmt.Errorf("dictionary of %d bytes: %w", d.off, ErrTooLarge)
			return d.err
		}
		d.index = binary.LittleEndian.AppendUint32(d.index, uint32(d.off))
		d.index = binary.LittleEndian.AppendUint32(d.index, uint32(len(d.first)))
		d.first = append(d.first, key...)
	} else {
		for shared < len(key) && shared < len(d.prev) && key[shared] == d.prev[shared] {
			shared++
		}
	}
	d.block = binary.AppendUvarint(d.block, uint64(shared))
	d.block = binary.AppendUvarint(d.block, uint64(len(key)-shared))
	d.block = append(d.block, key[shared:]...)
	d.block = d.appendValue(d.block, value)
	d.prev = append(d.prev[:0], key...)
	d.keys++
	d.entries++
	if d.entries >= BlockEntries || len(d.block) >= BlockBytes {
		d.flush()
	}
	return d.err
}

// appendValue appends the value field of the entry being added: a
// reference to an earlier entry holding the same value when that is
// shorter, else the value inline.
func (d *Writer) appendValue(dst, value []byte) []byte {
	inline := uvarintLen(uint64(len(value))<<1) + len(value)
	if ref, ok := d.shared[string(value)]; ok && uvarintLen(ref<<1|1) < inline {
		return binary.AppendUvarint(dst, ref<<1|1)
	}
	if len(value) >= minShared {
		if d.shared == nil {
			d.shared = map[string]uint64{}
		}
		if _, ok := d.shared[string(value)]; !ok {
			d.shared[string(value)] = uint64(len(d.index)/IndexEntrySize-1)*BlockEntries + uint64(d.entries)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(value))<<1)
	return append(dst, value...)
}

// minShared is the shortest value a later entry may refer to (a reference
// takes at least one byte, usually two or three).
const minShared = 2

func (d *Writer) flush() {
	if d.entries == 0 || d.err != nil {
		return
	}
	d.block = binary.LittleEndian.AppendUint32(d.block, crc(d.block))
	n, err := d.w.Write(d.block)
	d.off += uint64(n)
	d.err = err
	d.block = d.block[:0]
	d.entries = 0
}

// Finish flushes the last block and returns the index section.
func (d *Writer) Finish() ([]byte, error) {
	d.flush()
	if d.err != nil {
		return nil, d.err
	}
	if d.keys > math.MaxUint32 || d.off > math.MaxUint32 {
		return nil, fmt.Errorf("dictionary of %d keys, %d bytes: %w", d.keys, d.off, ErrTooLarge)
	}
	out := make([]byte, 0, IndexHeaderSize+len(d.index)+len(d.first))
	out = binary.LittleEndian.AppendUint32(out, uint32(d.keys))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(d.index)/IndexEntrySize))
	out = append(out, d.index...)
	return append(out, d.first...), nil
}

// Reader looks keys up in a dictionary held in two sections.
type Reader struct {
	path    string
	blocks  []byte
	off     int64 // file offset of blocks, for error messages
	entries []byte
	first   []byte
	keys    int
	nblocks int
	// prefix is the number of bytes before the posting list in every
	// value (SetValuePrefix).
	prefix int
}

// SetValuePrefix tells Postings that every value of the dictionary holds
// n bytes of the caller's before its posting list, so that a subset list's
// parent is decoded after them. Call it before the reader is shared.
func (r *Reader) SetValuePrefix(n int) { r.prefix = n }

// NewReader checks the index section's structure (its checksum is the
// caller's) and returns a reader over blocks.
func NewReader(path string, blocks []byte, blocksOff int64, idx []byte) (*Reader, error) {
	r := &Reader{path: path, blocks: blocks, off: blocksOff}
	if len(idx) < IndexHeaderSize {
		return nil, r.corrupt(-1, "index section of %d bytes is too short", len(idx))
	}
	keys := binary.LittleEndian.Uint32(idx)
	n := binary.LittleEndian.Uint32(idx[4:])
	rest := idx[IndexHeaderSize:]
	if uint64(n)*IndexEntrySize > uint64(len(rest)) {
		return nil, r.corrupt(-1, "%d blocks do not fit in the index section", n)
	}
	if uint64(keys) < uint64(n) || uint64(keys) > uint64(n)*BlockEntries {
		return nil, r.corrupt(-1, "%d keys in %d blocks", keys, n)
	}
	if (n == 0) != (len(blocks) == 0) {
		return nil, r.corrupt(-1, "%d blocks in %d bytes", n, len(blocks))
	}
	r.entries = rest[:n*IndexEntrySize]
	r.first = rest[n*IndexEntrySize:]
	r.keys, r.nblocks = int(keys), int(n)
	// Offsets must ascend strictly and stay inside their sections; checking
	// them here keeps every later slice in bounds.
	var prevB, prevK uint32
	for i := range r.nblocks {
		b, k := r.entry(i)
		if i == 0 && (b != 0 || k != 0) || i > 0 && (b <= prevB || k < prevK) {
			return nil, r.corrupt(-1, "block %d offsets (%d, %d) out of order", i, b, k)
		}
		prevB, prevK = b, k
	}
	if r.nblocks > 0 && (uint64(prevB) >= uint64(len(blocks)) || uint64(prevK) > uint64(len(r.first))) {
		return nil, r.corrupt(-1, "last block offsets (%d, %d) out of range", prevB, prevK)
	}
	return r, nil
}

// corrupt reports damage at off in the blocks section, or in the index
// section when off is -1.
func (r *Reader) corrupt(off int64, format string, args ...any) error {
	e := &index.CorruptError{Path: r.path, Section: "dictionary index", Offset: -1, Reason: fmt.Sprintf(format, args...)}
	if off >= 0 {
		e.Section, e.Offset = "dictionary", r.off+off
	}
	return e
}

func crc(b []byte) uint32 { return container.Checksum(b) }

func (r *Reader) entry(i int) (blockOff, keyOff uint32) {
	e := r.entries[i*IndexEntrySize:]
	return binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:])
}

// firstKey returns block i's first key (in range: checked by NewReader).
func (r *Reader) firstKey(i int) []byte {
	_, k := r.entry(i)
	end := uint32(len(r.first))
	if i+1 < r.nblocks {
		_, end = r.entry(i + 1)
	}
	return r.first[k:end]
}

// block returns block i's entries after checking its checksum.
func (r *Reader) block(i int) ([]byte, error) {
	start, _ := r.entry(i)
	end := uint32(len(r.blocks))
	if i+1 < r.nblocks {
		end, _ = r.entry(i + 1)
	}
	b := r.blocks[start:end]
	if len(b) < CRCSize {
		return nil, r.corrupt(int64(start), "block %d of %d bytes is too short", i, len(b))
	}
	body := b[:len(b)-CRCSize]
	if got, want := crc(body), binary.LittleEndian.Uint32(b[len(body):]); got != want {
		return nil, r.corrupt(int64(start), "block %d checksum %#08x, want %#08x", i, got, want)
	}
	return body, nil
}

// Len is the number of keys.
func (r *Reader) Len() int { return r.keys }

// seekBlock returns the last block whose first key is ≤ key (0 if none).
func (r *Reader) seekBlock(key []byte) int {
	i := sort.Search(r.nblocks, func(i int) bool { return bytes.Compare(r.firstKey(i), key) > 0 })
	return max(i-1, 0)
}

// Get returns the value stored under key. The value is a view of the file,
// valid until the file is closed.
func (r *Reader) Get(key []byte) (value []byte, found bool, err error) {
	if r.nblocks == 0 {
		return nil, false, nil
	}
	for e, err := range r.walk(r.seekBlock(key), true) {
		if err != nil {
			return nil, false, err
		}
		switch c := bytes.Compare(e.Key, key); {
		case c == 0:
			return e.Value, true, nil
		case c > 0:
			return nil, false, nil
		}
	}
	return nil, false, nil
}

// Entry is one key and its value. Key is valid only during the yield.
type Entry struct {
	Key, Value []byte
}

// Prefix walks the entries whose key starts with prefix, in key order.
func (r *Reader) Prefix(prefix []byte) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		if r.nblocks == 0 {
			return
		}
		for e, err := range r.walk(r.seekBlock(prefix), false) {
			if err != nil {
				yield(Entry{}, err)
				return
			}
			if bytes.HasPrefix(e.Key, prefix) {
				if !yield(e, nil) {
					return
				}
			} else if bytes.Compare(e.Key, prefix) > 0 {
				return
			}
		}
	}
}

// walk yields entries from block `from` on; one block only when single.
func (r *Reader) walk(from int, single bool) iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		var kbuf [64]byte
		key := kbuf[:0]
		var prev []byte
		for bi := from; bi < r.nblocks; bi++ {
			body, err := r.block(bi)
			if err != nil {
				yield(Entry{}, err)
				return
			}
			start, _ := r.entry(bi)
			for off, n := 0, 0; off < len(body); n++ {
				bad := func(format string, args ...any) error {
					return r.corrupt(int64(start)+int64(off), "block %d entry %d: "+format, append([]any{bi, n}, args...)...)
				}
				shared, sz := binary.Uvarint(body[off:])
				if sz <= 0 {
					yield(Entry{}, bad("bad shared length"))
					return
				}
				off += sz
				suffix, sz := binary.Uvarint(body[off:])
				if sz <= 0 {
					yield(Entry{}, bad("bad suffix length"))
					return
				}
				off += sz
				if shared > uint64(len(prev)) || (n == 0 && shared != 0) || suffix > uint64(len(body)-off) || shared+suffix > MaxKeyLen {
					yield(Entry{}, bad("key lengths %d+%d out of range", shared, suffix))
					return
				}
				key = append(append(key[:0], prev[:shared]...), body[off:off+int(suffix)]...)
				off += int(suffix)
				field, sz := binary.Uvarint(body[off:])
				if sz <= 0 {
					yield(Entry{}, bad("bad value length"))
					return
				}
				off += sz
				var value []byte
				if field&1 == 1 {
					ref := field >> 1
					if ref >= uint64(bi)*BlockEntries+uint64(n) {
						yield(Entry{}, bad("reference %d is not to an earlier entry", ref))
						return
					}
					if value, err = r.value(int(ref/BlockEntries), int(ref%BlockEntries)); err != nil {
						yield(Entry{}, err)
						return
					}
				} else {
					vlen := field >> 1
					if vlen > uint64(len(body)-off) {
						yield(Entry{}, bad("bad value length"))
						return
					}
					value = body[off : off+int(vlen) : off+int(vlen)]
					off += int(vlen)
				}
				if n == 0 && !bytes.Equal(key, r.firstKey(bi)) {
					yield(Entry{}, bad("first key differs from the index"))
					return
				}
				if n > 0 && bytes.Compare(key, prev) <= 0 {
					yield(Entry{}, bad("keys out of order"))
					return
				}
				if !yield(Entry{Key: key, Value: value}, nil) {
					return
				}
				// prev and key swap buffers so that prev survives the next append.
				prev, key = key, prev[:0]
			}
			if single {
				return
			}
			prev = prev[:0]
		}
	}
}

// value returns the inline value of entry n of block bi, which a later
// entry refers to.
func (r *Reader) value(bi, n int) ([]byte, error) {
	body, err := r.block(bi)
	if err != nil {
		return nil, err
	}
	start, _ := r.entry(bi)
	for i, off := 0, 0; off < len(body); i++ {
		bad := func(format string, args ...any) error {
			return r.corrupt(int64(start)+int64(off), "block %d entry %d: "+format, append([]any{bi, i}, args...)...)
		}
		var fields [2]uint64
		for j := range fields {
			x, sz := binary.Uvarint(body[off:])
			if sz <= 0 {
				return nil, bad("bad key length")
			}
			fields[j], off = x, off+sz
		}
		if fields[1] > uint64(len(body)-off) {
			return nil, bad("key lengths %d+%d out of range", fields[0], fields[1])
		}
		off += int(fields[1])
		field, sz := binary.Uvarint(body[off:])
		if sz <= 0 {
			return nil, bad("bad value length")
		}
		off += sz
		if field&1 == 1 {
			if i == n {
				return nil, bad("referred to entry is itself a reference")
			}
			continue
		}
		vlen := field >> 1
		if vlen > uint64(len(body)-off) {
			return nil, bad("bad value length")
		}
		if i == n {
			return body[off : off+int(vlen) : off+int(vlen)], nil
		}
		off += int(vlen)
	}
	return nil, r.corrupt(int64(start), "block %d has no entry %d", bi, n)
}
