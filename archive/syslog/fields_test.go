package syslog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzParseFields checks that ParseFields agrees with Parse on every
// input, and that its header fields are sub-slices of the input.
func FuzzParseFields(f *testing.F) {
	addSeeds(f)
	opts := Options{Year: 2024, Location: time.UTC}
	f.Fuzz(func(t *testing.T, in []byte) {
		want, werr := Parse(in, opts)
		var got Fields
		gerr := ParseFields(in, opts, &got)
		require.Equal(t, werr, gerr)
		require.Equal(t, want, got.AsMessage())
		for _, b := range [][]byte{got.Hostname, got.AppName, got.ProcID, got.MsgID, got.Message} {
			requireSubslice(t, in, b)
		}
	})
}

// TestParseFieldsAllocs checks that a message without structured data
// and a line are parsed without allocating.
func TestParseFieldsAllocs(t *testing.T) {
	opts := Options{Year: 2024, Location: time.UTC}
	var f Fields
	for _, line := range []string{
		"Jan 31 00:00:02 lb1 CRON[804510]: (victor) CMD (cd / && run-parts --report /etc/cron.hourly)",
		"<13>Feb  3 10:00:00 host sandboxd[129] ([31211]): deny file-read",
		"2026-03-01T00:00:00.123456Z host app[1]: m",
		"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event",
	} {
		b := []byte(line)
		allocs := testing.AllocsPerRun(100, func() {
			if err := ParseFields(b, opts, &f); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, line)
		require.NotEmpty(t, f.AppName)
	}
}
