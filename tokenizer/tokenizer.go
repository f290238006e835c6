package tokenizer

import (
	"iter"
	"slices"
)

// Length limits of an index token, in bytes.
const (
	MinTokenLen = 2
	MaxTokenLen = 16
)

// uuidLen is the length of a UUID in its 8-4-4-4-12 text form.
const uuidLen = 36

// Byte classes, looked up in classes: a constant string, so the table is
// neither mutable state nor initialised at run time. TestClasses checks it
// against the definitions.
const (
	classToken  = 1 << 0 // ASCII letter, digit, '_' or '-'
	classLetter = 1 << 1 // ASCII letter
	classDigit  = 1 << 2 // ASCII digit
)

// Class bits of a byte, as Class returns them: hot loops elsewhere
// (index collectors) classify bytes with the tokenizer's own table.
const (
	ClassToken  = classToken
	ClassLetter = classLetter
	ClassDigit  = classDigit
)

// Class returns the class bits of c: ClassToken for a token byte
// (IsTokenByte), plus ClassLetter or ClassDigit.
func Class(c byte) byte { return classes[c] }

// classes holds the class bits of every byte value.
const classes = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x05\x05\x05\x05\x05\x05\x05\x05\x05\x05\x00\x00\x00\x00\x00\x00" +
	"\x00\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x00\x00\x00\x00\x01" +
	"\x00\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// IsTokenByte reports whether c is an ASCII letter, digit, '_' or '-'.
func IsTokenByte(c byte) bool { return classes[c]&classToken != 0 }

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

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f' }

// Lower appends the ASCII-lowercased b to dst. Other bytes are copied as is.
func Lower(dst, b []byte) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(b))[:n+len(b)]
	out := dst[n:]
	for i, c := range b {
		out[i] = lower(c)
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
// not a UUID and not an ID (IsID). See the package doc.
func IsIndexToken(tok []byte) bool {
	if len(tok) < MinTokenLen || len(tok) > MaxTokenLen {
		return false
	}
	var class byte
	for _, c := range tok {
		if !IsTokenByte(c) {
			return false
		}
		class |= classes[c]
	}
	if class&classLetter == 0 || IsUUID(tok) {
		return false
	}
	return class&classDigit == 0 || !IsID(tok)
}

// Limits of the ID rule (IsID).
const (
	// MinHexIDLen is the fewest hex digits of a hex ID.
	MinHexIDLen = 8
	// MinIDDigits is the fewest digits of a digit-heavy run.
	MinIDDigits = 4
)

// IsID reports whether run, a token run in any case, looks like a
// generated identifier or a measurement rather than a word, so that it is
// not an index token (see the package doc): one of
//   - a hex ID: at least MinHexIDLen hex digits holding both a digit and
//     a letter (6398380c8df505f1), alone, after "0x" (0x0eb8ccca, any hex
//     digits then), or after the last '-' or '_' of the run (api-20a5d514);
//   - a digit-heavy run: at least MinIDDigits digits and more digits than
//     letters (000013s, i0131, 1080p, ip-10-0-1-5).
//
// A run without a digit is never an ID.
func IsID(run []byte) bool {
	digits, letters := 0, 0
	tail := 0 // start of the part after the last '-' or '_'
	for i, c := range run {
		switch cl := classes[c]; {
		case cl&classDigit != 0:
			digits++
		case cl&classLetter != 0:
			letters++
		case c == '-' || c == '_':
			tail = i + 1
		}
	}
	if digits == 0 {
		return false
	}
	if digits >= MinIDDigits && digits > letters {
		return true
	}
	if isHexID(run) || isHexID(run[tail:]) {
		return true
	}
	if len(run) >= 2+MinHexIDLen && run[0] == '0' && run[1]|0x20 == 'x' {
		for _, c := range run[2:] {
			if !isHex(c) {
				return false
			}
		}
		return true
	}
	return false
}

// isHexID reports whether b is at least MinHexIDLen hex digits holding a
// digit and a letter.
func isHexID(b []byte) bool {
	if len(b) < MinHexIDLen {
		return false
	}
	var class byte
	for _, c := range b {
		if !isHex(c) {
			return false
		}
		class |= classes[c]
	}
	return class&classDigit != 0 && class&classLetter != 0
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
		var class byte
		for i < len(line) {
			cl := classes[line[i]]
			if cl&classToken == 0 {
				break
			}
			class |= cl
			i++
		}
		letter := class&classLetter != 0
		// The same rules as IsIndexToken, checked on the run itself.
		if n := i - start; n < MinTokenLen || n > MaxTokenLen || !letter {
			continue
		}
		if MaxTokenLen >= uuidLen && IsUUID(line[start:i]) {
			continue
		}
		if class&classDigit != 0 && IsID(line[start:i]) {
			continue
		}
		dst = Lower(dst, line[start:i])
		ends = append(ends, len(dst))
	}
	return dst, ends
}

// RunPairs yields, for every two neighbouring token runs of text that are
// separated by exactly one byte and of which neither is an index token
// (numbers, IDs, single letters), the bytes from the start of the first to
// the end of the second, as a sub-slice of text: "198.51", "51.100" and
// "100.23" for "from 198.51.100.23 port". The per-block filters hold these
// pairs besides the runs, so that a phrase made of numbers (an IP address,
// a version, a time of day) narrows to the blocks holding its neighbours
// together. Because a phrase match starts and ends on token edges and
// matches the bytes between its runs exactly, every pair RunPairs yields
// for a phrase is also yielded for each line the phrase matches.
func RunPairs(text []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		prevStart, prevEnd := -1, -1 // the previous run, if it is not an index token
		for i := 0; i < len(text); {
			if !IsTokenByte(text[i]) {
				i++
				continue
			}
			start := i
			for i < len(text) && IsTokenByte(text[i]) {
				i++
			}
			if IsIndexToken(text[start:i]) {
				prevStart = -1
				continue
			}
			if prevStart >= 0 && start == prevEnd+1 {
				if !yield(text[prevStart:i]) {
					return
				}
			}
			prevStart, prevEnd = start, i
		}
	}
}
