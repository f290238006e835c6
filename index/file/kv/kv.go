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
	"glarc/index/collect"
	"glarc/index/file/container"
	"glarc/index/file/pairs"
)

// FileName is the kv index inside a chunk directory.
const FileName = "kv.idx"

// Indexer builds and opens kv indexes (key=value pairs in the line).
type Indexer = pairs.Indexer

// NewIndexer returns the kv indexer with the admission budget b (zero
// fields take the defaults).
func NewIndexer(b collect.Budget) *Indexer {
	return pairs.NewKVIndexer(FileName, container.TypeKV, b)
}

// Open maps and checks a kv index file.
func Open(path string) (*pairs.Reader, error) { return pairs.Open(path, container.TypeKV) }
