package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/archive"
	"glarc/chunk"
)

func rec(s string) chunk.Record {
	return chunk.Record{IngestTS: time.Unix(1, 0), Raw: []byte(s), Attrs: chunk.Attributes{"k": "v"}}
}

func openArchive(t *testing.T) (*archive.Archive, string) {
	dir := t.TempDir()
	a, err := archive.Open(dir, archive.Options{Owner: "test"})
	require.NoError(t, err)
	return a, dir
}

func readRaws(t *testing.T, dir string) []string {
	ro, err := archive.OpenReadOnly(dir, archive.Options{})
	require.NoError(t, err)
	defer ro.Close()
	metas, err := ro.Chunks().List()
	require.NoError(t, err)
	var out []string
	for _, m := range metas {
		cur, err := ro.Chunks().OpenCursor(m.ID)
		require.NoError(t, err)
		for r, err := range chunk.Records(cur, false) {
			require.NoError(t, err)
			out = append(out, string(r.Raw))
		}
		cur.Close()
	}
	return out
}

func TestQueueGroupCommit(t *testing.T) {
	a, dir := openArchive(t)
	var batches []int
	var mu sync.Mutex
	q := New(a, Options{Sync: true, OnBatch: func(n int) { mu.Lock(); batches = append(batches, n); mu.Unlock() }})
	done := make(chan error, 1)
	go func() { done <- q.Run() }()
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Acknowledged means visible to another reader (flushed and synced).
				require.NoError(t, q.Commit(t.Context(), []chunk.Record{rec(fmt.Sprintf("w%d-%d-a", w, i)), rec(fmt.Sprintf("w%d-%d-b", w, i))}))
			}
		})
	}
	wg.Wait()
	require.Len(t, readRaws(t, dir), writers*each*2, "every acknowledged record is readable before Close")
	q.Close()
	require.NoError(t, <-done)
	require.NoError(t, a.Close())
	raws := readRaws(t, dir)
	for i := 0; i < len(raws); i += 2 { // records of one Commit stay together
		require.Equal(t, raws[i][:len(raws[i])-1]+"b", raws[i+1])
	}
	st := q.Stats()
	require.EqualValues(t, writers*each*2, st.Written)
	require.Zero(t, st.Queued)
	require.Less(t, len(batches), writers*each, "concurrent commits share fsyncs")
}

func TestQueueTryPutFull(t *testing.T) {
	a, _ := openArchive(t)
	defer a.Close()
	q := New(a, Options{MaxItems: 1})
	require.NoError(t, q.TryPut([]chunk.Record{rec("a")}))
	require.ErrorIs(t, q.TryPut([]chunk.Record{rec("b")}), ErrQueueFull)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, q.Put(ctx, []chunk.Record{rec("c")}), context.DeadlineExceeded)
	require.ErrorIs(t, q.Commit(t.Context(), []chunk.Record{rec("d")}), ErrQueueFull)
	done := make(chan error, 1)
	go func() { done <- q.Run() }()
	require.NoError(t, q.Put(t.Context(), []chunk.Record{rec("e")}))
	q.Close()
	q.Close()
	require.NoError(t, <-done)
	require.ErrorIs(t, q.TryPut([]chunk.Record{rec("f")}), ErrQueueClosed)
	require.ErrorIs(t, q.Put(t.Context(), []chunk.Record{rec("f")}), ErrQueueClosed)
	require.EqualValues(t, 2, q.Stats().Written)
}

func TestQueueByteBudget(t *testing.T) {
	a, _ := openArchive(t)
	defer a.Close()
	one := []chunk.Record{rec("0123456789")}
	q := New(a, Options{MaxBytes: Cost(one)})
	require.NoError(t, q.TryPut(one))
	require.ErrorIs(t, q.TryPut(one), ErrQueueFull)
	// A put larger than the whole budget still goes through once the queue is empty.
	big := []chunk.Record{rec(string(make([]byte, 10000)))}
	done := make(chan error, 1)
	go func() { done <- q.Run() }()
	require.NoError(t, q.Put(t.Context(), big))
	q.Close()
	require.NoError(t, <-done)
}

// failingWriter fails on the second append: a stand-in for a full disk.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Append([]chunk.Record) error {
	w.n++
	if w.n >= 2 {
		return errDiskFull
	}
	return nil
}
func (w *failingWriter) Flush() error { return nil }
func (w *failingWriter) Sync() error  { return nil }

func TestQueueWriteFailure(t *testing.T) {
	q := New(&failingWriter{}, Options{})
	done := make(chan error, 1)
	go func() { done <- q.Run() }()
	require.NoError(t, q.Commit(t.Context(), []chunk.Record{rec("a")}))
	require.ErrorIs(t, q.Commit(t.Context(), []chunk.Record{rec("b")}), errDiskFull)
	<-q.Failed()
	require.ErrorIs(t, q.Err(), errDiskFull)
	q.Close()
	require.ErrorIs(t, <-done, errDiskFull)
}

func TestQueueOnTick(t *testing.T) {
	a, _ := openArchive(t)
	defer a.Close()
	ticks := make(chan struct{}, 10)
	q := New(a, Options{Tick: 5 * time.Millisecond, OnTick: func() {
		select {
		case ticks <- struct{}{}:
		default:
		}
	}})
	done := make(chan error, 1)
	go func() { done <- q.Run() }()
	<-ticks
	<-ticks
	q.Close()
	require.NoError(t, <-done)
}

func BenchmarkQueue(b *testing.B) {
	dir := b.TempDir()
	a, err := archive.Open(dir, archive.Options{Owner: "bench"})
	require.NoError(b, err)
	defer a.Close()
	q := New(a, Options{})
	done := make(chan error, 1)
	go func() { done <- q.Run() }()
	line := []byte("<13>Nov 25 20:40:40 vm app[12]: a fairly ordinary log line of some length")
	batch := make([]chunk.Record, 64)
	b.SetBytes(int64(len(line) * len(batch)))
	for b.Loop() {
		recs := make([]chunk.Record, len(batch))
		for i := range recs {
			recs[i] = chunk.Record{IngestTS: time.Unix(1, 0), Raw: line, Attrs: chunk.Attributes{"app": "app"}}
		}
		if err := q.Put(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	q.Close()
	require.NoError(b, <-done)
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "records/s")
}
