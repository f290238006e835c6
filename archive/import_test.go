package archive

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// genLines writes n syslog lines numbered from first, one per second.
func genLines(first, n int) []byte {
	var b bytes.Buffer
	t := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := first; i < first+n; i++ {
		ts := t.Add(time.Duration(i) * time.Second)
		fmt.Fprintf(&b, "%s web%d sshd[%d]: line %d Failed password for root from 10.0.%d.%d port %d ssh2\n",
			ts.Format(time.Stamp), i%7, 1000+i%50, i, i%256, (i*7)%256, 30000+i%1000)
	}
	return b.Bytes()
}

func writeFile(t *testing.T, path string, data []byte, gz bool) string {
	t.Helper()
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, err := w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		data = b.Bytes()
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func importPaths(t *testing.T, dir string, paths ...string) Summary {
	t.Helper()
	a, err := Open(dir, Options{MaxChunkBytes: 64 << 10})
	require.NoError(t, err)
	var srcs []Source
	for _, p := range paths {
		s, err := FileSource(p)
		require.NoError(t, err)
		srcs = append(srcs, s)
	}
	sum, err := a.Import(context.Background(), srcs, ImportOptions{Year: 2026, Location: time.UTC})
	require.NoError(t, err)
	require.NoError(t, a.Close())
	return sum
}

// lineNumbers returns how often each "line N" occurs in the archive.
func lineNumbers(t *testing.T, dir string) map[int]int {
	t.Helper()
	a, err := OpenReadOnly(dir, Options{})
	require.NoError(t, err)
	defer a.Close()
	list, err := a.Chunks().List()
	require.NoError(t, err)
	seen := map[int]int{}
	for _, m := range list {
		c, err := a.Chunks().OpenCursor(m.ID)
		require.NoError(t, err)
		for rec, err := range chunk.Records(c, false) {
			require.NoError(t, err)
			i := bytes.Index(rec.Raw, []byte(" line "))
			require.GreaterOrEqual(t, i, 0, "%q", rec.Raw)
			f := bytes.Fields(rec.Raw[i+6:])
			n, err := strconv.Atoi(string(f[0]))
			require.NoError(t, err)
			seen[n]++
		}
		c.Close()
	}
	return seen
}

func requireExactlyOnce(t *testing.T, seen map[int]int, n int) {
	t.Helper()
	for i := range n {
		require.Equal(t, 1, seen[i], "line %d seen %d times", i, seen[i])
	}
	require.Len(t, seen, n)
}

func TestImportIncrementalAndRotation(t *testing.T) {
	dir, logs := t.TempDir(), t.TempDir()
	syslog := filepath.Join(logs, "syslog")
	// Day 1: syslog holds lines 0..999.
	writeFile(t, syslog, genLines(0, 1000), false)
	sum := importPaths(t, dir, syslog)
	require.EqualValues(t, 1000, sum.Records)
	// Same import again: nothing new.
	sum = importPaths(t, dir, syslog)
	require.EqualValues(t, 0, sum.Records)
	require.Equal(t, 1, sum.Skipped)
	// syslog grows: only the tail is added.
	writeFile(t, syslog, genLines(0, 1500), false)
	sum = importPaths(t, dir, syslog)
	require.EqualValues(t, 500, sum.Records)
	// Rotation: syslog -> syslog.1 (grown once more before rotating), a new syslog.
	require.NoError(t, os.Rename(syslog, syslog+".1"))
	writeFile(t, syslog+".1", genLines(0, 1700), false)
	writeFile(t, syslog, genLines(1700, 300), false)
	// The shell passes them in any order.
	sum = importPaths(t, dir, syslog, syslog+".1")
	require.EqualValues(t, 500, sum.Records)
	// Rotation again, compressing: syslog.1 -> syslog.2.gz, syslog -> syslog.1.
	writeFile(t, syslog+".2.gz", genLines(0, 1700), true)
	require.NoError(t, os.Rename(syslog, syslog+".1"))
	writeFile(t, syslog, genLines(2000, 100), false)
	sum = importPaths(t, dir, syslog+".2.gz", syslog, syslog+".1")
	require.EqualValues(t, 100, sum.Records)
	require.Equal(t, 2, sum.Skipped)
	requireExactlyOnce(t, lineNumbers(t, dir), 2100)
}

func TestImportForceAndDuplicateArgs(t *testing.T) {
	dir, logs := t.TempDir(), t.TempDir()
	p := writeFile(t, filepath.Join(logs, "a.log"), genLines(0, 100), false)
	sum := importPaths(t, dir, p, p)
	require.EqualValues(t, 100, sum.Records)
	require.Equal(t, 1, sum.Skipped)
	a, err := Open(dir, Options{})
	require.NoError(t, err)
	src, err := FileSource(p)
	require.NoError(t, err)
	sum, err = a.Import(context.Background(), []Source{src}, ImportOptions{Force: true, Year: 2026})
	require.NoError(t, err)
	require.EqualValues(t, 100, sum.Records)
	require.NoError(t, a.Close())
}

// TestImportKilled kills an import process at random moments, runs it
// again, and checks that every line is in the archive exactly once.
func TestImportKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test; skipped with -short")
	}
	dir, logs := t.TempDir(), t.TempDir()
	const n = 60000
	p := writeFile(t, filepath.Join(logs, "big.log"), genLines(0, n), false)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperImport$")
		cmd.Env = append(os.Environ(), "GLARC_HELPER_IMPORT="+dir+"|"+p)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		time.Sleep(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		t.Logf("round %d: killed (%s)", round, bytes.TrimSpace(out.Bytes()))
	}
	sum := importPaths(t, dir, p)
	t.Logf("final import added %d records", sum.Records)
	requireExactlyOnce(t, lineNumbers(t, dir), n)
}

// TestHelperImport is the child process of TestImportKilled.
func TestHelperImport(t *testing.T) {
	spec := os.Getenv("GLARC_HELPER_IMPORT")
	if spec == "" {
		t.Skip("only run as a child of TestImportKilled")
	}
	dir, path, _ := strings.Cut(spec, "|")
	importPaths(t, dir, path)
}

// TestImportAfterNoSeal: an import that appended through the active chunk
// (NoSeal) leaves it active; the next import appends to it too and seals
// it, and the one after seals chunks straight from memory. Every line is
// there once.
func TestImportAfterNoSeal(t *testing.T) {
	dir, logs := t.TempDir(), t.TempDir()
	a := writeFile(t, filepath.Join(logs, "a.log"), genLines(0, 300), false)
	b := writeFile(t, filepath.Join(logs, "b.log"), genLines(300, 3000), false)
	c := writeFile(t, filepath.Join(logs, "c.log"), genLines(3300, 3000), false)
	imp := func(path string, opts ImportOptions) Summary {
		arc, err := Open(dir, Options{MaxChunkBytes: 64 << 10})
		require.NoError(t, err)
		src, err := FileSource(path)
		require.NoError(t, err)
		opts.Year, opts.Location = 2026, time.UTC
		sum, err := arc.Import(context.Background(), []Source{src}, opts)
		require.NoError(t, err)
		require.NoError(t, arc.Close())
		return sum
	}
	chunks := func() []chunk.ChunkMeta {
		arc, err := OpenReadOnly(dir, Options{})
		require.NoError(t, err)
		defer arc.Close()
		list, err := arc.Chunks().List()
		require.NoError(t, err)
		return list
	}
	require.EqualValues(t, 300, imp(a, ImportOptions{NoSeal: true}).Records)
	list := chunks()
	require.Len(t, list, 1)
	require.False(t, list[0].Sealed)
	require.EqualValues(t, 3000, imp(b, ImportOptions{}).Records)
	list = chunks()
	require.Greater(t, list[0].Records, uint64(300), "the active chunk was filled up first")
	require.EqualValues(t, 3000, imp(c, ImportOptions{}).Records)
	require.EqualValues(t, 0, imp(c, ImportOptions{}).Records, "imported already")
	for _, m := range chunks() {
		require.True(t, m.Sealed, "chunk %s", m.ID)
	}
	requireExactlyOnce(t, lineNumbers(t, dir), 6300)
}
