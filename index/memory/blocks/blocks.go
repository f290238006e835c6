// Package blocks is the in-memory block "filter": the exact set of
// lowercased token runs and run pairs (tokenizer.RunPairs) of each block, so it answers MayContain without
// false positives (a file filter may say yes more often, never less).
//
//	ix := blocks.NewIndexer()
//	err := ix.Build(ctx, meta, cur, id.String())
//	r, _ := ix.Open(id.String())
//	cand, err := r.Candidates([][]byte{[]byte("173"), []byte("234")})
package blocks

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/memory/store"
	"glarc/tokenizer"
)

// Indexer builds and holds block run sets. It is safe for concurrent use.
type Indexer struct {
	s store.Store[*Reader]
}

var _ index.BlockIndexer = (*Indexer)(nil)

// NewIndexer returns an empty in-memory block indexer.
func NewIndexer() *Indexer { return &Indexer{} }

// Name returns index.KindBlocks.
func (*Indexer) Name() string { return index.KindBlocks }

// Build collects the runs of each block under the key dir.
func (ix *Indexer) Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error {
	if !meta.Sealed {
		return fmt.Errorf("build block filters of chunk %s: %w", meta.ID, index.ErrChunkNotSealed)
	}
	starts, err := collect.BlockStarts(cur)
	if err != nil {
		return fmt.Errorf("build block filters of chunk %s: %w", meta.ID, err)
	}
	r := &Reader{records: cur.Len(), starts: starts, runs: make([]map[string]struct{}, len(starts))}
	b := 0
	var low []byte
	err = collect.Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		for b+1 < len(starts) && uint64(pos) >= starts[b+1] {
			b++
		}
		if r.runs[b] == nil {
			r.runs[b] = map[string]struct{}{}
		}
		for _, run := range tokenizer.Runs(rec.Raw) {
			low = tokenizer.Lower(low[:0], run)
			r.runs[b][string(low)] = struct{}{}
		}
		for p := range tokenizer.RunPairs(rec.Raw) {
			low = tokenizer.Lower(low[:0], p)
			r.runs[b][string(low)] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("build block filters of chunk %s: %w", meta.ID, err)
	}
	ix.s.Put(dir, r)
	return nil
}

// Stat reports the index under dir.
func (ix *Indexer) Stat(dir string) index.Info {
	if _, err := ix.s.Get(dir); err != nil {
		return index.Info{Name: index.KindBlocks}
	}
	return index.Info{Name: index.KindBlocks, Exists: true, Complete: true}
}

// Open returns the index under dir.
func (ix *Indexer) Open(dir string) (index.BlockReader, error) {
	r, err := ix.s.Get(dir)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Reader answers block queries. It never changes after Build.
type Reader struct {
	records uint64
	starts  []uint64
	runs    []map[string]struct{}
}

// BlockStarts returns the first position of each block.
func (r *Reader) BlockStarts() []uint64 { return r.starts }

// MayContain reports whether block holds every run (exactly; true for a
// block out of range).
func (r *Reader) MayContain(block int, runs [][]byte) bool {
	if block < 0 || block >= len(r.runs) {
		return true
	}
	var low []byte
	for _, run := range runs {
		low = tokenizer.Lower(low[:0], run)
		if _, ok := r.runs[block][string(low)]; !ok {
			return false
		}
	}
	return true
}

// Candidates returns the positions of the blocks holding every run.
func (r *Reader) Candidates(runs [][]byte) (*roaring.Bitmap, error) {
	out := roaring.New()
	for i, s := range r.starts {
		if r.MayContain(i, runs) {
			end := r.records
			if i+1 < len(r.starts) {
				end = r.starts[i+1]
			}
			out.AddRange(s, end)
		}
	}
	return out, nil
}

// Records is the number of records covered.
func (r *Reader) Records() uint64 { return r.records }

// Close does nothing: the index stays in its indexer.
func (r *Reader) Close() error { return nil }
