package syslog

import "time"

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits2 reads two ASCII digits at b[i:]; ok is false if either is not one.
func digits2(b []byte, i int) (int, bool) {
	if i+1 >= len(b) || !isDigit(b[i]) || !isDigit(b[i+1]) {
		return 0, false
	}
	return int(b[i]-'0')*10 + int(b[i+1]-'0'), true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// clock reads `hh:mm:ss` at b[i:] and checks the ranges.
func clock(b []byte, i int) (h, mi, s int, err error) {
	var ok1, ok2, ok3 bool
	h, ok1 = digits2(b, i)
	mi, ok2 = digits2(b, i+3)
	s, ok3 = digits2(b, i+6)
	if !ok1 || !ok2 || !ok3 || b[i+2] != ':' || b[i+5] != ':' {
		return 0, 0, 0, errAt(i, ErrBadTimestamp)
	}
	if h > 23 || mi > 59 || s > 59 {
		return 0, 0, 0, errAt(i, ErrBadTimestamp)
	}
	return h, mi, s, nil
}

// parseRFC3339 parses FULL-DATE "T" FULL-TIME (RFC 5424 6.2.3) at b[off:]
// and returns the time and the offset just after it. With strict set the
// fraction is limited to 6 digits (TIME-SECFRAC); otherwise any number of
// digits is accepted and digits past the ninth are ignored. 'T' and 'Z'
// must be upper case and the offset is required.
func parseRFC3339(b []byte, off int, strict bool) (time.Time, int, error) {
	i := off
	// YYYY-MM-DDThh:mm:ss is 19 bytes.
	if len(b)-i < 19 {
		return time.Time{}, 0, errAt(i, ErrBadTimestamp)
	}
	y1, ok1 := digits2(b, i)
	y2, ok2 := digits2(b, i+2)
	mo, ok3 := digits2(b, i+5)
	d, ok4 := digits2(b, i+8)
	if !ok1 || !ok2 || !ok3 || !ok4 || b[i+4] != '-' || b[i+7] != '-' {
		return time.Time{}, 0, errAt(i, ErrBadTimestamp)
	}
	y := y1*100 + y2
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return time.Time{}, 0, errAt(i+5, ErrBadTimestamp)
	}
	if b[i+10] != 'T' {
		return time.Time{}, 0, errAt(i+10, ErrBadTimestamp)
	}
	h, mi, s, err := clock(b, i+11)
	if err != nil {
		return time.Time{}, 0, err
	}
	i += 19
	ns := 0
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		scale := 100_000_000
		for i < len(b) && isDigit(b[i]) {
			if scale > 0 {
				ns += int(b[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if n := i - start; n == 0 || (strict && n > 6) {
			return time.Time{}, 0, errAt(start, ErrBadTimestamp)
		}
	}
	if i >= len(b) {
		return time.Time{}, 0, errAt(i, ErrBadTimestamp)
	}
	loc := time.UTC
	switch b[i] {
	case 'Z':
		i++
	case '+', '-':
		oh, ok1 := digits2(b, i+1)
		om, ok2 := digits2(b, i+4)
		if !ok1 || !ok2 || b[i+3] != ':' || oh > 23 || om > 59 {
			return time.Time{}, 0, errAt(i, ErrBadTimestamp)
		}
		if secs := oh*3600 + om*60; secs != 0 {
			if b[i] == '-' {
				secs = -secs
			}
			// One small allocation for non-UTC offsets keeps the offset
			// the message was written in.
			loc = time.FixedZone("", secs)
		}
		i += 6
	default:
		return time.Time{}, 0, errAt(i, ErrBadTimestamp)
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, loc), i, nil
}

// monthOf maps a three-letter month name, in any case, to its number.
func monthOf(a, b, c byte) time.Month {
	switch uint32(a|0x20)<<16 | uint32(b|0x20)<<8 | uint32(c|0x20) {
	case 'j'<<16 | 'a'<<8 | 'n':
		return time.January
	case 'f'<<16 | 'e'<<8 | 'b':
		return time.February
	case 'm'<<16 | 'a'<<8 | 'r':
		return time.March
	case 'a'<<16 | 'p'<<8 | 'r':
		return time.April
	case 'm'<<16 | 'a'<<8 | 'y':
		return time.May
	case 'j'<<16 | 'u'<<8 | 'n':
		return time.June
	case 'j'<<16 | 'u'<<8 | 'l':
		return time.July
	case 'a'<<16 | 'u'<<8 | 'g':
		return time.August
	case 's'<<16 | 'e'<<8 | 'p':
		return time.September
	case 'o'<<16 | 'c'<<8 | 't':
		return time.October
	case 'n'<<16 | 'o'<<8 | 'v':
		return time.November
	case 'd'<<16 | 'e'<<8 | 'c':
		return time.December
	}
	return 0
}

// bsdStamp is a year-less RFC 3164 timestamp.
type bsdStamp struct {
	month             time.Month
	day, h, mi, s, ns int
}

// parseBSDStamp parses `Mmm dd hh:mm:ss` at b[off:], with the day
// space-padded (`Feb  5`), zero-padded (`Feb 05`) or not padded (`Feb 5`),
// and the month name in any case. It returns the offset just after it.
func parseBSDStamp(b []byte, off int) (bsdStamp, int, error) {
	i := off
	if len(b)-i < 3 {
		return bsdStamp{}, 0, errAt(i, ErrNoTimestamp)
	}
	var st bsdStamp
	if st.month = monthOf(b[i], b[i+1], b[i+2]); st.month == 0 {
		return bsdStamp{}, 0, errAt(i, ErrNoTimestamp)
	}
	i += 3
	if i >= len(b) || b[i] != ' ' {
		return bsdStamp{}, 0, errAt(i, ErrNoTimestamp)
	}
	i++
	if i < len(b) && b[i] == ' ' { // space-padded day
		i++
	}
	switch {
	case i+1 < len(b) && isDigit(b[i]) && isDigit(b[i+1]):
		st.day = int(b[i]-'0')*10 + int(b[i+1]-'0')
		i += 2
	case i < len(b) && isDigit(b[i]):
		st.day = int(b[i] - '0')
		i++
	default:
		return bsdStamp{}, 0, errAt(i, ErrBadTimestamp)
	}
	if st.day < 1 || st.day > 31 || i >= len(b) || b[i] != ' ' || len(b)-i < 9 {
		return bsdStamp{}, 0, errAt(i, ErrBadTimestamp)
	}
	var err error
	if st.h, st.mi, st.s, err = clock(b, i+1); err != nil {
		return bsdStamp{}, 0, err
	}
	i += 9
	// Some senders (syslog-ng frac-digits) add a fraction: `10:00:00.123`.
	if i+1 < len(b) && b[i] == '.' && isDigit(b[i+1]) {
		i++
		for scale := 100_000_000; i < len(b) && isDigit(b[i]); i++ {
			st.ns += int(b[i]-'0') * scale
			scale /= 10
		}
	}
	return st, i, nil
}
