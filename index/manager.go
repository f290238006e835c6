package index

import (
	"errors"
	"fmt"
)

// Manager holds one indexer of each kind and opens a chunk's index set. The
// file-backed manager is index/file.NewManager, the in-memory one
// index/memory.NewManager. A nil field means that kind is not kept.
type Manager struct {
	Token  TokenIndexer
	Attr   PairIndexer
	KV     PairIndexer
	Blocks BlockIndexer
}

// Indexers returns the configured indexers in a fixed order: token, attr,
// kv, blocks.
func (m *Manager) Indexers() []Indexer {
	var out []Indexer
	if m.Token != nil {
		out = append(out, m.Token)
	}
	if m.Attr != nil {
		out = append(out, m.Attr)
	}
	if m.KV != nil {
		out = append(out, m.KV)
	}
	if m.Blocks != nil {
		out = append(out, m.Blocks)
	}
	return out
}

// Stat reports every configured index of the chunk in dir.
func (m *Manager) Stat(dir string) []Info {
	ixs := m.Indexers()
	out := make([]Info, 0, len(ixs))
	for _, ix := range ixs {
		out = append(out, ix.Stat(dir))
	}
	return out
}

// Set is the open index readers of one chunk. A nil reader means that index
// is missing, unfinished or damaged; Errs says why for each such kind, keyed
// by kind name (absent indexes are reported with ErrNotBuilt).
type Set struct {
	Token  TokenReader
	Attr   PairReader
	KV     PairReader
	Blocks BlockReader
	Errs   map[string]error
}

// Open opens every index of the chunk in dir that exists and is intact. It
// never fails as a whole: a planner scans where a reader is nil.
func (m *Manager) Open(dir string) *Set {
	s := &Set{Errs: map[string]error{}}
	// note records err and reports whether the reader may be kept.
	note := func(name string, err error) bool {
		if err != nil {
			s.Errs[name] = err
			return false
		}
		return true
	}
	if m.Token != nil {
		r, err := m.Token.Open(dir)
		if note(KindToken, err) {
			s.Token = r
		}
	}
	if m.Attr != nil {
		r, err := m.Attr.Open(dir)
		if note(KindAttr, err) {
			s.Attr = r
		}
	}
	if m.KV != nil {
		r, err := m.KV.Open(dir)
		if note(KindKV, err) {
			s.KV = r
		}
	}
	if m.Blocks != nil {
		r, err := m.Blocks.Open(dir)
		if note(KindBlocks, err) {
			s.Blocks = r
		}
	}
	return s
}

// Close closes every open reader.
func (s *Set) Close() error {
	var errs []error
	closeIf := func(name string, c interface{ Close() error }) {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s index: %w", name, err))
		}
	}
	if s.Token != nil {
		closeIf(KindToken, s.Token)
	}
	if s.Attr != nil {
		closeIf(KindAttr, s.Attr)
	}
	if s.KV != nil {
		closeIf(KindKV, s.KV)
	}
	if s.Blocks != nil {
		closeIf(KindBlocks, s.Blocks)
	}
	return errors.Join(errs...)
}
