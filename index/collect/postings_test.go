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
