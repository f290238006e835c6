package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A template is a message with {placeholders}, compiled once into segments
// so that a line is produced by appending literals and values into one
// buffer with no allocation.
//
// Placeholders (see appendValue):
//
//	{ip} {lip}            external / internal IPv4 from skewed pools
//	{user} {uid}          a user (skewed) and that user's uid
//	{port} {svcport}      ephemeral port / well-known service port
//	{hex8} {hex16} {qid}  random ids (request ids, postfix queue ids)
//	{ms} {bigms}          durations in milliseconds (log-uniform)
//	{n1} .. {n9}          a number with up to that many digits
//	{rt} {float}          0.xxx seconds / seconds with microseconds
//	{kts} {audts} {klog}  kernel uptime, audit stamp, klog stamp (from the line time)
//	{mac} {pid5}          MAC pair / some other process id
//	{anything else}       a value from the named list in the catalog
type template struct {
	text   string
	segs   []seg
	weight float64
	// hasError: the text holds "error" as a whole word (any case), the way
	// both `glarc query error` and `rg -w -i error` see it.
	hasError bool
}

type seg struct {
	lit    string
	kind   valueKind
	list   int // kindList: index into catalog.lists
	digits int // kindNum
}

type valueKind uint8

const (
	kindNone valueKind = iota // literal only
	kindIP
	kindLIP
	kindUser
	kindUID
	kindPort
	kindSvcPort
	kindHex8
	kindHex16
	kindQID
	kindMS
	kindBigMS
	kindNum
	kindRT
	kindFloat
	kindKTS
	kindAudTS
	kindKlog
	kindMAC
	kindPID5
	kindList
)

var errTemplate = errors.New("bad template")

func primitiveKind(name string) (valueKind, bool) {
	switch name {
	case "ip":
		return kindIP, true
	case "lip":
		return kindLIP, true
	case "user":
		return kindUser, true
	case "uid":
		return kindUID, true
	case "port":
		return kindPort, true
	case "svcport":
		return kindSvcPort, true
	case "hex8":
		return kindHex8, true
	case "hex16":
		return kindHex16, true
	case "qid":
		return kindQID, true
	case "ms":
		return kindMS, true
	case "bigms":
		return kindBigMS, true
	case "rt":
		return kindRT, true
	case "float":
		return kindFloat, true
	case "kts":
		return kindKTS, true
	case "audts":
		return kindAudTS, true
	case "klog":
		return kindKlog, true
	case "mac":
		return kindMAC, true
	case "pid5":
		return kindPID5, true
	}
	return kindNone, false
}

// compileTemplate parses text against the catalog's lists.
func compileTemplate(text string, weight float64, lists map[string]int) (template, error) {
	t := template{text: text, weight: weight}
	rest := text
	var lit strings.Builder
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			lit.WriteString(rest)
			break
		}
		lit.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return t, fmt.Errorf("%w %q: unclosed {", errTemplate, text)
		}
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		s := seg{lit: lit.String()}
		lit.Reset()
		switch k, ok := primitiveKind(name); {
		case ok:
			s.kind = k
		case len(name) == 2 && name[0] == 'n' && '1' <= name[1] && name[1] <= '9':
			s.kind, s.digits = kindNum, int(name[1]-'0')
		default:
			idx, ok := lists[name]
			if !ok {
				return t, fmt.Errorf("%w %q: unknown placeholder {%s}", errTemplate, text, name)
			}
			s.kind, s.list = kindList, idx
		}
		t.segs = append(t.segs, s)
	}
	if lit.Len() > 0 {
		t.segs = append(t.segs, seg{lit: lit.String()})
	}
	var err error
	t.hasError, err = literalHasWord(t.segs, "error")
	if err != nil {
		return t, fmt.Errorf("%w %q: %v", errTemplate, text, err)
	}
	return t, nil
}

// isWordByte is the tokenizer's token byte class (letters, digits, '_' and
// '-'). rg -w does not count '-' as a word byte, so templates must keep a
// '-' away from the words that the benchmark counts.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// literalHasWord reports whether word (ASCII, lower case) occurs as a whole
// token in the literal parts. An occurrence touching a placeholder or a '-'
// is ambiguous (its count would depend on the value, or differ between
// glarc and rg) and is an error.
func literalHasWord(segs []seg, word string) (bool, error) {
	found := false
	for i, s := range segs {
		low := strings.ToLower(s.lit)
		for off := 0; ; {
			j := strings.Index(low[off:], word)
			if j < 0 {
				break
			}
			a, b := off+j, off+j+len(word)
			off = b
			// bytes before and after, as rg and glarc see them
			before, after := byte(' '), byte(' ')
			if a > 0 {
				before = low[a-1]
			} else if i > 0 {
				return false, fmt.Errorf("%q right after a placeholder", word)
			}
			if b < len(low) {
				after = low[b]
			} else if s.kind != kindNone {
				return false, fmt.Errorf("%q right before a placeholder", word)
			}
			if before == '-' || after == '-' {
				return false, fmt.Errorf("%q next to '-' (rg -w and glarc disagree)", word)
			}
			if !isWordByte(before) && !isWordByte(after) {
				found = true
			}
		}
	}
	return found, nil
}

const hexDigits = "0123456789abcdef"

func appendHex(dst []byte, v uint64, n int, digits string) []byte {
	for range n {
		dst = append(dst, digits[v&15])
		v >>= 4
	}
	return dst
}

// appendPad appends v in decimal, left-padded with pad to width.
func appendPad(dst []byte, v int64, width int, pad byte) []byte {
	var tmp [20]byte
	b := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(b); i < width; i++ {
		dst = append(dst, pad)
	}
	return append(dst, b...)
}
