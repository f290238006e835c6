// Package callgroup runs a function once per key at a time: callers that
// arrive while a call for their key is in flight wait for it and share its
// result (like golang.org/x/sync/singleflight, typed and without panics
// crossing goroutines).
//
//	var g callgroup.Group[string, int]
//	n, err, shared := g.Do("chunk/token", func() (int, error) { return build() })
package callgroup

import "sync"

// Group deduplicates concurrent calls by key. The zero value is ready.
type Group[K comparable, V any] struct {
	mu    sync.Mutex // guards calls
	calls map[K]*call[V]
}

type call[V any] struct {
	done chan struct{} // closed when val and err are set
	val  V
	err  error
	dups int // callers that joined; guarded by Group.mu
}

// Do runs fn unless a call for key is in flight, in which case it waits for
// that call. shared reports whether the result went to more than one caller.
// Once a call returns, the next Do for key runs fn again.
func (g *Group[K, V]) Do(key K, fn func() (V, error)) (v V, err error, shared bool) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[K]*call[V]{}
	}
	if c, ok := g.calls[key]; ok {
		c.dups++
		g.mu.Unlock()
		<-c.done
		return c.val, c.err, true
	}
	c := &call[V]{done: make(chan struct{})}
	g.calls[key] = c
	g.mu.Unlock()

	defer func() {
		g.mu.Lock()
		delete(g.calls, key)
		shared = c.dups > 0
		g.mu.Unlock()
		close(c.done)
	}()
	c.val, c.err = fn()
	return c.val, c.err, false
}
