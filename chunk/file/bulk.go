package file

import (
	"errors"
	"fmt"
	"hash/maphash"
	"time"

	"glarc/chunk"
)

// ErrActiveChunk means a bulk writer was asked for while the manager has an
// active chunk: seal it first.
var ErrActiveChunk = errors.New("data directory has an active chunk")

// ErrBulkClosed is returned by a BulkWriter after Close.
var ErrBulkClosed = errors.New("bulk writer closed")

// bulkBuffers is how many chunks a bulk writer holds in memory. With one,
// appending waits until the seal of the full chunk has read its records
// (for a chunk in time order, whose blocks were compressed as it filled,
// that is the last block); memory stays at one chunk's raw text (two made
// the heap overflow its limit and the GC thrash).
const bulkBuffers = 1

// bulkClockEvery is how many records share one reading of the clock for
// WriteTS (kept to the millisecond anyway).
const bulkClockEvery = 256

// BulkOptions configure a BulkWriter.
type BulkOptions struct {
	// BeforeSeal, if set, is called by Append (and Close) when a chunk is
	// full, before it is handed to sealing. The commit function it returns
	// (if not nil) is called from the sealing goroutine once the chunk is
	// sealed and durable, before OnSealed; its error fails the seal.
	BeforeSeal func(full chunk.ChunkMeta) (commit func() error)
}

// BulkWriter appends records straight into sealed chunks: a chunk's records
// are kept in memory until it is full, then sorted, compressed and written
// as chunks/<id>/chunk.dat, with no active chunk on disk. Records are
// durable only once their chunk is sealed, so a caller that needs crash
// safety commits its own bookkeeping from BulkOptions.BeforeSeal (the
// importer's manifest does). Memory is bounded by one chunk's raw text.
//
// A BulkWriter is not safe for concurrent use, and the caller must not
// Append to the manager while it is open.
type BulkWriter struct {
	m      *Manager
	opts   BulkOptions
	limit  int64 // raw bytes per chunk
	cur    *bulkChunk
	free   chan *bulkChunk
	made   int
	closed bool
	// wts is the WriteTS of the next records, read every bulkClockEvery.
	wts     int64
	clockIn int
	scratch []byte
}

// Bulk returns a writer that seals chunks straight from memory. The
// manager must have no active chunk (ErrActiveChunk).
func (m *Manager) Bulk(opts BulkOptions) (*BulkWriter, error) {
	if m.opts.ReadOnly {
		return nil, chunk.ErrReadOnly
	}
	m.appendMu.Lock()
	defer m.appendMu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, chunk.ErrClosed
	}
	if m.active != nil {
		return nil, ErrActiveChunk
	}
	return &BulkWriter{m: m, opts: opts, limit: min(m.opts.MaxChunkBytes, maxBulkChunk),
		free: make(chan *bulkChunk, bulkBuffers)}, nil
}

// maxBulkChunk keeps offsets inside a bulk chunk within 32 bits.
const maxBulkChunk = 1 << 31

// bulkEntry is one record of a chunk in memory.
type bulkEntry struct {
	rawOff, rawLen    uint32
	attrOff, attrLen  uint32
	src, ingest, wrte int64
}

// bulkChunk is a chunk being filled in memory, then sealed.
type bulkChunk struct {
	id    chunk.ChunkID
	raw   []byte
	attrs []byte // attribute sets, each stored once
	ents  []bulkEntry
	sets  setTable
	// pre, while every record's time is at or after the one before
	// (the seal's order is then the append order), compresses the
	// chunk's blocks as it fills.
	pre          *preseal
	last         int64 // time of the last record
	minTS, maxTS int64
	free         chan *bulkChunk // where the chunk goes once sealed
}

func (c *bulkChunk) count() int          { return len(c.ents) }
func (c *bulkChunk) time(i uint32) int64 { return recordTime(c.ents[i].src, c.ents[i].ingest) }

func (c *bulkChunk) record(i uint32) (src, ingest, wrte int64, attrs, raw []byte, err error) {
	e := &c.ents[i]
	return e.src, e.ingest, e.wrte, c.attrs[e.attrOff : e.attrOff+e.attrLen], c.raw[e.rawOff : e.rawOff+e.rawLen], nil
}

func (c *bulkChunk) attrError(i uint32, err error) error {
	return fmt.Errorf("chunk %s: record %d: attribute set: %w", c.id, i, err)
}

func (c *bulkChunk) meta() chunk.ChunkMeta {
	m := chunk.ChunkMeta{ID: c.id, Records: uint64(len(c.ents)), RawBytes: uint64(len(c.raw)),
		StoredBytes: uint64(len(c.raw) + len(c.attrs))}
	if len(c.ents) > 0 {
		m.MinTS, m.MaxTS = decTime(c.minTS), decTime(c.maxTS)
	}
	return m
}

// bulkSeal is a bulk chunk as a seal reads it. Its read releases the
// chunk as soon as every record has been read (the blocks hold copies):
// appending goes on while the last blocks are compressed and the chunk is
// written and fsynced.
type bulkSeal struct {
	*bulkChunk
	done bool
}

func (s *bulkSeal) read() {
	s.done = true
	s.release()
}

// release returns a chunk's buffers to its writer.
func (c *bulkChunk) release() {
	c.raw, c.attrs, c.ents = c.raw[:0], c.attrs[:0], c.ents[:0]
	c.sets.reset()
	select {
	case c.free <- c:
	default:
	}
}

// Append adds a record; its WriteTS is set by the writer.
func (w *BulkWriter) Append(rec *chunk.Record) error {
	var err error
	if w.scratch, err = rec.Attrs.AppendBinary(w.scratch[:0]); err != nil {
		return err
	}
	return w.AppendEncoded(rec.SourceTS, rec.IngestTS, w.scratch, rec.Raw)
}

// AppendEncoded adds a record whose attributes are already in their
// chunk.Attributes binary encoding (keys in byte order). It keeps neither
// slice.
func (w *BulkWriter) AppendEncoded(source, ingest time.Time, attrs, raw []byte) error {
	if w.closed {
		return ErrBulkClosed
	}
	if uint64(len(raw)) >= maxBulkChunk || uint64(len(attrs)) >= maxBulkChunk {
		return fmt.Errorf("record of %d bytes is too large", len(raw)+len(attrs))
	}
	c := w.cur
	if c != nil && len(c.ents) > 0 && (int64(len(c.raw)+len(raw)) > w.limit || int64(len(c.attrs)+len(attrs)) > w.limit) {
		if err := w.rotate(); err != nil {
			return err
		}
		c = nil
	}
	if c == nil {
		var err error
		if c, err = w.next(); err != nil {
			return err
		}
	}
	if w.clockIn == 0 {
		w.wts = encTime(w.m.opts.Now().Truncate(time.Millisecond))
		w.clockIn = bulkClockEvery
	}
	w.clockIn--
	off := c.sets.find(c.attrs, attrs)
	if off < 0 {
		off = len(c.attrs)
		c.attrs = append(c.attrs, attrs...)
		c.sets.add(attrs, off)
	}
	e := bulkEntry{rawOff: uint32(len(c.raw)), rawLen: uint32(len(raw)), attrOff: uint32(off), attrLen: uint32(len(attrs)),
		src: encTime(source), ingest: encTime(ingest), wrte: w.wts}
	c.raw = append(c.raw, raw...)
	c.ents = append(c.ents, e)
	t := recordTime(e.src, e.ingest)
	if len(c.ents) > 1 && t < c.last {
		if c.pre != nil {
			c.pre.cancel()
			c.pre = nil
		}
	}
	c.last = t
	if c.pre != nil && len(c.raw)-c.pre.sentRaw >= presealStep {
		c.pre.send(c)
	}
	if len(c.ents) == 1 || t < c.minTS {
		c.minTS = t
	}
	if len(c.ents) == 1 || t > c.maxTS {
		c.maxTS = t
	}
	return nil
}

// next starts a chunk in a free buffer, waiting for a seal to return one
// when both are in use.
func (w *BulkWriter) next() (*bulkChunk, error) {
	var c *bulkChunk
	select {
	case c = <-w.free:
	default:
		if w.made < bulkBuffers {
			w.made++
			// Room for records of 128 bytes on average: growing the
			// entries by copying costs more than the slack.
			c = &bulkChunk{sets: newSetTable(), free: w.free, raw: make([]byte, 0, w.limit),
				ents: make([]bulkEntry, 0, min(w.limit/128, 1<<20))}
		} else {
			c = <-w.free // every sealed chunk comes back, sealed or failed
		}
	}
	if err := w.m.sealError(); err != nil {
		w.free <- c
		return nil, err
	}
	w.m.appendMu.Lock()
	c.id = w.m.ids.Next()
	w.m.appendMu.Unlock()
	pre, err := w.m.startPreseal(c.id)
	if err != nil {
		w.free <- c
		return nil, fmt.Errorf("chunk %s: %w", c.id, err)
	}
	c.pre = pre
	w.cur = c
	return c, nil
}

// sealError returns the first sealing error.
func (m *Manager) sealError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sealErr
}

// rotate hands the current chunk to sealing.
func (w *BulkWriter) rotate() error {
	c := w.cur
	w.cur = nil
	if c == nil {
		return nil
	}
	if err := w.m.sealError(); err != nil || len(c.ents) == 0 {
		if c.pre != nil {
			c.pre.cancel()
			c.pre = nil
		}
		c.release()
		return err
	}
	var commit func() error
	if w.opts.BeforeSeal != nil {
		commit = w.opts.BeforeSeal(c.meta())
	}
	j := &bulkJob{sc: sealChunk{id: c.id, minTS: c.minTS, maxTS: c.maxTS, rawBytes: uint64(len(c.raw))}, pre: c.pre}
	if pre := c.pre; pre != nil {
		// Once the goroutine has read the last records (it is at most a
		// few blocks behind), the buffer is free: appending goes on while
		// the sealing goroutine finishes and fsyncs the file.
		c.pre = nil
		pre.send(c)
		close(pre.ranges)
		pre.err = <-pre.done
		c.release()
	} else {
		j.c = c
	}
	w.m.mu.Lock()
	w.m.sealing[j.sc.id] = true
	w.m.mu.Unlock()
	w.m.queueSeal(sealJob{id: j.sc.id, bulk: j, commit: commit})
	return nil
}

// bulkJob is a bulk chunk handed to sealing: in memory (c), or presealed
// (pre), its buffer already given back.
type bulkJob struct {
	sc  sealChunk
	c   *bulkChunk
	pre *preseal
}

// Flush seals what has been appended so far (as a chunk of its own, even
// when it is small) and waits until every chunk of the writer is sealed.
func (w *BulkWriter) Flush() error {
	if w.closed {
		return ErrBulkClosed
	}
	if err := w.rotate(); err != nil {
		return err
	}
	return w.m.WaitSealed()
}

// Close seals what remains and waits for it. The writer cannot be used
// afterwards; the manager can.
func (w *BulkWriter) Close() error {
	if w.closed {
		return nil
	}
	err := w.Flush()
	w.closed = true
	return err
}

// sealBulk seals a bulk writer's chunk, then runs its commit, and returns
// the buffers to the writer whatever happened.
func (m *Manager) sealBulk(j *bulkJob, commit func() error) (chunk.ChunkMeta, error) {
	id := j.sc.id
	start := time.Now()
	var meta chunk.ChunkMeta
	var err error
	if pre := j.pre; pre != nil {
		// Its blocks are built already: finish the file.
		if err = pre.err; err == nil {
			meta, err = pre.sw.finish(j.sc)
		} else {
			pre.sw.abort()
		}
	} else {
		// c may be released (and refilled) while the seal goes on.
		in := &bulkSeal{bulkChunk: j.c}
		meta, err = writeSealed(in, j.sc, m.ChunkDir(id), m.opts.BlockBytes, m.enc)
		if !in.done {
			j.c.release()
		}
	}
	if err != nil {
		return meta, fmt.Errorf("seal chunk %s: %w", id, err)
	}
	if commit != nil {
		if err := commit(); err != nil {
			return meta, fmt.Errorf("seal chunk %s: commit: %w", id, err)
		}
	}
	m.log.Debug("sealed chunk", "chunk", id.String(), "records", meta.Records,
		"raw_bytes", meta.RawBytes, "stored_bytes", meta.StoredBytes, "took", time.Since(start))
	return meta, nil
}

// setTable finds attribute sets already stored in a chunk's arena: an
// open-addressing hash table of arena offsets, so looking a set up
// allocates nothing and every distinct set is stored once per chunk.
type setTable struct {
	seed  maphash.Seed
	slots []setSlot // a power of two long
	n     int
	hash  uint64 // of the set last passed to find
}

type setSlot struct {
	hash     uint64
	off, len uint32 // off+1; 0 = empty
}

// setTableMin is the initial number of slots.
const setTableMin = 1 << 12

func newSetTable() setTable {
	return setTable{seed: maphash.MakeSeed(), slots: make([]setSlot, setTableMin)}
}

func (t *setTable) reset() {
	clear(t.slots)
	t.n = 0
}

// find returns the offset in arena of a set equal to b, or -1; it
// remembers b's hash for add.
func (t *setTable) find(arena, b []byte) int {
	t.hash = maphash.Bytes(t.seed, b)
	mask := uint64(len(t.slots) - 1)
	for i := t.hash & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.off == 0 {
			return -1
		}
		if s.hash == t.hash && int(s.len) == len(b) && string(arena[s.off-1:s.off-1+s.len]) == string(b) {
			return int(s.off - 1)
		}
	}
}

// add records that the set just passed to find is stored at off.
func (t *setTable) add(b []byte, off int) {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]setSlot, 2*len(old))
		for _, s := range old {
			if s.off != 0 {
				t.put(s)
			}
		}
	}
	t.put(setSlot{hash: t.hash, off: uint32(off) + 1, len: uint32(len(b))})
	t.n++
}

func (t *setTable) put(s setSlot) {
	mask := uint64(len(t.slots) - 1)
	i := s.hash & mask
	for t.slots[i].off != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// presealStep is how much raw text a filling chunk gathers before its
// records go to the preseal goroutine.
const presealStep = 256 << 10

// preseal builds and compresses the blocks of a chunk while it fills, as
// long as its records come in time order, which is what the records of a
// log file nearly always do. A seal of the chunk then only has its last
// block to compress and the file to finish, and compression overlaps
// parsing instead of following it. A record out of order cancels it: the
// chunk is sealed from memory in full.
type preseal struct {
	sw      *sealWriter
	ranges  chan bulkRange
	done    chan error // the building goroutine's result
	err     error      // received from done
	sent    int        // records handed over
	sentRaw int        // raw bytes handed over
}

// bulkRange is a run of records for the preseal goroutine, with the
// chunk's arenas as far as they reach. The appender only appends to the
// arenas, so what a range covers does not change under the goroutine.
type bulkRange struct {
	ents       []bulkEntry
	raw, attrs []byte
}

func (m *Manager) startPreseal(id chunk.ChunkID) (*preseal, error) {
	sw, err := newSealWriter(m.ChunkDir(id), m.opts.BlockBytes, m.enc)
	if err != nil {
		return nil, err
	}
	p := &preseal{sw: sw, ranges: make(chan bulkRange, 4), done: make(chan error, 1)}
	go func() {
		var err error
		for r := range p.ranges {
			for i := range r.ents {
				e := &r.ents[i]
				if err == nil {
					err = sw.add(e.src, e.ingest, e.wrte, r.attrs[e.attrOff:e.attrOff+e.attrLen], r.raw[e.rawOff:e.rawOff+e.rawLen])
				}
			}
		}
		p.done <- err
	}()
	return p, nil
}

// send hands the records appended since the last send to the goroutine.
func (p *preseal) send(c *bulkChunk) {
	if p.sent == len(c.ents) {
		return
	}
	p.ranges <- bulkRange{ents: c.ents[p.sent:len(c.ents):len(c.ents)], raw: c.raw[:len(c.raw):len(c.raw)], attrs: c.attrs[:len(c.attrs):len(c.attrs)]}
	p.sent, p.sentRaw = len(c.ents), len(c.raw)
}

// cancel stops the goroutine and removes what it wrote.
func (p *preseal) cancel() {
	close(p.ranges)
	<-p.done
	p.sw.abort()
}
