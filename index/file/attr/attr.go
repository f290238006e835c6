// Package attr is the file-backed attr index of a sealed chunk: record attributes,
// key and value lowercased, → the positions of the records holding them,
// and key → positions for `key=*`. The layout is index/file/pairs, file
// type 'v'.
//
//	ix := attr.NewIndexer(collect.Budget{})       // zero budget: defaults
//	err := ix.Build(ctx, meta, cur, chunkDir)      // writes chunkDir/attr.idx
//	r, err := ix.Open(chunkDir)
//	bm, held, err := r.Lookup("host", "web1")   // held false: scan, the budget left the key's values out
package attr

import (
	"glarc/index/collect"
	"glarc/index/file/container"
	"glarc/index/file/pairs"
)

// FileName is the attr index inside a chunk directory.
const FileName = "attr.idx"

// Indexer builds and opens attr indexes (record attributes).
type Indexer = pairs.Indexer

// NewIndexer returns the attr indexer with the admission budget b (zero
// fields take the defaults).
func NewIndexer(b collect.Budget) *Indexer {
	return pairs.NewAttrIndexer(FileName, container.TypeAttr, b)
}

// Open maps and checks a attr index file.
func Open(path string) (*pairs.Reader, error) { return pairs.Open(path, container.TypeAttr) }
