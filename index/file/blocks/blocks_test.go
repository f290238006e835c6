package blocks

import (
	"context"
	"encoding/binary"
	"errors"
	"math/bits"
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
	path, _ := build(t, indextest.Lines("GET 10.0.0.1", "ok", "POST"), 2)
	got, err := os.ReadFile(path)
	require.NoError(t, err)

	// Block 0 holds the runs 10, 0, 1 and the run pairs 10.0, 0.0, 0.1
	// (6 keys → 48 bits → 1 word; get and ok are index tokens, not keys);
	// block 1 holds no key (post is an index token), still 1 word.
	bloom := func(words int, keys ...string) []byte {
		w := make([]uint64, words)
		m := uint64(64 * words)
		for _, r := range keys {
			h := Hash([]byte(r))
			d := bits.RotateLeft64(h, 32) | 1
			for i := range uint64(6) {
				b, _ := bits.Mul64(h+i*d, m)
				w[b/64] |= 1 << (b % 64)
			}
		}
		var out []byte
		for _, x := range w {
			out = binary.LittleEndian.AppendUint64(out, x)
		}
		return out
	}
	w0, w1 := bloom(1, "10", "0", "1", "10.0", "0.0", "0.1"), bloom(1)
	meta := slices.Concat(le64(3), le32(2), le32(6), le32(8), le32(0))
	starts := slices.Concat(le64(0), le64(2))
	dir := slices.Concat(le32(0), le32(1), le32(container.Checksum(w0)), le32(1), le32(1), le32(container.Checksum(w1)))
	words := slices.Concat(w0, w1)

	secs := [][]byte{meta, starts, dir, words}
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
	require.Less(t, float64(fp)/float64(probes), 0.03)
}

func TestLoghub(t *testing.T) {
	for _, f := range indextest.LoghubFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) { checkNoFalseNegatives(t, indextest.Loghub(t, f), 0) })
	}
}

func TestGenerated(t *testing.T) {
	checkNoFalseNegatives(t, indextest.Generated(20000, 5), 0)
	checkNoFalseNegatives(t, indextest.Generated(3000, 6), 700) // BlockLayout
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

func exercise(r *Reader, runs [][]byte) ([]bool, error) {
	var out []bool
	for b := range r.BlockStarts() {
		ok, err := r.mayContain(b, keyHashes(nil, runs))
		if err != nil {
			return nil, err
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
				_, err = exercise(r, [][]byte{[]byte("42")})
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
