package loki

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"glarc/chunk"
)

var (
	// ErrInvalidEntry means a dump line is not a logcli entry. The caller
	// should archive the line as a raw record.
	ErrInvalidEntry = errors.New("invalid logcli entry")
	// ErrContinuation means a default-output line does not start with a
	// timestamp: it continues the previous entry's (multi-line) text.
	ErrContinuation = errors.New("line continues the previous entry")
	// ErrEntryTooLong means a multi-line default-output entry grew past
	// the DefaultDump's limit; the line was not added to it.
	ErrEntryTooLong = errors.New("multi-line entry too long")
)

// jsonlEntry is one `logcli --output=jsonl` line.
type jsonlEntry struct {
	Labels    map[string]string `json:"labels"`
	Line      *string           `json:"line"`
	Timestamp *string           `json:"timestamp"`
}

// ParseJSONLLine parses one line of `logcli query --output=jsonl`:
//
//	{"labels":{"app":"sshd"},"line":"...","timestamp":"2024-12-10T06:55:46.5Z"}
//
// labels may be missing (--no-labels) or empty; line and timestamp are
// required. The timestamp is RFC 3339 with up to 9 fraction digits and any
// offset; it is returned in UTC. A trailing CR or LF is ignored. Errors wrap
// ErrInvalidEntry.
func ParseJSONLLine(line []byte) (Entry, error) {
	if e, ok := parseJSONLFast(line); ok {
		return e, nil
	}
	var e jsonlEntry
	if err := json.Unmarshal(line, &e); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrInvalidEntry, err)
	}
	if e.Line == nil {
		return Entry{}, fmt.Errorf("%w: no \"line\"", ErrInvalidEntry)
	}
	if e.Timestamp == nil {
		return Entry{}, fmt.Errorf("%w: no \"timestamp\"", ErrInvalidEntry)
	}
	ts, err := time.Parse(time.RFC3339Nano, *e.Timestamp)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: timestamp: %v", ErrInvalidEntry, err)
	}
	var labels chunk.Attributes
	if len(e.Labels) > 0 {
		labels = chunk.Attributes(e.Labels)
	}
	return Entry{Timestamp: ts.UTC(), Labels: labels, Line: []byte(*e.Line)}, nil
}

// commonLabelsPrefix starts the line logcli writes to stderr before a dump.
const commonLabelsPrefix = "Common labels: "

// ParseCommonLabels recognises the `Common labels: {a="b"}` line that logcli
// prints to stderr (and so into a dump captured with 2>&1). The labels it
// names were removed from every entry that follows.
func ParseCommonLabels(line []byte) (chunk.Attributes, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(commonLabelsPrefix))
	if !ok {
		return nil, false
	}
	labels, err := ParseLabels(string(bytes.TrimRight(rest, " \r")))
	if err != nil {
		return nil, false
	}
	return labels, true
}

// ParseDefaultLine parses the first physical line of an entry in logcli's
// default output:
//
//	2024-12-10T06:55:46Z {app="sshd", host="LabSZ"}    Dec 10 06:55:46 LabSZ sshd[24200]: ...
//
// that is an RFC 3339 timestamp (any fraction, any offset), a space, an
// optional label set padded with spaces, and the line. logcli trimmed the
// line's leading and trailing white space, so Line is what remains after
// the padding. A line that does not start with a timestamp gives
// ErrContinuation (use DefaultDump to join multi-line entries). Only the
// default rfc3339/rfc3339nano --output-timestamp-format is understood.
func ParseDefaultLine(line []byte) (Entry, error) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		sp = len(line)
	}
	ts, ok := parseDefaultTimestamp(line[:sp])
	if !ok {
		return Entry{}, ErrContinuation
	}
	rest := line[min(sp+1, len(line)):]
	var labels chunk.Attributes
	if len(rest) > 0 && rest[0] == '{' {
		l, n, err := parseLabelsPrefix(string(rest))
		if err == nil {
			labels, rest = l, rest[n:]
			for len(rest) > 0 && rest[0] == ' ' {
				rest = rest[1:]
			}
		}
		// Otherwise there were no labels (--no-labels) and the line
		// itself starts with '{'.
	}
	return Entry{Timestamp: ts, Labels: labels, Line: bytes.Clone(bytes.TrimRight(rest, "\r"))}, nil
}

// parseDefaultTimestamp parses an RFC 3339 timestamp; it is quick to reject
// text that is not one (continuation lines).
func parseDefaultTimestamp(b []byte) (time.Time, bool) {
	const minLen = len("2006-01-02T15:04:05Z")
	if len(b) < minLen || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') {
		return time.Time{}, false
	}
	ts, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, false
	}
	return ts.UTC(), true
}

// DefaultDump turns the physical lines of a logcli default-output dump into
// entries, joining the continuation lines of multi-line entries with "\n"
// and adding the labels of a captured `Common labels:` line to the entries
// after it. Feed it every line (without terminator) with Add, then call
// Flush at the end.
//
//	var d loki.DefaultDump
//	for line := range lines {
//		e, ok, err := d.Add(line)
//		if err != nil { archiveRaw(line) } // not part of any entry
//		if ok { use(e) }
//	}
//	if e, ok := d.Flush(); ok { use(e) }
type DefaultDump struct {
	// MaxEntry bounds the text of one multi-line entry (0 means 16 MiB).
	MaxEntry int
	common   chunk.Attributes
	pending  Entry
	have     bool
}

const defaultMaxEntry = 16 << 20

// Add takes the next physical line. When the line starts a new entry, the
// previous one is complete and is returned with ok set. A continuation line
// before the first entry gives ErrContinuation, and one that would make the
// entry longer than MaxEntry gives ErrEntryTooLong: the caller keeps such a
// line as a raw record. A `Common labels:` line is consumed (nothing is
// returned).
func (d *DefaultDump) Add(line []byte) (e Entry, ok bool, err error) {
	next, err := ParseDefaultLine(line)
	if errors.Is(err, ErrContinuation) {
		if common, isCommon := ParseCommonLabels(line); isCommon {
			d.common = common
			return Entry{}, false, nil
		}
		if !d.have {
			return Entry{}, false, ErrContinuation
		}
		if len(d.pending.Line)+1+len(line) > cmp.Or(d.MaxEntry, defaultMaxEntry) {
			return Entry{}, false, fmt.Errorf("%w: more than %d bytes", ErrEntryTooLong, cmp.Or(d.MaxEntry, defaultMaxEntry))
		}
		d.pending.Line = append(append(d.pending.Line, '\n'), bytes.TrimRight(line, "\r")...)
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	if len(d.common) > 0 {
		merged := maps.Clone(d.common)
		maps.Copy(merged, next.Labels)
		next.Labels = merged
	}
	e, ok = d.Flush()
	d.pending, d.have = next, true
	return e, ok, nil
}

// Flush returns the entry being assembled, if any. logcli trimmed trailing
// white space of the whole entry, so that of the joined text is trimmed too.
func (d *DefaultDump) Flush() (Entry, bool) {
	if !d.have {
		return Entry{}, false
	}
	e := d.pending
	e.Line = bytes.TrimRight(e.Line, " \t\r\n")
	d.pending, d.have = Entry{}, false
	return e, true
}
