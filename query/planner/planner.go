// Package planner answers query.CandidateSource from the indexes of sealed
// chunks: it compiles a query's syntax tree into a superset of its matches
// per chunk (token, attr and kv postings, per-block filters), which
// query.Run then checks record by record.
//
//	p := planner.New(indexes, files.ChunkDir, planner.Options{Logger: log})
//	defer p.Close()
//	opt := query.Options{Candidates: p, Explain: &query.Explain{}}
//	for rec, err := range query.Run(ctx, chunks, q, opt) { ... }
//	n, err := p.Count(ctx, chunks, q, opt) // exact counts straight from the indexes
//
// # Compilation
//
// Every node becomes a set of candidate positions that holds every match
// (nil standing for every position), and a flag saying whether the set is
// exactly the matches:
//
//	Token (index token)       token index                               exact
//	Token (other run)         block filters: blocks that may hold it
//	Phrase                    AND of its index tokens, and the block filters
//	                          over all its runs when one is not an index token
//	Prefix                    AND of its whole runs (as a phrase), and token
//	                          Prefix of its last run
//	key=value                 attr Lookup OR kv Lookup (when both are held)  exact
//	key=value, values left    attr Lookup (or Key) OR (kv Key AND the value's
//	out by the budget         token runs, as a phrase's, without run pairs)
//	key=*                     attr Key OR kv Key                        exact
//	key!=v, key<v, ...        attr Key OR kv Key (the key must be present)
//	*=value, Regexp           every position
//	And, Or                   intersection, union                       exact if all terms are
//	Not x                     the complement of x when x is exact, else every position
//	*                         every position                            exact
//
// A chunk whose index is damaged (a checksum fails at open or during a
// lookup) is scanned whole, with one warning on the logger; results stay
// exact whatever the indexes hold. Active chunks are always scanned.
package planner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/chunk"
	"glarc/index"
	"glarc/query"
)

// Source names used in query.Candidates.Source.
const (
	SourceIndex = "index"
	SourceScan  = "scan"
)

// Options configure a Planner.
type Options struct {
	// Logger receives one warning per chunk whose index is damaged.
	// Default: discard.
	Logger *slog.Logger
	// Disabled makes every chunk a scan (for differential tests and
	// `--no-index`-style comparisons).
	Disabled bool
	// Explain opens the block filters of every chunk asked about, even
	// where the query does not need them, so that each reason also says
	// how many blocks hold candidates.
	Explain bool
}

// Planner is an index-backed query.CandidateSource. It opens only the
// index kinds a query can use, and keeps the readers of each chunk it was
// asked about open until Close. It is safe for concurrent use.
type Planner struct {
	indexes *index.Manager
	dirOf   func(chunk.ChunkID) string
	opts    Options
	log     *slog.Logger

	mu sync.Mutex // guards the fields below
	// sets holds the open index readers per chunk.
	sets map[chunk.ChunkID]*chunkSet
	// answers holds the last answer per chunk, and the query it was for.
	answers map[chunk.ChunkID]answer
	// warned holds the chunks already warned about.
	warned map[chunk.ChunkID]bool
	// warnedVersion is set once the other-version warning was logged.
	warnedVersion bool

	// scratch pools the compilers' bitsets (*scratch), so that chunk
	// after chunk reuses the same memory.
	scratch sync.Pool
}

var _ query.CandidateSource = (*Planner)(nil)

// New returns a planner reading the indexes of indexes; dirOf gives the
// directory of a sealed chunk (file.Manager.ChunkDir).
func New(indexes *index.Manager, dirOf func(chunk.ChunkID) string, opts Options) *Planner {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Planner{indexes: indexes, dirOf: dirOf, opts: opts, log: log,
		sets: map[chunk.ChunkID]*chunkSet{}, answers: map[chunk.ChunkID]answer{}, warned: map[chunk.ChunkID]bool{}}
}

// Close closes every index reader the planner opened.
func (p *Planner) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, id := range slices.SortedFunc(maps.Keys(p.sets), compareIDs) {
		s := p.sets[id]
		s.mu.Lock()
		err := s.set.Close()
		s.mu.Unlock()
		if err != nil {
			errs = append(errs, fmt.Errorf("chunk %s: %w", id, err))
		}
	}
	clear(p.sets)
	return errors.Join(errs...)
}

func compareIDs(a, b chunk.ChunkID) int { return strings.Compare(string(a[:]), string(b[:])) }

// set returns the index readers of a chunk with the kinds of want opened
// (those that exist and are intact).
func (p *Planner) set(id chunk.ChunkID, want kinds) index.Set {
	p.mu.Lock()
	s, ok := p.sets[id]
	if !ok {
		s = &chunkSet{}
		p.sets[id] = s
	}
	p.mu.Unlock()
	// Chunks open their files in parallel; one chunk's kinds once.
	s.mu.Lock()
	defer s.mu.Unlock()
	return p.openKinds(s, p.dirOf(id), want)
}

// warn logs the damage of a chunk's index once.
func (p *Planner) warn(id chunk.ChunkID, err error) {
	p.mu.Lock()
	first := !p.warned[id]
	p.warned[id] = true
	p.mu.Unlock()
	if first {
		p.log.Warn("index damaged, scanning the chunk", "chunk", id.String(), "err", err)
	}
}

// answer is a chunk's candidates for one query.
type answer struct {
	q      *query.Query
	sealed bool
	c      query.Candidates
}

// Exact reports whether the last answer for the chunk was exactly its
// matches (ignoring the time range), so that a count needs no record data.
func (p *Planner) Exact(id chunk.ChunkID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.answers[id].c.Exact
}

// Candidates implements query.CandidateSource. The answer for a chunk is
// kept for the query, so asking again costs nothing.
func (p *Planner) Candidates(ctx context.Context, meta chunk.ChunkMeta, q *query.Query) (query.Candidates, error) {
	if err := ctx.Err(); err != nil {
		return query.Candidates{}, err
	}
	a := p.answer(meta, q)
	return a.c, nil
}

func (p *Planner) answer(meta chunk.ChunkMeta, q *query.Query) answer {
	p.mu.Lock()
	a, ok := p.answers[meta.ID]
	p.mu.Unlock()
	if ok && a.q == q && a.sealed == meta.Sealed {
		return a
	}
	a = answer{q: q, sealed: meta.Sealed, c: p.candidates(meta, q)}
	p.mu.Lock()
	p.answers[meta.ID] = a
	p.mu.Unlock()
	return a
}

func (p *Planner) candidates(meta chunk.ChunkMeta, q *query.Query) query.Candidates {
	switch {
	case p.opts.Disabled:
		return query.AllPositions(SourceScan, "indexes disabled")
	case !meta.Sealed:
		return query.AllPositions(SourceScan, "active chunk, not indexed")
	case q.MatchesAll():
		c := query.AllPositions(SourceScan, "every record matches")
		c.Exact = true
		return c
	}
	want := needs(q.Root())
	if p.opts.Explain {
		want |= kindBlocks
	}
	set := p.set(meta.ID, want)
	if otherVersion(&set) {
		p.warnVersion()
	}
	if want != 0 && notBuilt(&set) {
		return query.AllPositions(SourceScan, "chunk not indexed")
	}
	if err := damage(&set); err != nil {
		p.warn(meta.ID, err)
		return query.AllPositions(SourceScan, "index damaged: "+err.Error())
	}
	if err := recordsMismatch(&set, meta.Records); err != nil {
		p.warn(meta.ID, err)
		return query.AllPositions(SourceScan, "index damaged: "+err.Error())
	}
	sc, _ := p.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	defer p.scratch.Put(sc)
	c := &compiler{set: &set, n: meta.Records, sc: sc,
		widen: func(k kinds) index.Set { return p.set(meta.ID, want|k) }}
	res := c.top(q.Root())
	r := result{bm: c.bitmap(res), exact: res.exact}
	if c.err != nil {
		p.warn(meta.ID, c.err)
		return query.AllPositions(SourceScan, "index damaged: "+c.err.Error())
	}
	reason := strings.Join(c.steps, "; ")
	if missing := missingKinds(&set); missing != "" {
		reason = joinReason(reason, "not indexed: "+missing)
	}
	if r.bm == nil {
		c := query.AllPositions(SourceScan, joinReason(reason, "no index narrows the query"))
		c.Exact = r.exact
		return c
	}
	if p.opts.Explain && set.Blocks != nil {
		// Only --explain shows it; counting the blocks costs a pass over
		// the candidates.
		starts := set.Blocks.BlockStarts()
		reason = joinReason(reason, fmt.Sprintf("blocks: %d of %d", blocksHolding(r.bm, starts, meta.Records), len(starts)))
	}
	if r.exact {
		reason = joinReason(reason, "exact")
	}
	return query.Candidates{Positions: r.bm, Source: SourceIndex, Reason: reason, Exact: r.exact}
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// warnVersion logs once that indexes of another format version are left
// out.
func (p *Planner) warnVersion() {
	p.mu.Lock()
	first := !p.warnedVersion
	p.warnedVersion = true
	p.mu.Unlock()
	if first {
		p.log.Warn("indexes written by another glarc version are not used; `glarc index` builds them again")
	}
}

// missing reports whether err says an index cannot be used because it was
// never built, or was built in a format version this glarc does not read:
// the chunk is then planned as if that kind were not indexed.
func missing(err error) bool {
	return errors.Is(err, index.ErrNotBuilt) || errors.Is(err, index.ErrFormatVersion)
}

// otherVersion reports whether some index of set has another format
// version.
func otherVersion(set *index.Set) bool {
	for _, err := range set.Errs {
		if errors.Is(err, index.ErrFormatVersion) {
			return true
		}
	}
	return false
}

// damage returns the first error of set that is not a missing index, in
// kind order.
func damage(set *index.Set) error {
	for _, kind := range []string{index.KindToken, index.KindAttr, index.KindKV, index.KindBlocks} {
		if err := set.Errs[kind]; err != nil && !missing(err) {
			return fmt.Errorf("%s index: %w", kind, err)
		}
	}
	return nil
}

// notBuilt reports whether none of the index kinds tried on the chunk was
// ever built.
func notBuilt(set *index.Set) bool {
	if set.Token != nil || set.Attr != nil || set.KV != nil || set.Blocks != nil {
		return false
	}
	for _, err := range set.Errs {
		if !missing(err) {
			return false
		}
	}
	return true
}

// missingKinds lists the kinds that were never built, for the reason.
func missingKinds(set *index.Set) string {
	var out []string
	for _, kind := range []string{index.KindToken, index.KindAttr, index.KindKV, index.KindBlocks} {
		switch err := set.Errs[kind]; {
		case errors.Is(err, index.ErrNotBuilt):
			out = append(out, kind)
		case errors.Is(err, index.ErrFormatVersion):
			out = append(out, kind+" (other format version)")
		}
	}
	return strings.Join(out, ", ")
}

// recordsMismatch checks that every open index covers the chunk's records.
func recordsMismatch(set *index.Set, records uint64) error {
	check := func(kind string, n uint64) error {
		if n != records {
			return fmt.Errorf("%s index: covers %d records, chunk has %d: %w", kind, n, records, index.ErrCorrupt)
		}
		return nil
	}
	var errs []error
	if set.Token != nil {
		errs = append(errs, check(index.KindToken, set.Token.Records()))
	}
	if set.Attr != nil {
		errs = append(errs, check(index.KindAttr, set.Attr.Records()))
	}
	if set.KV != nil {
		errs = append(errs, check(index.KindKV, set.KV.Records()))
	}
	if set.Blocks != nil {
		errs = append(errs, check(index.KindBlocks, set.Blocks.Records()))
	}
	return errors.Join(errs...)
}

// blocksHolding counts the blocks that hold at least one position of bm.
func blocksHolding(bm *roaring.Bitmap, starts []uint64, records uint64) int {
	n := 0
	for i, s := range starts {
		end := records
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		if end > s && bm.IntersectsWithInterval(s, end) {
			n++
		}
	}
	return n
}
