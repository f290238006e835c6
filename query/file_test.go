package query

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk/file"
)

// TestRunFileChunks runs the differential test on real on-disk chunks:
// sealed, block-compressed chunks read through their cursors' Seek, Next
// and Prev, and the active chunk.
func TestRunFileChunks(t *testing.T) {
	fm, err := file.Open(t.TempDir(), file.Options{MaxChunkBytes: 8 << 10, BlockBytes: 1 << 10, Owner: "query test"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, fm.Close()) })
	r := rand.New(rand.NewPCG(11, 12))
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	const n = 3000
	for i := range n {
		_, err := fm.Append(genRecord(r, i, base))
		require.NoError(t, err)
	}
	require.NoError(t, fm.WaitSealed())
	metas, err := fm.List()
	require.NoError(t, err)
	require.Greater(t, len(metas), 5)

	queries := []string{"error host=web1", "*", `"failed password"`, "auth*", "/fail(ed|ure)/i", "pid>1000",
		"severity<=warning", "*=web1", "(error OR failed) -root"}
	generated := 60
	if testing.Short() {
		generated = 10
	}
	for range generated {
		queries = append(queries, genNode(r, 3).String())
	}
	checkDifferential(t, &spyManager{Manager: fm}, r, base, n*time.Second, queries)
}
