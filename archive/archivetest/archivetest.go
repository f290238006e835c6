// Package archivetest holds helpers for tests that check what an archive
// on disk holds.
//
//	recs := archivetest.Records(t, dataDir) // every record, chunk by chunk
package archivetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/archive"
	"glarc/chunk"
)

// Records opens the archive in dir read-only and returns every record,
// chunk by chunk in the order the manager lists them, each chunk in time
// order. It fails t on any error.
func Records(t testing.TB, dir string) []chunk.Record {
	t.Helper()
	ro, err := archive.OpenReadOnly(dir, archive.Options{})
	require.NoError(t, err)
	defer ro.Close()
	metas, err := ro.Chunks().List()
	require.NoError(t, err)
	var out []chunk.Record
	for _, m := range metas {
		cur, err := ro.Chunks().OpenCursor(m.ID)
		require.NoError(t, err)
		for rec, err := range chunk.Records(cur, false) {
			require.NoError(t, err)
			out = append(out, rec)
		}
		require.NoError(t, cur.Close())
	}
	return out
}
