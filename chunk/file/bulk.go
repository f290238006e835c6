package file

import (
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
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
	// seed hashes attribute sets (HashAttrs) for every chunk's set table.
	seed maphash.Seed
	// pages are the writer's own text pages (for Append and
	// AppendEncoded), given back when their chunk is released. They are
	// pageSize bytes (smaller for small chunks: a page counts in full
	// towards the chunk's size), or one longer record's.
	pages    chan []byte
	pageSize int
	// setOffs maps a batch's sets to offsets in the chunk's arena.
	setOffs []uint32
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
	limit := min(m.opts.MaxChunkBytes, maxBulkChunk)
	return &BulkWriter{m: m, opts: opts, limit: limit, free: make(chan *bulkChunk, bulkBuffers), seed: maphash.MakeSeed(),
		pages: make(chan []byte, bulkOwnPages), pageSize: int(min(bulkPageBytes, max(limit/16, 64)))}, nil
}

// bulkPageBytes is the size of the text pages a writer copies records
// into (Append, AppendEncoded); a longer record gets a page of its own.
const bulkPageBytes = 256 << 10

// bulkOwnPages bounds the writer's free own pages.
const bulkOwnPages = 512

// HashAttrs returns the hash of an encoded attribute set that
// BulkSet.Hash must hold. It is safe for concurrent use, so parse workers
// can hash the sets they encode.
func (w *BulkWriter) HashAttrs(set []byte) uint64 { return maphash.Bytes(w.seed, set) }

// BulkBatch is a run of records for AppendBatch. The writer keeps Text
// (and reads it, from other goroutines, until it calls Release) instead of
// copying it; Sets are copied.
type BulkBatch struct {
	// Text holds the records' raw text. It must not change until Release.
	Text []byte
	// Sets are the batch's attribute sets, each in chunk.Attributes
	// encoding, with its HashAttrs hash. A set may be given once and used
	// by many records.
	Sets []BulkSet
	// Records are the batch's records, in append order.
	Records []BulkRecord
	// Release, if not nil, is called exactly once, from any goroutine,
	// when the writer no longer reads Text: after its chunk is sealed (or
	// has failed to), or at once when AppendBatch fails.
	Release func()
}

// BulkSet is one attribute set of a BulkBatch.
type BulkSet struct {
	Attrs []byte
	Hash  uint64
}

// BulkRecord is one record of a BulkBatch: its raw text is
// Text[Off:Off+Len] and its attributes Sets[Set].
type BulkRecord struct {
	Source, Ingest time.Time
	Off, Len       uint32
	Set            uint32
}

// maxBulkChunk keeps offsets inside a bulk chunk within 32 bits.
const maxBulkChunk = 1 << 31

// bulkEntry is one record of a chunk in memory: its raw text is
// pages[page][rawOff:rawOff+rawLen].
type bulkEntry struct {
	page, rawOff, rawLen uint32
	attrOff, attrLen     uint32
	src, ingest, wrte    int64
}

// bulkChunk is a chunk being filled in memory, then sealed.
type bulkChunk struct {
	id chunk.ChunkID
	// pages hold the records' raw text: batches given to AppendBatch,
	// and the writer's own pages, which Append copies into.
	pages    [][]byte
	releases []func() // per page, nil for none
	own      int      // index of the own page being filled, -1 for none
	rawBytes int      // raw text of the records
	// pageBytes is the memory of the pages (their capacity): a chunk is
	// full when it reaches the size limit too, so that pages that are
	// far from full (short lines cut into batches by count) cannot hold
	// several times the limit.
	pageBytes int
	attrs     []byte // attribute sets, each stored once
	ents      []bulkEntry
	sets      setTable
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
	return e.src, e.ingest, e.wrte, c.attrs[e.attrOff : e.attrOff+e.attrLen], c.pages[e.page][e.rawOff : e.rawOff+e.rawLen], nil
}

func (c *bulkChunk) attrError(i uint32, err error) error {
	return fmt.Errorf("chunk %s: record %d: attribute set: %w", c.id, i, err)
}

func (c *bulkChunk) meta() chunk.ChunkMeta {
	m := chunk.ChunkMeta{ID: c.id, Records: uint64(len(c.ents)), RawBytes: uint64(c.rawBytes),
		StoredBytes: uint64(c.rawBytes + len(c.attrs))}
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

// release returns a chunk's buffers to its writer, and its pages to
// whoever gave them.
func (c *bulkChunk) release() {
	for _, r := range c.releases {
		if r != nil {
			r()
		}
	}
	clear(c.pages)
	clear(c.releases) // what they hold is garbage now
	c.pages, c.releases, c.own = c.pages[:0], c.releases[:0], -1
	c.rawBytes, c.pageBytes, c.attrs, c.ents = 0, 0, c.attrs[:0], c.ents[:0]
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
	if uint64(len(raw)) >= maxBulkChunk || uint64(len(attrs)) >= maxBulkChunk {
		return fmt.Errorf("record of %d bytes is too large", len(raw)+len(attrs))
	}
	c, err := w.room(1, len(raw), len(attrs), len(raw))
	if err != nil {
		return err
	}
	w.tick(1)
	off := c.sets.find(c.attrs, attrs, w.HashAttrs(attrs))
	if off < 0 {
		off = len(c.attrs)
		c.attrs = append(c.attrs, attrs...)
		c.sets.add(len(attrs), off)
	}
	page, rawOff := w.copyRaw(c, raw)
	c.add(bulkEntry{page: uint32(page), rawOff: uint32(rawOff), rawLen: uint32(len(raw)), attrOff: uint32(off), attrLen: uint32(len(attrs)),
		src: encTime(source), ingest: encTime(ingest), wrte: w.wts})
	c.sent()
	return nil
}

// ErrBadBatch means a BulkBatch's records point outside its text or sets.
var ErrBadBatch = errors.New("bulk batch out of bounds")

// AppendBatch adds a batch of records, keeping b.Text until it calls
// b.Release (see BulkBatch). A chunk holds whole batches: when the batch
// does not fit in the current one (see Room), that is sealed first. The
// same Text may be given to several calls, each with its own Release.
func (w *BulkWriter) AppendBatch(b BulkBatch) error {
	kept := false
	defer func() {
		if !kept && b.Release != nil {
			b.Release()
		}
	}()
	if len(b.Records) == 0 {
		return nil
	}
	raw, setBytes := 0, 0
	for i := range b.Sets {
		setBytes += len(b.Sets[i].Attrs)
	}
	for i := range b.Records {
		r := &b.Records[i]
		if uint64(r.Off)+uint64(r.Len) > uint64(len(b.Text)) || int(r.Set) >= len(b.Sets) {
			return fmt.Errorf("%w: record %d", ErrBadBatch, i)
		}
		raw += int(r.Len)
	}
	if uint64(raw) >= maxBulkChunk || uint64(setBytes) >= maxBulkChunk {
		return fmt.Errorf("batch of %d bytes is too large", raw+setBytes)
	}
	c, err := w.room(len(b.Records), raw, setBytes, cap(b.Text))
	if err != nil {
		return err
	}
	w.tick(len(b.Records))
	// Sets are looked up when a record first uses one.
	offs := slices.Grow(w.setOffs[:0], len(b.Sets))[:len(b.Sets)]
	for i := range offs {
		offs[i] = setUnseen
	}
	w.setOffs = offs
	page := uint32(len(c.pages))
	c.pages = append(c.pages, b.Text)
	c.releases = append(c.releases, b.Release)
	c.pageBytes += cap(b.Text)
	kept = true
	for i := range b.Records {
		r := &b.Records[i]
		off := offs[r.Set]
		if off == setUnseen {
			s := &b.Sets[r.Set]
			o := c.sets.find(c.attrs, s.Attrs, s.Hash)
			if o < 0 {
				o = len(c.attrs)
				c.attrs = append(c.attrs, s.Attrs...)
				c.sets.add(len(s.Attrs), o)
			}
			off = uint32(o)
			offs[r.Set] = off
		}
		c.add(bulkEntry{page: page, rawOff: r.Off, rawLen: r.Len, attrOff: off, attrLen: uint32(len(b.Sets[r.Set].Attrs)),
			src: encTime(r.Source), ingest: encTime(r.Ingest), wrte: w.wts})
	}
	c.sent()
	return nil
}

// setUnseen marks a batch's set not looked up yet.
const setUnseen = ^uint32(0)

// Room returns how much raw text the current chunk still takes before
// an append seals it (the whole chunk size when it is empty; 0 or less
// when it is full). A caller that keeps its own commit points (as
// BulkOptions.BeforeSeal sees them) at batch boundaries splits a batch
// larger than this: AppendBatch puts a whole batch into one chunk.
func (w *BulkWriter) Room() int64 {
	c := w.cur
	if c == nil || len(c.ents) == 0 {
		return w.limit
	}
	return w.limit - int64(c.rawBytes)
}

// room returns the chunk to append n records to, with raw and attrs
// bytes in pages of page bytes, sealing the current one first when they
// do not fit. Besides the size limit, a chunk takes no more records than
// its entries were allocated for (a record per 128 bytes of the limit):
// a file of very short lines makes smaller chunks, not a larger array.
func (w *BulkWriter) room(n, raw, attrs, page int) (*bulkChunk, error) {
	if w.closed {
		return nil, ErrBulkClosed
	}
	c := w.cur
	if c != nil && len(c.ents) > 0 && (int64(c.rawBytes+raw) > w.limit || int64(len(c.attrs)+attrs) > w.limit ||
		int64(c.pageBytes+page) > w.limit || len(c.ents)+n > cap(c.ents)) {
		if err := w.rotate(); err != nil {
			return nil, err
		}
		c = nil
	}
	if c == nil {
		return w.next()
	}
	return c, nil
}

// tick sets the WriteTS of the next n records, reading the clock every
// bulkClockEvery records.
func (w *BulkWriter) tick(n int) {
	if w.clockIn <= 0 {
		w.wts = encTime(w.m.opts.Now().Truncate(time.Millisecond))
		w.clockIn = bulkClockEvery
	}
	w.clockIn -= n
}

// copyRaw copies raw into the chunk's own page (starting one when it has
// no room) and returns where it went.
func (w *BulkWriter) copyRaw(c *bulkChunk, raw []byte) (page, off int) {
	if c.own < 0 || len(c.pages[c.own])+len(raw) > cap(c.pages[c.own]) {
		var p []byte
		select {
		case p = <-w.pages:
		default:
		}
		if cap(p) < len(raw) {
			p = make([]byte, 0, max(w.pageSize, len(raw)))
		}
		c.own = len(c.pages)
		c.pages = append(c.pages, p[:0])
		c.pageBytes += cap(p)
		free := w.pages
		c.releases = append(c.releases, func() {
			if cap(p) == w.pageSize {
				select {
				case free <- p[:0]:
				default:
				}
			}
		})
	}
	off = len(c.pages[c.own])
	c.pages[c.own] = append(c.pages[c.own], raw...)
	return c.own, off
}

// add appends a record's entry, following its time order.
func (c *bulkChunk) add(e bulkEntry) {
	c.ents = append(c.ents, e)
	c.rawBytes += int(e.rawLen)
	t := recordTime(e.src, e.ingest)
	if len(c.ents) > 1 && t < c.last && c.pre != nil {
		c.pre.cancel()
		c.pre = nil
	}
	c.last = t
	if len(c.ents) == 1 || t < c.minTS {
		c.minTS = t
	}
	if len(c.ents) == 1 || t > c.maxTS {
		c.maxTS = t
	}
}

// sent hands the records added so far to the preseal goroutine once
// there are enough of them.
func (c *bulkChunk) sent() {
	if c.pre != nil && c.rawBytes-c.pre.sentRaw >= presealStep {
		c.pre.send(c)
	}
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
			// Room for records of 128 bytes on average, and for distinct
			// attribute sets of a fifth of the raw text (a log file with
			// many hosts and pids has about a seventh): growing them by
			// copying costs more than the slack.
			c = &bulkChunk{sets: newSetTable(), free: w.free, own: -1,
				ents:  make([]bulkEntry, 0, max(min(w.limit/128, 1<<20), 1)),
				attrs: make([]byte, 0, min(w.limit/5, 16<<20))}
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
	j := &bulkJob{sc: sealChunk{id: c.id, minTS: c.minTS, maxTS: c.maxTS, rawBytes: uint64(c.rawBytes)}, pre: c.pre}
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
	return setTable{slots: make([]setSlot, setTableMin)}
}

func (t *setTable) reset() {
	clear(t.slots)
	t.n = 0
}

// find returns the offset in arena of a set equal to b, whose hash is h
// (BulkWriter.HashAttrs), or -1; it remembers h for add.
func (t *setTable) find(arena, b []byte, h uint64) int {
	t.hash = h
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

// add records that the set just passed to find, n bytes long, is stored
// at off.
func (t *setTable) add(n int, off int) {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]setSlot, 2*len(old))
		for _, s := range old {
			if s.off != 0 {
				t.put(s)
			}
		}
	}
	t.put(setSlot{hash: t.hash, off: uint32(off) + 1, len: uint32(n)})
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
	ents  []bulkEntry
	pages [][]byte
	attrs []byte
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
					err = sw.add(e.src, e.ingest, e.wrte, r.attrs[e.attrOff:e.attrOff+e.attrLen], r.pages[e.page][e.rawOff:e.rawOff+e.rawLen])
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
	// The own page being filled may grow in place; the range's copy of
	// its slice header reaches as far as its records do.
	p.ranges <- bulkRange{ents: c.ents[p.sent:len(c.ents):len(c.ents)], pages: slices.Clone(c.pages), attrs: c.attrs[:len(c.attrs):len(c.attrs)]}
	p.sent, p.sentRaw = len(c.ents), c.rawBytes
}

// cancel stops the goroutine and removes what it wrote.
func (p *preseal) cancel() {
	close(p.ranges)
	<-p.done
	p.sw.abort()
}
