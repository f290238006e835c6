package blocks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/file/container"
	"glarc/index/internal/indextest"
	"glarc/tokenizer"
)

// layoutCursor gives a memory cursor fixed blocks of every records.
type layoutCursor struct {
	chunk.RecordCursor
	starts []uint64
}

func (c layoutCursor) BlockStarts() []uint64 { return c.starts }

func build(t testing.TB, recs []chunk.Record, every int) (string, []uint64) {
	t.Helper()
	cm, meta := indextest.Sealed(t, recs)
	cur, err := cm.OpenCursor(meta.ID)
	require.NoError(t, err)
	defer cur.Close()
	var c chunk.RecordCursor = cur
	var starts []uint64
	if every > 0 {
		for s := 0; s < max(len(recs), 1); s += every {
			starts = append(starts, uint64(s))
		}
		c = layoutCursor{cur, starts}
	}
	dir := t.TempDir()
	require.NoError(t, NewIndexer().Build(context.Background(), meta, c, dir))
	return filepath.Join(dir, FileName), starts
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// TestGolden builds the expected file from the package doc's layout.
func TestGolden(t *testing.T) {
	// Eight blocks of one line each (MinCommonBlocks): x, 7 and the pair
	// "x 7" are in every block, so common; 10i and "7 10i" are not; get is
	// an index token.
	var lines []string
	for i := range MinCommonBlocks {
		lines = append(lines, fmt.Sprintf("GET x 7 10%d", i))
	}
	path, _ := build(t, indextest.Lines(lines...), 1)
	got, err := os.ReadFile(path)
	require.NoError(t, err)

	// 2 keys per block (10i and "7 10i") → 16 bits → 1 bucket; 8 blocks →
	// rows of 1 byte: 512 bytes, one segment.
	meta := slices.Concat(le64(MinCommonBlocks), le32(MinCommonBlocks), le32(6), le32(8), le32(1), le32(4096))
	var starts []byte
	rows := make([]byte, 512)
	for i := range MinCommonBlocks {
		starts = append(starts, le64(uint64(i))...)
		n := fmt.Sprintf("10%d", i)
		for _, key := range []string{n, "7 " + n} {
			h := Hash([]byte(key))
			for k := range 6 {
				rows[h>>(9*k)&511] |= 1 << i // bucket 0 of 1: row p is byte p
			}
		}
	}
	sums := le32(container.Checksum(rows))
	fps := []uint32{uint32(Hash([]byte("x")) >> 32), uint32(Hash([]byte("7")) >> 32), uint32(Hash([]byte("x 7")) >> 32)}
	slices.Sort(fps)
	var common []byte
	for _, f := range fps {
		common = append(common, le32(f)...)
	}

	secs := [][]byte{meta, starts, rows, common, sums}
	want := []byte{'i', 'b', Version, 1}
	var table []byte
	for _, s := range secs {
		want = append(want, s...)
		table = slices.Concat(table, le64(uint64(len(s))), le32(container.Checksum(s)), le32(0))
	}
	footer := le32(uint32(len(secs)))
	want = slices.Concat(want, table, footer, le32(container.Checksum(slices.Concat(table, footer))))
	require.Equal(t, want, got)
}

// TestCommon: keys most blocks hold are left out and pass; others still
// narrow; a chunk of fewer than MinCommonBlocks blocks keeps them all.
func TestCommon(t *testing.T) {
	lines := func(blocks int) []chunk.Record {
		var out []string
		for i := range blocks {
			out = append(out, fmt.Sprintf("port 22 from 10.0.0.%d", i), "port 443")
		}
		out[len(out)-1] = "port 8080" // 443 is in all blocks but the last
		return indextest.Lines(out...)
	}
	path, _ := build(t, lines(12), 2)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	for _, k := range []string{"22", "443", "10.0", "0.0", "10"} {
		require.True(t, r.isCommon(Hash([]byte(k))), k)
		cand, err := r.Candidates([][]byte{[]byte(k)})
		require.NoError(t, err)
		require.Equal(t, uint64(24), cand.GetCardinality(), k)
	}
	for _, k := range []string{"8080", "0.5", "0.11"} {
		require.False(t, r.isCommon(Hash([]byte(k))), k)
		cand, err := r.Candidates([][]byte{[]byte(k), []byte("443")})
		require.NoError(t, err)
		require.Less(t, cand.GetCardinality(), uint64(6), k)
	}

	path, _ = build(t, lines(MinCommonBlocks-1), 2)
	r2, err := Open(path)
	require.NoError(t, err)
	defer r2.Close()
	require.False(t, r2.isCommon(Hash([]byte("22"))))
	require.Empty(t, r2.common)
	cand, err := r2.Candidates([][]byte{[]byte("443")})
	require.NoError(t, err)
	require.Equal(t, uint64(2*(MinCommonBlocks-2)), cand.GetCardinality())
}

func TestCommonMin(t *testing.T) {
	for _, c := range []struct {
		blocks int
		want   uint32
	}{{1, 2}, {7, 8}, {8, 6}, {65, 49}, {100, 75}} {
		require.Equal(t, c.want, commonMin(c.blocks), c.blocks)
	}
}

// TestAddLineMatchesRunPairs pins the build side to tokenizer.RunPairs,
// which the planner uses on phrases: AddLine adds exactly the runs that are
// not index tokens and the run pairs.
func TestAddLineMatchesRunPairs(t *testing.T) {
	lines := [][]byte{[]byte("from 198.51.100.23 port 22 at 12:34:56, v 1.2 ssh2 3 a-b_c"), []byte(""), []byte("1 2  3"),
		[]byte("Ok OK-42 4711a 0x0EB8CCCA ABCDEFAB-ABCD-ABCD-ABCD-ABCDEFABCDEF 6398380c8df505f1 x ssh2.2 a.b-c"),
		[]byte("aaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaa -- _ - 1-2 A_B.C:D")}
	for _, r := range indextest.Generated(2000, 3) {
		lines = append(lines, r.Raw)
	}
	for _, f := range indextest.LoghubFiles(t) {
		for i, r := range indextest.Loghub(t, f) {
			if i%10 == 0 {
				lines = append(lines, r.Raw)
			}
		}
	}
	for _, line := range lines {
		var got hashSet
		AddLine(&got, line)
		var want hashSet
		for _, run := range tokenizer.Runs(line) {
			if IsKey(run) {
				want.Add(Hash(run))
			}
		}
		for p := range tokenizer.RunPairs(line) {
			require.True(t, IsKey(p))
			want.Add(Hash(p))
		}
		require.Equal(t, want.n, got.n, "line %q", line)
		got.each(func(h uint64) {
			found := false
			want.each(func(w uint64) { found = found || w == h })
			require.True(t, found, "line %q", line)
		})
	}
}

func TestHashSet(t *testing.T) {
	var s hashSet
	for i := range uint64(5000) {
		s.Add(i * 0x9e3779b97f4a7c15) // includes 0
		s.Add(i * 0x9e3779b97f4a7c15)
	}
	require.Equal(t, 5000, s.n)
	n := 0
	s.each(func(uint64) { n++ })
	require.Equal(t, 5000, n)
	s.reset()
	require.Zero(t, s.n)
	s.each(func(uint64) { t.Fatal("empty set yields") })
}

func TestHashFoldsCase(t *testing.T) {
	require.Equal(t, Hash([]byte("LabSZ")), Hash([]byte("labsz")))
	require.NotEqual(t, Hash([]byte("a")), Hash([]byte("b")))
}

// checkNoFalseNegatives: every record's runs pass its block's filter; and
// count how often a random absent run passes.
func checkNoFalseNegatives(t *testing.T, recs []chunk.Record, every int) {
	path, _ := build(t, recs, every)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	starts := r.BlockStarts()
	blockOf := func(pos int) int {
		i, _ := slices.BinarySearch(starts, uint64(pos)+1)
		return i - 1
	}
	for i, rec := range recs {
		var runs [][]byte
		for _, run := range tokenizer.Runs(rec.Raw) {
			runs = append(runs, run)
		}
		require.True(t, r.MayContain(blockOf(i), runs), "record %d", i)
		cand, err := r.Candidates(runs)
		require.NoError(t, err)
		require.True(t, cand.Contains(uint32(i)))
	}
	fp, probes := 0, 0
	for b := range starts {
		for j := range 2000 {
			probes++
			if r.MayContain(b, [][]byte{binary.LittleEndian.AppendUint64([]byte("absent-run-"), uint64(j))}) {
				fp++
			}
		}
	}
	raw := indextest.RawBytes(recs)
	t.Logf("%d records in %d blocks: %d bytes (%.1f%% of %d raw), false positives %.2f%%",
		len(recs), len(starts), r.Size(), 100*float64(r.Size())/float64(raw), raw, 100*float64(fp)/float64(probes))
	require.Less(t, float64(fp)/float64(probes), 0.04)
}

func TestLoghub(t *testing.T) {
	for _, f := range indextest.LoghubFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) { checkNoFalseNegatives(t, indextest.Loghub(t, f), 0) })
	}
}

func TestGenerated(t *testing.T) {
	checkNoFalseNegatives(t, indextest.Generated(20000, 5), 0)
	checkNoFalseNegatives(t, indextest.Generated(3000, 6), 700)   // BlockLayout
	checkNoFalseNegatives(t, indextest.Generated(20000, 7), 1000) // 20 blocks: common keys
}

func TestSkipsBlocks(t *testing.T) {
	path, _ := build(t, indextest.Lines("from 173.234.31.186 port 22", "other", "from 10.1.1.1", "x"), 1)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	runs := [][]byte{[]byte("173"), []byte("234"), []byte("31"), []byte("186")}
	cand, err := r.Candidates(runs)
	require.NoError(t, err)
	require.Equal(t, []uint32{0}, cand.ToArray())

	// Run pairs: every run of 10.1.173.234 is in block 0 or 2, but only
	// the pairs tell that no block holds it.
	path, _ = build(t, indextest.Lines("from 173.234.31.186 port 22", "10.1.1.1", "173.1.234.10"), 3)
	r2, err := Open(path)
	require.NoError(t, err)
	defer r2.Close()
	keys := func(text string) [][]byte {
		var out [][]byte
		for _, run := range tokenizer.Runs([]byte(text)) {
			out = append(out, run)
		}
		for p := range tokenizer.RunPairs([]byte(text)) {
			out = append(out, p)
		}
		return out
	}
	cand, err = r2.Candidates(keys("173.234.31.186"))
	require.NoError(t, err)
	require.Equal(t, []uint32{0, 1, 2}, cand.ToArray())
	require.False(t, r2.MayContain(0, keys("10.1.173.234")))
	require.True(t, r2.MayContain(0, keys("1.1")))
	require.True(t, r.MayContain(99, runs), "a block out of range is read, not skipped")
}

// TestIndexTokensPass: index tokens are the token index's; the filters
// hold no key for them and pass them in every block.
func TestIndexTokensPass(t *testing.T) {
	path, _ := build(t, indextest.Lines("from 173.234.31.186 port 22", "other 42"), 1)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	for _, k := range []string{"Port", "other", "absent", "web01"} {
		require.False(t, IsKey([]byte(k)), k)
		require.True(t, r.MayContain(1, [][]byte{[]byte(k)}), k)
	}
	for _, k := range []string{"42", "173.234", "x", "6398380c8df505f1", "aaaaaaaaaaaaaaaaa"} {
		require.True(t, IsKey([]byte(k)), k)
	}
	require.False(t, r.MayContain(0, [][]byte{[]byte("port"), []byte("42")}))
	cand, err := r.Candidates([][]byte{[]byte("absent")})
	require.NoError(t, err)
	require.Equal(t, uint64(2), cand.GetCardinality())
}

func TestEmptyChunk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	require.NoError(t, Write(path, 0, []uint64{0}, [][]uint64{nil}))
	r, err := Open(path)
	require.NoError(t, err)
	require.False(t, r.MayContain(0, [][]byte{[]byte("x")}))
	require.NoError(t, r.Close())
}

// exercise looks runs up in every block, failing when a lookup reads
// damaged rows.
func exercise(r *Reader, runs [][]byte) ([]bool, error) {
	bm, err := r.Candidates(runs)
	if err != nil {
		return nil, err
	}
	var out []bool
	for b, s := range r.BlockStarts() {
		ok := bm.Contains(uint32(s))
		if r.MayContain(b, runs) != ok {
			return nil, fmt.Errorf("block %d: MayContain and Candidates disagree", b)
		}
		out = append(out, ok)
	}
	return out, nil
}

func TestEveryFlipDetected(t *testing.T) {
	path, _ := build(t, indextest.Generated(30, 2), 10)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := range good {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := slices.Clone(good)
			bad[i] ^= mask
			r, err := FromBytes("bad", bad)
			if err == nil {
				// A lookup checks only the segments it reads; Verify
				// checks the rest.
				if _, err = exercise(r, [][]byte{[]byte("42")}); err == nil {
					err = r.Verify()
				}
			}
			require.Error(t, err, "flip %#x at byte %d undetected", mask, i)
			if !errors.Is(err, index.ErrCorrupt) && !errors.Is(err, index.ErrIncomplete) {
				t.Fatalf("flip at %d: %v is not ErrCorrupt", i, err)
			}
		}
	}
	for n := range len(good) {
		_, err := FromBytes("short", good[:n])
		require.Error(t, err)
	}
}

// TestDamagedSegment: a lookup that reads a damaged segment fails with
// ErrCorrupt, one that does not read it still answers.
func TestDamagedSegment(t *testing.T) {
	var lines []string
	for i := range 4000 {
		lines = append(lines, fmt.Sprintf("n %d %d", i, i*7919))
	}
	path, _ := build(t, indextest.Lines(lines...), 1000)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	r, err := FromBytes("good", good)
	require.NoError(t, err)
	require.Greater(t, len(r.sums)/SumSize, 1, "several segments")
	// Damage a row of key 7.
	n := uint64(len(r.starts))
	// rowBytes is the first and last byte of a row of key hash h.
	rowBytes := func(h uint64, i int) (int, int) {
		start := (bucketOf(h, r.buckets)*BucketBits + bitOf(h, i)) * n
		return int(start / 8), int((start + n - 1) / 8)
	}
	segsOf := func(key []byte) map[int]bool {
		h := Hash(key)
		segs := map[int]bool{}
		for i := range r.k {
			lo, hi := rowBytes(h, i)
			segs[lo/SegmentBytes], segs[hi/SegmentBytes] = true, true
		}
		return segs
	}
	h := Hash([]byte("7"))
	off, _ := rowBytes(h, 0)
	at := int(r.f.Offset(secRows)) + off
	bad := slices.Clone(good)
	bad[at] ^= 0x01
	r2, err := FromBytes("bad", bad)
	require.NoError(t, err, "rows are not checked at open")
	_, err = r2.Candidates([][]byte{[]byte("7")})
	require.ErrorIs(t, err, index.ErrCorrupt)
	require.True(t, r2.MayContain(0, [][]byte{[]byte("7")}), "a damaged block is read")
	require.ErrorIs(t, r2.Verify(), index.ErrCorrupt)
	// A key whose rows lie in other segments only.
	for i := range 4000 {
		k := []byte(fmt.Sprint(i * 7919))
		if segsOf(k)[off/SegmentBytes] {
			continue
		}
		c, err := r2.Candidates([][]byte{k})
		require.NoError(t, err)
		want, err := r.Candidates([][]byte{k})
		require.NoError(t, err)
		require.True(t, want.Equals(c))
		return
	}
	t.Fatal("no key outside the damaged segment")
}

func FuzzOpen(f *testing.F) {
	for _, recs := range [][]chunk.Record{indextest.Lines("GET 10.0.0.1", "ok", "POST"), indextest.Generated(50, 9)} {
		path, _ := build(f, recs, 7)
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := FromBytes("fuzz", data)
		if err != nil {
			return
		}
		exercise(r, [][]byte{[]byte("get"), []byte("10")})
		r.Candidates([][]byte{[]byte("ok")})
		r.MayContain(-1, nil)
		r.Verify()
	})
}

func TestCountTable(t *testing.T) {
	var ct countTable
	ct.bump(7, false) // not inserted: no table yet
	for b := range 10 {
		for f := range uint32(3000) {
			if b < 2 || f%2 == 0 { // odd ones only in blocks 0 and 1
				ct.bump(f*0x9e3779b9, true)
			}
		}
		ct.bump(uint32(100000+b), b < 2) // one block each, added in the first two
	}
	s := ct.atLeast(10)
	require.Equal(t, 1500, len(s.list))
	require.True(t, slices.IsSorted(s.list))
	for f := range uint32(3000) {
		require.Equal(t, f%2 == 0, s.has(f*0x9e3779b9), f)
	}
	require.False(t, s.has(100000))
	require.Equal(t, 3000+2, len(ct.atLeast(1).list)) // of 100000..100009, 100000 and 100001
	require.False(t, ct.atLeast(1).has(7))
	var empty fpSet
	require.False(t, empty.has(0))
}

// TestHashPages: sets appended across page boundaries read back whole, in
// the set's order.
func TestHashPages(t *testing.T) {
	var p hashPages
	var want []uint64
	for round := range 40 {
		var s hashSet
		for i := range uint64(3000 + 97*round) {
			s.Add(i * 0x9e3779b97f4a7c15 * uint64(round+1)) // 0 first of all
		}
		s.each(func(h uint64) { want = append(want, h) })
		from := p.n
		p.appendSet(&s)
		require.Equal(t, s.n, p.n-from)
	}
	require.Greater(t, p.n, 2*hashPage)
	var got []uint64
	p.each(0, p.n, func(h uint64) { got = append(got, h) })
	require.Equal(t, want, got)
}

// TestBlockFiltersRows: filters set block by block and sliced give the
// rows that setting every key in the rows directly gives.
func TestBlockFiltersRows(t *testing.T) {
	for _, blocks := range []int{1, 7, 8, 9, 64, 131} {
		for _, buckets := range []uint64{1, 3} {
			bf := newBlockFilters(blocks, buckets)
			want := newRows(blocks, buckets)
			h := uint64(blocks)*0x9e3779b97f4a7c15 + buckets
			for i := range blocks {
				for range 1 + i%50 {
					h = mix(h + 0x9e3779b97f4a7c15)
					bf.setKey(i, h, DefaultHashes)
					want.setKey(i, h, DefaultHashes)
				}
			}
			require.Equal(t, want.b, bf.rows().b, "%d blocks, %d buckets", blocks, buckets)
		}
	}
}

// TestPackedRows: the stored rows are the rows of whole bytes with the
// padding bits of each row left out: bit j of row r at bit r·n+j.
func TestPackedRows(t *testing.T) {
	for _, blocks := range []int{1, 3, 7, 8, 9, 63, 64, 65, 131} {
		rs := newRows(blocks, 2)
		h := uint64(blocks)
		for i := range blocks {
			for range 1 + i%40 {
				h = mix(h + 0x9e3779b97f4a7c15)
				rs.setKey(i, h, DefaultHashes)
			}
		}
		packed := rs.packed()
		rows := rs.buckets * BucketBits
		n := uint64(blocks)
		require.Len(t, packed, int((rows*n+7)/8), "%d blocks", blocks)
		for r := range rows {
			for j := range n {
				want := rs.b[r*uint64(rs.rowLen)+j/8]>>(j%8)&1 == 1
				bit := r*n + j
				require.Equal(t, want, packed[bit/8]>>(bit%8)&1 == 1, "%d blocks: row %d block %d", blocks, r, j)
			}
		}
		if tail := rows * n % 8; tail != 0 {
			require.Zero(t, packed[len(packed)-1]>>tail, "padding bits are zero")
		}
		for bit := range rows * n {
			v := bitsAt(packed, bit)
			require.Equal(t, uint64(packed[bit/8]>>(bit%8)&1), v&1, "bitsAt(%d)", bit)
		}
	}
}

// setKey sets the k bits of key hash h in the rows of block directly: the
// reference that blockFilters.rows and packed are checked against.
func (rs rowSet) setKey(block int, h uint64, k int) {
	b := bucketOf(h, rs.buckets)
	for i := range k {
		off := (b*BucketBits+bitOf(h, i))*uint64(rs.rowLen) + uint64(block/8)
		rs.b[off] |= 1 << (block % 8)
	}
}
