package query

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrInvalidTime means a --since or --until value is in no known form.
var ErrInvalidTime = errors.New("invalid time")

// ParseTime parses a --since or --until value:
//
//	2024-03-01T12:00:00Z, 2024-03-01T12:00:00.5+01:00   RFC 3339, with or without fraction
//	2024-03-01, 2024-03-01 12:00, 2024-03-01 12:00:05   in loc ('T' also works)
//	now, today, yesterday                               today is 00:00 in loc
//	90s, 90m, 2h, 3d, 1w, 1h30m                         now minus the span (d = 24h, w = 7d)
//
// Keywords and units are case-insensitive. A nil loc means time.Local.
// Anything else is an error wrapping ErrInvalidTime that lists the forms.
func ParseTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "now":
		return now, nil
	case "today":
		return midnight(now.In(loc)), nil
	case "yesterday":
		return midnight(now.In(loc)).AddDate(0, 0, -1), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s)); err == nil {
		return t, nil
	}
	// Forms without a zone, read in loc. Fractional seconds are accepted
	// after the seconds.
	for _, layout := range [...]string{
		"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05",
	} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if d, ok := parseSpan(s); ok {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%w %q: want RFC 3339 (2006-01-02T15:04:05Z), a local date and time "+
		"(2006-01-02 [15:04[:05]]), now, today, yesterday, or a span back from now such as 90s, 15m, 2h, 3d, 1w",
		ErrInvalidTime, s)
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// parseSpan parses one or more <digits><unit> groups, unit one of s, m,
// h, d (24h), w (7d), in any case. It fails on overflow.
func parseSpan(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, false
		}
		var unit time.Duration
		switch s[i] | 0x20 {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'w':
			unit = 7 * 24 * time.Hour
		default:
			return 0, false
		}
		var n int64
		for _, c := range s[:i] {
			n = n*10 + int64(c-'0')
			if n > math.MaxInt64/int64(unit) {
				return 0, false
			}
		}
		d := time.Duration(n) * unit
		if total > math.MaxInt64-d {
			return 0, false
		}
		total += d
		s = s[i+1:]
	}
	return total, true
}
