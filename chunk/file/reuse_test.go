package file

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// TestReuseBuffers reads a sealed chunk of many small blocks (with
// attribute columns of both modes and varying record counts) through a
// cursor that recycles block memory, forward, backward and by seeking, and
// compares every record, copied right away, with a plain read.
func TestReuseBuffers(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{BlockBytes: 512})
	for i := range 500 {
		rec := mkRecord(i, t0.Add(time.Duration(i)*time.Second))
		if i%7 == 0 {
			rec.Attrs["pid"] = fmt.Sprint(1000 + i)
			rec.Raw = append(rec.Raw, fmt.Sprintf(" pid=%d %s", 1000+i, bytes.Repeat([]byte("x"), i%90))...)
		}
		_, err := m.Append(rec)
		require.NoError(t, err)
	}
	act, _ := m.Active()
	require.NoError(t, m.Seal())
	want := collect(t, m, act.ID, false)

	cur, err := m.OpenCursor(act.ID)
	require.NoError(t, err)
	defer cur.Close()
	require.Greater(t, len(cur.(chunk.BlockLayout).BlockStarts()), 20, "the test needs many blocks")
	cur.(chunk.BufferReuser).ReuseBuffers(true)
	check := func(i int, rec chunk.Record) {
		t.Helper()
		require.Equal(t, string(want[i].Raw), string(rec.Raw), "record %d", i)
		require.Equal(t, want[i].Attrs, rec.Attrs, "record %d", i)
		require.True(t, want[i].SourceTS.Equal(rec.SourceTS), "record %d", i)
	}
	i := 0
	for rec, err := range chunk.Records(cur, false) {
		require.NoError(t, err)
		check(i, rec)
		i++
	}
	require.Equal(t, len(want), i)
	for rec, err := range chunk.Records(cur, true) {
		require.NoError(t, err)
		i--
		check(i, rec)
	}
	require.Zero(t, i)
	for _, pos := range []int{499, 3, 250, 0, 251, 498} {
		require.NoError(t, cur.Seek(uint64(pos)))
		rec, _, err := cur.Next()
		require.NoError(t, err)
		check(pos, rec)
	}
	// The next reusing cursor decodes into the memory the first one left.
	require.NoError(t, cur.Close())
	cur2, err := m.OpenCursor(act.ID)
	require.NoError(t, err)
	defer cur2.Close()
	cur2.(chunk.BufferReuser).ReuseBuffers(true)
	for rec, err := range chunk.Records(cur2, false) {
		require.NoError(t, err)
		check(i, rec)
		i++
	}
	require.Equal(t, len(want), i)
}
