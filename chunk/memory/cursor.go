package memory

import (
	"fmt"
	"io"

	"glarc/chunk"
)

// Cursor walks one chunk of a Manager in time order. It reads an immutable
// snapshot, so it needs no lock, but one cursor is not safe for concurrent
// use by several goroutines.
type Cursor struct {
	id   chunk.ChunkID
	recs []chunk.Record
	// order maps a time-order position to an index in recs; nil when recs
	// is already in time order.
	order  []int
	pos    uint64
	closed bool
}

var _ chunk.RecordCursor = (*Cursor)(nil)

// Len is the number of records the cursor sees.
func (c *Cursor) Len() uint64 { return uint64(len(c.recs)) }

func (c *Cursor) at(pos uint64) (chunk.Record, chunk.RecordRef) {
	i := int(pos)
	if c.order != nil {
		i = c.order[i]
	}
	return c.recs[i], chunk.RecordRef{Chunk: c.id, Pos: pos}
}

// Next returns the record after the position and moves past it, or io.EOF
// at the end.
func (c *Cursor) Next() (chunk.Record, chunk.RecordRef, error) {
	if c.closed {
		return chunk.Record{}, chunk.RecordRef{}, chunk.ErrClosed
	}
	if c.pos >= c.Len() {
		return chunk.Record{}, chunk.RecordRef{}, io.EOF
	}
	rec, ref := c.at(c.pos)
	c.pos++
	return rec, ref, nil
}

// Prev returns the record before the position and moves before it, or
// io.EOF at the start.
func (c *Cursor) Prev() (chunk.Record, chunk.RecordRef, error) {
	if c.closed {
		return chunk.Record{}, chunk.RecordRef{}, chunk.ErrClosed
	}
	if c.pos == 0 {
		return chunk.Record{}, chunk.RecordRef{}, io.EOF
	}
	c.pos--
	rec, ref := c.at(c.pos)
	return rec, ref, nil
}

// Seek moves the position to pos, 0..Len().
func (c *Cursor) Seek(pos uint64) error {
	if c.closed {
		return chunk.ErrClosed
	}
	if pos > c.Len() {
		return fmt.Errorf("seek %d in chunk %s of %d records: %w", pos, c.id, c.Len(), chunk.ErrPositionOutOfRange)
	}
	c.pos = pos
	return nil
}

// Close releases the cursor. Later calls return chunk.ErrClosed; closing
// twice is not an error.
func (c *Cursor) Close() error {
	c.closed = true
	c.recs, c.order = nil, nil
	return nil
}
