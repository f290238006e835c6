package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/file"
	"glarc/index"
	"glarc/index/collect"
	indexfile "glarc/index/file"
)

// atRun runs glarc in process and returns its exit code and output.
func atRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), append([]string{"glarc"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// atRunOK runs glarc in process and requires exit code 0.
func atRunOK(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errs := atRun(t, args...)
	require.Equal(t, 0, code, "glarc %s\nstderr:\n%s", strings.Join(args, " "), errs)
	return out, errs
}

// sample copies a file of testdata/samples into dir and returns its path.
func sample(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "samples", name))
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// verifyArchive builds a data directory with one indexed sealed chunk, one
// active chunk and a manifest, and returns it.
func verifyArchive(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	data := filepath.Join(work, "data")
	atRunOK(t, "import", "-q", "--data", data, "--year", "2005", sample(t, work, "combo.log"))
	atRunOK(t, "import", "-q", "--data", data, "--no-seal", sample(t, work, "rsyslog.log"))
	atBuildIndexes(t, data)
	return data
}

// atBuildIndexes builds every index of every sealed chunk in data.
func atBuildIndexes(t *testing.T, data string) {
	t.Helper()
	fm, err := file.Open(data, file.Options{ReadOnly: true})
	require.NoError(t, err)
	defer fm.Close()
	list, err := fm.List()
	require.NoError(t, err)
	var sealed []chunk.ChunkMeta
	for _, m := range list {
		if m.Sealed {
			sealed = append(sealed, m)
		}
	}
	h := index.NewBuildHelper(fm, indexfile.NewManager(collect.Budget{}), index.BuildOptions{Dir: fm.ChunkDir})
	require.NoError(t, h.BuildMissing(t.Context(), sealed...))
}

var cleanVerify = regexp.MustCompile(`^verified 2 chunks \(1 sealed, 1 active\), 16 records, 4 index files, \d+ bytes: no problems\n$`)

func TestVerifyCleanArchive(t *testing.T) {
	data := verifyArchive(t)
	out, errs := atRunOK(t, "verify", "--data", data)
	require.Regexp(t, cleanVerify, out)
	require.Empty(t, errs)
}

func TestVerifyNoArchive(t *testing.T) {
	code, out, errs := atRun(t, "verify", "--data", filepath.Join(t.TempDir(), "none"))
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errs, "no archive in data directory")
}

func globData(t *testing.T, data, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(data, pattern))
	require.NoError(t, err)
	require.Len(t, m, 1, pattern)
	return m[0]
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if off < 0 {
		off += int64(len(b))
	}
	b[off] ^= 0x01
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func cutBytes(t *testing.T, path string, n int64) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, fi.Size()-n))
}

// TestVerifyDamage flips one byte (or cuts bytes off) in each kind of file
// the archive holds: verify exits 1 and names the file and section.
func TestVerifyDamage(t *testing.T) {
	tests := []struct {
		name, file string
		off        int64 // byte to flip; ignored when cut > 0
		cut        int64 // bytes to cut off the end
		want       string
	}{
		{"chunk.dat header", "chunks/*/chunk.dat", 1, 0, `chunk\.dat: header at offset 0`},
		{"chunk.dat block", "chunks/*/chunk.dat", 20, 0, `chunk\.dat: block 0 at offset \d+: checksum`},
		{"chunk.dat block index", "chunks/*/chunk.dat", -file.TrailerSize - 3, 0, `chunk\.dat: block index at offset \d+: checksum`},
		{"chunk.dat trailer", "chunks/*/chunk.dat", -10, 0, `chunk\.dat: trailer at offset \d+: checksum`},
		{"chunk.dat truncated", "chunks/*/chunk.dat", 0, 7, `chunk\.dat: trailer`},
		{"raw.log header", "active/*/raw.log", 0, 0, `raw\.log: header at offset 0`},
		{"raw.log record", "active/*/raw.log", 30, 0, `idx\.log: idx\.log entry 0 at offset 4: checksum .*raw\.log at 4`},
		{"raw.log truncated", "active/*/raw.log", 0, 3, `idx\.log: tail .* point past the end of raw\.log`},
		{"attr.log attributes", "active/*/attr.log", 6, 0, `idx\.log: idx\.log entry 0 at offset 4: checksum .*attr\.log at 4`},
		{"attr.log truncated", "active/*/attr.log", 0, 2, `idx\.log: tail .* point past the end of raw\.log or attr\.log`},
		{"idx.log header", "active/*/idx.log", 3, 0, `idx\.log: header at offset 3`},
		{"idx.log entry", "active/*/idx.log", 4 + file.IdxEntrySize + 30, 0, `idx\.log: idx\.log entry 1 at offset 60: checksum`},
		{"idx.log truncated", "active/*/idx.log", 0, 5, `idx\.log: tail at offset \d+: idx\.log ends in a partial entry of 51 bytes`},
		{"manifest", "manifest", 30, 0, `manifest: import manifest corrupt: offset \d+: checksum`},
		{"manifest truncated", "manifest", 0, 1, `manifest: import manifest corrupt`},
		{"token index", "chunks/*/token.idx", 10, 0, `token\.idx: .*checksum`},
		{"attr index", "chunks/*/attr.idx", -3, 0, `attr\.idx: .*(checksum|footer)`},
		{"kv index", "chunks/*/kv.idx", 0, 0, `kv\.idx: header`},
		{"blocks index", "chunks/*/blocks.flt", 0, 4, `blocks\.flt: `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := verifyArchive(t)
			p := globData(t, data, tc.file)
			if tc.cut > 0 {
				cutBytes(t, p, tc.cut)
			} else {
				flipByte(t, p, tc.off)
			}
			code, out, errs := atRun(t, "verify", "--data", data)
			require.Equal(t, 1, code, "stdout: %s\nstderr: %s", out, errs)
			require.Regexp(t, `^verified 2 chunks .*: \d+ problems?\n$`, out)
			require.Regexp(t, tc.want, errs)
			for _, line := range strings.Split(strings.TrimSuffix(errs, "\n"), "\n") {
				require.True(t, strings.HasPrefix(line, "glarc: "), "%q", line)
				if !strings.Contains(line, "manifest") {
					require.Regexp(t, `^glarc: chunk [0-9a-v]{13}: `, line)
				}
			}
		})
	}
}

// TestVerifyKeepsGoing damages both chunks and the manifest: all three are
// reported.
func TestVerifyKeepsGoing(t *testing.T) {
	data := verifyArchive(t)
	flipByte(t, globData(t, data, "chunks/*/chunk.dat"), 20)
	flipByte(t, globData(t, data, "active/*/raw.log"), 30)
	flipByte(t, globData(t, data, "manifest"), 30)
	code, out, errs := atRun(t, "verify", "--data", data)
	require.Equal(t, 1, code)
	require.Regexp(t, `: 3 problems\n$`, out)
	require.Contains(t, errs, "chunk.dat: block 0")
	require.Contains(t, errs, "idx.log entry 0")
	require.Contains(t, errs, "manifest")
}

// TestVerifyWriterTail: a record half written by a writer that holds the
// lock is a note, not a problem.
func TestVerifyWriterTail(t *testing.T) {
	data := verifyArchive(t)
	fm, err := file.Open(data, file.Options{Owner: "test writer"})
	require.NoError(t, err)
	defer fm.Close()
	appendData(t, globData(t, data, "active/*/raw.log"), []byte("Mar  1 00:00:00 web1 half written"))
	appendData(t, globData(t, data, "active/*/idx.log"), make([]byte, 20))
	out, errs := atRunOK(t, "verify", "--data", data)
	require.Regexp(t, `: no problems, 2 notes\n$`, out)
	require.Regexp(t, `(?m)^glarc: note: chunk \w+: .*idx\.log: tail .*partial entry of 20 bytes`, errs)
	require.Regexp(t, `(?m)^glarc: note: chunk \w+: .*raw\.log: tail .*33 bytes past the last record`, errs)
}

// TestVerifyManifestMark: records the manifest says were committed are
// gone (idx.log cut at an entry boundary).
func TestVerifyManifestMark(t *testing.T) {
	data := verifyArchive(t)
	cutBytes(t, globData(t, data, "active/*/idx.log"), file.IdxEntrySize)
	code, _, errs := atRun(t, "verify", "--data", data)
	require.Equal(t, 1, code)
	require.Regexp(t, `manifest: import manifest names records that are not in the archive: mark chunk \w+ holds 5 records, the manifest committed 6`, errs)
}

func appendData(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}
