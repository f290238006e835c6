package callgroup

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDedup(t *testing.T) {
	var g Group[string, int]
	var runs atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]int, 10)
	wg.Go(func() {
		results[0], _, _ = g.Do("k", func() (int, error) {
			close(started)
			<-release
			return int(runs.Add(1)), nil
		})
	})
	<-started
	for i := 1; i < 10; i++ {
		wg.Go(func() {
			v, err, shared := g.Do("k", func() (int, error) { return int(runs.Add(1)), nil })
			require.NoError(t, err)
			require.True(t, shared)
			results[i] = v
		})
	}
	// Let the joiners arrive before the call finishes.
	for {
		g.mu.Lock()
		d := g.calls["k"].dups
		g.mu.Unlock()
		if d == 9 {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	require.EqualValues(t, 1, runs.Load())
	for _, r := range results {
		require.Equal(t, 1, r)
	}
	// A later call runs again; another key runs on its own.
	v, err, shared := g.Do("k", func() (int, error) { return 2, errors.New("boom") })
	require.EqualError(t, err, "boom")
	require.Equal(t, 2, v)
	require.False(t, shared)
}
