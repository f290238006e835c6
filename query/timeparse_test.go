package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	now := time.Date(2024, 3, 10, 15, 30, 45, 0, loc)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{"NOW", now},
		{" now ", now},
		{"today", time.Date(2024, 3, 10, 0, 0, 0, 0, loc)},
		{"yesterday", time.Date(2024, 3, 9, 0, 0, 0, 0, loc)},
		{"2024-03-01T12:00:00Z", time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)},
		{"2024-03-01t12:00:00z", time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)},
		{"2024-03-01T12:00:00.123456789Z", time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC)},
		{"2024-03-01T12:00:00+05:30", time.Date(2024, 3, 1, 6, 30, 0, 0, time.UTC)},
		{"2024-03-01", time.Date(2024, 3, 1, 0, 0, 0, 0, loc)},
		{"2024-03-01 12:34", time.Date(2024, 3, 1, 12, 34, 0, 0, loc)},
		{"2024-03-01 12:34:56", time.Date(2024, 3, 1, 12, 34, 56, 0, loc)},
		{"2024-03-01 12:34:56.5", time.Date(2024, 3, 1, 12, 34, 56, 5e8, loc)},
		{"2024-03-01T12:34", time.Date(2024, 3, 1, 12, 34, 0, 0, loc)},
		{"2024-03-01T12:34:56", time.Date(2024, 3, 1, 12, 34, 56, 0, loc)},
		{"90s", now.Add(-90 * time.Second)},
		{"90m", now.Add(-90 * time.Minute)},
		{"2h", now.Add(-2 * time.Hour)},
		{"2H", now.Add(-2 * time.Hour)},
		{"3d", now.Add(-72 * time.Hour)},
		{"1w", now.Add(-7 * 24 * time.Hour)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"0s", now},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, now, loc)
			require.NoError(t, err)
			require.True(t, tt.want.Equal(got), "want %v, got %v", tt.want, got)
		})
	}
}

func TestParseTimeErrors(t *testing.T) {
	now := time.Date(2024, 3, 10, 15, 30, 45, 0, time.UTC)
	for _, in := range []string{
		"", "2h ago", "h", "2", "-2h", "2y", "2024-13-01", "2024-03-01 25:00", "tomorrow",
		"99999999999999999999h", "9999999999w", "2024/03/01", "1.5h", "2h-", "2024-03-01T12:00:00+25:00",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseTime(in, now, time.UTC)
			require.ErrorIs(t, err, ErrInvalidTime)
			require.Contains(t, err.Error(), "RFC 3339")
		})
	}
}

func TestParseTimeNilLocation(t *testing.T) {
	now := time.Now()
	got, err := ParseTime("2024-03-01", now, nil)
	require.NoError(t, err)
	require.Equal(t, time.Local, got.Location())
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"now", "today", "2h", "1h30m", "3d", "2024-03-01", "2024-03-01 12:34:56.5",
		"2024-03-01T12:00:00Z", "2024-03-01T12:00:00.123+05:30", "99999999999999999999h"} {
		f.Add(s)
	}
	now := time.Date(2024, 3, 10, 15, 30, 45, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s, now, time.UTC)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidTime)
			return
		}
		if d, ok := parseSpan(s); ok {
			require.True(t, got.Equal(now.Add(-d)) || !got.After(now))
		}
	})
}
