package index_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	chunkfile "glarc/chunk/file"
	"glarc/chunk/memory"
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/file"
	"glarc/index/internal/indextest"
)

// countingIndexer counts the builds that reach it.
type countingIndexer struct {
	index.TokenIndexer
	builds atomic.Int32
	gate   chan struct{} // builds wait here when not nil
}

func (c *countingIndexer) Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error {
	c.builds.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return c.TokenIndexer.Build(ctx, meta, cur, dir)
}

// chunks makes n sealed chunks in one memory manager.
func chunks(t *testing.T, n int) (*memory.Manager, []chunk.ChunkMeta, func(chunk.ChunkID) string) {
	m := memory.New(memory.Options{MaxChunkBytes: 1 << 40})
	t.Cleanup(func() { m.Close() })
	for i := range n {
		for _, r := range indextest.Generated(500, uint64(i)) {
			_, err := m.Append(r)
			require.NoError(t, err)
		}
		require.NoError(t, m.Seal())
	}
	// An active chunk too: it must be skipped.
	_, err := m.Append(chunk.Record{Raw: []byte("active")})
	require.NoError(t, err)
	metas, err := m.List()
	require.NoError(t, err)
	require.Len(t, metas, n+1)
	root := t.TempDir()
	return m, metas, func(id chunk.ChunkID) string { return filepath.Join(root, id.String()) }
}

func mkdirs(t *testing.T, metas []chunk.ChunkMeta, dir func(chunk.ChunkID) string) {
	for _, m := range metas {
		require.NoError(t, osMkdir(dir(m.ID)))
	}
}

func TestBuildMissingDedup(t *testing.T) {
	cm, metas, dir := chunks(t, 3)
	mkdirs(t, metas, dir)
	fm := file.NewManager(collect.Budget{})
	counting := &countingIndexer{TokenIndexer: fm.Token, gate: make(chan struct{})}
	fm.Token = counting
	var progressed atomic.Uint64
	h := index.NewBuildHelper(cm, fm, index.BuildOptions{Dir: dir, Progress: func(p index.Progress) {
		progressed.Add(p.Bytes)
	}})

	// Eight concurrent BuildMissing calls over the same chunks: each token
	// build runs once while the gate holds the first ones in flight.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = h.BuildMissing(context.Background(), metas...) })
	}
	for counting.builds.Load() < 2 { // GOMAXPROCS may be 2: let the first builds start
		runtimeGosched()
	}
	close(counting.gate)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int32(3), counting.builds.Load(), "one token build per chunk")
	var raw uint64
	for _, m := range metas[:3] {
		raw += m.RawBytes
		for _, info := range fm.Stat(dir(m.ID)) {
			require.True(t, info.Complete, "%s of %s: %v", info.Name, m.ID, info.Err)
			require.Positive(t, info.Bytes)
		}
	}
	require.GreaterOrEqual(t, progressed.Load(), 4*raw, "every kind reads the whole chunk")

	// Nothing is missing now: no more builds.
	before := counting.builds.Load()
	require.NoError(t, h.BuildMissing(context.Background(), metas...))
	require.Equal(t, before, counting.builds.Load())

	// Rebuild builds again.
	hr := index.NewBuildHelper(cm, fm, index.BuildOptions{Dir: dir, Rebuild: true})
	require.NoError(t, hr.BuildMissing(context.Background(), metas...))
	require.Equal(t, before+3, counting.builds.Load())

	set := fm.Open(dir(metas[0].ID))
	defer set.Close()
	require.Empty(t, set.Errs)
	bm, held, err := set.Token.Lookup([]byte("error"))
	require.NoError(t, err)
	require.True(t, held)
	require.False(t, bm.IsEmpty())
}

// TestBuildExactlyOnce pins the dedup: many callers of Build for one chunk
// and kind while it is in flight share one build.
func TestBuildExactlyOnce(t *testing.T) {
	cm, metas, dir := chunks(t, 1)
	mkdirs(t, metas, dir)
	fm := file.NewManager(collect.Budget{})
	counting := &countingIndexer{TokenIndexer: fm.Token, gate: make(chan struct{})}
	h := index.NewBuildHelper(cm, &index.Manager{Token: counting}, index.BuildOptions{Dir: dir})
	var wg sync.WaitGroup
	var joined atomic.Int32
	for range 16 {
		wg.Go(func() {
			joined.Add(1)
			require.NoError(t, h.Build(context.Background(), metas[0], counting))
		})
	}
	for joined.Load() < 16 || counting.builds.Load() < 1 {
		runtimeGosched()
	}
	// Give the joiners time to reach the call group before releasing it.
	for range 1000 {
		runtimeGosched()
	}
	close(counting.gate)
	wg.Wait()
	require.LessOrEqual(t, counting.builds.Load(), int32(2))
}

func TestBuildRefusesActive(t *testing.T) {
	cm, metas, dir := chunks(t, 1)
	mkdirs(t, metas, dir)
	h := index.NewBuildHelper(cm, file.NewManager(collect.Budget{}), index.BuildOptions{Dir: dir})
	active := metas[len(metas)-1]
	require.False(t, active.Sealed)
	err := h.Build(context.Background(), active, file.NewManager(collect.Budget{}).Token)
	require.ErrorIs(t, err, index.ErrChunkNotSealed)
}

func TestOpenReportsMissing(t *testing.T) {
	set := file.NewManager(collect.Budget{}).Open(t.TempDir())
	require.Nil(t, set.Token)
	require.Nil(t, set.Blocks)
	require.ErrorIs(t, set.Errs[index.KindToken], index.ErrNotBuilt)
	require.NoError(t, set.Close())
}

// countingChunks counts the cursors opened on a chunk manager.
type countingChunks struct {
	chunk.Manager
	opens atomic.Int32
}

func (c *countingChunks) OpenCursor(id chunk.ChunkID) (chunk.RecordCursor, error) {
	c.opens.Add(1)
	return c.Manager.OpenCursor(id)
}

// TestBuildMissingOnePass: the file indexers share one read of each chunk,
// also under concurrent callers (-race).
func TestBuildMissingOnePass(t *testing.T) {
	cm, metas, dir := chunks(t, 3)
	mkdirs(t, metas, dir)
	counted := &countingChunks{Manager: cm}
	fm := file.NewManager(collect.Budget{})
	var progressed atomic.Uint64
	h := index.NewBuildHelper(counted, fm, index.BuildOptions{Dir: dir, Progress: func(p index.Progress) { progressed.Add(p.Bytes) }})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { require.NoError(t, h.BuildMissing(context.Background(), metas...)) })
	}
	wg.Wait()
	require.Equal(t, int32(3), counted.opens.Load(), "one read per chunk for all four kinds")
	var raw uint64
	for _, m := range metas[:3] {
		raw += m.RawBytes
		for _, info := range fm.Stat(dir(m.ID)) {
			require.True(t, info.Complete, "%s of %s: %v", info.Name, m.ID, info.Err)
		}
	}
	require.Equal(t, 4*raw, progressed.Load(), "a shared pass reports its reads once per kind")
}

// TestSharedPassMatchesSingleBuilds: BuildAll writes byte for byte the
// files that each indexer's own Build writes.
func TestSharedPassMatchesSingleBuilds(t *testing.T) {
	cm, metas, dir := chunks(t, 1)
	mkdirs(t, metas, dir)
	meta := metas[0]
	fm := file.NewManager(collect.Budget{})
	h := index.NewBuildHelper(cm, fm, index.BuildOptions{Dir: dir})
	require.NoError(t, h.BuildAll(context.Background(), meta, fm.Indexers()...))
	shared := map[string][]byte{}
	for _, name := range []string{"token.idx", "attr.idx", "kv.idx", "blocks.flt"} {
		b, err := os.ReadFile(filepath.Join(dir(meta.ID), name))
		require.NoError(t, err)
		shared[name] = b
	}
	for _, ix := range fm.Indexers() {
		require.NoError(t, h.Build(context.Background(), meta, ix))
	}
	for name, want := range shared {
		got, err := os.ReadFile(filepath.Join(dir(meta.ID), name))
		require.NoError(t, err)
		require.Equal(t, want, got, name)
	}

	// Unsealed chunks are refused by the shared pass too.
	err := h.BuildAll(context.Background(), metas[len(metas)-1], fm.Indexers()...)
	require.ErrorIs(t, err, index.ErrChunkNotSealed)
}

// TestOverlappedPassesOnFileChunks: BuildMissing with OverlapWrites over
// sealed file chunks of many blocks (cursors that reuse block memory)
// writes byte for byte the files each indexer's own Build writes.
func TestOverlappedPassesOnFileChunks(t *testing.T) {
	fm, err := chunkfile.Open(t.TempDir(), chunkfile.Options{MaxChunkBytes: 64 << 10, BlockBytes: 4 << 10, Owner: "index test"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, fm.Close()) })
	for _, r := range indextest.Generated(3000, 7) {
		_, err := fm.Append(r)
		require.NoError(t, err)
	}
	require.NoError(t, fm.WaitSealed())
	metas, err := fm.List()
	require.NoError(t, err)
	var sealed []chunk.ChunkMeta
	for _, m := range metas {
		if m.Sealed {
			sealed = append(sealed, m)
		}
	}
	require.Greater(t, len(sealed), 2)
	m := file.NewManager(collect.Budget{})
	h := index.NewBuildHelper(fm, m, index.BuildOptions{Dir: fm.ChunkDir, Parallel: 1, OverlapWrites: true})
	require.NoError(t, h.BuildMissing(t.Context(), sealed...))
	names := []string{"token.idx", "attr.idx", "kv.idx", "blocks.flt"}
	shared := map[string][]byte{}
	for _, meta := range sealed {
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(fm.ChunkDir(meta.ID), name))
			require.NoError(t, err)
			shared[meta.ID.String()+"/"+name] = b
		}
	}
	for _, meta := range sealed {
		for _, ix := range m.Indexers() {
			require.NoError(t, h.Build(t.Context(), meta, ix))
		}
		for _, name := range names {
			got, err := os.ReadFile(filepath.Join(fm.ChunkDir(meta.ID), name))
			require.NoError(t, err)
			require.Equal(t, shared[meta.ID.String()+"/"+name], got, "%s of %s", name, meta.ID)
		}
	}
}
