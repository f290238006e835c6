package planner_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/index/collect"
	"glarc/index/file/token"
	"glarc/query"
	"glarc/query/planner"
)

// TestOtherFormatVersion: a token index in a format version this glarc does
// not read is planned as not indexed (the block filters answer instead),
// with one warning for the whole query that names the fix, not a warning
// about damage per chunk.
func TestOtherFormatVersion(t *testing.T) {
	a := newArchive(t, 7, 3000, collect.Budget{})
	metas, err := a.fm.List()
	require.NoError(t, err)
	changed := 0
	for _, m := range metas {
		if !m.Sealed {
			continue
		}
		path := filepath.Join(a.fm.ChunkDir(m.ID), token.FileName)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		b[2]++ // the format version byte of the container header
		require.NoError(t, os.WriteFile(path, b, 0o644))
		changed++
	}
	require.Greater(t, changed, 1)

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	q, err := query.Parse("error")
	require.NoError(t, err)
	p := planner.New(a.indexes, a.fm.ChunkDir, planner.Options{Logger: log})
	defer p.Close()
	want := run(t, a.fm, q, query.Options{})
	var ex query.Explain
	got := run(t, a.fm, q, query.Options{Candidates: p, Explain: &ex})
	require.Equal(t, want, got)
	require.Equal(t, 1, strings.Count(logs.String(), "another glarc version"), logs.String())
	require.NotContains(t, logs.String(), "damaged")
	for _, c := range ex.Chunks {
		if c.Source == planner.SourceIndex {
			require.Contains(t, c.Reason, "token (other format version)")
		}
	}
}
