package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"glarc/chunk"
	"glarc/index/callgroup"
)

// BuildOptions configure a BuildHelper.
type BuildOptions struct {
	// Dir returns a chunk's directory (required). Memory indexers use it
	// as a key only.
	Dir func(chunk.ChunkID) string
	// Rebuild builds every index again, complete or not.
	Rebuild bool
	// Progress, if set, receives the records and raw bytes each build has
	// read since its last report (batched), from several goroutines at
	// once. A pass shared by several indexes reports what it read once for
	// each of them, so the total is still the chunk's bytes times the
	// kinds built.
	Progress func(Progress)
	// Parallel bounds concurrent builds; default runtime.GOMAXPROCS(0).
	Parallel int
	// OverlapWrites lets BuildMissing start a chunk's shared pass while
	// the indexes of the chunk before are still being written: at most
	// Parallel passes at a time, and as many chunks in their write phase
	// besides. It keeps the cores busy through the write phase (its last
	// writer runs alone otherwise), at the cost of a finished pass's
	// memory living beside the next pass's.
	OverlapWrites bool
	// Logger receives one line per build; default: discard.
	Logger *slog.Logger
}

// Progress is an increment of work done by one build.
type Progress struct {
	Chunk   chunk.ChunkID
	Index   string
	Records uint64
	Bytes   uint64
}

// progressEvery is how many records a build reads between reports.
const progressEvery = 4096

// BuildHelper builds the indexes of sealed chunks: builds of the same chunk
// and index kind are deduplicated, different ones run in parallel. The
// SharedIndexers missing from a chunk are built together in one pass over
// its records (one decompression for all): one shared pass per chunk at a
// time, which callers asking for some of the same kinds join.
type BuildHelper struct {
	chunks chunk.Manager
	m      *Manager
	opts   BuildOptions
	log    *slog.Logger
	group  callgroup.Group[buildKey, struct{}]
	// shared deduplicates shared passes by chunk alone; a pass returns the
	// kinds it stands for (built, or found complete).
	shared callgroup.Group[chunk.ChunkID, []string]
	// passes holds a token for each pass running, when OverlapWrites.
	passes chan struct{}
}

// buildKey names a build of one index kind.
type buildKey struct {
	id   chunk.ChunkID
	kind string
}

// NewBuildHelper returns a helper building m's indexes of chunks.
func NewBuildHelper(chunks chunk.Manager, m *Manager, opts BuildOptions) *BuildHelper {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Parallel <= 0 {
		opts.Parallel = runtime.GOMAXPROCS(0)
	}
	h := &BuildHelper{chunks: chunks, m: m, opts: opts, log: log}
	if opts.OverlapWrites {
		h.passes = make(chan struct{}, opts.Parallel)
	}
	return h
}

// startPass waits until a pass may start (OverlapWrites) and returns the
// function that ends it; it fails only when ctx ends first.
func (h *BuildHelper) startPass(ctx context.Context) (end func(), err error) {
	if h.passes == nil {
		return func() {}, nil
	}
	select {
	case h.passes <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-h.passes }) }, nil
}

// Build builds one index of one sealed chunk now (even if it exists). A
// caller arriving while the same build runs waits for it and shares its
// result.
func (h *BuildHelper) Build(ctx context.Context, meta chunk.ChunkMeta, ix Indexer) error {
	return h.do(ctx, meta, ix, true)
}

// do runs the build of (chunk, kind) through the call group. Unless force
// or Rebuild, it first checks, inside the group, whether the index is now
// complete: a caller that saw it missing just before another build finished
// does not build it again.
func (h *BuildHelper) do(ctx context.Context, meta chunk.ChunkMeta, ix Indexer, force bool) error {
	_, err, _ := h.group.Do(buildKey{meta.ID, ix.Name()}, func() (struct{}, error) {
		if !force && !h.opts.Rebuild && ix.Stat(h.opts.Dir(meta.ID)).Complete {
			return struct{}{}, nil
		}
		return struct{}{}, h.build(ctx, meta, ix)
	})
	return err
}

func (h *BuildHelper) build(ctx context.Context, meta chunk.ChunkMeta, ix Indexer) (err error) {
	if !meta.Sealed {
		return fmt.Errorf("build %s index of chunk %s: %w", ix.Name(), meta.ID, ErrChunkNotSealed)
	}
	cur, err := h.chunks.OpenCursor(meta.ID)
	if err != nil {
		return fmt.Errorf("build %s index of chunk %s: %w", ix.Name(), meta.ID, err)
	}
	defer func() {
		if cerr := cur.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("build %s index of chunk %s: close cursor: %w", ix.Name(), meta.ID, cerr)
		}
	}()
	if h.opts.Progress != nil {
		cur = h.counting(cur, meta.ID, ix.Name())
	}
	endPass, err := h.startPass(ctx)
	if err != nil {
		return fmt.Errorf("build %s index of chunk %s: %w", ix.Name(), meta.ID, err)
	}
	defer endPass()
	if err := ix.Build(ctx, meta, cur, h.opts.Dir(meta.ID)); err != nil {
		h.log.Warn("index build failed", "chunk", meta.ID.String(), "index", ix.Name(), "err", err)
		return err
	}
	if c, ok := cur.(interface{ flush() }); ok {
		c.flush()
	}
	h.log.Debug("index built", "chunk", meta.ID.String(), "index", ix.Name(), "records", meta.Records)
	return nil
}

// BuildAll builds the given indexes of one sealed chunk now (even if they
// exist): the SharedIndexers among them in one pass over the chunk, the
// others one by one. A caller arriving while the same set (or, for the
// others, the same kind) builds waits and shares the result. A single
// Build of a kind does not join a shared pass that includes it: both run,
// and the later rename wins (each writes a complete file).
func (h *BuildHelper) BuildAll(ctx context.Context, meta chunk.ChunkMeta, ixs ...Indexer) error {
	shared, single := split(ixs)
	var errs []error
	if len(shared) > 0 {
		errs = append(errs, h.doShared(ctx, meta, shared, true))
	}
	for _, ix := range single {
		errs = append(errs, h.do(ctx, meta, ix, true))
	}
	return errors.Join(errs...)
}

// split separates the indexers that can join a shared pass.
func split(ixs []Indexer) (shared []SharedIndexer, single []Indexer) {
	for _, ix := range ixs {
		if s, ok := ix.(SharedIndexer); ok {
			shared = append(shared, s)
		} else {
			single = append(single, ix)
		}
	}
	return shared, single
}

// doShared runs the shared pass of (chunk, kinds) through the call group,
// like do: unless force or Rebuild, it builds only what is still missing.
func (h *BuildHelper) doShared(ctx context.Context, meta chunk.ChunkMeta, ixs []SharedIndexer, force bool) error {
	// Callers asking at once for other sets of kinds of one chunk (one
	// saw kv missing, another token and kv) must not both build kv: the
	// chunk has one pass at a time. A caller that joined a pass for fewer
	// kinds than it wants goes on with the rest.
	for len(ixs) > 0 {
		want := ixs
		done, err, _ := h.shared.Do(meta.ID, func() ([]string, error) {
			names := make([]string, len(want))
			for i, ix := range want {
				names[i] = ix.Name()
			}
			todo := want
			if !force && !h.opts.Rebuild {
				todo = nil
				for _, ix := range want {
					if !ix.Stat(h.opts.Dir(meta.ID)).Complete {
						todo = append(todo, ix)
					}
				}
			}
			if len(todo) == 0 {
				return names, nil
			}
			return names, h.buildShared(ctx, meta, todo)
		})
		if err != nil {
			return err
		}
		ixs = slices.DeleteFunc(slices.Clone(ixs), func(ix SharedIndexer) bool { return slices.Contains(done, ix.Name()) })
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// buildShared reads the chunk once and feeds every record to a collector
// of each indexer, then writes the indexes concurrently. A failed write
// does not stop the others; the errors are joined.
func (h *BuildHelper) buildShared(ctx context.Context, meta chunk.ChunkMeta, ixs []SharedIndexer) (err error) {
	names := make([]string, len(ixs))
	for i, ix := range ixs {
		names[i] = ix.Name()
	}
	what := strings.Join(names, ", ")
	if !meta.Sealed {
		return fmt.Errorf("build %s indexes of chunk %s: %w", what, meta.ID, ErrChunkNotSealed)
	}
	cur, err := h.chunks.OpenCursor(meta.ID)
	if err != nil {
		return fmt.Errorf("build %s indexes of chunk %s: %w", what, meta.ID, err)
	}
	defer func() {
		if cerr := cur.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("build %s indexes of chunk %s: close cursor: %w", what, meta.ID, cerr)
		}
	}()
	endPass, err := h.startPass(ctx)
	if err != nil {
		return fmt.Errorf("build %s indexes of chunk %s: %w", what, meta.ID, err)
	}
	defer endPass() // on failure; after the pass, it ends at once
	cols := make([]Collector, len(ixs))
	for i, ix := range ixs {
		if cols[i], err = ix.NewCollector(meta, cur); err != nil {
			return fmt.Errorf("build %s index of chunk %s: %w", ix.Name(), meta.ID, err)
		}
	}
	var records, bytes uint64
	report := func() {
		if h.opts.Progress != nil && records > 0 {
			for _, name := range names {
				h.opts.Progress(Progress{Chunk: meta.ID, Index: name, Records: records, Bytes: bytes})
			}
		}
		records, bytes = 0, 0
	}
	passStart := time.Now()
	err = runPass(ctx, cur, cols, func(n, b uint64) {
		records += n
		bytes += b
		if records >= progressEvery {
			report()
		}
	})
	if err != nil {
		err = fmt.Errorf("build %s indexes of chunk %s: %w", what, meta.ID, err)
		h.log.Warn("index build failed", "chunk", meta.ID.String(), "index", what, "err", err)
		return err
	}
	report()
	endPass()
	passTime := time.Since(passStart)
	// Each collector writes its own file: write them at once.
	dir := h.opts.Dir(meta.ID)
	errs := make([]error, len(cols))
	writeTimes := make([]time.Duration, len(cols))
	var wg sync.WaitGroup
	for i, c := range cols {
		wg.Go(func() {
			t := time.Now()
			defer func() { writeTimes[i] = time.Since(t) }()
			if err := c.Finish(dir); err != nil {
				errs[i] = fmt.Errorf("build %s index of chunk %s: %w", ixs[i].Name(), meta.ID, err)
				h.log.Warn("index build failed", "chunk", meta.ID.String(), "index", ixs[i].Name(), "err", errs[i])
			}
		})
	}
	wg.Wait()
	h.log.Debug("indexes built", "chunk", meta.ID.String(), "indexes", what, "records", meta.Records,
		"pass", passTime, "write", time.Since(passStart)-passTime, "writes", writeTimes)
	return errors.Join(errs...)
}

// Missing returns the indexers whose index of the chunk must be built:
// all with Rebuild, else those not complete.
func (h *BuildHelper) Missing(meta chunk.ChunkMeta) []Indexer {
	var out []Indexer
	for _, ix := range h.m.Indexers() {
		if h.opts.Rebuild || !ix.Stat(h.opts.Dir(meta.ID)).Complete {
			out = append(out, ix)
		}
	}
	return out
}

// BuildMissing builds every missing index (every index with Rebuild) of
// the sealed chunks among metas, up to Parallel builds at a time: per
// chunk, one shared pass for the missing SharedIndexers and one build for
// each other indexer. Unsealed chunks are skipped. It keeps going after a
// failure and returns all errors joined.
func (h *BuildHelper) BuildMissing(ctx context.Context, metas ...chunk.ChunkMeta) error {
	var g errgroup.Group
	if h.passes != nil {
		g.SetLimit(2 * h.opts.Parallel) // passes are bounded by h.passes
	} else {
		g.SetLimit(h.opts.Parallel)
	}
	var mu sync.Mutex // guards errs
	var errs []error
	for _, meta := range metas {
		if !meta.Sealed {
			continue
		}
		shared, single := split(h.Missing(meta))
		note := func(err error) {
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}
		if len(shared) > 0 && ctx.Err() == nil {
			g.Go(func() error {
				note(h.doShared(ctx, meta, shared, false))
				return nil
			})
		}
		for _, ix := range single {
			if ctx.Err() != nil {
				break
			}
			g.Go(func() error {
				note(h.do(ctx, meta, ix, false))
				return nil
			})
		}
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// countingCursor reports the records read through it in batches.
type countingCursor struct {
	chunk.RecordCursor
	report         func(Progress)
	id             chunk.ChunkID
	kind           string
	records, bytes uint64
}

// layoutCountingCursor keeps the wrapped cursor's block layout visible.
type layoutCountingCursor struct {
	*countingCursor
	chunk.BlockLayout
}

func (h *BuildHelper) counting(cur chunk.RecordCursor, id chunk.ChunkID, kind string) chunk.RecordCursor {
	c := &countingCursor{RecordCursor: cur, report: h.opts.Progress, id: id, kind: kind}
	if bl, ok := cur.(chunk.BlockLayout); ok {
		return layoutCountingCursor{c, bl}
	}
	return c
}

func (c *countingCursor) Next() (chunk.Record, chunk.RecordRef, error) {
	rec, ref, err := c.RecordCursor.Next()
	if err == nil {
		c.records++
		c.bytes += uint64(len(rec.Raw))
		if c.records >= progressEvery {
			c.flush()
		}
	}
	return rec, ref, err
}

func (c *countingCursor) flush() {
	if c.records > 0 {
		c.report(Progress{Chunk: c.id, Index: c.kind, Records: c.records, Bytes: c.bytes})
		c.records, c.bytes = 0, 0
	}
}
