// Package syslogrx receives syslog over the network for glarc serve: one
// message per UDP datagram, and RFC 6587 TCP streams (octet counting and
// newline-delimited, detected per frame). Each message is parsed with
// archive/syslog (RFC 3164 or 5424, per message); one that does not parse
// is kept raw. The sender's address becomes the remote_ip attribute.
//
//	q := ingest.New(a, ingest.Options{})
//	ln, _ := net.Listen("tcp", "127.0.0.1:6514")
//	err := syslogrx.ServeTCP(ctx, ln, q, syslogrx.Options{Counters: &c})
//
//	pc, _ := net.ListenPacket("udp", "127.0.0.1:5514")
//	err = syslogrx.ServeUDP(ctx, pc, q, syslogrx.Options{})
//
// Both return once ctx is done and what was already received is queued.
// TCP connections get backpressure when the queue is full; UDP datagrams
// are dropped and counted.
package syslogrx

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"glarc/archive/listen/ingest"
	"glarc/archive/syslog"
	"glarc/chunk"
)

// AttrRemoteIP is the attribute holding the sender's IP address.
const AttrRemoteIP = "remote_ip"

// Defaults of Options.
const (
	DefaultMaxFrame    = 64 << 10
	DefaultMaxConns    = 1024
	DefaultIdleTimeout = 5 * time.Minute
	DefaultMaxAttrs    = 64
	// DefaultDrainIdle ends a stopping listener's reading of a connection
	// or socket once nothing arrived for this long.
	DefaultDrainIdle = 200 * time.Millisecond
	// DefaultDrainMax bounds how long a stopping listener keeps reading.
	DefaultDrainMax = 5 * time.Second
	// batchRecords bounds the records a connection queues at once.
	batchRecords = 512
	// arenaBytes is the raw text buffer a batch starts with.
	arenaBytes  = 32 << 10
	maxDatagram = 64 << 10
	// connReadBuffer is the kernel receive buffer of a TCP connection. A
	// fixed size (instead of autotuning up to several MiB) keeps the data
	// a stopping listener must drain, and the data hidden from
	// backpressure, small.
	connReadBuffer = 256 << 10
)

// Options configure the listeners. The zero value is usable.
type Options struct {
	// MaxFrame bounds one message (octet count, line, datagram).
	MaxFrame int
	// MaxConns bounds concurrent TCP connections; more wait in the backlog.
	MaxConns int
	// IdleTimeout closes a TCP connection that sends nothing for this long.
	IdleTimeout time.Duration
	// MaxAttrs bounds the attributes of one record; extra RFC 5424 SD
	// params are left out (the raw message keeps them).
	MaxAttrs int
	// DrainIdle and DrainMax bound the drain after ctx is done: reading
	// goes on while data keeps arriving (what senders already sent, much
	// of it in kernel buffers), until a gap of DrainIdle or DrainMax in all.
	DrainIdle, DrainMax time.Duration
	// Location is the zone of RFC 3164 stamps; nil means time.Local.
	Location *time.Location
	// Counters, if set, are updated.
	Counters *ingest.Counters
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// Now is the clock for IngestTS; nil means time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	o.MaxFrame = cmp.Or(o.MaxFrame, DefaultMaxFrame)
	o.MaxConns = cmp.Or(o.MaxConns, DefaultMaxConns)
	o.IdleTimeout = cmp.Or(o.IdleTimeout, DefaultIdleTimeout)
	o.MaxAttrs = cmp.Or(o.MaxAttrs, DefaultMaxAttrs)
	o.DrainIdle = cmp.Or(o.DrainIdle, DefaultDrainIdle)
	o.DrainMax = cmp.Or(o.DrainMax, DefaultDrainMax)
	if o.Counters == nil {
		o.Counters = new(ingest.Counters)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// isStandard reports whether k is kept first when a record has too many
// attributes.
func isStandard(k string) bool {
	switch k {
	case AttrRemoteIP, syslog.AttrHost, syslog.AttrApp, syslog.AttrPID,
		syslog.AttrMsgID, syslog.AttrFacility, syslog.AttrSeverity:
		return true
	}
	return false
}

// Record parses one message into a record read at now from remote (may be
// empty). raw is kept, not copied. A message that does not parse becomes a
// raw record; a year-less stamp more than a day ahead of now is taken as
// last year's.
func Record(raw []byte, remote string, now time.Time, opts Options) chunk.Record {
	loc := cmp.Or(opts.Location, time.Local)
	rec := chunk.Record{IngestTS: now, Raw: raw, Attrs: make(chunk.Attributes, 8)}
	if m, err := syslog.Parse(raw, syslog.Options{Year: now.In(loc).Year(), Location: loc}); err == nil {
		m.AppendAttrs(rec.Attrs)
		rec.SourceTS = m.Timestamp
		if !m.HasYear && rec.SourceTS.After(now.Add(24*time.Hour)) {
			rec.SourceTS = rec.SourceTS.AddDate(-1, 0, 0)
		}
	}
	if remote != "" {
		rec.Attrs[AttrRemoteIP] = remote
	}
	if limit := cmp.Or(opts.MaxAttrs, DefaultMaxAttrs); len(rec.Attrs) > limit {
		trimAttrs(rec.Attrs, limit)
	}
	return rec
}

// trimAttrs drops SD-param attributes (the last in key order first) until
// a holds limit keys.
func trimAttrs(a chunk.Attributes, limit int) {
	var extra []string
	for k := range a {
		if !isStandard(k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for len(a) > limit && len(extra) > 0 {
		delete(a, extra[len(extra)-1])
		extra = extra[:len(extra)-1]
	}
}

// ipString returns an address without port, IPv4-mapped addresses unmapped.
func ipString(addr net.Addr) string {
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		return ap.Addr().Unmap().String()
	}
	return addr.String()
}

// ServeUDP reads datagrams from pc until ctx is done (then drains while
// datagrams keep coming, see Options.DrainIdle), one message each, and queues them
// with TryPut: a full queue drops the datagram and counts it. It closes pc.
func ServeUDP(ctx context.Context, pc net.PacketConn, q *ingest.Queue, opts Options) error {
	opts = opts.withDefaults()
	log := opts.Logger.With("listener", "syslog-udp", "addr", pc.LocalAddr().String())
	defer pc.Close()
	var drainEnd time.Time // set once ctx is done; read only by this goroutine after
	stop := context.AfterFunc(ctx, func() { pc.SetReadDeadline(time.Now().Add(opts.DrainIdle)) })
	defer stop()
	buf := make([]byte, maxDatagram)
	var lastAddr netip.Addr
	var lastIP string
	for {
		n, addr, err := readFrom(pc, buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if isTimeout(err) {
				continue
			}
			return err
		}
		if ctx.Err() != nil {
			// Draining: keep reading while data comes, for at most DrainMax.
			if drainEnd.IsZero() {
				drainEnd = time.Now().Add(opts.DrainMax)
			}
			next := time.Now().Add(opts.DrainIdle)
			if next.After(drainEnd) {
				next = drainEnd
			}
			pc.SetReadDeadline(next)
		}
		opts.Counters.Bytes.Add(int64(n))
		msg := buf[:n]
		msg = bytes.TrimSuffix(msg, []byte{'\n'})
		if len(msg) == 0 {
			continue
		}
		if len(msg) > opts.MaxFrame {
			opts.Counters.Rejected.Add(1)
			log.Debug("datagram too large", "bytes", n, "max", opts.MaxFrame)
			continue
		}
		if a := addr.Unmap(); a != lastAddr || lastIP == "" {
			lastAddr, lastIP = a, a.String()
		}
		rec := Record(bytes.Clone(msg), lastIP, opts.Now(), opts)
		if err := q.TryPut([]chunk.Record{rec}); err != nil {
			opts.Counters.Dropped.Add(1)
			continue
		}
		opts.Counters.Received.Add(1)
	}
}

func readFrom(pc net.PacketConn, buf []byte) (int, netip.Addr, error) {
	if u, ok := pc.(*net.UDPConn); ok {
		n, ap, err := u.ReadFromUDPAddrPort(buf)
		return n, ap.Addr(), err
	}
	n, addr, err := pc.ReadFrom(buf)
	if err != nil {
		return n, netip.Addr{}, err
	}
	ap, _ := netip.ParseAddrPort(addr.String())
	return n, ap.Addr(), nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// ServeTCP accepts connections on ln until ctx is done, then closes ln,
// drains what connections already sent (see Options.DrainIdle), queues it and
// returns once every connection is closed. A connection whose frame is
// too large or truncated is closed with a logged reason; the listener goes
// on. Records are queued with Put: a full queue stops reading
// (backpressure).
func ServeTCP(ctx context.Context, ln net.Listener, q *ingest.Queue, opts Options) error {
	opts = opts.withDefaults()
	log := opts.Logger.With("listener", "syslog-tcp", "addr", ln.Addr().String())
	// hard ends queueing: after the drain, or when the queue fails.
	hard, cancelHard := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHard()
	var (
		mu    sync.Mutex // guards conns
		conns = make(map[net.Conn]struct{})
		wg    sync.WaitGroup
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.SetReadDeadline(time.Now().Add(opts.DrainIdle))
		}
		mu.Unlock()
		time.AfterFunc(opts.DrainMax, func() {
			cancelHard()
			mu.Lock()
			for c := range conns {
				c.Close()
			}
			mu.Unlock()
		})
	})
	defer stop()
	slots := make(chan struct{}, opts.MaxConns)
	var acceptErr error
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		c, err := ln.Accept()
		if err != nil {
			<-slots
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			if isTimeout(err) {
				continue
			}
			acceptErr = err
			break
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(connReadBuffer)
		}
		mu.Lock()
		conns[c] = struct{}{}
		if ctx.Err() != nil {
			c.SetReadDeadline(time.Now().Add(opts.DrainIdle))
		}
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				<-slots
			}()
			serveConn(ctx, hard, c, q, opts, log)
		})
	}
	ln.Close()
	wg.Wait()
	return acceptErr
}

// idleReader sets the read deadline before every read: the idle timeout,
// or while the listener drains, the drain gap.
type idleReader struct {
	c         net.Conn
	idle, gap time.Duration
	ctx       context.Context
}

func (r idleReader) Read(p []byte) (int, error) {
	d := r.idle
	if r.ctx.Err() != nil {
		d = r.gap
	}
	r.c.SetReadDeadline(time.Now().Add(d))
	return r.c.Read(p)
}

func serveConn(ctx, hard context.Context, c net.Conn, q *ingest.Queue, opts Options, log *slog.Logger) {
	remote := ipString(c.RemoteAddr())
	log = log.With("remote", c.RemoteAddr().String())
	log.Debug("connection opened")
	fr := NewFrameReader(idleReader{c: c, idle: opts.IdleTimeout, gap: opts.DrainIdle, ctx: ctx}, opts.MaxFrame)
	var batch []chunk.Record
	var arena []byte
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		err := q.Put(hard, batch)
		if err != nil {
			opts.Counters.Dropped.Add(int64(len(batch)))
			log.Warn("records not queued; closing connection", "records", len(batch), "err", err)
			return false
		}
		opts.Counters.Received.Add(int64(len(batch)))
		batch, arena = nil, nil
		return true
	}
	for {
		msg, err := fr.Next()
		if err != nil {
			flush()
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
				log.Debug("connection closed by peer")
			case isTimeout(err) && ctx.Err() != nil:
				log.Debug("connection closed: shutting down")
			case isTimeout(err):
				log.Info("connection closed: idle", "timeout", opts.IdleTimeout)
			case errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrTruncatedFrame):
				opts.Counters.Rejected.Add(1)
				log.Warn("connection closed: bad frame", "err", err)
			default:
				log.Warn("connection closed", "err", err)
			}
			return
		}
		opts.Counters.Bytes.Add(int64(len(msg)))
		if cap(arena)-len(arena) < len(msg) {
			arena = make([]byte, 0, max(arenaBytes, len(msg)))
		}
		start := len(arena)
		arena = append(arena, msg...)
		batch = append(batch, Record(arena[start:len(arena):len(arena)], remote, opts.Now(), opts))
		if len(batch) >= batchRecords || fr.Buffered() == 0 {
			if !flush() {
				return
			}
		}
	}
}
