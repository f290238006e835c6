package tokenizer

import "bytes"

// ContainsToken reports whether line holds tok, in any ASCII case, as a
// whole token run. tok may be any token run, also one that is not an index
// token (a number, a run longer than MaxTokenLen). It is false when tok is
// empty or holds a byte that is not a token byte.
func ContainsToken(line, tok []byte) bool {
	if len(tok) == 0 {
		return false
	}
	for _, c := range tok {
		if !IsTokenByte(c) {
			return false
		}
	}
	return indexEdged(line, tok) >= 0
}

// ContainsPhrase reports whether line holds phrase, compared ASCII
// case-insensitively, starting and ending on token edges: if the phrase
// starts with a token byte, the byte before the match is not a token byte;
// if it ends with one, the byte after the match is not a token byte. An
// empty phrase is in every line.
func ContainsPhrase(line, phrase []byte) bool {
	if len(phrase) == 0 {
		return true
	}
	return indexEdged(line, phrase) >= 0
}

// PhraseTokens appends the index tokens of phrase to dst and ends, like
// Append. Every line that ContainsPhrase matches holds each of them as an
// index token (the edge rule makes the first and last runs whole tokens),
// so a lookup may intersect their posting lists. No tokens means the index
// cannot narrow the phrase.
func PhraseTokens(dst []byte, ends []int, phrase []byte) ([]byte, []int) {
	return Append(dst, ends, phrase)
}

// indexEdged returns the offset of the first ASCII case-insensitive match of
// the non-empty needle in line that satisfies the edge rule, or -1.
func indexEdged(line, needle []byte) int {
	edgeStart := IsTokenByte(needle[0])
	edgeEnd := IsTokenByte(needle[len(needle)-1])
	s := NewFoldScanner(line, needle)
	for i := 0; ; i++ {
		if i = s.Next(i); i < 0 {
			return -1
		}
		end := i + len(needle)
		if (!edgeStart || i == 0 || !IsTokenByte(line[i-1])) &&
			(!edgeEnd || end == len(line) || !IsTokenByte(line[end])) {
			return i
		}
	}
}

// FoldScanner finds a needle in a text, ASCII case-insensitively, at
// offsets that do not decrease from one call to the next. It keeps the
// next offset of the needle's first byte in each case, so a whole text
// costs one pass of bytes.IndexByte per case however many partial matches
// it holds.
type FoldScanner struct {
	text, needle []byte
	lo, up       byte
	// nextLo and nextUp are the next offsets of lo and up: -1 before the
	// first search, len(text) when there is none left.
	nextLo, nextUp int
}

// NewFoldScanner returns a scanner of text for the non-empty needle.
func NewFoldScanner(text, needle []byte) FoldScanner {
	return FoldScanner{text: text, needle: needle, lo: lower(needle[0]), up: upper(needle[0]), nextLo: -1, nextUp: -1}
}

// Next returns the first offset at or after from where text holds the
// needle, or -1. from must be at least the from of the call before.
func (s *FoldScanner) Next(from int) int {
	last := len(s.text) - len(s.needle) // last possible start
	for i := from; i <= last; i++ {
		if s.nextLo < i {
			s.nextLo = indexByteFrom(s.text, s.lo, i)
		}
		if s.lo == s.up {
			s.nextUp = s.nextLo
		} else if s.nextUp < i {
			s.nextUp = indexByteFrom(s.text, s.up, i)
		}
		if i = min(s.nextLo, s.nextUp); i > last {
			return -1
		}
		if equalFoldRest(s.text[i+1:i+len(s.needle)], s.needle[1:]) {
			return i
		}
	}
	return -1
}

// indexByteFrom returns the index of c in line at or after from, or
// len(line) when there is none.
func indexByteFrom(line []byte, c byte, from int) int {
	j := bytes.IndexByte(line[from:], c)
	if j < 0 {
		return len(line)
	}
	return from + j
}

// equalFoldRest reports whether a and b (of equal length) are equal under
// ASCII case folding.
func equalFoldRest(a, b []byte) bool {
	for k, c := range a {
		if c != b[k] && lower(c) != lower(b[k]) {
			return false
		}
	}
	return true
}
