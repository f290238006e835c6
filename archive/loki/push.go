package loki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/klauspost/compress/snappy"

	"glarc/chunk"
)

// MaxPushDecodedSize bounds the decompressed size of one protobuf push
// body. Loki's default is larger (5000 MiB), but one push is normally a few
// MiB; a bigger one gives ErrPushTooLarge (HTTP 413).
const MaxPushDecodedSize = 256 << 20

// maxSnappyRatio is more than the snappy block format can expand: its
// densest element, a 3-byte copy, writes at most 64 bytes.
const maxSnappyRatio = 22

var (
	// ErrInvalidPush means a push body could not be decoded (HTTP 400).
	ErrInvalidPush = errors.New("invalid push body")
	// ErrPushTooLarge means a push body decompresses to more than
	// MaxPushDecodedSize bytes (HTTP 413).
	ErrPushTooLarge = errors.New("push body too large")
)

// pushJSON is the v1 JSON push body. encoding/json ignores other keys.
type pushJSON struct {
	Streams []pushJSONStream `json:"streams"`
}

type pushJSONStream struct {
	Stream map[string]string `json:"stream"`
	Values []json.RawMessage `json:"values"`
	// Legacy /api/prom/push form: labels as one string, RFC 3339 entries.
	Labels  *string           `json:"labels"`
	Entries []json.RawMessage `json:"entries"`
}

type legacyEntry struct {
	TS   *string `json:"ts"`
	Line *string `json:"line"`
}

// DecodePushJSON decodes a JSON push body (Content-Type application/json,
// with any Content-Encoding already removed):
//
//	{"streams":[{"stream":{"app":"x"},"values":[["<ns>","line"],["<ns>","line",{"trace_id":"t"}]]}]}
//
// Timestamps must be JSON strings of Unix nanoseconds; the optional third
// element of a value is structured metadata (string values only); further
// elements and null values are ignored, as Loki does. Streams in the legacy
// form {"labels":"{a=\"b\"}","entries":[{"ts":"RFC 3339","line":"..."}]}
// are decoded too. Entries come out in body order. Errors wrap
// ErrInvalidPush and name the stream and value index.
func DecodePushJSON(body []byte) ([]Entry, error) {
	var req pushJSON
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrInvalidPush)
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPush, err)
	}
	var entries []Entry
	for si, s := range req.Streams {
		var err error
		if s.Stream == nil && s.Labels != nil {
			entries, err = decodeLegacyStream(entries, s)
		} else {
			entries, err = decodeJSONStream(entries, s)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: streams[%d].%v", ErrInvalidPush, si, err)
		}
	}
	return entries, nil
}

func decodeJSONStream(entries []Entry, s pushJSONStream) ([]Entry, error) {
	for vi, raw := range s.Values {
		if isJSONNull(raw) {
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, fmt.Errorf("values[%d]: not an array: %v", vi, err)
		}
		if len(elems) < 2 {
			return nil, fmt.Errorf("values[%d]: %d elements, want timestamp and line", vi, len(elems))
		}
		ts, err := jsonString(elems[0])
		if err != nil {
			return nil, fmt.Errorf("values[%d][0]: timestamp: %v", vi, err)
		}
		ns, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("values[%d][0]: timestamp %q is not integer nanoseconds", vi, clip(ts))
		}
		line, err := jsonString(elems[1])
		if err != nil {
			return nil, fmt.Errorf("values[%d][1]: line: %v", vi, err)
		}
		labels := make(chunk.Attributes, len(s.Stream)+2)
		maps.Copy(labels, s.Stream)
		if len(elems) > 2 && !isJSONNull(elems[2]) {
			var md map[string]string
			if err := json.Unmarshal(elems[2], &md); err != nil {
				return nil, fmt.Errorf("values[%d][2]: structured metadata: %v", vi, err)
			}
			for _, k := range sortedKeys(md) { // sorted: collisions resolve the same way every time
				addMetadata(labels, k, md[k])
			}
		}
		entries = append(entries, Entry{Timestamp: time.Unix(0, ns).UTC(), Labels: labels, Line: []byte(line)})
	}
	return entries, nil
}

func decodeLegacyStream(entries []Entry, s pushJSONStream) ([]Entry, error) {
	stream, err := ParseLabels(*s.Labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	for ei, raw := range s.Entries {
		if isJSONNull(raw) {
			continue
		}
		var e legacyEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("entries[%d]: %v", ei, err)
		}
		if e.TS == nil || e.Line == nil {
			return nil, fmt.Errorf("entries[%d]: want ts and line", ei)
		}
		ts, err := time.Parse(time.RFC3339Nano, *e.TS)
		if err != nil {
			return nil, fmt.Errorf("entries[%d].ts: %v", ei, err)
		}
		entries = append(entries, Entry{Timestamp: ts.UTC(), Labels: maps.Clone(stream), Line: []byte(*e.Line)})
	}
	return entries, nil
}

func isJSONNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// jsonString decodes a JSON value that must be a string.
func jsonString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("want a JSON string, got %s", clip(string(raw)))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	return s, nil
}

// DecodePushProto decodes a protobuf push body (Content-Type
// application/x-protobuf, Content-Encoding gzip/deflate already removed):
// one snappy block holding a logproto.PushRequest. Stream labels are parsed
// from their text form; structured metadata (and parsed labels, which
// clients should not send) are added to each entry's labels. Errors wrap
// ErrInvalidPush or ErrPushTooLarge.
func DecodePushProto(body []byte) ([]Entry, error) {
	n, err := snappy.DecodedLen(body)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %v", ErrInvalidPush, err)
	}
	if n > maxSnappyRatio*len(body)+64 {
		// Checked before allocating n bytes for a body that lies.
		return nil, fmt.Errorf("%w: snappy: %d decompressed bytes declared for %d compressed bytes", ErrInvalidPush, n, len(body))
	}
	if n > MaxPushDecodedSize {
		return nil, fmt.Errorf("%w: %d bytes decompressed, at most %d", ErrPushTooLarge, n, MaxPushDecodedSize)
	}
	buf, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %v", ErrInvalidPush, err)
	}
	return decodeProto(buf)
}
