package file

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

func TestRollbackActive(t *testing.T) {
	dir := t.TempDir()
	m, err := Open(dir, Options{Now: testClock()})
	require.NoError(t, err)
	for i := range 10 {
		_, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Second)))
		require.NoError(t, err)
	}
	mark, err := m.Mark()
	require.NoError(t, err)
	require.EqualValues(t, 10, mark.Records)
	for i := 10; i < 30; i++ {
		_, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Second)))
		require.NoError(t, err)
	}
	require.NoError(t, m.Close())

	m2 := openTest(t, dir, Options{Rollback: &mark})
	recs := collect(t, m2, mark.Chunk, false)
	require.Len(t, recs, 10)
	for i, r := range recs {
		require.Equal(t, mkRecord(i, t0.Add(time.Duration(i)*time.Second)).Raw, r.Raw)
	}
	_, err = m2.Append(mkRecord(99, t0.Add(time.Hour)))
	require.NoError(t, err)
	require.NoError(t, m2.Seal())
	require.Len(t, collect(t, m2, mark.Chunk, false), 11)
}

func TestRollbackAfterRotate(t *testing.T) {
	dir := t.TempDir()
	var mark Mark
	m, err := Open(dir, Options{Now: testClock(), MaxChunkBytes: 1000,
		BeforeRotate: func(full chunk.ChunkMeta) func() error {
			if mark.Records == 0 {
				mark = Mark{Chunk: full.ID, Records: full.Records}
			}
			return nil
		}})
	require.NoError(t, err)
	for i := range 60 {
		_, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Second)))
		require.NoError(t, err)
	}
	require.NotZero(t, mark.Records)
	require.NoError(t, m.WaitSealed())
	list, err := m.List()
	require.NoError(t, err)
	require.Greater(t, len(list), 2)
	require.NoError(t, m.Close())

	m2 := openTest(t, dir, Options{Rollback: &mark})
	list, err = m2.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, mark.Chunk, list[0].ID)
	require.Equal(t, mark.Records, list[0].Records)
	require.True(t, list[0].Sealed)

	// A mark inside a sealed chunk cannot be honoured: an error, not a silent loss.
	require.NoError(t, m2.Close())
	_, err = Open(dir, Options{Rollback: &Mark{Chunk: mark.Chunk, Records: 1}})
	require.ErrorContains(t, err, "sealed")
}
