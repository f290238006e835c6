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
	lo, up := lower(needle[0]), upper(needle[0])
	rest := needle[1:]
	last := len(line) - len(needle) // last possible start
	// nextLo and nextUp cache the next candidate of each case; -1 means
	// not searched yet at or after i, len(line) means none left.
	nextLo, nextUp := -1, -1
	for i := 0; i <= last; {
		// Find the next occurrence of the first byte in either case.
		if nextLo < i {
			nextLo = indexByteFrom(line, lo, i)
		}
		if lo == up {
			nextUp = nextLo
		} else if nextUp < i {
			nextUp = indexByteFrom(line, up, i)
		}
		i = min(nextLo, nextUp)
		if i > last {
			return -1
		}
		end := i + len(needle)
		if (!edgeStart || i == 0 || !IsTokenByte(line[i-1])) &&
			(!edgeEnd || end == len(line) || !IsTokenByte(line[end])) &&
			equalFoldRest(line[i+1:end], rest) {
			return i
		}
		i++
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
