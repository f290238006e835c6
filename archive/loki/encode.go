package loki

import (
	"maps"
	"strconv"
	"time"
	"unicode/utf8"

	"glarc/chunk"
)

// AppendJSONL appends one line exactly as `logcli query --output=jsonl`
// prints it, newline included:
//
//	{"labels":{"app":"sshd","host":"web1"},"line":"...","timestamp":"2024-12-10T06:55:46.5Z"}
//
// Keys come in the order labels, line, timestamp, labels are sorted by
// name, and strings are escaped as Go's encoding/json does with HTML
// escaping (as logcli does): < > & U+2028 U+2029 become \u escapes and
// invalid UTF-8 becomes U+FFFD (so only valid UTF-8 lines round-trip).
// The timestamp is RFC 3339 with trailing fraction zeros dropped, in ts's
// own location (UTC prints as Z).
func AppendJSONL(dst []byte, labels chunk.Attributes, line []byte, ts time.Time) []byte {
	dst = append(dst, `{"labels":`...)
	dst = appendJSONObject(dst, labels)
	dst = append(dst, `,"line":`...)
	dst = appendJSONString(dst, line)
	dst = append(dst, `,"timestamp":"`...)
	dst = ts.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, "\"}\n"...)
}

// AppendPushJSON appends a v1 JSON push body holding entries, in order:
// consecutive entries with equal labels share one stream.
//
//	{"streams":[{"stream":{"app":"x"},"values":[["1733813746000000000","line"]]}]}
//
// Structured metadata cannot be told from stream labels in an Entry, so all
// labels go into "stream". Strings are escaped as in AppendJSONL.
func AppendPushJSON(dst []byte, entries []Entry) []byte {
	dst = append(dst, `{"streams":[`...)
	for i, e := range entries {
		newStream := i == 0 || !maps.Equal(entries[i-1].Labels, e.Labels)
		if newStream {
			if i > 0 {
				dst = append(dst, "]},"...)
			}
			dst = append(dst, `{"stream":`...)
			dst = appendJSONObject(dst, e.Labels)
			dst = append(dst, `,"values":[`...)
		} else {
			dst = append(dst, ',')
		}
		dst = append(dst, `["`...)
		dst = strconv.AppendInt(dst, e.Timestamp.UnixNano(), 10)
		dst = append(dst, `",`...)
		dst = appendJSONString(dst, e.Line)
		dst = append(dst, ']')
	}
	if len(entries) > 0 {
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}"...)
}

// appendJSONObject appends a string map as a JSON object with sorted keys.
func appendJSONObject(dst []byte, m chunk.Attributes) []byte {
	dst = append(dst, '{')
	if len(m) == 1 { // common case without the sort
		for k, v := range m {
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, v)
		}
		return append(dst, '}')
	}
	for i, k := range sortedKeys(m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, m[k])
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, byte for byte what
// encoding/json writes with HTML escaping on.
func appendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(len(s), i+utf8.UTFMax)]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
