package file

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testClock() func() time.Time {
	now := t0
	return func() time.Time { now = now.Add(time.Millisecond); return now }
}

func openTest(t *testing.T, dir string, opts Options) *Manager {
	t.Helper()
	if opts.Now == nil {
		opts.Now = testClock()
	}
	m, err := Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

func mkRecord(i int, ts time.Time) chunk.Record {
	return chunk.Record{
		SourceTS: ts,
		IngestTS: t0,
		Attrs:    chunk.Attributes{"host": fmt.Sprintf("web%d", i%3), "app": "sshd", "file": "/var/log/auth.log"},
		Raw:      fmt.Appendf(nil, "line %d at %s failed password for root", i, ts.Format(time.StampMicro)),
	}
}

func collect(t *testing.T, m chunk.Manager, id chunk.ChunkID, reverse bool) []chunk.Record {
	t.Helper()
	c, err := m.OpenCursor(id)
	require.NoError(t, err)
	defer c.Close()
	if reverse {
		require.NoError(t, c.Seek(c.Len()))
	}
	var out []chunk.Record
	for rec, err := range chunk.Records(c, reverse) {
		require.NoError(t, err)
		out = append(out, rec)
	}
	require.Len(t, out, int(c.Len()))
	return out
}

func TestAppendSealReopen(t *testing.T) {
	dir := t.TempDir()
	m := openTest(t, dir, Options{})
	// Out of order times: cursors must return them sorted.
	offsets := []int{5, 1, 9, 3, 3, 0, 7, 2, 8, 6, 4}
	var want []chunk.Record
	for i, o := range offsets {
		rec := mkRecord(i, t0.Add(time.Duration(o)*time.Second))
		_, err := m.Append(rec)
		require.NoError(t, err)
		want = append(want, rec)
	}
	act, ok := m.Active()
	require.True(t, ok)
	require.False(t, act.Sealed)
	require.EqualValues(t, len(offsets), act.Records)
	require.Equal(t, t0, act.MinTS)
	require.Equal(t, t0.Add(9*time.Second), act.MaxTS)

	check := func(got []chunk.Record) {
		t.Helper()
		require.Len(t, got, len(want))
		for i := 1; i < len(got); i++ {
			require.False(t, got[i].Time().Before(got[i-1].Time()), "record %d out of order", i)
		}
		// Stable: equal times keep append order (records 3 and 4 both at +3s).
		var idx []string
		for _, r := range got {
			if r.SourceTS.Equal(t0.Add(3 * time.Second)) {
				idx = append(idx, strings.Fields(string(r.Raw))[1])
			}
		}
		require.Equal(t, []string{"3", "4"}, idx)
		for _, r := range got {
			require.Equal(t, "sshd", r.Attrs["app"])
			require.False(t, r.WriteTS.IsZero())
		}
	}
	activeFwd := collect(t, m, act.ID, false)
	check(activeFwd)
	activeRev := collect(t, m, act.ID, true)
	for i := range activeRev {
		require.Equal(t, activeFwd[len(activeFwd)-1-i], activeRev[i])
	}

	require.NoError(t, m.Seal())
	_, ok = m.Active()
	require.False(t, ok)
	meta, err := m.Meta(act.ID)
	require.NoError(t, err)
	require.True(t, meta.Sealed)
	require.EqualValues(t, len(offsets), meta.Records)
	require.Equal(t, act.RawBytes, meta.RawBytes)
	require.Equal(t, act.MinTS, meta.MinTS)
	require.Equal(t, act.MaxTS, meta.MaxTS)
	sealed := collect(t, m, act.ID, false)
	require.Equal(t, activeFwd, sealed)
	require.ErrorIs(t, m.Seal(), chunk.ErrNoActiveChunk)
	require.NoError(t, m.Close())

	// Reopen read-only and as a writer: the same records.
	ro, err := Open(dir, Options{ReadOnly: true})
	require.NoError(t, err)
	require.Equal(t, sealed, collect(t, ro, act.ID, false))
	require.NoError(t, ro.Close())
	m2 := openTest(t, dir, Options{})
	list, err := m2.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, meta, list[0])
	require.Equal(t, sealed, collect(t, m2, act.ID, false))
	// New chunks get larger IDs.
	ref, err := m2.Append(mkRecord(100, t0))
	require.NoError(t, err)
	require.Greater(t, ref.Chunk.String(), act.ID.String())
}

func TestCursorSeek(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{BlockBytes: 100})
	for i := range 50 {
		_, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Second)))
		require.NoError(t, err)
	}
	act, _ := m.Active()
	for _, sealed := range []bool{false, true} {
		if sealed {
			require.NoError(t, m.Seal())
			meta, err := m.Meta(act.ID)
			require.NoError(t, err)
			require.Greater(t, meta.Blocks, 5, "small blocks expected")
		}
		c, err := m.OpenCursor(act.ID)
		require.NoError(t, err)
		if sealed {
			starts := c.(chunk.BlockLayout).BlockStarts()
			require.EqualValues(t, 0, starts[0])
		}
		for _, pos := range []uint64{0, 17, 49, 3, 33} {
			require.NoError(t, c.Seek(pos))
			rec, ref, err := c.Next()
			require.NoError(t, err)
			require.Equal(t, pos, ref.Pos)
			require.Equal(t, t0.Add(time.Duration(pos)*time.Second), rec.SourceTS.UTC())
			rec, ref, err = c.Prev()
			require.NoError(t, err)
			require.Equal(t, pos, ref.Pos)
		}
		require.NoError(t, c.Seek(0))
		_, _, err = c.Prev()
		require.ErrorIs(t, err, io.EOF)
		require.NoError(t, c.Seek(50))
		_, _, err = c.Next()
		require.ErrorIs(t, err, io.EOF)
		require.ErrorIs(t, c.Seek(51), chunk.ErrPositionOutOfRange)
		require.NoError(t, c.Close())
		_, _, err = c.Next()
		require.ErrorIs(t, err, chunk.ErrClosed)
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	var sealedIDs []chunk.ChunkID
	done := make(chan chunk.ChunkMeta, 100)
	m := openTest(t, dir, Options{MaxChunkBytes: 2000, BlockBytes: 300, OnSealed: func(meta chunk.ChunkMeta) { done <- meta }})
	total := 0
	for i := range 300 {
		rec := mkRecord(i, t0.Add(time.Duration(i%37)*time.Second))
		total += len(rec.Raw)
		_, err := m.Append(rec)
		require.NoError(t, err)
	}
	require.NoError(t, m.Seal())
	close(done)
	for meta := range done {
		sealedIDs = append(sealedIDs, meta.ID)
	}
	list, err := m.List()
	require.NoError(t, err)
	require.Greater(t, len(list), 5)
	require.Len(t, sealedIDs, len(list))
	var n, raw uint64
	for i, meta := range list {
		require.True(t, meta.Sealed)
		require.LessOrEqual(t, meta.RawBytes, uint64(2000))
		if i > 0 {
			require.Greater(t, meta.ID.String(), list[i-1].ID.String())
		}
		n += meta.Records
		raw += meta.RawBytes
		recs := collect(t, m, meta.ID, false)
		require.Len(t, recs, int(meta.Records))
	}
	require.EqualValues(t, 300, n)
	require.EqualValues(t, total, raw)
}

func TestRecoverTruncatedTail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   int
	}{
		{"partial idx entry", func(t *testing.T, dir string) {
			appendBytes(t, filepath.Join(dir, IdxLogName), make([]byte, IdxEntrySize/2))
		}, 10},
		{"idx entry without raw bytes", func(t *testing.T, dir string) {
			chop(t, filepath.Join(dir, RawLogName), 5)
		}, 9},
		{"idx entry with garbage raw", func(t *testing.T, dir string) {
			p := filepath.Join(dir, RawLogName)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(b)-3] ^= 0xff
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}, 9},
		{"raw bytes without idx entry", func(t *testing.T, dir string) {
			appendBytes(t, filepath.Join(dir, RawLogName), []byte("half a line"))
			appendBytes(t, filepath.Join(dir, AttrLogName), []byte{3, 1})
		}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m, err := Open(dir, Options{Now: testClock()})
			require.NoError(t, err)
			for i := range 10 {
				_, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Second)))
				require.NoError(t, err)
			}
			act, _ := m.Active()
			require.NoError(t, m.Close())
			tc.damage(t, filepath.Join(dir, ActiveDirName, act.ID.String()))

			// A reader sees only whole records, even before recovery.
			m2 := openTest(t, dir, Options{})
			recs := collect(t, m2, act.ID, false)
			require.Len(t, recs, tc.want)
			for i, r := range recs {
				require.Equal(t, mkRecord(i, t0.Add(time.Duration(i)*time.Second)).Raw, r.Raw)
			}
			// Appending after recovery continues cleanly.
			_, err = m2.Append(mkRecord(99, t0.Add(time.Hour)))
			require.NoError(t, err)
			require.NoError(t, m2.Seal())
			recs = collect(t, m2, act.ID, false)
			require.Len(t, recs, tc.want+1)
			require.Equal(t, mkRecord(99, t0.Add(time.Hour)).Raw, recs[len(recs)-1].Raw)
		})
	}
}

func appendBytes(t *testing.T, p string, b []byte) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func chop(t *testing.T, p string, n int64) {
	fi, err := os.Stat(p)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(p, fi.Size()-n))
}

func TestRecoverInterruptedSeal(t *testing.T) {
	dir := t.TempDir()
	m, err := Open(dir, Options{Now: testClock()})
	require.NoError(t, err)
	for i := range 20 {
		_, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Second)))
		require.NoError(t, err)
	}
	act, _ := m.Active()
	require.NoError(t, m.Close())
	activeDir := filepath.Join(dir, ActiveDirName, act.ID.String())

	// Crash during seal: a half-written temp dir is left behind.
	tmp := filepath.Join(dir, SealedDirName, act.ID.String()+tmpSuffix)
	require.NoError(t, os.MkdirAll(tmp, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(tmp, SealedName), []byte("id\x01"), 0o644))
	m2 := openTest(t, dir, Options{})
	_, err = os.Stat(tmp)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, m2.Seal())
	sealed := collect(t, m2, act.ID, false)
	require.Len(t, sealed, 20)
	require.NoError(t, m2.Close())

	// Crash after the rename but before the active copy was removed.
	require.NoError(t, os.MkdirAll(activeDir, 0o755))
	for _, n := range []string{RawLogName, IdxLogName, AttrLogName} {
		require.NoError(t, os.WriteFile(filepath.Join(activeDir, n), []byte("junk"), 0o644))
	}
	m3 := openTest(t, dir, Options{})
	_, err = os.Stat(activeDir)
	require.ErrorIs(t, err, os.ErrNotExist)
	list, err := m3.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, sealed, collect(t, m3, act.ID, false))
}

func TestSecondWriterRefused(t *testing.T) {
	dir := t.TempDir()
	m := openTest(t, dir, Options{Owner: "glarc import"})
	_, err := Open(dir, Options{Owner: "glarc serve"})
	require.ErrorIs(t, err, ErrLocked)
	var le *LockedError
	require.True(t, errors.As(err, &le))
	require.Contains(t, err.Error(), "glarc import")
	require.Contains(t, err.Error(), fmt.Sprintf("pid %d", os.Getpid()))
	// Readers need no lock.
	ro, err := Open(dir, Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, ro.Close())
	require.NoError(t, m.Close())
	m2, err := Open(dir, Options{})
	require.NoError(t, err)
	require.NoError(t, m2.Close())
}

// TestFlippedByteSealed flips every byte of a small sealed chunk in turn:
// each flip must be reported as corruption, never a panic or a wrong record.
func TestFlippedByteSealed(t *testing.T) {
	dir := t.TempDir()
	m := openTest(t, dir, Options{BlockBytes: 200})
	for i := range 12 {
		_, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Second)))
		require.NoError(t, err)
	}
	act, _ := m.Active()
	require.NoError(t, m.Seal())
	want := collect(t, m, act.ID, false)
	require.NoError(t, m.Close())
	path := filepath.Join(dir, SealedDirName, act.ID.String(), SealedName)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := range good {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x5a
		require.NoError(t, os.WriteFile(path, bad, 0o644))
		got, err := readAllSealed(path)
		if err == nil {
			t.Fatalf("flip at offset %d of %d not detected (got %d records, equal=%v)", i, len(good), len(got), fmt.Sprint(got) == fmt.Sprint(want))
		}
		require.ErrorIs(t, err, chunk.ErrCorrupt, "offset %d", i)
	}
	// Truncated files too.
	for _, n := range []int{0, 3, 10, len(good) - 1} {
		require.NoError(t, os.WriteFile(path, good[:n], 0o644))
		_, err := readAllSealed(path)
		require.ErrorIs(t, err, chunk.ErrCorrupt, "truncated to %d", n)
	}
}

func readAllSealed(path string) ([]chunk.Record, error) {
	dec, err := newDecoder()
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	r, err := openSealed(path, dec, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	c := newSealedCursor(r)
	defer c.Close()
	var out []chunk.Record
	for rec, err := range chunk.Records(c, false) {
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func TestConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	m := openTest(t, dir, Options{MaxChunkBytes: 4000})
	stop := make(chan struct{})
	var wgErr = make(chan error, 1)
	go func() {
		defer close(wgErr)
		ro, err := Open(dir, Options{ReadOnly: true})
		if err != nil {
			wgErr <- err
			return
		}
		defer ro.Close()
		for {
			select {
			case <-stop:
				return
			default:
			}
			list, err := ro.List()
			if err != nil {
				wgErr <- err
				return
			}
			for _, meta := range list {
				c, err := ro.OpenCursor(meta.ID)
				if errors.Is(err, chunk.ErrChunkNotFound) {
					continue
				}
				if err != nil {
					wgErr <- err
					return
				}
				for _, err := range chunk.Records(c, false) {
					if err != nil {
						wgErr <- fmt.Errorf("chunk %s: %w", meta.ID, err)
						c.Close()
						return
					}
				}
				c.Close()
			}
		}
	}()
	for i := range 2000 {
		_, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Millisecond)))
		require.NoError(t, err)
		if i%50 == 0 {
			require.NoError(t, m.Flush())
		}
	}
	require.NoError(t, m.Seal())
	close(stop)
	require.NoError(t, <-wgErr)
}

// TestSealManyPages seals a chunk whose writer holds several pages of
// entries, after a reopen (whose first page is the recovered records).
func TestSealManyPages(t *testing.T) {
	dir := t.TempDir()
	m, err := Open(dir, Options{Now: testClock()})
	require.NoError(t, err)
	const first, total = 1000, 3*entryPage + 77
	for i := range first {
		_, err := m.Append(chunk.Record{SourceTS: t0.Add(time.Duration(total-i) * time.Millisecond), Raw: fmt.Appendf(nil, "r%d", i)})
		require.NoError(t, err)
	}
	require.NoError(t, m.Close())
	m = openTest(t, dir, Options{})
	for i := first; i < total; i++ {
		_, err := m.Append(chunk.Record{SourceTS: t0.Add(time.Duration(total-i) * time.Millisecond), Raw: fmt.Appendf(nil, "r%d", i)})
		require.NoError(t, err)
	}
	act, _ := m.Active()
	require.NoError(t, m.Seal())
	recs := collect(t, m, act.ID, false)
	require.Len(t, recs, total)
	for j, r := range recs { // times were descending: the order is reversed
		require.Equal(t, fmt.Sprintf("r%d", total-1-j), string(r.Raw))
	}
}
