package file

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"

	"glarc/chunk"
)

// File header: every file glarc writes starts with these 4 bytes.
const (
	HeaderSize = 4
	// HeaderMagic is the first byte of every glarc file.
	HeaderMagic byte = 'i'
	// FlagComplete (bit 0 of the flags byte) marks a sealed or complete file.
	FlagComplete byte = 1 << 0
)

// File types (the second header byte). Stored on disk: never renumber.
const (
	TypeRaw    byte = 'r' // active raw.log
	TypeIdx    byte = 'i' // active idx.log
	TypeAttr   byte = 'a' // active attr.log
	TypeSealed byte = 'd' // sealed chunk.dat
)

// Format versions (the third header byte).
const (
	VersionActive byte = 1
	// VersionSealed is what seals write: chunk.dat with a dictionary
	// section after the header.
	VersionSealed byte = 2
	// VersionSealedV1 chunks (no dictionary section, blocks right after
	// the header) are still read.
	VersionSealedV1 byte = 1
)

// File names inside a chunk directory.
const (
	RawLogName  = "raw.log"
	IdxLogName  = "idx.log"
	AttrLogName = "attr.log"
	SealedName  = "chunk.dat"
)

// Active idx.log entry layout (IdxEntrySize bytes, little-endian).
const (
	IdxEntrySize   = 56
	idxOffRaw      = 0  // u64 offset of Raw in raw.log
	idxOffAttr     = 8  // u64 offset of the attribute encoding in attr.log
	idxOffRawLen   = 16 // u32 length of Raw
	idxOffAttrLen  = 20 // u32 length of the attribute encoding
	idxOffSource   = 24 // i64 SourceTS, Unix ns (0 = unknown)
	idxOffIngest   = 32 // i64 IngestTS, Unix ns
	idxOffWrite    = 40 // i64 WriteTS, Unix ns
	idxOffCRC      = 48 // u32 CRC-32C of bytes [0,48) ++ Raw ++ attribute bytes
	idxOffReserved = 52 // u32 zero
)

// Sealed chunk.dat layout constants.
const (
	// TrailerSize is the fixed trailer at the end of chunk.dat.
	TrailerSize = 64
	// BlockEntrySize is one entry of the block index.
	BlockEntrySize = 48
	// DefaultBlockBytes is the raw text a block collects before it is
	// compressed. A query reading one record decodes one block: 256 KiB
	// without a dictionary decodes at about 1.5 GB/s (a core of the
	// benchmark VM), 2.4 times as fast as with one (zstd's slower path);
	// the text frames are about 6% larger than with the dictionary
	// (Options.Dictionary) and 3% larger than 512 KiB blocks without.
	DefaultBlockBytes = 256 << 10
	// DictSectionSize is the fixed part of the dictionary section (v2):
	// u32 stored length, u32 decoded length, u32 CRC-32C of the stored
	// bytes.
	DictSectionSize = 12
	// DictBytes is the most a chunk's text dictionary holds: the first
	// DictBytes of the chunk's raw text in time order.
	DictBytes = 128 << 10
	// dictMinText is the raw text the first block must hold for the chunk
	// to get a dictionary: a smaller chunk gains nothing from one.
	dictMinText = 64 << 10
	// maxDictBytes bounds a decoded dictionary.
	maxDictBytes = 1 << 20
	// DefaultMaxChunkBytes is the raw text an active chunk takes before it
	// is rotated and sealed.
	DefaultMaxChunkBytes = 64 << 20
	// maxBlockPayload bounds a decoded block (one record may be large).
	maxBlockPayload = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

func header(typ, version, flags byte) [HeaderSize]byte {
	return [HeaderSize]byte{HeaderMagic, typ, version, flags}
}

func checkHeader(b []byte, typ, version byte, path string) error {
	return checkHeaderVersions(b, typ, path, version)
}

// checkHeaderVersions checks a header that may hold any of versions.
func checkHeaderVersions(b []byte, typ byte, path string, versions ...byte) error {
	if len(b) < HeaderSize {
		return &CorruptError{Path: path, Section: "header", Offset: 0, Reason: fmt.Sprintf("file is %d bytes, shorter than the header", len(b))}
	}
	if b[0] != HeaderMagic || b[1] != typ {
		return &CorruptError{Path: path, Section: "header", Offset: 0, Reason: fmt.Sprintf("bad magic %q, want %q", b[:2], []byte{HeaderMagic, typ})}
	}
	if !slices.Contains(versions, b[2]) {
		return &CorruptError{Path: path, Section: "header", Offset: 2, Reason: fmt.Sprintf("unsupported version %d, want one of %v", b[2], versions)}
	}
	return nil
}

// checkSealedHeader checks a chunk.dat header of either version.
func checkSealedHeader(b []byte, path string) error {
	return checkHeaderVersions(b, TypeSealed, path, VersionSealed, VersionSealedV1)
}

// dictSection checks the dictionary section of a sealed chunk whose
// block index starts at indexOff; data holds the file from its start, at
// least through the section: it returns the stored
// dictionary (nil if the chunk has none), its decoded length and the
// offset of the first block. A version 1 chunk has no dictionary section.
// The dictionary is decoded by decodeDict when a text frame needs it.
func dictSection(data []byte, indexOff uint64, path string) (stored []byte, decodedLen uint32, blocksOff uint64, err error) {
	if data[2] == VersionSealedV1 {
		return nil, 0, HeaderSize, nil
	}
	const off = HeaderSize + DictSectionSize
	fail := func(format string, args ...any) ([]byte, uint32, uint64, error) {
		return nil, 0, 0, &CorruptError{Path: path, Section: "dictionary", Offset: HeaderSize, Reason: fmt.Sprintf(format, args...)}
	}
	if indexOff < off || uint64(len(data)) < off {
		return fail("no room for the dictionary section before the block index at %d", indexOff)
	}
	le := binary.LittleEndian
	n, dn, sum := le.Uint32(data[HeaderSize:]), le.Uint32(data[HeaderSize+4:]), le.Uint32(data[HeaderSize+8:])
	if uint64(n) > indexOff-off || off+uint64(n) > uint64(len(data)) {
		return fail("dictionary of %d bytes does not fit before the block index at %d", n, indexOff)
	}
	stored = data[off : off+uint64(n) : off+uint64(n)]
	if got := crc(stored); got != sum {
		return fail("checksum %08x, stored %08x", got, sum)
	}
	if n == 0 || dn == 0 {
		if n != dn {
			return fail("stored length %d, decoded length %d", n, dn)
		}
		return nil, 0, off, nil
	}
	if dn > maxDictBytes {
		return fail("decoded length %d exceeds the limit %d", dn, maxDictBytes)
	}
	return stored, dn, off + uint64(n), nil
}

// decodeDict decodes a dictionary checked by dictSection.
func decodeDict(dec *zstd.Decoder, stored []byte, decodedLen uint32, buf []byte) ([]byte, error) {
	if uint32(cap(buf)) < decodedLen {
		buf = make([]byte, 0, decodedLen)
	}
	dict, err := dec.DecodeAll(stored, buf[:0])
	if err == nil && len(dict) != int(decodedLen) {
		err = fmt.Errorf("decoded to %d bytes, section says %d", len(dict), decodedLen)
	}
	return dict, err
}

// dictID is the zstd dictionary ID of a chunk's text frames: the
// dictionary's CRC-32C (1 if that is 0), so a frame decoded with another
// chunk's dictionary fails instead of decoding to other text.
func dictID(dict []byte) uint32 { return max(crc(dict), 1) }

// CorruptError says where stored data failed a check. It matches
// chunk.ErrCorrupt with errors.Is.
type CorruptError struct {
	Path    string
	Section string
	Offset  int64
	Reason  string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s: %s at offset %d: %s: %v", e.Path, e.Section, e.Offset, e.Reason, chunk.ErrCorrupt)
}

func (e *CorruptError) Unwrap() error { return chunk.ErrCorrupt }

// Times are stored as Unix nanoseconds; 0 means the zero time.Time.
func encTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func decTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// recordTime is Record.Time in Unix ns for the stored pair.
func recordTime(source, ingest int64) int64 {
	if source != 0 {
		return source
	}
	return ingest
}

type idxEntry struct {
	rawOff, attrOff   uint64
	rawLen, attrLen   uint32
	src, ingest, wrte int64
	sum               uint32
}

func (e *idxEntry) time() int64 { return recordTime(e.src, e.ingest) }

func (e *idxEntry) put(b []byte) {
	le := binary.LittleEndian
	le.PutUint64(b[idxOffRaw:], e.rawOff)
	le.PutUint64(b[idxOffAttr:], e.attrOff)
	le.PutUint32(b[idxOffRawLen:], e.rawLen)
	le.PutUint32(b[idxOffAttrLen:], e.attrLen)
	le.PutUint64(b[idxOffSource:], uint64(e.src))
	le.PutUint64(b[idxOffIngest:], uint64(e.ingest))
	le.PutUint64(b[idxOffWrite:], uint64(e.wrte))
	le.PutUint32(b[idxOffCRC:], e.sum)
	le.PutUint32(b[idxOffReserved:], 0)
}

func getIdxEntry(b []byte) idxEntry {
	le := binary.LittleEndian
	return idxEntry{
		rawOff:  le.Uint64(b[idxOffRaw:]),
		attrOff: le.Uint64(b[idxOffAttr:]),
		rawLen:  le.Uint32(b[idxOffRawLen:]),
		attrLen: le.Uint32(b[idxOffAttrLen:]),
		src:     int64(le.Uint64(b[idxOffSource:])),
		ingest:  int64(le.Uint64(b[idxOffIngest:])),
		wrte:    int64(le.Uint64(b[idxOffWrite:])),
		sum:     le.Uint32(b[idxOffCRC:]),
	}
}

// entrySum is the CRC stored in an idx.log entry.
func entrySum(entry []byte, raw, attrs []byte) uint32 {
	s := crc32.Update(0, castagnoli, entry[:idxOffCRC])
	s = crc32.Update(s, castagnoli, raw)
	return crc32.Update(s, castagnoli, attrs)
}

// Trailer field offsets (sealed chunk.dat).
const (
	trOffID         = 0  // [8] ChunkID
	trOffRecords    = 8  // u64
	trOffMinTS      = 16 // i64 Unix ns
	trOffMaxTS      = 24 // i64 Unix ns
	trOffRawBytes   = 32 // u64
	trOffIndexOff   = 40 // u64 offset of the block index
	trOffBlocks     = 48 // u32 number of blocks
	trOffIndexCRC   = 52 // u32 CRC-32C of the block index
	trOffReserved   = 56 // u32 zero
	trOffTrailerCRC = 60 // u32 CRC-32C of trailer bytes [0,60)
)

type trailer struct {
	id           chunk.ChunkID
	records      uint64
	minTS, maxTS int64
	rawBytes     uint64
	indexOff     uint64
	blocks       uint32
	indexCRC     uint32
}

func (t *trailer) put(b []byte) {
	le := binary.LittleEndian
	copy(b[trOffID:], t.id[:])
	le.PutUint64(b[trOffRecords:], t.records)
	le.PutUint64(b[trOffMinTS:], uint64(t.minTS))
	le.PutUint64(b[trOffMaxTS:], uint64(t.maxTS))
	le.PutUint64(b[trOffRawBytes:], t.rawBytes)
	le.PutUint64(b[trOffIndexOff:], t.indexOff)
	le.PutUint32(b[trOffBlocks:], t.blocks)
	le.PutUint32(b[trOffIndexCRC:], t.indexCRC)
	le.PutUint32(b[trOffReserved:], 0)
	le.PutUint32(b[trOffTrailerCRC:], crc(b[:trOffTrailerCRC]))
}

func getTrailer(b []byte, path string, off int64) (trailer, error) {
	le := binary.LittleEndian
	if got, want := crc(b[:trOffTrailerCRC]), le.Uint32(b[trOffTrailerCRC:]); got != want {
		return trailer{}, &CorruptError{Path: path, Section: "trailer", Offset: off, Reason: fmt.Sprintf("checksum %08x, stored %08x", got, want)}
	}
	var t trailer
	copy(t.id[:], b[trOffID:])
	t.records = le.Uint64(b[trOffRecords:])
	t.minTS = int64(le.Uint64(b[trOffMinTS:]))
	t.maxTS = int64(le.Uint64(b[trOffMaxTS:]))
	t.rawBytes = le.Uint64(b[trOffRawBytes:])
	t.indexOff = le.Uint64(b[trOffIndexOff:])
	t.blocks = le.Uint32(b[trOffBlocks:])
	t.indexCRC = le.Uint32(b[trOffIndexCRC:])
	return t, nil
}

// Block index entry field offsets.
const (
	beOffOffset   = 0  // u64 offset of the block (meta frame, then text frame) in chunk.dat
	beOffCLen     = 8  // u32 length of both frames
	beOffULen     = 12 // u32 decoded length of the text frame
	beOffRecords  = 16 // u32 records in the block
	beOffCRC      = 20 // u32 CRC-32C of both frames
	beOffMinTS    = 24 // i64 Unix ns
	beOffMaxTS    = 32 // i64 Unix ns
	beOffMetaCLen = 40 // u32 length of the meta frame
	beOffMetaULen = 44 // u32 decoded length of the meta frame
)

type blockEntry struct {
	off                uint64
	clen, ulen         uint32
	records            uint32
	sum                uint32
	minTS, maxTS       int64
	metaCLen, metaULen uint32
}

func (e *blockEntry) put(b []byte) {
	le := binary.LittleEndian
	le.PutUint64(b[beOffOffset:], e.off)
	le.PutUint32(b[beOffCLen:], e.clen)
	le.PutUint32(b[beOffULen:], e.ulen)
	le.PutUint32(b[beOffRecords:], e.records)
	le.PutUint32(b[beOffCRC:], e.sum)
	le.PutUint64(b[beOffMinTS:], uint64(e.minTS))
	le.PutUint64(b[beOffMaxTS:], uint64(e.maxTS))
	le.PutUint32(b[beOffMetaCLen:], e.metaCLen)
	le.PutUint32(b[beOffMetaULen:], e.metaULen)
}

func getBlockEntry(b []byte) blockEntry {
	le := binary.LittleEndian
	return blockEntry{
		off:      le.Uint64(b[beOffOffset:]),
		clen:     le.Uint32(b[beOffCLen:]),
		ulen:     le.Uint32(b[beOffULen:]),
		records:  le.Uint32(b[beOffRecords:]),
		sum:      le.Uint32(b[beOffCRC:]),
		minTS:    int64(le.Uint64(b[beOffMinTS:])),
		maxTS:    int64(le.Uint64(b[beOffMaxTS:])),
		metaCLen: le.Uint32(b[beOffMetaCLen:]),
		metaULen: le.Uint32(b[beOffMetaULen:]),
	}
}
