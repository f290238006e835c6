package collect

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPostingsMatchesMap adds random occurrences (lists crossing many
// position pages and slabs, repeats of the last position) and compares
// with a plain map.
func TestPostingsMatchesMap(t *testing.T) {
	for _, keys := range []int{1, 7, 300, 5000} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(keys)))
			var p Postings
			want := map[string][]uint32{}
			for pos := range uint32(20000) {
				for range r.IntN(4) {
					k := fmt.Sprintf("k%d", r.IntN(keys))
					p.Add([]byte(k), pos)
					if l := want[k]; len(l) == 0 || l[len(l)-1] != pos {
						want[k] = append(l, pos)
					}
				}
			}
			require.Equal(t, len(want), p.Len())
			var got []string
			for k, pos := range p.Sorted() {
				require.Equal(t, want[string(k)], pos, "key %s", k)
				got = append(got, string(k))
			}
			require.True(t, slices.IsSorted(got))
			for k, pos := range want {
				require.True(t, p.Has([]byte(k)))
				require.Equal(t, pos, p.Get([]byte(k)))
			}
			require.False(t, p.Has([]byte("absent")))
			require.Nil(t, p.Get([]byte("absent")))
		})
	}
}

// TestPairSetKeyPos checks key lists (PosLists in the set's pages) and the
// value budget.
func TestPairSetKeyPos(t *testing.T) {
	s := NewPairSet(Budget{MaxValuesPerKey: 2}, 100)
	for pos := range uint32(100) {
		s.Add([]byte("Host"), []byte(fmt.Sprintf("web%d", pos%2)), pos)
		s.Add([]byte("host"), []byte("web0"), pos) // same key again at pos
		if pos%10 == 0 {
			s.Add([]byte("user"), []byte(fmt.Sprint(pos)), pos)
		}
	}
	var all []uint32
	for pos := range uint32(100) {
		all = append(all, pos)
	}
	require.Equal(t, all, s.KeyPos("host"))
	require.False(t, s.Keys["host"].Dropped)
	require.Equal(t, 2, s.Keys["host"].Values.Len())
	require.Equal(t, []uint32{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}, s.KeyPos("user"))
	require.True(t, s.Keys["user"].Dropped)
	require.Nil(t, s.KeyPos("absent"))
}

// TestLongest: the k longest lists, most first, ties in the order keys
// were added (as a stable sort by length gives them).
func TestLongest(t *testing.T) {
	var p Postings
	var keys []string
	lens := map[string]int{}
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		k := fmt.Sprintf("key%d", i)
		keys = append(keys, k)
		lens[k] = 1 + r.IntN(12) // many ties
	}
	for pos := range uint32(12) {
		for _, k := range keys {
			if int(pos) < lens[k] {
				p.Add([]byte(k), pos)
			}
		}
	}
	want := slices.Clone(keys)
	slices.SortStableFunc(want, func(a, b string) int { return lens[b] - lens[a] })
	for _, k := range []int{0, 1, 5, 64, 500, 600} {
		var got []string
		for key, pos := range p.Longest(k) {
			got = append(got, string(key))
			require.Len(t, pos, lens[string(key)])
		}
		require.Equal(t, want[:min(k, len(want))], append([]string{}, got...), "k=%d", k)
	}
}
