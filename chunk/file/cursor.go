package file

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"glarc/chunk"
)

// sealedCursor walks a sealed chunk, decoding one block at a time.
type sealedCursor struct {
	walker
	r         *sealedReader
	cur       int // block held in blk, -1 for none
	blk       *decodedBlock
	skipAttrs bool
	// reuse makes load decode into the previous block's memory.
	reuse bool
	// spares, if not nil, lends block memory to a reusing cursor's first
	// load and takes it back at Close; a reusing cursor that finds none
	// decodes into memory from arena (nil: the heap).
	spares *freeList[*decodedBlock]
	arena  *arena
}

// maxSpares bounds the memory a manager keeps for cursors (decoded
// blocks, reader buffers): one per core at work, and then some.
const maxSpares = 8

// freeList is a small free list of reusable memory. Unlike a sync.Pool
// it keeps its items across garbage collections: a query decodes a few
// blocks per chunk, and memory that was handed back to the runtime costs a
// page fault per 4 KiB when the next block is decoded into it. A nil
// freeList keeps nothing.
type freeList[T any] struct {
	mu      sync.Mutex
	free    []T
	drained bool // by the manager's Close: keep nothing more
}

// Get returns a kept item, or the zero T when there is none.
func (s *freeList[T]) Get() T {
	var zero T
	if s == nil {
		return zero
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.free)
	if n == 0 {
		return zero
	}
	d := s.free[n-1]
	s.free[n-1] = zero
	s.free = s.free[:n-1]
	return d
}

// Put keeps d for a later Get, or reports false when enough are kept (or
// s is nil) and drops it.
func (s *freeList[T]) Put(d T) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.free) < maxSpares && !s.drained {
		s.free = append(s.free, d)
		return true
	}
	return false
}

// drain empties the list for good and returns what it kept.
func (s *freeList[T]) drain() []T {
	s.mu.Lock()
	defer s.mu.Unlock()
	free := s.free
	s.free, s.drained = nil, true
	return free
}

func newSealedCursor(r *sealedReader) *sealedCursor {
	c := &sealedCursor{r: r, cur: -1}
	c.walker = walker{id: r.tr.id, n: r.tr.records, at: c.at}
	return c
}

var (
	_ chunk.RecordCursor = (*sealedCursor)(nil)
	_ chunk.BlockLayout  = (*sealedCursor)(nil)
	_ chunk.AttrSkipper  = (*sealedCursor)(nil)
	_ chunk.BufferReuser = (*sealedCursor)(nil)
	_ chunk.BlockTexter  = (*sealedCursor)(nil)
	_ chunk.BlockAttrs   = (*sealedCursor)(nil)
)

func (c *sealedCursor) SkipAttrs(skip bool) { c.skipAttrs = skip }

func (c *sealedCursor) ReuseBuffers(reuse bool) {
	if !reuse && c.blk != nil && c.blk.mem.held {
		// Records read from now on must stay valid, those of the current
		// block too: its arena memory goes back to the manager now, and
		// the block is decoded again into memory of its own.
		c.putSpare(c.blk)
		c.blk, c.cur = nil, -1
	}
	c.reuse = reuse
}

func (c *sealedCursor) AttrsAt(pos uint64) (chunk.Attributes, error) {
	if c.closed {
		return nil, chunk.ErrClosed
	}
	if pos >= c.Len() {
		return nil, fmt.Errorf("attributes of %d in chunk %s of %d records: %w", pos, c.r.tr.id, c.Len(), chunk.ErrPositionOutOfRange)
	}
	b, err := c.load(pos)
	if err != nil {
		return nil, err
	}
	return c.blk.attrs(int(pos - c.r.starts[b])), nil
}

// load makes the block holding pos the current one.
func (c *sealedCursor) load(pos uint64) (int, error) {
	b := c.cur
	if b < 0 || pos < c.r.starts[b] || pos >= c.r.starts[b]+uint64(c.r.blocks[b].records) {
		b = c.r.blockOf(pos)
		var spare *decodedBlock
		old := c.blk
		c.cur, c.blk = -1, nil
		switch {
		case c.reuse:
			spare = old
			if spare == nil {
				spare = c.spares.Get()
			}
			if spare == nil {
				spare = &decodedBlock{mem: arenaUser{a: c.arena}}
			}
		case old != nil && old.mem.held:
			// Reuse was turned off: the block's memory goes back.
			c.putSpare(old)
		}
		d, err := c.r.blockInto(b, spare)
		if err != nil {
			if spare != nil {
				c.putSpare(spare)
			}
			return 0, err
		}
		c.cur, c.blk = b, d
	}
	return b, nil
}

func (c *sealedCursor) BlockStarts() []uint64 { return c.r.starts }

func (c *sealedCursor) BlockText(pos uint64) ([]byte, uint64, []uint32, error) {
	if c.closed {
		return nil, 0, nil, chunk.ErrClosed
	}
	if pos >= c.r.tr.records {
		return nil, 0, nil, fmt.Errorf("block text at %d of %d records: %w", pos, c.r.tr.records, io.EOF)
	}
	b, err := c.load(pos)
	if err != nil {
		return nil, 0, nil, err
	}
	return c.blk.raw, c.r.starts[b], c.blk.rawOff, nil
}

// EachBlockAttr implements chunk.BlockAttrs.
func (c *sealedCursor) EachBlockAttr(pos uint64, fn func(i, col int, key string, value []byte)) (uint64, int, error) {
	if c.closed {
		return 0, 0, chunk.ErrClosed
	}
	if pos >= c.r.tr.records {
		return 0, 0, fmt.Errorf("block attributes at %d of %d records: %w", pos, c.r.tr.records, io.EOF)
	}
	b, err := c.load(pos)
	if err != nil {
		return 0, 0, err
	}
	c.blk.eachAttr(fn)
	return c.r.starts[b], c.blk.len(), nil
}

func (c *sealedCursor) at(pos uint64) (chunk.Record, chunk.RecordRef, error) {
	b, err := c.load(pos)
	if err != nil {
		return chunk.Record{}, chunk.RecordRef{}, err
	}
	ref := chunk.RecordRef{Chunk: c.r.tr.id, Pos: pos}
	if c.skipAttrs {
		return c.blk.recordNoAttrs(int(pos - c.r.starts[b])), ref, nil
	}
	return c.blk.record(int(pos - c.r.starts[b])), ref, nil
}

// putSpare gives d's memory back to the manager, or drops it.
func (c *sealedCursor) putSpare(d *decodedBlock) {
	if !c.spares.Put(d) {
		d.mem.release()
	}
}

func (c *sealedCursor) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.blk != nil && (c.reuse || c.blk.mem.held) {
		c.putSpare(c.blk)
	}
	c.blk = nil
	return c.r.close()
}

// activeCursor walks a snapshot of an active chunk in time order, reading
// records with pread and checking each one's checksum.
type activeCursor struct {
	walker
	st        *activeState
	order     []uint32
	raw, attr *os.File
	lastAttr  attrLoc
	lastSet   chunk.Attributes
	abuf      []byte
}

func openActiveCursor(dir string, id chunk.ChunkID) (*activeCursor, error) {
	st, err := readActive(dir, id, false)
	if err != nil {
		return nil, err
	}
	c := &activeCursor{st: st, order: sortedOrder(st.entries), lastAttr: attrLoc{off: ^uint64(0)}}
	c.walker = walker{id: id, n: uint64(len(c.order)), at: c.at}
	if c.raw, err = os.Open(filepath.Join(dir, RawLogName)); err != nil {
		return nil, err
	}
	if c.attr, err = os.Open(filepath.Join(dir, AttrLogName)); err != nil {
		c.raw.Close()
		return nil, err
	}
	return c, nil
}

var _ chunk.RecordCursor = (*activeCursor)(nil)

func (c *activeCursor) at(pos uint64) (chunk.Record, chunk.RecordRef, error) {
	i := c.order[pos]
	e := &c.st.entries[i]
	raw := make([]byte, e.rawLen)
	if _, err := c.raw.ReadAt(raw, int64(e.rawOff)); err != nil {
		return chunk.Record{}, chunk.RecordRef{}, fmt.Errorf("read %s: %w", c.raw.Name(), err)
	}
	loc := attrLoc{off: e.attrOff, n: e.attrLen}
	c.abuf = slices.Grow(c.abuf[:0], int(e.attrLen))[:e.attrLen]
	if _, err := c.attr.ReadAt(c.abuf, int64(e.attrOff)); err != nil {
		return chunk.Record{}, chunk.RecordRef{}, fmt.Errorf("read %s: %w", c.attr.Name(), err)
	}
	var eb [IdxEntrySize]byte
	e.put(eb[:])
	if entrySum(eb[:], raw, c.abuf) != e.sum {
		return chunk.Record{}, chunk.RecordRef{}, &CorruptError{Path: filepath.Join(c.st.dir, IdxLogName), Section: "idx.log entry",
			Offset: int64(HeaderSize) + int64(i)*IdxEntrySize, Reason: "checksum does not match the record"}
	}
	if loc != c.lastAttr {
		a, err := chunk.DecodeAttributes(c.abuf)
		if err != nil {
			return chunk.Record{}, chunk.RecordRef{}, fmt.Errorf("%s at offset %d: %w", c.attr.Name(), e.attrOff, err)
		}
		c.lastAttr, c.lastSet = loc, a
	}
	rec := chunk.Record{SourceTS: decTime(e.src), IngestTS: decTime(e.ingest), WriteTS: decTime(e.wrte), Attrs: c.lastSet, Raw: raw}
	return rec, chunk.RecordRef{Chunk: c.st.id, Pos: pos}, nil
}

func (c *activeCursor) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return errors.Join(c.raw.Close(), c.attr.Close())
}

// walker moves a position over n records and reads them with at: the
// Next, Prev and Seek shared by both cursor kinds.
type walker struct {
	id     chunk.ChunkID
	pos    uint64
	n      uint64
	closed bool
	at     func(pos uint64) (chunk.Record, chunk.RecordRef, error)
}

func (w *walker) Len() uint64 { return w.n }

func (w *walker) Next() (chunk.Record, chunk.RecordRef, error) {
	if w.closed {
		return chunk.Record{}, chunk.RecordRef{}, chunk.ErrClosed
	}
	if w.pos >= w.n {
		return chunk.Record{}, chunk.RecordRef{}, io.EOF
	}
	rec, ref, err := w.at(w.pos)
	if err == nil {
		w.pos++
	}
	return rec, ref, err
}

func (w *walker) Prev() (chunk.Record, chunk.RecordRef, error) {
	if w.closed {
		return chunk.Record{}, chunk.RecordRef{}, chunk.ErrClosed
	}
	if w.pos == 0 {
		return chunk.Record{}, chunk.RecordRef{}, io.EOF
	}
	rec, ref, err := w.at(w.pos - 1)
	if err == nil {
		w.pos--
	}
	return rec, ref, err
}

func (w *walker) Seek(pos uint64) error {
	if w.closed {
		return chunk.ErrClosed
	}
	if pos > w.n {
		return fmt.Errorf("seek %d in chunk %s of %d records: %w", pos, w.id, w.n, chunk.ErrPositionOutOfRange)
	}
	w.pos = pos
	return nil
}
