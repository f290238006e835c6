package file

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// TestEachBlockAttr: over a chunk of many small blocks whose records have
// attributes in both column modes, none, empty values and keys that differ
// only in case, EachBlockAttr hands over, record by record, exactly the
// attributes AttrsAt returns.
func TestEachBlockAttr(t *testing.T) {
	m := openTest(t, t.TempDir(), Options{BlockBytes: 512})
	const n = 400
	for i := range n {
		rec := chunk.Record{SourceTS: t0.Add(time.Duration(i) * time.Second), Raw: fmt.Appendf(nil, "line %d host=web%d pid=%d", i, i%3, 1000+i)}
		rec.Attrs = chunk.Attributes{}
		switch i % 5 {
		case 0: // none
			rec.Attrs = nil
		case 1: // substrings of the line
			rec.Attrs["host"] = fmt.Sprintf("web%d", i%3)
			rec.Attrs["pid"] = fmt.Sprint(1000 + i)
		case 2: // dictionary values, an empty one, keys differing in case
			rec.Attrs["Host"] = "EXTERNAL"
			rec.Attrs["host"] = fmt.Sprintf("web%d", i%3)
			rec.Attrs["empty"] = ""
		case 3:
			rec.Attrs["app"] = fmt.Sprintf("app-%d", i%4)
		case 4: // an empty map
		}
		_, err := m.Append(rec)
		require.NoError(t, err)
	}
	act, _ := m.Active()
	require.NoError(t, m.Seal())
	cur, err := m.OpenCursor(act.ID)
	require.NoError(t, err)
	defer cur.Close()
	starts := cur.(chunk.BlockLayout).BlockStarts()
	require.Greater(t, len(starts), 10, "the test needs many blocks")
	cur.(chunk.BufferReuser).ReuseBuffers(true)
	ba := cur.(chunk.BlockAttrs)
	as := cur.(chunk.AttrSkipper)

	for b, start := range starts {
		got := map[uint64]chunk.Attributes{}
		lastPos, lastCol := -1, -1
		colKey := map[int]string{}
		first, k, err := ba.EachBlockAttr(start+1, func(i, col int, key string, value []byte) {
			pos := start + uint64(i)
			require.True(t, i > lastPos || i == lastPos && col > lastCol, "record %d column %d after %d/%d", i, col, lastPos, lastCol)
			lastPos, lastCol = i, col
			if prev, ok := colKey[col]; ok {
				require.Equal(t, prev, key, "one key per column")
			}
			colKey[col] = key
			if got[pos] == nil {
				got[pos] = chunk.Attributes{}
			}
			got[pos][key] = string(value)
		})
		require.NoError(t, err)
		require.Equal(t, start, first)
		end := uint64(n)
		if b+1 < len(starts) {
			end = starts[b+1]
		}
		require.Equal(t, int(end-start), k)
		for pos := start; pos < end; pos++ {
			want, err := as.AttrsAt(pos)
			require.NoError(t, err)
			if len(want) == 0 {
				require.NotContains(t, got, pos, "record %d has no attributes", pos)
				continue
			}
			require.Equal(t, want, got[pos], "record %d", pos)
		}
	}
	_, _, err = ba.EachBlockAttr(n, func(int, int, string, []byte) {})
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, cur.Close())
	_, _, err = ba.EachBlockAttr(0, func(int, int, string, []byte) {})
	require.ErrorIs(t, err, chunk.ErrClosed)
}
