package syslogrx

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/archive"
	"glarc/archive/archivetest"
	"glarc/archive/listen/ingest"
	"glarc/chunk"
)

type capture struct {
	File      string   `json:"file"`
	Transport string   `json:"transport"`
	Framing   string   `json:"framing"`
	RFC       string   `json:"rfc"`
	Frames    []string `json:"frames"`
	Datagrams []struct {
		RFC     string `json:"rfc"`
		Payload string `json:"payload"`
	} `json:"datagrams"`
}

// wireDir is ../shared/testdata/syslog_wire from the module root; the test
// skips when it is absent.
func wireDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "testdata", "syslog_wire")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared syslog captures not found at %s: %v", dir, err)
	}
	return dir
}

func loadCaptures(t testing.TB) []capture {
	data, err := os.ReadFile(filepath.Join(wireDir(t), "captures.json"))
	require.NoError(t, err)
	var caps []capture
	require.NoError(t, json.Unmarshal(data, &caps))
	return caps
}

// testArchive is a real archive in a temp dir with a running queue.
type testArchive struct {
	dir  string
	a    *archive.Archive
	q    *ingest.Queue
	done chan error
}

func newTestArchive(t *testing.T, qopts ingest.Options) *testArchive {
	dir := t.TempDir()
	a, err := archive.Open(dir, archive.Options{Owner: "test"})
	require.NoError(t, err)
	ta := &testArchive{dir: dir, a: a, q: ingest.New(a, qopts), done: make(chan error, 1)}
	go func() { ta.done <- ta.q.Run() }()
	t.Cleanup(func() { ta.close(t) })
	return ta
}

// close stops the queue, closes the archive and returns every record.
func (ta *testArchive) close(t *testing.T) []chunk.Record {
	if ta.a == nil {
		return nil
	}
	ta.q.Close()
	require.NoError(t, <-ta.done)
	require.NoError(t, ta.a.Close())
	ta.a = nil
	return archivetest.Records(t, ta.dir)
}

func serveCtx(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	return ctx, cancel
}
