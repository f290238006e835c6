package query

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRunLookAheadCloses: chunks opened ahead of the merge and never
// reached are closed when the consumer leaves, and marked stopped.
func TestRunLookAheadCloses(t *testing.T) {
	m, _ := errorLines(t, 500, 200)
	q, err := Parse("error")
	require.NoError(t, err)
	ahead := min(runtime.GOMAXPROCS(0), maxLookAhead)
	for _, reverse := range []bool{false, true} {
		m.reset()
		var ex Explain
		n := 0
		for _, err := range Run(t.Context(), m, q, Options{Reverse: reverse, Explain: &ex}) {
			require.NoError(t, err)
			n++
			// Wait until the look-ahead has opened the chunks after the
			// first, then leave.
			require.Eventually(t, func() bool {
				m.mu.Lock()
				defer m.mu.Unlock()
				return m.opened >= 1+ahead
			}, 10*time.Second, time.Millisecond)
			break
		}
		require.Equal(t, 1, n)
		m.mu.Lock()
		require.Zero(t, m.open, "every cursor closed, reverse=%v", reverse)
		m.mu.Unlock()
		tot := ex.Totals()
		require.GreaterOrEqual(t, tot.Read, uint64(1+ahead), "%+v", tot)
		stopped := 0
		for _, c := range ex.Chunks {
			if c.Stopped {
				stopped++
			}
		}
		require.GreaterOrEqual(t, stopped, 1+ahead, "the chunk read and those opened ahead are stopped")
	}
}
