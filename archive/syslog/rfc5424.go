package syslog

import (
	"bytes"
	"unicode/utf8"
)

// Maximum lengths of RFC 5424 header fields (section 6, ABNF).
const (
	maxHostname  = 255
	maxAppName   = 48
	maxProcID    = 128
	maxMsgID     = 32
	maxSDName    = 32 // SD-ID and PARAM-NAME
	maxPRIDigits = 3
	maxPriority  = 191
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// parsePRI parses `<PRIVAL>` at b[0:] (b[0] must be '<') and returns the
// value and the offset after '>'.
func parsePRI(b []byte) (int, int, error) {
	v, i := 0, 1
	for ; i < len(b) && i <= maxPRIDigits+1 && isDigit(b[i]); i++ {
		v = v*10 + int(b[i]-'0')
	}
	if n := i - 1; n == 0 || n > maxPRIDigits || v > maxPriority {
		return 0, 0, errAt(1, ErrBadPriority)
	}
	if i >= len(b) || b[i] != '>' {
		return 0, 0, errAt(i, ErrBadPriority)
	}
	return v, i + 1, nil
}

// ParseRFC5424 parses one RFC 5424 message strictly: PRI, VERSION,
// TIMESTAMP (upper-case 'T' and 'Z', at most 6 fraction digits, real
// calendar dates), HOSTNAME, APP-NAME, PROCID and MSGID (PRINTUSASCII
// within their maximum lengths, "-" for none), STRUCTURED-DATA, and MSG
// after exactly one SP. SD-PARAM values are unescaped (`\"`, `\\`, `\]`);
// any other backslash is kept as written (RFC 5424 6.3.3). A repeated SD-ID
// is an error. A leading BOM is removed from MSG; MSG may hold any bytes,
// including LF. b must not include a frame trailer or length prefix.
func ParseRFC5424(b []byte) (Message, error) {
	var f Fields
	err := parseRFC5424(b, &f)
	return f.AsMessage(), err
}

func parseRFC5424(b []byte, m *Fields) error {
	*m = Fields{Format: RFC5424}
	if len(b) == 0 {
		return errAt(0, ErrEmpty)
	}
	if b[0] != '<' {
		return errAt(0, ErrBadPriority)
	}
	pri, p, err := parsePRI(b)
	if err != nil {
		return err
	}
	m.setPriority(pri)

	// VERSION = NONZERO-DIGIT 0*2DIGIT
	if p >= len(b) || b[p] < '1' || b[p] > '9' {
		return errAt(p, ErrBadVersion)
	}
	q := p + 1
	for q < len(b) && q-p < 3 && isDigit(b[q]) {
		q++
	}
	if q >= len(b) || b[q] != ' ' {
		return errAt(q, ErrBadVersion)
	}
	p = q + 1

	// TIMESTAMP
	if p < len(b) && b[p] == '-' {
		p++
	} else {
		if m.Timestamp, p, err = parseRFC3339(b, p, true); err != nil {
			return err
		}
		m.HasYear = true
	}
	if p >= len(b) || b[p] != ' ' {
		return errAt(p, ErrBadTimestamp)
	}
	p++

	if m.Hostname, p, err = headerField(b, p, maxHostname); err != nil {
		return err
	}
	if m.AppName, p, err = headerField(b, p, maxAppName); err != nil {
		return err
	}
	if m.ProcID, p, err = headerField(b, p, maxProcID); err != nil {
		return err
	}
	if m.MsgID, p, err = headerField(b, p, maxMsgID); err != nil {
		return err
	}

	// STRUCTURED-DATA
	switch {
	case p >= len(b):
		return errAt(p, ErrBadStructuredData)
	case b[p] == '-':
		p++
	case b[p] == '[':
		if m.StructuredData, p, err = parseSD(b, p); err != nil {
			return err
		}
	default:
		return errAt(p, ErrBadStructuredData)
	}
	if p == len(b) {
		return nil
	}
	if b[p] != ' ' {
		return errAt(p, ErrBadStructuredData)
	}
	msg := b[p+1:]
	if bytes.HasPrefix(msg, bom) {
		msg = msg[len(bom):]
	}
	m.Message = msg
	return nil
}

// headerField reads 1*max PRINTUSASCII at b[p:] followed by one SP and
// returns it (nil for the NILVALUE "-") and the offset after the SP.
func headerField(b []byte, p, max int) ([]byte, int, error) {
	start := p
	for p < len(b) && b[p] > ' ' && b[p] < 0x7F {
		p++
		if p-start > max {
			return nil, 0, errAt(p-1, ErrBadHeader)
		}
	}
	if p == start || p >= len(b) || b[p] != ' ' {
		return nil, 0, errAt(p, ErrBadHeader)
	}
	if p-start == 1 && b[start] == '-' {
		return nil, p + 1, nil
	}
	return b[start:p:p], p + 1, nil
}

// sdName reports whether c may appear in an SD-NAME: PRINTUSASCII except
// '=', SP, ']' and '"'.
func sdName(c byte) bool {
	return c > ' ' && c < 0x7F && c != '=' && c != ']' && c != '"'
}

// parseSD parses 1*SD-ELEMENT at b[p:] (b[p] is '[').
func parseSD(b []byte, p int) (map[string]map[string]string, int, error) {
	sd := make(map[string]map[string]string, 2)
	for p < len(b) && b[p] == '[' {
		p++
		start := p
		for p < len(b) && sdName(b[p]) {
			p++
		}
		if p == start || p-start > maxSDName {
			return nil, 0, errAt(start, ErrBadStructuredData)
		}
		id := string(b[start:p])
		if _, dup := sd[id]; dup {
			return nil, 0, errAt(start, ErrBadStructuredData)
		}
		params := map[string]string{}
		for {
			if p >= len(b) {
				return nil, 0, errAt(p, ErrBadStructuredData)
			}
			if b[p] == ']' {
				p++
				break
			}
			if b[p] != ' ' {
				return nil, 0, errAt(p, ErrBadStructuredData)
			}
			p++
			start = p
			for p < len(b) && sdName(b[p]) {
				p++
			}
			if p == start || p-start > maxSDName {
				return nil, 0, errAt(start, ErrBadStructuredData)
			}
			name := string(b[start:p])
			if p+1 >= len(b) || b[p] != '=' || b[p+1] != '"' {
				return nil, 0, errAt(p, ErrBadStructuredData)
			}
			var value string
			var err error
			if value, p, err = paramValue(b, p+2); err != nil {
				return nil, 0, err
			}
			params[name] = value // a repeated PARAM-NAME keeps the last value
		}
		sd[id] = params
	}
	return sd, p, nil
}

// paramValue reads a PARAM-VALUE at b[p:] up to its closing '"' and returns
// it unescaped and the offset after the quote.
func paramValue(b []byte, p int) (string, int, error) {
	start := p
	escaped := false
	for ; p < len(b); p++ {
		switch b[p] {
		case '\\':
			if p+1 == len(b) {
				return "", 0, errAt(len(b), ErrBadStructuredData)
			}
			escaped = true
			p++ // skip the escaped byte
		case ']':
			return "", 0, errAt(p, ErrBadStructuredData)
		case '"':
			raw := b[start:p]
			if !utf8.Valid(raw) {
				return "", 0, errAt(start, ErrBadStructuredData)
			}
			if !escaped {
				return string(raw), p + 1, nil
			}
			return unescape(raw), p + 1, nil
		}
	}
	return "", 0, errAt(p, ErrBadStructuredData)
}

// unescape removes the backslash of `\"`, `\\` and `\]` and keeps every
// other backslash (RFC 5424 6.3.3).
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case '"', '\\', ']':
				i++
				c = raw[i]
			}
		}
		out = append(out, c)
	}
	return string(out)
}
