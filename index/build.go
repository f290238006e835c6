package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

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
	// once. A chunk is read once per index kind.
	Progress func(Progress)
	// Parallel bounds concurrent builds; default runtime.GOMAXPROCS(0).
	Parallel int
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
// and index kind are deduplicated, different ones run in parallel.
type BuildHelper struct {
	chunks chunk.Manager
	m      *Manager
	opts   BuildOptions
	log    *slog.Logger
	group  callgroup.Group[buildKey, struct{}]
}

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
	return &BuildHelper{chunks: chunks, m: m, opts: opts, log: log}
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
// the sealed chunks among metas, up to Parallel at a time. Unsealed chunks
// are skipped. It keeps going after a failure and returns all errors
// joined.
func (h *BuildHelper) BuildMissing(ctx context.Context, metas ...chunk.ChunkMeta) error {
	var g errgroup.Group
	g.SetLimit(h.opts.Parallel)
	var mu sync.Mutex // guards errs
	var errs []error
	for _, meta := range metas {
		if !meta.Sealed {
			continue
		}
		for _, ix := range h.Missing(meta) {
			if ctx.Err() != nil {
				break
			}
			g.Go(func() error {
				if err := h.do(ctx, meta, ix, false); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
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
