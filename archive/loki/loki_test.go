package loki

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// lokiTestdata is shared/testdata/loki seen from this package directory
// (the module root is /work/main, shared is its sibling).
func lokiTestdata(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "loki")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared Loki samples %s not available: %v", dir, err)
	}
	return dir
}

func readLoki(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(lokiTestdata(t), name))
	require.NoError(t, err)
	return b
}

// expected is one line of push_v1.expected.jsonl (or an "expect" item of
// push_http_cases.jsonl).
type expected struct {
	Labels             string            `json:"labels"`
	LabelSet           map[string]string `json:"label_set"`
	TSNS               string            `json:"ts_ns"`
	TS                 string            `json:"ts"`
	Line               string            `json:"line"`
	StructuredMetadata map[string]string `json:"structured_metadata"`
}

// entry is the Entry an expected line describes.
func (x expected) entry(t testing.TB) Entry {
	t.Helper()
	labels, err := ParseLabels(x.Labels)
	require.NoError(t, err)
	if x.LabelSet != nil {
		require.Equal(t, chunk.Attributes(x.LabelSet), labels, "labels text and label_set agree")
	}
	ns, err := strconv.ParseInt(x.TSNS, 10, 64)
	require.NoError(t, err)
	ts := time.Unix(0, ns).UTC()
	if x.TS != "" {
		want, err := time.Parse(time.RFC3339Nano, x.TS)
		require.NoError(t, err)
		require.True(t, want.Equal(ts))
	}
	maps.Copy(labels, x.StructuredMetadata)
	return Entry{Timestamp: ts, Labels: labels, Line: []byte(x.Line)}
}

func expectedEntries(t testing.TB) []Entry {
	t.Helper()
	var out []Entry
	sc := bufio.NewScanner(bytes.NewReader(readLoki(t, "push_v1.expected.jsonl")))
	for sc.Scan() {
		var x expected
		require.NoError(t, json.Unmarshal(sc.Bytes(), &x))
		out = append(out, x.entry(t))
	}
	require.NoError(t, sc.Err())
	require.Len(t, out, 9)
	return out
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	out, err := io.ReadAll(zr)
	require.NoError(t, err)
	return out
}

func TestPushSamples(t *testing.T) {
	want := expectedEntries(t)
	tests := []struct {
		file   string
		decode func([]byte) ([]Entry, error)
	}{
		{"push_v1.json", DecodePushJSON},
		{"push_v1.json.gz", func(b []byte) ([]Entry, error) { return DecodePushJSON(gunzip(t, b)) }},
		{"push_v1.pb", decodeProto},
		{"push_v1.pb.snappy", DecodePushProto},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := tt.decode(readLoki(t, tt.file))
			require.NoError(t, err)
			require.Equal(t, want, got)
			for _, e := range got {
				require.Equal(t, time.UTC, e.Timestamp.Location())
			}
		})
	}
}

func TestEntryRecord(t *testing.T) {
	ts := time.Unix(0, 1733813746123456789).UTC()
	ingest := time.Unix(1800000000, 0)
	e := Entry{Timestamp: ts, Labels: chunk.Attributes{"app": "x"}, Line: []byte("  line \n")}
	r := e.Record(ingest)
	require.Equal(t, chunk.Record{SourceTS: ts, IngestTS: ingest, Attrs: e.Labels, Raw: e.Line}, r)
	require.Equal(t, int64(1733813746123456789), r.SourceTS.UnixNano())
}
