package input

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Format names an input format. The values are stable and may be stored.
type Format uint8

// Input formats. FormatAuto means "detect it"; Detect never returns it.
const (
	FormatAuto Format = 0
	// FormatRaw is anything else: each line is a record with no metadata.
	FormatRaw Format = 1
	// FormatSyslog is RFC 3164 file lines, with or without PRI:
	// "Jun 14 15:16:01 combo sshd[19939]: msg".
	FormatSyslog Format = 2
	// FormatRFC5424 is RFC 5424 lines: "<34>1 2003-10-11T22:14:15.003Z host app - ID47 - msg".
	FormatRFC5424 Format = 3
	// FormatRFC3339 is rsyslog high-precision file lines:
	// "2026-03-01T00:00:00.123456+00:00 host app[pid]: msg" (a PRI before
	// the timestamp is allowed).
	FormatRFC3339 Format = 4
	// FormatLokiJSONL is `logcli query --output=jsonl`: one JSON object per line.
	FormatLokiJSONL Format = 5
	// FormatLokiDefault is logcli's default output: "<RFC 3339> {labels} line".
	FormatLokiDefault Format = 6
	// FormatLokiRaw is `logcli query --output=raw`: the bare lines, which
	// lost their timestamps and labels. It cannot be told from a plain log
	// file, so Detect never returns it and reports the lines' own format
	// instead; naming it with --format means "archive the lines as raw
	// records", like FormatRaw.
	FormatLokiRaw Format = 7
	// FormatLokiPushJSON is a saved Loki push body {"streams":[...]}: one
	// JSON document, not line based.
	FormatLokiPushJSON Format = 8
	// FormatLokiPushProto is a saved snappy-compressed protobuf push body:
	// binary, not line based.
	FormatLokiPushProto Format = 9
)

var formatNames = [...]string{
	FormatAuto:          "auto",
	FormatRaw:           "raw",
	FormatSyslog:        "syslog",
	FormatRFC5424:       "rfc5424",
	FormatRFC3339:       "rfc3339",
	FormatLokiJSONL:     "loki-jsonl",
	FormatLokiDefault:   "loki-default",
	FormatLokiRaw:       "loki-raw",
	FormatLokiPushJSON:  "loki-push-json",
	FormatLokiPushProto: "loki-push-proto",
}

// ErrUnknownFormat is returned by ParseFormat for a name it does not know.
var ErrUnknownFormat = errors.New("unknown input format")

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// LineBased reports whether the format is read line by line (the push
// bodies are whole documents).
func (f Format) LineBased() bool {
	return f != FormatLokiPushJSON && f != FormatLokiPushProto
}

// Formats lists every format name ParseFormat accepts, in value order
// (aliases not included), for usage messages.
func Formats() []string { return slices.Clone(formatNames[:]) }

// ParseFormat returns the format with the given name (case-insensitive),
// as used by `--format NAME`. "rfc3164" is accepted for syslog and "jsonl"
// for loki-jsonl.
func ParseFormat(name string) (Format, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, s := range formatNames {
		if s == n {
			return Format(i), nil
		}
	}
	switch n {
	case "rfc3164":
		return FormatSyslog, nil
	case "jsonl":
		return FormatLokiJSONL, nil
	}
	return FormatAuto, fmt.Errorf("%w %q (one of %s)", ErrUnknownFormat, name, strings.Join(formatNames[:], ", "))
}

// DetectSampleLines is how many non-empty lines Detect looks at.
const DetectSampleLines = 32

// DetectHead detects the format from the first bytes of a decompressed
// stream (a few KiB to 64 KiB is plenty). A line cut off at the end of head
// is ignored unless it is the only one.
func DetectHead(head []byte) Format {
	if f, ok := detectDocument(head); ok {
		return f
	}
	lines := make([][]byte, 0, DetectSampleLines)
	for len(head) > 0 && len(lines) < DetectSampleLines {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			if len(lines) == 0 {
				lines = append(lines, head)
			}
			break
		}
		line := bytes.TrimSuffix(head[:i], []byte{'\r'})
		head = head[i+1:]
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, line)
		}
	}
	return vote(lines)
}

// Detect detects the format from the first lines of a stream (without
// their terminators). It looks at up to DetectSampleLines non-empty lines;
// each votes for the format it looks like, and the format with most votes
// wins if it has at least as many as the lines that look like nothing
// known. Otherwise, and for an empty sample, the result is FormatRaw.
// Whole-document formats (Loki push bodies) are recognised from the first
// lines first.
func Detect(sample [][]byte) Format {
	var doc []byte
	for _, l := range sample {
		doc = append(doc, l...)
		doc = append(doc, '\n')
		if len(doc) > 1024 {
			break
		}
	}
	if f, ok := detectDocument(doc); ok {
		return f
	}
	lines := make([][]byte, 0, DetectSampleLines)
	for _, l := range sample {
		if len(lines) == DetectSampleLines {
			break
		}
		if len(bytes.TrimSpace(l)) > 0 {
			lines = append(lines, l)
		}
	}
	return vote(lines)
}

func vote(lines [][]byte) Format {
	var votes [len(formatNames)]int
	for _, l := range lines {
		votes[classifyLine(l)]++
	}
	best := FormatRaw
	for f := FormatSyslog; int(f) < len(votes); f++ {
		if votes[f] > votes[best] || (best == FormatRaw && votes[f] > 0) {
			best = f
		}
	}
	if best == FormatRaw || votes[best] < votes[FormatRaw] {
		return FormatRaw
	}
	return best
}

// detectDocument recognises the whole-document push formats.
func detectDocument(doc []byte) (Format, bool) {
	if isSnappyPushProto(doc) {
		return FormatLokiPushProto, true
	}
	d := bytes.TrimLeft(doc, " \t\r\n")
	if len(d) > 0 && d[0] == '{' {
		d = bytes.TrimLeft(d[1:], " \t\r\n")
		if bytes.HasPrefix(d, []byte(`"streams"`)) {
			d = bytes.TrimLeft(d[len(`"streams"`):], " \t\r\n")
			if len(d) > 0 && d[0] == ':' {
				return FormatLokiPushJSON, true
			}
		}
	}
	return FormatAuto, false
}

// isSnappyPushProto checks for a snappy block whose first literal starts
// like a PushRequest: 0a <len> 0a <len> '{' (streams[0].labels = "{...").
func isSnappyPushProto(b []byte) bool {
	n, w := binary.Uvarint(b)
	if w <= 0 || n == 0 || n > 1<<40 {
		return false
	}
	b = b[w:]
	if len(b) == 0 || b[0]&3 != 0 { // first element must be a literal
		return false
	}
	switch tag := b[0] >> 2; {
	case tag < 60:
		b = b[1:]
	case tag <= 63:
		skip := 1 + int(tag-59)
		if len(b) < skip {
			return false
		}
		b = b[skip:]
	}
	if len(b) < 1 || b[0] != 0x0a {
		return false
	}
	_, w = binary.Uvarint(b[1:])
	if w <= 0 {
		return false
	}
	b = b[1+w:]
	if len(b) < 1 || b[0] != 0x0a {
		return false
	}
	_, w = binary.Uvarint(b[1:])
	if w <= 0 {
		return false
	}
	b = b[1+w:]
	return len(b) > 0 && b[0] == '{'
}

// classifyLine says which line-based format one line looks like.
func classifyLine(l []byte) Format {
	if len(l) > 0 && l[0] == '{' {
		t := bytes.TrimRight(l, " \t\r")
		if len(t) > 0 && t[len(t)-1] == '}' && bytes.Contains(t, []byte(`"line":`)) && bytes.Contains(t, []byte(`"timestamp":`)) {
			return FormatLokiJSONL
		}
		return FormatRaw
	}
	rest, hasPRI := skipPRI(l)
	if hasPRI && len(rest) >= 2 && rest[0] == '1' && rest[1] == ' ' {
		return FormatRFC5424
	}
	if after, ok := skipRFC3339(rest); ok {
		if !hasPRI && looksLikeLabels(after) {
			return FormatLokiDefault
		}
		return FormatRFC3339
	}
	if isBSDStamp(rest) {
		return FormatSyslog
	}
	return FormatRaw
}

// skipPRI skips "<digits>" (1 to 3 digits) at the start of l.
func skipPRI(l []byte) ([]byte, bool) {
	if len(l) < 3 || l[0] != '<' {
		return l, false
	}
	i := 1
	for i < len(l) && i <= 3 && isDigit(l[i]) {
		i++
	}
	if i == 1 || i >= len(l) || l[i] != '>' {
		return l, false
	}
	return l[i+1:], true
}

// skipRFC3339 matches "YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm) " and returns
// what follows the space.
func skipRFC3339(l []byte) ([]byte, bool) {
	const pat = "dddd-dd-ddTdd:dd:dd"
	if len(l) < len(pat)+2 {
		return nil, false
	}
	for i := range len(pat) {
		if pat[i] == 'd' {
			if !isDigit(l[i]) {
				return nil, false
			}
		} else if l[i] != pat[i] && !(pat[i] == 'T' && l[i] == 't') {
			return nil, false
		}
	}
	l = l[len(pat):]
	if l[0] == '.' {
		i := 1
		for i < len(l) && isDigit(l[i]) {
			i++
		}
		if i == 1 {
			return nil, false
		}
		l = l[i:]
	}
	switch {
	case len(l) > 0 && (l[0] == 'Z' || l[0] == 'z'):
		l = l[1:]
	case len(l) >= 6 && (l[0] == '+' || l[0] == '-') && isDigit(l[1]) && isDigit(l[2]) && l[3] == ':' && isDigit(l[4]) && isDigit(l[5]):
		l = l[6:]
	default:
		return nil, false
	}
	if len(l) == 0 || l[0] != ' ' {
		return nil, false
	}
	return l[1:], true
}

// looksLikeLabels matches the start of a logcli label set: "{}" or
// `{name="`.
func looksLikeLabels(l []byte) bool {
	if len(l) < 2 || l[0] != '{' {
		return false
	}
	if l[1] == '}' {
		return true
	}
	i := 1
	for i < len(l) && (l[i] == '_' || isLetter(l[i]) || (i > 1 && isDigit(l[i]))) {
		i++
	}
	return i > 1 && i+1 < len(l) && l[i] == '=' && l[i+1] == '"'
}

var months = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// isBSDStamp matches "Mmm dd hh:mm:ss " with the day space-padded or not.
func isBSDStamp(l []byte) bool {
	if len(l) < 15 || l[3] != ' ' {
		return false
	}
	m := strings.ToLower(string(l[:3])) // 3 bytes: no allocation for the comparison
	ok := false
	for _, s := range months {
		if m == s {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	l = l[4:]
	switch {
	case l[0] == ' ' && isDigit(l[1]):
		l = l[2:]
	case isDigit(l[0]) && isDigit(l[1]):
		l = l[2:]
	case isDigit(l[0]):
		l = l[1:]
	default:
		return false
	}
	const pat = " dd:dd:dd"
	if len(l) < len(pat) {
		return false
	}
	for i := range len(pat) {
		if pat[i] == 'd' {
			if !isDigit(l[i]) {
				return false
			}
		} else if l[i] != pat[i] {
			return false
		}
	}
	l = l[len(pat):]
	return len(l) == 0 || l[0] == ' '
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
