package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/archive/syslog"
	"glarc/tokenizer"
)

func testConfig(size int64, f Format, seed uint64, workers int) Config {
	return Config{Size: size, Seed: seed, Format: f, Workers: workers,
		End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Span: 30 * 24 * time.Hour}
}

func generate(t testing.TB, cfg Config) ([]byte, Counts) {
	t.Helper()
	var buf bytes.Buffer
	counts, err := Generate(context.Background(), &buf, cfg)
	require.NoError(t, err)
	return buf.Bytes(), counts
}

func TestDeterministic(t *testing.T) {
	size := int64(2*blockBytes + 12345)
	a, ca := generate(t, testConfig(size, FormatRFC3164, 7, 1))
	b, cb := generate(t, testConfig(size, FormatRFC3164, 7, 3))
	require.Equal(t, sha256.Sum256(a), sha256.Sum256(b), "output must not depend on the worker count")
	require.Equal(t, ca, cb)
	c, _ := generate(t, testConfig(size, FormatRFC3164, 8, 2))
	require.NotEqual(t, sha256.Sum256(a), sha256.Sum256(c), "another seed, another corpus")
	require.LessOrEqual(t, int64(len(a)), size+200, "at most one needle line over the size")
	require.Greater(t, int64(len(a)), size-3*1024, "close to the size")
	require.Equal(t, int64(len(a)), ca.Bytes)
}

// TestCounts checks every expected count against glarc's own tokenizer and
// against rg's -w semantics (Go's \b is the same ASCII word boundary),
// parses every line with glarc's syslog parser, and checks that time never
// goes backwards.
func TestCounts(t *testing.T) {
	for _, f := range []Format{FormatRFC3164, FormatRFC3339} {
		t.Run(f.String(), func(t *testing.T) {
			data, counts := generate(t, testConfig(3*blockBytes, f, 1, 2))
			c, err := newCorpus()
			require.NoError(t, err)
			rgError := regexp.MustCompile(`(?i)\berror\b`)
			var got Counts
			got.NeedleHits = make([]int64, len(c.needles))
			var prev time.Time
			opts := syslog.Options{Year: 2026, Location: time.UTC}
			for line := range bytes.Lines(data) {
				line = bytes.TrimSuffix(line, []byte("\n"))
				var m syslog.Message
				if f == FormatRFC3339 {
					m, err = syslog.ParseRFC3339File(line)
				} else {
					m, err = syslog.ParseRFC3164(line, opts)
				}
				require.NoError(t, err, "%s", line)
				require.NotEmpty(t, m.Hostname, "%s", line)
				require.NotEmpty(t, m.AppName, "%s", line)
				require.False(t, m.Timestamp.Before(prev), "time goes backwards at %s", line)
				prev = m.Timestamp
				tokErr := tokenizer.ContainsToken(line, []byte("error"))
				require.Equal(t, tokErr, rgError.Match(line), "glarc and rg -w disagree on %s", line)
				require.False(t, bytes.Contains(line[len(line)-len(m.Message):], []byte(" web1 ")), "host name in text: %s", line)
				got.count(lineFacts{error: tokErr, web1: m.Hostname == "web1"})
				for i, n := range c.needles {
					q := n.query
					var hit bool
					switch {
					case strings.HasPrefix(q, `"`):
						hit = tokenizer.ContainsPhrase(line, []byte(strings.Trim(q, `"`)))
					case strings.Contains(q, "="):
						k, v, _ := strings.Cut(q, "=")
						hit = tokenizer.HasPair(line, []byte(k), []byte(v))
					default:
						hit = tokenizer.ContainsPhrase(line, []byte(q))
					}
					if hit {
						got.NeedleHits[i]++
					}
				}
			}
			got.Bytes = int64(len(data))
			require.Equal(t, counts, got)
			for i, n := range c.needles {
				require.EqualValues(t, n.count, got.NeedleHits[i], n.name)
			}
			share := float64(counts.Error) / float64(counts.Lines)
			require.InDelta(t, 0.0125, share, 0.0075, "error share")
			require.Greater(t, counts.Web1, counts.Lines/50, "web1 is a busy host")
			end := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
			require.True(t, prev.Before(end) && prev.After(end.Add(-time.Hour)), "last line %s near the end", prev)
		})
	}
}

func TestFirstAndLastLinesAreNeedles(t *testing.T) {
	data, _ := generate(t, testConfig(blockBytes+1000, FormatRFC3164, 3, 2))
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	require.Contains(t, string(lines[0]), "xyzzy-needle")
	require.Contains(t, string(lines[len(lines)-1]), "xyzzy-needle")
}

func TestTemplatesRejectAmbiguousError(t *testing.T) {
	for _, text := range []string{"error-prone", "x-error y", "{user}error", "error{n2}"} {
		_, err := compileTemplate(text, 1, map[string]int{})
		require.ErrorIs(t, err, errTemplate, text)
	}
	for text, want := range map[string]bool{"an error: x": true, "errors=x": false, "ERROR [x]": true, "level=error {user}": true} {
		tm, err := compileTemplate(text, 1, map[string]int{})
		require.NoError(t, err, text)
		require.Equal(t, want, tm.hasError, text)
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1GB", 1e9, true}, {"200MB", 200e6, true}, {"64MiB", 64 << 20, true}, {"1.5gb", 1.5e9, true},
		{"12345", 12345, true}, {"10k", 10e3, true}, {"2GiB", 2 << 30, true}, {" 3 MB ", 3e6, true},
		{"", 0, false}, {"GB", 0, false}, {"-1MB", 0, false}, {"0", 0, false}, {"1TB", 0, false}, {"1e30", 0, false},
	} {
		got, err := ParseSize(tc.in)
		if !tc.ok {
			require.ErrorIs(t, err, errBadSize, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1GB", "200MB", "64MiB", "1.5gb", "12345", "", "NaN", "Inf", "1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && (n <= 0 || n > 1<<50) {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-size", "300KB", "-o", dir + "/c.log", "-needles", dir + "/n.tsv", "-format", "rfc3339"}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	require.Contains(t, stderr.String(), "lines")
	tsv, err := os.ReadFile(dir + "/n.tsv")
	require.NoError(t, err)
	require.Contains(t, string(tsv), "needle\t8\txyzzy-needle\n")
	require.Contains(t, string(tsv), "web1_error\t")
	code = run(context.Background(), []string{"-size", "lots"}, &stdout, &stderr)
	require.Equal(t, 2, code)
	code = run(context.Background(), []string{"-format", "json"}, &stdout, &stderr)
	require.Equal(t, 2, code)
}
