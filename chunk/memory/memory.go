// Package memory is an in-memory chunk.Manager: the same behaviour as the
// file-backed manager (rotation, sealing, time-ordered cursors), with no
// files. Higher layers use it in tests as a real implementation, not a mock.
//
//	m := memory.New(memory.Options{MaxChunkBytes: 1 << 20})
//	ref, _ := m.Append(chunk.Record{SourceTS: ts, Raw: []byte("line")})
//	cur, _ := m.OpenCursor(ref.Chunk)
//	defer cur.Close()
//	for rec, err := range chunk.Records(cur, false) { ... }
//
// Append copies the record's Raw and Attrs, so the caller may reuse its
// buffers. Records returned by cursors share Raw and Attrs with the manager:
// read them, do not modify them (clone what you want to change).
//
// The active chunk is sealed when its raw bytes reach Options.MaxChunkBytes
// (so a chunk exceeds the limit by at most its last record), or by Seal.
// Sealing sorts the records by Record.Time, ties in append order; a cursor
// on the active chunk sees a time-sorted snapshot taken when it was opened.
package memory

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"time"

	"glarc/chunk"
)

// DefaultMaxChunkBytes is the rotation limit used when
// Options.MaxChunkBytes is zero or negative.
const DefaultMaxChunkBytes = 64 << 20

// Options configure a Manager. The zero value is usable.
type Options struct {
	// MaxChunkBytes seals the active chunk once the total length of its
	// records' Raw reaches it. Default DefaultMaxChunkBytes.
	MaxChunkBytes int64
	// Now gives WriteTS and chunk IDs. Default time.Now.
	Now func() time.Time
}

// Manager is an in-memory chunk.Manager. It is safe for concurrent use.
type Manager struct {
	maxBytes int64
	now      func() time.Time
	ids      *chunk.IDGenerator

	// mu guards closed, chunks and active, and the mutable fields of the
	// active chunk. A sealed chunk never changes, and the records of the
	// active chunk never change once appended (only the slice grows), so
	// cursors read their snapshot without the lock.
	mu     sync.Mutex
	closed bool
	chunks []*memChunk // ordered by ID: IDs only grow
	active *memChunk   // nil when there is none; else the last of chunks
}

var _ chunk.Manager = (*Manager)(nil)

// memChunk is one chunk. records is in append order while the chunk is
// active, and replaced by a time-sorted copy when it is sealed.
type memChunk struct {
	meta    chunk.ChunkMeta
	records []chunk.Record
}

// New returns an empty manager.
func New(opts Options) *Manager {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxBytes := opts.MaxChunkBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxChunkBytes
	}
	return &Manager{
		maxBytes: maxBytes,
		now:      now,
		ids:      chunk.NewIDGenerator(chunk.ChunkID{}, now),
	}
}

// checkAttrs applies the limits that encoding enforces in the file-backed
// manager, so both accept the same records.
func checkAttrs(a chunk.Attributes) error {
	if len(a) > chunk.MaxAttrs {
		return fmt.Errorf("%d attributes, at most %d", len(a), chunk.MaxAttrs)
	}
	for k, v := range a {
		if len(k) > chunk.MaxAttrLen || len(v) > chunk.MaxAttrLen {
			return fmt.Errorf("attribute %.32q is longer than %d bytes", k, chunk.MaxAttrLen)
		}
	}
	return nil
}

// attrsSize is the in-memory size counted for attributes in StoredBytes:
// the lengths of every key and value.
func attrsSize(a chunk.Attributes) uint64 {
	var n uint64
	for k, v := range a {
		n += uint64(len(k) + len(v))
	}
	return n
}

// Append copies rec (Raw and Attrs), sets its WriteTS and adds it to the
// active chunk, creating one if needed. It seals the chunk when its raw
// bytes reach the limit. The ref's Pos is the append position.
func (m *Manager) Append(rec chunk.Record) (chunk.RecordRef, error) {
	if err := checkAttrs(rec.Attrs); err != nil {
		return chunk.RecordRef{}, fmt.Errorf("append: %w", err)
	}
	rec.Raw = slices.Clip(slices.Clone(rec.Raw))
	if rec.Raw == nil {
		rec.Raw = []byte{}
	}
	rec.Attrs = rec.Attrs.Clone()

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return chunk.RecordRef{}, fmt.Errorf("append: %w", chunk.ErrClosed)
	}
	rec.WriteTS = m.now()
	c := m.active
	if c == nil {
		c = &memChunk{meta: chunk.ChunkMeta{ID: m.ids.Next()}}
		m.chunks = append(m.chunks, c)
		m.active = c
	}
	ref := chunk.RecordRef{Chunk: c.meta.ID, Pos: uint64(len(c.records))}
	c.records = append(c.records, rec)
	c.add(&rec)
	if c.meta.RawBytes >= uint64(m.maxBytes) {
		m.sealLocked()
	}
	return ref, nil
}

// add counts rec in the chunk's metadata.
func (c *memChunk) add(rec *chunk.Record) {
	t := rec.Time()
	if c.meta.Records == 0 || t.Before(c.meta.MinTS) {
		c.meta.MinTS = t
	}
	if c.meta.Records == 0 || t.After(c.meta.MaxTS) {
		c.meta.MaxTS = t
	}
	c.meta.Records++
	c.meta.RawBytes += uint64(len(rec.Raw))
	c.meta.StoredBytes += uint64(len(rec.Raw)) + attrsSize(rec.Attrs)
}

// Seal seals the active chunk. ErrNoActiveChunk if there is none.
func (m *Manager) Seal() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("seal: %w", chunk.ErrClosed)
	}
	if m.active == nil {
		return fmt.Errorf("seal: %w", chunk.ErrNoActiveChunk)
	}
	m.sealLocked()
	return nil
}

// sealLocked seals the active chunk; mu is held. The records are sorted in
// a new slice: cursors on the active chunk may still read the old one.
func (m *Manager) sealLocked() {
	c := m.active
	c.records = sortedByTime(c.records)
	c.meta.Sealed = true
	m.active = nil
}

// byTime orders records by Record.Time.
func byTime(a, b *chunk.Record) int { return a.Time().Compare(b.Time()) }

// sortedByTime returns recs stably sorted by time: recs itself when it is
// already in order, else a sorted copy.
func sortedByTime(recs []chunk.Record) []chunk.Record {
	less := func(a, b chunk.Record) int { return byTime(&a, &b) }
	if slices.IsSortedFunc(recs, less) {
		return slices.Clip(recs)
	}
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, less)
	return sorted
}

// Active returns the active chunk's metadata, if there is one. It is false
// after Close.
func (m *Manager) Active() (chunk.ChunkMeta, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.active == nil {
		return chunk.ChunkMeta{}, false
	}
	return m.active.meta, true
}

// find returns the chunk with the given ID; mu is held.
func (m *Manager) find(id chunk.ChunkID) (*memChunk, error) {
	i, ok := slices.BinarySearchFunc(m.chunks, id, func(c *memChunk, id chunk.ChunkID) int {
		return cmp.Compare(c.meta.ID.Micros(), id.Micros())
	})
	if !ok {
		return nil, fmt.Errorf("chunk %s: %w", id, chunk.ErrChunkNotFound)
	}
	return m.chunks[i], nil
}

// Meta returns one chunk's metadata.
func (m *Manager) Meta(id chunk.ChunkID) (chunk.ChunkMeta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return chunk.ChunkMeta{}, fmt.Errorf("meta: %w", chunk.ErrClosed)
	}
	c, err := m.find(id)
	if err != nil {
		return chunk.ChunkMeta{}, err
	}
	return c.meta, nil
}

// List returns every chunk, sealed and active, ordered by ID.
func (m *Manager) List() ([]chunk.ChunkMeta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("list: %w", chunk.ErrClosed)
	}
	metas := make([]chunk.ChunkMeta, len(m.chunks))
	for i, c := range m.chunks {
		metas[i] = c.meta
	}
	return metas, nil
}

// OpenCursor opens a cursor positioned before the chunk's first record. On
// the active chunk it sees the records appended before it was opened. A
// cursor stays usable after the manager is closed.
func (m *Manager) OpenCursor(id chunk.ChunkID) (chunk.RecordCursor, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("open cursor: %w", chunk.ErrClosed)
	}
	c, err := m.find(id)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	recs := slices.Clip(c.records) // appends never write into this view
	sealed := c.meta.Sealed
	m.mu.Unlock()

	cur := &Cursor{id: id, recs: recs}
	if !sealed {
		cur.order = timeOrder(recs)
	}
	return cur, nil
}

// timeOrder returns the indexes of recs in stable time order, or nil when
// recs is already in time order.
func timeOrder(recs []chunk.Record) []int {
	sorted := true
	for i := 1; i < len(recs); i++ {
		if byTime(&recs[i-1], &recs[i]) > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return nil
	}
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return byTime(&recs[a], &recs[b]) })
	return order
}

// Close releases the manager. Every later call returns chunk.ErrClosed;
// open cursors keep working. Closing twice is not an error.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.chunks, m.active = nil, nil
	return nil
}
