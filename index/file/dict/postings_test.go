package dict

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"glarc/index/internal/indextest"
)

func TestPostingsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := map[string][]uint32{"empty": nil, "one": {7}, "two": {3, 4}, "dense": nil, "sparse": nil, "run": nil, "medium": nil, "wide": {0, 1 << 19, 1<<20 - 1}}
	for i := range uint32(3000) {
		if r.IntN(20) == 0 {
			tests["medium"] = append(tests["medium"], i)
		}
		tests["run"] = append(tests["run"], 1000+i)
		if r.IntN(3) == 0 {
			tests["dense"] = append(tests["dense"], i)
		}
		if r.IntN(200) == 0 {
			tests["sparse"] = append(tests["sparse"], i*13)
		}
	}
	for name, pos := range tests {
		t.Run(name, func(t *testing.T) {
			b := AppendPostings(nil, pos, nil)
			bm, err := DecodePostings(b, 1<<20)
			require.NoError(t, err)
			require.Equal(t, len(pos), int(bm.GetCardinality()))
			for _, p := range pos {
				require.True(t, bm.Contains(p))
			}
			if len(pos) > 0 {
				// As few records as the list allows: long lists take
				// the dense path (denseFor), short ones add value by value.
				records := uint64(pos[len(pos)-1]) + 1
				bm, err := DecodePostings(b, records)
				require.NoError(t, err)
				require.Equal(t, pos, bm.ToArray())
				require.Equal(t, pos, bitmapOf(pos, records).ToArray())
			}
			if len(pos) > 0 {
				_, err = DecodePostings(b, uint64(pos[len(pos)-1])) // last position out of range
				require.Error(t, err)
			}
		})
	}
}

func FuzzDecodePostings(f *testing.F) {
	f.Add(AppendPostings(nil, []uint32{1, 5, 9}, nil))
	f.Add(AppendPostings(nil, []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, nil))
	run := make([]uint32, 5000)
	for i := range run {
		run[i] = uint32(i)
	}
	f.Add(AppendPostings(nil, run, nil))
	f.Add(appendRice(nil, []uint32{2, 30, 31, 90, 400}, 3))
	f.Add(appendRice(nil, []uint32{0, 1000}, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		bm, err := DecodePostings(data, 1<<16)
		if err != nil {
			return
		}
		if !bm.IsEmpty() && bm.Maximum() >= 1<<16 {
			t.Fatalf("position %d beyond records", bm.Maximum())
		}
	})
}

func FuzzReader(f *testing.F) {
	var blocks bytes.Buffer
	d := NewWriter(&blocks)
	for _, k := range []string{"a", "ab", "abc", "b", "zz"} {
		require.NoError(f, d.Add([]byte(k), AppendPostings(nil, []uint32{1, 2}, nil)))
	}
	idx, err := d.Finish()
	require.NoError(f, err)
	f.Add(blocks.Bytes(), idx)
	// A dictionary with subset lists and shared values.
	var pos []uint32
	for i := range uint32(200) {
		pos = append(pos, 2*i)
	}
	ps := NewParents()
	ps.Add([]byte("b"), pos)
	ps.Plan()
	blocks.Reset()
	d = NewWriter(&blocks)
	for _, k := range []string{"a", "b", "c", "d"} {
		require.NoError(f, d.Add([]byte(k), ps.AppendPostings(nil, []byte(k), pos[:len(pos)-len(k)])))
	}
	idx, err = d.Finish()
	require.NoError(f, err)
	f.Add(blocks.Bytes(), idx)
	f.Fuzz(func(t *testing.T, blocks, idx []byte) {
		r, err := NewReader("fuzz", blocks, 0, idx)
		if err != nil {
			return
		}
		for _, k := range []string{"a", "abc", "zz", ""} {
			r.Get([]byte(k))
		}
		dst := make([]uint64, Words(1000))
		for e, err := range r.Prefix(nil) {
			if err != nil {
				break
			}
			bm, err := r.Postings(e.Value, 1000)
			clear(dst)
			errInto := r.PostingsInto(e.Value, 1000, dst)
			if (err == nil) != (errInto == nil) {
				t.Fatalf("Postings error %v, PostingsInto error %v", err, errInto)
			}
			if err == nil && !slices.Equal(bm.ToArray(), indextest.BitsetPositions(dst)) {
				t.Fatalf("PostingsInto %v, Postings %v", indextest.BitsetPositions(dst), bm.ToArray())
			}
		}
	})
}

// TestRice checks the Rice encoding for every parameter, that it is chosen
// for lists of middling density, and that damaged lists are refused.
func TestRice(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var pos []uint32
	for p := uint32(r.IntN(50)); p < 200000; p += 1 + uint32(r.IntN(40)) {
		pos = append(pos, p)
	}
	for k := range maxRiceK + 1 {
		b := appendRice(nil, pos, k)
		bm, err := DecodePostings(b, 200000)
		require.NoError(t, err, "k=%d", k)
		require.Equal(t, pos, bm.ToArray(), "k=%d", k)
		_, err = DecodePostings(b[:len(b)-1], 200000)
		require.Error(t, err, "cut, k=%d", k)
		_, err = DecodePostings(append(b, 0), 200000)
		require.Error(t, err, "trailing byte, k=%d", k)
	}
	b := AppendPostings(nil, pos, nil)
	require.Equal(t, uint64(encRice), uint64(b[0]&encMask))
	k, size := riceParam(pos)
	require.Len(t, b, size)
	require.Equal(t, appendRice(nil, pos, k), b)
}

// benchPositions is the list the decoding benchmarks read: positions
// below 400,000, 1 to 40 apart (about 5% of the records).
func benchPositions() []uint32 {
	r := rand.New(rand.NewPCG(5, 6))
	var pos []uint32
	for p := uint32(0); p < 400000; p += 1 + uint32(r.IntN(40)) {
		pos = append(pos, p)
	}
	return pos
}

func BenchmarkDecodeRice(b *testing.B) {
	pos := benchPositions()
	enc := AppendPostings(nil, pos, nil)
	require.Equal(b, uint64(encRice), uint64(enc[0]&encMask))
	b.SetBytes(int64(len(enc)))
	b.ReportMetric(float64(len(enc))*8/float64(len(pos)), "bits/pos")
	for b.Loop() {
		if _, err := DecodePostings(enc, 400000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPostingsInto decodes the Rice list of BenchmarkDecodeRice into
// a reused bitset, as the planner does.
func BenchmarkPostingsInto(b *testing.B) {
	pos := benchPositions()
	enc := AppendPostings(nil, pos, nil)
	var d Reader
	dst := make([]uint64, Words(400000))
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		clear(dst)
		if err := d.PostingsInto(enc, 400000, dst); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(pos)), "ns/pos")
}

func BenchmarkDecodeList(b *testing.B) {
	pos := benchPositions()
	enc := binary.AppendUvarint(nil, uint64(pos[0])<<encBits|encList)
	for i := 1; i < len(pos); i++ {
		enc = binary.AppendUvarint(enc, uint64(pos[i]-pos[i-1]))
	}
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := DecodePostings(enc, 400000); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRoaringMinSize checks that the bound never exceeds the real size of
// the run-optimized bitmap.
func TestRoaringMinSize(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 300 {
		var pos []uint32
		p := uint32(r.IntN(1 << 18))
		gap := 1 + r.IntN(1<<r.IntN(12))
		for n := 1 + r.IntN(20000); n > 0 && p < 1<<22; n-- {
			pos = append(pos, p)
			if r.IntN(4) == 0 {
				p += uint32(1 + r.IntN(gap))
			} else {
				p++
			}
		}
		bm := roaring.BitmapOf(pos...)
		bm.RunOptimize()
		require.LessOrEqual(t, roaringMinSize(pos), int(bm.GetSerializedSizeInBytes()), "%d positions", len(pos))
	}
}

// TestMeasure checks the one-pass sizes against the separate functions.
func TestMeasure(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 500 {
		var pos []uint32
		p := uint32(r.IntN(1 << 17))
		gap := 1 + r.IntN(1<<r.IntN(14))
		for n := 1 + r.IntN(5000); n > 0 && p < 1<<22; n-- {
			pos = append(pos, p)
			if r.IntN(3) == 0 {
				p++
			} else {
				p += uint32(1 + r.IntN(gap))
			}
		}
		list := uvarintLen(uint64(pos[0]) << encBits)
		for i := 1; i < len(pos); i++ {
			list += uvarintLen(uint64(pos[i] - pos[i-1]))
		}
		k, size := riceParam(pos)
		gotList, gotK, gotSize, gotRoaring := measure(pos)
		require.Equal(t, []int{list, k, size, roaringMinSize(pos)}, []int{gotList, gotK, gotSize, gotRoaring}, "%d positions", len(pos))
	}
}

// BenchmarkAppendPostings measures encoding a Rice-sized list.
func BenchmarkAppendPostings(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	var pos []uint32
	for p := uint32(0); p < 400000; p += 1 + uint32(r.IntN(40)) {
		pos = append(pos, p)
	}
	b.SetBytes(int64(4 * len(pos)))
	var dst []byte
	for b.Loop() {
		dst = AppendPostings(dst[:0], pos, nil)
	}
	b.ReportMetric(float64(len(dst))/float64(len(pos)), "bytes/position")
}

func TestUvarintLen(t *testing.T) {
	for _, x := range []uint64{0, 1, 127, 128, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<63 - 1, 1 << 63, ^uint64(0)} {
		require.Equal(t, len(binary.AppendUvarint(nil, x)), uvarintLen(x), x)
	}
}
