package dict

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"glarc/index"
	"glarc/index/internal/indextest"
)

// nested returns lists where each is a random subset of the one before
// (so that subset coding applies), plus unrelated ones.
func nested(r *rand.Rand, records uint32) map[string][]uint32 {
	lists := map[string][]uint32{}
	var all []uint32
	for p := range records {
		if r.IntN(3) > 0 {
			all = append(all, p)
		}
	}
	prev := all
	for depth := range 6 {
		lists[fmt.Sprintf("level%d", depth)] = prev
		var next []uint32
		for _, p := range prev {
			if r.IntN(10) < 7 {
				next = append(next, p)
			}
		}
		prev = next
	}
	for i := range 20 {
		var l []uint32
		for p := range records {
			if r.IntN(50) == 0 {
				l = append(l, p)
			}
		}
		lists[fmt.Sprintf("other%02d", i)] = l
	}
	return lists
}

func writeLists(t *testing.T, lists map[string][]uint32) (*Reader, []byte) {
	t.Helper()
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range lists {
			if !yield(k) {
				return
			}
		}
	})
	ps := NewParents()
	longest := slices.Clone(keys)
	slices.SortStableFunc(longest, func(a, b string) int { return len(lists[b]) - len(lists[a]) })
	for _, k := range longest {
		ps.Add([]byte(k), lists[k])
	}
	ps.Plan()
	var buf bytes.Buffer
	d := NewWriter(&buf)
	for _, k := range keys {
		require.NoError(t, d.Add([]byte(k), ps.AppendPostings(nil, []byte(k), lists[k])))
	}
	idx, err := d.Finish()
	require.NoError(t, err)
	r, err := NewReader("t", buf.Bytes(), 0, idx)
	require.NoError(t, err)
	return r, buf.Bytes()
}

// TestSubsetRoundTrip writes nested lists with parents and reads every
// list back exactly; the nested lists come out smaller than plain.
func TestSubsetRoundTrip(t *testing.T) {
	const records = 20000
	lists := nested(rand.New(rand.NewPCG(1, 2)), records)
	r, blocks := writeLists(t, lists)
	subsets, plain := 0, 0
	for k, want := range lists {
		v, ok, err := r.Get([]byte(k))
		require.NoError(t, err)
		require.True(t, ok)
		if x, _ := binary.Uvarint(v); x == encSubset {
			subsets++
		}
		plain += len(AppendPostings(nil, want, nil))
		bm, err := r.Postings(v, records)
		require.NoError(t, err, k)
		require.Equal(t, want, bm.ToArray(), k)
		n, err := r.Count(v, records)
		require.NoError(t, err, k)
		require.Equal(t, uint64(len(want)), n, k)
		_, err = DecodePostings(v, records)
		if x, _ := binary.Uvarint(v); x == encSubset {
			require.Error(t, err, "DecodePostings has no dictionary for a subset list")
		}
	}
	require.Positive(t, subsets)
	require.Less(t, len(blocks), plain)
}

// TestPostingsInto decodes every list (subset, rice, bitset, roaring and
// delta encodings) into one reused bitset and gets Postings' positions;
// decoding a second list unites the two; a short bitset is refused.
func TestPostingsInto(t *testing.T) {
	const records = 20000
	lists := nested(rand.New(rand.NewPCG(3, 4)), records)
	lists["empty"] = nil
	lists["run"] = []uint32{100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111}
	lists["last"] = []uint32{0, records - 1}
	r, _ := writeLists(t, lists)
	dst := make([]uint64, Words(records))
	for k, want := range lists {
		v, ok, err := r.Get([]byte(k))
		require.NoError(t, err)
		require.True(t, ok)
		clear(dst)
		require.NoError(t, r.PostingsInto(v, records, dst), k)
		if len(want) == 0 {
			require.Empty(t, indextest.BitsetPositions(dst), k)
			continue
		}
		require.Equal(t, want, indextest.BitsetPositions(dst), k)
	}
	a, _, _ := r.Get([]byte("other00"))
	b, _, _ := r.Get([]byte("other01"))
	clear(dst)
	require.NoError(t, r.PostingsInto(a, records, dst))
	require.NoError(t, r.PostingsInto(b, records, dst))
	union := roaring.BitmapOf(lists["other00"]...)
	union.AddMany(lists["other01"])
	require.Equal(t, union.ToArray(), indextest.BitsetPositions(dst))
	err := r.PostingsInto(a, records, dst[:Words(records)-1])
	require.ErrorIs(t, err, ErrShortBitset)
}

// TestSubsetLayout checks one subset value byte by byte against the
// package doc: uvarint(encSubset) | uvarint(len(parent)) | parent | ranks.
func TestSubsetLayout(t *testing.T) {
	var parent, child, ranks []uint32
	for i := range uint32(400) {
		parent = append(parent, 3*i)
		if i%2 == 0 {
			child = append(child, 3*i)
			ranks = append(ranks, i)
		}
	}
	ps := NewParents()
	ps.Add([]byte("p"), parent)
	ps.Plan()
	got := ps.AppendPostings(nil, []byte("c"), child)
	want := append([]byte{encSubset, 1, 'p'}, AppendPostings(nil, ranks, nil)...)
	require.Equal(t, want, got)
	require.Equal(t, AppendPostings(nil, parent, nil), ps.AppendPostings(nil, []byte("p"), parent))
}

// TestSubsetDamage checks that bad subset values are errors wrapping
// errPostings, never panics: a missing parent, ranks beyond the parent,
// a cycle (nested too deep), a bad key length.
func TestSubsetDamage(t *testing.T) {
	sub := func(parent string, ranks []uint32) []byte {
		v := binary.AppendUvarint(nil, encSubset)
		v = binary.AppendUvarint(v, uint64(len(parent)))
		v = append(v, parent...)
		return append(v, AppendPostings(nil, ranks, nil)...)
	}
	tests := []struct {
		name  string
		value []byte
	}{
		{"missing parent", sub("zz", []uint32{0})},
		{"rank beyond parent", sub("a", []uint32{0, 5})},
		{"cycle", sub("c", []uint32{0})},
		{"bad key length", []byte{encSubset, 9, 'a'}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			d := NewWriter(&buf)
			require.NoError(t, d.Add([]byte("a"), AppendPostings(nil, []uint32{1, 2}, nil)))
			require.NoError(t, d.Add([]byte("c"), sub("c", []uint32{0})))
			idx, err := d.Finish()
			require.NoError(t, err)
			r, err := NewReader("t", buf.Bytes(), 0, idx)
			require.NoError(t, err)
			_, err = r.Postings(tc.value, 10)
			require.Error(t, err)
			require.True(t, errors.Is(err, errPostings) || errors.Is(err, index.ErrCorrupt), "%v", err)
		})
	}
}

// TestValuePrefix checks subset lists in a dictionary whose values start
// with a byte of the caller's (the pairs key dictionary's keyFlags).
func TestValuePrefix(t *testing.T) {
	var parent, child []uint32
	for i := range uint32(500) {
		parent = append(parent, 2*i)
		if i%3 == 0 {
			child = append(child, 2*i)
		}
	}
	ps := NewParents()
	ps.Add([]byte("p"), parent)
	ps.Plan()
	var buf bytes.Buffer
	d := NewWriter(&buf)
	require.NoError(t, d.Add([]byte("c"), ps.AppendPostings([]byte{7}, []byte("c"), child)))
	require.NoError(t, d.Add([]byte("p"), ps.AppendPostings([]byte{7}, []byte("p"), parent)))
	require.NoError(t, d.Add([]byte("q"), nil)) // a parent too short for its prefix
	idx, err := d.Finish()
	require.NoError(t, err)
	r, err := NewReader("t", buf.Bytes(), 0, idx)
	require.NoError(t, err)
	r.SetValuePrefix(1)
	v, ok, err := r.Get([]byte("c"))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, byte(7), v[0])
	if x, _ := binary.Uvarint(v[1:]); x != encSubset {
		t.Fatalf("c is not a subset list: %x", v)
	}
	bm, err := r.Postings(v[1:], 1000)
	require.NoError(t, err)
	require.Equal(t, child, bm.ToArray())

	bad := append([]byte{encSubset, 1, 'q'}, AppendPostings(nil, []uint32{0}, nil)...)
	_, err = r.Postings(bad, 1000)
	require.ErrorIs(t, err, errPostings)
}
