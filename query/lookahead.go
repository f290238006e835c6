package query

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"glarc/chunk"
)

// maxLookAhead bounds the chunks that Run opens ahead of its merge.
const maxLookAhead = 4

// readAheadBytes bounds the text of the matches that a look-ahead
// goroutine reads past a stream's first one (see stream.readAhead).
const readAheadBytes = 4 << 20

// lookAhead opens the next chunks of a merge, and reads each to its first
// match and on (up to readAheadBytes of matches, copied), in goroutines
// while the merge yields records: a selective query spends most of its
// time finding the few matches of each chunk, and a frequent one decoding
// blocks, which the merge alone would do one chunk after another on one
// core. At most n chunks are worked on ahead of the merge, so a query
// stopped early (a limit, a consumer that leaves) has opened at most n
// chunks more than it read.
type lookAhead struct {
	ctx    context.Context
	cancel context.CancelFunc
	m      chunk.Manager
	q      *Query
	opt    Options
	n      int
	wg     sync.WaitGroup
	busy   int // goroutines started and not yet joined by first
}

// aheadResult is a look-ahead goroutine's answer for one stream: the
// stream is open and at its first match (ok), exhausted and closed (!ok),
// or failed (err).
type aheadResult struct {
	done chan struct{} // closed by the goroutine when ok and err are set
	ok   bool
	err  error
}

func newLookAhead(ctx context.Context, m chunk.Manager, q *Query, opt Options) *lookAhead {
	ctx, cancel := context.WithCancel(ctx)
	return &lookAhead{ctx: ctx, cancel: cancel, m: m, q: q, opt: opt, n: min(runtime.GOMAXPROCS(0), maxLookAhead)}
}

// fill starts goroutines for the first streams of pending, in order, until
// n are at work ahead of the merge; they read matches ahead when readOn
// is set.
func (l *lookAhead) fill(pending []*stream, readOn bool) {
	for _, s := range pending {
		if l.busy >= l.n {
			return
		}
		if s.ahead != nil {
			continue
		}
		r := &aheadResult{done: make(chan struct{})}
		s.ahead = r
		l.busy++
		l.wg.Go(func() {
			defer close(r.done)
			r.ok, r.err = openFirst(l.ctx, l.m, l.q, l.opt, s)
			if r.ok && r.err == nil && readOn {
				r.err = s.readAhead(l.ctx, l.q, l.opt, readAheadBytes)
			}
		})
	}
}

// first opens s and moves it to its first match, or takes the result of
// the goroutine that did. It reports false when s has no match (s is
// closed then).
func (l *lookAhead) first(s *stream) (bool, error) {
	r := s.ahead
	if r == nil {
		return openFirst(l.ctx, l.m, l.q, l.opt, s)
	}
	<-r.done
	l.busy--
	s.ahead = nil
	return r.ok, r.err
}

// openFirst opens s and advances it to its first match; a stream without
// one is closed.
func openFirst(ctx context.Context, m chunk.Manager, q *Query, opt Options, s *stream) (bool, error) {
	ok, err := s.open(ctx, m, q, opt)
	if err == nil && ok {
		ok, err = s.advance(ctx, q, opt)
		if err == nil && !ok {
			err = s.close()
		}
	}
	return ok, err
}

// stop cancels the goroutines still at work, waits for them, and closes
// the streams of pending they opened: the merge ended before reaching
// them.
func (l *lookAhead) stop(pending []*stream) {
	l.cancel()
	l.wg.Wait()
	for _, s := range pending {
		if s.ahead == nil {
			continue
		}
		if err := s.ahead.err; err != nil && !errors.Is(err, context.Canceled) {
			s.ex.Stopped = true
		}
		s.ahead = nil
		if s.cur != nil {
			s.ex.Stopped = true
			_ = s.close()
		}
	}
}
