package syslog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type monthDay struct {
	m time.Month
	d int
}

func TestYearGuesser(t *testing.T) {
	ref := func(s string) time.Time {
		r, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return r
	}
	for _, tc := range []struct {
		name   string
		ref    time.Time
		stamps []monthDay
		want   []int
	}{
		{"same year", ref("2026-06-01T12:00:00Z"),
			[]monthDay{{1, 5}, {3, 1}, {5, 31}}, []int{2026, 2026, 2026}},
		{"rotated over new year", ref("2026-01-03T08:00:00Z"),
			[]monthDay{{12, 20}, {12, 31}, {1, 1}, {1, 3}}, []int{2025, 2025, 2026, 2026}},
		{"first stamp just within a month after ref", ref("2026-03-01T00:00:00Z"),
			[]monthDay{{4, 1}}, []int{2026}},
		{"first stamp more than a month after ref", ref("2026-03-01T00:00:00Z"),
			[]monthDay{{4, 15}, {12, 1}, {2, 27}}, []int{2025, 2025, 2026}},
		{"long quiet gap forward keeps the year", ref("2026-12-10T00:00:00Z"),
			[]monthDay{{2, 1}, {11, 30}, {12, 1}}, []int{2026, 2026, 2026}},
		{"stray old line after new year", ref("2026-01-10T00:00:00Z"),
			[]monthDay{{1, 1}, {12, 31}, {1, 2}}, []int{2026, 2025, 2026}},
		{"small step back keeps the year", ref("2026-04-10T00:00:00Z"),
			[]monthDay{{3, 31}, {2, 28}, {3, 31}}, []int{2026, 2026, 2026}},
		{"two new years", ref("2027-02-01T00:00:00Z"),
			[]monthDay{{12, 1}, {6, 1}, {12, 31}, {1, 1}}, []int{2026, 2026, 2026, 2027}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewYearGuesser(tc.ref)
			var got []int
			for _, s := range tc.stamps {
				got = append(got, g.Year(s.m, s.d))
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestOptionsYears(t *testing.T) {
	lines := []string{
		"Dec 31 23:59:59 h app: a",
		"Jan  1 00:00:01 h app: b",
		"Feb 29 12:00:00 h app: leap day of 2028",
	}
	opts := Options{Location: time.UTC, Years: NewYearGuesser(time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC))}
	want := []time.Time{
		time.Date(2027, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2028, 1, 1, 0, 0, 1, 0, time.UTC),
		time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC),
	}
	for i, l := range lines {
		m, err := ParseRFC3164([]byte(l), opts)
		require.NoError(t, err)
		require.Equal(t, want[i], m.Timestamp, l)
		require.False(t, m.HasYear)
	}
}

func TestYearGuesserApply(t *testing.T) {
	// Parsed in parallel with a leap placeholder year, then dated in order.
	opts := Options{Year: 2000, Location: time.UTC}
	parse := func(s string) Message {
		m, err := ParseRFC3164([]byte(s), opts)
		require.NoError(t, err)
		return m
	}
	g := NewYearGuesser(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	m := parse("Dec 31 10:00:00 h a: x")
	require.True(t, g.Apply(&m))
	require.Equal(t, time.Date(2025, 12, 31, 10, 0, 0, 0, time.UTC), m.Timestamp)
	m = parse("Jan  1 10:00:00 h a: x")
	require.True(t, g.Apply(&m))
	require.Equal(t, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), m.Timestamp)
	m = parse("Feb 29 10:00:00 h a: x")
	require.False(t, g.Apply(&m), "2026 has no Feb 29")
	require.Equal(t, 2000, m.Timestamp.Year())

	// Stamps with a year are left alone.
	m, err := ParseRFC3164([]byte("<13>2020-05-05T05:05:05Z h a: x"), opts)
	require.NoError(t, err)
	require.True(t, m.HasYear)
	require.True(t, g.Apply(&m))
	require.Equal(t, 2020, m.Timestamp.Year())
}

func TestOptionsWithDefaults(t *testing.T) {
	now := time.Date(2031, 12, 31, 23, 0, 0, 0, time.UTC)
	o := Options{}.WithDefaults(now)
	require.Equal(t, time.Local, o.Location)
	require.Equal(t, now.In(time.Local).Year(), o.Year)
	berlin := time.FixedZone("x", 3600)
	o = Options{Year: 1999, Location: berlin}.WithDefaults(now)
	require.Equal(t, 1999, o.Year)
	require.Equal(t, berlin, o.Location)
	require.Equal(t, 2032, Options{Location: berlin}.WithDefaults(now).Year)
}
