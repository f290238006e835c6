package archive

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/file"
	"glarc/index"
	"glarc/index/collect"
	indexfile "glarc/index/file"
	"glarc/index/file/token"
)

// verifyDir imports a few thousand lines (several sealed chunks), builds
// their indexes and returns the directory and the sealed chunks.
func verifyDir(t *testing.T) (string, []chunk.ChunkMeta) {
	t.Helper()
	dir := t.TempDir()
	src := writeFile(t, filepath.Join(t.TempDir(), "syslog"), genLines(0, 2000), false)
	importPaths(t, dir, src)
	fm, err := file.Open(dir, file.Options{ReadOnly: true})
	require.NoError(t, err)
	defer fm.Close()
	list, err := fm.List()
	require.NoError(t, err)
	require.Greater(t, len(list), 1)
	h := index.NewBuildHelper(fm, indexfile.NewManager(collect.Budget{}), index.BuildOptions{Dir: fm.ChunkDir})
	require.NoError(t, h.BuildMissing(t.Context(), list...))
	return dir, list
}

func TestVerifyManifest(t *testing.T) {
	require.NoError(t, VerifyManifest(t.TempDir()), "no manifest: nothing imported, nothing wrong")

	dir, _ := verifyDir(t)
	require.NoError(t, VerifyManifest(dir))
	path := filepath.Join(dir, ManifestName)
	good, err := os.ReadFile(path)
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		harm func([]byte) []byte
	}{
		{"header", func(b []byte) []byte { b[1] ^= 1; return b }},
		{"flags", func(b []byte) []byte { b[3] = 0; return b }},
		{"length", func(b []byte) []byte { b[4]++; return b }},
		{"section byte", func(b []byte) []byte { b[20] ^= 0x80; return b }},
		{"checksum", func(b []byte) []byte { b[len(b)-1] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-3] }},
		{"empty", func(b []byte) []byte { return b[:0] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(path, tc.harm(append([]byte(nil), good...)), 0o644))
			err := VerifyManifest(dir)
			require.ErrorIs(t, err, ErrManifestCorrupt)
			require.ErrorContains(t, err, path)
		})
	}

	// An open manifest: an import is running or died.
	m, err := decodeManifest(good)
	require.NoError(t, err)
	m.open = true
	require.NoError(t, os.WriteFile(path, m.encode(), 0o644))
	require.ErrorIs(t, VerifyManifest(dir), ErrImportOpen)

	// A mark past the archive: committed records are gone.
	m.open = false
	m.mark.Records += 5
	require.NoError(t, os.WriteFile(path, m.encode(), 0o644))
	err = VerifyManifest(dir)
	require.ErrorIs(t, err, ErrManifestMark)
	require.ErrorContains(t, err, "the manifest committed")
	m.mark.Chunk = chunk.IDFromMicros(m.mark.Chunk.Micros() + 1)
	require.NoError(t, os.WriteFile(path, m.encode(), 0o644))
	require.ErrorContains(t, VerifyManifest(dir), "does not exist")
}

func TestVerifyIndexes(t *testing.T) {
	dir, list := verifyDir(t)
	cdir := filepath.Join(dir, file.SealedDirName, list[0].ID.String())
	n, errs := VerifyIndexes(cdir, int64(list[0].Records))
	require.Empty(t, errs)
	var size int64
	for _, name := range IndexFileNames() {
		fi, err := os.Stat(filepath.Join(cdir, name))
		require.NoError(t, err)
		size += fi.Size()
	}
	require.Equal(t, size, n)

	// Another chunk's record count: every index is stale.
	_, errs = VerifyIndexes(cdir, int64(list[0].Records)+1)
	require.Len(t, errs, len(IndexFileNames()))
	for _, err := range errs {
		require.ErrorIs(t, err, ErrIndexStale)
	}
	_, errs = VerifyIndexes(cdir, -1)
	require.Empty(t, errs, "unknown record count: not checked")

	// A flipped byte in each index file, and a missing one.
	for _, name := range IndexFileNames() {
		p := filepath.Join(cdir, name)
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		b[len(b)/2] ^= 0x10
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	require.NoError(t, os.Remove(filepath.Join(cdir, token.FileName)))
	_, errs = VerifyIndexes(cdir, int64(list[0].Records))
	require.Len(t, errs, len(IndexFileNames())-1)
	for _, err := range errs {
		require.ErrorIs(t, err, index.ErrCorrupt)
	}

	// Incomplete at its final name: damage too.
	p := filepath.Join(cdir, IndexFileNames()[1])
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	b[3] = 0
	require.NoError(t, os.WriteFile(p, b, 0o644))
	_, errs = VerifyIndexes(cdir, int64(list[0].Records))
	require.ErrorIs(t, errs[0], index.ErrIncomplete)
}
