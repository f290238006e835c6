package dict

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// Posting encodings: the low two bits of the first uvarint. Stored: never
// renumber.
const (
	encList    = 0
	encRoaring = 1
	encBitset  = 2
	encRice    = 3
	encBits    = 2
	encMask    = 1<<encBits - 1
	// minRoaring is the shortest list for which roaring is tried at all.
	minRoaring = 8
)

// errPostings marks a malformed posting list; DecodePostings wraps it.
var errPostings = errors.New("bad posting list")

// ErrShortBitset is returned by PostingsInto for a bitset too short for
// the records it must hold: a caller's mistake, not damage.
var ErrShortBitset = errors.New("bitset shorter than the records")

// AppendPostings appends the encoding of pos (ascending, distinct) to dst,
// choosing the smallest encoding: delta uvarints, Rice-coded deltas,
// a bitset or a roaring bitmap. scratch, if not nil, is reused
// for the roaring attempt.
func AppendPostings(dst []byte, pos []uint32, scratch *roaring.Bitmap) []byte {
	if len(pos) == 0 {
		// A list always holds its first position; empty is a roaring bitmap.
		dst = binary.AppendUvarint(dst, encRoaring)
		b, _ := roaring.New().ToBytes() // serializing an empty bitmap cannot fail
		return append(dst, b...)
	}
	if scratch == nil {
		scratch = roaring.New()
	}
	return appendPlanned(dst, pos, planPostings(pos, scratch), scratch)
}

// postingsPlan is the encoding AppendPostings chooses for a list, and the
// size of its value.
type postingsPlan struct {
	enc   int // encList, encRoaring, encBitset or encRice
	size  int
	riceK int
}

// planPostings chooses the encoding of pos (not empty) without writing
// it. When it chooses roaring, scratch holds the list's bitmap after.
func planPostings(pos []uint32, scratch *roaring.Bitmap) postingsPlan {
	first, last := pos[0], pos[len(pos)-1]
	listSize, riceK, riceSize, roaringMin := measure(pos)
	if len(pos) >= minRoaring && 1+roaringMin < min(listSize, riceSize) {
		scratch.Clear()
		scratch.AddMany(pos)
		scratch.RunOptimize()
		if rs := 1 + int(scratch.GetSerializedSizeInBytes()); rs < listSize && rs < riceSize {
			return postingsPlan{enc: encRoaring, size: rs}
		}
	}
	if bitsetSize := uvarintLen(uint64(first)<<encBits) + int(last-first)/8 + 1; bitsetSize < listSize && bitsetSize <= riceSize {
		return postingsPlan{enc: encBitset, size: bitsetSize}
	}
	if riceSize < listSize {
		return postingsPlan{enc: encRice, size: riceSize, riceK: riceK}
	}
	return postingsPlan{enc: encList, size: listSize}
}

// appendPlanned appends the encoding pl of pos (not empty) to dst; for
// roaring, scratch must hold the bitmap planPostings left there.
func appendPlanned(dst []byte, pos []uint32, pl postingsPlan, scratch *roaring.Bitmap) []byte {
	first, last := pos[0], pos[len(pos)-1]
	switch pl.enc {
	case encRoaring:
		dst = binary.AppendUvarint(dst, encRoaring)
		var buf bytes.Buffer
		scratch.WriteTo(&buf) // writing to a bytes.Buffer cannot fail
		return append(dst, buf.Bytes()...)
	case encBitset:
		dst = binary.AppendUvarint(dst, uint64(first)<<encBits|encBitset)
		n := len(dst)
		dst = append(dst, make([]byte, int(last-first)/8+1)...)
		for _, p := range pos {
			d := p - first
			dst[n+int(d/8)] |= 1 << (d % 8)
		}
		return dst
	case encRice:
		return appendRice(dst, pos, pl.riceK)
	}
	dst = binary.AppendUvarint(dst, uint64(first)<<encBits|encList)
	for i := 1; i < len(pos); i++ {
		dst = binary.AppendUvarint(dst, uint64(pos[i]-pos[i-1]))
	}
	return dst
}

// roaringMinSize is a lower bound of the portable serialized size of the
// run-optimized roaring bitmap of pos (ascending, distinct), found without
// building it: a header of at least 4 bytes and 4 per container, and each
// container the smallest of its run (2 + 4 per run), array (2 per value)
// and bitmap (8192 bytes) forms. AppendPostings builds the bitmap only
// when this bound beats the other encodings.
func roaringMinSize(pos []uint32) int {
	size := 4
	for i := 0; i < len(pos); {
		hi := pos[i] >> 16
		card, runs := 0, 0
		for ; i < len(pos) && pos[i]>>16 == hi; i++ {
			if card == 0 || pos[i] != pos[i-1]+1 {
				runs++
			}
			card++
		}
		size += 4 + min(2+4*runs, 2*card, 8192)
	}
	return size
}

func uvarintLen(x uint64) int {
	// 7 bits a byte, one byte for 0.
	return (bits.Len64(x|1) + 6) / 7
}

// DecodePostings decodes a posting list. Every position must be below
// records. Errors wrap errPostings; callers wrap them in a CorruptError.
func DecodePostings(b []byte, records uint64) (*roaring.Bitmap, error) {
	x, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, fmt.Errorf("%w: bad header", errPostings)
	}
	if x == encRoaring {
		return decodeRoaring(b[n:], records)
	}
	if denseFor(sizeHint(b), records) {
		s := newDenseSink(records)
		if err := decodeTo(s, b, records); err != nil {
			return nil, err
		}
		return s.bitmap(), nil
	}
	bm := roaring.New()
	if err := decodeTo(bm, b, records); err != nil {
		return nil, err
	}
	return bm, nil
}

// bitmapOf returns the roaring bitmap of pos (ascending, each below
// records).
func bitmapOf(pos []uint32, records uint64) *roaring.Bitmap {
	if !denseFor(len(pos), records) {
		bm := roaring.New()
		bm.AddMany(pos)
		return bm
	}
	s := newDenseSink(records)
	s.AddMany(pos)
	return s.bitmap()
}

// denseFor reports whether a list of about n positions below records is
// better turned into a bitmap through a dense bitset (one pass over
// records/64 words) than value by value (roaring's AddMany inserts each
// value on its own: about 50 ns each, most of a frequent term's lookup).
func denseFor(n int, records uint64) bool {
	return n >= 256 && uint64(n)*512 >= records
}

// denseSink sets positions in a bitset of records bits; decodeTo checks
// every position against records before it is added.
type denseSink struct{ words []uint64 }

func newDenseSink(records uint64) *denseSink {
	return &denseSink{words: make([]uint64, (records+63)/64)}
}

func (s *denseSink) AddMany(b []uint32) {
	for _, p := range b {
		s.words[p>>6] |= 1 << (p & 63)
	}
}

// bitmap converts the bitset (array and bitmap containers, no runs).
func (s *denseSink) bitmap() *roaring.Bitmap { return roaring.FromDense(s.words, false) }

// sink takes decoded positions, in ascending batches.
type sink interface{ AddMany([]uint32) }

// arraySink collects positions in a slice.
type arraySink struct{ pos []uint32 }

func (s *arraySink) AddMany(b []uint32) { s.pos = append(s.pos, b...) }

// sizeHint is an upper bound of the number of positions of the posting
// list b (not a roaring one), for sizing a slice; 0 if unknown.
func sizeHint(b []byte) int {
	x, n := binary.Uvarint(b)
	if n <= 0 {
		return 0
	}
	switch x & encMask {
	case encList:
		return len(b)
	case encBitset:
		return 8 * len(b)
	case encRice:
		c, _ := binary.Uvarint(b[n:])
		return int(min(c>>riceKBits+1, uint64(8*len(b))))
	}
	return 0
}

// decodeTo decodes the posting list b into s.
func decodeTo(s sink, b []byte, records uint64) error {
	x, n := binary.Uvarint(b)
	if n <= 0 {
		return fmt.Errorf("%w: bad header", errPostings)
	}
	switch x & encMask {
	case encRoaring:
		if x != encRoaring {
			return fmt.Errorf("%w: reserved bits %#x set", errPostings, x)
		}
		bm, err := decodeRoaring(b[n:], records)
		if err != nil {
			return err
		}
		s.AddMany(bm.ToArray())
		return nil
	case encBitset:
		return decodeBitset(s, x>>encBits, b[n:], records)
	case encList:
		return decodeList(s, x>>encBits, b[n:], records)
	case encRice:
		return decodeRice(s, x>>encBits, b[n:], records)
	}
	return fmt.Errorf("%w: unknown encoding %d", errPostings, x&encMask)
}

// decodeRoaring decodes a roaring body.
func decodeRoaring(body []byte, records uint64) (*roaring.Bitmap, error) {
	bm := roaring.New()
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
}

// decodeBitset decodes bit i of b as position first+i.
func decodeBitset(bm sink, first uint64, b []byte, records uint64) error {
	if len(b) == 0 || b[0]&1 == 0 || b[len(b)-1] == 0 {
		return fmt.Errorf("%w: bitset not trimmed", errPostings)
	}
	if first >= records || uint64(len(b)-1)*8 >= records-first {
		return fmt.Errorf("%w: bitset beyond %d records", errPostings, records)
	}
	var buf [128]uint32
	batch := buf[:0]
	for i, c := range b {
		for c != 0 {
			j := bits.TrailingZeros8(c)
			c &= c - 1
			p := first + uint64(i)*8 + uint64(j)
			if p >= records {
				return fmt.Errorf("%w: position %d beyond %d records", errPostings, p, records)
			}
			if len(batch) == cap(batch) {
				bm.AddMany(batch)
				batch = batch[:0]
			}
			batch = append(batch, uint32(p))
		}
	}
	bm.AddMany(batch)
	return nil
}

// decodeList decodes first followed by uvarint deltas.
func decodeList(bm sink, p uint64, b []byte, records uint64) error {
	n := 0
	if p >= records {
		return fmt.Errorf("%w: position %d beyond %d records", errPostings, p, records)
	}
	var buf [128]uint32
	batch := append(buf[:0], uint32(p))
	for off := n; off < len(b); {
		d, sz := binary.Uvarint(b[off:])
		if sz <= 0 || d == 0 {
			return fmt.Errorf("%w: bad delta at byte %d", errPostings, off)
		}
		off += sz
		if d >= records-p {
			return fmt.Errorf("%w: position beyond %d records", errPostings, records)
		}
		p += d
		if len(batch) == cap(batch) {
			bm.AddMany(batch)
			batch = batch[:0]
		}
		batch = append(batch, uint32(p))
	}
	bm.AddMany(batch)
	return nil
}

// Rice-coded lists (encRice): the header uvarint holds the first position,
// a second uvarint (count-1)<<riceKBits | k, then each delta d-1 as its
// high part (d-1)>>k in unary (that many 1 bits and a 0) and its low k
// bits, packed from the least significant bit of each byte. The unused
// bits of the last byte are 0.
const (
	riceKBits = 5
	maxRiceK  = 31
)

// riceLow returns the smallest Rice parameter riceParam tries for pos (at
// least two positions): one below the bit length of the mean delta.
func riceLow(pos []uint32) int {
	mean := uint64(pos[len(pos)-1]-pos[0]) / uint64(len(pos)-1)
	return max(0, bits.Len64(mean)-2)
}

// riceParam returns the cheapest Rice parameter for the deltas of pos
// (at least two positions) and the encoded size with it.
func riceParam(pos []uint32) (k int, size int) {
	n := len(pos) - 1
	if n <= 0 {
		return 0, math.MaxInt
	}
	lo := riceLow(pos)
	var high [3]uint64 // the unary bits with parameters lo, lo+1, lo+2
	for i := 1; i < len(pos); i++ {
		d := uint64(pos[i] - pos[i-1] - 1)
		high[0] += d >> lo
		high[1] += d >> (lo + 1)
		high[2] += d >> (lo + 2)
	}
	return riceBest(pos, lo, high)
}

// measure returns in one pass over pos (not empty) the sizes that
// AppendPostings chooses between: the uvarint list, the best Rice
// parameter and size (riceParam), and roaringMinSize.
func measure(pos []uint32) (listSize, riceK, riceSize, roaringMin int) {
	listSize = uvarintLen(uint64(pos[0]) << encBits)
	roaringMin = 4
	card, runs := 1, 1 // of the current roaring container
	lo := 0
	if len(pos) > 1 {
		lo = riceLow(pos)
	}
	var high [3]uint64
	for i := 1; i < len(pos); i++ {
		d := pos[i] - pos[i-1]
		listSize += uvarintLen(uint64(d))
		v := uint64(d - 1)
		high[0] += v >> lo
		high[1] += v >> (lo + 1)
		high[2] += v >> (lo + 2)
		if pos[i]>>16 != pos[i-1]>>16 {
			roaringMin += 4 + min(2+4*runs, 2*card, 8192)
			card, runs = 0, 0
		}
		if d != 1 || card == 0 {
			runs++
		}
		card++
	}
	roaringMin += 4 + min(2+4*runs, 2*card, 8192)
	if len(pos) < 2 {
		return listSize, 0, math.MaxInt, roaringMin
	}
	riceK, riceSize = riceBest(pos, lo, high)
	return listSize, riceK, riceSize, roaringMin
}

// riceBest picks the cheapest of the parameters lo, lo+1 and lo+2 given
// the unary bits each needs.
func riceBest(pos []uint32, lo int, high [3]uint64) (k int, size int) {
	n := len(pos) - 1
	size = math.MaxInt
	for j, c := range []int{lo, lo + 1, lo + 2} {
		if c > maxRiceK {
			break
		}
		total := uint64(n)*uint64(c+1) + high[j]
		sz := uvarintLen(uint64(pos[0])<<encBits) + uvarintLen(uint64(n)<<riceKBits|uint64(c)) + int((total+7)/8)
		if sz < size {
			k, size = c, sz
		}
	}
	return k, size
}

// appendRice appends the Rice encoding of pos with parameter k.
func appendRice(dst []byte, pos []uint32, k int) []byte {
	dst = binary.AppendUvarint(dst, uint64(pos[0])<<encBits|encRice)
	dst = binary.AppendUvarint(dst, uint64(len(pos)-1)<<riceKBits|uint64(k))
	w := bitWriter{dst: dst}
	for i := 1; i < len(pos); i++ {
		d := uint64(pos[i] - pos[i-1] - 1)
		for q := d >> k; ; q -= 32 {
			if q < 32 {
				w.put(1<<q-1, uint(q)+1) // q ones and a zero
				break
			}
			w.put(1<<32-1, 32)
		}
		w.put(d&(1<<k-1), uint(k))
	}
	return w.flush()
}

// bitWriter appends bits to dst, the low bit of each byte first, 32 at
// a time.
type bitWriter struct {
	dst  []byte
	acc  uint64 // pending bits, low first; fewer than 32
	nacc uint
}

// put appends the n <= 32 low bits of v (v < 1<<n).
func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	if w.nacc >= 32 {
		w.dst = binary.LittleEndian.AppendUint32(w.dst, uint32(w.acc))
		w.acc >>= 32
		w.nacc -= 32
	}
}

// flush appends the pending bits, the last byte padded with zero bits,
// and returns dst.
func (w *bitWriter) flush() []byte {
	for ; w.nacc > 0; w.nacc -= min(w.nacc, 8) {
		w.dst = append(w.dst, byte(w.acc))
		w.acc >>= 8
	}
	return w.dst
}

// decodeRice decodes a Rice-coded list (encRice) after its first position.
func decodeRice(bm sink, p uint64, b []byte, records uint64) error {
	if p >= records {
		return fmt.Errorf("%w: position %d beyond %d records", errPostings, p, records)
	}
	h, n := binary.Uvarint(b)
	if n <= 0 {
		return fmt.Errorf("%w: bad rice header", errPostings)
	}
	b = b[n:]
	count, k := h>>riceKBits, uint(h&(1<<riceKBits-1))
	if count == 0 || count >= records-p || count > uint64(len(b))*8 {
		return fmt.Errorf("%w: %d rice deltas in %d bytes", errPostings, count, len(b))
	}
	br := bitReader{b: b}
	var buf [128]uint32
	batch := append(buf[:0], uint32(p))
	for range count {
		var q uint64
		for {
			br.refill()
			if br.n == 0 {
				return fmt.Errorf("%w: rice list cut short", errPostings)
			}
			ones := uint(bits.TrailingZeros64(^br.acc))
			if ones < br.n {
				q += uint64(ones)
				br.skip(ones + 1)
				break
			}
			q += uint64(br.n)
			br.skip(br.n)
			if q >= records {
				return fmt.Errorf("%w: rice delta beyond %d records", errPostings, records)
			}
		}
		if q >= records {
			return fmt.Errorf("%w: rice delta beyond %d records", errPostings, records)
		}
		br.refill()
		if br.n < k {
			return fmt.Errorf("%w: rice list cut short", errPostings)
		}
		d := (q<<k | br.acc&(1<<k-1)) + 1
		br.skip(k)
		if d >= records-p {
			return fmt.Errorf("%w: position beyond %d records", errPostings, records)
		}
		p += d
		if len(batch) == cap(batch) {
			bm.AddMany(batch)
			batch = batch[:0]
		}
		batch = append(batch, uint32(p))
	}
	if br.n >= 8 || br.off < len(b) || br.acc != 0 {
		return fmt.Errorf("%w: rice list has trailing bits", errPostings)
	}
	bm.AddMany(batch)
	return nil
}

// bitReader reads b from the least significant bit of each byte.
type bitReader struct {
	b   []byte
	off int    // next byte to load
	acc uint64 // loaded bits, next first
	n   uint   // bits in acc
}

// refill loads bytes until acc holds more than 56 bits or b is used up.
func (r *bitReader) refill() {
	for r.n <= 56 && r.off < len(r.b) {
		r.acc |= uint64(r.b[r.off]) << r.n
		r.n += 8
		r.off++
	}
}

// skip drops n <= r.n bits.
func (r *bitReader) skip(n uint) {
	if n >= 64 {
		r.acc = 0
	} else {
		r.acc >>= n
	}
	r.n -= n
}
