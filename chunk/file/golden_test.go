package file

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// The golden tests build the expected bytes from the layout in doc.go, field
// by field, and compare them with what the manager wrote.

type le []byte

func (b le) u32(v uint32) le { return binary.LittleEndian.AppendUint32(b, v) }
func (b le) u64(v uint64) le { return binary.LittleEndian.AppendUint64(b, v) }
func (b le) i64(v int64) le  { return binary.LittleEndian.AppendUint64(b, uint64(v)) }

func c32(parts ...[]byte) uint32 {
	var s uint32
	for _, p := range parts {
		s = crc32.Update(s, crc32.MakeTable(crc32.Castagnoli), p)
	}
	return s
}

func TestGoldenLayout(t *testing.T) {
	dir := t.TempDir()
	wts := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m, err := Open(dir, Options{Now: func() time.Time { return wts }})
	require.NoError(t, err)
	src1 := time.Date(2026, 3, 1, 0, 0, 2, 0, time.UTC)
	src2 := time.Date(2026, 3, 1, 0, 0, 1, 0, time.UTC)
	ing := time.Date(2026, 3, 1, 0, 0, 5, 0, time.UTC)
	attrs := chunk.Attributes{"host": "h"}
	_, err = m.Append(chunk.Record{SourceTS: src1, IngestTS: ing, Attrs: attrs, Raw: []byte("b")})
	require.NoError(t, err)
	_, err = m.Append(chunk.Record{SourceTS: src2, IngestTS: ing, Attrs: attrs, Raw: []byte("a")})
	require.NoError(t, err)
	act, _ := m.Active()
	require.NoError(t, m.Flush())

	// Active chunk.
	adir := filepath.Join(dir, ActiveDirName, act.ID.String())
	attrEnc := []byte{1, 4, 'h', 'o', 's', 't', 1, 'h'}
	wantRaw := []byte{'i', 'r', 1, 0, 'b', 'a'}
	wantAttr := append([]byte{'i', 'a', 1, 0}, attrEnc...) // shared by both records
	entry := func(rawOff uint64, raw string, src time.Time) []byte {
		e := le{}.u64(rawOff).u64(4).u32(uint32(len(raw))).u32(uint32(len(attrEnc))).
			i64(src.UnixNano()).i64(ing.UnixNano()).i64(wts.UnixNano())
		e = e.u32(c32(e, []byte(raw), attrEnc)).u32(0)
		return e
	}
	wantIdx := append([]byte{'i', 'i', 1, 0}, entry(4, "b", src1)...)
	wantIdx = append(wantIdx, entry(5, "a", src2)...)
	for name, want := range map[string][]byte{RawLogName: wantRaw, AttrLogName: wantAttr, IdxLogName: wantIdx} {
		got, err := os.ReadFile(filepath.Join(adir, name))
		require.NoError(t, err)
		require.Equal(t, want, got, name)
	}

	// Sealed chunk: one block holding "a" then "b" (time order).
	require.NoError(t, m.Seal())
	require.NoError(t, m.Close())
	var metaF []byte
	metaF = binary.AppendUvarint(metaF, 2)
	metaF = append(metaF, 3) // seconds
	metaF = binary.AppendVarint(metaF, src2.Unix())
	metaF = binary.AppendVarint(metaF, src1.Unix()-src2.Unix())
	metaF = append(metaF, 3)
	metaF = binary.AppendVarint(metaF, ing.Unix())
	metaF = binary.AppendVarint(metaF, 0)
	metaF = append(metaF, 3)
	metaF = binary.AppendVarint(metaF, wts.Unix())
	metaF = binary.AppendVarint(metaF, 0)
	metaF = append(metaF, 1, 4, 'h', 'o', 's', 't') // one key, "host"
	metaF = append(metaF, 0)                        // dictionary: "h" is not in the lines
	metaF = append(metaF, 1, 1, 'h')                // one value, "h"
	metaF = append(metaF, 1, 1)                     // both records: value 0 (+1)
	metaF = append(metaF, 1, 1)                     // raw lengths
	text := []byte("ab")
	metaEnc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderCRC(false), zstd.WithEncoderConcurrency(1))
	require.NoError(t, err)
	textEnc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderCRC(false), zstd.WithEncoderConcurrency(1))
	require.NoError(t, err)
	metaC := metaEnc.EncodeAll(metaF, nil)
	block := textEnc.EncodeAll(text, append([]byte(nil), metaC...))
	want := []byte{'i', 'd', 2, 1}
	// Dictionary section: a chunk this small has none (length 0, CRC of
	// nothing).
	want = le(want).u32(0).u32(0).u32(0)
	blockOff := uint64(len(want))
	want = append(want, block...)
	indexOff := uint64(len(want))
	index := le{}.u64(blockOff).u32(uint32(len(block))).u32(uint32(len(text))).u32(2).u32(c32(block)).
		i64(src2.UnixNano()).i64(src1.UnixNano()).u32(uint32(len(metaC))).u32(uint32(len(metaF)))
	want = append(want, index...)
	tr := append(le{}, act.ID[:]...).u64(2).i64(src2.UnixNano()).i64(src1.UnixNano()).u64(2).
		u64(indexOff).u32(1).u32(c32(index)).u32(0)
	tr = tr.u32(c32(tr))
	want = append(want, tr...)
	got, err := os.ReadFile(filepath.Join(dir, SealedDirName, act.ID.String(), SealedName))
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Len(t, tr, TrailerSize)
	require.Len(t, index, BlockEntrySize)
	require.Len(t, entry(0, "", src1), IdxEntrySize)
}
