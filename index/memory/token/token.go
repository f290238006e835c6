// Package token is the in-memory token index: the same entries and answers
// as index/file/token, held as roaring bitmaps.
//
//	ix := token.NewIndexer()
//	err := ix.Build(ctx, meta, cur, id.String())
//	r, err := ix.Open(id.String())
//	bm, held, err := r.Lookup([]byte("failed"))
package token

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	filetoken "glarc/index/file/token"
	"glarc/index/memory/store"
	"glarc/tokenizer"
)

// Indexer builds and holds token indexes. It is safe for concurrent use.
type Indexer struct {
	s store.Store[*Reader]
}

var _ index.TokenIndexer = (*Indexer)(nil)

// NewIndexer returns an empty in-memory token indexer.
func NewIndexer() *Indexer { return &Indexer{} }

// Name returns index.KindToken.
func (*Indexer) Name() string { return index.KindToken }

// Build indexes the chunk under the key dir.
func (ix *Indexer) Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error {
	if !meta.Sealed {
		return fmt.Errorf("build token index of chunk %s: %w", meta.ID, index.ErrChunkNotSealed)
	}
	ts, err := collect.Tokens(ctx, cur)
	if err != nil {
		return fmt.Errorf("build token index of chunk %s: %w", meta.ID, err)
	}
	r := &Reader{records: ts.Records, tokens: bitmaps(&ts.Tokens), long: bitmaps(&ts.Long)}
	r.sorted = ts.Tokens.SortedKeys()
	r.longSorted = ts.Long.SortedKeys()
	ix.s.Put(dir, r)
	return nil
}

func bitmaps(p *collect.Postings) map[string]*roaring.Bitmap {
	out := make(map[string]*roaring.Bitmap, p.Len())
	for k, pos := range p.Sorted() {
		bm := roaring.BitmapOf(pos...)
		bm.RunOptimize()
		out[string(k)] = bm
	}
	return out
}

// Stat reports the index under dir.
func (ix *Indexer) Stat(dir string) index.Info {
	r, err := ix.s.Get(dir)
	if err != nil {
		return index.Info{Name: index.KindToken}
	}
	var n uint64
	for _, bm := range r.tokens {
		n += bm.GetSizeInBytes()
	}
	return index.Info{Name: index.KindToken, Exists: true, Complete: true, Bytes: int64(n)}
}

// Open returns the index under dir.
func (ix *Indexer) Open(dir string) (index.TokenReader, error) {
	r, err := ix.s.Get(dir)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Reader answers lookups. It never changes after Build.
type Reader struct {
	records            uint64
	tokens, long       map[string]*roaring.Bitmap
	sorted, longSorted []string
}

// Lookup returns the records holding tok as a whole token run.
func (r *Reader) Lookup(tok []byte) (*roaring.Bitmap, bool, error) {
	low := tokenizer.Lower(nil, tok)
	if !tokenizer.IsIndexToken(low) {
		return nil, false, nil
	}
	if bm, ok := r.tokens[string(low)]; ok {
		return bm.Clone(), true, nil
	}
	return roaring.New(), true, nil
}

// Prefix returns (a superset of) the records holding a run starting with p.
func (r *Reader) Prefix(p []byte) (*roaring.Bitmap, bool, error) {
	if !filetoken.PrefixComplete(p) {
		return nil, false, nil
	}
	low := tokenizer.Lower(nil, p)
	out := roaring.New()
	for _, k := range withPrefix(r.sorted, low) {
		out.Or(r.tokens[k])
	}
	for _, k := range withPrefix(r.longSorted, low) {
		out.Or(r.long[k])
	}
	if len(low) > collect.BucketLen {
		if bm, ok := r.long[string(low[:collect.BucketLen])]; ok {
			out.Or(bm)
		}
	}
	return out, true, nil
}

func withPrefix(sorted []string, p []byte) []string {
	i := sort.SearchStrings(sorted, string(p))
	j := i
	for j < len(sorted) && bytes.HasPrefix([]byte(sorted[j]), p) {
		j++
	}
	return sorted[i:j]
}

// Tokens walks the index tokens starting with p in order.
func (r *Reader) Tokens(p []byte) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for _, k := range withPrefix(r.sorted, tokenizer.Lower(nil, p)) {
			if !yield([]byte(k), nil) {
				return
			}
		}
	}
}

// Count is the number of distinct index tokens.
func (r *Reader) Count() int { return len(r.sorted) }

// Records is the number of records covered.
func (r *Reader) Records() uint64 { return r.records }

// Close does nothing: the index stays in its indexer.
func (r *Reader) Close() error { return nil }
