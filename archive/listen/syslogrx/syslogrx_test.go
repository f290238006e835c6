package syslogrx

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/archive/listen/ingest"
	"glarc/chunk"
)

func raws(recs []chunk.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Raw)
	}
	return out
}

// startTCP serves TCP on 127.0.0.1:0 into ta; stop ends it and waits.
func startTCP(t *testing.T, ta *testArchive, opts Options) (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := serveCtx(t)
	done := make(chan error, 1)
	go func() { done <- ServeTCP(ctx, ln, ta.q, opts) }()
	return ln.Addr().String(), func() {
		cancel()
		require.NoError(t, <-done)
	}
}

func startUDP(t *testing.T, ta *testArchive, opts Options) (addr string, stop func()) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := serveCtx(t)
	done := make(chan error, 1)
	go func() { done <- ServeUDP(ctx, pc, ta.q, opts) }()
	return pc.LocalAddr().String(), func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// waitWritten waits until the queue has written n records.
func waitWritten(t *testing.T, q *ingest.Queue, n int64) {
	require.Eventually(t, func() bool { return q.Stats().Written >= n }, 10*time.Second, 5*time.Millisecond)
}

func TestTCPCapturesReplayed(t *testing.T) {
	caps := loadCaptures(t)
	for _, c := range caps {
		if c.File == "" {
			continue
		}
		t.Run(c.File, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(wireDir(t), c.File))
			require.NoError(t, err)
			ta := newTestArchive(t, ingest.Options{})
			var counters ingest.Counters
			addr, stop := startTCP(t, ta, Options{Counters: &counters, Location: time.UTC})
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			_, err = conn.Write(data)
			require.NoError(t, err)
			require.NoError(t, conn.Close())
			waitWritten(t, ta.q, int64(len(c.Frames)))
			stop()
			recs := ta.close(t)
			require.Equal(t, c.Frames, raws(recs))
			for _, r := range recs {
				require.Equal(t, "127.0.0.1", r.Attrs[AttrRemoteIP])
				require.Equal(t, "vm", r.Attrs["host"])
				require.NotEmpty(t, r.Attrs["app"])
				require.NotEmpty(t, r.Attrs["facility"])
				require.False(t, r.SourceTS.IsZero())
			}
			require.EqualValues(t, len(c.Frames), counters.Received.Load())
			require.Zero(t, counters.Rejected.Load())
		})
	}
}

func TestTCPAllCapturesOneConnection(t *testing.T) {
	caps := loadCaptures(t)
	var stream []byte
	var want []string
	for _, c := range caps {
		if c.File == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(wireDir(t), c.File))
		require.NoError(t, err)
		stream = append(stream, data...)
		want = append(want, c.Frames...)
	}
	ta := newTestArchive(t, ingest.Options{})
	addr, stop := startTCP(t, ta, Options{})
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	for chunk := range slices.Chunk(stream, 7) { // odd pieces: frames split across reads
		_, err = conn.Write(chunk)
		require.NoError(t, err)
	}
	require.NoError(t, conn.Close())
	waitWritten(t, ta.q, int64(len(want)))
	stop()
	require.Equal(t, want, raws(ta.close(t)))
}

func TestUDPCapturesReplayed(t *testing.T) {
	caps := loadCaptures(t)
	ta := newTestArchive(t, ingest.Options{})
	var counters ingest.Counters
	addr, stop := startUDP(t, ta, Options{Counters: &counters})
	conn, err := net.Dial("udp", addr)
	require.NoError(t, err)
	var want []string
	for _, c := range caps {
		for _, d := range c.Datagrams {
			_, err := conn.Write([]byte(d.Payload))
			require.NoError(t, err)
			want = append(want, d.Payload)
			waitWritten(t, ta.q, int64(len(want))) // keep order: one at a time
		}
	}
	stop()
	recs := ta.close(t)
	require.ElementsMatch(t, want, raws(recs))
	byRaw := map[string]chunk.Record{}
	for _, r := range recs {
		byRaw[string(r.Raw)] = r
		require.Equal(t, "127.0.0.1", r.Attrs[AttrRemoteIP])
	}
	sd := byRaw[want[1]]
	require.Equal(t, `a "quoted" \ value`, sd.Attrs["note"])
	require.Equal(t, "192.0.2.1", sd.Attrs["ip"])
	require.Equal(t, "local7", sd.Attrs["facility"])
	require.Equal(t, "debug", sd.Attrs["severity"])
	noTime := byRaw[want[3]]
	require.True(t, noTime.SourceTS.IsZero())
	require.False(t, noTime.IngestTS.IsZero())
	require.EqualValues(t, 4, counters.Received.Load())
}

func TestTCPBadFrameClosesOnlyThatConnection(t *testing.T) {
	ta := newTestArchive(t, ingest.Options{})
	var counters ingest.Counters
	addr, stop := startTCP(t, ta, Options{MaxFrame: 32, Counters: &counters})
	bad, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = bad.Write([]byte("<13>ok before\n99999 x"))
	require.NoError(t, err)
	bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = bad.Read(make([]byte, 1))
	require.Error(t, err, "the server closes the connection") // EOF or reset
	bad.Close()
	good, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = good.Write([]byte("<13>still serving\n"))
	require.NoError(t, err)
	good.Close()
	waitWritten(t, ta.q, 2)
	stop()
	require.Equal(t, []string{"<13>ok before", "<13>still serving"}, raws(ta.close(t)))
	require.EqualValues(t, 1, counters.Rejected.Load())
}

func TestTCPIdleTimeout(t *testing.T) {
	ta := newTestArchive(t, ingest.Options{})
	addr, stop := startTCP(t, ta, Options{IdleTimeout: 100 * time.Millisecond})
	defer stop()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	require.Less(t, time.Since(start), 4*time.Second)
}

func TestTCPShutdownDrainsReceived(t *testing.T) {
	ta := newTestArchive(t, ingest.Options{})
	addr, stop := startTCP(t, ta, Options{})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	var buf bytes.Buffer
	const n = 2000
	for i := range n {
		buf.WriteString("<13>Nov 25 20:40:40 vm app: line ")
		buf.WriteString(strings.Repeat("x", i%50))
		buf.WriteByte('\n')
	}
	_, err = c.Write(buf.Bytes())
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond) // in the kernel buffer or read
	stop()                            // the connection is still open
	require.Len(t, ta.close(t), n)
}

func TestTCPBackpressure(t *testing.T) {
	// A tiny queue: the sender is slowed, nothing is dropped.
	ta := newTestArchive(t, ingest.Options{MaxBytes: 4 << 10, MaxItems: 2})
	var counters ingest.Counters
	addr, stop := startTCP(t, ta, Options{Counters: &counters})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	const n = 20000
	var buf bytes.Buffer
	for range n {
		buf.WriteString("<13>Nov 25 20:40:40 vm app: backpressure\n")
	}
	_, err = c.Write(buf.Bytes())
	require.NoError(t, err)
	require.NoError(t, c.Close())
	waitWritten(t, ta.q, n)
	stop()
	require.Len(t, ta.close(t), n)
	require.Zero(t, counters.Dropped.Load())
}

func TestRecordAttrLimit(t *testing.T) {
	msg := []byte(`<13>1 2026-11-25T20:40:40Z vm app 12 M1 [a x1="1" x2="2" x3="3" x4="4"] hi`)
	rec := Record(msg, "192.0.2.7", time.Now(), Options{MaxAttrs: 7})
	require.Len(t, rec.Attrs, 7)
	for _, k := range []string{AttrRemoteIP, "host", "app", "pid", "msgid", "facility", "severity"} {
		require.Contains(t, rec.Attrs, k)
	}
	rec = Record([]byte("not syslog at all"), "", time.Now(), Options{})
	require.Empty(t, rec.Attrs)
	require.True(t, rec.SourceTS.IsZero())
}

func TestRecordYearRollover(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 5, 0, time.UTC)
	rec := Record([]byte("<13>Dec 31 23:59:58 vm app: late"), "", now, Options{Location: time.UTC})
	require.Equal(t, time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC), rec.SourceTS)
}
