package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/archive"
)

// resumeRE finds the token that query prints when --limit cut it short.
var resumeRE = regexp.MustCompile(`(?m)^glarc: more records match; continue with --resume (\S+)$`)

// resumeT0 is the first stamp of the generated logs (imported with
// --year 2005 --tz UTC).
var resumeT0 = time.Date(2005, 3, 1, 10, 0, 0, 0, time.UTC)

// resumeLog generates one syslog file of n lines starting near start:
// stamps mostly advance by 0-5 s (so many lines share a second), now and
// then go back a little, a few lines repeat the previous line exactly, and
// steal, if set, supplies lines copied verbatim from another file (same
// stamp, same text: a tie across chunks).
func resumeLog(rng *rand.Rand, name string, n int, start time.Time, steal []string) []string {
	hosts := []string{"web1", "web2", "db1", "combo"}
	users := []string{"root", "alice", "bob", "carol"}
	ts := start
	var lines []string
	for len(lines) < n {
		switch r := rng.IntN(100); {
		case r < 35:
		case r < 75:
			ts = ts.Add(time.Second)
		case r < 95:
			ts = ts.Add(time.Duration(2+rng.IntN(4)) * time.Second)
		default:
			ts = ts.Add(-time.Duration(1+rng.IntN(3)) * time.Second)
		}
		if len(lines) > 0 && rng.IntN(100) < 6 {
			lines = append(lines, lines[len(lines)-1])
			continue
		}
		if len(steal) > 0 && rng.IntN(100) < 3 {
			lines = append(lines, steal[rng.IntN(len(steal))])
			continue
		}
		if rng.IntN(400) == 0 {
			// No stamp: kept raw, on the time axis at its ingest time.
			lines = append(lines, fmt.Sprintf("-- %s: unparsable line %d --", name, len(lines)))
			continue
		}
		host := hosts[rng.IntN(len(hosts))]
		user := users[rng.IntN(len(users))]
		ip := fmt.Sprintf("10.0.%d.%d", rng.IntN(3), rng.IntN(20))
		var app, msg string
		switch rng.IntN(7) {
		case 0:
			app, msg = "sshd", fmt.Sprintf("Failed password for %s from %s port %d ssh2", user, ip, 1024+rng.IntN(60000))
		case 1:
			app, msg = "sshd", fmt.Sprintf("Accepted publickey for %s from %s port %d ssh2", user, ip, 1024+rng.IntN(60000))
		case 2:
			app, msg = "su", fmt.Sprintf("pam_unix(su:session): session opened for user %s by (uid=0)", user)
		case 3:
			app, msg = "nginx", fmt.Sprintf("%s - - \"GET /%s HTTP/1.1\" %d %d", ip, []string{"", "index.html", "api/v1/items", "login"}[rng.IntN(4)], []int{200, 200, 404, 500}[rng.IntN(4)], rng.IntN(5000))
		case 4:
			app, msg = "kernel", fmt.Sprintf("connection reset by peer %s", ip)
		case 5:
			app, msg = "worker", fmt.Sprintf("job done user=%s code=%d status=%s", user, rng.IntN(50), []string{"ok", "fail"}[rng.IntN(2)])
		default:
			app, msg = "cron", fmt.Sprintf("(%s) CMD (run-parts /etc/cron.hourly)", user)
		}
		stamp := ts.Format(time.Stamp)
		if rng.IntN(5) == 0 {
			lines = append(lines, fmt.Sprintf("%s %s %s: %s", stamp, host, app, msg))
		} else {
			lines = append(lines, fmt.Sprintf("%s %s %s[%d]: %s", stamp, host, app, 100+rng.IntN(5000), msg))
		}
	}
	return lines
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

// resumeArchive imports four generated files into data: the first two in
// imports that seal (two indexed sealed chunks), the last two with
// --no-seal (one active chunk). The time ranges of the files overlap. It
// returns the paths of the files and the lines that only the active chunk
// holds.
func resumeArchive(t *testing.T, work, data string) (files []string, activeOnly map[string]bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	var all [][]string
	for i, n := range []int{1100, 900, 800, 500} {
		var steal []string
		if i >= 2 {
			steal = all[0]
		}
		lines := resumeLog(rng, fmt.Sprintf("f%d", i), n, resumeT0.Add(time.Duration(rng.IntN(120))*time.Second), steal)
		all = append(all, lines)
		p := filepath.Join(work, fmt.Sprintf("f%d.log", i))
		writeLines(t, p, lines)
		files = append(files, p)
	}
	imp := []string{"import", "-q", "--data", data, "--year", "2005", "--tz", "UTC"}
	atRunOK(t, append(imp, files[0])...)
	atRunOK(t, append(imp, files[1])...)
	atRunOK(t, append(imp, "--no-seal", files[2])...)
	atRunOK(t, append(imp, "--no-seal", files[3])...)
	sealed, active := chunkCounts(t, data)
	require.Equal(t, 2, sealed)
	require.Equal(t, 1, active)

	inSealed := map[string]bool{}
	for _, l := range slices.Concat(all[0], all[1]) {
		inSealed[l] = true
	}
	activeOnly = map[string]bool{}
	for _, l := range slices.Concat(all[2], all[3]) {
		if !inSealed[l] {
			activeOnly[l] = true
		}
	}
	return files, activeOnly
}

func chunkCounts(t *testing.T, data string) (sealed, active int) {
	t.Helper()
	a, err := archive.OpenReadOnly(data, archive.Options{})
	require.NoError(t, err)
	defer a.Close()
	metas, err := a.Chunks().List()
	require.NoError(t, err)
	for _, m := range metas {
		if m.Sealed {
			sealed++
		} else {
			active++
		}
	}
	return sealed, active
}

// resumeQuery generates a query of 0-3 terms: words, phrases, prefixes,
// key=value and comparisons, NOT, OR groups, and now and then a top-level OR.
func resumeQuery(rng *rand.Rand) string {
	atoms := []string{
		"failed", "password", "accepted", "session", "opened", "connection", "reset",
		"root", "alice", "bob", "get", "200", "404", "cron", "ssh2", "job",
		`"failed password"`, `"connection reset by peer"`, `"session opened for user"`, `"publickey for alice"`,
		"host=web1", "host=db1", "app=sshd", "app=nginx", "app=kernel", "user=alice", "user=bob",
		"status=ok", "code=7", "code>40", "pid>3000", "host=*", "auth*", "sess*", "10.0.1.5",
		"/fail(ed|ure)/", "/port 1[0-9]{3} /",
	}
	atom := func() string { return atoms[rng.IntN(len(atoms))] }
	term := func() string {
		switch rng.IntN(6) {
		case 0:
			return "NOT " + atom()
		case 1:
			return "(" + atom() + " OR " + atom() + ")"
		}
		return atom()
	}
	if rng.IntN(10) == 0 {
		return term() + " OR " + term()
	}
	terms := make([]string, []int{0, 1, 1, 1, 1, 2, 2, 2, 3}[rng.IntN(9)])
	for i := range terms {
		terms[i] = term()
	}
	return strings.Join(terms, " ")
}

// resumeWindow returns random --since/--until flags around the generated
// stamps (either side may be open unless narrow; bounds often fall on
// record stamps).
func resumeWindow(rng *rand.Rand, narrow bool) []string {
	at := func() time.Time { return resumeT0.Add(time.Duration(rng.IntN(1250)) * time.Second) }
	if narrow {
		since := at()
		return []string{"--since", since.Format(time.RFC3339),
			"--until", since.Add(time.Duration(rng.IntN(90)) * time.Second).Format(time.RFC3339)}
	}
	var args []string
	var since time.Time
	if rng.IntN(3) > 0 {
		since = at()
		args = append(args, "--since", since.Format(time.RFC3339))
	}
	if rng.IntN(3) > 0 {
		until := at()
		if !since.IsZero() {
			until = since.Add(time.Duration(rng.IntN(400)) * time.Second)
		}
		args = append(args, "--until", until.Format(time.RFC3339))
	}
	return args
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// queryPages runs query ARGS -n k, following the resume tokens, and returns
// the pages and how many there were. Every page but the last has k lines
// and a token; the last has 1..k lines (0 only when nothing matches) and
// no token.
func queryPages(t *testing.T, args []string, k int) (out string, pages int) {
	t.Helper()
	var b strings.Builder
	var tok string
	for {
		a := append(slices.Clone(args), "-n", strconv.Itoa(k))
		if tok != "" {
			a = append(a, "--resume", tok)
		}
		page, errs := atRunOK(t, a...)
		pages++
		b.WriteString(page)
		n := strings.Count(page, "\n")
		m := resumeRE.FindStringSubmatch(errs)
		require.Equal(t, errs != "", m != nil, "unexpected stderr: %s", errs)
		if m == nil {
			require.LessOrEqual(t, n, k, "%q", a)
			require.True(t, n > 0 || pages == 1, "%q: empty page after a token", a)
			return b.String(), pages
		}
		require.Equal(t, k, n, "%q: a page with a token is full", a)
		require.NotEqual(t, tok, m[1], "%q: the token did not move", a)
		tok = m[1]
		require.Less(t, pages, 10000, "%q: no end", a)
	}
}

func reverseLines(s string) string {
	if s == "" {
		return ""
	}
	l := strings.SplitAfter(s, "\n")
	l = l[:len(l)-1]
	slices.Reverse(l)
	return strings.Join(l, "")
}

// TestResumePagesEqualFullOutput is a differential test of --resume: for
// generated queries, directions and time windows over an archive of sealed
// and active chunks with overlapping times, equal stamps and duplicate
// lines, paging with -n K and the printed tokens yields exactly the output
// of one unlimited run.
func TestResumePagesEqualFullOutput(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	resumeArchive(t, work, data)

	queries := 100
	if testing.Short() || raceEnabled() {
		queries = 25
	}
	rng := rand.New(rand.NewPCG(2005, 3))
	var totalPages, totalLines, nonEmpty int
	for i := range queries {
		q := resumeQuery(rng)
		// Keep the number of pages bounded: a query with many matches
		// gets a narrower window.
		var window, base []string
		var fwd string
		for try := 0; ; try++ {
			window = resumeWindow(rng, try > 0)
			base = append([]string{"query", "--data", data, "-o", "raw", "--no-pager"}, window...)
			base = append(base, q)
			fwd, _ = atRunOK(t, base...)
			if strings.Count(fwd, "\n") <= 120 || try == 5 {
				break
			}
		}
		rev, _ := atRunOK(t, append([]string{base[0], "--reverse"}, base[1:]...)...)
		// The two directions are mirror images, ties included.
		require.Equal(t, reverseLines(fwd), rev, "query %d %q %q", i, q, window)
		cnt, _ := atRunOK(t, append([]string{base[0], "--count"}, base[1:]...)...)
		require.Equal(t, strconv.Itoa(strings.Count(fwd, "\n"))+"\n", cnt, "query %d %q %q", i, q, window)
		if fwd != "" {
			nonEmpty++
		}

		for _, reverse := range []bool{false, true} {
			args, want := base, fwd
			if reverse {
				args, want = append([]string{base[0], "--reverse"}, base[1:]...), rev
			}
			k := 1 + rng.IntN(7)
			got, pages := queryPages(t, args, k)
			require.Equal(t, want, got, "query %d %q %q reverse=%v -n %d", i, q, window, reverse, k)
			totalPages += pages
			totalLines += strings.Count(want, "\n")
		}
	}
	require.Greater(t, nonEmpty, queries/3, "too few queries match anything")
	t.Logf("%d queries (%d match), %d pages, %d lines", queries, nonEmpty, totalPages, totalLines)
}

// TestResumeAcrossSeal takes resume tokens on records of the active chunk
// (many on stamps shared with other chunks or on duplicate lines), seals
// the active chunk by importing an already imported file (nothing new;
// import seals at the end), and requires every token to continue exactly
// where it stopped. Then it imports records older than everything: forward
// continuations are unchanged, reverse ones end with the new records.
func TestResumeAcrossSeal(t *testing.T) {
	work := t.TempDir()
	data := filepath.Join(work, "data")
	files, activeOnly := resumeArchive(t, work, data)

	base := []string{"query", "--data", data, "-o", "raw", "--no-pager"}
	rbase := append(slices.Clone(base), "--reverse")
	fwd, _ := atRunOK(t, base...)
	rev, _ := atRunOK(t, rbase...)
	require.Equal(t, reverseLines(fwd), rev)

	type point struct {
		args []string
		k    int
		tok  string
		want string // what follows the token
	}
	rng := rand.New(rand.NewPCG(5, 8))
	var points []point
	for _, dir := range []struct {
		args []string
		out  string
	}{{base, fwd}, {rbase, rev}} {
		lines := strings.SplitAfter(dir.out, "\n")
		lines = lines[:len(lines)-1]
		stamp := func(i int) string { return lines[i][:15] }
		var ties, others []int
		for i := 1; i < len(lines)-1; i++ {
			if !activeOnly[strings.TrimSuffix(lines[i], "\n")] {
				continue
			}
			if stamp(i) == stamp(i+1) || stamp(i) == stamp(i-1) {
				ties = append(ties, i)
			} else {
				others = append(others, i)
			}
		}
		require.NotEmpty(t, ties)
		require.NotEmpty(t, others)
		var pick []int
		for range 12 {
			pick = append(pick, ties[rng.IntN(len(ties))])
		}
		for range 3 {
			pick = append(pick, others[rng.IntN(len(others))])
		}
		for _, i := range pick {
			k := i + 1 // the last line printed is line i
			out, errs := atRunOK(t, append(slices.Clone(dir.args), "-n", strconv.Itoa(k))...)
			require.Equal(t, strings.Join(lines[:k], ""), out)
			m := resumeRE.FindStringSubmatch(errs)
			require.NotNil(t, m, errs)
			points = append(points, point{args: dir.args, k: k, tok: m[1], want: strings.Join(lines[k:], "")})
		}
	}
	check := func(stage string, extra func(p point) string) {
		t.Helper()
		for _, p := range points {
			got, _ := atRunOK(t, append(slices.Clone(p.args), "--resume", p.tok)...)
			require.Equal(t, p.want+extra(p), got, "%s: %q after %d lines", stage, p.args, p.k)
		}
	}
	none := func(point) string { return "" }
	check("before the seal", none)

	// Nothing new: the import is skipped, and it seals the active chunk.
	_, errs := atRunOK(t, "import", "-q", "--data", data, "--year", "2005", "--tz", "UTC", files[3])
	require.Contains(t, errs, "1 skipped as already imported")
	sealed, active := chunkCounts(t, data)
	require.Equal(t, 3, sealed)
	require.Zero(t, active)
	after, _ := atRunOK(t, base...)
	require.Equal(t, fwd, after, "sealing changed the output")
	check("after the seal", none)

	// Records older than all others, each on its own stamp.
	var older []string
	for i := range 20 {
		older = append(older, fmt.Sprintf("%s web9 old[1]: older record %d", resumeT0.Add(-time.Hour+time.Duration(i)*time.Second).Format(time.Stamp), i))
	}
	p := filepath.Join(work, "older.log")
	writeLines(t, p, older)
	atRunOK(t, "import", "-q", "--data", data, "--year", "2005", "--tz", "UTC", p)
	olderRev := reverseLines(strings.Join(older, "\n") + "\n")
	check("after older records", func(p point) string {
		if slices.Contains(p.args, "--reverse") {
			return olderRev
		}
		return ""
	})
}
