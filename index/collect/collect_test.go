package collect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/index/internal/indextest"
	"glarc/tokenizer"
)

// BenchmarkTokenSetAdd measures the token collector alone over generated
// syslog lines.
func BenchmarkTokenSetAdd(b *testing.B) {
	recs := indextest.Generated(50000, 42)
	b.SetBytes(indextest.RawBytes(recs))
	for b.Loop() {
		ts := NewTokenSet(uint64(len(recs)))
		for i, r := range recs {
			ts.Add(uint32(i), r.Raw)
		}
	}
}

// BenchmarkPairSetAddLine measures the kv collector alone.
func BenchmarkPairSetAddLine(b *testing.B) {
	recs := indextest.Generated(50000, 42)
	b.SetBytes(indextest.RawBytes(recs))
	for b.Loop() {
		s := NewPairSet(Budget{}, uint64(len(recs)))
		for i, r := range recs {
			s.AddLine(uint32(i), r.Raw)
		}
	}
}

// BenchmarkPairSetAddAttrs measures the attr collector alone.
func BenchmarkPairSetAddAttrs(b *testing.B) {
	recs := indextest.Generated(50000, 42)
	b.SetBytes(indextest.RawBytes(recs))
	for b.Loop() {
		s := NewPairSet(Budget{}, uint64(len(recs)))
		for i, r := range recs {
			s.AddAttrs(uint32(i), r.Attrs)
		}
	}
}

// referenceTokens is TokenSet.Add written plainly with the tokenizer's
// rules.
func referenceTokens(lines [][]byte) (tokens, long map[string][]uint32) {
	tokens, long = map[string][]uint32{}, map[string][]uint32{}
	add := func(m map[string][]uint32, k string, pos uint32) {
		if l := m[k]; len(l) == 0 || l[len(l)-1] != pos {
			m[k] = append(l, pos)
		}
	}
	for i, line := range lines {
		for _, run := range tokenizer.Runs(line) {
			if !bytes.ContainsFunc(run, func(r rune) bool { return 'a' <= r|0x20 && r|0x20 <= 'z' }) || len(run) < tokenizer.MinTokenLen {
				continue
			}
			if tokenizer.IsIndexToken(run) {
				add(tokens, strings.ToLower(string(run)), uint32(i))
			} else {
				add(long, string(LongKey(nil, run)), uint32(i))
			}
		}
	}
	return tokens, long
}

func asMap(p *Postings) map[string][]uint32 {
	m := map[string][]uint32{}
	for k, pos := range p.Sorted() {
		m[string(k)] = slices.Clone(pos)
	}
	return m
}

// TestTokenSetMatchesReference compares the collector with the plain
// rules on generated lines and on random runs of every length at every
// place in short lines (the word loads near line ends).
func TestTokenSetMatchesReference(t *testing.T) {
	var lines [][]byte
	for _, r := range indextest.Generated(3000, 7) {
		lines = append(lines, r.Raw)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	const alphabet = "aZ09_-x.Q q:7fF"
	for range 20000 {
		line := make([]byte, rng.IntN(40))
		for j := range line {
			line[j] = alphabet[rng.IntN(len(alphabet))]
		}
		lines = append(lines, line)
	}
	ts := NewTokenSet(uint64(len(lines)))
	for i, l := range lines {
		ts.Add(uint32(i), l)
	}
	tokens, long := referenceTokens(lines)
	require.Equal(t, tokens, asMap(&ts.Tokens))
	require.Equal(t, long, asMap(&ts.Long))
}

func TestHashWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 16; n++ {
		for range 100 {
			var buf [16]byte
			for j := range n {
				buf[j] = byte(rng.IntN(128))
			}
			require.Equal(t, hashKey(buf[:n]), hashWords(binary.LittleEndian.Uint64(buf[:]), binary.LittleEndian.Uint64(buf[8:]), n))
		}
	}
}

// TestAddAttrsMatchesAdd: the caches of attribute keys (by string address)
// and maps changes nothing: AddAttrs holds what Add of each pair holds,
// with more keys than the cache, shared and fresh strings, maps that
// several records share, and with budgets that
// leave keys and values out (one attribute per record there: the order
// of a map's pairs decides which).
func TestAddAttrsMatchesAdd(t *testing.T) {
	shared := make([]string, 40)
	for i := range shared {
		shared[i] = fmt.Sprintf("Key%d", i)
	}
	for _, tc := range []struct {
		name    string
		budget  Budget
		perRec  int
		records uint32
		share   bool
		partial bool
	}{
		{"all held", Budget{MaxKeys: 100, MaxValuesPerKey: 100, MaxPairs: 1000}, 3, 1000, true, false},
		{"budget", Budget{MaxKeys: 12, MaxValuesPerKey: 4, MaxPairs: 30}, 1, 1000, true, true},
		// Maps not shared: AddAttrs stops remembering them.
		{"unshared", Budget{MaxKeys: 100, MaxValuesPerKey: 100, MaxPairs: 1000}, 2, 3 * maxSeenAttrs, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := NewPairSet(tc.budget, uint64(tc.records)), NewPairSet(tc.budget, uint64(tc.records))
			var maps []chunk.Attributes // maps that later records share
			for pos := range tc.records {
				attrs := chunk.Attributes{}
				for j := range tc.perRec {
					k := shared[(int(pos)*7+j*13)%len(shared)]
					if pos%3 == 0 {
						k = strings.Clone(k) // a fresh string of the same key
					}
					attrs[k] = fmt.Sprintf("V%d", (int(pos)+j)%6)
				}
				if tc.share && len(maps) > 0 && pos%2 == 1 {
					attrs = maps[int(pos/2)%len(maps)]
				} else if tc.share && pos%5 == 0 {
					maps = append(maps, attrs)
				}
				got.AddAttrs(pos, attrs)
				for k, v := range attrs {
					want.Add([]byte(k), []byte(v), pos)
				}
			}
			require.Equal(t, !tc.share, got.seenOff)
			require.Equal(t, !tc.partial, got.KeysComplete)
			require.Equal(t, want.KeysComplete, got.KeysComplete)
			requireSamePairs(t, want, got)
		})
	}
}

// TestAddLineMatchesAdd: the cache of line keys changes nothing: AddLine
// holds what Add of each pair (tokenizer.Pairs) holds, with more keys
// than the cache has entries, keys in several cases and budgets that
// leave keys and values out.
func TestAddLineMatchesAdd(t *testing.T) {
	for _, b := range []Budget{{}, {MaxKeys: 30, MaxValuesPerKey: 5, MaxPairs: 100}} {
		got, want := NewPairSet(b, 2000), NewPairSet(b, 2000)
		for pos := range uint32(2000) {
			var line []byte
			for j := range 4 {
				k := fmt.Sprintf("k%d", (int(pos)*3+j*17)%90)
				if pos%4 == 0 {
					k = strings.ToUpper(k)
				}
				line = fmt.Appendf(line, "%s=v%d ", k, (int(pos)+j)%7)
			}
			got.AddLine(pos, line)
			for k, v := range tokenizer.Pairs(line) {
				want.Add(k, v, pos)
			}
		}
		require.Equal(t, want.KeysComplete, got.KeysComplete)
		requireSamePairs(t, want, got)
	}
}

// TestAddAttrMatchesAdd: AddAttr, fed a block's attributes column by
// column (chunk.BlockAttrs), holds what Add of each pair holds in the same
// order: with columns whose keys differ only in case, absent and empty
// values, runs of equal values, a column's key changing between blocks and
// budgets that leave keys and values out.
func TestAddAttrMatchesAdd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget Budget
	}{
		{"all held", Budget{MaxKeys: 100, MaxValuesPerKey: 100, MaxPairs: 1000}},
		{"budget", Budget{MaxKeys: 9, MaxValuesPerKey: 5, MaxPairs: 25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			keys := []string{"Host", "app", "host", "k3", "K4", "k5", "k6", "k7", "k8", "k9", "k10", "k11"}
			const records = 5000
			got, want := NewPairSet(tc.budget, records), NewPairSet(tc.budget, records)
			for pos := uint32(0); pos < records; {
				// A block: a few of the keys as columns.
				var cols []string
				for _, k := range keys {
					if rng.IntN(3) > 0 {
						cols = append(cols, strings.Clone(k))
					}
				}
				got.StartAttrBlock()
				end := min(pos+uint32(1+rng.IntN(200)), records)
				for ; pos < end; pos++ {
					for c, k := range cols {
						if rng.IntN(4) == 0 {
							continue // absent
						}
						v := []byte(fmt.Sprintf("V%d", rng.IntN(2+c)))
						if rng.IntN(10) == 0 {
							v = v[:0]
						}
						got.AddAttr(pos, c, k, v)
						want.Add([]byte(k), v, pos)
					}
				}
			}
			require.Equal(t, want.KeysComplete, got.KeysComplete)
			requireSamePairs(t, want, got)
		})
	}
}

// requireSamePairs requires got to hold the keys, positions and values of
// want, and to have dropped the same.
func requireSamePairs(t *testing.T, want, got *PairSet) {
	t.Helper()
	require.Equal(t, want.SortedKeys(), got.SortedKeys())
	for _, k := range want.SortedKeys() {
		require.Equal(t, want.KeyPos(k), got.KeyPos(k), k)
		require.Equal(t, want.Keys[k].Dropped, got.Keys[k].Dropped, k)
		require.Equal(t, want.Keys[k].Values.Len(), got.Keys[k].Values.Len(), k)
		for v, pos := range want.Keys[k].Values.Sorted() {
			require.Equal(t, pos, got.Keys[k].Values.Get(v), "%s=%s", k, v)
		}
	}
}
