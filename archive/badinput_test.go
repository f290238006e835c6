package archive

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/archive/input"
	"glarc/chunk"
)

// allRaw returns every archived Raw, in time order.
func allRaw(t *testing.T, dir string) [][]byte {
	t.Helper()
	a, err := OpenReadOnly(dir, Options{})
	require.NoError(t, err)
	defer a.Close()
	list, err := a.Chunks().List()
	require.NoError(t, err)
	var out [][]byte
	for _, m := range list {
		c, err := a.Chunks().OpenCursor(m.ID)
		require.NoError(t, err)
		for rec, err := range chunk.Records(c, false) {
			require.NoError(t, err)
			out = append(out, bytes.Clone(rec.Raw))
		}
		c.Close()
	}
	return out
}

func TestImportBadInput(t *testing.T) {
	logs := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	garbage := make([]byte, 200_000)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	long := "Jun 14 15:16:01 combo app[1]: " + strings.Repeat("x", 10<<20)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(genLines(0, 5000))
	w.Close()
	truncated := gz.Bytes()[:gz.Len()/2]

	files := map[string][]byte{
		"garbage.bin": garbage,
		"nul.log":     []byte("Jun 14 15:16:01 combo sshd[1]: nul\x00byte\nJun 14 15:16:02 combo sshd[1]: bad \xff\xfe utf8\n"),
		"empty.log":   nil,
		"long.log":    []byte(long + "\nJun 14 15:16:02 combo app[1]: after\n"),
		"trunc.gz":    truncated,
	}
	for name, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(logs, name), b, 0o644))
	}
	require.NoError(t, os.Symlink(filepath.Join(logs, "missing"), filepath.Join(logs, "dangling.log")))

	dir := t.TempDir()
	a, err := Open(dir, Options{})
	require.NoError(t, err)
	var srcs []Source
	for _, name := range []string{"garbage.bin", "nul.log", "empty.log", "long.log", "trunc.gz"} {
		s, err := FileSource(filepath.Join(logs, name))
		require.NoError(t, err)
		srcs = append(srcs, s)
	}
	// An unreadable source among good ones.
	srcs = append(srcs, Source{Name: "unreadable.log", Size: -1, Open: func() (io.ReadCloser, error) {
		return os.Open(filepath.Join(logs, "dangling.log"))
	}})
	sum, err := a.Import(context.Background(), srcs, ImportOptions{Year: 2026, Location: time.UTC})
	require.NoError(t, a.Close())
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, "trunc.gz")
	require.Contains(t, msg, "decompressed bytes")
	require.ErrorIs(t, err, input.ErrTruncated)
	require.Contains(t, msg, "unreadable.log")
	require.Equal(t, 2, sum.Failed)
	require.Len(t, sum.Warnings, 2) // garbage.bin, nul.log

	raws := allRaw(t, dir)
	have := map[string]bool{}
	for _, r := range raws {
		have[string(r)] = true
	}
	// Every line of the text files is there, byte for byte.
	require.True(t, have["Jun 14 15:16:01 combo sshd[1]: nul\x00byte"])
	require.True(t, have["Jun 14 15:16:02 combo sshd[1]: bad \xff\xfe utf8"])
	require.True(t, have[long], "10 MiB line kept")
	require.True(t, have["Jun 14 15:16:02 combo app[1]: after"])
	// Everything before the damage of trunc.gz is kept.
	var plain bytes.Buffer
	zr, err := gzip.NewReader(bytes.NewReader(truncated))
	require.NoError(t, err)
	_, _ = plain.ReadFrom(zr)
	lines := strings.Split(plain.String(), "\n")
	require.Greater(t, len(lines), 100)
	for _, l := range lines {
		if l != "" {
			require.True(t, have[l], "line before the damage lost: %q", l)
		}
	}
	// The garbage is archived too: its bytes, split at LF, in some record.
	var gotGarbage int
	for _, part := range bytes.Split(garbage, []byte{'\n'}) {
		part = bytes.TrimSuffix(part, []byte{'\r'})
		if have[string(part)] {
			gotGarbage++
		}
	}
	require.Equal(t, len(bytes.Split(garbage, []byte{'\n'})), gotGarbage)
}
