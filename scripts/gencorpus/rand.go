package main

import (
	"math"
	"math/bits"
)

// rng is wyrand: tiny, fast and good enough for synthetic logs. Every block
// of the corpus has its own rng seeded from the corpus seed and the block
// number, so blocks can be generated in parallel and the output stays the
// same for a seed.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a number in [0, n). n must be > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// mix is splitmix64's finaliser: a stateless hash of one number, used for
// things that must not depend on generation order (pids, boot times).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// pickTableBits sizes the lookup tables of weighted choices: 1<<16 slots,
// so a choice of weight 1/65536 or more is represented.
const pickTableBits = 16

// picker draws indexes with fixed weights in O(1) from a quantised table.
// Every index with a non-zero weight gets at least one slot.
type picker struct{ slots []uint16 }

func newPicker(weights []float64) picker {
	n := 1 << pickTableBits
	var total float64
	for _, w := range weights {
		total += w
	}
	slots := make([]uint16, 0, n+len(weights))
	var cum float64
	for i, w := range weights {
		if w <= 0 {
			continue
		}
		cum += w
		end := max(int(math.Round(cum/total*float64(n))), len(slots)+1)
		for len(slots) < end {
			slots = append(slots, uint16(i))
		}
	}
	return picker{slots: slots}
}

func (p picker) pick(r *rng) int {
	return int(p.slots[r.intn(len(p.slots))])
}

// zipfWeights returns n weights 1/rank^s (rank from 1).
func zipfWeights(n int, s float64) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
	}
	return w
}
