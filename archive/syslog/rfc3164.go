package syslog

import (
	"bytes"
	"time"
)

// Options supply what a message without a year or zone leaves out.
type Options struct {
	// Year is used for `Mmm dd hh:mm:ss` stamps. 0 means the current year
	// in Location.
	Year int
	// Location is the zone of `Mmm dd hh:mm:ss` stamps; nil means
	// time.Local.
	Location *time.Location
	// Years, if not nil, is asked for the year of every year-less stamp, in
	// call order, and overrides Year. Use it when parsing one file in
	// order; it is not safe for concurrent use.
	Years *YearGuesser
}

// WithDefaults returns o with Location set to time.Local and Year to now's
// year in that zone, where they are unset. Parsing with the result reads no
// clock per message, which matters on hot paths: with Year 0 every
// year-less stamp calls time.Now.
func (o Options) WithDefaults(now time.Time) Options {
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Year == 0 {
		o.Year = now.In(o.Location).Year()
	}
	return o
}

func (o *Options) location() *time.Location {
	if o.Location == nil {
		return time.Local
	}
	return o.Location
}

func (o *Options) year(month time.Month, day int) int {
	switch {
	case o.Years != nil:
		return o.Years.Year(month, day)
	case o.Year != 0:
		return o.Year
	}
	return time.Now().In(o.location()).Year()
}

// maxTagLen bounds a one-word TAG (without the colon). Longer words are
// message text.
const maxTagLen = 128

// ParseRFC3164 parses a BSD syslog message or file line:
//
//	[<PRI>]TIMESTAMP SP [HOSTNAME SP] [TAG SP] MSG
//
// PRI is optional (file lines have none; Priority is then -1). TIMESTAMP is
// `Mmm dd hh:mm:ss[.fraction]` (day padded with a space or zero, or not
// padded; month name in any case), dated with opts, or an RFC 3339 timestamp (any number
// of fraction digits), which keeps its own year and offset.
//
// HOSTNAME is the first word after the timestamp, unless that word is
// itself a TAG (`app:` or `app[pid]:`), as in messages from a local socket;
// then Hostname is empty.
//
// TAG forms, after the hostname (further spaces before the tag are skipped):
//
//	app: msg                      AppName "app"
//	app[pid]: msg                 AppName "app", ProcID "pid"; the app may
//	                              hold any non-space bytes: sshd(pam_unix),
//	                              ctld/snmpd, com.apple.cts
//	app[pid] (group): msg         the group (macOS launchd and sandboxd:
//	                              `sandboxd[129] ([31211]):`) belongs to
//	                              the tag and is left out of Message
//	two words[pid]: msg           a tag of two words ending in [digits]:
//	                              AppName "Microsoft Word", "BezelServices
//	                              255.10", "-- root"
//	word 1.4.1: msg               a word and a version: AppName
//	                              "syslogd 1.4.1" (sysklogd's restart line)
//
// AppName is always the tag text before `[pid]` or the colon. Anything else
// has no tag: `host -- MARK --` gives an empty AppName and Message
// "-- MARK --". Exactly one SP after the tag's colon is a separator; any
// further spaces, and all trailing ones, belong to Message.
func ParseRFC3164(b []byte, opts Options) (Message, error) {
	var f Fields
	err := parseRFC3164(b, &opts, &f)
	return f.AsMessage(), err
}

func parseRFC3164(b []byte, opts *Options, m *Fields) error {
	*m = Fields{Format: RFC3164}
	m.noPriority()
	if len(b) == 0 {
		return errAt(0, ErrEmpty)
	}
	p := 0
	if b[0] == '<' {
		pri, n, err := parsePRI(b)
		if err != nil {
			return err
		}
		m.setPriority(pri)
		p = n
	}
	var err error
	if p < len(b) && isDigit(b[p]) {
		if m.Timestamp, p, err = parseRFC3339(b, p, false); err != nil {
			return err
		}
		m.HasYear = true
	} else if m.Timestamp, p, err = bsdTime(b, p, opts); err != nil {
		return err
	}
	return parseBody(b, p, m)
}

// ParseRFC3339File parses an rsyslog RSYSLOG_FileFormat line:
//
//	2026-03-01T00:00:00.123456+00:00 host app[pid]: msg
//
// The timestamp is RFC 3339 with any number of fraction digits; the rest
// follows the HOSTNAME and TAG rules of ParseRFC3164. There is no PRI.
func ParseRFC3339File(b []byte) (Message, error) {
	var f Fields
	err := parseRFC3339File(b, &f)
	return f.AsMessage(), err
}

func parseRFC3339File(b []byte, m *Fields) error {
	*m = Fields{Format: RFC3339File}
	m.noPriority()
	if len(b) == 0 {
		return errAt(0, ErrEmpty)
	}
	if !isDigit(b[0]) {
		return errAt(0, ErrNoTimestamp)
	}
	var p int
	var err error
	if m.Timestamp, p, err = parseRFC3339(b, 0, false); err != nil {
		return err
	}
	m.HasYear = true
	return parseBody(b, p, m)
}

// Parse detects the syntax of one message and parses it: `<PRI>1 ` is
// RFC 5424 (ParseRFC5424), a line starting with a digit is an RFC 3339 file
// line (ParseRFC3339File), anything else RFC 3164 (ParseRFC3164, which also
// takes `<PRI>` followed by an RFC 3339 timestamp, as rsyslog's
// RSYSLOG_ForwardFormat sends). Use it for network listeners and mixed
// files.
func Parse(b []byte, opts Options) (Message, error) {
	if len(b) > 0 && isDigit(b[0]) {
		return ParseRFC3339File(b)
	}
	if is5424(b) {
		return ParseRFC5424(b)
	}
	return ParseRFC3164(b, opts)
}

// ParseFields is Parse into f without allocating: the header fields are
// sub-slices of b. Only RFC 5424 structured data (maps) and RFC 3339
// stamps with a non-zero offset (a time.Location) allocate. f.AsMessage
// gives what Parse returns.
func ParseFields(b []byte, opts Options, f *Fields) error {
	if len(b) > 0 && isDigit(b[0]) {
		return parseRFC3339File(b, f)
	}
	if is5424(b) {
		return parseRFC5424(b, f)
	}
	return parseRFC3164(b, &opts, f)
}

// is5424 reports whether b starts with `<digits>1 `.
func is5424(b []byte) bool {
	if len(b) < 5 || b[0] != '<' {
		return false
	}
	i := 1
	for i < len(b) && i <= maxPRIDigits+1 && isDigit(b[i]) {
		i++
	}
	return i+2 < len(b) && b[i] == '>' && b[i+1] == '1' && b[i+2] == ' '
}

// bsdTime parses a year-less stamp at b[p:] and dates it with opts.
func bsdTime(b []byte, p int, opts *Options) (time.Time, int, error) {
	st, end, err := parseBSDStamp(b, p)
	if err != nil {
		return time.Time{}, 0, err
	}
	y := opts.year(st.month, st.day)
	if st.day > daysIn(st.month, y) {
		return time.Time{}, 0, errAt(p+4, ErrBadTimestamp)
	}
	return time.Date(y, st.month, st.day, st.h, st.mi, st.s, st.ns, opts.location()), end, nil
}

// parseBody parses `SP [HOSTNAME SP] [TAG SP] MSG` at b[p:], just after the
// timestamp.
func parseBody(b []byte, p int, m *Fields) error {
	if p == len(b) {
		m.Message = b[p:]
		return nil
	}
	if b[p] != ' ' {
		return errAt(p, ErrBadTimestamp)
	}
	p = skipSpaces(b, p)
	if p == len(b) {
		m.Message = b[p:]
		return nil
	}
	if t, ok := firstWordTag(b, p); ok {
		m.setTag(b, t)
		return nil
	}
	e := wordEnd(b, p)
	m.Hostname = b[p:e:e]
	if e == len(b) {
		m.Message = b[e:]
		return nil
	}
	p = e + 1 // the one separating SP
	if t, ok := tagAt(b, skipSpaces(b, p)); ok {
		m.setTag(b, t)
		return nil
	}
	m.Message = b[p:]
	return nil
}

// tag locates a TAG in the input: app is b[appStart:appEnd], the procid
// b[pidStart:pidEnd] (empty when pidStart == pidEnd), and the message starts
// at msg.
type tag struct {
	appStart, appEnd, pidStart, pidEnd, msg int
}

func (m *Fields) setTag(b []byte, t tag) {
	if t.appEnd > t.appStart {
		m.AppName = b[t.appStart:t.appEnd:t.appEnd]
	}
	if t.pidEnd > t.pidStart {
		m.ProcID = b[t.pidStart:t.pidEnd:t.pidEnd]
	}
	m.Message = b[t.msg:]
}

func skipSpaces(b []byte, p int) int {
	for p < len(b) && b[p] == ' ' {
		p++
	}
	return p
}

// wordEnd returns the offset of the first SP at or after p, or len(b).
func wordEnd(b []byte, p int) int {
	if i := bytes.IndexByte(b[p:], ' '); i >= 0 {
		return p + i
	}
	return len(b)
}

// afterColon returns where MSG starts after a tag word ending at e (the
// colon is b[e-1]): past one SP, or e at the end of input.
func afterColon(b []byte, e int) int {
	if e < len(b) {
		return e + 1
	}
	return e
}

// firstWordTag recognises the tag forms that may stand where the hostname
// would be: `app:`, `app[pid]:` and `app[pid] (group):`.
func firstWordTag(b []byte, p int) (tag, bool) {
	e := wordEnd(b, p)
	if t, ok := colonTag(b, p, e); ok {
		return t, true
	}
	return groupTag(b, p, e)
}

// tagAt recognises every tag form at b[p:] (see ParseRFC3164).
func tagAt(b []byte, p int) (tag, bool) {
	if p >= len(b) {
		return tag{}, false
	}
	e := wordEnd(b, p)
	if t, ok := colonTag(b, p, e); ok {
		return t, true
	}
	if t, ok := groupTag(b, p, e); ok {
		return t, true
	}
	return twoWordTag(b, p, e)
}

// colonTag: the word b[p:e] is `app:` or `app[pid]:`.
func colonTag(b []byte, p, e int) (tag, bool) {
	n := e - p
	if n < 2 || n > maxTagLen+1 || b[e-1] != ':' {
		return tag{}, false
	}
	t := tag{appStart: p, appEnd: e - 1, msg: afterColon(b, e)}
	if b[e-2] == ']' {
		if i := bytes.LastIndexByte(b[p:e-2], '['); i >= 0 {
			t.appEnd = p + i
			t.pidStart, t.pidEnd = p+i+1, e-2
		}
	}
	return t, true
}

// pidSuffix reports whether b[p:e] ends in `[digits]` and returns the
// offset of '['.
func pidSuffix(b []byte, p, e int) (int, bool) {
	if e-p < 3 || b[e-1] != ']' {
		return 0, false
	}
	i := e - 2
	for i > p && isDigit(b[i]) {
		i--
	}
	return i, i > p && b[i] == '[' && i < e-2
}

// groupTag: `app[pid] (group):`, the group being one word.
func groupTag(b []byte, p, e int) (tag, bool) {
	br, ok := pidSuffix(b, p, e)
	if !ok || e-p > maxTagLen || e >= len(b) {
		return tag{}, false
	}
	g := e + 1
	ge := wordEnd(b, g)
	if ge-g < 3 || ge-g > maxTagLen || b[g] != '(' || b[ge-2] != ')' || b[ge-1] != ':' {
		return tag{}, false
	}
	return tag{appStart: p, appEnd: br, pidStart: br + 1, pidEnd: e - 1, msg: afterColon(b, ge)}, true
}

// twoWordTag: `word word[digits]:` or `word version:`.
func twoWordTag(b []byte, p, e int) (tag, bool) {
	if e >= len(b) || e-p > maxTagLen {
		return tag{}, false
	}
	w := e + 1
	we := wordEnd(b, w)
	if we-w < 2 || we-p > maxTagLen+1 || b[we-1] != ':' {
		return tag{}, false
	}
	if br, ok := pidSuffix(b, w, we-1); ok {
		return tag{appStart: p, appEnd: br, pidStart: br + 1, pidEnd: we - 2, msg: afterColon(b, we)}, true
	}
	if isVersion(b[w : we-1]) {
		return tag{appStart: p, appEnd: we - 1, msg: afterColon(b, we)}, true
	}
	return tag{}, false
}

// isVersion reports whether v looks like `1.4.1`: digits and dots, starting
// and ending with a digit, with at least one dot.
func isVersion(v []byte) bool {
	if len(v) < 3 || !isDigit(v[0]) || !isDigit(v[len(v)-1]) {
		return false
	}
	dot := false
	for _, c := range v {
		switch {
		case c == '.':
			dot = true
		case !isDigit(c):
			return false
		}
	}
	return dot
}
