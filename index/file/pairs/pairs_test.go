package pairs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/file/container"
	"glarc/index/internal/indextest"
	"glarc/tokenizer"
)

// buildKV indexes the text pairs of recs and returns the file bytes.
func build(t testing.TB, recs []chunk.Record, typ byte, b collect.Budget) []byte {
	t.Helper()
	cm, meta := indextest.Sealed(t, recs)
	cur, err := cm.OpenCursor(meta.ID)
	require.NoError(t, err)
	defer cur.Close()
	var set *collect.PairSet
	if typ == container.TypeKV {
		set, err = collect.KV(context.Background(), cur, b)
	} else {
		set, err = collect.Attrs(context.Background(), cur, b)
	}
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "x.idx")
	require.NoError(t, Write(path, typ, set))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
func le64(v uint64) []byte { return append(le32(uint32(v)), le32(uint32(v>>32))...) }

// TestGolden builds the expected kv file from the layouts in the package
// docs of pairs, dict and container.
func TestGolden(t *testing.T) {
	got := build(t, indextest.Lines("User=root a=1", "user=Root"), container.TypeKV, collect.Budget{})
	block := func(entries ...[]byte) []byte {
		b := bytes.Join(entries, nil)
		return append(b, le32(container.Checksum(b))...)
	}
	// key entries: shared | suffixLen | suffix | valueLen<<1 | keyFlags | posting
	keyBlocks := block(
		[]byte{0, 1, 'a', 2 << 1, 0, 0 << 2},
		[]byte{0, 4, 'u', 's', 'e', 'r', 3 << 1, 0, 0 << 2, 1},
	)
	keyIndex := slices.Concat(le32(2), le32(1), le32(0), le32(0), []byte("a"))
	// pair keys: uvarint(len(key)) | key | value
	pairBlocks := block(
		[]byte{0, 3, 1, 'a', '1', 1 << 1, 0 << 2},
		[]byte{0, 9, 4, 'u', 's', 'e', 'r', 'r', 'o', 'o', 't', 2 << 1, 0 << 2, 1},
	)
	pairIndex := slices.Concat(le32(2), le32(1), le32(0), le32(0), []byte{1, 'a', '1'})
	meta := slices.Concat(le64(2), le32(2), le32(2), le32(uint32(FlagKeysComplete)), le32(0))

	secs := [][]byte{meta, keyBlocks, keyIndex, pairBlocks, pairIndex}
	want := []byte{'i', 'p', Version, 1}
	var table []byte
	for _, s := range secs {
		want = append(want, s...)
		table = slices.Concat(table, le64(uint64(len(s))), le32(container.Checksum(s)), le32(0))
	}
	footer := le32(uint32(len(secs)))
	want = slices.Concat(want, table, footer, le32(container.Checksum(slices.Concat(table, footer))))
	require.Equal(t, want, got)
}

func positions(recs []chunk.Record, match func(chunk.Record) bool) []uint32 {
	var out []uint32
	for i, r := range recs {
		if match(r) {
			out = append(out, uint32(i))
		}
	}
	return out
}

func arr(a []uint32) []uint32 {
	if len(a) == 0 {
		return nil
	}
	return a
}

func checkKV(t *testing.T, recs []chunk.Record) {
	data := build(t, recs, container.TypeKV, collect.Budget{})
	r, err := FromBytes("kv", data, container.TypeKV)
	require.NoError(t, err)
	seen := map[[2]string]bool{}
	for _, rec := range recs {
		for k, v := range tokenizer.Pairs(rec.Raw) {
			seen[[2]string{strings.ToLower(string(k)), strings.ToLower(string(v))}] = true
		}
	}
	held, dropped := 0, 0
	for kv := range seen {
		k, v := kv[0], kv[1]
		bm, ok, err := r.Key(k)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, positions(recs, func(rec chunk.Record) bool { return tokenizer.HasKey(rec.Raw, []byte(k)) }), arr(bm.ToArray()), k)
		requireSameInto(t, r, k, v)
		bm, ok, err = r.Lookup(strings.ToUpper(k), v)
		require.NoError(t, err)
		require.Equal(t, r.Complete(k), ok)
		if !ok {
			dropped++
			continue
		}
		held++
		require.Equal(t, positions(recs, func(rec chunk.Record) bool { return tokenizer.HasPair(rec.Raw, []byte(k), []byte(v)) }), arr(bm.ToArray()), "%s=%s", k, v)
	}
	t.Logf("%d records, %d raw bytes: %d pairs held, %d left out; index %d bytes (%.1f%%)",
		len(recs), indextest.RawBytes(recs), held, dropped, len(data), 100*float64(len(data))/float64(indextest.RawBytes(recs)))
}

func checkAttr(t *testing.T, recs []chunk.Record) {
	data := build(t, recs, container.TypeAttr, collect.Budget{})
	r, err := FromBytes("attr", data, container.TypeAttr)
	require.NoError(t, err)
	seen := map[[2]string]bool{}
	for _, rec := range recs {
		for k, v := range rec.Attrs {
			seen[[2]string{strings.ToLower(k), strings.ToLower(v)}] = true
		}
	}
	for kv := range seen {
		k, v := kv[0], kv[1]
		bm, ok, err := r.Lookup(k, strings.ToUpper(v))
		require.NoError(t, err)
		requireSameInto(t, r, k, strings.ToUpper(v))
		if !ok {
			require.False(t, r.Complete(k))
			continue
		}
		require.Equal(t, positions(recs, func(rec chunk.Record) bool {
			for rk, rv := range rec.Attrs {
				if strings.EqualFold(rk, k) && strings.EqualFold(rv, v) {
					return true
				}
			}
			return false
		}), arr(bm.ToArray()), "%s=%s", k, v)
	}
	var keys []string
	for k, err := range r.Keys() {
		require.NoError(t, err)
		keys = append(keys, k)
	}
	require.True(t, slices.IsSorted(keys))
	t.Logf("%d records: attr index %d bytes (%.1f%%), keys %v", len(recs), len(data), 100*float64(len(data))/float64(indextest.RawBytes(recs)), keys)
}

func TestLoghubBruteForce(t *testing.T) {
	for _, f := range indextest.LoghubFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			recs := indextest.Loghub(t, f)
			checkKV(t, recs)
			checkAttr(t, recs)
		})
	}
}

func TestGeneratedBruteForce(t *testing.T) {
	recs := indextest.Generated(3000, 3)
	checkKV(t, recs)
	checkAttr(t, recs)
}

func TestBudget(t *testing.T) {
	recs := indextest.Lines("a=1 b=1", "a=2 b=1 c=x", "a=3 d=y", "A=4")
	data := build(t, recs, container.TypeKV, collect.Budget{MaxValuesPerKey: 2, MaxKeys: 3})
	r, err := FromBytes("kv", data, container.TypeKV)
	require.NoError(t, err)

	// a has 4 values > 2: its pairs are left out, its key kept.
	require.False(t, r.Complete("a"))
	bm, held, err := r.Lookup("a", "1")
	require.NoError(t, err)
	require.False(t, held)
	require.Nil(t, bm)
	bm, held, err = r.Key("a")
	require.NoError(t, err)
	require.True(t, held)
	require.Equal(t, []uint32{0, 1, 2, 3}, bm.ToArray())

	// b is complete.
	bm, held, err = r.Lookup("b", "1")
	require.NoError(t, err)
	require.True(t, held)
	require.Equal(t, []uint32{0, 1}, bm.ToArray())
	bm, held, err = r.Lookup("b", "2")
	require.NoError(t, err)
	require.True(t, held)
	require.True(t, bm.IsEmpty())

	// d came after MaxKeys: unknown keys cannot be answered.
	require.False(t, r.Complete("d"))
	require.True(t, r.HasKey("d"))
	_, held, err = r.Key("d")
	require.NoError(t, err)
	require.False(t, held)
	_, held, err = r.Lookup("zzz", "1")
	require.NoError(t, err)
	require.False(t, held)

	for _, kv := range [][2]string{{"a", "1"}, {"b", "1"}, {"b", "2"}, {"d", "y"}, {"zzz", "1"}} {
		requireSameInto(t, r, kv[0], kv[1])
	}

	var vals []string
	for v, err := range r.Values("B") {
		require.NoError(t, err)
		vals = append(vals, v)
	}
	require.Equal(t, []string{"1"}, vals)
}

// requireSameInto checks that LookupInto and KeyInto add to a bitset what
// Lookup and Key return (held and positions), on top of bits already set.
func requireSameInto(t *testing.T, r *Reader, key, value string) {
	t.Helper()
	words := make([]uint64, (r.Records()+63)/64+1)
	check := func(bm *roaring.Bitmap, held bool, err error, into func([]uint64) (bool, error)) {
		t.Helper()
		require.NoError(t, err)
		clear(words)
		words[len(words)-1] = 1 // beyond the records: must stay as it is
		heldInto, err := into(words)
		require.NoError(t, err)
		require.Equal(t, held, heldInto, "%s=%s", key, value)
		require.Equal(t, uint64(1), words[len(words)-1])
		got := indextest.BitsetPositions(words[:len(words)-1])
		var want []uint32
		if bm != nil {
			want = bm.ToArray()
		}
		require.Equal(t, arr(want), arr(got), "%s=%s", key, value)
	}
	bm, held, err := r.Lookup(key, value)
	check(bm, held, err, func(w []uint64) (bool, error) { return r.LookupInto(key, value, w) })
	bm, held, err = r.Key(key)
	check(bm, held, err, func(w []uint64) (bool, error) { return r.KeyInto(key, w) })
}

func TestAbsentKeyIsEmptyWhenKeysComplete(t *testing.T) {
	data := build(t, indextest.Lines("a=1"), container.TypeKV, collect.Budget{})
	r, err := FromBytes("kv", data, container.TypeKV)
	require.NoError(t, err)
	require.True(t, r.Complete("zzz"))
	require.False(t, r.HasKey("zzz"))
	bm, held, err := r.Lookup("zzz", "1")
	require.NoError(t, err)
	require.True(t, held)
	require.True(t, bm.IsEmpty())
}

// exercise runs every read path and returns the answers or the first error.
func exercise(r *Reader, recs []chunk.Record) ([]string, error) {
	var out []string
	for _, rec := range recs {
		for k, v := range tokenizer.Pairs(rec.Raw) {
			bm, _, err := r.Lookup(string(k), string(v))
			if err != nil {
				return nil, err
			}
			if bm != nil {
				out = append(out, bm.String())
			}
			bm, _, err = r.Key(string(k))
			if err != nil {
				return nil, err
			}
			if bm != nil {
				out = append(out, bm.String())
			}
		}
	}
	for k, err := range r.Keys() {
		if err != nil {
			return nil, err
		}
		for v, err := range r.Values(k) {
			if err != nil {
				return nil, err
			}
			out = append(out, k+"="+v)
		}
	}
	return out, nil
}

func TestEveryFlipDetected(t *testing.T) {
	recs := indextest.Lines("user=root a=1 pid=42", "user=admin", `msg="x y" user=root`)
	good := build(t, recs, container.TypeKV, collect.Budget{})
	for i := range good {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := slices.Clone(good)
			bad[i] ^= mask
			r, err := FromBytes("bad", bad, container.TypeKV)
			if err == nil {
				_, err = exercise(r, recs)
			}
			require.Error(t, err, "flip %#x at byte %d undetected", mask, i)
			if !errors.Is(err, index.ErrCorrupt) && !errors.Is(err, index.ErrIncomplete) {
				t.Fatalf("flip at %d: %v is not ErrCorrupt", i, err)
			}
		}
	}
	for n := range len(good) {
		_, err := FromBytes("short", good[:n], container.TypeKV)
		require.Error(t, err)
	}
	// The wrong type is refused.
	_, err := FromBytes("attr", good, container.TypeAttr)
	require.ErrorIs(t, err, index.ErrCorrupt)
}

func FuzzOpen(f *testing.F) {
	recs := indextest.Lines("user=root a=1 pid=42", "user=admin", `msg="x y" user=root`, "User=ROOT")
	f.Add(build(f, recs, container.TypeKV, collect.Budget{}))
	f.Add(build(f, indextest.Generated(30, 1), container.TypeKV, collect.Budget{MaxValuesPerKey: 3}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := FromBytes("fuzz", data, container.TypeKV)
		if err != nil {
			return
		}
		exercise(r, recs)
		r.Complete("user")
		r.HasKey("a")
		r.Verify()
	})
}

// TestSubsetPairs checks pairs that the writer may code as subsets of
// longer pair lists (method=get within app=web) against the lines.
func TestSubsetPairs(t *testing.T) {
	var lines []string
	for i := range 3000 {
		switch {
		case i%3 == 0:
			lines = append(lines, fmt.Sprintf("app=db q=%d", i))
		case i%7 == 0:
			lines = append(lines, "app=web method=post")
		default:
			lines = append(lines, fmt.Sprintf("app=web method=get n=%d", i%5))
		}
	}
	recs := indextest.Lines(lines...)
	checkKV(t, recs)
	data := build(t, recs, container.TypeKV, collect.Budget{})
	r, err := FromBytes("kv", data, container.TypeKV)
	require.NoError(t, err)
	bm, held, err := r.Lookup("METHOD", "Get")
	require.NoError(t, err)
	require.True(t, held)
	require.Equal(t, positions(recs, func(rec chunk.Record) bool { return strings.Contains(string(rec.Raw), "method=get") }), bm.ToArray())
}
