package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/require"

	"glarc/archive"
	"glarc/archive/archivetest"
)

// lockedBuffer is a goroutine-safe stderr for an in-process serve.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listeningRE = regexp.MustCompile(`(?m)^listening (\S+) (\S+)$`)

// servedProc is a `glarc serve` running in this process.
type servedProc struct {
	addrs  map[string]string
	stderr *lockedBuffer
	cancel context.CancelFunc
	code   chan int
}

// startServe runs `glarc serve ARGS...` in-process and waits for its
// listening lines; stop cancels its context like SIGINT would.
func startServe(t *testing.T, args ...string) *servedProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &servedProc{stderr: &lockedBuffer{}, cancel: cancel, code: make(chan int, 1)}
	want := 0
	for _, a := range args {
		if a == "--syslog-udp" || a == "--syslog-tcp" || a == "--loki" {
			want++
		}
	}
	go func() {
		p.code <- run(ctx, append([]string{"glarc", "serve"}, args...), strings.NewReader(""), io.Discard, p.stderr)
	}()
	require.Eventually(t, func() bool {
		return len(listeningRE.FindAllString(p.stderr.String(), -1)) == want
	}, 10*time.Second, 5*time.Millisecond, "serve did not start: %s", p.stderr)
	p.addrs = map[string]string{}
	for _, m := range listeningRE.FindAllStringSubmatch(p.stderr.String(), -1) {
		p.addrs[m[1]] = m[2]
	}
	t.Cleanup(func() { cancel() })
	return p
}

// stop shuts serve down and requires a clean exit in bounded time.
func (p *servedProc) stop(t *testing.T) {
	t.Helper()
	start := time.Now()
	p.cancel()
	select {
	case code := <-p.code:
		require.Equal(t, exitOK, code, p.stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop: %s", p.stderr)
	}
	require.Less(t, time.Since(start), 15*time.Second)
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func TestServeUtilLinuxLogger(t *testing.T) {
	logger, err := exec.LookPath("logger")
	if err != nil {
		t.Skip("util-linux logger not installed (apt-get install bsdutils); skipping the real-client test")
	}
	dir := t.TempDir()
	p := startServe(t, "--data", dir, "--syslog-udp", "127.0.0.1:0", "--syslog-tcp", "127.0.0.1:0")
	type send struct {
		args []string
		msg  string
	}
	var sends []send
	for _, proto := range []string{"udp", "tcp"} {
		for _, rfc := range []string{"--rfc3164", "--rfc5424"} {
			framings := []string{""}
			if proto == "tcp" {
				framings = append(framings, "--octet-count")
			}
			for _, fr := range framings {
				msg := fmt.Sprintf("glarc-logger-test %s %s %s", proto, rfc, fr)
				args := []string{"--server", "127.0.0.1", "--port", port(p.addrs["syslog-"+proto]), "--" + proto, rfc, "-t", "glarctest", "-p", "local3.warning"}
				if fr != "" {
					args = append(args, fr)
				}
				sends = append(sends, send{args: append(args, msg), msg: msg})
			}
		}
	}
	for _, s := range sends {
		out, err := exec.Command(logger, s.args...).CombinedOutput()
		require.NoError(t, err, "logger %v: %s", s.args, out)
	}
	time.Sleep(100 * time.Millisecond) // UDP has no ack
	p.stop(t)
	recs := archivetest.Records(t, dir)
	require.Len(t, recs, len(sends), p.stderr.String())
	for _, s := range sends {
		n := 0
		for _, r := range recs {
			if bytes.HasSuffix(r.Raw, []byte(s.msg)) {
				n++
				require.Equal(t, "glarctest", r.Attrs["app"], "%q", r.Raw)
				require.Equal(t, "local3", r.Attrs["facility"])
				require.Equal(t, "warning", r.Attrs["severity"])
				require.Equal(t, "127.0.0.1", r.Attrs["remote_ip"])
				require.False(t, r.SourceTS.IsZero())
			}
		}
		require.Equal(t, 1, n, "%s archived once", s.msg)
	}
}

func promtailPush(t testing.TB, labels string, lines ...string) []byte {
	entries := make([]push.Entry, len(lines))
	for i, l := range lines {
		entries[i] = push.Entry{Timestamp: time.Now(), Line: l}
	}
	req := push.PushRequest{Streams: []push.Stream{{Labels: labels, Entries: entries}}}
	pb, err := req.Marshal()
	require.NoError(t, err)
	return snappy.Encode(nil, pb)
}

func postPush(client *http.Client, addr string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/loki/api/v1/push", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func httpGet(t *testing.T, url string) (int, string) {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeLokiHealthAndMetrics(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, "--data", dir, "--loki", "127.0.0.1:0", "--sync")
	addr := p.addrs["loki"]
	for _, path := range []string{"/ready", "/readyz", "/healthz"} {
		code, _ := httpGet(t, "http://"+addr+path)
		require.Equal(t, http.StatusOK, code, path)
	}
	status, err := postPush(http.DefaultClient, addr, promtailPush(t, `{job="x"}`, "one", "two"))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, status)
	// Acknowledged means readable by another process right away.
	require.Len(t, archivetest.Records(t, dir), 2)
	code, body := httpGet(t, "http://"+addr+"/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`glarc_records_received_total{listener="loki"} 2`,
		`glarc_records_written_total 2`,
		`# TYPE glarc_chunks_sealed_total counter`,
		`glarc_index_builds_total 0`,
		`glarc_records_dropped_total{listener="syslog_udp"} 0`,
	} {
		require.Contains(t, body, want+"\n")
	}
	p.stop(t)
}

func TestServeSecondWriterRefused(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, "--data", dir, "--syslog-tcp", "127.0.0.1:0")
	in := filepath.Join(t.TempDir(), "x.log")
	require.NoError(t, os.WriteFile(in, []byte("Nov 25 20:40:40 vm app: x\n"), 0o644))
	var stderr bytes.Buffer
	code := run(t.Context(), []string{"glarc", "import", "--data", dir, in}, strings.NewReader(""), io.Discard, &stderr)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr.String(), "locked by another writer")
	require.Contains(t, stderr.String(), "glarc serve")
	p.stop(t)
}

func TestServeSealAfter(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, "--data", dir, "--syslog-tcp", "127.0.0.1:0", "--seal-after", "200ms")
	c, err := net.Dial("tcp", p.addrs["syslog-tcp"])
	require.NoError(t, err)
	_, err = c.Write([]byte("<13>Nov 25 20:40:40 vm app: to be sealed by age\n"))
	require.NoError(t, err)
	c.Close()
	require.Eventually(t, func() bool {
		ents, _ := os.ReadDir(filepath.Join(dir, "chunks"))
		return len(ents) == 1
	}, 10*time.Second, 20*time.Millisecond)
	p.stop(t)
	recs := archivetest.Records(t, dir)
	require.Len(t, recs, 1)
	// The sealed chunk was indexed in the background before exit.
	ents, err := os.ReadDir(filepath.Join(dir, "chunks"))
	require.NoError(t, err)
	files, err := os.ReadDir(filepath.Join(dir, "chunks", ents[0].Name()))
	require.NoError(t, err)
	require.Greater(t, len(files), 1, "index files beside the sealed chunk: %v", files)
}

func TestServeShutdownDrainsTCP(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, "--data", dir, "--syslog-tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", p.addrs["syslog-tcp"])
	require.NoError(t, err)
	defer c.Close()
	w := bufio.NewWriter(c)
	const n = 5000
	for i := range n {
		fmt.Fprintf(w, "<13>Nov 25 20:40:40 vm app: drain %d\n", i)
	}
	require.NoError(t, w.Flush())
	time.Sleep(50 * time.Millisecond)
	p.stop(t) // the connection is still open: what was sent is archived
	require.Len(t, archivetest.Records(t, dir), n)
}

// glarcBinary is the test binary installed as `glarc` in $PATH by
// testscript.Main (see script_test.go).
func glarcBinary(t *testing.T) string {
	bin, err := exec.LookPath("glarc")
	if err != nil {
		t.Skipf("glarc test binary not in PATH: %v", err)
	}
	return bin
}

// startServeProc starts `glarc serve` as a child process and returns it
// with the Loki address.
func startServeProc(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil && m[1] == "loki" {
				addr <- m[2]
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve child did not start")
	}
	return nil, ""
}

// TestServeKill9 pushes with acknowledgements from several clients, kills
// serve with SIGKILL at a random moment, restarts it, and checks that every
// acknowledged record is archived exactly once.
func TestServeKill9(t *testing.T) {
	bin := glarcBinary(t)
	dir := t.TempDir()
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	acked := map[string]bool{}
	sent := map[string]bool{}
	var mu sync.Mutex
	for round := range rounds {
		args := []string{"--data", dir, "--loki", "127.0.0.1:0", "--chunk-bytes", "65536"}
		if round%2 == 1 {
			args = append(args, "--sync")
		}
		cmd, addr := startServeProc(t, bin, args...)
		stopPush := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				client := &http.Client{Timeout: 5 * time.Second}
				for seq := 0; ; seq++ {
					select {
					case <-stopPush:
						return
					default:
					}
					lines := make([]string, 20)
					for i := range lines {
						lines[i] = fmt.Sprintf("round=%d writer=%d seq=%d rec=%d %s", round, w, seq, i, strings.Repeat("p", rand.IntN(200)))
					}
					mu.Lock()
					for _, l := range lines {
						sent[l] = true
					}
					mu.Unlock()
					status, err := postPush(client, addr, promtailPush(t, `{job="crash"}`, lines...))
					if err != nil {
						return // killed
					}
					if status == http.StatusNoContent {
						mu.Lock()
						for _, l := range lines {
							acked[l] = true
						}
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		cmd.Wait()
		close(stopPush)
		wg.Wait()
	}
	// A last start recovers, then a clean stop.
	p := startServe(t, "--data", dir, "--loki", "127.0.0.1:0")
	p.stop(t)
	require.Contains(t, p.stderr.String(), "stopped")
	count := map[string]int{}
	for _, r := range archivetest.Records(t, dir) {
		count[string(r.Raw)]++
	}
	require.NotEmpty(t, acked)
	for l := range acked {
		require.Equal(t, 1, count[l], "acknowledged record %q", l)
	}
	for l, n := range count {
		require.True(t, sent[l], "archived record never sent: %q", l)
		require.Equal(t, 1, n, "record archived %d times: %q", n, l)
	}
	t.Logf("%d rounds: %d records acknowledged, %d archived (the rest were in flight at the kill)", rounds, len(acked), len(count))
}

// TestServeRsyslogForwarding starts a real rsyslogd that receives on its
// own loopback UDP and TCP inputs and forwards with omfwd to glarc's TCP
// listener (octet-counted and LF-framed in two actions).
func TestServeRsyslogForwarding(t *testing.T) {
	rsyslogd, err := exec.LookPath("rsyslogd")
	if err != nil {
		t.Skip("rsyslogd not installed (CI installs it with apt-get install -y rsyslog); skipping the forwarding test")
	}
	dir := t.TempDir()
	p := startServe(t, "--data", dir, "--syslog-tcp", "127.0.0.1:0")
	glarcPort := port(p.addrs["syslog-tcp"])
	inUDP, inTCP := freePort(t, "udp"), freePort(t, "tcp")
	work := t.TempDir()
	conf := filepath.Join(work, "rsyslog.conf")
	require.NoError(t, os.WriteFile(conf, fmt.Appendf(nil, `global(workDirectory=%q)
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="%s")
input(type="imtcp" address="127.0.0.1" port="%s")
action(type="omfwd" target="127.0.0.1" port="%s" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
action(type="omfwd" target="127.0.0.1" port="%s" protocol="tcp" TCP_Framing="traditional" template="RSYSLOG_ForwardFormat")
`, work, inUDP, inTCP, glarcPort, glarcPort), 0o644))
	cmd := exec.Command(rsyslogd, "-n", "-f", conf, "-i", filepath.Join(work, "rsyslogd.pid"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	// Wait for rsyslogd's TCP input.
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+inTCP)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "rsyslogd did not start: %s", &out)
	const n = 20
	tc, err := net.Dial("tcp", "127.0.0.1:"+inTCP)
	require.NoError(t, err)
	uc, err := net.Dial("udp", "127.0.0.1:"+inUDP)
	require.NoError(t, err)
	for i := range n {
		fmt.Fprintf(tc, "<14>Nov 25 20:40:40 src app: via rsyslog tcp %d\n", i)
		fmt.Fprintf(uc, "<14>Nov 25 20:40:40 src app: via rsyslog udp %d", i)
		time.Sleep(time.Millisecond)
	}
	tc.Close()
	uc.Close()
	// Two forwarding actions: every message arrives twice.
	require.Eventually(t, func() bool {
		return countArchived(t, dir) >= 4*n
	}, 20*time.Second, 100*time.Millisecond, "rsyslog output: %s", &out)
	p.stop(t)
	recs := archivetest.Records(t, dir)
	require.Len(t, recs, 4*n)
	for _, r := range recs {
		require.Contains(t, string(r.Raw), "via rsyslog")
		require.Equal(t, "src", r.Attrs["host"], "%q", r.Raw)
		require.Equal(t, "app", r.Attrs["app"], "%q", r.Raw)
	}
}

func countArchived(t *testing.T, dir string) int {
	ro, err := archive.OpenReadOnly(dir, archive.Options{})
	if err != nil {
		return 0
	}
	defer ro.Close()
	metas, _ := ro.Chunks().List()
	n := 0
	for _, m := range metas {
		n += int(m.Records)
	}
	return n
}

func freePort(t *testing.T, network string) string {
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer pc.Close()
		return port(pc.LocalAddr().String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return port(ln.Addr().String())
}
