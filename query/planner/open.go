package planner

import (
	"glarc/index"
	"glarc/query"
	"glarc/tokenizer"
	"sync"
)

// kinds is a set of index kinds, as bits.
type kinds uint8

const (
	kindToken kinds = 1 << iota
	kindAttr
	kindKV
	kindBlocks
)

// needs returns the index kinds compiling n can use. Opening only those
// keeps a query for one word from mapping and checking the other three
// files of every chunk (most of a selective query's time on a large
// archive). A token the token index holds never reaches the block filters,
// so an index token needs the token index only; openKinds adds the block
// filters when the token index turns out to be missing or damaged.
func needs(n query.Node) kinds {
	switch n := n.(type) {
	case query.Token:
		return runKinds([]byte(n.Word))
	case query.Phrase:
		var k kinds
		for _, run := range tokenizer.Runs([]byte(n.Text)) {
			k |= runKinds(run)
		}
		return k
	case query.Prefix:
		// The runs before the last as in a phrase, the last one through the
		// token index's Prefix.
		k := kindToken
		for at, run := range tokenizer.Runs([]byte(n.Text)) {
			if at+len(run) < len(n.Text) {
				k |= runKinds(run)
			}
		}
		return k
	case query.Field:
		if n.AnyKey {
			return 0
		}
		return kindAttr | kindKV
	case query.Not:
		return needs(n.X)
	case query.And:
		return needsAll(n.Terms)
	case query.Or:
		return needsAll(n.Terms)
	}
	return 0 // All, Regexp: no index answers them
}

func needsAll(terms []query.Node) kinds {
	var k kinds
	for _, t := range terms {
		k |= needs(t)
	}
	return k
}

// runKinds is what answers one token run: the token index for index
// tokens, the block filters for the others.
func runKinds(run []byte) kinds {
	if tokenizer.IsIndexToken(run) {
		return kindToken
	}
	return kindBlocks
}

// chunkSet is the index readers of one chunk, each opened on first need.
type chunkSet struct {
	mu    sync.Mutex // held while kinds are opened
	set   index.Set
	tried kinds
}

// openKinds opens the kinds of want that s has not tried yet, and returns
// a copy of the set (the caller compiles against it while another query
// may open more kinds). When the token index was wanted but cannot be
// used, the block filters are opened too: terms then fall back to them.
func (p *Planner) openKinds(s *chunkSet, dir string, want kinds) index.Set {
	if want&kindToken != 0 && s.tried&kindToken == 0 {
		p.openKind(s, dir, kindToken)
		if s.set.Token == nil {
			want |= kindBlocks
		}
	}
	for _, k := range []kinds{kindAttr, kindKV, kindBlocks} {
		if want&k != 0 && s.tried&k == 0 {
			p.openKind(s, dir, k)
		}
	}
	out := s.set
	out.Errs = make(map[string]error, len(s.set.Errs))
	for name, err := range s.set.Errs {
		out.Errs[name] = err
	}
	return out
}

// openKind opens one kind into s, recording why it is absent.
func (p *Planner) openKind(s *chunkSet, dir string, k kinds) {
	s.tried |= k
	if s.set.Errs == nil {
		s.set.Errs = map[string]error{}
	}
	note := func(name string, err error) bool {
		if err != nil {
			s.set.Errs[name] = err
			return false
		}
		return true
	}
	m := p.indexes
	switch {
	case k == kindToken && m.Token != nil:
		if r, err := m.Token.Open(dir); note(index.KindToken, err) {
			s.set.Token = r
		}
	case k == kindAttr && m.Attr != nil:
		if r, err := m.Attr.Open(dir); note(index.KindAttr, err) {
			s.set.Attr = r
		}
	case k == kindKV && m.KV != nil:
		if r, err := m.KV.Open(dir); note(index.KindKV, err) {
			s.set.KV = r
		}
	case k == kindBlocks && m.Blocks != nil:
		if r, err := m.Blocks.Open(dir); note(index.KindBlocks, err) {
			s.set.Blocks = r
		}
	}
}
