package query

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"golang.org/x/sync/errgroup"

	"glarc/chunk"
)

// ErrInvertedRange means Options.Since is after Options.Until.
var ErrInvertedRange = errors.New("query: since is after until")

// Options control Run and Count.
type Options struct {
	// Since and Until bound Record.Time, both inclusive; zero leaves that
	// side open.
	Since, Until time.Time
	// Reverse yields the newest records first.
	Reverse bool
	// Limit stops after this many records; 0 means no limit.
	Limit int
	// Candidates narrows each chunk to candidate positions; nil scans
	// every record.
	Candidates CandidateSource
	// Explain, when set, is filled with what the query did per chunk.
	Explain *Explain
	// ReuseRecords lets Run decode the next blocks of a chunk into the
	// memory of the records it yielded before: a record (its Raw and its
	// Attrs, as chunk.BufferReuser says) is then valid only until the
	// loop body that got it returns; clone what must be kept. A consumer
	// that writes each record out and drops it (glarc query, export)
	// saves a fresh block's memory per block read: about 100 page faults.
	// Count always reuses.
	ReuseRecords bool
}

// ctxCheckEvery is how many records a stream reads between checks of the
// context.
const ctxCheckEvery = 1024

// Run answers q from the chunks of m: every matching record in
// [opt.Since, opt.Until], ordered by (Record.Time, chunk ID, position),
// oldest first, or newest first with opt.Reverse. The first error ends the
// sequence. Every cursor Run opens is closed when the sequence ends, also
// when the consumer stops early. Records are passed on as the cursors
// return them: Raw and Attrs may be shared with the manager, so read them
// and clone what must be kept or changed. opt.Explain is complete once the
// sequence ends.
func Run(ctx context.Context, m chunk.Manager, q *Query, opt Options) iter.Seq2[chunk.Record, error] {
	return func(yield func(chunk.Record, error) bool) {
		streams, err := plan(m, q, opt)
		if err != nil {
			yield(chunk.Record{}, err)
			return
		}
		h := &streamHeap{reverse: opt.Reverse}
		defer func() {
			// Streams still in the heap were not read to the end. Closing
			// twice is harmless; errors here follow an error already
			// yielded, or a consumer that left.
			for _, s := range h.s {
				s.ex.Stopped = true
				_ = s.close()
			}
		}()
		err = merge(ctx, m, q, opt, streams, h, yield)
		if err == nil {
			for _, s := range h.s {
				if err = s.close(); err != nil {
					break
				}
			}
		}
		if err != nil && err != errConsumerStopped {
			yield(chunk.Record{}, err)
		}
	}
}

// errConsumerStopped is merge's way of saying yield returned false.
var errConsumerStopped = errors.New("consumer stopped")

// merge runs the k-way merge. Chunks wait in pending, ordered by the time
// at which the merge frontier reaches them, and join the heap only then.
func merge(ctx context.Context, m chunk.Manager, q *Query, opt Options, pending []*stream,
	h *streamHeap, yield func(chunk.Record, error) bool) error {
	// Unsealed chunks may gain records outside the range their metadata
	// showed, so they join first.
	slices.SortStableFunc(pending, func(a, b *stream) int {
		if a.meta.Sealed != b.meta.Sealed {
			if !a.meta.Sealed {
				return -1
			}
			return 1
		}
		if opt.Reverse {
			return cmp.Or(b.meta.MaxTS.Compare(a.meta.MaxTS), bytes.Compare(b.meta.ID[:], a.meta.ID[:]))
		}
		return cmp.Or(a.meta.MinTS.Compare(b.meta.MinTS), bytes.Compare(a.meta.ID[:], b.meta.ID[:]))
	})
	reached := func(s *stream) bool {
		if len(h.s) == 0 || !s.meta.Sealed {
			return true
		}
		if opt.Reverse {
			return !s.meta.MaxTS.Before(h.s[0].t)
		}
		return !s.meta.MinTS.After(h.s[0].t)
	}
	la := newLookAhead(ctx, m, q, opt)
	defer func() { la.stop(pending) }()
	var returned int
	for {
		for len(pending) > 0 && reached(pending[0]) {
			s := pending[0]
			pending = pending[1:]
			// Read ahead only while few streams are merged (chunks that
			// follow each other in time): each may hold readAheadBytes.
			la.fill(pending, len(h.s) < 2)
			ok, err := la.first(s)
			if err != nil {
				_ = s.close()
				return err
			}
			if ok {
				heap.Push(h, s)
			}
		}
		if len(h.s) == 0 {
			return nil
		}
		s := h.s[0]
		returned++
		if opt.Explain != nil {
			opt.Explain.Returned++
		}
		if !yield(s.rec, nil) {
			return errConsumerStopped
		}
		if opt.Limit > 0 && returned >= opt.Limit {
			return nil
		}
		ok, err := s.advance(ctx, q, opt)
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
			continue
		}
		heap.Pop(h)
		if err := s.close(); err != nil {
			return err
		}
	}
}

// Count returns the number of records Run would yield (at most opt.Limit
// when set), without ordering them. A query that matches everything counts
// sealed chunks wholly inside the time range from their metadata. Without
// a limit, chunks are counted in parallel, one goroutine per CPU: the
// manager and the CandidateSource must then be safe for concurrent use.
func Count(ctx context.Context, m chunk.Manager, q *Query, opt Options) (uint64, error) {
	streams, err := plan(m, q, opt)
	if err != nil {
		return 0, err
	}
	opt.Reverse = false
	limit := uint64(max(opt.Limit, 0))
	var n uint64
	if limit == 0 {
		n, err = countParallel(ctx, m, q, opt, streams)
	} else {
		n, err = countSerial(ctx, m, q, opt, streams, limit)
	}
	if opt.Explain != nil {
		opt.Explain.Returned = n
	}
	return n, err
}

// countFromMeta counts a chunk from its metadata when it needs no reading.
func countFromMeta(q *Query, opt Options, s *stream) bool {
	if !q.MatchesAll() || opt.Candidates != nil || !s.meta.Sealed || !within(s.meta, opt.Since, opt.Until) {
		return false
	}
	s.ex.Status, s.ex.Source, s.ex.Reason = StatusCounted, "metadata", "every record matches"
	s.ex.Candidates, s.ex.Matched = s.meta.Records, s.meta.Records
	return true
}

func countSerial(ctx context.Context, m chunk.Manager, q *Query, opt Options, streams []*stream, limit uint64) (uint64, error) {
	var n uint64
	for _, s := range streams {
		if n >= limit {
			break
		}
		if countFromMeta(q, opt, s) {
			c := min(s.meta.Records, limit-n)
			s.ex.Matched = c
			n += c
			continue
		}
		k, err := countStream(ctx, m, q, opt, s, limit-n)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func countParallel(ctx context.Context, m chunk.Manager, q *Query, opt Options, streams []*stream) (uint64, error) {
	counts := make([]uint64, len(streams))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, s := range streams {
		if countFromMeta(q, opt, s) {
			counts[i] = s.meta.Records
			continue
		}
		g.Go(func() error {
			var err error
			counts[i], err = countStream(ctx, m, q, opt, s, 0)
			return err
		})
	}
	err := g.Wait()
	var n uint64
	for _, c := range counts {
		n += c
	}
	return n, err
}

// countStream counts the matches of one chunk, at most limit (0 = all).
func countStream(ctx context.Context, m chunk.Manager, q *Query, opt Options, s *stream, limit uint64) (n uint64, err error) {
	ok, err := s.open(ctx, m, q, opt)
	if err != nil || !ok {
		return 0, err
	}
	defer func() { err = errors.Join(err, s.close()) }()
	// A count drops every record before reading the next: each block can
	// be decoded into the previous one's memory, and a match's attributes
	// are not needed.
	if r, ok := s.cur.(chunk.BufferReuser); ok {
		r.ReuseBuffers(true)
	}
	s.counting = true
	for {
		ok, err := s.advance(ctx, q, opt)
		if err != nil || !ok {
			return n, err
		}
		n++
		if limit > 0 && n >= limit {
			s.ex.Stopped = true
			return n, nil
		}
	}
}

// within reports whether every record of the chunk lies in [since, until].
func within(meta chunk.ChunkMeta, since, until time.Time) bool {
	return (since.IsZero() || !meta.MinTS.Before(since)) && (until.IsZero() || !meta.MaxTS.After(until))
}

// plan lists the chunks, fills the explain entries, and returns a stream
// for every chunk whose time range overlaps [opt.Since, opt.Until].
func plan(m chunk.Manager, q *Query, opt Options) ([]*stream, error) {
	if !opt.Since.IsZero() && !opt.Until.IsZero() && opt.Since.After(opt.Until) {
		return nil, fmt.Errorf("%w: %s > %s", ErrInvertedRange,
			opt.Since.Format(time.RFC3339Nano), opt.Until.Format(time.RFC3339Nano))
	}
	metas, err := m.List()
	if err != nil {
		return nil, fmt.Errorf("query: list chunks: %w", err)
	}
	slices.SortFunc(metas, func(a, b chunk.ChunkMeta) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	entries := make([]ChunkExplain, len(metas))
	streams := make([]*stream, 0, len(metas))
	for i, meta := range metas {
		ex := &entries[i]
		*ex = ChunkExplain{ID: meta.ID, MinTS: meta.MinTS, MaxTS: meta.MaxTS, Records: meta.Records}
		if !meta.Overlaps(opt.Since, opt.Until) {
			ex.Status = StatusPruned
			continue
		}
		streams = append(streams, &stream{meta: meta, ex: ex, reverse: opt.Reverse})
	}
	if e := opt.Explain; e != nil {
		*e = Explain{Query: q.String(), Since: opt.Since, Until: opt.Until, Reverse: opt.Reverse, Limit: opt.Limit, Chunks: entries}
	}
	return streams, nil
}

// stream walks the matching records of one chunk in time order (reversed
// when reverse is set).
type stream struct {
	meta    chunk.ChunkMeta
	ex      *ChunkExplain
	reverse bool

	cur chunk.RecordCursor
	// skipper is cur when it reads records without attributes for this query.
	skipper chunk.AttrSkipper
	// counting is set when the matches are only counted: advance then
	// leaves out the attributes of those the skipper read without them.
	counting bool
	// bs searches whole blocks for the query's literal, if cur can.
	bs *blockSearch
	// exact is set when every candidate matches (Candidates.Exact).
	exact bool
	// ahead is set when a look-ahead goroutine opens the stream and finds
	// its first match (see lookAhead).
	ahead *aheadResult
	at    uint64 // the cursor position
	// lo and hi bound the positions inside the time range: [lo, hi).
	lo, hi uint64
	// next is the next position to read when going forward; when going
	// backward, positions below next remain.
	next  uint64
	cands *roaring.Bitmap
	it    roaring.IntPeekable // forward candidate iterator
	reads int

	scratch chunk.Record // the record being checked
	// The current record: the last match advance found.
	rec chunk.Record
	t   time.Time
	pos uint64

	// kept holds the matches a look-ahead goroutine read past the current
	// one (copies, in memory of their own), taken by advance before it
	// reads on; ended is set when that goroutine reached the stream's end.
	kept   []match
	ended  bool
	keeper keeper
}

// match is a record a stream found, with its time and position.
type match struct {
	rec chunk.Record
	t   time.Time
	pos uint64
}

// readAhead reads the matches after the current one into s.kept, copied,
// until their text reaches budget bytes, opt.Limit of them are read (the
// merge yields no more), or the stream ends. The current match is copied
// too: the cursor moves on from its block.
func (s *stream) readAhead(ctx context.Context, q *Query, opt Options, budget int) error {
	cur := match{s.keeper.keep(s.rec), s.t, s.pos}
	for budget > 0 && (opt.Limit <= 0 || len(s.kept) < opt.Limit) {
		ok, err := s.find(ctx, q, opt)
		if err != nil {
			return err
		}
		if !ok {
			s.ended = true
			break
		}
		s.kept = append(s.kept, match{s.keeper.keep(s.rec), s.t, s.pos})
		budget -= len(s.rec.Raw) + recordOverhead
	}
	s.rec, s.t, s.pos = cur.rec, cur.t, cur.pos
	return nil
}

// recordOverhead is what readAhead counts for a record beside its text.
const recordOverhead = 64

// keeper copies records into memory of their own: texts into slabs it
// allocates (never reallocated, so earlier copies stay put), attributes
// into new maps.
type keeper struct {
	slab []byte
}

func (k *keeper) keep(rec chunk.Record) chunk.Record {
	const slabSize = 64 << 10
	n := len(rec.Raw)
	if cap(k.slab)-len(k.slab) < n {
		k.slab = make([]byte, 0, max(slabSize, n))
	}
	at := len(k.slab)
	k.slab = append(k.slab, rec.Raw...)
	rec.Raw = k.slab[at : at+n : at+n]
	rec.Attrs = rec.Attrs.Clone()
	return rec
}

// open asks for candidates, opens the cursor and finds the positions in
// the time range. It reports false when there is nothing to read.
func (s *stream) open(ctx context.Context, m chunk.Manager, q *Query, opt Options) (bool, error) {
	cands := AllPositions("scan", "no candidate source")
	if opt.Candidates != nil {
		var err error
		if cands, err = opt.Candidates.Candidates(ctx, s.meta, q); err != nil {
			return false, fmt.Errorf("query: chunk %s: candidates: %w", s.meta.ID, err)
		}
	}
	s.ex.Source, s.ex.Reason = cands.Source, cands.Reason
	if !cands.All() && cands.Positions.IsEmpty() {
		s.ex.Status = StatusNoCandidates
		return false, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	cur, err := m.OpenCursor(s.meta.ID)
	if err != nil {
		return false, fmt.Errorf("query: open chunk %s: %w", s.meta.ID, err)
	}
	if r, ok := cur.(chunk.BufferReuser); ok && opt.ReuseRecords {
		// A stream moves its cursor to another block only to find its
		// next record, after its current one was yielded.
		r.ReuseBuffers(true)
	}
	s.cur, s.ex.Status = cur, StatusRead
	// A query that looks only at the line reads records without their
	// attributes and fetches them for the matches alone.
	s.skipper = nil
	if sk, ok := cur.(chunk.AttrSkipper); ok && !q.usesAttrs {
		sk.SkipAttrs(true)
		s.skipper = sk
	}
	n := cur.Len()
	s.lo, s.hi = 0, n
	if !opt.Since.IsZero() && (!s.meta.Sealed || s.meta.MinTS.Before(opt.Since)) {
		if s.lo, err = s.search(func(t time.Time) bool { return !t.Before(opt.Since) }); err != nil {
			return false, err
		}
	}
	if !opt.Until.IsZero() && (!s.meta.Sealed || s.meta.MaxTS.After(opt.Until)) {
		if s.hi, err = s.search(func(t time.Time) bool { return t.After(opt.Until) }); err != nil {
			return false, err
		}
	}
	s.hi = max(s.hi, s.lo)
	s.cands, s.exact, s.bs = cands.Positions, cands.Exact, nil
	if !s.exact {
		s.bs = newBlockSearch(cur, q)
	}
	if s.cands == nil {
		s.ex.Candidates = s.hi - s.lo
	} else {
		s.ex.Candidates = countBelow(s.cands, s.hi) - countBelow(s.cands, s.lo)
	}
	if s.reverse {
		s.next = s.hi
	} else {
		s.next = s.lo
		if s.cands != nil {
			s.it = s.cands.Iterator()
			if s.lo > math.MaxUint32 {
				s.it.AdvanceIfNeeded(math.MaxUint32)
				s.it.Next()
			} else {
				s.it.AdvanceIfNeeded(uint32(s.lo))
			}
		}
	}
	return true, nil
}

// countBelow returns the number of positions in bm below v.
func countBelow(bm *roaring.Bitmap, v uint64) uint64 {
	switch {
	case v == 0:
		return 0
	case v > math.MaxUint32:
		return bm.GetCardinality()
	}
	return bm.Rank(uint32(v - 1))
}

// search returns the first position whose record time satisfies f, which
// must be false up to some position and true from there on; Len() if none.
// It reads log2(Len()) records.
func (s *stream) search(f func(time.Time) bool) (uint64, error) {
	lo, hi := uint64(0), s.cur.Len()
	for lo < hi {
		mid := lo + (hi-lo)/2
		rec, err := s.read(mid)
		if err != nil {
			return 0, err
		}
		if f(rec.Time()) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// read returns the record at position p, moving the cursor as little as
// it can.
func (s *stream) read(p uint64) (chunk.Record, error) {
	var (
		rec chunk.Record
		err error
	)
	switch s.at {
	case p:
		rec, _, err = s.cur.Next()
		s.at = p + 1
	case p + 1:
		rec, _, err = s.cur.Prev()
		s.at = p
	default:
		if err = s.cur.Seek(p); err == nil {
			rec, _, err = s.cur.Next()
			s.at = p + 1
		}
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		s.at = math.MaxUint64 // unknown: seek next time
		return rec, fmt.Errorf("query: chunk %s: record %d of %d: %w", s.meta.ID, p, s.cur.Len(), err)
	}
	return rec, nil
}

// nextPos returns the next candidate position in the time range.
func (s *stream) nextPos() (uint64, bool) {
	switch {
	case s.reverse && s.cands == nil:
		if s.next <= s.lo {
			return 0, false
		}
		s.next--
		return s.next, true
	case s.reverse:
		if s.next <= s.lo {
			return 0, false
		}
		v := s.cands.PreviousValue(uint32(min(s.next-1, math.MaxUint32)))
		if v < 0 || uint64(v) < s.lo {
			return 0, false
		}
		s.next = uint64(v)
		return s.next, true
	case s.cands == nil:
		if s.next >= s.hi {
			return 0, false
		}
		s.next++
		return s.next - 1, true
	default:
		if !s.it.HasNext() {
			return 0, false
		}
		p := uint64(s.it.Next())
		if p >= s.hi {
			return 0, false
		}
		return p, true
	}
}

// advance moves to the next matching record in the time range, the next
// one read ahead if there is one. It reports false at the end of the
// stream.
func (s *stream) advance(ctx context.Context, q *Query, opt Options) (bool, error) {
	if len(s.kept) > 0 {
		m := s.kept[0]
		s.kept[0] = match{}
		s.kept = s.kept[1:]
		if len(s.kept) == 0 {
			s.kept, s.keeper = nil, keeper{} // m keeps its slab alive
		}
		s.rec, s.t, s.pos = m.rec, m.t, m.pos
		return true, nil
	}
	if s.ended {
		return false, nil
	}
	return s.find(ctx, q, opt)
}

// find reads on to the next matching record in the time range. It reports
// false at the end of the stream.
func (s *stream) find(ctx context.Context, q *Query, opt Options) (bool, error) {
	for {
		p, ok := s.nextPos()
		if !ok {
			return false, nil
		}
		if s.reads++; s.reads%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		if s.bs != nil {
			ok, err := s.bs.may(p, candidateCounter{s})
			if err != nil {
				return false, fmt.Errorf("query: chunk %s: %w", s.meta.ID, err)
			}
			if !ok {
				// Checked: the block's text showed the line cannot match,
				// nor can the block's lines up to the next one holding the
				// literal.
				s.ex.Checked += 1 + s.skipMisses(s.bs, p)
				continue
			}
		}
		var err error
		// Read into the stream, not a local: Match takes a pointer through
		// an interface, which would move a local to the heap per record.
		if s.scratch, err = s.read(p); err != nil {
			return false, err
		}
		rec := &s.scratch
		// Binary search bounded the range already; this guards against a
		// chunk whose order disagrees with its metadata.
		t := rec.Time()
		if !opt.Since.IsZero() && t.Before(opt.Since) {
			if s.reverse {
				return false, nil
			}
			continue
		}
		if !opt.Until.IsZero() && t.After(opt.Until) {
			if !s.reverse {
				return false, nil
			}
			continue
		}
		s.ex.Checked++
		if s.exact || q.Match(rec) {
			s.ex.Matched++
			if s.skipper != nil && !s.counting {
				if rec.Attrs, err = s.skipper.AttrsAt(p); err != nil {
					return false, fmt.Errorf("query: chunk %s: record %d: %w", s.meta.ID, p, err)
				}
			}
			s.rec, s.t, s.pos = *rec, t, p
			return true, nil
		}
	}
}

// close closes the cursor once.
func (s *stream) close() error {
	if s.cur == nil {
		return nil
	}
	cur := s.cur
	s.cur = nil
	if err := cur.Close(); err != nil {
		return fmt.Errorf("query: close chunk %s: %w", s.meta.ID, err)
	}
	return nil
}

// streamHeap orders streams by their current record: (time, chunk ID,
// position), reversed when reverse is set.
type streamHeap struct {
	s       []*stream
	reverse bool
}

func (h *streamHeap) Len() int { return len(h.s) }

func (h *streamHeap) Less(i, j int) bool {
	a, b := h.s[i], h.s[j]
	if h.reverse {
		a, b = b, a
	}
	if c := a.t.Compare(b.t); c != 0 {
		return c < 0
	}
	if c := bytes.Compare(a.meta.ID[:], b.meta.ID[:]); c != 0 {
		return c < 0
	}
	return a.pos < b.pos
}

func (h *streamHeap) Swap(i, j int) { h.s[i], h.s[j] = h.s[j], h.s[i] }
func (h *streamHeap) Push(x any)    { h.s = append(h.s, x.(*stream)) }
func (h *streamHeap) Pop() any {
	s := h.s[len(h.s)-1]
	h.s = h.s[:len(h.s)-1]
	return s
}
