// Package pairs is the file format shared by the attr and kv indexes
// (index/file/attr, index/file/kv): lowercased key → records holding the
// key, and lowercased key=value → records holding the pair, under the
// admission budget of collect.Budget.
//
//	set, _ := collect.KV(ctx, cur, collect.Budget{})
//	err := pairs.Write(path, container.TypeKV, set)
//	r, err := pairs.Open(path, container.TypeKV)
//	bm, held, err := r.Lookup("user", "root")   // held false: budget left user's values out
//
// # Layout
//
// A container file (index/file/container), type 'v' (attr) or 'p' (kv),
// version 4 (version 3 had no subset lists of keys, 2 none at all, 1 no
// shared dictionary values), with five sections:
//
//	0 meta        u64 records | u32 keys | u32 pairs | u32 flags | u32 zero   (24 B, checked at open)
//	              flags bit 0: every key is held (no key was left out)
//	1 key blocks  dictionary (index/file/dict): key → u8 keyFlags | posting list
//	              keyFlags bit 0: the key's values were left out (too many);
//	              a subset list's parent is a key of this dictionary, its
//	              posting list after its keyFlags
//	2 key index   dictionary index                                           (checked at open)
//	3 pair blocks dictionary: uvarint(len(key)) | key | value → posting list
//	4 pair index  dictionary index                                           (checked at open)
//
// Both dictionaries are written with dict.Parents: their dict.MaxParents
// longest lists are parents, and a list within one of them (method=get
// within app=nginx, say, or key duration_ms within key level) may be
// written as ranks within it.
//
// The length prefix keeps a pair key unambiguous whatever bytes key and
// value hold, and groups a key's values together for Values.
package pairs

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/index"
	"glarc/index/collect"
	"glarc/index/file/container"
	"glarc/index/file/dict"
)

// Format constants.
const (
	Version  byte = 4
	MetaSize      = 24
	sections      = 5
	// FlagKeysComplete (meta flags bit 0): no key was left out.
	FlagKeysComplete uint32 = 1 << 0
	// KeyFlagDropped (key entry flags bit 0): the key's values were left out.
	KeyFlagDropped byte = 1 << 0
)

// Section numbers. Stored order: never renumber.
const (
	secMeta       = 0
	secKeyBlocks  = 1
	secKeyIndex   = 2
	secPairBlocks = 3
	secPairIndex  = 4
)

// Write writes set to path (temp file, fsync, rename) as a file of type typ.
func Write(path string, typ byte, set *collect.PairSet) error {
	w, err := container.Create(path, typ, Version)
	if err != nil {
		return err
	}
	keys := set.SortedKeys()
	npairs := 0
	for _, k := range keys {
		npairs += set.Keys[k].Values.Len()
	}
	var flags uint32
	if set.KeysComplete {
		flags |= FlagKeysComplete
	}
	meta := binary.LittleEndian.AppendUint64(nil, set.Records)
	meta = binary.LittleEndian.AppendUint32(meta, uint32(len(keys)))
	meta = binary.LittleEndian.AppendUint32(meta, uint32(npairs))
	meta = binary.LittleEndian.AppendUint32(meta, flags)
	meta = binary.LittleEndian.AppendUint32(meta, 0)
	w.Write(meta)
	w.EndSection()

	var val, pk []byte
	var pos []uint32
	kps := keyParents(keys, set)
	d := dict.NewWriter(w)
	for _, k := range keys {
		key := set.Keys[k]
		val = val[:0]
		if key.Dropped {
			val = append(val, KeyFlagDropped)
		} else {
			val = append(val, 0)
		}
		pos = set.AppendKeyPos(pos[:0], k)
		val = kps.AppendPostings(val, []byte(k), pos)
		d.Add([]byte(k), val)
	}
	if err := finish(w, d); err != nil {
		w.Abort()
		return err
	}
	// Pair keys sort by their length prefix first.
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b)) })
	ps := parents(keys, set)
	d = dict.NewWriter(w)
	for _, k := range keys {
		for v, pos := range set.Keys[k].Values.Sorted() {
			pk = append(PairKey(pk[:0], k), v...)
			val = ps.AppendPostings(val[:0], pk, pos)
			d.Add(pk, val)
		}
	}
	if err := finish(w, d); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// keyParents returns the dict.MaxParents longest key lists of set as the
// parents of the key dictionary.
func keyParents(keys []string, set *collect.PairSet) *dict.Parents {
	byLen := slices.Clone(keys)
	slices.SortStableFunc(byLen, func(a, b string) int { return set.Keys[b].Pos.Len() - set.Keys[a].Pos.Len() })
	ps := dict.NewParents()
	var pos []uint32
	for _, k := range byLen[:min(len(byLen), dict.MaxParents)] {
		if set.Keys[k].Pos.Len() >= dict.MinSubset {
			pos = set.AppendKeyPos(pos[:0], k)
			ps.Add([]byte(k), pos) // Add copies pos
		}
	}
	ps.Plan()
	return ps
}

// parents returns the dict.MaxParents longest pair lists of set as the
// parents of the pair dictionary.
func parents(keys []string, set *collect.PairSet) *dict.Parents {
	type cand struct {
		key, value string
		n          int
	}
	var cands []cand
	for _, k := range keys {
		for v, n := range set.Keys[k].Values.Counts() {
			if n >= dict.MinSubset {
				cands = append(cands, cand{k, string(v), n})
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		return cmp.Or(b.n-a.n, strings.Compare(a.key, b.key), strings.Compare(a.value, b.value))
	})
	ps := dict.NewParents()
	var pos []uint32
	for _, c := range cands[:min(len(cands), dict.MaxParents)] {
		pos = set.Keys[c.key].Values.AppendPos(pos[:0], []byte(c.value))
		ps.Add(append(PairKey(nil, c.key), c.value...), pos) // Add copies pos
	}
	ps.Plan()
	return ps
}

func finish(w *container.Writer, d *dict.Writer) error {
	idx, err := d.Finish()
	if err != nil {
		return err
	}
	w.EndSection()
	w.Write(idx)
	w.EndSection()
	return nil
}

// PairKey appends the pair dictionary prefix of key (uvarint length, key).
func PairKey(dst []byte, key string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	return append(dst, key...)
}

// Reader reads an attr or kv index. It is safe for concurrent use.
type Reader struct {
	f            *container.File
	records      uint64
	keysComplete bool
	keys, pairs  *dict.Reader
}

var _ index.PairReader = (*Reader)(nil)

// Open maps and checks an index file of type typ.
func Open(path string, typ byte) (*Reader, error) {
	return container.OpenReader(path, typ, Version, sections, newReader)
}

// FromBytes reads an index held in memory (tests, fuzzing).
func FromBytes(name string, data []byte, typ byte) (*Reader, error) {
	f, err := container.FromBytes(name, data, typ, Version, sections)
	if err != nil {
		return nil, err
	}
	return newReader(f)
}

func newReader(f *container.File) (*Reader, error) {
	meta, err := f.Verified(secMeta, "meta")
	if err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return &index.CorruptError{Path: f.Path(), Section: "meta", Offset: f.Offset(secMeta), Reason: fmt.Sprintf(format, args...)}
	}
	if len(meta) != MetaSize {
		return nil, bad("%d bytes, want %d", len(meta), MetaSize)
	}
	flags := binary.LittleEndian.Uint32(meta[16:])
	if flags&^FlagKeysComplete != 0 || binary.LittleEndian.Uint32(meta[20:]) != 0 {
		return nil, bad("unknown flags %#x", flags)
	}
	r := &Reader{f: f, records: binary.LittleEndian.Uint64(meta), keysComplete: flags&FlagKeysComplete != 0}
	if r.keys, err = openDict(f, secKeyBlocks, secKeyIndex); err != nil {
		return nil, err
	}
	r.keys.SetValuePrefix(1) // keyFlags
	if r.pairs, err = openDict(f, secPairBlocks, secPairIndex); err != nil {
		return nil, err
	}
	nk, np := binary.LittleEndian.Uint32(meta[8:]), binary.LittleEndian.Uint32(meta[12:])
	if int(nk) != r.keys.Len() || int(np) != r.pairs.Len() {
		return nil, bad("counts %d/%d, dictionaries hold %d/%d", nk, np, r.keys.Len(), r.pairs.Len())
	}
	return r, nil
}

func openDict(f *container.File, blocks, idx int) (*dict.Reader, error) {
	ib, err := f.Verified(idx, "dictionary index")
	if err != nil {
		return nil, err
	}
	return dict.NewReader(f.Path(), f.Section(blocks), f.Offset(blocks), ib)
}

// Records is the number of records the index covers.
func (r *Reader) Records() uint64 { return r.records }

// Size is the file size in bytes.
func (r *Reader) Size() int64 { return r.f.Size() }

func (r *Reader) corrupt(what string, err error) error {
	if errors.Is(err, dict.ErrShortBitset) {
		return fmt.Errorf("%s: %w", r.f.Path(), err)
	}
	return &index.CorruptError{Path: r.f.Path(), Section: "postings", Offset: -1, Reason: fmt.Sprintf("%s: %v", what, err)}
}

// key finds key's entry: its flags and posting list bytes.
func (r *Reader) key(low []byte) (flags byte, posting []byte, found bool, err error) {
	v, ok, err := r.keys.Get(low)
	if err != nil || !ok {
		return 0, nil, false, err
	}
	if len(v) < 1 || v[0]&^KeyFlagDropped != 0 {
		return 0, nil, false, r.corrupt(fmt.Sprintf("key %q", low), errors.New("bad key flags"))
	}
	return v[0], v[1:], true, nil
}

// Key returns the records holding key.
func (r *Reader) Key(key string) (*roaring.Bitmap, bool, error) {
	low := lower(nil, key)
	_, p, found, err := r.key(low)
	if err != nil {
		return nil, true, err
	}
	if !found {
		if !r.keysComplete {
			return nil, false, nil
		}
		return roaring.New(), true, nil
	}
	bm, err := r.keys.Postings(p, r.records)
	if err != nil {
		return nil, true, r.corrupt(fmt.Sprintf("key %q", low), err)
	}
	return bm, true, nil
}

// Lookup returns the records holding key=value.
func (r *Reader) Lookup(key, value string) (*roaring.Bitmap, bool, error) {
	v, low, held, err := r.pair(key, value)
	if err != nil || !held {
		return nil, held, err
	}
	if v == nil {
		return roaring.New(), true, nil
	}
	bm, err := r.pairs.Postings(v, r.records)
	if err != nil {
		return nil, true, r.corrupt(fmt.Sprintf("pair %q=%q", low, value), err)
	}
	return bm, true, nil
}

// LookupInto adds the records holding key=value to dst
// (index.PairBitsReader).
func (r *Reader) LookupInto(key, value string, dst []uint64) (bool, error) {
	v, low, held, err := r.pair(key, value)
	if err != nil || !held || v == nil {
		return held, err
	}
	if err := r.pairs.PostingsInto(v, r.records, dst); err != nil {
		return true, r.corrupt(fmt.Sprintf("pair %q=%q", low, value), err)
	}
	return true, nil
}

// pair finds the posting list of key=value: nil when no record holds it,
// held false when the budget left the key's values out; low is the
// lowercased key, for errors.
func (r *Reader) pair(key, value string) (v, low []byte, held bool, err error) {
	low = lower(nil, key)
	flags, _, found, err := r.key(low)
	switch {
	case err != nil:
		return nil, low, true, err
	case !found && !r.keysComplete, flags&KeyFlagDropped != 0:
		return nil, low, false, nil
	case !found:
		return nil, low, true, nil
	}
	pk := PairKey(nil, string(low))
	pk = lower(pk, value)
	v, ok, err := r.pairs.Get(pk)
	if err != nil || !ok {
		return nil, low, true, err
	}
	return v, low, true, nil
}

// KeyInto adds the records holding key to dst (index.PairBitsReader).
func (r *Reader) KeyInto(key string, dst []uint64) (bool, error) {
	low := lower(nil, key)
	_, p, found, err := r.key(low)
	switch {
	case err != nil:
		return true, err
	case !found:
		return r.keysComplete, nil
	}
	if err := r.keys.PostingsInto(p, r.records, dst); err != nil {
		return true, r.corrupt(fmt.Sprintf("key %q", low), err)
	}
	return true, nil
}

// HasKey reports whether some record holds key (true when unsure).
func (r *Reader) HasKey(key string) bool {
	_, _, found, err := r.key(lower(nil, key))
	return found || err != nil || !r.keysComplete
}

// Complete reports whether Lookup answers exactly for key.
func (r *Reader) Complete(key string) bool {
	flags, _, found, err := r.key(lower(nil, key))
	switch {
	case err != nil:
		return false
	case !found:
		return r.keysComplete
	}
	return flags&KeyFlagDropped == 0
}

// Keys walks the held keys in order.
func (r *Reader) Keys() iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for e, err := range r.keys.Prefix(nil) {
			if !yield(string(e.Key), err) || err != nil {
				return
			}
		}
	}
}

// Values walks the held values of key in order.
func (r *Reader) Values(key string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		prefix := PairKey(nil, string(lower(nil, key)))
		for e, err := range r.pairs.Prefix(prefix) {
			if err != nil {
				yield("", err)
				return
			}
			if !yield(string(e.Key[len(prefix):]), nil) {
				return
			}
		}
	}
}

// Verify checks every section against its checksum.
func (r *Reader) Verify() error {
	for i, name := range []string{"meta", "key blocks", "key index", "pair blocks", "pair index"} {
		if err := r.f.Verify(i, name); err != nil {
			return err
		}
	}
	return nil
}

// Close unmaps the file.
func (r *Reader) Close() error { return r.f.Close() }

// lower appends s, ASCII-lowercased, to dst.
func lower(dst []byte, s string) []byte {
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// Stat reports the index file at path (exists, complete, size).
func Stat(name, path string, typ byte) index.Info {
	info := index.Info{Name: name}
	fi, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			info.Err = err
		}
		return info
	}
	info.Exists, info.Bytes = true, fi.Size()
	r, err := Open(path, typ)
	if err != nil {
		info.Err = err
		return info
	}
	info.Complete = true
	info.Err = r.Close()
	return info
}
