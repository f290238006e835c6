package query

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/memory"
)

// spyManager wraps a real memory manager and counts cursors, to check that
// Run closes every cursor and opens few.
type spyManager struct {
	chunk.Manager
	mu            sync.Mutex // guards the counters
	open, opened  int
	maxOpen       int
	failOpenAfter int // when > 0, OpenCursor fails after this many opens
}

type spyCursor struct {
	chunk.RecordCursor
	m      *spyManager
	closed bool
}

func (m *spyManager) OpenCursor(id chunk.ChunkID) (chunk.RecordCursor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failOpenAfter > 0 && m.opened >= m.failOpenAfter {
		return nil, fmt.Errorf("spy: open %s: %w", id, chunk.ErrCorrupt)
	}
	c, err := m.Manager.OpenCursor(id)
	if err != nil {
		return nil, err
	}
	m.open++
	m.opened++
	m.maxOpen = max(m.maxOpen, m.open)
	sc := &spyCursor{RecordCursor: c, m: m}
	if bc, ok := c.(blockCursor); ok {
		// Keep what sealed file cursors offer beyond RecordCursor.
		return &spyBlockCursor{spyCursor: sc, b: bc}, nil
	}
	return sc, nil
}

// blockCursor is what a sealed file chunk's cursor offers.
type blockCursor interface {
	chunk.BlockLayout
	chunk.BlockTexter
	chunk.BufferReuser
	chunk.AttrSkipper
}

type spyBlockCursor struct {
	*spyCursor
	b blockCursor
}

func (c *spyBlockCursor) BlockStarts() []uint64 { return c.b.BlockStarts() }
func (c *spyBlockCursor) BlockText(pos uint64) ([]byte, uint64, []uint32, error) {
	return c.b.BlockText(pos)
}
func (c *spyBlockCursor) ReuseBuffers(reuse bool) { c.b.ReuseBuffers(reuse) }
func (c *spyBlockCursor) SkipAttrs(skip bool)     { c.b.SkipAttrs(skip) }
func (c *spyBlockCursor) AttrsAt(pos uint64) (chunk.Attributes, error) {
	return c.b.AttrsAt(pos)
}

func (c *spyCursor) Close() error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	if c.closed {
		return fmt.Errorf("spy: cursor closed twice")
	}
	c.closed = true
	c.m.open--
	return c.RecordCursor.Close()
}

func (m *spyManager) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opened, m.maxOpen = 0, 0
}

var (
	vocab = []string{"error", "Error", "ERROR", "failed", "failure", "Failed", "password", "auth",
		"authentication", "sshd", "root", "user", "web1", "connection", "reset", "by", "peer",
		"invalid", "from", "port", "22", "1000", "kernel", "OOM", "killed", "process", "session",
		"opened", "closed", "for", "a-b", "x_y", "warn", "info"}
	specials = []string{"173.234.31.186", "pam_unix(sshd:auth)", "user=root", "pid=1234", "pid=999",
		`msg="two words"`, "severity=warning", "level=ERROR", "host=web2", "uid=0", "logname=",
		"[12345]", "(x)", "a.b.c", "status:500", `k="esc \" q"`, "Host=WEB1", "port=22,", "path=/var/log",
		"\u212Aernel", "\u017Fession", "FAILURE", "naïve"}
	attrKeys   = []string{"host", "app", "pid", "severity", "level", "Host", "file"}
	attrValues = map[string][]string{
		"host": {"web1", "WEB1", "db1", "web2"}, "Host": {"web1", "db2"},
		"app": {"sshd", "cron", "kernel"}, "pid": {"1", "999", "1000", "1001", "42x"},
		"severity": {"emerg", "err", "warning", "notice", "info", "debug", "bogus"},
		"level":    {"error", "warn", "info", "3"}, "file": {"/var/log/syslog", "auth.log"},
	}
)

func genLine(r *rand.Rand) string {
	n := 1 + r.IntN(10)
	parts := make([]string, n)
	for i := range parts {
		if r.IntN(4) == 0 {
			parts[i] = specials[r.IntN(len(specials))]
		} else {
			parts[i] = vocab[r.IntN(len(vocab))]
		}
	}
	seps := []string{" ", " ", " ", ": ", ", ", "\t"}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(seps[r.IntN(len(seps))])
		}
		b.WriteString(p)
	}
	return b.String()
}

func genRecord(r *rand.Rand, i int, base time.Time) chunk.Record {
	// Mostly increasing times with jitter, duplicates, and some records
	// without a source time.
	t := base.Add(time.Duration(i)*time.Second + time.Duration(r.IntN(120)-60)*time.Second)
	if r.IntN(10) == 0 {
		t = base.Add(time.Duration(i/10*10) * time.Second) // ties
	}
	rec := chunk.Record{SourceTS: t, IngestTS: base.Add(time.Duration(i) * time.Second), Raw: []byte(genLine(r))}
	if r.IntN(15) == 0 {
		rec.SourceTS = time.Time{}
	}
	if r.IntN(5) > 0 {
		rec.Attrs = chunk.Attributes{}
		for range 1 + r.IntN(3) {
			k := attrKeys[r.IntN(len(attrKeys))]
			vs := attrValues[k]
			rec.Attrs[k] = vs[r.IntN(len(vs))]
		}
	}
	return rec
}

// genNode builds a random syntax tree that mixes every construct.
func genNode(r *rand.Rand, depth int) Node {
	if depth > 0 && r.IntN(3) > 0 {
		switch r.IntN(5) {
		case 0, 1:
			return And{Terms: []Node{genNode(r, depth-1), genNode(r, depth-1)}}
		case 2, 3:
			return Or{Terms: []Node{genNode(r, depth-1), genNode(r, depth-1)}}
		default:
			return Not{X: genNode(r, depth-1)}
		}
	}
	word := func() string { return vocab[r.IntN(len(vocab))] }
	switch r.IntN(9) {
	case 0:
		return Token{Word: word()}
	case 1:
		return Phrase{Text: word() + " " + word()}
	case 2:
		return Phrase{Text: specials[r.IntN(len(specials))]}
	case 3:
		w := word()
		return Prefix{Text: w[:1+r.IntN(len(w))]}
	case 4:
		exprs := []string{"fail(ed|ure)", "^error", `\d{4}`, "web[12]$", "ERR", "a-b|x_y", `user=\w+`,
			"kernel", "session", "(?i:fail)ure", "ïve"}
		return Regexp{Expr: exprs[r.IntN(len(exprs))], Fold: r.IntN(2) == 0}
	case 5:
		return Token{Word: word()}
	default:
		keys := []string{"host", "app", "pid", "severity", "level", "user", "msg", "uid", "logname", "*", "k", "port"}
		values := []string{"web1", "web2", "sshd", "root", "1000", "999", "warning", "err", "error", "two words",
			"3", "0", "", "*", "esc \" q", "22"}
		k := keys[r.IntN(len(keys))]
		v := values[r.IntN(len(values))]
		op := Op(r.IntN(6))
		if op != OpEq && v == "*" {
			v = "1000"
		}
		return Field{Key: k, Op: op, Value: v, AnyKey: k == "*", AnyValue: v == "*"}
	}
}

type refHit struct {
	rec chunk.Record
	id  chunk.ChunkID
	pos int
}

// allRecords reads every record of every chunk with its position.
func allRecords(t testing.TB, m chunk.Manager) []refHit {
	metas, err := m.List()
	require.NoError(t, err)
	var hits []refHit
	for _, meta := range metas {
		cur, err := m.OpenCursor(meta.ID)
		require.NoError(t, err)
		pos := 0
		for rec, err := range chunk.Records(cur, false) {
			require.NoError(t, err)
			hits = append(hits, refHit{rec: rec, id: meta.ID, pos: pos})
			pos++
		}
		require.NoError(t, cur.Close())
	}
	return hits
}

// refKey names a record for the reference.
type refKey struct {
	id  chunk.ChunkID
	pos int
}

// refMatches evaluates the reference matcher on every record.
func refMatches(ref *reference, all []refHit, n Node) map[refKey]bool {
	ms := make(map[refKey]bool)
	for _, h := range all {
		if ref.match(n, &h.rec) {
			ms[refKey{h.id, h.pos}] = true
		}
	}
	return ms
}

// refRun is the reference executor: filter, sort, reverse, limit.
func refRun(all []refHit, matches map[refKey]bool, opt Options) []chunk.Record {
	var hits []refHit
	for _, h := range all {
		ts := h.rec.Time()
		if !opt.Since.IsZero() && ts.Before(opt.Since) || !opt.Until.IsZero() && ts.After(opt.Until) {
			continue
		}
		if matches[refKey{h.id, h.pos}] {
			hits = append(hits, h)
		}
	}
	slices.SortFunc(hits, func(a, b refHit) int {
		return cmp.Or(a.rec.Time().Compare(b.rec.Time()), bytes.Compare(a.id[:], b.id[:]), cmp.Compare(a.pos, b.pos))
	})
	if opt.Reverse {
		slices.Reverse(hits)
	}
	if opt.Limit > 0 && len(hits) > opt.Limit {
		hits = hits[:opt.Limit]
	}
	recs := make([]chunk.Record, len(hits))
	for i, h := range hits {
		recs[i] = h.rec
	}
	return recs
}

// fakeIndex returns a random superset of the matching positions of each
// chunk, or sometimes every position.
type fakeIndex struct {
	matches map[refKey]bool
	seed    uint64
}

func (f fakeIndex) Candidates(_ context.Context, meta chunk.ChunkMeta, _ *Query) (Candidates, error) {
	r := rand.New(rand.NewPCG(f.seed, meta.ID.Micros()))
	if r.IntN(8) == 0 {
		return AllPositions("fake", "not indexed"), nil
	}
	bm := roaring.New()
	for pos := range int(meta.Records) {
		if f.matches[refKey{meta.ID, pos}] || r.IntN(4) == 0 {
			bm.Add(uint32(pos))
		}
	}
	return Candidates{Positions: bm, Source: "fake", Reason: fmt.Sprintf("%d positions", bm.GetCardinality())}, nil
}

func newTestManager(t testing.TB, r *rand.Rand, n int, maxChunkBytes int64) (*spyManager, time.Time) {
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	mm := memory.New(memory.Options{MaxChunkBytes: maxChunkBytes})
	t.Cleanup(func() { _ = mm.Close() })
	for i := range n {
		_, err := mm.Append(genRecord(r, i, base))
		require.NoError(t, err)
	}
	return &spyManager{Manager: mm}, base
}

func collect(t testing.TB, seq func(func(chunk.Record, error) bool)) []chunk.Record {
	var got []chunk.Record
	for rec, err := range seq {
		require.NoError(t, err)
		got = append(got, rec)
	}
	return got
}

// collectClones is collect for a Run with ReuseRecords: each record's
// Raw is copied before the next one is read.
func collectClones(t testing.TB, seq func(func(chunk.Record, error) bool)) []chunk.Record {
	var got []chunk.Record
	for rec, err := range seq {
		require.NoError(t, err)
		rec.Raw = bytes.Clone(rec.Raw)
		rec.Attrs = rec.Attrs.Clone()
		got = append(got, rec)
	}
	return got
}

func requireSameRecords(t testing.TB, want, got []chunk.Record, msg string) {
	t.Helper()
	if len(want) == len(got) {
		same := true
		for i := range want {
			if !bytes.Equal(want[i].Raw, got[i].Raw) || !want[i].Time().Equal(got[i].Time()) || !want[i].WriteTS.Equal(got[i].WriteTS) ||
				!maps.Equal(want[i].Attrs, got[i].Attrs) {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	lines := func(rs []chunk.Record) []string {
		s := make([]string, len(rs))
		for i, r := range rs {
			s[i] = r.Time().Format(time.RFC3339) + " " + string(r.Raw) + " " + fmt.Sprint(map[string]string(r.Attrs))
		}
		return s
	}
	require.Equal(t, lines(want), lines(got), msg)
}

func TestRunDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	m, base := newTestManager(t, r, 4000, 2<<10)
	metas, err := m.List()
	require.NoError(t, err)
	require.Greater(t, len(metas), 50, "want many small chunks")
	require.False(t, metas[len(metas)-1].Sealed, "the last chunk stays active")

	queries := []string{
		"error host=web1", "*", "", `"failed password"`, "173.234.31.186", "pam_unix(sshd:auth)",
		"auth*", "fail*", "/fail(ed|ure)/", "/^ERROR/i", "severity<=warning", "level<=err",
		"pid>1000", "pid>=1000", "pid<999", "pid!=1", "host=*", "*=web1", "*=*", "user=root",
		`msg="two words"`, "logname=", `k="esc \" q"`, "error OR failure -root", "NOT (a-b OR x_y)",
		"(error OR failed) (root OR user) -web1", "host=WEB1 OR Host=db2", "port=22", "path=/var/log",
		"a.b.c", "status:500", "[12345]", "(x)", "host<web2", "app>=kernel",
	}
	generated := 300
	if testing.Short() {
		generated = 50
	}
	for range generated {
		queries = append(queries, genNode(r, 3).String())
	}
	checkDifferential(t, m, r, base, 4000*time.Second, queries)
}

// checkDifferential runs every query with random options on m, and
// compares Run and Count with the reference.
func checkDifferential(t *testing.T, m *spyManager, r *rand.Rand, base time.Time, span time.Duration, queries []string) {
	all := allRecords(t, m)
	ref := newReference()
	nonEmpty, runs := 0, 0
	for qi, qs := range queries {
		q, err := Parse(qs)
		require.NoError(t, err, qs)
		matches := refMatches(ref, all, q.Root())
		for range 4 {
			opt := Options{Reverse: r.IntN(2) == 0}
			switch r.IntN(3) {
			case 1:
				opt.Limit = 1
			case 2:
				opt.Limit = 1 + r.IntN(50)
			}
			if r.IntN(2) == 0 {
				opt.Since = base.Add(time.Duration(r.Int64N(int64(span))))
			}
			if r.IntN(2) == 0 {
				opt.Until = base.Add(time.Duration(r.Int64N(int64(span))))
				if !opt.Since.IsZero() && opt.Until.Before(opt.Since) {
					opt.Since, opt.Until = opt.Until, opt.Since
				}
			}
			if r.IntN(2) == 0 {
				opt.Candidates = fakeIndex{matches: matches, seed: uint64(qi)}
			}
			opt.ReuseRecords = r.IntN(2) == 0
			var ex Explain
			opt.Explain = &ex
			msg := fmt.Sprintf("query %q (canonical %q) reverse=%v limit=%d since=%v until=%v index=%v reuse=%v",
				qs, q.String(), opt.Reverse, opt.Limit, opt.Since, opt.Until, opt.Candidates != nil, opt.ReuseRecords)
			want := refRun(all, matches, opt)
			m.reset()
			var got []chunk.Record
			if opt.ReuseRecords {
				got = collectClones(t, Run(t.Context(), m, q, opt))
			} else {
				got = collect(t, Run(t.Context(), m, q, opt))
			}
			requireSameRecords(t, want, got, msg)
			require.Zero(t, m.open, "every cursor closed: "+msg)
			runs++
			if len(want) > 0 {
				nonEmpty++
			}
			require.Equal(t, uint64(len(got)), ex.Returned, msg)
			requireAllChecked(t, &ex, "run: "+msg)

			n, err := Count(t.Context(), m, q, opt)
			require.NoError(t, err, msg)
			require.Equal(t, uint64(len(want)), n, "count: "+msg)
			require.Zero(t, m.open, "every cursor closed after Count: "+msg)
			requireAllChecked(t, &ex, "count: "+msg)
		}
	}
	t.Logf("%d runs, %d with results", runs, nonEmpty)
	require.Greater(t, nonEmpty, runs/3, "the generated queries should often match")
}

// requireAllChecked: every chunk read to the end checked each of its
// candidates once, by reading it or, when its block's text showed it does
// not hold the query's literal, by skipping it.
func requireAllChecked(t *testing.T, ex *Explain, msg string) {
	t.Helper()
	for _, c := range ex.Chunks {
		if c.Status == StatusRead && !c.Stopped {
			require.Equal(t, c.Candidates, c.Checked, "chunk %s: %s", c.ID, msg)
		}
	}
}

// errorLines returns a spy over a memory manager holding n records "line
// i error" a second apart from base, in chunks of maxChunkBytes.
func errorLines(t *testing.T, n int, maxChunkBytes int64) (*spyManager, time.Time) {
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	mm := memory.New(memory.Options{MaxChunkBytes: maxChunkBytes})
	t.Cleanup(func() { _ = mm.Close() })
	for i := range n {
		_, err := mm.Append(chunk.Record{SourceTS: base.Add(time.Duration(i) * time.Second), Raw: fmt.Appendf(nil, "line %d error", i)})
		require.NoError(t, err)
	}
	return &spyManager{Manager: mm}, base
}

func TestRunOpensCursorsLazily(t *testing.T) {
	m, base := errorLines(t, 20000, 100)
	metas, err := m.List()
	require.NoError(t, err)
	require.Greater(t, len(metas), 1000)
	q, err := Parse("error")
	require.NoError(t, err)

	for _, reverse := range []bool{false, true} {
		m.reset()
		var ex Explain
		got := collect(t, Run(t.Context(), m, q, Options{Reverse: reverse, Limit: 10, Explain: &ex}))
		require.Len(t, got, 10)
		if reverse {
			require.Equal(t, "line 19999 error", string(got[0].Raw))
		} else {
			require.Equal(t, "line 0 error", string(got[0].Raw))
		}
		// The merge reads about 3 chunks; look-ahead may open a few more.
		require.LessOrEqual(t, m.opened, 4+maxLookAhead, "opened cursors")
		require.LessOrEqual(t, m.maxOpen, 3+maxLookAhead)
		require.Zero(t, m.open)
		tot := ex.Totals()
		t.Logf("%+v opened=%d", tot, m.opened)
		require.Greater(t, tot.NotReached, uint64(len(metas)-5-maxLookAhead))
	}

	// A time range in the middle: the other chunks are pruned, and the
	// first record comes from a binary search, not a scan.
	m.reset()
	var ex Explain
	since := base.Add(10000*time.Second + 500*time.Millisecond)
	got := collect(t, Run(t.Context(), m, q, Options{Since: since, Limit: 3, Explain: &ex}))
	require.Equal(t, "line 10001 error", string(got[0].Raw))
	require.Greater(t, ex.Totals().Pruned, uint64(len(metas)/2-20))
	require.LessOrEqual(t, m.opened, 4+maxLookAhead)
}

func TestRunStopsEarlyAndCloses(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m, _ := newTestManager(t, r, 2000, 1<<10)
	q, err := Parse("*")
	require.NoError(t, err)
	var ex Explain
	n := 0
	for _, err := range Run(t.Context(), m, q, Options{Explain: &ex}) {
		require.NoError(t, err)
		if n++; n == 25 {
			break
		}
	}
	require.Zero(t, m.open)
	require.Greater(t, m.opened, 0)
	stopped := 0
	for _, c := range ex.Chunks {
		if c.Stopped {
			stopped++
		}
	}
	require.Positive(t, stopped)
}

func TestRunErrors(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, base := newTestManager(t, r, 2000, 1<<10)
	q, err := Parse("*")
	require.NoError(t, err)

	m.failOpenAfter = 3
	var errs []error
	for _, err := range Run(t.Context(), m, q, Options{}) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], chunk.ErrCorrupt)
	require.Zero(t, m.open)
	m.failOpenAfter = 0

	for _, err := range Run(t.Context(), m, q, Options{Since: base.Add(time.Hour), Until: base}) {
		require.ErrorIs(t, err, ErrInvertedRange)
	}
	_, err = Count(t.Context(), m, q, Options{Since: base.Add(time.Hour), Until: base})
	require.ErrorIs(t, err, ErrInvertedRange)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, err := range Run(ctx, m, q, Options{}) {
		require.ErrorIs(t, err, context.Canceled)
	}
	require.Zero(t, m.open)
}

func TestCountFromMetadata(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	m, _ := newTestManager(t, r, 3000, 1<<10)
	require.NoError(t, m.Seal())
	q, err := Parse("*")
	require.NoError(t, err)
	m.reset()
	var ex Explain
	n, err := Count(t.Context(), m, q, Options{Explain: &ex})
	require.NoError(t, err)
	require.Equal(t, uint64(3000), n)
	require.Zero(t, m.opened, "every sealed chunk counted from metadata")
	require.Equal(t, uint64(3000), ex.Returned)

	n, err = Count(t.Context(), m, q, Options{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, uint64(10), n)
}

func TestExplainWriteTo(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	m, base := newTestManager(t, r, 500, 1<<10)
	q, err := Parse("error host=web1")
	require.NoError(t, err)
	var ex Explain
	opt := Options{Since: base.Add(100 * time.Second), Reverse: true, Limit: 5, Explain: &ex,
		Candidates: fakeIndex{matches: refMatches(newReference(), allRecords(t, m), q.Root()), seed: 1}}
	got := collect(t, Run(t.Context(), m, q, opt))
	var buf bytes.Buffer
	n, err := ex.WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), n)
	out := buf.String()
	require.Contains(t, out, "query: error AND host=web1\n")
	require.Contains(t, out, "range: 2024-03-01T12:01:40Z .. (open), newest first, limit 5\n")
	require.Contains(t, out, "pruned by time")
	require.Contains(t, out, "fake")
	require.Contains(t, out, fmt.Sprintf("%d returned\n", len(got)))
	t.Log("\n" + out)
}
