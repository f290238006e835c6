package listen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"glarc/archive/listen/ingest"
	"glarc/archive/listen/lokihttp"
)

// serveHTTP serves the Loki listener until stop is done, then lets
// in-flight pushes finish (they wait for their records to be written).
func (s *Server) serveHTTP(stop context.Context, q *ingest.Queue) error {
	po := s.cfg.Push
	po.Counters, po.Logger = &s.lokiC, s.cfg.Logger
	mux := http.NewServeMux()
	mux.Handle("/loki/api/v1/push", lokihttp.NewPushHandler(q, po))
	ready := func(w http.ResponseWriter, _ *http.Request) {
		if s.stopping.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	}
	mux.HandleFunc("GET /ready", ready)
	mux.HandleFunc("GET /readyz", ready)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	var metrics http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.WriteMetrics(w)
	})
	if po.Auth != nil {
		metrics = po.Auth.Wrap(metrics)
	}
	mux.Handle("GET /metrics", metrics)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.HTTPIdleTimeout,
		IdleTimeout:       s.cfg.HTTPIdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.conns.Add(-1)
			}
		},
	}
	ln := &limitListener{Listener: s.http, slots: make(chan struct{}, s.cfg.MaxHTTPConns)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	<-stop.Done()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if serr := <-done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("loki listener: %w", err)
	}
	return nil
}

// limitListener bounds concurrent connections: Accept waits for a slot.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	lc := &limitConn{Conn: c}
	lc.release = sync.OnceFunc(func() { <-l.slots })
	return lc, nil
}

type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
