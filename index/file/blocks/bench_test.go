package blocks

// go test -run=^$ -bench=. -count=10 ./index/file/blocks | benchstat -

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/index/internal/indextest"
)

func BenchmarkBuild(b *testing.B) {
	recs := indextest.Generated(50000, 42)
	cm, meta := indextest.Sealed(b, recs)
	raw := indextest.RawBytes(recs)
	dir := b.TempDir()
	b.SetBytes(raw)
	for b.Loop() {
		cur, err := cm.OpenCursor(meta.ID)
		require.NoError(b, err)
		require.NoError(b, NewIndexer().Build(context.Background(), meta, cur, dir))
		cur.Close()
	}
	r, err := Open(filepath.Join(dir, FileName))
	require.NoError(b, err)
	defer r.Close()
	b.ReportMetric(float64(r.Size())/float64(raw), "index/raw")
}

func BenchmarkCandidates(b *testing.B) {
	path, _ := build(b, indextest.Generated(50000, 42), 0)
	r, err := Open(path)
	require.NoError(b, err)
	defer r.Close()
	runs := [][]byte{[]byte("173"), []byte("234"), []byte("31"), []byte("186")}
	for b.Loop() {
		if _, err := r.Candidates(runs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCollect feeds lines to a collector, as the shared index pass
// does, without reading a chunk.
func BenchmarkCollect(b *testing.B) {
	recs := indextest.Generated(50000, 42)
	var starts []uint64
	for s := 0; s < len(recs); s += 1000 {
		starts = append(starts, uint64(s))
	}
	dir := b.TempDir()
	b.SetBytes(indextest.RawBytes(recs))
	for b.Loop() {
		c := newCollector(uint64(len(recs)), starts)
		for i, rec := range recs {
			c.AddLine(uint32(i), rec.Raw)
		}
		if err := c.Finish(dir); err != nil {
			b.Fatal(err)
		}
	}
}
