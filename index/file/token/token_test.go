package token

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/file/container"
	"glarc/index/file/dict"
	"glarc/index/internal/indextest"
)

// build indexes recs into a temp dir and returns the file's path.
func build(t testing.TB, recs []chunk.Record) string {
	t.Helper()
	cm, meta := indextest.Sealed(t, recs)
	cur, err := cm.OpenCursor(meta.ID)
	require.NoError(t, err)
	defer cur.Close()
	dir := t.TempDir()
	require.NoError(t, NewIndexer().Build(context.Background(), meta, cur, dir))
	return filepath.Join(dir, FileName)
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// TestGolden builds the expected file from the layouts in the package docs
// of token, dict and container.
func TestGolden(t *testing.T) {
	path := build(t, indextest.Lines("a Foo bar", "foo 12 Bar", "averyveryverylongrunhere x"))
	got, err := os.ReadFile(path)
	require.NoError(t, err)

	block := func(entries ...[]byte) []byte {
		b := bytes.Join(entries, nil)
		return append(b, le32(container.Checksum(b))...)
	}
	// entry: uvarint shared | uvarint suffixLen | suffix | uvarint(valueLen<<1) | value
	// or, for a value an earlier entry holds: ... | suffix | uvarint(ref<<1 | 1)
	// value: list encoding, uvarint(first<<2 | 0) then deltas.
	tokBlocks := block(
		append([]byte{0, 3, 'b', 'a', 'r', 2 << 1}, 0<<2, 1),
		[]byte{0, 3, 'f', 'o', 'o', 0<<1 | 1}, // the value of entry 0 of block 0
	)
	tokIndex := slices.Concat(le32(2), le32(1), le32(0), le32(0), []byte("bar"))
	longBlocks := block(append(append([]byte{0, 16}, "averyveryverylon"...), 1<<1, 2<<2))
	longIndex := slices.Concat(le32(1), le32(1), le32(0), le32(0), []byte("averyveryverylon"))
	meta := slices.Concat(le64(3), le32(2), le32(1))

	secs := [][]byte{meta, tokBlocks, tokIndex, longBlocks, longIndex}
	want := []byte{'i', 'k', Version, 1}
	var table []byte
	for _, s := range secs {
		want = append(want, s...)
		table = slices.Concat(table, le64(uint64(len(s))), le32(container.Checksum(s)), le32(0))
	}
	footer := le32(uint32(len(secs)))
	want = slices.Concat(want, table, footer, le32(container.Checksum(slices.Concat(table, footer))))
	require.Equal(t, want, got)
}

func TestLookupSmall(t *testing.T) {
	recs := indextest.Lines("a Foo bar", "foo 12 Bar", "averyveryverylongrunhere x", "")
	r, err := Open(build(t, recs))
	require.NoError(t, err)
	defer r.Close()
	require.Equal(t, 2, r.Count())
	require.EqualValues(t, 4, r.Records())

	tests := []struct {
		tok  string
		held bool
		want []uint32
	}{
		{"FOO", true, []uint32{0, 1}},
		{"bar", true, []uint32{0, 1}},
		{"baz", true, nil},
		{"12", false, nil},                       // numeric
		{"a", false, nil},                        // too short
		{"averyveryverylongrunhere", false, nil}, // too long
	}
	for _, tc := range tests {
		t.Run(tc.tok, func(t *testing.T) {
			bm, held, err := r.Lookup([]byte(tc.tok))
			require.NoError(t, err)
			require.Equal(t, tc.held, held)
			requireSameInto(t, r, tc.tok)
			if tc.held {
				require.Equal(t, tc.want, nilIfEmpty(bm.ToArray()))
			} else {
				require.Nil(t, bm)
			}
		})
	}
	bm, complete, err := r.Prefix([]byte("AVERY"))
	require.NoError(t, err)
	require.True(t, complete)
	require.Equal(t, []uint32{2}, bm.ToArray())
	_, complete, err = r.Prefix([]byte("a"))
	require.NoError(t, err)
	require.False(t, complete)
	require.NoError(t, r.Verify())
}

// requireSameInto checks that LookupInto adds to a bitset what Lookup
// returns (held and positions), leaving bits already set as they are; a
// bitset too short is refused.
func requireSameInto(t *testing.T, r *Reader, tok string) {
	t.Helper()
	bm, held, err := r.Lookup([]byte(tok))
	require.NoError(t, err)
	words := make([]uint64, (r.Records()+63)/64+1)
	words[len(words)-1] = 1 // beyond the records
	heldInto, err := r.LookupInto([]byte(tok), words)
	require.NoError(t, err)
	require.Equal(t, held, heldInto, tok)
	require.Equal(t, uint64(1), words[len(words)-1])
	got := indextest.BitsetPositions(words[:len(words)-1])
	var want []uint32
	if bm != nil {
		want = bm.ToArray()
	}
	require.Equal(t, nilIfEmpty(want), got, tok)
	if held && len(want) > 0 {
		_, err = r.LookupInto([]byte(tok), words[:len(words)-2])
		require.ErrorIs(t, err, dict.ErrShortBitset)
	}
}

func nilIfEmpty(a []uint32) []uint32 {
	if len(a) == 0 {
		return nil
	}
	return a
}

// checkAgainstBruteForce compares every token and some prefixes with the
// exact check over the lines.
func checkAgainstBruteForce(t *testing.T, recs []chunk.Record) {
	path := build(t, recs)
	r, err := Open(path)
	require.NoError(t, err)
	defer r.Close()
	toks := indextest.AllTokens(recs)
	require.Equal(t, len(toks), r.Count())
	var walked []string
	for tok, err := range r.Tokens(nil) {
		require.NoError(t, err)
		walked = append(walked, string(tok))
	}
	require.Equal(t, toks, walked)
	prefixes := map[string]bool{}
	for _, tok := range toks {
		bm, held, err := r.Lookup([]byte(tok))
		require.NoError(t, err)
		require.True(t, held, tok)
		require.Equal(t, indextest.TokenMatches(recs, []byte(tok)), bm.ToArray(), tok)
		requireSameInto(t, r, tok)
		prefixes[tok[:min(len(tok), 3)]] = true
	}
	for p := range prefixes {
		bm, complete, err := r.Prefix([]byte(p))
		require.NoError(t, err)
		if !complete {
			continue
		}
		// A superset of the matches, and at most the matches plus the
		// records with a run in p's long bucket.
		want := roaring.BitmapOf(indextest.PrefixMatches(recs, []byte(p))...)
		require.True(t, roaring.AndNot(want, bm).IsEmpty(), "prefix %q: index must hold a superset", p)
		want.Or(roaring.BitmapOf(indextest.BucketMatches(recs, []byte(p))...))
		require.True(t, roaring.AndNot(bm, want).IsEmpty(), "prefix %q: more than the bucket adds", p)
	}
	raw := indextest.RawBytes(recs)
	t.Logf("%d records, %d raw bytes, %d tokens, index %d bytes (%.1f%%)",
		len(recs), raw, r.Count(), r.Size(), 100*float64(r.Size())/float64(raw))
}

func TestLoghubBruteForce(t *testing.T) {
	for _, f := range indextest.LoghubFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) { checkAgainstBruteForce(t, indextest.Loghub(t, f)) })
	}
}

func TestGeneratedBruteForce(t *testing.T) {
	checkAgainstBruteForce(t, indextest.Generated(20000, 1))
}

func TestNotSealed(t *testing.T) {
	err := NewIndexer().Build(context.Background(), chunk.ChunkMeta{}, nil, t.TempDir())
	require.ErrorIs(t, err, index.ErrChunkNotSealed)
}

func TestStat(t *testing.T) {
	dir := t.TempDir()
	info := NewIndexer().Stat(dir)
	require.False(t, info.Exists)
	path := build(t, indextest.Lines("hello world"))
	info = NewIndexer().Stat(filepath.Dir(path))
	require.True(t, info.Exists)
	require.True(t, info.Complete)
	require.NoError(t, info.Err)
	_, err := NewIndexer().Open(dir)
	require.ErrorIs(t, err, index.ErrNotBuilt)

	// An unfinished file (complete flag clear) is never used.
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[3] = 0
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = Open(path)
	require.ErrorIs(t, err, index.ErrIncomplete)
	info = NewIndexer().Stat(filepath.Dir(path))
	require.False(t, info.Complete)
}

// exercise runs every read path of r and returns the first error.
func exercise(r *Reader, toks []string) (answers []string, err error) {
	for _, tok := range toks {
		bm, _, err := r.Lookup([]byte(tok))
		if err != nil {
			return nil, err
		}
		answers = append(answers, bmString(bm))
		bm, _, err = r.Prefix([]byte(tok[:min(2, len(tok))]))
		if err != nil {
			return nil, err
		}
		answers = append(answers, bmString(bm))
	}
	for tok, err := range r.Tokens(nil) {
		if err != nil {
			return nil, err
		}
		answers = append(answers, string(tok))
	}
	return answers, nil
}

func bmString(bm *roaring.Bitmap) string {
	if bm == nil {
		return "nil"
	}
	return bm.String()
}

// TestEveryFlipDetected flips each byte of a small index: opening or
// reading it must fail with ErrCorrupt or ErrIncomplete, never panic and
// never answer differently.
func TestEveryFlipDetected(t *testing.T) {
	recs := indextest.Generated(40, 7)
	path := build(t, recs)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	toks := indextest.AllTokens(recs)
	r, err := FromBytes("good", good)
	require.NoError(t, err)
	want, err := exercise(r, toks)
	require.NoError(t, err)

	for i := range good {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := slices.Clone(good)
			bad[i] ^= mask
			r, err := FromBytes("bad", bad)
			if err == nil {
				_, err = exercise(r, toks)
			}
			require.Error(t, err, "flip %#x at byte %d of %d undetected", mask, i, len(good))
			if !errorsIsAny(err, index.ErrCorrupt, index.ErrIncomplete) {
				t.Fatalf("flip at %d: error %v is not ErrCorrupt", i, err)
			}
		}
	}
	// Truncations too.
	for n := range len(good) {
		_, err := FromBytes("short", good[:n])
		require.Error(t, err)
	}
	_ = want
}
