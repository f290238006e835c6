package loki

import (
	"bytes"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"glarc/chunk"
)

// parseJSONLFast parses the exact shape logcli writes,
// {"labels":{...},"line":"...","timestamp":"..."} (labels optional),
// without reflection. It returns ok=false for anything else (other key
// order, white space, surrogate escapes, invalid UTF-8, ...), and the
// caller falls back to encoding/json, which decides. When it succeeds the
// result equals encoding/json's (FuzzParseJSONLFast checks that).
func parseJSONLFast(line []byte) (Entry, bool) {
	p := bytes.TrimRight(line, " \t\r\n")
	var labels chunk.Attributes
	var ok bool
	if rest, found := bytes.CutPrefix(p, []byte(`{"labels":{`)); found {
		p = rest
		if len(p) > 0 && p[0] == '}' {
			p = p[1:]
		} else {
			labels = make(chunk.Attributes, 8)
			for {
				var k, v []byte
				if k, p, ok = jsonStringFast(p, nil); !ok || len(p) == 0 || p[0] != ':' {
					return Entry{}, false
				}
				if v, p, ok = jsonStringFast(p[1:], nil); !ok || len(p) == 0 {
					return Entry{}, false
				}
				labels[string(k)] = string(v)
				if p[0] == '}' {
					p = p[1:]
					break
				}
				if p[0] != ',' {
					return Entry{}, false
				}
				p = p[1:]
			}
		}
		if p, found = bytes.CutPrefix(p, []byte(`,"line":`)); !found {
			return Entry{}, false
		}
	} else if p, found = bytes.CutPrefix(p, []byte(`{"line":`)); !found {
		return Entry{}, false
	}
	text, p, ok := jsonStringFast(p, nil)
	if !ok {
		return Entry{}, false
	}
	p, found := bytes.CutPrefix(p, []byte(`,"timestamp":`))
	if !found {
		return Entry{}, false
	}
	var stamp [40]byte
	tsText, p, ok := jsonStringFast(p, stamp[:0])
	if !ok || len(p) != 1 || p[0] != '}' {
		return Entry{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(tsText))
	if err != nil {
		return Entry{}, false
	}
	if len(labels) == 0 {
		labels = nil
	}
	if text == nil {
		text = []byte{}
	}
	return Entry{Timestamp: ts.UTC(), Labels: labels, Line: text}, true
}

// jsonStringFast decodes the JSON string at the start of p, appending to
// dst, and returns it with the rest of p.
func jsonStringFast(p, dst []byte) (s, rest []byte, ok bool) {
	if len(p) == 0 || p[0] != '"' {
		return nil, nil, false
	}
	p = p[1:]
	ascii := true
	for {
		i := 0
		for i < len(p) && p[i] != '"' && p[i] != '\\' && p[i] >= 0x20 {
			ascii = ascii && p[i] < utf8.RuneSelf
			i++
		}
		dst = append(dst, p[:i]...)
		p = p[i:]
		if len(p) == 0 || p[0] < 0x20 {
			return nil, nil, false
		}
		if p[0] == '"' {
			if !ascii && !utf8.Valid(dst) {
				return nil, nil, false // encoding/json turns it into U+FFFD
			}
			return dst, p[1:], true
		}
		// Backslash escape.
		if len(p) < 2 {
			return nil, nil, false
		}
		switch c := p[1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if len(p) < 6 {
				return nil, nil, false
			}
			r := rune(0)
			for _, h := range p[2:6] {
				var d byte
				switch {
				case h >= '0' && h <= '9':
					d = h - '0'
				case h|0x20 >= 'a' && h|0x20 <= 'f':
					d = h | 0x20 - 'a' + 10
				default:
					return nil, nil, false
				}
				r = r<<4 | rune(d)
			}
			if utf16.IsSurrogate(r) {
				return nil, nil, false
			}
			dst = utf8.AppendRune(dst, r)
			p = p[6:]
			continue
		default:
			return nil, nil, false
		}
		p = p[2:]
	}
}
