package archive

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/file"
)

func sampleManifest() *manifest {
	return &manifest{open: true, mark: file.Mark{Chunk: chunk.IDFromMicros(1234567), Records: 42},
		entries: []manifestEntry{
			{fp: fingerprintOf([]byte("Mar  1 10:00:00 web1 sshd[1]: one\n")), consumed: 34, records: 1, at: time.Unix(0, 1e18), name: "/var/log/syslog"},
			{fp: fingerprintOf(make([]byte, 5000)), consumed: 5000, records: 10, at: time.Unix(0, 2e18), name: ""},
		}}
}

func TestManifestRoundTrip(t *testing.T) {
	m := sampleManifest()
	got, err := decodeManifest(m.encode())
	require.NoError(t, err)
	require.Equal(t, m.open, got.open)
	require.Equal(t, m.mark, got.mark)
	require.Len(t, got.entries, 2)
	for i := range m.entries {
		require.Equal(t, m.entries[i].fp, got.entries[i].fp)
		require.Equal(t, m.entries[i].consumed, got.entries[i].consumed)
		require.Equal(t, m.entries[i].records, got.entries[i].records)
		require.Equal(t, m.entries[i].name, got.entries[i].name)
		require.True(t, m.entries[i].at.Equal(got.entries[i].at))
	}
	// Every flipped byte and every truncation is detected.
	b := m.encode()
	for i := range b {
		bad := append([]byte(nil), b...)
		bad[i] ^= 0x20
		_, err := decodeManifest(bad)
		require.ErrorIs(t, err, ErrManifestCorrupt, "flip at %d", i)
	}
	for n := range len(b) {
		_, err := decodeManifest(b[:n])
		require.ErrorIs(t, err, ErrManifestCorrupt, "cut to %d", n)
	}
}

func FuzzDecodeManifest(f *testing.F) {
	f.Add(sampleManifest().encode())
	f.Add((&manifest{}).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeManifest(b)
		if err != nil {
			if !errors.Is(err, ErrManifestCorrupt) {
				t.Fatalf("error %v does not wrap ErrManifestCorrupt", err)
			}
			return
		}
		if _, err := decodeManifest(m.encode()); err != nil {
			t.Fatalf("re-encoded manifest does not decode: %v", err)
		}
	})
}
