package dict

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// Posting encodings: the low two bits of the first uvarint. Stored: never
// renumber.
const (
	encList    = 0
	encRoaring = 1
	encBitset  = 2
	encBits    = 2
	encMask    = 1<<encBits - 1
	// minRoaring is the shortest list for which roaring is tried at all.
	minRoaring = 8
)

// errPostings marks a malformed posting list; DecodePostings wraps it.
var errPostings = errors.New("bad posting list")

// AppendPostings appends the encoding of pos (ascending, distinct) to dst,
// choosing the smaller of the two encodings. scratch, if not nil, is reused
// for the roaring attempt.
func AppendPostings(dst []byte, pos []uint32, scratch *roaring.Bitmap) []byte {
	if len(pos) == 0 {
		// A list always holds its first position; empty is a roaring bitmap.
		dst = binary.AppendUvarint(dst, encRoaring)
		b, _ := roaring.New().ToBytes() // serializing an empty bitmap cannot fail
		return append(dst, b...)
	}
	first, last := pos[0], pos[len(pos)-1]
	listSize := uvarintLen(uint64(first) << encBits)
	for i := 1; i < len(pos); i++ {
		listSize += uvarintLen(uint64(pos[i] - pos[i-1]))
	}
	if len(pos) >= minRoaring {
		if scratch == nil {
			scratch = roaring.New()
		}
		scratch.Clear()
		scratch.AddMany(pos)
		scratch.RunOptimize()
		if rs := 1 + int(scratch.GetSerializedSizeInBytes()); rs < listSize {
			dst = binary.AppendUvarint(dst, encRoaring)
			var buf bytes.Buffer
			scratch.WriteTo(&buf) // writing to a bytes.Buffer cannot fail
			return append(dst, buf.Bytes()...)
		}
	}
	if bitsetSize := uvarintLen(uint64(first)<<encBits) + int(last-first)/8 + 1; bitsetSize < listSize {
		dst = binary.AppendUvarint(dst, uint64(first)<<encBits|encBitset)
		n := len(dst)
		dst = append(dst, make([]byte, int(last-first)/8+1)...)
		for _, p := range pos {
			d := p - first
			dst[n+int(d/8)] |= 1 << (d % 8)
		}
		return dst
	}
	dst = binary.AppendUvarint(dst, uint64(first)<<encBits|encList)
	for i := 1; i < len(pos); i++ {
		dst = binary.AppendUvarint(dst, uint64(pos[i]-pos[i-1]))
	}
	return dst
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// DecodePostings decodes a posting list. Every position must be below
// records. Errors wrap errPostings; callers wrap them in a CorruptError.
func DecodePostings(b []byte, records uint64) (*roaring.Bitmap, error) {
	x, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad header", errPostings)
	}
	bm := roaring.New()
	switch x & encMask {
	case encRoaring:
		if x != encRoaring {
			return nil, fmt.Errorf("%w: reserved bits %#x set", errPostings, x)
		}
		body := b[n:]
		got, err := bm.ReadFrom(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errPostings, err)
		}
		if got != int64(len(body)) {
			return nil, fmt.Errorf("%w: roaring bitmap of %d bytes in %d", errPostings, got, len(body))
		}
		if err := bm.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %v", errPostings, err)
		}
		if !bm.IsEmpty() && uint64(bm.Maximum()) >= records {
			return nil, fmt.Errorf("%w: position %d beyond %d records", errPostings, bm.Maximum(), records)
		}
		return bm, nil
	case encBitset:
		return decodeBitset(bm, x>>encBits, b[n:], records)
	case encList:
		return decodeList(bm, x>>encBits, b[n:], records)
	}
	return nil, fmt.Errorf("%w: unknown encoding %d", errPostings, x&encMask)
}

// decodeBitset decodes bit i of b as position first+i.
func decodeBitset(bm *roaring.Bitmap, first uint64, b []byte, records uint64) (*roaring.Bitmap, error) {
	if len(b) == 0 || b[0]&1 == 0 || b[len(b)-1] == 0 {
		return nil, fmt.Errorf("%w: bitset not trimmed", errPostings)
	}
	if first >= records || uint64(len(b)-1)*8 >= records-first {
		return nil, fmt.Errorf("%w: bitset beyond %d records", errPostings, records)
	}
	var buf [128]uint32
	batch := buf[:0]
	for i, c := range b {
		for c != 0 {
			j := bits.TrailingZeros8(c)
			c &= c - 1
			p := first + uint64(i)*8 + uint64(j)
			if p >= records {
				return nil, fmt.Errorf("%w: position %d beyond %d records", errPostings, p, records)
			}
			if len(batch) == cap(batch) {
				bm.AddMany(batch)
				batch = batch[:0]
			}
			batch = append(batch, uint32(p))
		}
	}
	bm.AddMany(batch)
	return bm, nil
}

// decodeList decodes first followed by uvarint deltas.
func decodeList(bm *roaring.Bitmap, p uint64, b []byte, records uint64) (*roaring.Bitmap, error) {
	n := 0
	if p >= records {
		return nil, fmt.Errorf("%w: position %d beyond %d records", errPostings, p, records)
	}
	var buf [128]uint32
	batch := append(buf[:0], uint32(p))
	for off := n; off < len(b); {
		d, sz := binary.Uvarint(b[off:])
		if sz <= 0 || d == 0 {
			return nil, fmt.Errorf("%w: bad delta at byte %d", errPostings, off)
		}
		off += sz
		if d >= records-p {
			return nil, fmt.Errorf("%w: position beyond %d records", errPostings, records)
		}
		p += d
		if len(batch) == cap(batch) {
			bm.AddMany(batch)
			batch = batch[:0]
		}
		batch = append(batch, uint32(p))
	}
	bm.AddMany(batch)
	return bm, nil
}
