package lokihttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/require"

	"glarc/archive"
	"glarc/archive/archivetest"
	"glarc/archive/listen/ingest"
	"glarc/archive/loki"
	"glarc/chunk"
)

func lokiDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "testdata", "loki")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared Loki samples not found at %s: %v", dir, err)
	}
	return dir
}

// rig is a push handler over a real archive on an httptest server.
type rig struct {
	dir      string
	a        *archive.Archive
	q        *ingest.Queue
	done     chan error
	srv      *httptest.Server
	counters *ingest.Counters
}

func newRig(t *testing.T, opts Options, qopts ingest.Options, run bool) *rig {
	dir := t.TempDir()
	a, err := archive.Open(dir, archive.Options{Owner: "test"})
	require.NoError(t, err)
	r := &rig{dir: dir, a: a, q: ingest.New(a, qopts), done: make(chan error, 1), counters: new(ingest.Counters)}
	opts.Counters = r.counters
	r.srv = httptest.NewServer(NewPushHandler(r.q, opts))
	if run {
		r.run()
	}
	t.Cleanup(func() { r.close(t) })
	return r
}

func (r *rig) run() { go func() { r.done <- r.q.Run() }() }

// close stops everything and returns the archived records.
func (r *rig) close(t *testing.T) []chunk.Record {
	if r.a == nil {
		return nil
	}
	r.srv.Close()
	r.q.Close()
	require.NoError(t, <-r.done)
	require.NoError(t, r.a.Close())
	r.a = nil
	return archivetest.Records(t, r.dir)
}

func (r *rig) post(t *testing.T, ctype, enc string, body []byte, hdr ...string) (int, string) {
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+"/loki/api/v1/push", bytes.NewReader(body))
	require.NoError(t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if enc != "" {
		req.Header.Set("Content-Encoding", enc)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type expectEntry struct {
	Labels             string            `json:"labels"`
	TSNS               string            `json:"ts_ns"`
	Line               string            `json:"line"`
	StructuredMetadata map[string]string `json:"structured_metadata"`
}

type httpCase struct {
	Name            string        `json:"name"`
	ContentType     string        `json:"content_type"`
	ContentEncoding string        `json:"content_encoding"`
	Body            *string       `json:"body"`
	BodyBase64      string        `json:"body_base64"`
	BodyFile        string        `json:"body_file"`
	Valid           bool          `json:"valid"`
	Expect          []expectEntry `json:"expect"`
}

func (e expectEntry) attrs(t *testing.T) chunk.Attributes {
	a, err := loki.ParseLabels(e.Labels)
	require.NoError(t, err)
	maps.Copy(a, e.StructuredMetadata)
	return a
}

func TestPushHTTPCases(t *testing.T) {
	dir := lokiDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "push_http_cases.jsonl"))
	require.NoError(t, err)
	for line := range strings.Lines(string(data)) {
		var c httpCase
		require.NoError(t, json.Unmarshal([]byte(line), &c))
		t.Run(c.Name, func(t *testing.T) {
			var body []byte
			switch {
			case c.Body != nil:
				body = []byte(*c.Body)
			case c.BodyBase64 != "":
				body, err = base64.StdEncoding.DecodeString(c.BodyBase64)
				require.NoError(t, err)
			case c.BodyFile != "":
				body, err = os.ReadFile(filepath.Join(dir, c.BodyFile))
				require.NoError(t, err)
			}
			r := newRig(t, Options{}, ingest.Options{}, true)
			status, msg := r.post(t, c.ContentType, c.ContentEncoding, body)
			if !c.Valid {
				require.Equal(t, http.StatusBadRequest, status)
				require.NotEmpty(t, strings.TrimSpace(msg), "400 carries a reason")
				require.Empty(t, r.close(t))
				require.EqualValues(t, 1, r.counters.Rejected.Load())
				return
			}
			require.Equal(t, http.StatusNoContent, status, msg)
			require.Empty(t, msg)
			recs := r.close(t)
			if c.Expect == nil { // sample files: compare with push_v1.expected.jsonl
				c.Expect = loadExpected(t, dir)
			}
			require.Len(t, recs, len(c.Expect))
			got := map[string]int{}
			want := map[string]int{}
			for _, rec := range recs {
				got[fmt.Sprint(rec.SourceTS.UnixNano(), string(rec.Raw), rec.Attrs)]++
			}
			for _, e := range c.Expect {
				ns, err := strconv.ParseInt(e.TSNS, 10, 64)
				require.NoError(t, err)
				want[fmt.Sprint(ns, e.Line, e.attrs(t))]++
			}
			require.Equal(t, want, got)
		})
	}
}

func loadExpected(t *testing.T, dir string) []expectEntry {
	data, err := os.ReadFile(filepath.Join(dir, "push_v1.expected.jsonl"))
	require.NoError(t, err)
	var out []expectEntry
	for line := range strings.Lines(string(data)) {
		var e expectEntry
		require.NoError(t, json.Unmarshal([]byte(line), &e))
		out = append(out, e)
	}
	return out
}

// promtailBody encodes a push the way promtail does: gogo protobuf, then a
// snappy block.
func promtailBody(t *testing.T, streams ...push.Stream) []byte {
	req := push.PushRequest{Streams: streams}
	pb, err := req.Marshal()
	require.NoError(t, err)
	return snappy.Encode(nil, pb)
}

func TestPushPromtailProto(t *testing.T) {
	r := newRig(t, Options{}, ingest.Options{Sync: true}, true)
	ts := time.Date(2026, 11, 25, 20, 40, 39, 123456789, time.UTC)
	body := promtailBody(t,
		push.Stream{Labels: `{job="varlogs", host="web1"}`, Entries: []push.Entry{
			{Timestamp: ts, Line: "first"},
			{Timestamp: ts.Add(time.Second), Line: "second\nwith lf", StructuredMetadata: push.LabelsAdapter{{Name: "trace_id", Value: "abc"}}},
		}},
		push.Stream{Labels: `{job="app", env="prod"}`, Entries: []push.Entry{{Timestamp: ts, Line: "third"}}},
	)
	status, msg := r.post(t, "application/x-protobuf", "", body, "X-Scope-OrgID", "team-a")
	require.Equal(t, http.StatusNoContent, status, msg)
	recs := r.close(t)
	require.Len(t, recs, 3)
	byLine := map[string]chunk.Record{}
	for _, rec := range recs {
		byLine[string(rec.Raw)] = rec
		require.Equal(t, "team-a", rec.Attrs[AttrTenant])
	}
	require.Equal(t, ts, byLine["first"].SourceTS)
	require.Equal(t, chunk.Attributes{"job": "varlogs", "host": "web1", "trace_id": "abc", "tenant": "team-a"}, byLine["second\nwith lf"].Attrs)
	require.Equal(t, "prod", byLine["third"].Attrs["env"])
	require.EqualValues(t, 3, r.counters.Received.Load())
}

func TestPushTenantClash(t *testing.T) {
	r := newRig(t, Options{}, ingest.Options{}, true)
	body := `{"streams":[{"stream":{"tenant":"label"},"values":[["1","x"]]}]}`
	status, _ := r.post(t, "application/json", "", []byte(body), "X-Scope-OrgID", "hdr")
	require.Equal(t, http.StatusNoContent, status)
	recs := r.close(t)
	require.Equal(t, chunk.Attributes{"tenant": "label", "tenant_header": "hdr"}, recs[0].Attrs)
}

func TestPushLimits(t *testing.T) {
	ok := `{"streams":[{"stream":{"a":"b"},"values":[["1","line"]]}]}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"streams":[{"stream":{"a":"b"},"values":[["1","` + strings.Repeat("z", 100000) + `"]]}]}`))
	zw.Close()
	tests := []struct {
		name   string
		opts   Options
		ctype  string
		enc    string
		body   string
		status int
		reason string
	}{
		{"ok", Options{}, "application/json", "", ok, 204, ""},
		{"body over limit", Options{MaxBodyBytes: 10}, "application/json", "", ok, 413, "larger than 10 bytes"},
		{"decoded over limit", Options{MaxBodyBytes: 1 << 20, MaxDecodedBytes: 1000}, "application/json", "gzip", gz.String(), 413, "after gzip"},
		{"line over limit", Options{MaxLineBytes: 3}, "application/json", "", ok, 400, "line of 4 bytes"},
		{"too many labels", Options{MaxAttrs: 1}, "application/json", "", `{"streams":[{"stream":{"a":"b","c":"d"},"values":[["1","x"]]}]}`, 400, "2 labels"},
		{"unknown encoding", Options{}, "application/json", "br", ok, 400, `Content-Encoding "br" not supported`},
		{"bad gzip", Options{}, "application/json", "gzip", ok, 400, "gzip"},
		{"bad protobuf", Options{}, "application/x-protobuf", "", "not snappy", 400, "invalid push body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.opts, ingest.Options{}, true)
			status, msg := r.post(t, tt.ctype, tt.enc, []byte(tt.body))
			require.Equal(t, tt.status, status, msg)
			require.Contains(t, msg, tt.reason)
		})
	}
}

func TestPushMethod(t *testing.T) {
	r := newRig(t, Options{}, ingest.Options{}, true)
	resp, err := http.Get(r.srv.URL + "/loki/api/v1/push")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestPushQueueFull429(t *testing.T) {
	// The writer is not running yet, and one push fills the queue.
	r := newRig(t, Options{}, ingest.Options{MaxBytes: 64}, false)
	body := []byte(`{"streams":[{"stream":{"a":"b"},"values":[["1","first"]]}]}`)
	first := make(chan int, 1)
	go func() {
		s, _ := r.post(t, "application/json", "", body)
		first <- s
	}()
	require.Eventually(t, func() bool { return r.q.Stats().Queued > 0 }, 5*time.Second, time.Millisecond)
	status, msg := r.post(t, "application/json", "", []byte(`{"streams":[{"stream":{"a":"b"},"values":[["2","second"]]}]}`))
	require.Equal(t, http.StatusTooManyRequests, status, msg)
	select {
	case <-first:
		t.Fatal("acknowledged before the records were written")
	case <-time.After(50 * time.Millisecond):
	}
	r.run()
	require.Equal(t, http.StatusNoContent, <-first)
	recs := r.close(t)
	require.Len(t, recs, 1)
	require.Equal(t, "first", string(recs[0].Raw))
	require.EqualValues(t, 1, r.counters.Dropped.Load())
}

func TestPushAuth(t *testing.T) {
	auth, err := ParseAuth([]byte("# creds\nbearer s3cret\nbasic alice:pw:with:colons\n"))
	require.NoError(t, err)
	r := newRig(t, Options{Auth: auth}, ingest.Options{}, true)
	body := []byte(`{"streams":[{"stream":{"a":"b"},"values":[["1","x"]]}]}`)
	status, _ := r.post(t, "application/json", "", body)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = r.post(t, "application/json", "", body, "Authorization", "Bearer wrong")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = r.post(t, "application/json", "", body, "Authorization", "Bearer s3cret")
	require.Equal(t, http.StatusNoContent, status)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw:with:colons"))
	status, _ = r.post(t, "application/json", "", body, "Authorization", basic)
	require.Equal(t, http.StatusNoContent, status)
	require.Len(t, r.close(t), 2)

	for _, bad := range []string{"", "# only a comment\n", "token abc\n", "basic nocolon\n", "bearer\n"} {
		_, err := ParseAuth([]byte(bad))
		require.ErrorIs(t, err, ErrBadAuthFile, "%q", bad)
	}
}

func TestPushClientGoneBeforeWrite(t *testing.T) {
	r := newRig(t, Options{}, ingest.Options{}, false)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.srv.URL+"/loki/api/v1/push",
		strings.NewReader(`{"streams":[{"stream":{"a":"b"},"values":[["1","x"]]}]}`))
	req.Header.Set("Content-Type", "application/json")
	_, err := http.DefaultClient.Do(req)
	require.Error(t, err) // no 204 without a write
	r.run()
	require.Len(t, r.close(t), 1) // queued records are still written
}
