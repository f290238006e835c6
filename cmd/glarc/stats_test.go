package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/file"
)

// statsArchive writes a small archive with a fixed clock: a sealed chunk
// of 5 records with a 100-byte stand-in index file, and an active chunk of
// 3 records. It returns the directory and the first and last record times.
func statsArchive(t *testing.T) (dir string, from, to time.Time) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	t0 := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	now := t0
	m, err := file.Open(dir, file.Options{Now: func() time.Time { now = now.Add(time.Millisecond); return now }})
	require.NoError(t, err)
	add := func(ts time.Time, attrs chunk.Attributes, line string) {
		_, err := m.Append(chunk.Record{SourceTS: ts, IngestTS: t0, Attrs: attrs, Raw: []byte(line)})
		require.NoError(t, err)
	}
	for i, h := range []string{"web1", "web2", "web1", "", "web1"} {
		attrs := chunk.Attributes{"app": "sshd", "host": h}
		if h == "" {
			attrs = chunk.Attributes{"app": "kernel"}
		}
		add(t0.Add(time.Duration(i)*time.Minute), attrs, fmt.Sprintf("line %d from %s", i, h))
	}
	require.NoError(t, m.Seal())
	list, err := m.List()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(m.ChunkDir(list[0].ID), "token.idx"), make([]byte, 100), 0o644))
	add(t0.Add(time.Hour), chunk.Attributes{"host": "web2"}, "active one")
	add(t0.Add(time.Hour+2*time.Minute), chunk.Attributes{"HOST": "db1"}, "active two")
	add(t0.Add(time.Hour+time.Minute), chunk.Attributes{"host": "web2"}, "active three")
	require.NoError(t, m.Close())
	return dir, t0, t0.Add(time.Hour + 2*time.Minute)
}

// dataBytes sums the chunk files on disk: chunk.dat of sealed chunks and
// the three logs of active ones.
func dataBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	var n uint64
	for _, pat := range []string{"chunks/*/chunk.dat", "active/*/*.log"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		require.NoError(t, err)
		for _, p := range m {
			fi, err := os.Stat(p)
			require.NoError(t, err)
			n += uint64(fi.Size())
		}
	}
	return n
}

func TestStats(t *testing.T) {
	dir, from, to := statsArchive(t)
	raw := uint64(len("line 0 from web1line 1 from web2line 2 from web1line 3 from line 4 from web1" + "active oneactive twoactive three"))
	data := dataBytes(t, dir)
	stored := data + 100
	want := fmt.Sprintf(`chunks:       2 (1 sealed, 1 active)
records:      8
from:         %s
to:           %s
raw bytes:    %d
stored bytes: %s = data %s + indexes 100
ratio:        %.3f stored/raw (data %.3f, indexes %.3f)
`, from.Local().Format(time.RFC3339), to.Local().Format(time.RFC3339), raw,
		sizeString(stored), sizeString(data), float64(stored)/float64(raw), float64(data)/float64(raw), 100/float64(raw))
	out, errs := atRunOK(t, "stats", "--data", dir)
	require.Empty(t, errs)
	require.Equal(t, want, out)

	out, _ = atRunOK(t, "stats", "--data", dir, "--by", "host")
	require.Equal(t, want+`
host       records  share
web1             3  37.5%
web2             3  37.5%
db1              1  12.5%
(no host)        1  12.5%
`, out)

	out, _ = atRunOK(t, "stats", "--data", dir, "--by", "Host", "--top", "2")
	require.Equal(t, want+`
Host      records  share
web1            3  37.5%
web2            3  37.5%
(2 more)        2  25.0%
`, out)

	out, _ = atRunOK(t, "stats", "--data", dir, "--by", "app")
	require.Equal(t, want+`
app       records  share
sshd            4  50.0%
(no app)        3  37.5%
kernel          1  12.5%
`, out)
}

func TestStatsEmptyAndErrors(t *testing.T) {
	dir := t.TempDir()
	out, _ := atRunOK(t, "stats", "--data", dir, "--by", "host")
	require.Equal(t, `chunks:       0 (0 sealed, 0 active)
records:      0
from:         -
to:           -
raw bytes:    0
stored bytes: 0 = data 0 + indexes 0
ratio:        - stored/raw (data -, indexes -)

host  records  share
`, out)
	for _, args := range [][]string{{"--top", "3"}, {"--by", "host", "--top", "-1"}} {
		code, _, errs := atRun(t, append([]string{"stats", "--data", dir}, args...)...)
		require.Equal(t, 2, code, "%q: %s", args, errs)
	}
	code, _, errs := atRun(t, "stats", "--data", filepath.Join(dir, "none"))
	require.Equal(t, 1, code)
	require.Contains(t, errs, "no archive")
}

func TestSizeString(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 1023: "1023", 1024: "1024 (1.0 KiB)", 5 << 20: "5242880 (5.0 MiB)", 3 << 30: "3221225472 (3.0 GiB)"} {
		require.Equal(t, want, sizeString(n))
	}
}
