// Package collect walks a sealed chunk once and gathers what an index kind
// stores: token postings, key/value postings under an admission budget, or
// the token runs of each block. The file-backed and in-memory indexers share
// it, so both hold exactly the same entries.
//
//	toks, err := collect.Tokens(ctx, cur)
//	for _, tok := range toks.Tokens.Sorted() { pos := toks.Tokens.Get(tok) ... }
package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"glarc/chunk"
	"glarc/index"
	"glarc/tokenizer"
)

// checkEvery is how many records pass between context checks.
const checkEvery = 1024

// Walk calls fn for every record of cur from position 0, in order. Raw and
// Attrs are valid only during the call.
func Walk(ctx context.Context, cur chunk.RecordCursor, fn func(pos uint32, rec *chunk.Record) error) error {
	if cur.Len() > math.MaxUint32 {
		return fmt.Errorf("%d records: %w", cur.Len(), index.ErrTooManyRecords)
	}
	if err := cur.Seek(0); err != nil {
		return fmt.Errorf("seek to the first record: %w", err)
	}
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, ref, err := cur.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read record %d: %w", n, err)
		}
		if ref.Pos > math.MaxUint32 {
			return fmt.Errorf("position %d: %w", ref.Pos, index.ErrTooManyRecords)
		}
		if err := fn(uint32(ref.Pos), &rec); err != nil {
			return err
		}
	}
}

// Postings maps keys to ascending, distinct positions.
type Postings struct {
	m map[string][]uint32
}

// Add records pos under key. Positions must arrive in ascending order;
// repeats of the last one are dropped. It allocates only for a new key.
func (p *Postings) Add(key []byte, pos uint32) {
	if p.m == nil {
		p.m = map[string][]uint32{}
	}
	l, ok := p.m[string(key)]
	if ok && l[len(l)-1] == pos {
		return
	}
	if !ok {
		p.m[string(key)] = []uint32{pos}
		return
	}
	p.m[string(key)] = append(l, pos)
}

// Get returns key's positions.
func (p *Postings) Get(key string) []uint32 { return p.m[key] }

// Len is the number of keys.
func (p *Postings) Len() int { return len(p.m) }

// Sorted returns the keys in byte order.
func (p *Postings) Sorted() []string {
	keys := make([]string, 0, len(p.m))
	for k := range p.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TokenSet is what a token index holds.
type TokenSet struct {
	// Tokens maps every index token (tokenizer.Append) to its records.
	Tokens Postings
	// Long maps a key for every run longer than tokenizer.MaxTokenLen
	// that holds a letter to its records, so that a prefix query can be
	// answered: the run's lowercased first MaxTokenLen bytes, or, for a hex
	// run (only hex digits and '-': UUIDs, hashes), a bucket named by its
	// first HexBucketLen bytes, which keeps unique IDs from filling the
	// dictionary.
	Long    Postings
	Records uint64
}

// Tokens collects the token postings of a chunk.
func Tokens(ctx context.Context, cur chunk.RecordCursor) (*TokenSet, error) {
	ts := &TokenSet{Records: cur.Len()}
	var buf, low []byte
	var ends []int
	err := Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		buf, ends = tokenizer.Append(buf[:0], ends[:0], rec.Raw)
		start := 0
		for _, end := range ends {
			ts.Tokens.Add(buf[start:end], pos)
			start = end
		}
		for _, run := range tokenizer.Runs(rec.Raw) {
			if len(run) > tokenizer.MaxTokenLen && hasLetter(run) {
				ts.Long.Add(LongKey(low[:0], run), pos)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// HexBucketLen is the key length of a hex long run in TokenSet.Long.
const HexBucketLen = 2

// LongKey appends the TokenSet.Long key of a long run to dst.
func LongKey(dst, run []byte) []byte {
	if IsHex(run) {
		return tokenizer.Lower(dst, run[:HexBucketLen])
	}
	return tokenizer.Lower(dst, run[:tokenizer.MaxTokenLen])
}

// IsHex reports whether b holds only hex digits and '-'.
func IsHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

func hasLetter(b []byte) bool {
	for _, c := range b {
		if 'a' <= c|0x20 && c|0x20 <= 'z' {
			return true
		}
	}
	return false
}

// Budget bounds what a key/value index admits. A zero field takes its
// default.
type Budget struct {
	// MaxKeys is the most distinct keys held; later keys are left out
	// entirely and PairSet.KeysComplete is false.
	MaxKeys int
	// MaxValuesPerKey is the most distinct values a key may have; a key
	// with more keeps its key postings but none of its pairs.
	MaxValuesPerKey int
	// MaxPairs is the most distinct pairs held over all keys; the key that
	// would go past it loses its pairs.
	MaxPairs int
}

// Default budget.
const (
	DefaultMaxKeys         = 1024
	DefaultMaxValuesPerKey = 256
	DefaultMaxPairs        = 1 << 14
)

func (b Budget) withDefaults() Budget {
	return Budget{
		MaxKeys:         cmpOr(b.MaxKeys, DefaultMaxKeys),
		MaxValuesPerKey: cmpOr(b.MaxValuesPerKey, DefaultMaxValuesPerKey),
		MaxPairs:        cmpOr(b.MaxPairs, DefaultMaxPairs),
	}
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Key is one held key.
type Key struct {
	// Pos is every record holding the key.
	Pos []uint32
	// Values maps each value to its records; nil once Dropped.
	Values Postings
	// Dropped means the budget left this key's values out.
	Dropped bool
}

// PairSet is what an attr or kv index holds. Keys and values are
// lowercased.
type PairSet struct {
	Keys map[string]*Key
	// KeysComplete is false when some key was left out by MaxKeys.
	KeysComplete bool
	Records      uint64
	budget       Budget
	pairs        int
	kbuf, vbuf   []byte
}

// NewPairSet returns an empty set with the budget b.
func NewPairSet(b Budget, records uint64) *PairSet {
	return &PairSet{Keys: map[string]*Key{}, KeysComplete: true, Records: records, budget: b.withDefaults()}
}

// Add records key=value at pos (lowercasing both). Positions arrive in
// ascending order.
func (s *PairSet) Add(key, value []byte, pos uint32) {
	s.kbuf = tokenizer.Lower(s.kbuf[:0], key)
	k, ok := s.Keys[string(s.kbuf)]
	if !ok {
		if len(s.Keys) >= s.budget.MaxKeys {
			s.KeysComplete = false
			return
		}
		k = &Key{}
		s.Keys[string(s.kbuf)] = k
	}
	if n := len(k.Pos); n == 0 || k.Pos[n-1] != pos {
		k.Pos = append(k.Pos, pos)
	}
	if k.Dropped {
		return
	}
	s.vbuf = tokenizer.Lower(s.vbuf[:0], value)
	if k.Values.Get(string(s.vbuf)) == nil {
		if k.Values.Len() >= s.budget.MaxValuesPerKey || s.pairs >= s.budget.MaxPairs {
			s.pairs -= k.Values.Len()
			k.Values, k.Dropped = Postings{}, true
			return
		}
		s.pairs++
	}
	k.Values.Add(s.vbuf, pos)
}

// SortedKeys returns the held keys in byte order.
func (s *PairSet) SortedKeys() []string {
	keys := make([]string, 0, len(s.Keys))
	for k := range s.Keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Attrs collects the attributes of a chunk's records.
func Attrs(ctx context.Context, cur chunk.RecordCursor, b Budget) (*PairSet, error) {
	s := NewPairSet(b, cur.Len())
	var kb, vb []byte
	err := Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		for k, v := range rec.Attrs {
			kb, vb = append(kb[:0], k...), append(vb[:0], v...)
			s.Add(kb, vb, pos)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// KV collects the key=value pairs found in the lines of a chunk
// (tokenizer.Pairs).
func KV(ctx context.Context, cur chunk.RecordCursor, b Budget) (*PairSet, error) {
	s := NewPairSet(b, cur.Len())
	err := Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		for k, v := range tokenizer.Pairs(rec.Raw) {
			s.Add(k, v, pos)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DefaultBlockRecords is the block size used when a cursor has no
// chunk.BlockLayout.
const DefaultBlockRecords = 4096

// BlockStarts returns cur's block starts (chunk.BlockLayout), or fixed
// groups of DefaultBlockRecords positions. It checks that they ascend from 0
// and stay below Len.
func BlockStarts(cur chunk.RecordCursor) ([]uint64, error) {
	n := cur.Len()
	if bl, ok := cur.(chunk.BlockLayout); ok {
		starts := slices.Clone(bl.BlockStarts())
		for i, s := range starts {
			if i == 0 && s != 0 || i > 0 && s <= starts[i-1] || s >= max(n, 1) {
				return nil, fmt.Errorf("block %d starts at %d of %d records: bad block layout", i, s, n)
			}
		}
		if len(starts) == 0 {
			starts = []uint64{0}
		}
		return starts, nil
	}
	starts := []uint64{0}
	for s := uint64(DefaultBlockRecords); s < n; s += DefaultBlockRecords {
		starts = append(starts, s)
	}
	return starts, nil
}
