package main

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/require"
)

// followProc is a `glarc query --follow` child process whose stdout lines
// are collected as they come.
type followProc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	mu     sync.Mutex
	lines  []string
	done   chan struct{} // closed when stdout reached EOF
}

// startFollow starts `glarc query ARGS...` (ARGS include -f) as a child
// process; it is killed at the end of the test if still running.
func startFollow(t *testing.T, args ...string) *followProc {
	t.Helper()
	bin := glarcBinary(t)
	p := &followProc{stderr: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"query"}, args...)...)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *followProc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// waitLines waits up to 10 s until the process has printed n lines.
func (p *followProc) waitLines(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(p.output()) >= n }, 10*time.Second, 10*time.Millisecond,
		"follow printed %q, want %d lines; stderr: %s", p.output(), n, p.stderr)
}

// interrupt sends SIGINT and requires exit code 0 within 10 s.
func (p *followProc) interrupt(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	exited := make(chan error, 1)
	go func() {
		<-p.done // stdout must be read to the end before Wait
		exited <- p.cmd.Wait()
	}()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("query --follow exited with %v after SIGINT; stderr: %s", ee, p.stderr)
		}
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatalf("query --follow did not stop after SIGINT; stderr: %s", p.stderr)
	}
}

// pushAt posts one snappy protobuf push of entries at the given times and
// requires 204.
func pushAt(t *testing.T, addr string, entries ...push.Entry) {
	t.Helper()
	req := push.PushRequest{Streams: []push.Stream{{Labels: `{job="follow"}`, Entries: entries}}}
	pb, err := req.Marshal()
	require.NoError(t, err)
	status, err := postPush(http.DefaultClient, addr, snappy.Encode(nil, pb))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, status)
}

// TestFollowServe: `query --follow` in another process prints what was
// archived before it started, then the records serve receives afterwards,
// in order and once each, and exits 0 on SIGINT.
func TestFollowServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServe(t, "--data", dir, "--loki", "127.0.0.1:0")
	addr := s.addrs["loki"]
	status, err := postPush(http.DefaultClient, addr, promtailPush(t, `{job="follow"}`, "follow one"))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, status)

	f := startFollow(t, "--data", dir, "-f", "-o", "raw")
	f.waitLines(t, 1)
	require.Equal(t, []string{"follow one"}, f.output())

	status, err = postPush(http.DefaultClient, addr, promtailPush(t, `{job="follow"}`, "follow two"))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, status)
	status, err = postPush(http.DefaultClient, addr, promtailPush(t, `{job="follow"}`, "follow three"))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, status)
	f.waitLines(t, 3)
	// Two more polls: nothing is printed twice.
	time.Sleep(2 * followInterval)
	f.interrupt(t)
	require.Equal(t, []string{"follow one", "follow two", "follow three"}, f.output(), "stderr: %s", f.stderr)
	s.stop(t)
}

// TestFollowServeTies: records pushed with the same time as the last one
// printed (the same line again, and another line) are printed too, once
// each.
func TestFollowServeTies(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServe(t, "--data", dir, "--loki", "127.0.0.1:0")
	addr := s.addrs["loki"]
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	pushAt(t, addr, push.Entry{Timestamp: t0, Line: "tie a"}, push.Entry{Timestamp: t0, Line: "tie a"})

	f := startFollow(t, "--data", dir, "-f", "-o", "raw", "tie")
	f.waitLines(t, 2)
	pushAt(t, addr, push.Entry{Timestamp: t0, Line: "tie a"})
	f.waitLines(t, 3)
	pushAt(t, addr, push.Entry{Timestamp: t0, Line: "tie b"})
	f.waitLines(t, 4)
	pushAt(t, addr, push.Entry{Timestamp: t0.Add(time.Second), Line: "tie c"})
	f.waitLines(t, 5)
	time.Sleep(2 * followInterval)
	f.interrupt(t)
	require.Equal(t, []string{"tie a", "tie a", "tie a", "tie b", "tie c"}, f.output(), "stderr: %s", f.stderr)
	s.stop(t)
}

// TestFollowRepeatedLinesAtLimit: more identical lines at the newest time
// than --follow shows at start (10) are printed 10 times, not again at the
// first poll.
func TestFollowRepeatedLinesAtLimit(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	writeLines(t, filepath.Join(work, "a.log"), slices.Repeat([]string{"Mar  1 10:00:00 h app: same line"}, 13))
	atRunOK(t, "import", "-q", "--data", data, "--year", "2005", "--tz", "UTC", filepath.Join(work, "a.log"))
	ctx, cancel := context.WithTimeout(t.Context(), 3*followInterval)
	defer cancel()
	var out, errs strings.Builder
	code := run(ctx, []string{"glarc", "query", "--data", data, "-f", "-o", "raw"}, strings.NewReader(""), &out, &errs)
	require.Equal(t, exitOK, code, errs.String())
	require.Equal(t, 10, strings.Count(out.String(), "\n"), "%s", out.String())
}
