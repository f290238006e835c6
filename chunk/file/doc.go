// Package file stores chunks on local disk: an append-only active chunk that
// survives crashes, and sealed chunks that are sorted, compressed, checksummed
// and read with pread, a block at a time, into reused memory.
//
//	m, err := file.Open("./data", file.Options{Owner: "glarc import"})
//	ref, err := m.Append(chunk.Record{SourceTS: ts, IngestTS: now, Raw: line})
//	err = m.Seal()                    // seal the active chunk now
//	cur, err := m.OpenCursor(ref.Chunk)
//	defer cur.Close()
//	for rec, err := range chunk.Records(cur, false) { ... }
//
// # Data directory
//
//	DIR/LOCK                 writer lock (flock); holds "pid N on HOST: OWNER, since TIME"
//	DIR/active/<id>/         active chunks: raw.log, idx.log, attr.log
//	DIR/chunks/<id>/         sealed chunks: chunk.dat, plus index files
//	DIR/active/<id>.tmp/     an active chunk being created (renamed once its headers are written)
//	DIR/chunks/<id>.tmp/     a seal in progress; both .tmp kinds are removed by the next writer
//
// <id> is the chunk's 13-character base32hex ChunkID. One process at a time
// writes (it holds LOCK); readers take no lock. A chunk listed in both
// active/ and chunks/ was sealed just before a crash: the sealed copy wins and
// the next writer removes the active one.
//
// Every file starts with the 4-byte header
//
//	+------+------+---------+-------+
//	| 'i'  | type | version | flags |   flags bit 0: sealed / complete
//	+------+------+---------+-------+
//
// with type 'r' raw.log, 'i' idx.log, 'a' attr.log, 'd' chunk.dat. All
// integers are little-endian; times are Unix nanoseconds, 0 for "unknown";
// checksums are CRC-32C (Castagnoli).
//
// # Active chunk
//
//	raw.log   header ('i','r',1,0) | Raw bytes of each record, back to back
//	attr.log  header ('i','a',1,0) | attribute sets (chunk.Attributes encoding);
//	                                 records with recently seen sets share one copy
//	idx.log   header ('i','i',1,0) | one 56-byte entry per record:
//
//	 0  u64 raw offset      offset of Raw in raw.log (entries are contiguous)
//	 8  u64 attr offset     offset of the attribute set in attr.log
//	16  u32 raw length
//	20  u32 attr length
//	24  i64 SourceTS
//	32  i64 IngestTS
//	40  i64 WriteTS
//	48  u32 CRC-32C of entry bytes [0,48), then Raw, then the attribute bytes
//	52  u32 reserved, zero
//
// A writer buffers and writes raw.log and attr.log before idx.log: the idx.log
// entry is the commit point. Readers stop at the first entry that is partial
// or points past the data files; a reopening writer also verifies every
// checksum and truncates all three files to the last good record, so no
// half-written record is ever returned.
//
// # Sealed chunk (chunk.dat)
//
//	+--------------------+  0
//	| header 'i' 'd' 2 1 |
//	+--------------------+  4
//	| dictionary section |  12 bytes, then the dictionary (one zstd frame)
//	+--------------------+
//	| block 0            |  meta frame, text frame (two zstd frames)
//	| block 1 ...        |
//	+--------------------+  index offset
//	| block index        |  one 48-byte entry per block
//	+--------------------+  size-64
//	| trailer            |  64 bytes
//	+--------------------+
//
// Dictionary section (12 bytes, then S bytes):
//
//	 0  u32 S, stored length of the dictionary (0: the chunk has none)
//	 4  u32 D, decoded length of the dictionary (0 when S is 0)
//	 8  u32 CRC-32C of the S stored bytes
//	12  S bytes: the dictionary, compressed as one zstd frame (default
//	    level, no dictionary, no content checksum)
//
// Writers give a chunk a dictionary only when asked (Options.Dictionary;
// glarc does not: text frames with one decode 2.4 times slower); the
// section is then S = D = 0. The dictionary is the chunk's first D bytes
// of raw text in time order (the start of block 0's text), D =
// min(DictBytes = 128 KiB, block 0's text); a chunk whose first block
// holds less than 64 KiB of text gets none (S = D = 0). It is a zstd raw-content dictionary (no entropy
// tables; repeat offsets 1, 4, 8): every text frame of the chunk starts
// with it as history, and names it by its dictionary ID, the CRC-32C of
// the D decoded bytes (1 if that is 0), so a frame decoded without it, or
// with another chunk's, fails. Meta frames use no dictionary.
// (Measured on generated syslog: 256 KiB blocks with the dictionary
// compress the text slightly better than 1 MiB blocks without one;
// without it they lose 5-6%.) The chunk is written as it is sealed: the
// dictionary is taken from the first block when that block is complete,
// before any block is compressed.
//
// Version 1 chunk.dat files (header 'i' 'd' 1 1) have no dictionary
// section: block 0 starts at offset 4 and no frame uses a dictionary.
// They are still read and verified.
//
// Block index entry (48 bytes):
//
//	 0  u64 offset of the block
//	 8  u32 length of the block (both frames)
//	12  u32 decoded length of the text frame
//	16  u32 records in the block
//	20  u32 CRC-32C of the block (both frames)
//	24  i64 smallest record time in the block
//	32  i64 largest record time in the block
//	40  u32 length of the meta frame (the text frame follows it)
//	44  u32 decoded length of the meta frame
//
// Trailer (64 bytes):
//
//	 0  [8] ChunkID
//	 8  u64 records
//	16  i64 smallest record time (SourceTS, or IngestTS where unknown)
//	24  i64 largest record time
//	32  u64 raw bytes (total length of Raw)
//	40  u64 offset of the block index
//	48  u32 blocks
//	52  u32 CRC-32C of the block index
//	56  u32 reserved, zero
//	60  u32 CRC-32C of trailer bytes [0,60)
//
// Records are in time order (ties keep append order); a record's position
// in that order is its RecordRef.Pos. A block collects records until about
// BlockBytes (256 KiB) of raw text, so reading one record decodes at most one
// block. A block is two zstd frames, both at the default level and without
// zstd's content checksum (the block index has a CRC-32C): the meta frame
// (small) and the text frame (the Raw bytes, compressed with the chunk's
// dictionary if it has one).
// Decoded, the meta frame is
//
//	uvarint n                   records
//	u8 unit, n × varint         SourceTS: zig-zag deltas from the previous record (first
//	                            from 0) in the unit: 0 ns, 1 µs, 2 ms, 3 s (the coarsest
//	                            that divides every delta)
//	u8 unit, n × varint         IngestTS, likewise
//	u8 unit, n × varint         WriteTS, likewise
//	uvarint k                   attribute keys used in the block, in byte order
//	k × column                  uvarint len, key; uvarint d distinct values (first-use
//	                            order), each uvarint len, value; then n × uvarint: the
//	                            record's value number + 1, or 0 when it lacks the key
//	n × uvarint                 length of each Raw
//
// and the text frame is the Raw bytes of the n records, back to back.
//
// Metadata (time range, records, raw and stored bytes) comes from the
// trailer alone. Opening checks the header, the trailer and block index
// checksums, the dictionary section's checksum and lengths, and that the
// blocks tile the file after it; each block's checksum is
// checked before it is decompressed. Any failure is a *CorruptError naming
// the file, section and offset, matching chunk.ErrCorrupt.
//
// Sealing writes chunks/<id>.tmp/chunk.dat, fsyncs it and the directory,
// renames the directory to chunks/<id>, fsyncs chunks/, then removes the
// active copy.
//
// # Bulk writing
//
// A BulkWriter (Manager.Bulk, used by import) writes no active chunk: it
// keeps one chunk's records in memory (the raw text in the pages the
// caller parsed it into, kept rather than copied; attribute sets shared as
// in attr.log; a 48-byte entry per record) and, when the chunk is full
// (MaxChunkBytes of text, as much page memory, or one entry per 128 bytes
// of MaxChunkBytes), seals it exactly as above, from memory. While a chunk's
// records come in time order (the usual case for a log file) its blocks
// are built and compressed as it fills, into chunks/<id>.tmp/chunk.dat,
// and sealing only finishes the file; a record out of order drops that
// file, and the chunk is sealed from memory at the end. Its records are
// durable only once the chunk is sealed; the caller's commit
// (BulkOptions.BeforeSeal) runs after that, so a crash before it leaves a
// sealed chunk that the caller's bookkeeping does not cover, which it
// removes with Options.Rollback.
package file
