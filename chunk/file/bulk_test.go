package file

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// TestBulkWriter writes records in time order (sealed by the preseal
// goroutine as the chunks fill), nearly in order (sealed from memory at
// the end), and in order but for one late record per chunk.
func TestBulkWriter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		jitter func(i int, rng *rand.Rand) time.Duration
	}{
		{"sorted", func(int, *rand.Rand) time.Duration { return 0 }},
		{"jitter", func(_ int, rng *rand.Rand) time.Duration { return -time.Duration(rng.IntN(5)) * time.Second }},
		{"late", func(i int, _ *rand.Rand) time.Duration {
			if i%40 == 39 {
				return -time.Hour
			}
			return 0
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { testBulkWriter(t, tc.jitter, 0) })
		// In batches of 7 records, every third batch appended record by
		// record instead.
		t.Run(tc.name+"/batch", func(t *testing.T) { testBulkWriter(t, tc.jitter, 7) })
	}
}

// batcher gathers records into BulkBatches and counts their releases.
type batcher struct {
	bw       *BulkWriter
	recs     []chunk.Record
	n        int
	released atomic.Int64
	batches  int64
}

func (b *batcher) add(t *testing.T, rec chunk.Record, size int) {
	b.recs = append(b.recs, rec)
	if len(b.recs) >= size {
		b.flush(t)
	}
}

func (b *batcher) flush(t *testing.T) {
	if len(b.recs) == 0 {
		return
	}
	defer func() { b.recs = b.recs[:0] }()
	b.n++
	if b.n%3 == 0 {
		for i := range b.recs {
			require.NoError(t, b.bw.Append(&b.recs[i]))
		}
		return
	}
	var batch BulkBatch
	index := map[string]uint32{}
	for _, r := range b.recs {
		enc, err := r.Attrs.AppendBinary(nil)
		require.NoError(t, err)
		set, ok := index[string(enc)]
		if !ok {
			set = uint32(len(batch.Sets))
			index[string(enc)] = set
			batch.Sets = append(batch.Sets, BulkSet{Attrs: enc, Hash: b.bw.HashAttrs(enc)})
		}
		batch.Records = append(batch.Records, BulkRecord{Source: r.SourceTS, Ingest: r.IngestTS,
			Off: uint32(len(batch.Text)), Len: uint32(len(r.Raw)), Set: set})
		batch.Text = append(batch.Text, r.Raw...)
	}
	text := batch.Text
	batch.Release = func() {
		clear(text) // the writer must not read it any more
		b.released.Add(1)
	}
	b.batches++
	require.NoError(t, b.bw.AppendBatch(batch))
}

func testBulkWriter(t *testing.T, jitter func(int, *rand.Rand) time.Duration, batchSize int) {
	dir := t.TempDir()
	m := openTest(t, dir, Options{Now: testClock(), MaxChunkBytes: 4000, BlockBytes: 500})
	var commits []chunk.ChunkMeta
	bw, err := m.Bulk(BulkOptions{BeforeSeal: func(full chunk.ChunkMeta) func() error {
		return func() error {
			// The chunk is sealed and durable when its commit runs.
			meta, err := readSealedMeta(filepath.Join(m.ChunkDir(full.ID), SealedName))
			require.NoError(t, err)
			require.Equal(t, full.Records, meta.Records)
			require.Equal(t, full.RawBytes, meta.RawBytes)
			commits = append(commits, full)
			return nil
		}
	}})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	bt := &batcher{bw: bw}
	const n = 500
	want := make(map[string]chunk.Record, n)
	for i := range n {
		// Nearly in time order, with some records out of place.
		ts := t0.Add(time.Duration(i)*time.Second + jitter(i, rng))
		rec := mkRecord(i, ts)
		if i%10 == 0 {
			rec.Attrs = nil
		}
		want[string(rec.Raw)] = rec
		if batchSize > 0 {
			bt.add(t, rec, batchSize)
			continue
		}
		require.NoError(t, bw.Append(&rec))
	}
	bt.flush(t)
	require.NoError(t, bw.Close())
	require.Equal(t, bt.batches, bt.released.Load(), "every batch released once")
	require.ErrorIs(t, bw.Append(&chunk.Record{Raw: []byte("x")}), ErrBulkClosed)
	list, err := m.List()
	require.NoError(t, err)
	require.Greater(t, len(list), 5)
	require.Equal(t, len(list), len(commits))
	_, statErr := os.Stat(filepath.Join(dir, ActiveDirName, list[0].ID.String()))
	require.ErrorIs(t, statErr, os.ErrNotExist)
	tmps, err := filepath.Glob(filepath.Join(dir, SealedDirName, "*"+tmpSuffix))
	require.NoError(t, err)
	require.Empty(t, tmps)
	seen := 0
	for i, meta := range list {
		require.True(t, meta.Sealed)
		require.Equal(t, commits[i].ID, meta.ID)
		recs := collect(t, m, meta.ID, false)
		require.Len(t, recs, int(meta.Records))
		for j, r := range recs {
			if j > 0 {
				require.False(t, r.Time().Before(recs[j-1].Time()), "time order")
			}
			w, ok := want[string(r.Raw)]
			require.True(t, ok, "%q", r.Raw)
			require.True(t, w.SourceTS.Equal(r.SourceTS))
			require.True(t, w.IngestTS.Equal(r.IngestTS))
			require.Equal(t, len(w.Attrs), len(r.Attrs))
			for k, v := range w.Attrs {
				require.Equal(t, v, r.Attrs[k])
			}
			require.False(t, r.WriteTS.IsZero())
			seen++
		}
	}
	require.Equal(t, n, seen)
	require.NoError(t, m.Close())
	// Reopened, the archive holds the same chunks and verifies.
	m2 := openTest(t, dir, Options{})
	list2, err := m2.List()
	require.NoError(t, err)
	require.Equal(t, list, list2)
}

func TestBulkWriterNeedsNoActiveChunk(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{Now: testClock()})
	_, err := m.Append(mkRecord(1, t0))
	require.NoError(t, err)
	_, err = m.Bulk(BulkOptions{})
	require.ErrorIs(t, err, ErrActiveChunk)
	require.NoError(t, m.Seal())
	bw, err := m.Bulk(BulkOptions{})
	require.NoError(t, err)
	rec := mkRecord(2, t0.Add(time.Second))
	require.NoError(t, bw.Append(&rec))
	require.NoError(t, bw.Close())
	list, err := m.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Less(t, string(list[0].ID[:]), string(list[1].ID[:]))
}

func TestBulkWriterCommitError(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{Now: testClock(), MaxChunkBytes: 1000})
	bw, err := m.Bulk(BulkOptions{BeforeSeal: func(chunk.ChunkMeta) func() error {
		return func() error { return os.ErrPermission }
	}})
	require.NoError(t, err)
	var appendErr error
	for i := range 200 {
		rec := mkRecord(i, t0.Add(time.Duration(i)*time.Second))
		if appendErr = bw.Append(&rec); appendErr != nil {
			break
		}
	}
	require.ErrorIs(t, cmp.Or(appendErr, bw.Close()), os.ErrPermission)
}

func TestSetTable(t *testing.T) {
	tab := newSetTable()
	seed := maphash.MakeSeed()
	var arena []byte
	offs := map[string]int{}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50000 {
		set := fmt.Appendf(nil, "set-%d", rng.IntN(20000))
		off := tab.find(arena, set, maphash.Bytes(seed, set))
		if want, ok := offs[string(set)]; ok {
			require.Equal(t, want, off)
			continue
		}
		require.Equal(t, -1, off)
		off = len(arena)
		arena = append(arena, set...)
		tab.add(len(set), off)
		offs[string(set)] = off
	}
	require.Equal(t, len(offs), tab.n)
	require.Greater(t, len(tab.slots), setTableMin)
	tab.reset()
	require.Equal(t, -1, tab.find(arena, []byte("set-1"), maphash.Bytes(seed, []byte("set-1"))))
}

func TestBulkWriterBadBatch(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{Now: testClock()})
	bw, err := m.Bulk(BulkOptions{})
	require.NoError(t, err)
	released := 0
	set := BulkSet{Attrs: []byte{0}, Hash: bw.HashAttrs([]byte{0})}
	for _, b := range []BulkBatch{
		{Text: []byte("abc"), Sets: []BulkSet{set}, Records: []BulkRecord{{Source: t0, Off: 2, Len: 2}}},
		{Text: []byte("abc"), Sets: []BulkSet{set}, Records: []BulkRecord{{Source: t0, Len: 3, Set: 1}}},
	} {
		b.Release = func() { released++ }
		require.ErrorIs(t, bw.AppendBatch(b), ErrBadBatch)
	}
	require.Equal(t, 2, released)
	require.NoError(t, bw.Close())
	require.ErrorIs(t, bw.AppendBatch(BulkBatch{Text: []byte("a"), Sets: []BulkSet{set},
		Records: []BulkRecord{{Source: t0, Len: 1}}, Release: func() { released++ }}), ErrBulkClosed)
	require.Equal(t, 3, released)
}

// TestBulkWriterPageMemory gives batches whose pages are mostly empty: a
// chunk is full when its pages' memory reaches the limit, whatever raw
// text they hold.
func TestBulkWriterPageMemory(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{Now: testClock(), MaxChunkBytes: 4000})
	bw, err := m.Bulk(BulkOptions{})
	require.NoError(t, err)
	set := BulkSet{Attrs: []byte{0}, Hash: bw.HashAttrs([]byte{0})}
	const batches = 20
	for i := range batches {
		text := make([]byte, 0, 1500)
		text = fmt.Appendf(text, "record %d", i)
		require.NoError(t, bw.AppendBatch(BulkBatch{Text: text, Sets: []BulkSet{set},
			Records: []BulkRecord{{Source: t0.Add(time.Duration(i) * time.Second), Len: uint32(len(text))}}}))
	}
	require.NoError(t, bw.Close())
	list, err := m.List()
	require.NoError(t, err)
	require.Len(t, list, batches/2, "two pages of 1500 bytes per chunk of 4000")
}
