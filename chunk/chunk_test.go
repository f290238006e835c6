package chunk

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAttributesRoundTrip(t *testing.T) {
	for _, a := range []Attributes{
		nil,
		{},
		{"host": "web1"},
		{"host": "web1", "app": "sshd", "pid": "24200", "file": "/var/log/auth.log", "": "empty key", "empty": ""},
		{"ünïcode": "välue\x00with nul", "B": "upper"},
	} {
		b, err := a.AppendBinary(nil)
		require.NoError(t, err)
		got, err := DecodeAttributes(b)
		require.NoError(t, err)
		if len(a) == 0 {
			require.Empty(t, got)
		} else {
			require.Equal(t, a, got)
		}
		// Equal sets encode to equal bytes, whatever the map order.
		b2, err := a.Clone().AppendBinary(nil)
		require.NoError(t, err)
		require.Equal(t, b, b2)
	}
}

func TestAttributesGetCaseInsensitive(t *testing.T) {
	a := Attributes{"Host": "web1", "app": "sshd"}
	v, ok := a.Get("host")
	require.True(t, ok)
	require.Equal(t, "web1", v)
	v, ok = a.Get("APP")
	require.True(t, ok)
	require.Equal(t, "sshd", v)
	_, ok = a.Get("pid")
	require.False(t, ok)
}

func TestDecodeAttributesCorrupt(t *testing.T) {
	good, err := Attributes{"host": "web1", "app": "sshd"}.AppendBinary(nil)
	require.NoError(t, err)
	for n := range len(good) {
		_, err := DecodeAttributes(good[:n])
		require.ErrorIs(t, err, ErrCorrupt, "cut to %d bytes", n)
	}
	_, err = DecodeAttributes(append(good, 0))
	require.ErrorIs(t, err, ErrCorrupt, "trailing byte")
	// A huge count or length must not allocate: an error, quickly.
	_, err = DecodeAttributes([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = DecodeAttributes([]byte{1, 0xff, 0xff, 0xff, 0x0f, 'a'})
	require.ErrorIs(t, err, ErrCorrupt)
	// Duplicate keys are corrupt.
	_, err = DecodeAttributes([]byte{2, 1, 'a', 1, 'x', 1, 'a', 1, 'y'})
	require.ErrorIs(t, err, ErrCorrupt)
}

func FuzzDecodeAttributes(f *testing.F) {
	for _, a := range []Attributes{nil, {"host": "web1"}, {"a": "1", "b": "2", "file": "/x"}} {
		b, _ := a.AppendBinary(nil)
		f.Add(b)
	}
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAttributes(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		// What decodes re-encodes to the same bytes (keys are sorted on
		// write, so only canonical input decodes to itself).
		again, err := a.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeAttributes(again)
		if err != nil || len(back) != len(a) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func TestChunkIDString(t *testing.T) {
	id := IDFromMicros(uint64(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMicro()))
	s := id.String()
	require.Len(t, s, IDStringLen)
	back, err := ParseID(s)
	require.NoError(t, err)
	require.Equal(t, id, back)
	require.Equal(t, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), id.Time().UTC())
	// String order is byte order is time order.
	later := IDFromMicros(id.Micros() + 1)
	require.Less(t, s, later.String())
	for _, bad := range []string{"", "short", "0123456789abcdefg", "zzzzzzzzzzzzz", "VVVVVVVVVVVVV"} {
		_, err := ParseID(bad)
		require.Error(t, err, bad)
	}
}

func TestIDGeneratorStrictlyIncreasing(t *testing.T) {
	frozen := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	g := NewIDGenerator(ChunkID{}, func() time.Time { return frozen })
	var mu sync.Mutex
	seen := map[ChunkID]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var last ChunkID
			for range 500 {
				id := g.Next()
				require.Greater(t, id.String(), last.String())
				last = id
				mu.Lock()
				require.False(t, seen[id], "duplicate %s", id)
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, seen, 2000)
	// The clock stepping back, or a floor from existing chunks, never
	// gives an ID at or below what exists.
	floor := IDFromMicros(uint64(frozen.Add(time.Hour).UnixMicro()))
	g2 := NewIDGenerator(floor, func() time.Time { return frozen })
	require.Greater(t, g2.Next().String(), floor.String())
}

func TestOverlaps(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m := ChunkMeta{Records: 1, MinTS: t0, MaxTS: t0.Add(time.Hour)}
	require.True(t, m.Overlaps(time.Time{}, time.Time{}))
	require.True(t, m.Overlaps(t0.Add(30*time.Minute), time.Time{}))
	require.False(t, m.Overlaps(t0.Add(2*time.Hour), time.Time{}))
	require.False(t, m.Overlaps(time.Time{}, t0.Add(-time.Second)))
	require.True(t, m.Overlaps(time.Time{}, t0))
	require.False(t, ChunkMeta{}.Overlaps(time.Time{}, time.Time{}))
}
