// Package listen runs glarc serve: the syslog (UDP, TCP) and Loki push
// listeners, the one ingest queue they feed, chunk sealing by age, the
// background indexing of sealed chunks, health and metrics endpoints, and
// a bounded graceful shutdown.
//
//	srv, err := listen.New(listen.Config{SyslogTCP: ":6514", Loki: ":3100", Sync: true})
//	a, err := archive.Open(dir, archive.Options{Owner: "glarc serve", OnSealed: srv.Sealed})
//	defer a.Close()
//	err = srv.Run(ctx, a) // until ctx is cancelled (SIGINT/SIGTERM), then drains
//
// New binds every listener (so a port 0 address is known from Addrs
// before Run). Run stops accepting when ctx is done, reads for a short
// drain what senders already sent, writes everything queued, flushes (and
// fsyncs with Sync) and waits for index builds, all within
// Config.ShutdownTimeout. The active chunk is left for the next Open to
// recover (Archive.Close fsyncs it).
//
// HTTP endpoints on the Loki listener: POST /loki/api/v1/push (package
// lokihttp), GET /ready, /readyz (200 "ready", 503 while shutting down),
// /healthz (200 "ok") and /metrics (Prometheus text format).
package listen

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"glarc/archive"
	"glarc/archive/listen/ingest"
	"glarc/archive/listen/lokihttp"
	"glarc/archive/listen/syslogrx"
	"glarc/chunk"
)

// Defaults of Config.
const (
	DefaultShutdownTimeout = 30 * time.Second
	DefaultMaxHTTPConns    = 256
	DefaultHTTPIdleTimeout = 2 * time.Minute
	// indexQueue bounds sealed chunks waiting to be indexed; more are left
	// for the next BuildMissing pass.
	indexQueue = 64
)

// ErrNoListener means Config enables no listener.
var ErrNoListener = errors.New("no listener configured (give --syslog-udp, --syslog-tcp or --loki)")

// IndexFunc indexes one sealed chunk (index.BuildHelper, once it exists).
type IndexFunc func(ctx context.Context, meta chunk.ChunkMeta) error

// Config configures a Server.
type Config struct {
	// Listener addresses (host:port); empty leaves that listener off.
	SyslogUDP, SyslogTCP, Loki string
	// Sync fsyncs every batch before acknowledging pushes (group commit).
	Sync bool
	// SealAfter seals the active chunk once it is this old (0: only at the
	// size limit).
	SealAfter time.Duration
	// ShutdownTimeout bounds Run's return after ctx is done.
	ShutdownTimeout time.Duration
	// MaxHTTPConns bounds concurrent HTTP connections.
	MaxHTTPConns int
	// HTTPIdleTimeout closes idle keep-alive connections and bounds reading
	// a request.
	HTTPIdleTimeout time.Duration
	// Queue, Syslog and Push tune the parts; their Counters and Logger are
	// set by New.
	Queue  ingest.Options
	Syslog syslogrx.Options
	Push   lokihttp.Options
	// Index, if set, indexes each sealed chunk in the background.
	Index IndexFunc
	// Logger; nil discards.
	Logger *slog.Logger
}

// Addrs are the bound listener addresses (nil when off).
type Addrs struct {
	SyslogUDP, SyslogTCP, Loki net.Addr
}

// Server is a configured, bound glarc serve.
type Server struct {
	cfg  Config
	log  *slog.Logger
	udp  net.PacketConn
	tcp  net.Listener
	http net.Listener

	udpC, tcpC, lokiC ingest.Counters
	sealed            atomic.Int64
	indexed           atomic.Int64
	indexErrs         atomic.Int64
	indexDropped      atomic.Int64
	conns             atomic.Int64
	stopping          atomic.Bool
	q                 atomic.Pointer[ingest.Queue]
	indexJobs         chan chunk.ChunkMeta
}

// New binds the configured listeners.
func New(cfg Config) (*Server, error) {
	cfg.ShutdownTimeout = cmp.Or(cfg.ShutdownTimeout, DefaultShutdownTimeout)
	cfg.MaxHTTPConns = cmp.Or(cfg.MaxHTTPConns, DefaultMaxHTTPConns)
	cfg.HTTPIdleTimeout = cmp.Or(cfg.HTTPIdleTimeout, DefaultHTTPIdleTimeout)
	// Listeners drain (and wait to queue what they read) for at most 3/4
	// of the shutdown time; the rest is for writing what they queued.
	cfg.Syslog.DrainMax = cmp.Or(cfg.Syslog.DrainMax, cfg.ShutdownTimeout*3/4)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SyslogUDP == "" && cfg.SyslogTCP == "" && cfg.Loki == "" {
		return nil, ErrNoListener
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "serve"), indexJobs: make(chan chunk.ChunkMeta, indexQueue)}
	var err error
	if cfg.SyslogUDP != "" {
		if s.udp, err = net.ListenPacket("udp", cfg.SyslogUDP); err != nil {
			return nil, fmt.Errorf("--syslog-udp: %w", err)
		}
		if u, ok := s.udp.(*net.UDPConn); ok {
			_ = u.SetReadBuffer(4 << 20) // absorb bursts; the kernel may cap it
		}
	}
	if cfg.SyslogTCP != "" {
		if s.tcp, err = net.Listen("tcp", cfg.SyslogTCP); err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("--syslog-tcp: %w", err)
		}
	}
	if cfg.Loki != "" {
		if s.http, err = net.Listen("tcp", cfg.Loki); err != nil {
			s.closeListeners()
			return nil, fmt.Errorf("--loki: %w", err)
		}
	}
	return s, nil
}

func (s *Server) closeListeners() {
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.http != nil {
		s.http.Close()
	}
}

// Addrs returns the bound addresses.
func (s *Server) Addrs() Addrs {
	var a Addrs
	if s.udp != nil {
		a.SyslogUDP = s.udp.LocalAddr()
	}
	if s.tcp != nil {
		a.SyslogTCP = s.tcp.Addr()
	}
	if s.http != nil {
		a.Loki = s.http.Addr()
	}
	return a
}

// Sealed is the archive's OnSealed hook: it counts the chunk and queues
// it for indexing. It never blocks the sealing goroutine.
func (s *Server) Sealed(meta chunk.ChunkMeta) {
	s.sealed.Add(1)
	if s.cfg.Index == nil {
		return
	}
	select {
	case s.indexJobs <- meta:
	default:
		s.indexDropped.Add(1)
		s.log.Warn("index queue full; chunk left unindexed until the next index pass", "chunk", meta.ID.String())
	}
}

// Run serves until ctx is done, then shuts down gracefully (see the
// package doc). It returns the first write error, or an error if the
// shutdown took longer than Config.ShutdownTimeout.
func (s *Server) Run(ctx context.Context, a *archive.Archive) error {
	defer s.closeListeners()
	qopts := s.cfg.Queue
	qopts.Sync = s.cfg.Sync
	if s.cfg.SealAfter > 0 {
		qopts.Tick = min(max(s.cfg.SealAfter/10, 10*time.Millisecond), time.Minute)
		qopts.OnTick = func() { s.sealIfOld(a) }
	}
	q := ingest.New(a, qopts)
	s.q.Store(q)
	// stop ends accepting: ctx, or a failed writer.
	stop, cancelStop := context.WithCancel(ctx)
	defer cancelStop()
	var writerErr error
	var writer, listeners, indexers sync.WaitGroup
	writer.Go(func() {
		writerErr = q.Run()
	})
	context.AfterFunc(stop, func() { s.stopping.Store(true) })
	go func() { // cancelStop on writer failure; ends with stop
		select {
		case <-q.Failed():
			s.log.Error("writing the archive failed; shutting down", "err", q.Err())
			cancelStop()
		case <-stop.Done():
		}
	}()
	var listenErrs []error
	var errMu sync.Mutex
	addErr := func(err error) {
		if err != nil {
			errMu.Lock()
			listenErrs = append(listenErrs, err)
			errMu.Unlock()
		}
	}
	if s.udp != nil {
		o := s.cfg.Syslog
		o.Counters, o.Logger = &s.udpC, s.cfg.Logger
		listeners.Go(func() { addErr(syslogrx.ServeUDP(stop, s.udp, q, o)) })
	}
	if s.tcp != nil {
		o := s.cfg.Syslog
		o.Counters, o.Logger = &s.tcpC, s.cfg.Logger
		listeners.Go(func() { addErr(syslogrx.ServeTCP(stop, s.tcp, q, o)) })
	}
	if s.http != nil {
		listeners.Go(func() { addErr(s.serveHTTP(stop, q)) })
	}
	// Index builds get their own context: cancelled only when the shutdown
	// deadline passes.
	idxCtx, cancelIdx := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelIdx()
	// sealsDone is closed once no more seals (and so no more index jobs)
	// can come.
	sealsDone := make(chan struct{})
	if s.cfg.Index != nil {
		indexers.Go(func() { s.indexLoop(idxCtx, sealsDone) })
	}
	s.log.Info("serving", "syslog_udp", addrString(s.Addrs().SyslogUDP), "syslog_tcp", addrString(s.Addrs().SyslogTCP),
		"loki", addrString(s.Addrs().Loki), "sync", s.cfg.Sync)

	<-stop.Done()
	s.log.Info("shutting down: draining listeners")
	deadline := time.Now().Add(s.cfg.ShutdownTimeout)
	timedOut := !waitUntil(&listeners, deadline)
	q.Close()
	if !waitUntil(&writer, deadline) {
		timedOut = true
	}
	var errs []error
	if !timedOut {
		errs = append(errs, writerErr)
		if s.cfg.Sync {
			errs = append(errs, a.Sync())
		} else {
			errs = append(errs, a.Flush())
		}
		if err := a.Files().WaitSealed(); err != nil {
			errs = append(errs, err)
		}
		close(sealsDone)
		if !waitUntil(&indexers, deadline) {
			// The records are safe; only indexes are missing, and the next
			// start builds them. Not worth failing the shutdown for.
			s.log.Warn("index builds still running at the shutdown deadline: cancelled, the next start builds them")
			cancelIdx()
			indexers.Wait()
		}
	}
	if timedOut {
		select {
		case <-sealsDone:
		default:
			close(sealsDone)
		}
	}
	cancelIdx()
	if timedOut {
		errs = append(errs, fmt.Errorf("shutdown took longer than %v", s.cfg.ShutdownTimeout))
	}
	errs = append(errs, listenErrs...)
	st := q.Stats()
	s.log.Info("stopped", "records_written", st.Written, "batches", st.Batches)
	return errors.Join(errs...)
}

func addrString(a net.Addr) string {
	if a == nil {
		return "off"
	}
	return a.String()
}

// waitUntil waits for wg until deadline; false if the deadline passed.
func waitUntil(wg *sync.WaitGroup, deadline time.Time) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// sealIfOld seals the active chunk when it is older than SealAfter. It runs
// on the queue's writer goroutine, between batches.
func (s *Server) sealIfOld(a *archive.Archive) {
	meta, ok := a.Chunks().Active()
	if !ok || meta.Records == 0 || time.Since(meta.ID.Time()) < s.cfg.SealAfter {
		return
	}
	if err := a.Seal(); err != nil && !errors.Is(err, chunk.ErrNoActiveChunk) {
		s.log.Error("sealing by age failed", "chunk", meta.ID.String(), "err", err)
		return
	}
	s.log.Debug("sealed by age", "chunk", meta.ID.String(), "records", meta.Records)
}

// indexLoop indexes sealed chunks one at a time until sealsDone is closed
// and the jobs queued by then are indexed (or ctx ends).
func (s *Server) indexLoop(ctx context.Context, sealsDone <-chan struct{}) {
	build := func(meta chunk.ChunkMeta) {
		if err := s.cfg.Index(ctx, meta); err != nil {
			s.indexErrs.Add(1)
			s.log.Error("index build failed", "chunk", meta.ID.String(), "err", err)
			return
		}
		s.indexed.Add(1)
	}
	for {
		select {
		case meta := <-s.indexJobs:
			build(meta)
		case <-sealsDone:
			for {
				select {
				case meta := <-s.indexJobs:
					if ctx.Err() != nil {
						return
					}
					build(meta)
				default:
					return
				}
			}
		}
	}
}
