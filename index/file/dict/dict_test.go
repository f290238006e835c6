package dict

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/index"
)

// write builds a dictionary of keys → values and returns its sections.
func write(t *testing.T, keys []string, values [][]byte) (blocks, idx []byte) {
	t.Helper()
	var buf bytes.Buffer
	d := NewWriter(&buf)
	for i, k := range keys {
		require.NoError(t, d.Add([]byte(k), values[i]))
	}
	idx, err := d.Finish()
	require.NoError(t, err)
	return buf.Bytes(), idx
}

// TestSharedValues checks that repeated values become references (within
// and across blocks) and read back as the values.
func TestSharedValues(t *testing.T) {
	var keys []string
	var values [][]byte
	distinct := [][]byte{[]byte("0123456789"), []byte("ab"), []byte("x"), bytes.Repeat([]byte("v"), 300)}
	for i := range 100 {
		keys = append(keys, fmt.Sprintf("key%03d", i))
		values = append(values, distinct[i%len(distinct)])
	}
	blocks, idx := write(t, keys, values)
	unshared, _ := write(t, keys[:len(distinct)], values[:len(distinct)])
	require.Less(t, len(blocks), len(unshared)+100*8, "repeats are stored as references")

	r, err := NewReader("t", blocks, 0, idx)
	require.NoError(t, err)
	for i, k := range keys {
		v, ok, err := r.Get([]byte(k))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, values[i], v, k)
	}
	i := 0
	for e, err := range r.Prefix([]byte("key")) {
		require.NoError(t, err)
		require.Equal(t, keys[i], string(e.Key))
		require.Equal(t, values[i], e.Value)
		i++
	}
	require.Equal(t, len(keys), i)
}

// TestBadReferences checks that a reference to the entry itself, a later
// entry, a missing entry or another reference is refused as corrupt.
func TestBadReferences(t *testing.T) {
	entry := func(key string, field uint64, value string) []byte {
		b := []byte{0, byte(len(key))}
		b = append(b, key...)
		b = binary.AppendUvarint(b, field)
		return append(b, value...)
	}
	tests := []struct {
		name    string
		entries [][]byte
	}{
		{"self", [][]byte{entry("a", 0<<1|1, "")}},
		{"later", [][]byte{entry("a", 1<<1|1, ""), entry("b", 2<<1, "xy")}},
		{"to a reference", [][]byte{entry("a", 2<<1, "xy"), entry("b", 0<<1|1, ""), entry("c", 1<<1|1, "")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Join(tc.entries, nil)
			blocks := binary.LittleEndian.AppendUint32(body, crc(body))
			idx := binary.LittleEndian.AppendUint32(nil, uint32(len(tc.entries)))
			idx = binary.LittleEndian.AppendUint32(idx, 1)
			idx = append(idx, make([]byte, 8)...)
			idx = append(idx, 'a')
			r, err := NewReader("t", blocks, 0, idx)
			require.NoError(t, err)
			var last error
			for _, err := range r.Prefix(nil) {
				last = err
			}
			require.True(t, errors.Is(last, index.ErrCorrupt), "got %v", last)
		})
	}
}
