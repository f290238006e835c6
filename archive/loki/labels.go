package loki

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"glarc/chunk"
)

// ErrInvalidLabels means a label-set text such as `{a="b", c="d"}` did not
// parse.
var ErrInvalidLabels = errors.New("invalid label set")

// ParseLabels parses a label set in LogQL/Prometheus text form,
// `{name="value", other="v2"}`: names are [a-zA-Z_][a-zA-Z0-9_]* (or a
// quoted string), values are double-quoted Go/PromQL strings with backslash
// escapes, or back-quoted raw strings; a trailing comma is allowed. An empty
// set `{}` gives nil attributes. A repeated name is an error.
func ParseLabels(s string) (chunk.Attributes, error) {
	attrs, n, err := parseLabelsPrefix(s)
	if err != nil {
		return nil, err
	}
	if rest := strings.TrimSpace(s[n:]); rest != "" {
		return nil, fmt.Errorf("%w: %q after the closing brace", ErrInvalidLabels, clip(rest))
	}
	return attrs, nil
}

// parseLabelsPrefix parses a label set at the start of s and returns the
// number of bytes it used (up to and including '}').
func parseLabelsPrefix(s string) (chunk.Attributes, int, error) {
	p := labelParser{s: s}
	p.space()
	if !p.eat('{') {
		return nil, 0, fmt.Errorf("%w: want '{' at offset %d", ErrInvalidLabels, p.i)
	}
	var attrs chunk.Attributes
	for {
		p.space()
		if p.eat('}') {
			return attrs, p.i, nil
		}
		name, err := p.name()
		if err != nil {
			return nil, 0, err
		}
		p.space()
		if !p.eat('=') {
			return nil, 0, fmt.Errorf("%w: want '=' after %q at offset %d", ErrInvalidLabels, name, p.i)
		}
		p.space()
		value, err := p.quoted()
		if err != nil {
			return nil, 0, err
		}
		if attrs == nil {
			attrs = make(chunk.Attributes, 8)
		}
		if _, dup := attrs[name]; dup {
			return nil, 0, fmt.Errorf("%w: label %q repeated", ErrInvalidLabels, name)
		}
		attrs[name] = value
		p.space()
		if p.eat(',') {
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			continue
		}
		return nil, 0, fmt.Errorf("%w: want ',' or '}' at offset %d", ErrInvalidLabels, p.i)
	}
}

type labelParser struct {
	s string
	i int
}

func (p *labelParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *labelParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *labelParser) name() (string, error) {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		return p.quoted()
	}
	start := p.i
	for p.i < len(p.s) && isNameByte(p.s[p.i], p.i == start) {
		p.i++
	}
	if p.i == start {
		return "", fmt.Errorf("%w: want a label name at offset %d", ErrInvalidLabels, p.i)
	}
	return p.s[start:p.i], nil
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') || (!first && c >= '0' && c <= '9')
}

// quoted reads a "double-quoted" (escapes honoured) or `raw` string.
func (p *labelParser) quoted() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '`') {
		return "", fmt.Errorf("%w: want a quoted value at offset %d", ErrInvalidLabels, p.i)
	}
	q := p.s[p.i]
	start := p.i
	for j := p.i + 1; j < len(p.s); j++ {
		switch p.s[j] {
		case '\\':
			if q == '"' {
				j++ // skip the escaped byte
			}
		case q:
			raw := p.s[start : j+1]
			p.i = j + 1
			if q == '"' && !strings.ContainsRune(raw, '\\') {
				return raw[1 : len(raw)-1], nil
			}
			v, err := strconv.Unquote(raw)
			if err != nil {
				return "", fmt.Errorf("%w: bad quoted string at offset %d: %v", ErrInvalidLabels, start, err)
			}
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: unterminated string at offset %d", ErrInvalidLabels, start)
}

// AppendLabels appends the canonical text of a label set, as Loki and
// logcli print it: `{a="1", b="2"}`, names sorted, values Go-quoted.
func AppendLabels(dst []byte, labels chunk.Attributes) []byte {
	dst = append(dst, '{')
	for i, k := range sortedKeys(labels) {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, k...)
		dst = append(dst, '=')
		dst = strconv.AppendQuote(dst, labels[k])
	}
	return append(dst, '}')
}

func sortedKeys(a chunk.Attributes) []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 40
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
