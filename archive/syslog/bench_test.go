package syslog

import (
	"testing"
	"time"
)

// Compare runs with benchstat:
//
//	go test -run '^$' -bench . -count 10 ./archive/syslog > new.txt
//	benchstat old.txt new.txt

func benchLines(b *testing.B, names ...string) ([][]byte, int64) {
	var lines [][]byte
	var n int64
	for _, name := range names {
		for _, l := range loghubLines(b, name) {
			lines = append(lines, l)
			n += int64(len(l))
		}
	}
	return lines, n
}

// BenchmarkParseRFC3164 parses the loghub Linux, OpenSSH and Mac samples
// (6,000 file lines); MB/s is over the line bytes.
func BenchmarkParseRFC3164(b *testing.B) {
	lines, n := benchLines(b, "Linux_2k.log", "OpenSSH_2k.log", "Mac_2k.log")
	opts := Options{Year: 2005, Location: time.UTC}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if _, err := ParseRFC3164(l, opts); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
}

// BenchmarkParseRFC3164Local is BenchmarkParseRFC3164 with time.Local and
// the current year (Options.WithDefaults).
func BenchmarkParseRFC3164Local(b *testing.B) {
	lines, n := benchLines(b, "Linux_2k.log", "OpenSSH_2k.log", "Mac_2k.log")
	opts := Options{}.WithDefaults(time.Now())
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if _, err := ParseRFC3164(l, opts); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/line")
}

var rfc5424Bench = [][]byte{
	[]byte(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry`),
	[]byte(`<38>1 2026-11-25T20:30:47+00:00 vm sshd 12898 - - Accepted publickey for alice from 127.0.0.1 port 50000 ssh2`),
	[]byte(`<29>1 2016-01-15T01:00:43Z hn S - - [meta es="\\valid"] 127.0.0.1 - - 1452819643 "GET"`),
}

func BenchmarkParseRFC5424(b *testing.B) {
	var n int64
	for _, l := range rfc5424Bench {
		n += int64(len(l))
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range rfc5424Bench {
			if _, err := ParseRFC5424(l); err != nil {
				b.Fatal(err)
			}
		}
	}
}
