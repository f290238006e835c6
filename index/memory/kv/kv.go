// Package kv is the in-memory kv index (key=value pairs found in the line text), answering like
// index/file/kv.
//
//	ix := kv.NewIndexer(collect.Budget{})
//	err := ix.Build(ctx, meta, cur, id.String())
package kv

import (
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/memory/pairs"
)

// NewIndexer returns an in-memory kv indexer with the budget b.
func NewIndexer(b collect.Budget) *pairs.Indexer {
	return pairs.NewIndexer(index.KindKV, collect.KV, b)
}
