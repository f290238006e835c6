package file

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"glarc/chunk"
)

// flushThreshold is how much an active writer buffers before it writes.
const flushThreshold = 256 << 10

// attrCacheSize bounds the recently written attribute encodings whose bytes
// are shared by later records instead of being written again.
const attrCacheSize = 1024

type attrLoc struct {
	off uint64
	n   uint32
}

// activeWriter appends records to an active chunk directory. It buffers the
// three logs and writes them in the order raw, attr, idx, so an idx.log entry
// never reaches the file before the bytes it points at.
type activeWriter struct {
	id                chunk.ChunkID
	dir               string
	raw, idx, attr    *os.File
	rawBuf, attrBuf   []byte
	idxBuf            []byte
	rawSize, attrSize uint64 // logical sizes, buffered bytes included
	records           uint64
	minTS, maxTS      int64
	attrCache         map[string]attrLoc
	scratch           []byte
	// entries mirrors idx.log, so sealing needs not read it back. It grows
	// in pages: no copying of what is there, nothing for the GC to redo.
	entries [][]idxEntry
}

// entryPage is the number of idx entries per page of activeWriter.entries.
const entryPage = 16 << 10

func createActive(dir string, id chunk.ChunkID) (*activeWriter, error) {
	// Built under a temporary name and renamed, so readers never see a
	// chunk whose files lack their headers.
	tmp := dir + tmpSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("create active chunk %s: %w", id, err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("create active chunk %s: %w", id, err)
	}
	w := &activeWriter{id: id, dir: dir, rawSize: HeaderSize, attrSize: HeaderSize, attrCache: make(map[string]attrLoc)}
	var err error
	open := func(name string, typ byte) *os.File {
		if err != nil {
			return nil
		}
		var f *os.File
		f, err = os.OpenFile(filepath.Join(tmp, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil
		}
		h := header(typ, VersionActive, 0)
		_, err = f.Write(h[:])
		return f
	}
	w.raw = open(RawLogName, TypeRaw)
	w.attr = open(AttrLogName, TypeAttr)
	w.idx = open(IdxLogName, TypeIdx)
	if err == nil {
		err = syncDir(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err == nil {
		err = syncDir(filepath.Dir(dir))
	}
	if err != nil {
		w.closeFiles()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("create active chunk %s: %w", id, err)
	}
	return w, nil
}

// openActiveForAppend reopens a recovered active chunk to append to it.
func openActiveForAppend(dir string, id chunk.ChunkID, st *activeState) (*activeWriter, error) {
	w := &activeWriter{id: id, dir: dir, attrCache: make(map[string]attrLoc),
		rawSize: st.rawSize, attrSize: st.attrSize, records: uint64(len(st.entries)), minTS: st.minTS, maxTS: st.maxTS,
		entries: [][]idxEntry{slices.Clip(st.entries)}}
	var err error
	open := func(name string, size int64) *os.File {
		if err != nil {
			return nil
		}
		var f *os.File
		if f, err = os.OpenFile(filepath.Join(dir, name), os.O_RDWR, 0); err != nil {
			return nil
		}
		_, err = f.Seek(size, io.SeekStart)
		return f
	}
	w.raw = open(RawLogName, int64(st.rawSize))
	w.attr = open(AttrLogName, int64(st.attrSize))
	w.idx = open(IdxLogName, int64(HeaderSize+len(st.entries)*IdxEntrySize))
	if err != nil {
		w.closeFiles()
		return nil, fmt.Errorf("reopen active chunk %s: %w", id, err)
	}
	return w, nil
}

func (w *activeWriter) append(rec *chunk.Record) error {
	var err error
	w.scratch, err = rec.Attrs.AppendBinary(w.scratch[:0])
	if err != nil {
		return err
	}
	if uint64(len(rec.Raw)) > 1<<32-1 {
		return fmt.Errorf("record of %d bytes is too large", len(rec.Raw))
	}
	loc, ok := w.attrCache[string(w.scratch)]
	if !ok {
		loc = attrLoc{off: w.attrSize, n: uint32(len(w.scratch))}
		w.attrBuf = append(w.attrBuf, w.scratch...)
		w.attrSize += uint64(len(w.scratch))
		if len(w.attrCache) >= attrCacheSize {
			clear(w.attrCache)
		}
		w.attrCache[string(w.scratch)] = loc
	}
	e := idxEntry{
		rawOff: w.rawSize, attrOff: loc.off,
		rawLen: uint32(len(rec.Raw)), attrLen: loc.n,
		src: encTime(rec.SourceTS), ingest: encTime(rec.IngestTS), wrte: encTime(rec.WriteTS),
	}
	var eb [IdxEntrySize]byte
	e.put(eb[:])
	e.sum = entrySum(eb[:], rec.Raw, w.scratch)
	e.put(eb[:])
	w.rawBuf = append(w.rawBuf, rec.Raw...)
	w.rawSize += uint64(len(rec.Raw))
	w.idxBuf = append(w.idxBuf, eb[:]...)
	if n := len(w.entries); n == 0 || len(w.entries[n-1]) == cap(w.entries[n-1]) {
		w.entries = append(w.entries, make([]idxEntry, 0, entryPage))
	}
	last := &w.entries[len(w.entries)-1]
	*last = append(*last, e)
	t := e.time()
	if w.records == 0 || t < w.minTS {
		w.minTS = t
	}
	if w.records == 0 || t > w.maxTS {
		w.maxTS = t
	}
	w.records++
	if len(w.rawBuf)+len(w.attrBuf)+len(w.idxBuf) >= flushThreshold {
		return w.flush()
	}
	return nil
}

// flush writes buffered bytes: raw and attr first, idx (the commit) last.
func (w *activeWriter) flush() error {
	for _, p := range []struct {
		f   *os.File
		buf *[]byte
	}{{w.raw, &w.rawBuf}, {w.attr, &w.attrBuf}, {w.idx, &w.idxBuf}} {
		if len(*p.buf) == 0 {
			continue
		}
		if _, err := p.f.Write(*p.buf); err != nil {
			return fmt.Errorf("write active chunk %s: %w", w.id, err)
		}
		*p.buf = (*p.buf)[:0]
	}
	return nil
}

// sync flushes and fsyncs the data files before idx.log.
func (w *activeWriter) sync() error {
	if err := w.flush(); err != nil {
		return err
	}
	for _, f := range []*os.File{w.raw, w.attr, w.idx} {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync active chunk %s: %w", w.id, err)
		}
	}
	return nil
}

func (w *activeWriter) closeFiles() error {
	var errs []error
	for _, f := range []*os.File{w.raw, w.attr, w.idx} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	return errors.Join(errs...)
}

func (w *activeWriter) close() error {
	return errors.Join(w.sync(), w.closeFiles())
}

// state describes the written records for sealing, without reading idx.log.
func (w *activeWriter) state() *activeState {
	return &activeState{id: w.id, dir: w.dir, pages: w.entries, rawSize: w.rawSize, attrSize: w.attrSize,
		minTS: w.minTS, maxTS: w.maxTS}
}

func (w *activeWriter) meta() chunk.ChunkMeta {
	m := chunk.ChunkMeta{ID: w.id, Records: w.records,
		RawBytes: w.rawSize - HeaderSize, StoredBytes: w.rawSize + w.attrSize + HeaderSize + w.records*IdxEntrySize}
	if w.records > 0 {
		m.MinTS, m.MaxTS = decTime(w.minTS), decTime(w.maxTS)
	}
	return m
}

// activeState is what reading an active chunk found: the committed entries
// and the sizes of the logs they cover.
type activeState struct {
	id      chunk.ChunkID
	dir     string
	entries []idxEntry
	// pages, when set instead of entries, holds them in pages (a writer's
	// own records, handed over without copying).
	pages             [][]idxEntry
	rawSize, attrSize uint64
	minTS, maxTS      int64
	// Truncated is set when a partial or damaged tail was found.
	truncated string
}

func (st *activeState) meta() chunk.ChunkMeta {
	m := chunk.ChunkMeta{ID: st.id, Records: uint64(len(st.entries)),
		RawBytes: st.rawSize - HeaderSize, StoredBytes: st.rawSize + st.attrSize + HeaderSize + uint64(len(st.entries))*IdxEntrySize}
	if len(st.entries) > 0 {
		m.MinTS, m.MaxTS = decTime(st.minTS), decTime(st.maxTS)
	}
	return m
}

// readActive reads the committed entries of an active chunk. With verify
// set it checks every entry's checksum against the raw and attribute bytes
// and stops at the first bad one; otherwise it stops only where the
// structure ends (entries pointing past the data files). Either way the
// result holds only complete records.
func readActive(dir string, id chunk.ChunkID, verify bool) (*activeState, error) {
	st := &activeState{id: id, dir: dir, rawSize: HeaderSize, attrSize: HeaderSize}
	idxPath := filepath.Join(dir, IdxLogName)
	idx, err := os.ReadFile(idxPath)
	if err != nil {
		return nil, fmt.Errorf("read active chunk %s: %w", id, err)
	}
	if err := checkHeader(idx, TypeIdx, VersionActive, idxPath); err != nil {
		return nil, err
	}
	raw, err := os.Open(filepath.Join(dir, RawLogName))
	if err != nil {
		return nil, fmt.Errorf("read active chunk %s: %w", id, err)
	}
	defer raw.Close()
	attr, err := os.Open(filepath.Join(dir, AttrLogName))
	if err != nil {
		return nil, fmt.Errorf("read active chunk %s: %w", id, err)
	}
	defer attr.Close()
	var hdr [HeaderSize]byte
	for _, f := range []struct {
		f   *os.File
		typ byte
	}{{raw, TypeRaw}, {attr, TypeAttr}} {
		if _, err := f.f.ReadAt(hdr[:], 0); err != nil {
			return nil, &CorruptError{Path: f.f.Name(), Section: "header", Reason: err.Error()}
		}
		if err := checkHeader(hdr[:], f.typ, VersionActive, f.f.Name()); err != nil {
			return nil, err
		}
	}
	rawFI, err := raw.Stat()
	if err != nil {
		return nil, err
	}
	attrFI, err := attr.Stat()
	if err != nil {
		return nil, err
	}
	body := idx[HeaderSize:]
	if rem := len(body) % IdxEntrySize; rem != 0 {
		st.truncated = fmt.Sprintf("idx.log ends in a partial entry of %d bytes", rem)
		body = body[:len(body)-rem]
	}
	n := len(body) / IdxEntrySize
	st.entries = make([]idxEntry, 0, n)
	var rbuf, abuf []byte
	for i := range n {
		eb := body[i*IdxEntrySize : (i+1)*IdxEntrySize]
		e := getIdxEntry(eb)
		off := int64(HeaderSize + i*IdxEntrySize)
		if e.rawOff != st.rawSize || e.rawOff+uint64(e.rawLen) > uint64(rawFI.Size()) ||
			e.attrOff < HeaderSize || e.attrOff+uint64(e.attrLen) > uint64(attrFI.Size()) || e.attrOff > st.attrSize {
			st.truncated = fmt.Sprintf("idx.log entry %d at offset %d points past the data files", i, off)
			break
		}
		if verify {
			rbuf = slices.Grow(rbuf[:0], int(e.rawLen))[:e.rawLen]
			abuf = slices.Grow(abuf[:0], int(e.attrLen))[:e.attrLen]
			_, rerr := raw.ReadAt(rbuf, int64(e.rawOff))
			_, aerr := attr.ReadAt(abuf, int64(e.attrOff))
			if rerr != nil || aerr != nil || entrySum(eb, rbuf, abuf) != e.sum {
				st.truncated = fmt.Sprintf("idx.log entry %d at offset %d fails its checksum", i, off)
				break
			}
		}
		st.entries = append(st.entries, e)
		st.rawSize = e.rawOff + uint64(e.rawLen)
		st.attrSize = max(st.attrSize, e.attrOff+uint64(e.attrLen))
		t := e.time()
		if i == 0 || t < st.minTS {
			st.minTS = t
		}
		if i == 0 || t > st.maxTS {
			st.maxTS = t
		}
	}
	return st, nil
}

// recoverActive verifies an active chunk and truncates its logs to the
// last complete record, so nothing half-written is ever read.
func recoverActive(dir string, id chunk.ChunkID) (*activeState, error) {
	st, err := readActive(dir, id, true)
	if err != nil {
		return nil, err
	}
	sizes := []struct {
		name string
		size int64
	}{
		{RawLogName, int64(st.rawSize)},
		{AttrLogName, int64(st.attrSize)},
		{IdxLogName, int64(HeaderSize + len(st.entries)*IdxEntrySize)},
	}
	for _, s := range sizes {
		p := filepath.Join(dir, s.name)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if fi.Size() == s.size {
			continue
		}
		if st.truncated == "" {
			st.truncated = fmt.Sprintf("%s has %d bytes past the last record", s.name, fi.Size()-s.size)
		}
		if err := os.Truncate(p, s.size); err != nil {
			return nil, fmt.Errorf("recover active chunk %s: %w", id, err)
		}
	}
	return st, nil
}

// sortedOrder returns the entries' indexes in record time order, ties in
// append order.
func sortedOrder(entries []idxEntry) []uint32 {
	return sortedOrderOf(len(entries), func(i uint32) int64 { return entries[i].time() })
}

// sortedOrderOf returns 0..n-1 in the order of time, ties in append order.
func sortedOrderOf(n int, time func(uint32) int64) []uint32 {
	order := make([]uint32, n)
	sorted := true
	var prev int64
	for i := range order {
		order[i] = uint32(i)
		t := time(uint32(i))
		if i > 0 && t < prev {
			sorted = false
		}
		prev = t
	}
	if !sorted {
		slices.SortStableFunc(order, func(a, b uint32) int { return cmpInt64(time(a), time(b)) })
	}
	return order
}

// count is the number of records in the state.
func (st *activeState) count() int {
	if st.pages == nil {
		return len(st.entries)
	}
	n := 0
	for _, p := range st.pages {
		n += len(p)
	}
	return n
}

// at returns entry i. Pages are entryPage long, except the last (and the
// first, for a reopened writer, which then has a single page so far).
func (st *activeState) at(i uint32) *idxEntry {
	if st.pages == nil {
		return &st.entries[i]
	}
	if first := uint32(len(st.pages[0])); i < first {
		return &st.pages[0][i]
	} else {
		i -= first
		return &st.pages[1+i/entryPage][i%entryPage]
	}
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
