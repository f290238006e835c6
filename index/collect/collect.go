// Package collect walks a sealed chunk once and gathers what an index kind
// stores: token postings, key/value postings under an admission budget, or
// the token runs of each block. The file-backed and in-memory indexers share
// it, so both hold exactly the same entries.
//
//	toks, err := collect.Tokens(ctx, cur)
//	for tok, pos := range toks.Tokens.Sorted() { ... }
//
// or, fed by a pass that other collectors share:
//
//	ts := collect.NewTokenSet(cur.Len())
//	ts.Add(pos, rec.Raw) // for every record, in position order
package collect

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"glarc/chunk"
	"glarc/index"
	"glarc/tokenizer"
)

// Walk calls fn for every record of cur from position 0, in order (see
// index.Walk).
func Walk(ctx context.Context, cur chunk.RecordCursor, fn func(pos uint32, rec *chunk.Record) error) error {
	return index.Walk(ctx, cur, fn)
}

// TokenSet is what a token index holds.
type TokenSet struct {
	// Tokens maps every index token (tokenizer.Append) to its records.
	Tokens Postings
	// Long maps a key for every other run that holds a letter — longer
	// than tokenizer.MaxTokenLen, an ID (tokenizer.IsID) or a UUID — to
	// its records, so that a prefix query can be answered (LongKey).
	Long    Postings
	Records uint64
}

// NewTokenSet returns an empty set for a chunk of records records.
func NewTokenSet(records uint64) *TokenSet { return &TokenSet{Records: records} }

// Add collects the tokens of line, the record at pos. Positions arrive in
// ascending order. An index token (tokenizer.IsIndexToken) is classified,
// lowercased and hashed in registers, without copying it.
func (ts *TokenSet) Add(pos uint32, line []byte) {
	for i := 0; i < len(line); {
		if tokenizer.Class(line[i])&tokenizer.ClassToken == 0 {
			i++
			continue
		}
		start := i
		var class byte
		for i < len(line) {
			cl := tokenizer.Class(line[i])
			if cl&tokenizer.ClassToken == 0 {
				break
			}
			class |= cl
			i++
		}
		n := i - start
		if class&tokenizer.ClassLetter == 0 || n < tokenizer.MinTokenLen {
			continue
		}
		// Runs of at most MaxTokenLen bytes are never UUIDs, so this is
		// tokenizer.IsIndexToken.
		if n <= tokenizer.MaxTokenLen && (class&tokenizer.ClassDigit == 0 || !tokenizer.IsID(line[start:i])) {
			w0, w1 := lowerWords(line, start, i)
			ts.Tokens.addWords(w0, w1, n, pos)
			continue
		}
		// LongKey, lowercased and hashed in registers: a bucket of the
		// first BucketLen bytes, or the first MaxTokenLen bytes.
		end := start + min(n, BucketLen)
		if n > tokenizer.MaxTokenLen && !IsHex(line[start:i]) {
			end = start + tokenizer.MaxTokenLen
		}
		w0, w1 := lowerWords(line, start, end)
		ts.Long.addWords(w0, w1, end-start, pos)
	}
}

// lowerWords returns line[start:end] (1 to 16 ASCII token bytes),
// lowercased, as two little-endian words padded with zero bytes.
func lowerWords(line []byte, start, end int) (w0, w1 uint64) {
	n := end - start
	switch {
	case n > 8:
		w0 = binary.LittleEndian.Uint64(line[start:])
		w1 = binary.LittleEndian.Uint64(line[end-8:]) >> (8 * (16 - n))
	case start+8 <= len(line):
		w0 = binary.LittleEndian.Uint64(line[start:]) & (1<<(8*n) - 1)
	case end >= 8:
		w0 = binary.LittleEndian.Uint64(line[end-8:]) >> (8 * (8 - n))
	default:
		for j := n - 1; j >= 0; j-- {
			w0 = w0<<8 | uint64(line[start+j])
		}
	}
	return lowerWord(w0), lowerWord(w1)
}

// lowerWord lowercases the ASCII letters among the eight bytes of w, all
// of which are below 0x80.
func lowerWord(w uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	upper := (w + ones*(0x80-'A')) &^ (w + ones*(0x80-'Z'-1)) & high
	return w | upper>>2
}

// Tokens collects the token postings of a chunk.
func Tokens(ctx context.Context, cur chunk.RecordCursor) (*TokenSet, error) {
	ts := NewTokenSet(cur.Len())
	err := Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		ts.Add(pos, rec.Raw)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// BucketLen is the key length of a bucketed run in TokenSet.Long.
const BucketLen = 2

// LongKey appends the TokenSet.Long key of run (a token run holding a
// letter that is not an index token) to dst: its lowercased first
// tokenizer.MaxTokenLen bytes when it is longer than that and not hex (only
// hex digits and '-'); otherwise, for IDs, UUIDs and long hex runs, a
// bucket named by its first BucketLen bytes, which keeps unique IDs from
// filling the dictionary. A prefix query for p therefore also reads the
// bucket p[:BucketLen].
func LongKey(dst, run []byte) []byte {
	if len(run) <= tokenizer.MaxTokenLen || IsHex(run) {
		return tokenizer.Lower(dst, run[:min(len(run), BucketLen)])
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
	// Pos is every record holding the key (a PosList of the set).
	Pos PosList
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
	abuf         []byte
	lists        Postings // the pages of the keys' PosLists
	akeys        [attrKeys]attrKeyEntry
	anext        int
	lkeys        [lineKeys]lineKeyEntry
	seen         map[unsafe.Pointer]seenAttrs // attribute maps added
	seenPairs    []seenPair
	seenHits     int          // records whose map was in seen since it was cleared
	seenOff      bool         // maps are not remembered
	acols        []attrColumn // AddAttr's columns of the current block
}

// NewPairSet returns an empty set with the budget b.
func NewPairSet(b Budget, records uint64) *PairSet {
	return &PairSet{Keys: map[string]*Key{}, KeysComplete: true, Records: records, budget: b.withDefaults()}
}

// Add records key=value at pos (lowercasing both). Positions arrive in
// ascending order.
func (s *PairSet) Add(key, value []byte, pos uint32) {
	if k := s.key(key); k != nil {
		s.addValue(k, value, pos)
	}
}

// key returns the held key of key (lowercasing it), adding it when the
// budget allows; nil when it is left out.
func (s *PairSet) key(key []byte) *Key {
	s.kbuf = tokenizer.Lower(s.kbuf[:0], key)
	k, ok := s.Keys[string(s.kbuf)]
	if !ok {
		if len(s.Keys) >= s.budget.MaxKeys {
			s.KeysComplete = false
			return nil
		}
		k = &Key{}
		s.Keys[string(s.kbuf)] = k
	}
	return k
}

// addValue records k=value at pos.
func (s *PairSet) addValue(k *Key, value []byte, pos uint32) { s.addValueIndex(k, value, pos) }

// addValueIndex records k=value at pos and returns the index of the
// value's entry in k.Values, -1 when k's values are left out.
func (s *PairSet) addValueIndex(k *Key, value []byte, pos uint32) int32 {
	s.lists.push(&k.Pos, pos)
	if k.Dropped {
		return -1
	}
	s.vbuf = tokenizer.Lower(s.vbuf[:0], value)
	if i, ok := k.Values.existingIndex(s.vbuf, pos); ok {
		return int32(i)
	}
	if k.Values.Len() >= s.budget.MaxValuesPerKey || s.pairs >= s.budget.MaxPairs {
		s.pairs -= k.Values.Len()
		k.Values, k.Dropped = Postings{}, true
		return -1
	}
	s.pairs++
	return int32(k.Values.addIndex(s.vbuf, pos))
}

// KeyPos returns the records holding the held key k (lowercased), in a
// new slice; nil if k is not held.
func (s *PairSet) KeyPos(k string) []uint32 {
	if _, ok := s.Keys[k]; !ok {
		return nil
	}
	return s.AppendKeyPos(nil, k)
}

// AppendKeyPos appends the records holding the held key k (lowercased) to
// dst; nothing if k is not held.
func (s *PairSet) AppendKeyPos(dst []uint32, k string) []uint32 {
	key, ok := s.Keys[k]
	if !ok {
		return dst
	}
	return s.lists.appendPos(dst, &key.Pos)
}

// AddAttrs records the attributes of the record at pos. The records of a
// chunk block that have the same attributes share one map: the held keys
// and value entries of a map seen before are kept, so that its next
// records push their positions without looking anything up (unless fewer
// than a quarter of the records of the last maxSeenAttrs maps shared
// one). A map kept there cannot be freed, so its address names it.
func (s *PairSet) AddAttrs(pos uint32, attrs chunk.Attributes) {
	if len(attrs) == 0 {
		return
	}
	if s.seenOff {
		for k, v := range attrs {
			if key := s.attrKey(k); key != nil {
				s.abuf = append(s.abuf[:0], v...)
				s.addValue(key, s.abuf, pos)
			}
		}
		return
	}
	id := reflect.ValueOf(attrs).UnsafePointer()
	if r, ok := s.seen[id]; ok {
		s.seenHits++
		for _, e := range s.seenPairs[r.from:r.to] {
			s.lists.push(&e.key.Pos, pos)
			// A value entry stays the value's until the key's values are
			// left out.
			if e.value >= 0 && !e.key.Dropped {
				e.key.Values.pushIndex(uint32(e.value), pos)
			}
		}
		return
	}
	if len(s.seen) >= maxSeenAttrs {
		// Records that rarely share maps are not worth remembering.
		s.seenOff = s.seenHits < maxSeenAttrs/4
		clear(s.seen)
		s.seenPairs, s.seenHits = s.seenPairs[:0], 0
		if s.seenOff {
			s.seen, s.seenPairs = nil, nil
			s.AddAttrs(pos, attrs)
			return
		}
	}
	if s.seen == nil {
		s.seen = make(map[unsafe.Pointer]seenAttrs)
	}
	from := len(s.seenPairs)
	for k, v := range attrs {
		key := s.attrKey(k)
		if key == nil {
			continue
		}
		s.abuf = append(s.abuf[:0], v...)
		s.seenPairs = append(s.seenPairs, seenPair{key: key, value: s.addValueIndex(key, s.abuf, pos)})
	}
	s.seen[id] = seenAttrs{attrs: attrs, from: from, to: len(s.seenPairs)}
}

// StartAttrBlock starts the attributes of a chunk block taken by AddAttr:
// the columns numbered by AddAttr are the block's.
func (s *PairSet) StartAttrBlock() {
	for i := range s.acols {
		s.acols[i] = attrColumn{last: s.acols[i].last[:0], value: -1}
	}
}

// AddAttr records the attribute key=value of the record at pos, from
// column col of the block started by StartAttrBlock (chunk.BlockAttrs):
// what AddAttrs does with one map entry. A column's key is looked up
// once per block, and a value equal to the column's previous one pushes
// pos to the value entry found for that one without looking it up.
func (s *PairSet) AddAttr(pos uint32, col int, key string, value []byte) {
	if col < 0 {
		return
	}
	if col >= len(s.acols) {
		for len(s.acols) <= col {
			s.acols = append(s.acols, attrColumn{value: -1})
		}
	}
	c := &s.acols[col]
	if !c.looked {
		c.key, c.looked = s.attrKey(key), true
	}
	k := c.key
	if k == nil {
		return
	}
	// A value entry stays the value's until the key's values are left
	// out.
	if c.value >= 0 && !k.Dropped && bytes.Equal(c.last, value) {
		s.lists.push(&k.Pos, pos)
		k.Values.pushIndex(uint32(c.value), pos)
		return
	}
	c.value = s.addValueIndex(k, value, pos)
	c.last = append(c.last[:0], value...)
}

// attrColumn is what AddAttr keeps of a column of the current block: its
// held key (nil: left out) once looked, and its last value with the index
// of its entry in key.Values (-1: none).
type attrColumn struct {
	key    *Key
	looked bool
	last   []byte
	value  int32
}

// maxSeenAttrs bounds the attribute maps a PairSet remembers (those of a
// few blocks).
const maxSeenAttrs = 4096

// seenAttrs is what an attribute map added: seenPairs[from:to].
type seenAttrs struct {
	attrs    chunk.Attributes // kept, so that its address names it
	from, to int
}

// seenPair is a held key of an attribute map and its value's entry in
// the key's Values (-1: left out).
type seenPair struct {
	key   *Key
	value int32
}

// attrKeys is the size of PairSet's cache of attribute keys.
const attrKeys = 16

// attrKey is key, or nil when it is left out, for an attribute key k: the
// records of a chunk block share their key strings, so a few strings
// compared by address find most keys without hashing them.
func (s *PairSet) attrKey(k string) *Key {
	p := unsafe.StringData(k)
	for i := range s.akeys {
		if c := &s.akeys[i]; unsafe.StringData(c.name) == p && len(c.name) == len(k) && c.name != "" {
			return c.key
		}
	}
	s.abuf = append(s.abuf[:0], k...)
	key := s.key(s.abuf)
	// The cache keeps the string, so its address is not reused while it
	// is there.
	s.akeys[s.anext] = attrKeyEntry{name: k, key: key}
	s.anext = (s.anext + 1) % attrKeys
	return key
}

type attrKeyEntry struct {
	name string
	key  *Key // nil: left out
}

// AddLine records the key=value pairs of line (tokenizer.Pairs), the
// record at pos.
func (s *PairSet) AddLine(pos uint32, line []byte) {
	for k, v := range tokenizer.Pairs(line) {
		if key := s.lineKey(k); key != nil {
			s.addValue(key, v, pos)
		}
	}
}

// lineKeys is the size of PairSet's cache of line keys.
const lineKeys = 64

type lineKeyEntry struct {
	raw []byte // as the line has it, not lowercased
	key *Key   // nil: left out
	set bool
}

// lineKey is key(k) for a key k of a line: a cache indexed by the key's
// first byte and length, whose entries are compared byte for byte, finds
// the few keys of a chunk's lines without lowercasing and hashing them.
// A key left out stays out, so the cache may keep that answer too.
func (s *PairSet) lineKey(k []byte) *Key {
	if len(k) == 0 {
		return s.key(k)
	}
	c := &s.lkeys[(int(k[0])*7+len(k))&(lineKeys-1)]
	if c.set && bytes.Equal(c.raw, k) {
		return c.key
	}
	key := s.key(k)
	c.raw = append(c.raw[:0], k...)
	c.key, c.set = key, true
	return key
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
	err := Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		s.AddAttrs(pos, rec.Attrs)
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
		s.AddLine(pos, rec.Raw)
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
