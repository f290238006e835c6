package planner

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"glarc/chunk"
	"glarc/index"
	"glarc/query"
	"glarc/tokenizer"
)

// Count is query.Count with the planner as the candidate source, except
// that sealed chunks wholly inside the time range whose candidates are
// exact (pure token, key=value and key=* terms, combined with AND, OR and
// NOT) are counted from their posting lists without reading a record. The
// explanation lists those chunks as counted, with the reason "exact".
func (p *Planner) Count(ctx context.Context, m chunk.Manager, q *query.Query, opt query.Options) (uint64, error) {
	opt.Candidates = p
	if q.MatchesAll() {
		return query.Count(ctx, m, q, opt) // query.Count counts from metadata
	}
	metas, err := m.List()
	if err != nil {
		return 0, fmt.Errorf("query: list chunks: %w", err)
	}
	limit := uint64(max(opt.Limit, 0))
	// Each chunk's index answer first, in parallel: opening and reading
	// the indexes of many chunks is most of a selective count.
	type pre struct {
		eligible, tok bool
		k             uint64
		a             answer
	}
	pres := make([]pre, len(metas))
	var todo []int
	for i, meta := range metas {
		if meta.Sealed && meta.Overlaps(opt.Since, opt.Until) && within(meta, opt.Since, opt.Until) {
			pres[i].eligible = true
			todo = append(todo, i)
		}
	}
	// A few workers take the chunks in turn (rather than a goroutine per
	// chunk): each grows its stack once for the whole query.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(todo)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				j := int(next.Add(1)) - 1
				if j >= len(todo) {
					return
				}
				i := todo[j]
				if k, ok := p.tokenCount(metas[i], q, opt); ok {
					pres[i].tok, pres[i].k = true, k
					continue
				}
				pres[i].a = p.answer(metas[i], q)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n uint64
	var counted []query.ChunkExplain
	skip := map[chunk.ChunkID]bool{}
	for i, meta := range metas {
		pr := &pres[i]
		if !pr.eligible {
			continue
		}
		if pr.tok {
			k := pr.k
			if limit > 0 {
				k = min(k, limit-n)
			}
			n += k
			skip[meta.ID] = true
			if limit > 0 && n >= limit {
				break
			}
			continue
		}
		a := pr.a
		if !a.c.Exact {
			continue
		}
		k := meta.Records
		if a.c.Positions != nil {
			k = a.c.Positions.GetCardinality()
		}
		if limit > 0 {
			k = min(k, limit-n)
		}
		n += k
		skip[meta.ID] = true
		counted = append(counted, query.ChunkExplain{ID: meta.ID, MinTS: meta.MinTS, MaxTS: meta.MaxTS,
			Records: meta.Records, Status: query.StatusCounted, Source: a.c.Source, Reason: a.c.Reason + reasonCounted,
			Candidates: k, Matched: k})
		if limit > 0 && n >= limit {
			break
		}
	}
	var rest uint64
	if limit == 0 || n < limit {
		if limit > 0 {
			opt.Limit = int(limit - n)
		}
		rest, err = query.Count(ctx, without{m, skip}, q, opt)
	}
	if ex := opt.Explain; ex != nil {
		ex.Limit = int(limit)
		ex.Chunks = append(ex.Chunks, counted...)
		slices.SortFunc(ex.Chunks, func(a, b query.ChunkExplain) int { return compareIDs(a.ID, b.ID) })
		ex.Returned = n + rest
		if ex.Query == "" {
			ex.Query, ex.Since, ex.Until = q.String(), opt.Since, opt.Until
		}
	}
	return n + rest, err
}

// tokenCount counts a query of one index token on a sealed chunk from the
// token index alone, without building its posting list (a frequent token
// stored as a subset of a longer list would decode that list too). It
// reports false when the chunk must go the general way: another query, an
// explanation asked for (it shows the general plan), or a token index that
// is missing, damaged or does not cover the chunk.
func (p *Planner) tokenCount(meta chunk.ChunkMeta, q *query.Query, opt query.Options) (uint64, bool) {
	t, ok := q.Root().(query.Token)
	if !ok || opt.Explain != nil || p.opts.Disabled || !tokenizer.IsIndexToken([]byte(t.Word)) {
		return 0, false
	}
	set := p.set(meta.ID, kindToken)
	tc, ok := set.Token.(index.TokenCounter)
	if !ok || set.Token.Records() != meta.Records {
		return 0, false
	}
	k, held, err := tc.LookupCount([]byte(t.Word))
	if err != nil || !held {
		return 0, false
	}
	return k, true
}

// reasonCounted ends the reason of a chunk counted from its postings.
const reasonCounted = ": counted from the index, no record read"

// within reports whether every record of the chunk lies in [since, until].
func within(meta chunk.ChunkMeta, since, until time.Time) bool {
	return (since.IsZero() || !meta.MinTS.Before(since)) && (until.IsZero() || !meta.MaxTS.After(until))
}

// without hides some chunks of a manager from List.
type without struct {
	chunk.Manager
	skip map[chunk.ChunkID]bool
}

func (w without) List() ([]chunk.ChunkMeta, error) {
	metas, err := w.Manager.List()
	return slices.DeleteFunc(metas, func(m chunk.ChunkMeta) bool { return w.skip[m.ID] }), err
}
