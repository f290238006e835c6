// Package chunk defines the unit of storage in a glarc archive: records,
// their attributes, chunk identifiers and metadata, and the Manager and
// RecordCursor interfaces that the file-backed (chunk/file) and in-memory
// (chunk/memory) implementations share.
//
// A chunk is a bounded run of records. New records are appended to the one
// active chunk; when it reaches its size limit it is sealed: its records are
// sorted by time, compressed and checksummed, and it never changes again.
//
//	m, _ := file.Open(dir, file.Options{})
//	ref, _ := m.Append(chunk.Record{SourceTS: ts, Raw: line})
//	cur, _ := m.OpenCursor(ref.Chunk)
//	for rec, ref, err := cur.Next(); err == nil; rec, ref, err = cur.Next() { ... }
//
// Cursors walk a chunk in record time order (Record.Time, ties in append
// order), in both directions, on sealed and active chunks alike. A cursor on
// an active chunk sees the records committed when it was opened.
package chunk

import (
	"errors"
	"io"
	"iter"
	"time"
)

// Sentinel errors shared by every Manager implementation.
var (
	// ErrCorrupt marks data that failed a checksum or a structural check.
	// Test for it with errors.Is; the wrapping error names the file and offset.
	ErrCorrupt = errors.New("corrupt chunk data")
	// ErrChunkNotFound means no chunk with the given ID exists.
	ErrChunkNotFound = errors.New("chunk not found")
	// ErrNoActiveChunk means there is nothing to seal.
	ErrNoActiveChunk = errors.New("no active chunk")
	// ErrClosed means the manager or cursor was already closed.
	ErrClosed = errors.New("closed")
	// ErrReadOnly means a write was attempted on a read-only manager.
	ErrReadOnly = errors.New("manager is read-only")
	// ErrPositionOutOfRange means Seek was given a position past the end.
	ErrPositionOutOfRange = errors.New("position out of range")
)

// Record is one log line with its times and attributes.
type Record struct {
	// SourceTS is the time written by the source; zero if unknown.
	SourceTS time.Time
	// IngestTS is when glarc read the record.
	IngestTS time.Time
	// WriteTS is when the record was appended to a chunk.
	WriteTS time.Time
	// Attrs holds host, app, file, labels, ...
	Attrs Attributes
	// Raw is the original line, byte for byte, without its line terminator.
	Raw []byte
}

// Time is the record's position on the time axis: SourceTS, or IngestTS
// where the source time is unknown.
func (r *Record) Time() time.Time {
	if !r.SourceTS.IsZero() {
		return r.SourceTS
	}
	return r.IngestTS
}

// RecordRef names one record: the chunk and the record's position in the
// chunk's time order (0-based).
type RecordRef struct {
	Chunk ChunkID
	Pos   uint64
}

// ChunkMeta describes a chunk without reading its records.
type ChunkMeta struct {
	ID     ChunkID
	Sealed bool
	// MinTS and MaxTS bound Record.Time of every record in the chunk.
	// Both are zero for an empty chunk.
	MinTS, MaxTS time.Time
	Records      uint64
	// RawBytes is the total length of Raw over all records.
	RawBytes uint64
	// StoredBytes is what the chunk's record data occupies on disk (or in
	// memory), indexes excluded.
	StoredBytes uint64
	// Blocks is the number of compressed blocks (sealed chunks only).
	Blocks int
}

// Overlaps reports whether the chunk may hold records in [since, until].
// A zero since or until leaves that side open.
func (m ChunkMeta) Overlaps(since, until time.Time) bool {
	if m.Records == 0 {
		return false
	}
	if !since.IsZero() && m.MaxTS.Before(since) {
		return false
	}
	if !until.IsZero() && m.MinTS.After(until) {
		return false
	}
	return true
}

// Manager owns a set of chunks: one active chunk that takes appends, and
// sealed chunks that never change.
type Manager interface {
	// Append adds a record to the active chunk, creating or rotating it as
	// needed. The returned ref's Pos is the append position within the active
	// chunk; positions in time order are fixed when the chunk is sealed.
	Append(rec Record) (RecordRef, error)
	// Seal seals the active chunk now. ErrNoActiveChunk if there is none.
	Seal() error
	// Active returns the active chunk's metadata, if there is one.
	Active() (ChunkMeta, bool)
	// Meta returns one chunk's metadata.
	Meta(id ChunkID) (ChunkMeta, error)
	// List returns every chunk, ordered by ID.
	List() ([]ChunkMeta, error)
	// OpenCursor opens a cursor positioned before the chunk's first record.
	OpenCursor(id ChunkID) (RecordCursor, error)
	// Close flushes and releases everything. The manager is unusable after.
	Close() error
}

// RecordCursor walks a chunk's records in time order. Its position lies
// between records: 0 is before the first, Len() after the last.
type RecordCursor interface {
	// Next returns the record after the position and moves past it, or
	// io.EOF at the end.
	Next() (Record, RecordRef, error)
	// Prev returns the record before the position and moves before it, or
	// io.EOF at the start.
	Prev() (Record, RecordRef, error)
	// Seek moves the position to pos (0..Len()).
	Seek(pos uint64) error
	// Len is the number of records the cursor sees.
	Len() uint64
	// Close releases the cursor.
	Close() error
}

// Records iterates a cursor from its current position forward (or backward
// when reverse is set) until the end or the first error. It does not close
// the cursor.
func Records(c RecordCursor, reverse bool) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		step := c.Next
		if reverse {
			step = c.Prev
		}
		for {
			rec, _, err := step()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Record{}, err)
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// BlockLayout is implemented by cursors over chunks stored in independently
// decodable blocks (sealed file chunks). Indexes use it to keep per-block
// filters, and readers to decode only the blocks that hold candidates.
type BlockLayout interface {
	// BlockStarts returns the position of the first record of each block,
	// ascending, starting with 0. Block i holds positions
	// [BlockStarts()[i], BlockStarts()[i+1]) and the last block runs to Len().
	BlockStarts() []uint64
}

// BufferReuser is implemented by cursors that can decode the next block
// into the memory of the previous one, for scans that drop each record
// before reading on (counting). With reuse on, a record's Raw and Attrs
// are valid only until the cursor moves to another block or is closed
// (its memory may then serve another cursor of the same manager).
type BufferReuser interface {
	ReuseBuffers(reuse bool)
}

// BlockTexter is implemented by cursors over blocks (BlockLayout) that can
// hand over the text of a whole decoded block, so that a scan can search
// it at once and read only the records holding a match.
type BlockTexter interface {
	// BlockText returns the block holding pos: text holds the Raw of its
	// records back to back, first is the position of its first record,
	// and record first+i is text[offs[i]:offs[i+1]] (len(offs) is the
	// block's record count plus one). The slices are read-only and valid
	// while the cursor stays on the block (see BufferReuser).
	BlockText(pos uint64) (text []byte, first uint64, offs []uint32, err error)
}

// BlockAttrs is implemented by cursors over blocks (BlockLayout) that can
// hand over the attributes of a whole decoded block as columns, without
// building an Attributes map per record.
type BlockAttrs interface {
	// EachBlockAttr calls fn for every attribute of every record of the
	// block holding pos: record by record in position order and, within
	// a record, column by column. i is the record's index in the block
	// (position first+i), col the attribute's column (a block's column
	// holds one key, given as stored, for all its records), and value is
	// read-only and valid only during the call. A record gets exactly the
	// keys and values AttrsAt would return for it; one without attributes
	// gets no call. It returns the block's first position and its record
	// count.
	EachBlockAttr(pos uint64, fn func(i, col int, key string, value []byte)) (first uint64, n int, err error)
}

// AttrSkipper is implemented by cursors that can leave attributes out of
// the records they return, for scans that look only at Raw and times, and
// fill them in for the records that are kept.
type AttrSkipper interface {
	// SkipAttrs makes Next and Prev return records with nil Attrs (skip
	// true) or with their attributes (false, the default).
	SkipAttrs(skip bool)
	// AttrsAt returns the attributes of the record at pos.
	AttrsAt(pos uint64) (Attributes, error)
}
