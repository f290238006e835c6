package loki

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"
)

// httpCase is one line of push_http_cases.jsonl.
type httpCase struct {
	Name            string     `json:"name"`
	ContentType     string     `json:"content_type"`
	ContentEncoding string     `json:"content_encoding"`
	Body            *string    `json:"body"`
	BodyBase64      *string    `json:"body_base64"`
	BodyFile        *string    `json:"body_file"`
	Valid           bool       `json:"valid"`
	Expect          []expected `json:"expect"`
}

func (c httpCase) body(t testing.TB) []byte {
	t.Helper()
	switch {
	case c.Body != nil:
		return []byte(*c.Body)
	case c.BodyBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*c.BodyBase64)
		require.NoError(t, err)
		return b
	case c.BodyFile != nil:
		return readLoki(t, *c.BodyFile)
	}
	t.Fatalf("case %s has no body", c.Name)
	return nil
}

// decodeRequest is the dispatch the push receiver has to do before the
// body decoders run (FORMATS.md 1.1): Content-Encoding gzip/deflate are
// removed, snappy and "" pass through, and the media type picks JSON or
// protobuf. It lives here only so every case of push_http_cases.jsonl runs
// end to end; the HTTP status mapping belongs to the server.
func decodeRequest(contentType, contentEncoding string, body []byte) ([]Entry, error) {
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("content type: %w", err)
	}
	switch contentEncoding {
	case "", "snappy":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if body, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	case "deflate":
		if body, err = io.ReadAll(flate.NewReader(bytes.NewReader(body))); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("Content-Encoding %q not supported", contentEncoding)
	}
	if media == "application/json" {
		return DecodePushJSON(body)
	}
	return DecodePushProto(body)
}

// TestPushHTTPCases runs every case of push_http_cases.jsonl. The body
// decoders decide all of them except no-content-type and
// broken-media-params, which fail in the header dispatch above (the server
// task must do the same); misspelled-media-type reaches DecodePushProto with
// a gzip body and gzip-body-labelled-snappy reaches DecodePushJSON with gzip
// bytes, and both decoders reject them.
func TestPushHTTPCases(t *testing.T) {
	sc := bufio.NewScanner(bytes.NewReader(readLoki(t, "push_http_cases.jsonl")))
	n := 0
	for sc.Scan() {
		var c httpCase
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		n++
		t.Run(c.Name, func(t *testing.T) {
			got, err := decodeRequest(c.ContentType, c.ContentEncoding, c.body(t))
			if !c.Valid {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			if c.BodyFile != nil {
				require.Equal(t, expectedEntries(t), got)
				return
			}
			want := make([]Entry, 0, len(c.Expect))
			for _, x := range c.Expect {
				want = append(want, x.entry(t))
			}
			require.Equal(t, want, got)
		})
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 16, n)
}

func TestDecodePushJSON(t *testing.T) {
	const ns = `"1570818238000000000"`
	tests := []struct {
		name string
		body string
		want []Entry // nil with wantErr
		err  bool
	}{
		{name: "empty", body: "", err: true},
		{name: "spaces", body: " \n", err: true},
		{name: "not json", body: "streams", err: true},
		{name: "no streams", body: `{}`, want: nil},
		{name: "null values", body: `{"streams":[{"stream":{"a":"b"},"values":null}]}`},
		{name: "null value skipped", body: `{"streams":[{"stream":{"a":"b"},"values":[null,[` + ns + `,"x"]]}]}`,
			want: []Entry{{Timestamp: ts(1570818238000000000), Labels: attrs("a", "b"), Line: []byte("x")}}},
		{name: "extra elements ignored", body: `{"streams":[{"stream":{"a":"b"},"values":[[` + ns + `,"x",{"k":"v"},"more",1]]}]}`,
			want: []Entry{{Timestamp: ts(1570818238000000000), Labels: attrs("a", "b", "k", "v"), Line: []byte("x")}}},
		{name: "metadata colliding with a label", body: `{"streams":[{"stream":{"a":"b"},"values":[[` + ns + `,"x",{"a":"meta"}]]}]}`,
			want: []Entry{{Timestamp: ts(1570818238000000000), Labels: attrs("a", "b", "a_extracted", "meta"), Line: []byte("x")}}},
		{name: "null metadata", body: `{"streams":[{"stream":{},"values":[[` + ns + `,"x",null]]}]}`,
			want: []Entry{{Timestamp: ts(1570818238000000000), Labels: attrs(), Line: []byte("x")}}},
		{name: "unknown keys ignored", body: `{"x":1,"streams":[{"y":[],"stream":{"a":"b"},"values":[[` + ns + `,""]]}]}`,
			want: []Entry{{Timestamp: ts(1570818238000000000), Labels: attrs("a", "b"), Line: []byte("")}}},
		{name: "negative ns", body: `{"streams":[{"stream":{"a":"b"},"values":[["-1","x"]]}]}`,
			want: []Entry{{Timestamp: ts(-1), Labels: attrs("a", "b"), Line: []byte("x")}}},
		{name: "legacy form", body: `{"streams":[{"labels":"{foo=\"bar\"}","entries":[{"ts":"2019-09-13T18:32:22.380001319Z","line":"l"}]}]}`,
			want: []Entry{{Timestamp: ts(1568399542380001319), Labels: attrs("foo", "bar"), Line: []byte("l")}}},
		{name: "number timestamp", body: `{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}`, err: true},
		{name: "float timestamp string", body: `{"streams":[{"stream":{"a":"b"},"values":[["1.5","x"]]}]}`, err: true},
		{name: "one element", body: `{"streams":[{"stream":{"a":"b"},"values":[[` + ns + `]]}]}`, err: true},
		{name: "value not array", body: `{"streams":[{"stream":{"a":"b"},"values":["x"]}]}`, err: true},
		{name: "line number", body: `{"streams":[{"stream":{"a":"b"},"values":[[` + ns + `,5]]}]}`, err: true},
		{name: "nested metadata", body: `{"streams":[{"stream":{"a":"b"},"values":[[` + ns + `,"x",{"k":{"v":1}}]]}]}`, err: true},
		{name: "numeric metadata", body: `{"streams":[{"stream":{"a":"b"},"values":[[` + ns + `,"x",{"k":1}]]}]}`, err: true},
		{name: "numeric label", body: `{"streams":[{"stream":{"a":1},"values":[]}]}`, err: true},
		{name: "trailing garbage", body: `{"streams":[]} x`, err: true},
		{name: "bad legacy labels", body: `{"streams":[{"labels":"{foo=bar}","entries":[]}]}`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePushJSON([]byte(tt.body))
			if tt.err {
				require.ErrorIs(t, err, ErrInvalidPush)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
