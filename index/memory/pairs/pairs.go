// Package pairs is the in-memory attr and kv index (index/memory/attr,
// index/memory/kv): the same entries and answers as index/file/pairs, held
// as roaring bitmaps.
//
//	ix := pairs.NewIndexer(index.KindKV, collect.KV, collect.Budget{})
//	err := ix.Build(ctx, meta, cur, id.String())
//	r, _ := ix.Open(id.String())
//	bm, held, err := r.Lookup("user", "root")
package pairs

import (
	"context"
	"fmt"
	"iter"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/memory/store"
)

// CollectFunc gathers a chunk's pairs (collect.Attrs or collect.KV).
type CollectFunc func(context.Context, chunk.RecordCursor, collect.Budget) (*collect.PairSet, error)

// Indexer builds and holds pair indexes. It is safe for concurrent use.
type Indexer struct {
	kind    string
	collect CollectFunc
	budget  collect.Budget
	s       store.Store[*Reader]
}

var _ index.PairIndexer = (*Indexer)(nil)

// NewIndexer returns an indexer of the given kind name.
func NewIndexer(kind string, fn CollectFunc, b collect.Budget) *Indexer {
	return &Indexer{kind: kind, collect: fn, budget: b}
}

// Name returns the kind.
func (ix *Indexer) Name() string { return ix.kind }

// Build indexes the chunk under the key dir.
func (ix *Indexer) Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error {
	if !meta.Sealed {
		return fmt.Errorf("build %s index of chunk %s: %w", ix.kind, meta.ID, index.ErrChunkNotSealed)
	}
	set, err := ix.collect(ctx, cur, ix.budget)
	if err != nil {
		return fmt.Errorf("build %s index of chunk %s: %w", ix.kind, meta.ID, err)
	}
	r := &Reader{set: set, keys: set.SortedKeys(), values: map[string][]string{}}
	for _, k := range r.keys {
		r.values[k] = set.Keys[k].Values.SortedKeys()
	}
	ix.s.Put(dir, r)
	return nil
}

// Stat reports the index under dir.
func (ix *Indexer) Stat(dir string) index.Info {
	if _, err := ix.s.Get(dir); err != nil {
		return index.Info{Name: ix.kind}
	}
	return index.Info{Name: ix.kind, Exists: true, Complete: true}
}

// Open returns the index under dir.
func (ix *Indexer) Open(dir string) (index.PairReader, error) {
	r, err := ix.s.Get(dir)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Reader answers lookups. It never changes after Build.
type Reader struct {
	set    *collect.PairSet
	keys   []string
	values map[string][]string
}

// Lookup returns the records holding key=value.
func (r *Reader) Lookup(key, value string) (*roaring.Bitmap, bool, error) {
	k, ok := r.set.Keys[strings.ToLower(key)]
	switch {
	case !ok && !r.set.KeysComplete, ok && k.Dropped:
		return nil, false, nil
	case !ok:
		return roaring.New(), true, nil
	}
	return roaring.BitmapOf(k.Values.Get([]byte(strings.ToLower(value)))...), true, nil
}

// Key returns the records holding key.
func (r *Reader) Key(key string) (*roaring.Bitmap, bool, error) {
	low := strings.ToLower(key)
	if _, ok := r.set.Keys[low]; !ok {
		if !r.set.KeysComplete {
			return nil, false, nil
		}
		return roaring.New(), true, nil
	}
	return roaring.BitmapOf(r.set.KeyPos(low)...), true, nil
}

// HasKey reports whether some record holds key (true when unsure).
func (r *Reader) HasKey(key string) bool {
	_, ok := r.set.Keys[strings.ToLower(key)]
	return ok || !r.set.KeysComplete
}

// Complete reports whether Lookup answers exactly for key.
func (r *Reader) Complete(key string) bool {
	k, ok := r.set.Keys[strings.ToLower(key)]
	if !ok {
		return r.set.KeysComplete
	}
	return !k.Dropped
}

// Keys walks the held keys in order.
func (r *Reader) Keys() iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, k := range r.keys {
			if !yield(k, nil) {
				return
			}
		}
	}
}

// Values walks the held values of key in order.
func (r *Reader) Values(key string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for _, v := range r.values[strings.ToLower(key)] {
			if !yield(v, nil) {
				return
			}
		}
	}
}

// Records is the number of records covered.
func (r *Reader) Records() uint64 { return r.set.Records }

// Close does nothing: the index stays in its indexer.
func (r *Reader) Close() error { return nil }
