package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loghubDir is ../shared/testdata/loghub beside the module root
// (/work/main -> /work/shared); this package is two levels below the root.
func loghubDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "testdata", "loghub"))
	require.NoError(t, err)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("loghub samples not found at %s (they live in ../shared/testdata beside the module root): %v", dir, err)
	}
	return dir
}

// glarcOK runs the command in process and requires exit code 0.
func glarcOK(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), append([]string{"glarc"}, args...), strings.NewReader(""), &out, &errb)
	require.Equal(t, 0, code, "glarc %s\nstderr:\n%s", strings.Join(args, " "), errb.String())
	return out.String(), errb.String()
}

// loghubLines splits a loghub file into its records: CRLF separated, the
// last one without a terminator.
func loghubLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.False(t, bytes.HasSuffix(b, []byte("\n")), "%s: the last line has no terminator", path)
	lines := strings.Split(string(b), "\r\n")
	for i, l := range lines {
		require.NotContains(t, l, "\n", "%s line %d", path, i+1)
		require.NotContains(t, l, "\r", "%s line %d", path, i+1)
	}
	return lines
}

// TestLoghubImportQuery imports the Linux and OpenSSH loghub samples (2,000
// lines each) and checks the archive against the files: every line comes
// back byte for byte, in time order, and query counts equal counts made
// here by a plain scan of the files.
func TestLoghubImportQuery(t *testing.T) {
	dir := loghubDir(t)
	files := []string{filepath.Join(dir, "Linux_2k.log"), filepath.Join(dir, "OpenSSH_2k.log")}
	var want []string
	perFile := map[string][]string{}
	for _, f := range files {
		lines := loghubLines(t, f)
		require.Len(t, lines, 2000, f)
		perFile[f] = lines
		want = append(want, lines...)
	}
	data := filepath.Join(t.TempDir(), "data")

	_, summary := glarcOK(t, append([]string{"import", "--data", data, "--quiet"}, files...)...)
	require.Contains(t, summary, "imported 2 files: 4000 records,")
	require.Contains(t, summary, " 0 failed")

	t.Run("count", func(t *testing.T) {
		out, _ := glarcOK(t, "query", "--data", data, "--count")
		require.Equal(t, "4000\n", out)
		out, _ = glarcOK(t, "chunks", "--data", data)
		require.Regexp(t, `(?m)^ +[0-9]+ chunks +4000 `, out)
		require.NotContains(t, out, "active")
	})

	t.Run("raw output is the original lines", func(t *testing.T) {
		out, _ := glarcOK(t, "query", "--data", data, "--output", "raw")
		require.True(t, strings.HasSuffix(out, "\n"))
		got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		require.Len(t, got, len(want))
		// Output is in time order, the files are not merged: compare as multisets.
		requireSameLines(t, sorted(want), sorted(got))
	})

	t.Run("time order", func(t *testing.T) {
		for _, reverse := range []bool{false, true} {
			args := []string{"query", "--data", data, "--output", "jsonl"}
			if reverse {
				args = append(args, "--reverse")
			}
			out, _ := glarcOK(t, args...)
			times, lines := decodeJSONL(t, out)
			require.Len(t, times, 4000)
			requireSameLines(t, sorted(want), sorted(lines))
			for i := 1; i < len(times); i++ {
				if reverse {
					require.False(t, times[i].After(times[i-1]), "record %d (%s) after record %d (%s) in --reverse", i, times[i], i-1, times[i-1])
				} else {
					require.False(t, times[i].Before(times[i-1]), "record %d (%s) before record %d (%s)", i, times[i], i-1, times[i-1])
				}
			}
		}
	})

	// Within one file, output order is the file's lines sorted by their
	// stamps, ties (and there are many) in file order. The Linux file has
	// three lines stamped a few seconds before the line above them.
	t.Run("stable time order per file", func(t *testing.T) {
		for _, f := range files {
			want := slices.Clone(perFile[f])
			slices.SortStableFunc(want, func(a, b string) int { return stampOf(t, a).Compare(stampOf(t, b)) })
			out, _ := glarcOK(t, "query", "--data", data, "--output", "raw", "file="+f)
			requireSameLines(t, want, strings.Split(strings.TrimSuffix(out, "\n"), "\n"))
		}
	})

	cases := []struct {
		query string
		match func(line string) bool
	}{
		{"failed", hasWord("failed")},
		{"sshd", hasWord("sshd")},
		{"authentication", hasWord("authentication")},
		{"root", hasWord("root")},
		{"FAILED Password", and(hasWord("failed"), hasWord("password"))},
		{"173.234.31.186", hasPhrase("173.234.31.186")},
		{`"authentication failure"`, hasPhrase("authentication failure")},
		{"user=root", hasPairInText("user", "root")},
		{"host=combo", hostIs("combo")},
		{"host=LabSZ", hostIs("labsz")},
		{"app=sshd", appIs("sshd")},
		{"app=sshd invalid user", and(appIs("sshd"), hasWord("invalid"), hasWord("user"))},
		{`host=combo sshd "authentication failure" user=root`, and(hostIs("combo"), hasWord("sshd"),
			hasPhrase("authentication failure"), hasPairInText("user", "root"))},
		{"NOT sshd", func(l string) bool { return !hasWord("sshd")(l) }},
	}
	for _, c := range cases {
		t.Run("count "+c.query, func(t *testing.T) {
			want := 0
			for _, f := range files {
				for _, l := range perFile[f] {
					if c.match(l) {
						want++
					}
				}
			}
			require.NotZero(t, want, "a count of 0 tests little")
			out, _ := glarcOK(t, "query", "--data", data, "--count", c.query)
			got, err := strconv.Atoi(strings.TrimSpace(out))
			require.NoError(t, err, "output %q", out)
			require.Equal(t, want, got, "query %q", c.query)
		})
	}
}

// requireSameLines reports the first difference rather than two 200 KB strings.
func requireSameLines(t *testing.T, want, got []string) {
	t.Helper()
	for i := range min(len(want), len(got)) {
		require.Equal(t, want[i], got[i], "line %d", i+1)
	}
	require.Equal(t, len(want), len(got), "lines")
}

// stampOf parses the year-less stamp at the start of a BSD syslog line.
func stampOf(t *testing.T, line string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.Stamp, line[:len(time.Stamp)])
	require.NoError(t, err, "%q", line)
	return ts
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func decodeJSONL(t *testing.T, out string) ([]time.Time, []string) {
	t.Helper()
	var times []time.Time
	var lines []string
	for l := range strings.Lines(out) {
		var obj struct {
			Labels    map[string]string `json:"labels"`
			Line      string            `json:"line"`
			Timestamp time.Time         `json:"timestamp"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &obj), "%q", l)
		require.NotEmpty(t, obj.Labels["file"], "%q", l)
		times = append(times, obj.Timestamp)
		lines = append(lines, obj.Line)
	}
	return times, lines
}

// The matchers below are deliberately plain re-statements of the query
// rules, written without the tokenizer: a token is a run of ASCII letters,
// digits, '_' and '-', compared case-insensitively.

func isTok(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func and(ms ...func(string) bool) func(string) bool {
	return func(l string) bool {
		for _, m := range ms {
			if !m(l) {
				return false
			}
		}
		return true
	}
}

// hasWord: some token of the line equals w.
func hasWord(w string) func(string) bool {
	return func(l string) bool {
		return slices.ContainsFunc(strings.FieldsFunc(l, func(r rune) bool { return r > 127 || !isTok(byte(r)) }),
			func(tok string) bool { return strings.EqualFold(tok, w) })
	}
}

// hasPhrase: p occurs in the line with no token character just before or
// just after it.
func hasPhrase(p string) func(string) bool {
	p = strings.ToLower(p)
	return func(l string) bool {
		l = strings.ToLower(l)
		for i := 0; ; {
			j := strings.Index(l[i:], p)
			if j < 0 {
				return false
			}
			start, end := i+j, i+j+len(p)
			if (start == 0 || !isTok(l[start-1])) && (end == len(l) || !isTok(l[end])) {
				return true
			}
			i = start + 1
		}
	}
}

// hasPairInText: key=val in the text, the key starting at a token edge and
// the value ending at a space, punctuation or the end of the line.
func hasPairInText(key, val string) func(string) bool {
	kv := strings.ToLower(key + "=" + val)
	return func(l string) bool {
		l = strings.ToLower(l)
		for i := 0; ; {
			j := strings.Index(l[i:], kv)
			if j < 0 {
				return false
			}
			start, end := i+j, i+j+len(kv)
			if (start == 0 || !isTok(l[start-1])) && (end == len(l) || strings.IndexByte(" \t,;)]}\"'", l[end]) >= 0) {
				return true
			}
			i = start + 1
		}
	}
}

// syslogFields returns the host and tag of a BSD syslog file line
// ("Mmm dd hh:mm:ss host tag[pid]: msg"); the stamp is 15 bytes.
func syslogFields(l string) (host, tag string) {
	if len(l) < 16 {
		return "", ""
	}
	f := strings.Fields(l[16:])
	if len(f) < 2 {
		return "", ""
	}
	tag, _, _ = strings.Cut(f[1], "[")
	return f[0], strings.TrimSuffix(tag, ":")
}

func hostIs(h string) func(string) bool {
	return func(l string) bool {
		host, _ := syslogFields(l)
		return strings.EqualFold(host, h)
	}
}

func appIs(a string) func(string) bool {
	return func(l string) bool {
		_, tag := syslogFields(l)
		return strings.EqualFold(tag, a)
	}
}
