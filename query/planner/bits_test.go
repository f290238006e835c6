package planner

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"
)

// TestSetOps checks the compiler's intersections, unions and complements
// for every pairing of forms (bitmap, bitset, every position), sparse and
// dense, against roaring's own operations, and that every bitset lent goes
// back to the scratch.
func TestSetOps(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []uint64{0, 1, 63, 64, 65, 1000, 70000} {
		// Densities: empty, a few positions (below sparseLimit), many.
		gen := func(kind int) *roaring.Bitmap {
			bm := roaring.New()
			switch kind {
			case 1:
				for range 3 {
					if n > 0 {
						bm.Add(uint32(r.Uint64N(n)))
					}
				}
			case 2:
				for p := range n {
					if r.IntN(3) == 0 {
						bm.Add(uint32(p))
					}
				}
			case 3:
				if n > 2 {
					bm.AddRange(1, n-1) // runs
				}
			}
			return bm
		}
		for ka := range 4 {
			for kb := range 4 {
				for form := range 9 {
					a, b := gen(ka), gen(kb)
					sc := &scratch{}
					c := &compiler{n: n, sc: sc}
					as := func(bm *roaring.Bitmap, f int) result {
						switch f {
						case 1:
							w := sc.get(c.words())
							bm.WriteDenseTo(w)
							return result{bits: w, exact: true}
						case 2:
							return result{exact: true} // every position
						}
						return result{bm: bm.Clone(), exact: true}
					}
					whole := roaring.New()
					whole.AddRange(0, n)
					ref := func(bm *roaring.Bitmap, f int) *roaring.Bitmap {
						if f == 2 {
							return whole
						}
						return bm
					}
					fa, fb := form/3, form%3
					name := fmt.Sprintf("n=%d a=%d/%d b=%d/%d", n, ka, fa, kb, fb)

					got := c.and(as(a, fa), as(b, fb))
					want := roaring.And(ref(a, fa), ref(b, fb))
					check(t, c, got, want, fa == 2 && fb == 2, "and "+name)

					got = c.or(as(a, fa), as(b, fb))
					want = roaring.Or(ref(a, fa), ref(b, fb))
					check(t, c, got, want, fa == 2 || fb == 2, "or "+name)

					if fa == 1 {
						x := as(a, fa)
						flipWords(x.bits, n)
						check(t, c, x, roaring.Flip(a, 0, n), false, "not "+name)
					}
					require.Zero(t, sc.out, "bitsets not given back: "+name)
				}
			}
		}
	}
}

// check compares r with want, or with every position when all is set,
// then gives r's memory back.
func check(t *testing.T, c *compiler, r result, want *roaring.Bitmap, all bool, msg string) {
	t.Helper()
	if all {
		require.True(t, r.all(), msg)
		return
	}
	require.False(t, r.all(), msg)
	require.Equal(t, want.GetCardinality(), c.count(r), msg)
	require.Equal(t, want.IsEmpty(), r.empty(), msg)
	got := c.bitmap(r)
	require.Equal(t, want.ToArray(), got.ToArray(), msg)
}
