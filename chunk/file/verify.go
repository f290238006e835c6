package file

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"glarc/chunk"
)

// Problem is one thing Verify found wrong (or, with Pending set, worth
// saying) in a data directory.
type Problem struct {
	// Chunk is the chunk the problem belongs to (zero for the directory).
	Chunk chunk.ChunkID
	// Path is the file or directory, joined to the data directory as given.
	Path string
	// Section names the part of the file: "header", "trailer", "block
	// index", "block 3", "idx.log entry", "tail", "file".
	Section string
	// Offset is the byte offset in Path, -1 when it does not apply.
	Offset int64
	// Reason says what is wrong.
	Reason string
	// Pending marks what a running or crashed writer legitimately leaves
	// behind (an uncommitted tail, an unfinished seal): the next writer
	// removes it, and it is not damage.
	Pending bool
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Chunk != (chunk.ChunkID{}) {
		fmt.Fprintf(&b, "chunk %s: ", p.Chunk)
	}
	b.WriteString(p.Path)
	if p.Section != "" {
		b.WriteString(": ")
		b.WriteString(p.Section)
	}
	if p.Offset >= 0 {
		fmt.Fprintf(&b, " at offset %d", p.Offset)
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// VerifyStats counts what Verify checked.
type VerifyStats struct {
	Sealed, Active int    // chunks checked
	Records        uint64 // records whose checksums passed
	Blocks         uint64 // sealed blocks decompressed and decoded
	Bytes          int64  // bytes of chunk files read
	Problems       int    // problems reported, Pending ones excluded
}

// Chunks is the number of chunks checked.
func (s VerifyStats) Chunks() int { return s.Sealed + s.Active }

// maxProblemsPerFile bounds what one badly damaged file reports; the rest
// of that file is not checked.
const maxProblemsPerFile = 20

// Verify checks every chunk in the data directory dir, without taking the
// writer lock and without changing anything: every sealed chunk's header,
// trailer, block index and blocks (checksum, decompression, decoding, and
// that counts, sizes and time ranges agree with the trailer and index), and
// every active chunk's headers and idx.log entries (structure and the
// checksum over each record's raw and attribute bytes). It calls fn for
// each problem and keeps going; the error is only for a data directory that
// cannot be listed, or ctx ending (checked between chunks).
//
// Index files in sealed chunk directories are not checked here (they belong
// to the index packages).
func Verify(ctx context.Context, dir string, fn func(Problem)) (VerifyStats, error) {
	var st VerifyStats
	report := func(p Problem) {
		if !p.Pending {
			st.Problems++
		}
		fn(p)
	}
	if _, err := os.Stat(dir); err != nil {
		return st, fmt.Errorf("verify: %w", err)
	}
	dec, err := newDecoder()
	if err != nil {
		return st, err
	}
	defer dec.Close()
	sealed, err := listChunkDirs(dir, SealedDirName, report)
	if err != nil {
		return st, err
	}
	active, err := listChunkDirs(dir, ActiveDirName, report)
	if err != nil {
		return st, err
	}
	isSealed := make(map[chunk.ChunkID]bool, len(sealed))
	for _, id := range sealed {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		isSealed[id] = true
		VerifySealed(filepath.Join(dir, SealedDirName, id.String(), SealedName), id, &st, report)
		st.Sealed++
	}
	writer := writerMayBeActive(dir)
	for _, id := range active {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		adir := filepath.Join(dir, ActiveDirName, id.String())
		if isSealed[id] {
			report(Problem{Chunk: id, Path: adir, Offset: -1, Pending: true,
				Reason: "active copy of a sealed chunk (sealing was interrupted; the next writer removes it)"})
			continue
		}
		VerifyActive(adir, id, writer, &st, report)
		st.Active++
	}
	return st, nil
}

// listChunkDirs returns the chunk IDs under dir/sub in ID order, reporting
// unfinished seals and stray entries.
func listChunkDirs(dir, sub string, report func(Problem)) ([]chunk.ChunkID, error) {
	ents, err := os.ReadDir(filepath.Join(dir, sub))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	var ids []chunk.ChunkID
	for _, e := range ents {
		name := e.Name()
		path := filepath.Join(dir, sub, name)
		if strings.HasSuffix(name, tmpSuffix) {
			report(Problem{Path: path, Offset: -1, Pending: true,
				Reason: "unfinished chunk (a writer is creating or sealing it, or was interrupted; the next writer removes it)"})
			continue
		}
		id, err := chunk.ParseID(name)
		if err != nil || !e.IsDir() {
			continue // not ours
		}
		ids = append(ids, id)
	}
	// os.ReadDir sorts by name, and IDs sort as their names.
	return ids, nil
}

// writerMayBeActive reports whether the lock file names a holder: a writer
// is running or was killed. Release empties the file, so after a clean exit
// it is empty. An uncommitted tail is then expected, not damage.
func writerMayBeActive(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, LockName))
	return err == nil && fi.Size() > 0
}

// fileReporter reports the problems of one file and stops counting at
// maxProblemsPerFile.
type fileReporter struct {
	id     chunk.ChunkID
	path   string
	report func(Problem)
	n      int
}

// add reports a problem; it returns false once the file has too many and
// checking it should stop.
func (r *fileReporter) add(section string, off int64, format string, args ...any) bool {
	r.n++
	if r.n > maxProblemsPerFile {
		return false
	}
	r.report(Problem{Chunk: r.id, Path: r.path, Section: section, Offset: off, Reason: fmt.Sprintf(format, args...)})
	if r.n == maxProblemsPerFile {
		r.report(Problem{Chunk: r.id, Path: r.path, Offset: -1,
			Reason: fmt.Sprintf("%d problems: the rest of this file is not checked", maxProblemsPerFile)})
		return false
	}
	return true
}

func (r *fileReporter) pending(section string, off int64, format string, args ...any) {
	r.report(Problem{Chunk: r.id, Path: r.path, Section: section, Offset: off, Pending: true, Reason: fmt.Sprintf(format, args...)})
}

func (r *fileReporter) corrupt(err error) {
	var ce *CorruptError
	if errors.As(err, &ce) {
		r.add(ce.Section, ce.Offset, "%s", ce.Reason)
		return
	}
	r.add("file", -1, "%v", err)
}

// VerifySealed checks one sealed chunk file completely: header, trailer,
// block index and every block. id is the chunk the file should hold. It
// adds what it read to st and reports each problem.
func VerifySealed(path string, id chunk.ChunkID, st *VerifyStats, report func(Problem)) {
	rep := &fileReporter{id: id, path: path, report: report}
	f, err := os.Open(path)
	if err != nil {
		rep.add("file", -1, "%v", err)
		return
	}
	data, err := mapFile(f)
	f.Close()
	if err != nil {
		rep.add("file", -1, "%v", err)
		return
	}
	defer unmap(data)
	st.Bytes += int64(len(data))
	dec, err := newDecoder()
	if err != nil {
		rep.add("file", -1, "%v", err)
		return
	}
	defer dec.Close()
	verifySealedData(rep, data, id, dec, st)
}

func verifySealedData(rep *fileReporter, data []byte, id chunk.ChunkID, dec *zstd.Decoder, st *VerifyStats) {
	size := int64(len(data))
	if size >= HeaderSize {
		if err := checkSealedHeader(data, rep.path); err != nil {
			rep.corrupt(err)
		} else if data[3] != FlagComplete {
			rep.add("header", 3, "flags %#x, want %#x (complete)", data[3], FlagComplete)
		}
	}
	if size < HeaderSize+TrailerSize {
		rep.add("trailer", 0, "file is %d bytes, shorter than header and trailer (%d)", size, HeaderSize+TrailerSize)
		return
	}
	trOff := size - TrailerSize
	tr, err := getTrailer(data[trOff:], rep.path, trOff)
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			rep.add(ce.Section, ce.Offset, "%s; without the trailer the blocks cannot be found and were not checked", ce.Reason)
		} else {
			rep.corrupt(err)
		}
		return
	}
	if tr.id != id {
		rep.add("trailer", trOff+trOffID, "holds chunk ID %s, the directory is %s", tr.id, id)
	}
	idxLen := uint64(tr.blocks) * BlockEntrySize
	if tr.indexOff < HeaderSize || tr.indexOff > uint64(trOff) || uint64(trOff)-tr.indexOff != idxLen {
		rep.add("trailer", trOff+trOffIndexOff, "block index at %d for %d blocks does not fit before the trailer at %d", tr.indexOff, tr.blocks, trOff)
		return
	}
	index := data[tr.indexOff:trOff]
	if got := crc(index); got != tr.indexCRC {
		if !rep.add("block index", int64(tr.indexOff), "checksum %08x, stored %08x", got, tr.indexCRC) {
			return
		}
	}
	// Blocks are decoded by the reader's own code, so verify follows the
	// format wherever the reader does.
	dictStored, dictLen, blocksOff, err := dictSection(data, tr.indexOff, rep.path)
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			rep.add(ce.Section, ce.Offset, "%s; without the dictionary the blocks cannot be decoded and were not checked", ce.Reason)
		} else {
			rep.corrupt(err)
		}
		return
	}
	r := &sealedReader{path: rep.path, data: data, tr: tr, dec: dec, dictStored: dictStored, dictLen: dictLen}
	if _, err := r.textDecoder(); err != nil {
		rep.corrupt(err)
		return
	}
	defer r.texts.put(r.textDec)
	var (
		next             = blocksOff
		records, rawSum  uint64
		minTS, maxTS     int64
		prevTS           int64
		blocksStructured = true
	)
	for i := range int(tr.blocks) {
		eOff := int64(tr.indexOff) + int64(i)*BlockEntrySize
		e := getBlockEntry(index[i*BlockEntrySize:])
		if e.off != next || e.off+uint64(e.clen) > tr.indexOff || e.records == 0 {
			rep.add("block index", eOff, "block %d at %d+%d is out of place (expected at %d, before %d)", i, e.off, e.clen, next, tr.indexOff)
			blocksStructured = false
			break
		}
		next = e.off + uint64(e.clen)
		r.blocks = append(r.blocks[:0], e)
		d, err := r.block(0)
		if err != nil {
			var ce *CorruptError
			if errors.As(err, &ce) {
				// block(0) names the block by its place in r.blocks.
				ce.Section = fmt.Sprintf("block %d", i)
			}
			records += uint64(e.records)
			if rep.corrupt(err); rep.n >= maxProblemsPerFile {
				return
			}
			continue
		}
		st.Blocks++
		var bmin, bmax int64
		for j := range d.len() {
			rec := d.record(j)
			t := encTime(rec.Time())
			if j == 0 || t < bmin {
				bmin = t
			}
			if j == 0 || t > bmax {
				bmax = t
			}
			if records+uint64(j) > 0 && t < prevTS {
				if !rep.add(fmt.Sprintf("block %d", i), int64(e.off), "record %d is older than the record before it (out of time order)", records+uint64(j)) {
					return
				}
			}
			prevTS = t
			rawSum += uint64(len(rec.Raw))
		}
		if bmin != e.minTS || bmax != e.maxTS {
			if !rep.add("block index", eOff, "block %d holds times [%d, %d], index says [%d, %d]", i, bmin, bmax, e.minTS, e.maxTS) {
				return
			}
		}
		if records == 0 || bmin < minTS {
			minTS = bmin
		}
		if records == 0 || bmax > maxTS {
			maxTS = bmax
		}
		records += uint64(d.len())
		st.Records += uint64(d.len())
	}
	if !blocksStructured {
		return
	}
	if next != tr.indexOff {
		rep.add("block index", int64(tr.indexOff), "blocks end at %d, the block index starts at %d", next, tr.indexOff)
	}
	if records != tr.records {
		rep.add("trailer", trOff+trOffRecords, "blocks hold %d records, trailer says %d", records, tr.records)
	}
	if rep.n > 0 {
		return // sums over damaged blocks mean nothing
	}
	if rawSum != tr.rawBytes {
		rep.add("trailer", trOff+trOffRawBytes, "records hold %d raw bytes, trailer says %d", rawSum, tr.rawBytes)
	}
	if records > 0 && (minTS != tr.minTS || maxTS != tr.maxTS) {
		rep.add("trailer", trOff+trOffMinTS, "records span [%d, %d], trailer says [%d, %d]", minTS, maxTS, tr.minTS, tr.maxTS)
	}
}

// VerifyActive checks one active chunk directory: the three headers, and
// every idx.log entry's structure and checksum over its raw and attribute
// bytes. writer says whether a writer may be running or have crashed; an
// uncommitted tail (a partial entry, bytes past the last record) is then
// reported as Pending rather than as damage.
func VerifyActive(dir string, id chunk.ChunkID, writer bool, st *VerifyStats, report func(Problem)) {
	idxPath := filepath.Join(dir, IdxLogName)
	files := make(map[string]*os.File, 3)
	sizes := make(map[string]int64, 3)
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	ok := true
	for _, h := range []struct {
		name string
		typ  byte
	}{{RawLogName, TypeRaw}, {AttrLogName, TypeAttr}, {IdxLogName, TypeIdx}} {
		path := filepath.Join(dir, h.name)
		rep := &fileReporter{id: id, path: path, report: report}
		f, err := os.Open(path)
		if err != nil {
			rep.add("file", -1, "%v", err)
			ok = false
			continue
		}
		files[h.name] = f
		fi, err := f.Stat()
		if err != nil {
			rep.add("file", -1, "%v", err)
			ok = false
			continue
		}
		sizes[h.name] = fi.Size()
		var hdr [HeaderSize]byte
		if _, err := f.ReadAt(hdr[:], 0); err != nil {
			rep.add("header", 0, "file is %d bytes, shorter than the header", fi.Size())
			ok = false
			continue
		}
		if err := checkHeader(hdr[:], h.typ, VersionActive, path); err != nil {
			rep.corrupt(err)
		} else if hdr[3] != 0 {
			rep.add("header", 3, "flags %#x, want 0 (active)", hdr[3])
		}
	}
	if !ok {
		return
	}
	raw, attr := files[RawLogName], files[AttrLogName]
	rawSize, attrSize, idxSize := sizes[RawLogName], sizes[AttrLogName], sizes[IdxLogName]
	st.Bytes += rawSize + attrSize + idxSize
	rep := &fileReporter{id: id, path: idxPath, report: report}
	tail := func(path string, off int64, format string, args ...any) {
		r := &fileReporter{id: id, path: path, report: report}
		if writer {
			r.pending("tail", off, format+" (uncommitted: a writer holds or held the lock; the next writer drops it)", args...)
		} else {
			r.add("tail", off, format, args...)
		}
	}
	br := bufio.NewReaderSize(io.NewSectionReader(files[IdxLogName], HeaderSize, idxSize-HeaderSize), 64<<10)
	var (
		eb         [IdxEntrySize]byte
		rbuf, abuf []byte
		rawEnd     = uint64(HeaderSize) // where the next record's raw bytes start
		attrEnd    = uint64(HeaderSize) // end of the attribute bytes referenced so far
		lastAttr   = attrLoc{off: ^uint64(0)}
		prevGood   = true // the entry before passed its checksum
		pastEnd    int64  // entries pointing past the data files
		firstPast  int64
		n          = (idxSize - HeaderSize) / IdxEntrySize
	)
	for i := range n {
		off := HeaderSize + i*IdxEntrySize
		if _, err := io.ReadFull(br, eb[:]); err != nil {
			rep.add("idx.log entry", off, "read: %v", err)
			return
		}
		e := getIdxEntry(eb[:])
		section := fmt.Sprintf("idx.log entry %d", i)
		good, stop := verifyActiveEntry(rep, section, off, eb[:], &e, raw, attr, rawSize, attrSize, &rbuf, &abuf, &lastAttr)
		if stop {
			return
		}
		switch {
		case good == entryPastEnd:
			if pastEnd == 0 {
				firstPast = i
			}
			pastEnd++
			rawEnd += uint64(e.rawLen)
			prevGood = false
		case good == entryGood && pastEnd > 0:
			// Entries pointing past the data files followed by an intact
			// one: those entries are damaged, the files were not cut.
			if !rep.add(fmt.Sprintf("idx.log entry %d", firstPast), HeaderSize+firstPast*IdxEntrySize,
				"%s from here on point past the end of %s or %s (%d and %d bytes), but entry %d after them is intact: the index entries are damaged",
				plural(pastEnd, "entry", "entries"), RawLogName, AttrLogName, rawSize, attrSize, i) {
				return
			}
			pastEnd, prevGood = 0, false
			fallthrough
		case good == entryGood:
			if prevGood && e.rawOff != rawEnd {
				if !rep.add(section, off, "raw offset %d, the previous record ends at %d", e.rawOff, rawEnd) {
					return
				}
			}
			if prevGood && e.attrOff > attrEnd {
				if !rep.add(section, off, "attribute offset %d is past the attribute bytes written before it (%d)", e.attrOff, attrEnd) {
					return
				}
			}
			// Resynchronise on an intact entry.
			rawEnd = e.rawOff + uint64(e.rawLen)
			attrEnd = max(attrEnd, e.attrOff+uint64(e.attrLen))
			prevGood = true
			st.Records++
		default:
			// Damaged: guess that its length is right, so an intact
			// successor lines up; if not, that successor resynchronises.
			rawEnd += uint64(e.rawLen)
			prevGood = false
		}
	}
	if pastEnd > 0 {
		// The writer writes raw.log and attr.log before idx.log: an entry
		// points past them only if they lost data (or a crash lost pages
		// that were never synced).
		tail(idxPath, HeaderSize+firstPast*IdxEntrySize, "%s from entry %d to the end point past the end of %s or %s (%d and %d bytes): the data files were cut short",
			plural(pastEnd, "entry", "entries"), firstPast, RawLogName, AttrLogName, rawSize, attrSize)
	}
	if rem := (idxSize - HeaderSize) % IdxEntrySize; rem != 0 {
		tail(idxPath, idxSize-rem, "idx.log ends in a partial entry of %d bytes", rem)
	}
	if rep.n > 0 || pastEnd > 0 {
		return // the ends of damaged entries are guesses
	}
	if uint64(rawSize) > rawEnd {
		tail(filepath.Join(dir, RawLogName), int64(rawEnd), "%d bytes past the last record", uint64(rawSize)-rawEnd)
	}
	if uint64(attrSize) > attrEnd {
		tail(filepath.Join(dir, AttrLogName), int64(attrEnd), "%d bytes past the last attribute set", uint64(attrSize)-attrEnd)
	}
}

// Outcomes of checking one idx.log entry.
const (
	entryGood = iota
	entryDamaged
	entryPastEnd
)

// verifyActiveEntry checks one idx.log entry against the data files. stop
// is set when the file has too many problems.
func verifyActiveEntry(rep *fileReporter, section string, off int64, eb []byte, e *idxEntry, raw, attr *os.File,
	rawSize, attrSize int64, rbuf, abuf *[]byte, lastAttr *attrLoc) (outcome int, stop bool) {
	damaged := func(format string, args ...any) (int, bool) {
		return entryDamaged, !rep.add(section, off, format, args...)
	}
	if r := binary.LittleEndian.Uint32(eb[idxOffReserved:]); r != 0 {
		return damaged("reserved field is %#x, want 0", r)
	}
	if e.rawOff < HeaderSize || e.attrOff < HeaderSize {
		return damaged("raw offset %d or attribute offset %d is inside the file header", e.rawOff, e.attrOff)
	}
	if e.rawOff+uint64(e.rawLen) > uint64(rawSize) || e.attrOff+uint64(e.attrLen) > uint64(attrSize) {
		return entryPastEnd, false
	}
	*rbuf = growTo(*rbuf, int(e.rawLen))
	*abuf = growTo(*abuf, int(e.attrLen))
	_, rerr := raw.ReadAt(*rbuf, int64(e.rawOff))
	_, aerr := attr.ReadAt(*abuf, int64(e.attrOff))
	if err := errors.Join(rerr, aerr); err != nil {
		return damaged("read: %v", err)
	}
	if got := entrySum(eb, *rbuf, *abuf); got != e.sum {
		return damaged("checksum %08x, stored %08x: the entry, its %d raw bytes (%s at %d) or its %d attribute bytes (%s at %d) are damaged",
			got, e.sum, e.rawLen, RawLogName, e.rawOff, e.attrLen, AttrLogName, e.attrOff)
	}
	if loc := (attrLoc{off: e.attrOff, n: e.attrLen}); loc != *lastAttr {
		if _, err := chunk.DecodeAttributes(*abuf); err != nil {
			return damaged("attributes (%s at %d): %v", AttrLogName, e.attrOff, err)
		}
		*lastAttr = loc
	}
	return entryGood, false
}

// plural formats a count with its noun: "1 entry", "3 entries".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func growTo(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
