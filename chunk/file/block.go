package file

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"glarc/chunk"
)

// A block is two zstd frames back to back: the meta frame (times,
// attributes, lengths; small) and the text frame (the Raw bytes; large). Decoded, the meta frame is
//
//	uvarint n                      records in the block
//	u8 unit, n × varint SourceTS   zig-zag deltas from the previous record (first from 0),
//	                               in the column's unit: 0 ns, 1 µs, 2 ms, 3 s
//	u8 unit, n × varint IngestTS
//	u8 unit, n × varint WriteTS
//	uvarint k                      attribute keys used in the block, in byte order
//	k × attribute column:
//	    uvarint len, key
//	    u8 mode                    0 dictionary, 1 substring
//	    mode 0: uvarint d          distinct values of the key, in first-use order
//	            d × (uvarint len, value)
//	            n × uvarint        value number + 1 for each record; 0: the record lacks the key
//	    mode 1: n × (uvarint o [, uvarint l])
//	                               the value is bytes [o-1, o-1+l) of the record's Raw
//	                               (host, app, pid: the parser took them from the line);
//	                               o = 0: the record lacks the key, and no l follows
//	n × uvarint len(Raw)
//
// and the text frame is the Raw bytes of the n records, back to back.
// Columns keep like with like, which is what zstd compresses best.
type blockBuilder struct {
	src, ingest, wrte []int64
	rawLens           []uint32
	raw               []byte
	keys              map[string]*attrColumn
	// order guesses the column of a record's j-th key: the previous
	// record's, whose keys are usually the same.
	order []*attrColumn
	// spare holds the columns of earlier blocks by key, to be reused
	// with their memory.
	spare        map[string]*attrColumn
	minTS, maxTS int64
}

// Attribute column modes. Stored on disk: never renumber.
const (
	colDictionary byte = 0
	colSubstring  byte = 1
)

// attrColumn collects one attribute key's values.
type attrColumn struct {
	key     string
	values  []string
	index   map[string]uint32
	records []uint32 // value number + 1 per record; 0 = absent (dictionary mode)
	// subOff and subLen locate the value in the record's Raw (subOff =
	// offset + 1; 0 = absent); subAll is false once a value was not found.
	// While subAll holds, the dictionary is not built: most columns that
	// start as substrings stay so.
	subOff, subLen []uint32
	subAll         bool
	// last and lastNum are the value looked up last (dictionary mode).
	last    string
	lastNum uint32
}

func (c *attrColumn) mode() byte {
	if c.subAll {
		return colSubstring
	}
	return colDictionary
}

// num returns the value number of v, adding it to the dictionary if new.
func (c *attrColumn) num(v []byte) uint32 {
	if len(c.values) > 0 && string(v) == c.last {
		return c.lastNum
	}
	vi, ok := c.index[string(v)]
	if !ok {
		vi = uint32(len(c.values))
		c.values = append(c.values, string(v))
		c.index[c.values[vi]] = vi
	}
	c.last, c.lastNum = c.values[vi], vi
	return vi
}

// toDictionary leaves substring mode: it numbers the values of the
// records so far, found at their offsets in raw (the block's text, whose
// records have the lengths rawLens).
func (c *attrColumn) toDictionary(raw []byte, rawLens []uint32) {
	c.subAll = false
	c.records = c.records[:0]
	start := 0
	for i, o := range c.subOff {
		if o == 0 {
			c.records = append(c.records, 0)
		} else {
			v := raw[start+int(o)-1 : start+int(o)-1+int(c.subLen[i])]
			c.records = append(c.records, c.num(v)+1)
		}
		start += int(rawLens[i])
	}
}

func newBlockBuilder() *blockBuilder {
	return &blockBuilder{keys: make(map[string]*attrColumn), spare: make(map[string]*attrColumn)}
}

func (b *blockBuilder) reset() {
	b.src, b.ingest, b.wrte = b.src[:0], b.ingest[:0], b.wrte[:0]
	b.rawLens, b.raw = b.rawLens[:0], b.raw[:0]
	for _, col := range b.keys {
		col.values, col.records, col.subOff, col.subLen = col.values[:0], col.records[:0], col.subOff[:0], col.subLen[:0]
		clear(col.index)
		col.subAll, col.last, col.lastNum = true, "", 0
	}
	b.keys, b.spare = b.spare, b.keys
	clear(b.keys)
	b.order = b.order[:0]
}

func (b *blockBuilder) len() int { return len(b.src) }

// column returns the column of key k, the record's j-th key.
func (b *blockBuilder) column(j int, k []byte) *attrColumn {
	if j < len(b.order) && b.order[j].key == string(k) {
		return b.order[j]
	}
	col, ok := b.keys[string(k)]
	if !ok {
		if col, ok = b.spare[string(k)]; ok {
			delete(b.spare, col.key)
		} else {
			col = &attrColumn{key: string(k), index: make(map[string]uint32), subAll: true}
		}
		b.keys[col.key] = col
	}
	if j < len(b.order) {
		b.order[j] = col
	} else {
		b.order = append(b.order, col)
	}
	return col
}

// add appends a record whose attributes are in their chunk.Attributes
// encoding (already checked by the caller's checksum).
func (b *blockBuilder) add(src, ingest, wrte int64, attrs, raw []byte) error {
	t := recordTime(src, ingest)
	if len(b.src) == 0 || t < b.minTS {
		b.minTS = t
	}
	if len(b.src) == 0 || t > b.maxTS {
		b.maxTS = t
	}
	n := len(b.src)
	b.src = append(b.src, src)
	b.ingest = append(b.ingest, ingest)
	b.wrte = append(b.wrte, wrte)
	j := 0
	err := eachAttr(attrs, func(k, v []byte) {
		col := b.column(j, k)
		j++
		for len(col.subOff) < n {
			col.subOff = append(col.subOff, 0)
			col.subLen = append(col.subLen, 0)
			if !col.subAll {
				col.records = append(col.records, 0)
			}
		}
		off := -1
		if col.subAll && len(v) > 0 {
			// The value is usually where it was in the record before
			// (a syslog line's host, app, pid): look there first. Any
			// place the value occurs in the line will do.
			if n > 0 && col.subOff[n-1] != 0 {
				o := int(col.subOff[n-1]) - 1
				if o+len(v) <= len(raw) && string(raw[o:o+len(v)]) == string(v) {
					off = o
				}
			}
			if off < 0 {
				off = bytes.Index(raw, v)
			}
		}
		if off < 0 && col.subAll {
			col.toDictionary(b.raw, b.rawLens)
		}
		if off < 0 {
			off = 0
		}
		col.subOff = append(col.subOff, uint32(off+1))
		col.subLen = append(col.subLen, uint32(len(v)))
		if !col.subAll {
			col.records = append(col.records, col.num(v)+1)
		}
	})
	if err != nil {
		return err
	}
	b.rawLens = append(b.rawLens, uint32(len(raw)))
	b.raw = append(b.raw, raw...)
	return nil
}

// eachAttr walks an encoded attribute set without building a map.
func eachAttr(b []byte, fn func(k, v []byte)) error {
	count, off := binary.Uvarint(b)
	if off <= 0 {
		return fmt.Errorf("%w: attributes: bad count", chunk.ErrCorrupt)
	}
	next := func() ([]byte, error) {
		l, w := binary.Uvarint(b[off:])
		if w <= 0 || l > uint64(len(b)-off-w) {
			return nil, fmt.Errorf("%w: attributes: bad length at offset %d", chunk.ErrCorrupt, off)
		}
		off += w
		s := b[off : off+int(l)]
		off += int(l)
		return s, nil
	}
	for range count {
		k, err := next()
		if err != nil {
			return err
		}
		v, err := next()
		if err != nil {
			return err
		}
		fn(k, v)
	}
	return nil
}

// Time column units. Stored on disk: never renumber.
const (
	unitNano   byte = 0
	unitMicro  byte = 1
	unitMilli  byte = 2
	unitSecond byte = 3
)

var unitNanos = [...]int64{unitNano: 1, unitMicro: 1e3, unitMilli: 1e6, unitSecond: 1e9}

// appendDeltas appends a time column: the coarsest unit that divides every
// delta, then the deltas in that unit. Second-resolution stamps cost a
// byte or less per record instead of five.
func appendDeltas(dst []byte, v []int64) []byte {
	unit := unitSecond
	var prev int64
	for _, x := range v {
		for unit > unitNano && (x-prev)%unitNanos[unit] != 0 {
			unit--
		}
		prev = x
	}
	dst = append(dst, unit)
	prev = 0
	for _, x := range v {
		dst = binary.AppendVarint(dst, (x-prev)/unitNanos[unit])
		prev = x
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendMeta appends the decoded meta frame to dst.
func (b *blockBuilder) appendMeta(dst []byte) []byte {
	n := len(b.src)
	dst = binary.AppendUvarint(dst, uint64(n))
	dst = appendDeltas(dst, b.src)
	dst = appendDeltas(dst, b.ingest)
	dst = appendDeltas(dst, b.wrte)
	keys := make([]string, 0, len(b.keys))
	for k := range b.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		col := b.keys[k]
		dst = appendString(dst, k)
		if col.mode() == colSubstring {
			dst = append(dst, colSubstring)
			for i := range n {
				if i >= len(col.subOff) || col.subOff[i] == 0 {
					dst = append(dst, 0)
					continue
				}
				dst = binary.AppendUvarint(dst, uint64(col.subOff[i]))
				dst = binary.AppendUvarint(dst, uint64(col.subLen[i]))
			}
			continue
		}
		dst = append(dst, colDictionary)
		dst = binary.AppendUvarint(dst, uint64(len(col.values)))
		for _, v := range col.values {
			dst = appendString(dst, v)
		}
		for i := range n {
			var v uint32
			if i < len(col.records) {
				v = col.records[i]
			}
			dst = binary.AppendUvarint(dst, uint64(v))
		}
	}
	for _, l := range b.rawLens {
		dst = binary.AppendUvarint(dst, uint64(l))
	}
	return dst
}

// decodedBlock is one block, decoded into columns. Raw slices and
// attribute maps point into it and stay valid as long as it is referenced.
// Records with the same attributes share one map: callers must not modify
// Record.Attrs.
// Attribute maps are built when a record is first read, so reading one
// record of a block builds one map. A decodedBlock is not safe for
// concurrent use.
type decodedBlock struct {
	src, ingest, wrte []int64
	rawOff            []uint32 // n+1 offsets into raw
	raw               []byte
	// Attribute columns: for record i and key j, cell[2*(i*k+j)] is the
	// value number + 1 (dictionary) or offset + 1 (substring), and
	// cell[2*(i*k+j)+1] the length.
	cols  []attrCol
	cell  []uint32
	sets  []chunk.Attributes
	setOf []uint32 // set of each record; noSet until built
	seen  map[string]uint32
	key   []byte
	// meta is the decompressed meta frame, kept for reuse.
	meta []byte
	// mem gives the text and meta buffers of a block kept for reuse.
	mem arenaUser
}

type attrCol struct {
	key    string
	mode   byte
	values []string
}

const noSet = ^uint32(0)

func (d *decodedBlock) len() int { return len(d.src) }

func (d *decodedBlock) record(i int) chunk.Record {
	return chunk.Record{
		SourceTS: decTime(d.src[i]),
		IngestTS: decTime(d.ingest[i]),
		WriteTS:  decTime(d.wrte[i]),
		Attrs:    d.attrs(i),
		Raw:      d.raw[d.rawOff[i]:d.rawOff[i+1]:d.rawOff[i+1]],
	}
}

// recordNoAttrs is record(i) without its attributes.
func (d *decodedBlock) recordNoAttrs(i int) chunk.Record {
	return chunk.Record{
		SourceTS: decTime(d.src[i]),
		IngestTS: decTime(d.ingest[i]),
		WriteTS:  decTime(d.wrte[i]),
		Raw:      d.raw[d.rawOff[i]:d.rawOff[i+1]:d.rawOff[i+1]],
	}
}

// attrs returns record i's attributes; records with equal values share
// one map.
func (d *decodedBlock) attrs(i int) chunk.Attributes {
	if s := d.setOf[i]; s != noSet {
		return d.sets[s]
	}
	k := len(d.cols)
	raw := d.raw[d.rawOff[i]:d.rawOff[i+1]]
	cells := d.cell[2*i*k : 2*(i+1)*k]
	key := d.key[:0]
	for j := range d.cols {
		x, l := cells[2*j], cells[2*j+1]
		switch {
		case x == 0:
			key = append(key, 0)
		case d.cols[j].mode == colSubstring:
			key = append(key, 1)
			key = binary.AppendUvarint(key, uint64(l))
			key = append(key, raw[x-1:x-1+l]...)
		default:
			key = append(key, 2)
			key = binary.AppendUvarint(key, uint64(x))
		}
	}
	d.key = key
	if d.seen == nil {
		d.seen = make(map[string]uint32)
	}
	s, ok := d.seen[string(key)]
	if !ok {
		var a chunk.Attributes
		for j := range d.cols {
			x, l := cells[2*j], cells[2*j+1]
			if x == 0 {
				continue
			}
			if a == nil {
				a = make(chunk.Attributes, k)
			}
			if d.cols[j].mode == colSubstring {
				a[d.cols[j].key] = string(raw[x-1 : x-1+l])
			} else {
				a[d.cols[j].key] = d.cols[j].values[x-1]
			}
		}
		s = uint32(len(d.sets))
		d.sets = append(d.sets, a)
		d.seen[string(key)] = s
	}
	d.setOf[i] = s
	return d.sets[s]
}

// eachAttr calls fn for every attribute of every record, record by
// record and column by column (chunk.BlockAttrs), from the columns as
// they are: no key strings, maps or sets are built.
func (d *decodedBlock) eachAttr(fn func(i, col int, key string, value []byte)) {
	k := len(d.cols)
	if k == 0 {
		return
	}
	for i := range d.len() {
		raw := d.raw[d.rawOff[i]:d.rawOff[i+1]]
		cells := d.cell[2*i*k : 2*(i+1)*k]
		for j := range d.cols {
			x, l := cells[2*j], cells[2*j+1]
			if x == 0 {
				continue
			}
			c := &d.cols[j]
			if c.mode == colSubstring {
				fn(i, j, c.key, raw[x-1:x-1+l:x-1+l])
			} else {
				fn(i, j, c.key, unsafe.Slice(unsafe.StringData(c.values[x-1]), len(c.values[x-1])))
			}
		}
	}
}

// payloadReader decodes with a sticky error: after the first failure every
// read returns zero and err says where it happened.
type payloadReader struct {
	b   []byte
	off int
	err error
}

func (r *payloadReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at meta offset %d", what, r.off)
		r.b = nil // the inline reads stop too
	}
}

// byte1 reads the next byte if it is a whole uvarint (below 0x80), as
// most lengths, offsets, value numbers and time deltas of a block are: the
// loops over records call it (it is inlined) before uvarint or varint.
func (r *payloadReader) byte1() (uint64, bool) {
	if off := r.off; off < len(r.b) && r.b[off] < 0x80 {
		r.off = off + 1
		return uint64(r.b[off]), true
	}
	return 0, false
}

func (r *payloadReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad " + what)
		return 0
	}
	r.off += n
	return v
}

func (r *payloadReader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad " + what)
		return 0
	}
	r.off += n
	return v
}

func (r *payloadReader) bytes(what string) []byte {
	l := r.uvarint(what + " length")
	if r.err == nil && l > uint64(len(r.b)-r.off) {
		r.fail(fmt.Sprintf("%s length %d exceeds the %d bytes left", what, l, len(r.b)-r.off))
	}
	if r.err != nil {
		return nil
	}
	s := r.b[r.off : r.off+int(l)]
	r.off += int(l)
	return s
}

func (r *payloadReader) deltas(dst []int64, what string) {
	if r.err != nil {
		return
	}
	if r.off >= len(r.b) || int(r.b[r.off]) >= len(unitNanos) {
		r.fail("bad " + what + " unit")
		return
	}
	unit := unitNanos[r.b[r.off]]
	r.off++
	var prev int64
	for i := range dst {
		d, ok := r.byte1()
		if !ok {
			prev += r.varint(what) * unit
		} else {
			prev += int64(d>>1^-(d&1)) * unit // zig-zag
		}
		dst[i] = prev
	}
}

// decodeBlockFrames decodes a block's meta frame and text frame (both
// already decompressed) holding want records. The result keeps references
// into text. If spare is not nil, its columns are reused (and spare is
// invalid afterwards).
func decodeBlockFrames(meta, text []byte, want int, spare *decodedBlock) (*decodedBlock, error) {
	r := &payloadReader{b: meta}
	n := r.uvarint("record count")
	if r.err == nil && n != uint64(want) {
		return nil, fmt.Errorf("block holds %d records, index says %d", n, want)
	}
	// Every record takes at least 4 bytes of meta (3 times, a length):
	// check before allocating.
	if r.err == nil && n > uint64(len(meta))/4 {
		return nil, fmt.Errorf("record count %d too large for %d meta bytes", n, len(meta))
	}
	if r.err != nil {
		return nil, r.err
	}
	d := spare
	if d == nil {
		d = &decodedBlock{}
	}
	d.src = resizeIn(&d.mem, d.src, n)
	d.ingest = resizeIn(&d.mem, d.ingest, n)
	d.wrte = resizeIn(&d.mem, d.wrte, n)
	d.setOf = resizeIn(&d.mem, d.setOf, n)
	d.rawOff = resizeIn(&d.mem, d.rawOff, n+1)
	d.rawOff[0] = 0
	d.sets = d.sets[:0]
	clear(d.seen)
	r.deltas(d.src, "SourceTS")
	r.deltas(d.ingest, "IngestTS")
	r.deltas(d.wrte, "WriteTS")
	k := r.uvarint("attribute key count")
	if r.err == nil && k > chunk.MaxAttrs {
		r.fail(fmt.Sprintf("%d attribute keys", k))
	}
	if r.err != nil {
		return nil, r.err
	}
	cols := resize(d.cols, k)
	// For record i and key j: cell[2*(i*k+j)] is the value number + 1
	// (dictionary) or offset + 1 (substring), cell[2*(i*k+j)+1] the length.
	cell := resizeIn(&d.mem, d.cell, 2*n*k)
	clear(cell)
	for j := range cols {
		c := &cols[j]
		*c = attrCol{}
		c.key = string(r.bytes("attribute key"))
		if j > 0 && r.err == nil && strings.Compare(cols[j-1].key, c.key) >= 0 {
			r.fail("attribute keys out of order")
		}
		if r.err == nil && r.off >= len(meta) {
			r.fail("attribute column cut short")
		}
		if r.err != nil {
			return nil, r.err
		}
		c.mode = meta[r.off]
		r.off++
		switch c.mode {
		case colDictionary:
			nv := r.uvarint("attribute value count")
			if r.err == nil && nv > uint64(len(meta)-r.off) {
				r.fail(fmt.Sprintf("%d values exceed the meta frame", nv))
			}
			if r.err != nil {
				return nil, r.err
			}
			c.values = make([]string, nv)
			for v := range c.values {
				c.values[v] = string(r.bytes("attribute value"))
			}
			for i := range n {
				x, ok := r.byte1()
				if !ok {
					x = r.uvarint("attribute value number")
				}
				if r.err == nil && x > nv {
					r.fail(fmt.Sprintf("value number %d of %d", x, nv))
				}
				cell[2*(i*k+uint64(j))] = uint32(x)
			}
		case colSubstring:
			for i := range n {
				o, ok := r.byte1()
				if !ok {
					o = r.uvarint("attribute offset")
				}
				var l uint64
				if o > 0 {
					if l, ok = r.byte1(); !ok {
						l = r.uvarint("attribute length")
					}
				}
				if r.err == nil && (o > 1<<32-1 || l > 1<<32-1) {
					r.fail("attribute offset out of range")
				}
				cell[2*(i*k+uint64(j))] = uint32(o)
				cell[2*(i*k+uint64(j))+1] = uint32(l)
			}
		default:
			r.fail(fmt.Sprintf("unknown attribute column mode %d", c.mode))
		}
	}
	var total uint64
	for i := range n {
		l, ok := r.byte1()
		if !ok {
			l = r.uvarint("raw length")
		}
		total += l
		if r.err == nil && total > uint64(len(text)) {
			r.fail("raw lengths exceed the text frame")
		}
		d.rawOff[i+1] = uint32(total)
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(meta) {
		return nil, fmt.Errorf("%d trailing meta bytes", len(meta)-r.off)
	}
	if uint64(len(text)) != total {
		return nil, fmt.Errorf("text frame is %d bytes, lengths add up to %d", len(text), total)
	}
	d.raw = text
	// Check every substring against its line now: a corrupt block fails
	// here, not when a record is read.
	for i := range n {
		lineLen := d.rawOff[i+1] - d.rawOff[i]
		for j := range cols {
			x, l := cell[2*(i*k+uint64(j))], cell[2*(i*k+uint64(j))+1]
			if x != 0 && cols[j].mode == colSubstring && uint64(x-1)+uint64(l) > uint64(lineLen) {
				return nil, fmt.Errorf("record %d: attribute %q at %d+%d lies outside its %d-byte line", i, cols[j].key, x-1, l, lineLen)
			}
		}
		d.setOf[i] = noSet
	}
	d.cols, d.cell = cols, cell
	return d, nil
}

// resize returns s with length n, reusing its memory when it is large
// enough (the contents are stale then).
func resize[T any](s []T, n uint64) []T {
	if uint64(cap(s)) >= n {
		return s[:n]
	}
	return make([]T, n, roomFor(n))
}

// roomFor is the capacity given to block memory that must hold n: blocks
// are cut at slightly different sizes, so memory sized exactly for one
// block would not fit the next one that reuses it. An eighth more, rounded
// up to 4 KiB, holds the blocks of one chunk.
func roomFor(n uint64) uint64 {
	return (n + n/8 + 4095) &^ 4095
}
