package index

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	chunkfile "glarc/chunk/file"
)

// mapAttrs records what AddAttrs gets, by position.
type mapAttrs struct {
	fakeCollector
	got map[uint32]chunk.Attributes
}

func (c *mapAttrs) AddAttrs(pos uint32, attrs chunk.Attributes) {
	if len(attrs) > 0 {
		c.got[pos] = attrs.Clone()
	}
}

// columnAttrs records what AddAttr gets, by position, and checks that
// positions ascend.
type columnAttrs struct {
	mapAttrs
	t      *testing.T
	blocks int
	last   int64
}

func (c *columnAttrs) StartAttrBlock() { c.blocks++ }

func (c *columnAttrs) AddAttr(pos uint32, col int, key string, value []byte) {
	require.GreaterOrEqual(c.t, int64(pos), c.last)
	c.last = int64(pos)
	if c.got[pos] == nil {
		c.got[pos] = chunk.Attributes{}
	}
	c.got[pos][key] = string(value)
}

// TestBlockPassAttrColumns: over a sealed file chunk, a shared pass hands
// a BlockAttrCollector the attributes as columns (chunk.BlockAttrs), and
// it gets for every record exactly the attributes an AttrCollector gets
// as maps, records without attributes included.
func TestBlockPassAttrColumns(t *testing.T) {
	fm, err := chunkfile.Open(t.TempDir(), chunkfile.Options{BlockBytes: 2 << 10, Owner: "index test"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, fm.Close()) })
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const n = 2000
	for i := range n {
		rec := chunk.Record{SourceTS: t0.Add(time.Duration(i) * time.Millisecond), Raw: fmt.Appendf(nil, "host%d app[%d]: line %d", i%4, 100+i%9, i)}
		switch i % 4 {
		case 0:
		case 1:
			rec.Attrs = chunk.Attributes{"host": fmt.Sprintf("host%d", i%4), "pid": fmt.Sprint(100 + i%9)}
		case 2:
			rec.Attrs = chunk.Attributes{"Host": "X", "host": fmt.Sprintf("host%d", i%4), "e": ""}
		case 3:
			rec.Attrs = chunk.Attributes{"level": []string{"info", "warn", "error"}[i%3]}
		}
		_, err := fm.Append(rec)
		require.NoError(t, err)
	}
	act, ok := fm.Active()
	require.True(t, ok)
	require.NoError(t, fm.Seal())
	cur, err := fm.OpenCursor(act.ID)
	require.NoError(t, err)
	defer cur.Close()
	require.Implements(t, (*chunk.BlockAttrs)(nil), cur)

	byMap := &mapAttrs{got: map[uint32]chunk.Attributes{}}
	byCol := &columnAttrs{mapAttrs: mapAttrs{got: map[uint32]chunk.Attributes{}}, t: t, last: -1}
	var records uint64
	require.NoError(t, runPass(t.Context(), cur, []Collector{byCol}, func(r, _ uint64) { records += r }))
	require.NoError(t, runPass(t.Context(), cur, []Collector{byMap}, func(uint64, uint64) {}))
	require.Equal(t, uint64(n), records)
	require.Equal(t, len(cur.(chunk.BlockLayout).BlockStarts()), byCol.blocks, "every block goes through the columns")
	require.Len(t, byMap.got, n*3/4)
	require.Equal(t, byMap.got, byCol.got)

	// Together with a collector that takes only maps, both get maps.
	both := &columnAttrs{mapAttrs: mapAttrs{got: map[uint32]chunk.Attributes{}}, t: t, last: -1}
	byMap2 := &mapAttrs{got: map[uint32]chunk.Attributes{}}
	require.NoError(t, runPass(t.Context(), cur, []Collector{both, byMap2}, func(uint64, uint64) {}))
	require.Zero(t, both.blocks)
	require.Equal(t, byMap.got, both.got)
	require.Equal(t, byMap.got, byMap2.got)
}
