package memory_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/memory"
)

// base is an arbitrary fixed instant for record times.
var base = time.Date(2005, 11, 9, 12, 0, 0, 0, time.UTC)

// fakeClock returns a Now func that starts at start and steps by one
// second on every call. It is safe for concurrent use.
func fakeClock(start time.Time) func() time.Time {
	var mu sync.Mutex
	t := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// rec builds a record with SourceTS base+sec seconds.
func rec(sec int, raw string) chunk.Record {
	return chunk.Record{SourceTS: base.Add(time.Duration(sec) * time.Second), Raw: []byte(raw)}
}

// collect reads a cursor to the end (or start, when reverse) and returns
// the raw lines and the positions of the refs.
func collect(t *testing.T, cur chunk.RecordCursor, reverse bool) ([]string, []uint64) {
	t.Helper()
	step := cur.Next
	if reverse {
		step = cur.Prev
	}
	var raws []string
	var pos []uint64
	for {
		r, ref, err := step()
		if errors.Is(err, io.EOF) {
			return raws, pos
		}
		require.NoError(t, err)
		raws = append(raws, string(r.Raw))
		pos = append(pos, ref.Pos)
	}
}

func openCursor(t *testing.T, m chunk.Manager, id chunk.ChunkID) chunk.RecordCursor {
	t.Helper()
	cur, err := m.OpenCursor(id)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, cur.Close()) })
	return cur
}

func TestAppendAndSeal(t *testing.T) {
	now := fakeClock(base.Add(time.Hour))
	m := memory.New(memory.Options{Now: now})
	_, ok := m.Active()
	require.False(t, ok)

	// Out of order, with a tie (b1, b2) that must keep append order.
	inputs := []chunk.Record{rec(3, "c"), rec(1, "a"), rec(2, "b1"), rec(2, "b2"), rec(0, "first")}
	var id chunk.ChunkID
	for i, r := range inputs {
		ref, err := m.Append(r)
		require.NoError(t, err)
		require.Equal(t, uint64(i), ref.Pos, "append position")
		if i == 0 {
			id = ref.Chunk
		}
		require.Equal(t, id, ref.Chunk)
	}

	meta, ok := m.Active()
	require.True(t, ok)
	want := chunk.ChunkMeta{
		ID: id, MinTS: base, MaxTS: base.Add(3 * time.Second),
		Records: 5, RawBytes: 11, StoredBytes: 11,
	}
	require.Equal(t, want, meta)

	// The active chunk reads in time order too.
	raws, pos := collect(t, openCursor(t, m, id), false)
	require.Equal(t, []string{"first", "a", "b1", "b2", "c"}, raws)
	require.Equal(t, []uint64{0, 1, 2, 3, 4}, pos)

	require.NoError(t, m.Seal())
	_, ok = m.Active()
	require.False(t, ok)
	want.Sealed = true
	got, err := m.Meta(id)
	require.NoError(t, err)
	require.Equal(t, want, got)

	raws, pos = collect(t, openCursor(t, m, id), false)
	require.Equal(t, []string{"first", "a", "b1", "b2", "c"}, raws)
	require.Equal(t, []uint64{0, 1, 2, 3, 4}, pos)

	require.ErrorIs(t, m.Seal(), chunk.ErrNoActiveChunk)

	// The next append opens a new chunk with a larger ID.
	ref, err := m.Append(rec(0, "next"))
	require.NoError(t, err)
	require.Greater(t, ref.Chunk.Micros(), id.Micros())
	require.Zero(t, ref.Pos)
	list, err := m.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, []chunk.ChunkID{id, ref.Chunk}, []chunk.ChunkID{list[0].ID, list[1].ID})
	require.True(t, list[0].Sealed)
	require.False(t, list[1].Sealed)
}

func TestAppendCopiesAndStamps(t *testing.T) {
	now := fakeClock(base)
	m := memory.New(memory.Options{Now: now})
	raw := []byte("original")
	attrs := chunk.Attributes{"host": "web1"}
	ingest := base.Add(-time.Minute)
	ref, err := m.Append(chunk.Record{IngestTS: ingest, Attrs: attrs, Raw: raw, WriteTS: base.Add(-time.Hour)})
	require.NoError(t, err)
	copy(raw, "CHANGED!")
	attrs["host"] = "other"
	attrs["new"] = "x"

	r, _, err := openCursor(t, m, ref.Chunk).Next()
	require.NoError(t, err)
	require.Equal(t, "original", string(r.Raw))
	require.Equal(t, chunk.Attributes{"host": "web1"}, r.Attrs)
	require.Equal(t, base.Add(time.Second), r.WriteTS, "WriteTS comes from Options.Now")
	require.Equal(t, ingest, r.IngestTS)
	require.True(t, r.SourceTS.IsZero())

	meta, err := m.Meta(ref.Chunk)
	require.NoError(t, err)
	require.Equal(t, ingest, meta.MinTS, "IngestTS stands in for a zero SourceTS")
	require.Equal(t, uint64(len("original")), meta.RawBytes)
	require.Equal(t, uint64(len("original")+len("host")+len("web1")), meta.StoredBytes)
}

func TestAppendEmptyRaw(t *testing.T) {
	m := memory.New(memory.Options{})
	ref, err := m.Append(chunk.Record{SourceTS: base})
	require.NoError(t, err)
	r, _, err := openCursor(t, m, ref.Chunk).Next()
	require.NoError(t, err)
	require.NotNil(t, r.Raw)
	require.Empty(t, r.Raw)
}

func TestAppendRejectsOversizedAttrs(t *testing.T) {
	m := memory.New(memory.Options{})
	big := make(chunk.Attributes, chunk.MaxAttrs+1)
	for i := range chunk.MaxAttrs + 1 {
		big[fmt.Sprint(i)] = "v"
	}
	_, err := m.Append(chunk.Record{Attrs: big})
	require.Error(t, err)
	_, err = m.Append(chunk.Record{Attrs: chunk.Attributes{"k": string(make([]byte, chunk.MaxAttrLen+1))}})
	require.Error(t, err)
	_, ok := m.Active()
	require.False(t, ok, "rejected records create no chunk")
}

func TestRotate(t *testing.T) {
	m := memory.New(memory.Options{MaxChunkBytes: 10, Now: fakeClock(base)})
	var refs []chunk.RecordRef
	for i := range 7 {
		ref, err := m.Append(rec(-i, "abcd")) // 4 bytes, times descending
		require.NoError(t, err)
		refs = append(refs, ref)
	}
	// 4+4+4 = 12 reaches 10 after the third record: chunks of 3, 3, 1.
	list, err := m.List()
	require.NoError(t, err)
	require.Len(t, list, 3)
	for i, want := range []struct {
		records uint64
		sealed  bool
	}{{3, true}, {3, true}, {1, false}} {
		require.Equal(t, want.records, list[i].Records, "chunk %d", i)
		require.Equal(t, want.sealed, list[i].Sealed, "chunk %d", i)
		require.Equal(t, 4*want.records, list[i].RawBytes)
	}
	require.True(t, slices.IsSortedFunc(list, func(a, b chunk.ChunkMeta) int {
		return a.ID.Time().Compare(b.ID.Time())
	}))
	require.Equal(t, list[0].ID, refs[2].Chunk)
	require.Equal(t, list[1].ID, refs[3].Chunk)
	require.Equal(t, uint64(0), refs[3].Pos)
	require.Equal(t, base.Add(-2*time.Second), list[0].MinTS)
	require.Equal(t, base, list[0].MaxTS)

	active, ok := m.Active()
	require.True(t, ok)
	require.Equal(t, list[2], active)

	// A record larger than the limit gets sealed on its own.
	ref, err := m.Append(rec(0, "this record alone is over the limit"))
	require.NoError(t, err)
	meta, err := m.Meta(ref.Chunk)
	require.NoError(t, err)
	require.True(t, meta.Sealed)
	require.Equal(t, uint64(2), meta.Records)
}

func TestCursorDirectionsAndSeek(t *testing.T) {
	m := memory.New(memory.Options{})
	var id chunk.ChunkID
	for _, sec := range []int{4, 0, 3, 1, 2} {
		ref, err := m.Append(rec(sec, fmt.Sprint(sec)))
		require.NoError(t, err)
		id = ref.Chunk
	}
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			if sealed {
				require.NoError(t, m.Seal())
			}
			cur := openCursor(t, m, id)
			require.Equal(t, uint64(5), cur.Len())

			_, _, err := cur.Prev()
			require.ErrorIs(t, err, io.EOF, "Prev at the start")

			raws, pos := collect(t, cur, false)
			require.Equal(t, []string{"0", "1", "2", "3", "4"}, raws)
			require.Equal(t, []uint64{0, 1, 2, 3, 4}, pos)
			_, _, err = cur.Next()
			require.ErrorIs(t, err, io.EOF, "Next stays at the end")

			raws, pos = collect(t, cur, true)
			require.Equal(t, []string{"4", "3", "2", "1", "0"}, raws)
			require.Equal(t, []uint64{4, 3, 2, 1, 0}, pos)

			require.NoError(t, cur.Seek(2))
			r, ref, err := cur.Next()
			require.NoError(t, err)
			require.Equal(t, "2", string(r.Raw))
			require.Equal(t, chunk.RecordRef{Chunk: id, Pos: 2}, ref)
			r, ref, err = cur.Prev()
			require.NoError(t, err)
			require.Equal(t, "2", string(r.Raw), "Prev after Next returns the same record")
			require.Equal(t, uint64(2), ref.Pos)
			r, _, err = cur.Prev()
			require.NoError(t, err)
			require.Equal(t, "1", string(r.Raw))

			require.NoError(t, cur.Seek(cur.Len()))
			_, _, err = cur.Next()
			require.ErrorIs(t, err, io.EOF)
			r, _, err = cur.Prev()
			require.NoError(t, err)
			require.Equal(t, "4", string(r.Raw))

			err = cur.Seek(6)
			require.ErrorIs(t, err, chunk.ErrPositionOutOfRange)

			require.NoError(t, cur.Seek(0))
			var got []string
			for r, err := range chunk.Records(cur, false) {
				require.NoError(t, err)
				got = append(got, string(r.Raw))
			}
			require.Equal(t, []string{"0", "1", "2", "3", "4"}, got)
		})
	}
}

func TestActiveCursorIsSnapshot(t *testing.T) {
	m := memory.New(memory.Options{})
	ref, err := m.Append(rec(5, "five"))
	require.NoError(t, err)
	_, err = m.Append(rec(1, "one"))
	require.NoError(t, err)

	cur := openCursor(t, m, ref.Chunk)
	_, err = m.Append(rec(0, "zero"))
	require.NoError(t, err)
	require.NoError(t, m.Seal()) // sealing re-sorts; the snapshot must not change

	require.Equal(t, uint64(2), cur.Len())
	raws, _ := collect(t, cur, false)
	require.Equal(t, []string{"one", "five"}, raws)

	raws, _ = collect(t, openCursor(t, m, ref.Chunk), false)
	require.Equal(t, []string{"zero", "one", "five"}, raws)
}

// TestTimeOrderRandom appends records with random times (many ties) over
// several chunks and checks each chunk against a stable sort.
func TestTimeOrderRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := memory.New(memory.Options{MaxChunkBytes: 700})
	type entry struct {
		sec int
		raw string
	}
	want := map[chunk.ChunkID][]entry{}
	for i := range 1000 {
		sec := rng.IntN(50)
		r := rec(sec, fmt.Sprintf("%04d", i))
		if rng.IntN(4) == 0 { // some records only have an ingest time
			r.IngestTS, r.SourceTS = r.SourceTS, time.Time{}
		}
		ref, err := m.Append(r)
		require.NoError(t, err)
		want[ref.Chunk] = append(want[ref.Chunk], entry{sec, string(r.Raw)})
	}
	list, err := m.List()
	require.NoError(t, err)
	require.Len(t, list, 6) // 1000 × 4 bytes in chunks of 175 records
	for _, meta := range list {
		entries := want[meta.ID]
		slices.SortStableFunc(entries, func(a, b entry) int { return a.sec - b.sec })
		var wantRaw []string
		for _, e := range entries {
			wantRaw = append(wantRaw, e.raw)
		}
		cur := openCursor(t, m, meta.ID)
		got, _ := collect(t, cur, false)
		require.Equal(t, wantRaw, got, "chunk %s sealed=%v", meta.ID, meta.Sealed)
		got, _ = collect(t, cur, true)
		slices.Reverse(got)
		require.Equal(t, wantRaw, got, "chunk %s backwards", meta.ID)
		require.Equal(t, base.Add(time.Duration(entries[0].sec)*time.Second), meta.MinTS)
		require.Equal(t, base.Add(time.Duration(entries[len(entries)-1].sec)*time.Second), meta.MaxTS)
	}
}

func TestNotFoundAndClosed(t *testing.T) {
	m := memory.New(memory.Options{})
	missing := chunk.IDFromMicros(42)
	_, err := m.Meta(missing)
	require.ErrorIs(t, err, chunk.ErrChunkNotFound)
	_, err = m.OpenCursor(missing)
	require.ErrorIs(t, err, chunk.ErrChunkNotFound)
	list, err := m.List()
	require.NoError(t, err)
	require.Empty(t, list)

	ref, err := m.Append(rec(0, "kept"))
	require.NoError(t, err)
	cur, err := m.OpenCursor(ref.Chunk)
	require.NoError(t, err)

	require.NoError(t, m.Close())
	require.NoError(t, m.Close(), "closing twice")
	_, err = m.Append(rec(1, "x"))
	require.ErrorIs(t, err, chunk.ErrClosed)
	require.ErrorIs(t, m.Seal(), chunk.ErrClosed)
	_, err = m.Meta(ref.Chunk)
	require.ErrorIs(t, err, chunk.ErrClosed)
	_, err = m.List()
	require.ErrorIs(t, err, chunk.ErrClosed)
	_, err = m.OpenCursor(ref.Chunk)
	require.ErrorIs(t, err, chunk.ErrClosed)
	_, ok := m.Active()
	require.False(t, ok)

	// A cursor opened before Close keeps working until it is closed.
	r, _, err := cur.Next()
	require.NoError(t, err)
	require.Equal(t, "kept", string(r.Raw))
	require.NoError(t, cur.Close())
	require.NoError(t, cur.Close(), "closing twice")
	_, _, err = cur.Next()
	require.ErrorIs(t, err, chunk.ErrClosed)
	_, _, err = cur.Prev()
	require.ErrorIs(t, err, chunk.ErrClosed)
	require.ErrorIs(t, cur.Seek(0), chunk.ErrClosed)
}

// TestConcurrent runs writers, readers and sealers at once; run it with
// -race.
func TestConcurrent(t *testing.T) {
	const writers, perWriter = 4, 500
	m := memory.New(memory.Options{MaxChunkBytes: 2000})
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				_, err := m.Append(chunk.Record{
					SourceTS: base.Add(time.Duration((i*7+w)%100) * time.Millisecond),
					Attrs:    chunk.Attributes{"writer": fmt.Sprint(w)},
					Raw:      fmt.Appendf(nil, "w%d-%04d", w, i),
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				list, err := m.List()
				if err != nil {
					t.Error(err)
					return
				}
				for _, meta := range list {
					if err := checkOrdered(m, meta.ID); err != nil {
						t.Error(err)
						return
					}
				}
				if err := m.Seal(); err != nil && !errors.Is(err, chunk.ErrNoActiveChunk) {
					t.Error(err)
					return
				}
				m.Active()
			}
		})
	}
	wg.Wait()
	close(done)
	readers.Wait()

	list, err := m.List()
	require.NoError(t, err)
	var total, raw uint64
	seen := map[string]bool{}
	for _, meta := range list {
		total += meta.Records
		raw += meta.RawBytes
		require.NoError(t, checkOrdered(m, meta.ID))
		cur := openCursor(t, m, meta.ID)
		raws, _ := collect(t, cur, false)
		for _, r := range raws {
			require.False(t, seen[r], "record %s twice", r)
			seen[r] = true
		}
	}
	require.Equal(t, uint64(writers*perWriter), total)
	require.Len(t, seen, writers*perWriter)
	require.Equal(t, uint64(writers*perWriter*len("w0-0000")), raw)
}

// checkOrdered reads a chunk and reports records out of time order or a
// count that differs from Len.
func checkOrdered(m chunk.Manager, id chunk.ChunkID) error {
	cur, err := m.OpenCursor(id)
	if err != nil {
		return err
	}
	defer cur.Close()
	var prev time.Time
	var n uint64
	for r, err := range chunk.Records(cur, false) {
		if err != nil {
			return err
		}
		if r.Time().Before(prev) {
			return fmt.Errorf("chunk %s: record %d at %v before %v", id, n, r.Time(), prev)
		}
		prev = r.Time()
		n++
	}
	if n != cur.Len() {
		return fmt.Errorf("chunk %s: read %d records, Len %d", id, n, cur.Len())
	}
	return nil
}
