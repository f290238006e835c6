// Package file wires the file-backed indexes (index/file/{token,attr,kv,
// blocks}) into an index.Manager. Each kind writes one file into the chunk's
// directory; the formats are documented in their packages, the shared
// envelope in index/file/container.
//
//	m := file.NewManager(collect.Budget{})
//	h := index.NewBuildHelper(chunks, m, index.BuildOptions{Dir: chunkDir})
//	err := h.BuildMissing(ctx, metas...)
//	set := m.Open(chunkDir(id))
//	defer set.Close()
//
// Files in a chunk directory:
//
//	token.idx   'k'  token index      (index/file/token)
//	attr.idx    'v'  attribute index  (index/file/attr)
//	kv.idx      'p'  text pair index  (index/file/kv)
//	blocks.flt  'b'  block filters    (index/file/blocks)
package file

import (
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/file/attr"
	"glarc/index/file/blocks"
	"glarc/index/file/kv"
	"glarc/index/file/token"
)

// NewManager returns a manager of file-backed indexes of every kind, with
// the admission budget b for attr and kv (zero fields: defaults).
func NewManager(b collect.Budget) *index.Manager {
	return &index.Manager{
		Token:  token.NewIndexer(),
		Attr:   attr.NewIndexer(b),
		KV:     kv.NewIndexer(b),
		Blocks: blocks.NewIndexer(),
	}
}
