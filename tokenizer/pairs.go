package tokenizer

import (
	"bytes"
	"iter"
)

// isValueEnd reports whether c ends an unquoted value.
func isValueEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\v', '\f', ',', ';', ')', ']', '}', '"', '\'':
		return true
	}
	return false
}

// pair is one key=value pair as found in a line, before unescaping.
type pair struct {
	key []byte
	// val is the value as written: for a quoted value, the bytes between
	// the quotes, escapes not yet resolved.
	val []byte
	// escaped is set when val holds a backslash (quoted values only).
	escaped bool
}

// nextPair finds the first pair that starts at or after from. It returns
// the pair, the offset at which to resume, and whether a pair was found.
func nextPair(line []byte, from int) (pair, int, bool) {
	for from < len(line) {
		j := bytes.IndexByte(line[from:], '=')
		if j < 0 {
			return pair{}, len(line), false
		}
		eq := from + j
		k := eq
		for k > from && IsTokenByte(line[k-1]) {
			k--
		}
		if k == eq { // no key
			from = eq + 1
			continue
		}
		p := pair{key: line[k:eq]}
		v := eq + 1
		if v < len(line) && line[v] == '"' {
			end, escaped, ok := quotedEnd(line, v+1)
			if !ok { // never closed: no pair
				from = eq + 1
				continue
			}
			p.val, p.escaped = line[v+1:end], escaped
			return p, end + 1, true
		}
		end := v
		for end < len(line) && !isValueEnd(line[end]) {
			end++
		}
		p.val = line[v:end]
		return p, end, true
	}
	return pair{}, len(line), false
}

// quotedEnd returns the offset of the closing quote of a quoted string whose
// contents start at from, and whether the contents hold a backslash.
func quotedEnd(line []byte, from int) (end int, escaped, ok bool) {
	for i := from; i < len(line); i++ {
		switch line[i] {
		case '\\':
			escaped = true
			i++ // the next byte is never the closing quote
		case '"':
			return i, escaped, true
		}
	}
	return 0, escaped, false
}

// unescape appends raw to dst with `\"` and `\\` resolved.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) && (raw[i+1] == '"' || raw[i+1] == '\\') {
			i++
			c = raw[i]
		}
		dst = append(dst, c)
	}
	return dst
}

// Pairs yields the key=value pairs of line in order, by the rules in the
// package doc. Keys keep their case and are sub-slices of line; values are
// unquoted and unescaped. A value with escapes is built in a scratch buffer
// that is reused, so both slices are valid only during the yield.
func Pairs(line []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		var scratch []byte
		for from := 0; ; {
			p, next, ok := nextPair(line, from)
			if !ok {
				return
			}
			from = next
			val := p.val
			if p.escaped {
				scratch = unescape(scratch[:0], p.val)
				val = scratch
			}
			if !yield(p.key, val) {
				return
			}
		}
	}
}

// HasPair reports whether Pairs(line) yields key with value, both compared
// ASCII case-insensitively. It allocates nothing.
func HasPair(line, key, value []byte) bool {
	return hasPair(line, key, value, true)
}

// HasKey reports whether Pairs(line) yields key, compared ASCII
// case-insensitively, with any value.
func HasKey(line, key []byte) bool {
	return hasPair(line, key, nil, false)
}

func hasPair(line, key, value []byte, matchValue bool) bool {
	// Cheap rejection: the key must be a whole token run of the line.
	if !ContainsToken(line, key) {
		return false
	}
	for from := 0; ; {
		p, next, ok := nextPair(line, from)
		if !ok {
			return false
		}
		from = next
		if len(p.key) != len(key) || !equalFoldRest(p.key, key) {
			continue
		}
		if !matchValue || valueEqualFold(p, value) {
			return true
		}
	}
}

// valueEqualFold compares p's value, escapes resolved, with want.
func valueEqualFold(p pair, want []byte) bool {
	if !p.escaped {
		return len(p.val) == len(want) && equalFoldRest(p.val, want)
	}
	raw, w := p.val, 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) && (raw[i+1] == '"' || raw[i+1] == '\\') {
			i++
			c = raw[i]
		}
		if w == len(want) || lower(c) != lower(want[w]) {
			return false
		}
		w++
	}
	return w == len(want)
}
