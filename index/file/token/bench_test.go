package token

// Compare runs with benchstat:
//
//	go test -run=^$ -bench=. -count=10 ./index/file/token > old.txt
//	(change) ... > new.txt; benchstat old.txt new.txt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/index/internal/indextest"
)

func benchRecords(b *testing.B) []chunk.Record {
	return indextest.Generated(50000, 42)
}

func BenchmarkBuild(b *testing.B) {
	recs := benchRecords(b)
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

func BenchmarkLookup(b *testing.B) {
	recs := benchRecords(b)
	r, err := Open(build(b, recs))
	require.NoError(b, err)
	defer r.Close()
	for _, tok := range []string{"error", "authentication", "absent"} {
		b.Run(tok, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := r.Lookup([]byte(tok)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
