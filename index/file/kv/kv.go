// Package kv is the file-backed kv index of a sealed chunk: key=value pairs found in the line text (tokenizer.Pairs),
// key and value lowercased, → the positions of the records holding them,
// and key → positions for `key=*`. The layout is index/file/pairs, file
// type 'p'.
//
//	ix := kv.NewIndexer(collect.Budget{})       // zero budget: defaults
//	err := ix.Build(ctx, meta, cur, chunkDir)      // writes chunkDir/kv.idx
//	r, err := ix.Open(chunkDir)
//	bm, held, err := r.Lookup("user", "root")   // held false: scan, the budget left the key's values out
package kv

import (
	"context"
	"fmt"
	"path/filepath"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/file/container"
	"glarc/index/file/pairs"
)

// FileName is the kv index inside a chunk directory.
const FileName = "kv.idx"

// Indexer builds kv indexes. It is safe for concurrent use.
type Indexer struct {
	budget collect.Budget
}

var (
	_ index.PairIndexer   = (*Indexer)(nil)
	_ index.SharedIndexer = (*Indexer)(nil)
)

// NewIndexer returns a kv indexer with the admission budget b (zero
// fields take the defaults).
func NewIndexer(b collect.Budget) *Indexer { return &Indexer{budget: b} }

// Name returns index.KindKV.
func (*Indexer) Name() string { return index.KindKV }

// Build collects the chunk's pairs and writes dir/kv.idx.
func (ix *Indexer) Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error {
	if !meta.Sealed {
		return fmt.Errorf("build kv index of chunk %s: %w", meta.ID, index.ErrChunkNotSealed)
	}
	set, err := collect.KV(ctx, cur, ix.budget)
	if err == nil {
		err = pairs.Write(filepath.Join(dir, FileName), container.TypeKV, set)
	}
	if err != nil {
		return fmt.Errorf("build kv index of chunk %s: %w", meta.ID, err)
	}
	return nil
}

// NewCollector returns a collector of the chunk's pairs, for a pass
// shared with other indexes.
func (ix *Indexer) NewCollector(meta chunk.ChunkMeta, cur chunk.RecordCursor) (index.Collector, error) {
	if !meta.Sealed {
		return nil, fmt.Errorf("build kv index of chunk %s: %w", meta.ID, index.ErrChunkNotSealed)
	}
	return collector{collect.NewPairSet(ix.budget, cur.Len())}, nil
}

type collector struct{ set *collect.PairSet }

func (c collector) Add(pos uint32, rec *chunk.Record) { c.set.AddLine(pos, rec.Raw) }

// AddLine makes the collector an index.LineCollector.
func (c collector) AddLine(pos uint32, line []byte) { c.set.AddLine(pos, line) }

func (c collector) Finish(dir string) error {
	return pairs.Write(filepath.Join(dir, FileName), container.TypeKV, c.set)
}

// Stat reports the kv index in dir.
func (*Indexer) Stat(dir string) index.Info {
	return pairs.Stat(index.KindKV, filepath.Join(dir, FileName), container.TypeKV)
}

// Open opens dir/kv.idx.
func (*Indexer) Open(dir string) (index.PairReader, error) {
	r, err := Open(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Open maps and checks a kv index file.
func Open(path string) (*pairs.Reader, error) { return pairs.Open(path, container.TypeKV) }
