package query

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/memory"
)

func TestMatch(t *testing.T) {
	sshLine := "Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 user=Root"
	rec := chunk.Record{
		Raw:   []byte(sshLine),
		Attrs: chunk.Attributes{"Host": "Web1", "app": "sshd", "pid": "24200", "severity": "warning", "level": "warn"},
	}
	tests := []struct {
		q    string
		want bool
	}{
		{"*", true},
		{"", true},
		{"authentication", true},
		{"AUTHENTICATION", true},
		{"authenticat", false}, // whole tokens only
		{"sshd", true},
		{"24200", true},
		{"2420", false},
		{"labsz", true},
		{`"authentication failure"`, true},
		{`"authentication  failure"`, false},
		{`"failure; logname"`, true},
		{`"ation failure"`, false}, // phrases start on a token edge
		{"173.234.31.186", true},
		{"173.234.31.18", false},
		{"73.234.31.186", false},
		{"pam_unix(sshd:auth)", true},
		{"pam_unix(sshd:auth):", true},
		{"(pam_unix(sshd:auth))", true},
		{"auth*", true},
		{"authent*", true},
		{"thent*", false},
		{"173.234*", true},
		{`"authentication fail"*`, true},
		{"/fail(ed|ure)/", true},
		{"/FAIL(ED|URE)/", false},
		{"/FAIL(ED|URE)/i", true},
		{"/^Dec 10/", true},
		{"host=web1", true}, // attribute, key and value case-insensitive
		{"HOST=WEB1", true},
		{"host=web2", false},
		{"app=sshd", true},
		{"user=root", true}, // pair in the line
		{"user=admin", false},
		{"uid=0", true},
		{"logname=", true},
		{`logname=""`, true},
		{"ruser=*", true},
		{"tty=*", true},
		{"missing=*", false},
		{"*=web1", true},
		{"*=173.234.31.186", true},
		{"*=nothing", false},
		{"rhost=173.234.31.186", true},
		{`rhost="173.234.31.186"`, true},
		{"severity<=warning", true},
		{"severity<warning", false},
		{"severity<=err", false},
		{"severity>=notice", false},
		{"severity>=4", true},
		{"level<=warning", true},
		{"level<warn", false},
		{"pid>1000", true},
		{"pid>24200", false},
		{"pid>=24200", true},
		{"pid<24200.5", true},
		{"pid<" + strings.Repeat("9", 80), true},
		{"pid>" + strings.Repeat("9", 80) + "e-80", true},
		{"pid!=24200", false},
		{"pid!=1", true},
		{"uid<1", true},
		{"euid>0", false},
		{"app>=sshd", true},
		{"app>sshd", false},
		{"nokey!=x", false},
		{"error", false},
		{"-error", true},
		{"NOT authentication", false},
		{"error OR failure", true},
		{"error OR nothing", false},
		{"failure host=web1 -host=web2", true},
		{"(error OR failure) (labsz OR nope) NOT 173.234.31.187", true},
		{"failure AND (error OR nope)", false},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q, err := Parse(tt.q)
			require.NoError(t, err)
			require.Equal(t, tt.want, q.Match(&rec), "canonical %q", q.String())
			require.Equal(t, tt.want, newReference().match(q.Root(), &rec), "reference disagrees")
		})
	}
}

func TestMatchRegexpUnicodeFold(t *testing.T) {
	// (?i) matches K as U+212A KELVIN SIGN and s as U+017F LONG S; the
	// literal prefilter must not hide such lines from RE2.
	for _, tt := range []struct {
		q, line string
		want    bool
	}{
		{"/kernel/i", "\u212Aernel panic", true},
		{"/session/i", "\u017Fession opened", true},
		{"/SESSION/i", "SeSsIoN opened", true},
		{"/session/i", "sessio opened", false},
		{"/session/", "\u017Fession opened", false},
		{"/(?i)fail(ed|ure)x+/", "FAILUREXX", true},
		{"/(?i:fail)ED/", "FAILED", true},
		{"/(?i:fail)ED/", "FAILed", false},
	} {
		q, err := Parse(tt.q)
		require.NoError(t, err)
		rec := chunk.Record{Raw: []byte(tt.line)}
		require.Equal(t, tt.want, q.Match(&rec), "%s on %q", tt.q, tt.line)
	}
}

func TestMatchAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes escape analysis")
	}
	rec := chunk.Record{
		Raw:   []byte(`Dec 10 sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2 msg="a \"quoted\" b" pid=1234 level=error`),
		Attrs: chunk.Attributes{"host": "web1", "severity": "err"},
	}
	for _, qs := range []string{
		"failed", `"failed password"`, "10.0.0.1", "fail*", "/fail(ed|ure)/i", "host=web1", "pid=1234",
		"*=root", `msg="a \"quoted\" b"`, "pid>1000", "level<=warning", "severity<=warning", "port!=23",
		"(failed OR x) -y host=*", "*>1",
	} {
		q, err := Parse(qs)
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(100, func() { q.Match(&rec) })
		require.Zero(t, allocs, qs)
	}
}

// loghubLines reads a loghub sample without its CRLF line ends, or skips.
func loghubLines(tb testing.TB, name string) [][]byte {
	tb.Helper()
	path := filepath.Join("..", "..", "shared", "testdata", "loghub", name)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		tb.Skipf("loghub sample %s not present (shared testdata is outside the repository)", path)
	}
	require.NoError(tb, err)
	lines := bytes.Split(data, []byte("\r\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func TestMatchOpenSSH(t *testing.T) {
	lines := loghubLines(t, "OpenSSH_2k.log")
	require.Len(t, lines, 2000)
	count := func(qs string) int {
		q, err := Parse(qs)
		require.NoError(t, err)
		n := 0
		for _, l := range lines {
			rec := chunk.Record{Raw: l}
			if q.Match(&rec) {
				n++
			}
		}
		return n
	}
	grepCount := func(sub string) int {
		n := 0
		for _, l := range lines {
			if bytes.Contains(l, []byte(sub)) {
				n++
			}
		}
		return n
	}
	require.Equal(t, grepCount("173.234.31.186"), count("173.234.31.186"))
	require.Equal(t, grepCount("pam_unix(sshd:auth)"), count("pam_unix(sshd:auth)"))
	require.Equal(t, grepCount("Failed password"), count(`"failed password"`))
	require.Equal(t, grepCount("uid=0"), count("uid=0"))
	require.Positive(t, count("rhost=*"))
	require.Equal(t, count("rhost=*"), count("rhost=* OR rhost=*"))
	require.Equal(t, 2000, count("failed")+count("-failed"))
}

// Benchmarks. Compare runs with benchstat:
//
//	go test -run XXX -bench . -count 10 ./query > new.txt && benchstat old.txt new.txt
func BenchmarkMatch(b *testing.B) {
	lines := loghubLines(b, "OpenSSH_2k.log")
	recs := make([]chunk.Record, len(lines))
	var size int64
	for i, l := range lines {
		recs[i] = chunk.Record{Raw: l, Attrs: chunk.Attributes{"host": "labsz", "app": "sshd", "severity": "info"}}
		size += int64(len(l))
	}
	for _, qs := range []string{
		"failed", `"failed password"`, "173.234.31.186", "auth*", "/fail(ed|ure)/", "/FAIL(ED|URE)/i",
		"host=labsz", "rhost=173.234.31.186", "*=root", "severity<=warning", "pid>1000",
		"error host=web1", "(failed OR invalid) -root",
	} {
		q, err := Parse(qs)
		require.NoError(b, err)
		b.Run(qs, func(b *testing.B) {
			b.SetBytes(size)
			matched := 0
			for b.Loop() {
				matched = 0
				for i := range recs {
					if q.Match(&recs[i]) {
						matched++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
			b.ReportMetric(float64(matched), "matched")
		})
	}
}

func BenchmarkRun(b *testing.B) {
	lines := loghubLines(b, "OpenSSH_2k.log")
	base := time.Date(2024, 12, 10, 6, 0, 0, 0, time.UTC)
	m := memory.New(memory.Options{MaxChunkBytes: 64 << 10})
	b.Cleanup(func() { _ = m.Close() })
	var size int64
	const copies = 10
	for c := range copies {
		for i, l := range lines {
			ts := base.Add(time.Duration(i*copies+c) * time.Second)
			_, err := m.Append(chunk.Record{SourceTS: ts, Raw: l, Attrs: chunk.Attributes{"host": fmt.Sprint("h", c)}})
			require.NoError(b, err)
			size += int64(len(l))
		}
	}
	require.NoError(b, m.Seal())
	for _, tc := range []struct {
		q   string
		opt Options
	}{
		{"failed", Options{}},
		{"failed", Options{Reverse: true}},
		{"failed", Options{Limit: 10}},
		{"failed host=h3", Options{}},
		{"*", Options{Since: base.Add(5 * time.Hour), Until: base.Add(6 * time.Hour)}},
	} {
		q, err := Parse(tc.q)
		require.NoError(b, err)
		name := fmt.Sprintf("%s/reverse=%v/limit=%d/range=%v", tc.q, tc.opt.Reverse, tc.opt.Limit, !tc.opt.Since.IsZero())
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			n := 0
			for b.Loop() {
				n = 0
				for _, err := range Run(b.Context(), m, q, tc.opt) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(n), "results")
		})
	}
}

// FuzzMatch compares the compiled matcher with the reference matcher on
// arbitrary queries and lines.
func FuzzMatch(f *testing.F) {
	lines := []string{
		"Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 rhost=173.234.31.186",
		`msg="a \"quoted\" b" pid=1234 level=error severity=warning`,
		"\u212Aernel \u017Fession FAILURE naïve a-b x_y",
	}
	for i, q := range sampleQueries(f) {
		f.Add(q, lines[i%len(lines)], "web1")
	}
	f.Fuzz(func(t *testing.T, qs, line, host string) {
		q, err := Parse(qs)
		if err != nil {
			return
		}
		rec := chunk.Record{Raw: []byte(line), Attrs: chunk.Attributes{"host": host, "Severity": "err", "pid": "1000"}}
		if got, want := q.Match(&rec), newReference().match(q.Root(), &rec); got != want {
			t.Fatalf("query %q (canonical %q) on %q host=%q: Match = %v, reference = %v", qs, q.String(), line, host, got, want)
		}
	})
}
