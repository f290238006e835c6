package file

import (
	"encoding/binary"
	"fmt"

	"glarc/chunk"
)

// blockBuilder collects records of one block and encodes its payload:
//
//	uvarint n                      records in the block
//	u8 unit, n × varint SourceTS   zig-zag deltas from the previous record (first from 0),
//	                               in the column's unit: 0 ns, 1 µs, 2 ms, 3 s
//	u8 unit, n × varint IngestTS
//	u8 unit, n × varint WriteTS
//	uvarint s                      distinct attribute sets
//	s × attribute set              chunk.Attributes encoding
//	n × uvarint set number         0..s-1
//	n × uvarint len(Raw)
//	Raw bytes of the n records, back to back
//
// Columns keep like with like, which is what zstd compresses best.
type blockBuilder struct {
	src, ingest, wrte []int64
	setOf             []uint32
	rawLens           []uint32
	raw               []byte
	sets              []byte
	setIndex          map[string]uint32
	nsets             uint32
	minTS, maxTS      int64
}

func newBlockBuilder() *blockBuilder {
	return &blockBuilder{setIndex: make(map[string]uint32)}
}

func (b *blockBuilder) reset() {
	b.src, b.ingest, b.wrte = b.src[:0], b.ingest[:0], b.wrte[:0]
	b.setOf, b.rawLens, b.raw, b.sets = b.setOf[:0], b.rawLens[:0], b.raw[:0], b.sets[:0]
	clear(b.setIndex)
	b.nsets = 0
}

func (b *blockBuilder) len() int { return len(b.src) }

// add appends a record whose attributes are already encoded.
func (b *blockBuilder) add(src, ingest, wrte int64, attrs, raw []byte) {
	t := recordTime(src, ingest)
	if len(b.src) == 0 || t < b.minTS {
		b.minTS = t
	}
	if len(b.src) == 0 || t > b.maxTS {
		b.maxTS = t
	}
	b.src = append(b.src, src)
	b.ingest = append(b.ingest, ingest)
	b.wrte = append(b.wrte, wrte)
	n, ok := b.setIndex[string(attrs)]
	if !ok {
		n = b.nsets
		b.nsets++
		b.setIndex[string(attrs)] = n
		b.sets = append(b.sets, attrs...)
	}
	b.setOf = append(b.setOf, n)
	b.rawLens = append(b.rawLens, uint32(len(raw)))
	b.raw = append(b.raw, raw...)
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

// appendPayload appends the encoded payload to dst.
func (b *blockBuilder) appendPayload(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b.src)))
	dst = appendDeltas(dst, b.src)
	dst = appendDeltas(dst, b.ingest)
	dst = appendDeltas(dst, b.wrte)
	dst = binary.AppendUvarint(dst, uint64(b.nsets))
	dst = append(dst, b.sets...)
	for _, s := range b.setOf {
		dst = binary.AppendUvarint(dst, uint64(s))
	}
	for _, l := range b.rawLens {
		dst = binary.AppendUvarint(dst, uint64(l))
	}
	return append(dst, b.raw...)
}

// decodedBlock is one block's payload, decoded into columns. Raw slices and
// attribute maps point into it and stay valid as long as it is referenced.
type decodedBlock struct {
	src, ingest, wrte []int64
	sets              []chunk.Attributes
	setOf             []uint32
	rawOff            []uint32 // n+1 offsets into raw
	raw               []byte
}

func (d *decodedBlock) len() int { return len(d.src) }

func (d *decodedBlock) record(i int) chunk.Record {
	return chunk.Record{
		SourceTS: decTime(d.src[i]),
		IngestTS: decTime(d.ingest[i]),
		WriteTS:  decTime(d.wrte[i]),
		Attrs:    d.sets[d.setOf[i]],
		Raw:      d.raw[d.rawOff[i]:d.rawOff[i+1]:d.rawOff[i+1]],
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
		r.err = fmt.Errorf("%s at payload offset %d", what, r.off)
	}
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
		prev += r.varint(what) * unit
		dst[i] = prev
	}
}

// decodePayload decodes a block payload holding want records. The result
// keeps references into payload.
func decodePayload(payload []byte, want int) (*decodedBlock, error) {
	r := &payloadReader{b: payload}
	n := r.uvarint("record count")
	if r.err == nil && n != uint64(want) {
		return nil, fmt.Errorf("block holds %d records, index says %d", n, want)
	}
	// Every record takes at least 5 bytes of columns (3 times, set, length): check before allocating.
	if r.err == nil && n > uint64(len(payload))/5 {
		return nil, fmt.Errorf("record count %d too large for %d payload bytes", n, len(payload))
	}
	if r.err != nil {
		return nil, r.err
	}
	d := &decodedBlock{
		src:    make([]int64, n),
		ingest: make([]int64, n),
		wrte:   make([]int64, n),
		setOf:  make([]uint32, n),
		rawOff: make([]uint32, n+1),
	}
	r.deltas(d.src, "SourceTS")
	r.deltas(d.ingest, "IngestTS")
	r.deltas(d.wrte, "WriteTS")
	nsets := r.uvarint("attribute set count")
	if r.err == nil && nsets > n {
		r.fail(fmt.Sprintf("attribute set count %d exceeds record count %d", nsets, n))
	}
	if r.err != nil {
		return nil, r.err
	}
	d.sets = make([]chunk.Attributes, nsets)
	for i := range d.sets {
		a, used, err := chunk.DecodeAttributesPrefix(r.b[r.off:])
		if err != nil {
			return nil, fmt.Errorf("attribute set %d at payload offset %d: %w", i, r.off, err)
		}
		d.sets[i] = a
		r.off += used
	}
	for i := range d.setOf {
		s := r.uvarint("attribute set number")
		if r.err == nil && s >= nsets {
			r.fail(fmt.Sprintf("attribute set number %d of %d", s, nsets))
		}
		d.setOf[i] = uint32(s)
	}
	var total uint64
	for i := range n {
		l := r.uvarint("raw length")
		total += l
		if r.err == nil && total > uint64(len(payload)) {
			r.fail("raw lengths exceed the payload")
		}
		d.rawOff[i+1] = uint32(total)
	}
	if r.err != nil {
		return nil, r.err
	}
	if rest := uint64(len(payload) - r.off); rest != total {
		return nil, fmt.Errorf("raw section is %d bytes, lengths add up to %d", rest, total)
	}
	d.raw = payload[r.off:]
	return d, nil
}
