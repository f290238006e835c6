package pairs

import (
	"context"
	"fmt"
	"path/filepath"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
)

// Indexer builds and opens one kind of pair index. The attr and kv indexes
// differ only in their kind, file name, file type and where a record's
// pairs come from (its attributes, or key=value pairs in its line); see
// packages index/file/attr and index/file/kv. It is safe for concurrent use.
type Indexer struct {
	kind    string
	file    string
	typ     byte
	budget  collect.Budget
	collect func(context.Context, chunk.RecordCursor, collect.Budget) (*collect.PairSet, error)
	// fromLine is set when the pairs come from the line alone (kv): the
	// collector then also takes lines without their attributes.
	fromLine bool
}

var (
	_ index.PairIndexer   = (*Indexer)(nil)
	_ index.SharedIndexer = (*Indexer)(nil)
)

// NewAttrIndexer returns the attr indexer (pairs from record attributes).
func NewAttrIndexer(file string, typ byte, b collect.Budget) *Indexer {
	return &Indexer{kind: index.KindAttr, file: file, typ: typ, budget: b, collect: collect.Attrs}
}

// NewKVIndexer returns the kv indexer (key=value pairs in the line).
func NewKVIndexer(file string, typ byte, b collect.Budget) *Indexer {
	return &Indexer{kind: index.KindKV, file: file, typ: typ, budget: b, collect: collect.KV, fromLine: true}
}

// Name returns the index kind.
func (ix *Indexer) Name() string { return ix.kind }

// Build collects the chunk's pairs and writes the index file into dir.
func (ix *Indexer) Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error {
	if !meta.Sealed {
		return fmt.Errorf("build %s index of chunk %s: %w", ix.kind, meta.ID, index.ErrChunkNotSealed)
	}
	set, err := ix.collect(ctx, cur, ix.budget)
	if err == nil {
		err = Write(filepath.Join(dir, ix.file), ix.typ, set)
	}
	if err != nil {
		return fmt.Errorf("build %s index of chunk %s: %w", ix.kind, meta.ID, err)
	}
	return nil
}

// NewCollector returns a collector of the chunk's pairs, for a pass
// shared with other indexes.
func (ix *Indexer) NewCollector(meta chunk.ChunkMeta, cur chunk.RecordCursor) (index.Collector, error) {
	if !meta.Sealed {
		return nil, fmt.Errorf("build %s index of chunk %s: %w", ix.kind, meta.ID, index.ErrChunkNotSealed)
	}
	c := collector{set: collect.NewPairSet(ix.budget, cur.Len()), path: ix.file, typ: ix.typ}
	if ix.fromLine {
		return lineCollector{c}, nil
	}
	return attrCollector{c}, nil
}

type collector struct {
	set  *collect.PairSet
	path string
	typ  byte
}

func (c collector) Finish(dir string) error {
	return Write(filepath.Join(dir, c.path), c.typ, c.set)
}

// attrCollector takes a record's attributes; it is an
// index.AttrCollector.
type attrCollector struct{ collector }

func (c attrCollector) Add(pos uint32, rec *chunk.Record) { c.set.AddAttrs(pos, rec.Attrs) }

func (c attrCollector) AddAttrs(pos uint32, attrs chunk.Attributes) { c.set.AddAttrs(pos, attrs) }

func (c attrCollector) StartAttrBlock() { c.set.StartAttrBlock() }

func (c attrCollector) AddAttr(pos uint32, col int, key string, value []byte) {
	c.set.AddAttr(pos, col, key, value)
}

var (
	_ index.BlockAttrCollector = attrCollector{}
	_ index.LineCollector      = lineCollector{}
)

// lineCollector takes the key=value pairs of a record's line; it is an
// index.LineCollector.
type lineCollector struct{ collector }

func (c lineCollector) Add(pos uint32, rec *chunk.Record) { c.set.AddLine(pos, rec.Raw) }

func (c lineCollector) AddLine(pos uint32, line []byte) { c.set.AddLine(pos, line) }

// Stat reports the index in dir.
func (ix *Indexer) Stat(dir string) index.Info {
	return Stat(ix.kind, filepath.Join(dir, ix.file), ix.typ)
}

// Open opens the index file in dir.
func (ix *Indexer) Open(dir string) (index.PairReader, error) {
	r, err := Open(filepath.Join(dir, ix.file), ix.typ)
	if err != nil {
		return nil, err
	}
	return r, nil
}
