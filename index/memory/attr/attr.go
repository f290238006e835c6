// Package attr is the in-memory attr index (record attributes), answering like
// index/file/attr.
//
//	ix := attr.NewIndexer(collect.Budget{})
//	err := ix.Build(ctx, meta, cur, id.String())
package attr

import (
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/memory/pairs"
)

// NewIndexer returns an in-memory attr indexer with the budget b.
func NewIndexer(b collect.Budget) *pairs.Indexer {
	return pairs.NewIndexer(index.KindAttr, collect.Attrs, b)
}
