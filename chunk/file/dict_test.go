package file

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// dictFixture seals a chunk whose first block is large enough for a
// dictionary, and returns its chunk.dat path and records in time order.
func dictFixture(t testing.TB) (path string, want []chunk.Record) {
	t.Helper()
	dir := t.TempDir()
	m, err := Open(dir, Options{BlockBytes: 96 << 10, Dictionary: true, Now: testClock()})
	require.NoError(t, err)
	var id chunk.ChunkID
	for i := range 6000 {
		ref, err := m.Append(mkRecord(i, t0.Add(time.Duration(i)*time.Millisecond)))
		require.NoError(t, err)
		id = ref.Chunk
	}
	require.NoError(t, m.Seal())
	c, err := m.OpenCursor(id)
	require.NoError(t, err)
	for rec, err := range chunk.Records(c, false) {
		require.NoError(t, err)
		rec.Raw = append([]byte(nil), rec.Raw...)
		want = append(want, rec)
	}
	require.NoError(t, c.Close())
	require.NoError(t, m.Close())
	return filepath.Join(dir, SealedDirName, id.String(), SealedName), want
}

// toV1 rewrites a version 2 chunk.dat without a dictionary as version 1:
// no dictionary section, blocks right after the header.
func toV1(t testing.TB, b []byte) []byte {
	t.Helper()
	require.Equal(t, VersionSealed, b[2])
	sec := b[HeaderSize : HeaderSize+DictSectionSize]
	require.Equal(t, make([]byte, DictSectionSize), sec, "only a chunk without a dictionary converts")
	out := append([]byte{'i', 'd', VersionSealedV1, FlagComplete}, b[HeaderSize+DictSectionSize:]...)
	trOff := len(out) - TrailerSize
	tr, err := getTrailer(out[trOff:], "", 0)
	require.NoError(t, err)
	tr.indexOff -= DictSectionSize
	for i := range int(tr.blocks) {
		eb := out[int(tr.indexOff)+i*BlockEntrySize:][:BlockEntrySize]
		e := getBlockEntry(eb)
		e.off -= DictSectionSize
		e.put(eb)
	}
	tr.indexCRC = crc(out[tr.indexOff:trOff])
	tr.put(out[trOff:])
	return out
}

func TestDictionaryChunk(t *testing.T) {
	path, want := dictFixture(t)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, VersionSealed, b[2])
	_, blocks := sealedLayout(t, path)
	require.Greater(t, len(blocks), 3)

	// The dictionary section, as doc.go lays it out: the first block's
	// text (up to DictBytes), stored as one zstd frame.
	le := binary.LittleEndian
	stored, decoded, sum := le.Uint32(b[HeaderSize:]), le.Uint32(b[HeaderSize+4:]), le.Uint32(b[HeaderSize+8:])
	require.Equal(t, min(blocks[0].ulen, DictBytes), decoded)
	frame := b[HeaderSize+DictSectionSize:][:stored]
	require.Equal(t, crc(frame), sum)
	require.Equal(t, uint64(HeaderSize+DictSectionSize+stored), blocks[0].off)
	dec, err := zstd.NewReader(nil)
	require.NoError(t, err)
	defer dec.Close()
	dict, err := dec.DecodeAll(frame, nil)
	require.NoError(t, err)
	var text []byte
	for _, rec := range want {
		text = append(text, rec.Raw...)
	}
	require.Equal(t, text[:decoded], dict)

	// Text frames name the dictionary: without it they do not decode.
	e := blocks[1]
	_, err = dec.DecodeAll(b[e.off+uint64(e.metaCLen):e.off+uint64(e.clen)], nil)
	require.ErrorIs(t, err, zstd.ErrUnknownDictionary)
	withDict, err := zstd.NewReader(nil, zstd.WithDecoderDictRaw(dictID(dict), dict))
	require.NoError(t, err)
	defer withDict.Close()
	got, err := withDict.DecodeAll(b[e.off+uint64(e.metaCLen):e.off+uint64(e.clen)], nil)
	require.NoError(t, err)
	require.Len(t, got, int(e.ulen))

	recs, err := readAllSealed(path)
	require.NoError(t, err)
	require.Equal(t, want, recs)
	var st VerifyStats
	var probs []Problem
	VerifySealed(path, chunk.ChunkID{}, &st, func(p Problem) { probs = append(probs, p) })
	for _, p := range probs {
		require.Contains(t, p.Reason, "chunk ID", "only the ID passed here differs")
	}
	require.Equal(t, uint64(len(want)), st.Records)
}

// TestDictionaryFlippedBytes flips bytes of the dictionary section and,
// sampled, of the rest of a chunk with a dictionary: reading and verify
// report corruption, never panic, never return other records.
func TestDictionaryFlippedBytes(t *testing.T) {
	path, _ := dictFixture(t)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	stored := int(binary.LittleEndian.Uint32(good[HeaderSize:]))
	var offs []int
	for i := range HeaderSize + DictSectionSize + stored {
		if i < HeaderSize+DictSectionSize || i%7 == 0 {
			offs = append(offs, i)
		}
	}
	for i := HeaderSize + DictSectionSize + stored; i < len(good); i += 97 {
		offs = append(offs, i)
	}
	dec, err := newDecoder()
	require.NoError(t, err)
	defer dec.Close()
	for _, i := range offs {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x5a
		require.NoError(t, os.WriteFile(path, bad, 0o644))
		_, err := readAllSealed(path)
		require.ErrorIs(t, err, chunk.ErrCorrupt, "offset %d", i)
		n := 0
		rep := &fileReporter{path: path, report: func(Problem) { n++ }}
		var st VerifyStats
		verifySealedData(rep, bad, chunk.ChunkID{}, dec, &st)
		require.Positive(t, n, "offset %d", i)
	}
}

func TestReadVersion1(t *testing.T) {
	dir, sid, _ := verifyFixture(t)
	path := filepath.Join(dir, SealedDirName, sid.String(), SealedName)
	want, err := readAllSealed(path)
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, toV1(t, b), 0o644))
	got, err := readAllSealed(path)
	require.NoError(t, err)
	require.Equal(t, want, got)
	meta, err := readSealedMeta(path)
	require.NoError(t, err)
	require.Equal(t, uint64(len(want)), meta.Records)
	_, probs := runVerify(t, dir)
	require.Empty(t, probs)
}
