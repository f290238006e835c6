package tokenizer

import "iter"

// Length limits of an index token, in bytes.
const (
	MinTokenLen = 2
	MaxTokenLen = 16
)

// uuidLen is the length of a UUID in its 8-4-4-4-12 text form.
const uuidLen = 36

// Bit sets of the token bytes: tokenLo for bytes 0..63 ('-', '0'..'9'),
// tokenHi for bytes 64..127 ('A'..'Z', '_', 'a'..'z').
const (
	tokenLo = 1<<'-' | (1<<10-1)<<'0'
	tokenHi = (1<<26-1)<<('A'-64) | 1<<('_'-64) | (1<<26-1)<<('a'-64)
)

// IsTokenByte reports whether c is an ASCII letter, digit, '_' or '-'.
func IsTokenByte(c byte) bool {
	if c < 64 {
		return tokenLo&(uint64(1)<<c) != 0
	}
	if c < 128 {
		return tokenHi&(uint64(1)<<(c-64)) != 0
	}
	return false
}

// lower returns c with ASCII upper-case letters mapped to lower case.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// upper returns c with ASCII lower-case letters mapped to upper case.
func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f' }

// Lower appends the ASCII-lowercased b to dst. Other bytes are copied as is.
func Lower(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, lower(c))
	}
	return dst
}

// Runs yields every maximal token run of line, in its original case, with
// the byte offset where it starts. The runs are sub-slices of line.
func Runs(line []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		for i := 0; i < len(line); {
			if !IsTokenByte(line[i]) {
				i++
				continue
			}
			start := i
			for i < len(line) && IsTokenByte(line[i]) {
				i++
			}
			if !yield(start, line[start:i]) {
				return
			}
		}
	}
}

// IsIndexToken reports whether tok, a lowercased token run, is an index
// token: MinTokenLen to MaxTokenLen bytes, not numeric (it holds a letter),
// and not a UUID. See the package doc.
func IsIndexToken(tok []byte) bool {
	if len(tok) < MinTokenLen || len(tok) > MaxTokenLen {
		return false
	}
	letter := false
	for _, c := range tok {
		if !IsTokenByte(c) {
			return false
		}
		if isLetter(c) {
			letter = true
		}
	}
	return letter && !IsUUID(tok)
}

// IsUUID reports whether b is a UUID in 8-4-4-4-12 hex form, in any case.
func IsUUID(b []byte) bool {
	if len(b) != uuidLen {
		return false
	}
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// Append appends the lowercased index tokens of line to dst as one flat
// buffer, and their end offsets in dst to ends:
//
//	dst, ends = tokenizer.Append(dst[:0], ends[:0], line)
//
// Token i is dst[ends[i-1]:ends[i]], with ends[-1] taken as 0: pass empty
// dst and ends, or the results of an earlier call to accumulate several
// lines. Tokens come in line order, duplicates kept. Append allocates only
// to grow dst and ends.
func Append(dst []byte, ends []int, line []byte) ([]byte, []int) {
	for i := 0; i < len(line); {
		if !IsTokenByte(line[i]) {
			i++
			continue
		}
		start := i
		letter := false
		for i < len(line) && IsTokenByte(line[i]) {
			letter = letter || isLetter(line[i])
			i++
		}
		// The same rules as IsIndexToken, checked on the run itself.
		if n := i - start; n < MinTokenLen || n > MaxTokenLen || !letter {
			continue
		}
		if MaxTokenLen >= uuidLen && IsUUID(line[start:i]) {
			continue
		}
		dst = Lower(dst, line[start:i])
		ends = append(ends, len(dst))
	}
	return dst, ends
}
