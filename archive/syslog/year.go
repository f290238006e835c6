package syslog

import "time"

// YearGuesser dates the year-less `Mmm dd` stamps of one file, read in file
// order. The rule:
//
//  1. The first stamp gets the reference year (the year of ref, e.g. the
//     file's mtime, in ref's zone), or the year before when that date would
//     be more than 31 days after ref: a file written until January 3 that
//     starts on December 20 started the year before.
//  2. Every later stamp gets the year of the stamp before it, plus one when
//     the month goes back by more than six months (Dec → Jan: the file
//     crossed New Year; also Nov → Feb after a quiet spell), minus one when
//     it goes from January to December (a stray December line, e.g. clock
//     skew around midnight, after January ones; the next January line
//     comes back to the later year).
//
// A rotated log covering less than about eleven months before ref is dated
// right. A file that starts more than a year before ref gets its first
// year too late, since only the first stamp is compared with ref: the
// caller may pass a better ref. A YearGuesser is not safe for concurrent
// use; use one per file.
type YearGuesser struct {
	ref   time.Time
	year  int
	month time.Month // of the last stamp; 0 before the first
}

// maxAhead is how far after the reference a first stamp may be and still
// get the reference year.
const maxAhead = 31 * 24 * time.Hour

// NewYearGuesser returns a YearGuesser for a file whose last write was ref.
func NewYearGuesser(ref time.Time) *YearGuesser {
	return &YearGuesser{ref: ref}
}

// Year returns the year of the next stamp, of the given month and day.
func (g *YearGuesser) Year(month time.Month, day int) int {
	switch {
	case g.month == 0:
		g.year = g.ref.Year()
		if time.Date(g.year, month, day, 0, 0, 0, 0, g.ref.Location()).Sub(g.ref) > maxAhead {
			g.year--
		}
	case int(month)-int(g.month) < -6:
		g.year++
	case g.month == time.January && month == time.December:
		g.year--
	}
	g.month = month
	return g.year
}

// Apply re-dates m's timestamp with the guessed year when m has a
// year-less stamp, keeping its month, day, clock and zone. It is for
// pipelines that parse in parallel (with any Options.Year) and restore file
// order afterwards; when parsing sequentially, set Options.Years instead.
// A Feb 29 stamp must have been parsed with a leap Options.Year; if the
// guessed year has no Feb 29, m is left as it was and Apply returns false.
func (g *YearGuesser) Apply(m *Message) bool {
	t := m.Timestamp
	if m.HasYear || t.IsZero() {
		return true
	}
	y := g.Year(t.Month(), t.Day())
	if y == t.Year() {
		return true
	}
	if t.Day() > daysIn(t.Month(), y) {
		return false
	}
	m.Timestamp = time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	return true
}
