// Package memory wires the in-memory indexes (index/memory/{token,attr,kv,
// blocks}) into an index.Manager, for tests and for archives that live in
// memory. They implement the same interfaces as the file-backed indexes and
// answer the same: the chunk "directory" is only a key.
//
//	m := memory.NewManager(collect.Budget{})
//	h := index.NewBuildHelper(chunks, m, index.BuildOptions{Dir: func(id chunk.ChunkID) string { return id.String() }})
//	err := h.BuildMissing(ctx, metas...)
//	set := m.Open(id.String())
package memory

import (
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/memory/attr"
	"glarc/index/memory/blocks"
	"glarc/index/memory/kv"
	"glarc/index/memory/token"
)

// NewManager returns a manager of in-memory indexes of every kind.
func NewManager(b collect.Budget) *index.Manager {
	return &index.Manager{
		Token:  token.NewIndexer(),
		Attr:   attr.NewIndexer(b),
		KV:     kv.NewIndexer(b),
		Blocks: blocks.NewIndexer(),
	}
}
