// Package store is the keyed map the in-memory indexers keep their built
// indexes in.
//
//	var s store.Store[*tokenIndex]
//	s.Put(dir, idx)
//	idx, ok := s.Get(dir)
package store

import (
	"fmt"
	"sync"

	"glarc/index"
)

// Store maps a chunk key to a built index. The zero value is ready.
type Store[T any] struct {
	mu sync.Mutex // guards m
	m  map[string]T
}

// Put stores v under dir, replacing any earlier index.
func (s *Store[T]) Put(dir string, v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]T{}
	}
	s.m[dir] = v
}

// Get returns the index under dir or an error wrapping index.ErrNotBuilt.
func (s *Store[T]) Get(dir string) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[dir]
	if !ok {
		return v, fmt.Errorf("%s: %w", dir, index.ErrNotBuilt)
	}
	return v, nil
}
