package container

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"glarc/index"
)

// writeFile writes an index file of type 'k' with the given sections.
func writeFile(t *testing.T, path string, sections ...[]byte) {
	t.Helper()
	w, err := Create(path, TypeToken, 1)
	require.NoError(t, err)
	for _, s := range sections {
		_, err := w.Write(s)
		require.NoError(t, err)
		w.EndSection()
	}
	require.NoError(t, w.Commit())
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

// within reports whether b lies inside the memory of m.
func within(b, m []byte) bool {
	if len(b) == 0 || len(m) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&m[0]))
	return p >= lo && p < lo+uintptr(len(m))
}

// TestOpenSections opens a file from disk and gets the sections that
// FromBytes gets from its bytes, views of the mapping.
func TestOpenSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.idx")
	secs := [][]byte{pattern(16, 1), pattern(64<<10, 2), {}, pattern(100, 4)}
	writeFile(t, path, secs...)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	want, err := FromBytes("x", raw, TypeToken, 1, len(secs))
	require.NoError(t, err)

	f, err := Open(path, TypeToken, 1, len(secs))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, int64(len(raw)), f.Size())
	for i, s := range secs {
		require.Equal(t, s, f.Section(i), "section %d", i)
		require.Equal(t, want.Offset(i), f.Offset(i), "section %d", i)
		b, err := f.Verified(i, "s")
		require.NoError(t, err)
		require.True(t, bytes.Equal(s, b))
		if f.mapped && len(s) > 0 {
			require.True(t, within(f.Section(i), f.data), "section %d: a view of the mapping", i)
		}
	}
	_, err = Open(filepath.Join(t.TempDir(), "none.idx"), TypeToken, 1, len(secs))
	require.ErrorIs(t, err, index.ErrNotBuilt)
}

// TestOpenDamage flips bytes of a file on disk (every byte of the header,
// table, footer and small sections; a sample of the large one) and cuts it
// short (at every length around its small parts): Open fails with
// ErrCorrupt, or the checksum of the section that holds the byte does.
// Never a panic.
func TestOpenDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.idx")
	secs := [][]byte{pattern(20, 1), pattern(70000, 2), pattern(30, 3)}
	writeFile(t, path, secs...)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	bigStart, bigEnd := HeaderSize+20, HeaderSize+20+70000
	check := func(data []byte, what string) {
		t.Helper()
		require.NoError(t, os.WriteFile(path, data, 0o644))
		f, err := Open(path, TypeToken, 1, len(secs))
		if err != nil {
			require.True(t, errors.Is(err, index.ErrCorrupt) || errors.Is(err, index.ErrIncomplete), "%s: %v", what, err)
			return
		}
		defer f.Close()
		var errs []error
		for i := range secs {
			errs = append(errs, f.Verify(i, "s"))
		}
		require.Error(t, errors.Join(errs...), "%s: not detected", what)
	}
	for off := range good {
		if off >= bigStart && off < bigEnd && off%97 != 0 {
			continue
		}
		bad := bytes.Clone(good)
		bad[off] ^= 0x10
		check(bad, fmt.Sprintf("byte %d", off))
	}
	for n := range good {
		if n >= bigStart && n < bigEnd && n%997 != 0 {
			continue
		}
		require.NoError(t, os.WriteFile(path, good[:n], 0o644))
		_, err := Open(path, TypeToken, 1, len(secs))
		require.Error(t, err, "cut to %d bytes", n)
	}
}
