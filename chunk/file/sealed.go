package file

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"

	"glarc/chunk"
)

// sealActive turns the active chunk in srcDir into a sealed chunk at
// dstDir: records sorted by time, encoded in blocks of about blockBytes of
// raw text, each block a zstd frame. It writes into dstDir+".tmp", fsyncs
// the file and the directory, renames it into place and fsyncs the parent.
// The active files are not touched; the caller removes them afterwards.
// The entries' checksums are not checked again: they were computed by this
// process when appending, or verified when the chunk was recovered.
func sealActive(st *activeState, dstDir string, blockBytes int, enc encoders) (meta chunk.ChunkMeta, err error) {
	raw, err := os.Open(filepath.Join(st.dir, RawLogName))
	if err != nil {
		return meta, err
	}
	defer raw.Close()
	attr, err := os.Open(filepath.Join(st.dir, AttrLogName))
	if err != nil {
		return meta, err
	}
	defer attr.Close()
	attrMap, err := mapFile(attr)
	if err != nil {
		return meta, err
	}
	defer unmap(attrMap)
	if fi, err := raw.Stat(); err != nil || uint64(fi.Size()) < st.rawSize || uint64(len(attrMap)) < st.attrSize {
		return meta, &CorruptError{Path: st.dir, Section: "active logs", Reason: "shorter than their committed entries"}
	}
	in := &activeInput{st: st, raw: &windowReader{f: raw}, attrMap: attrMap}
	return writeSealed(in, sealChunk{id: st.id, minTS: st.minTS, maxTS: st.maxTS, rawBytes: st.rawSize - HeaderSize},
		dstDir, blockBytes, enc)
}

func (t *trailer) meta(fileSize uint64) chunk.ChunkMeta {
	m := chunk.ChunkMeta{ID: t.id, Sealed: true, Records: t.records, RawBytes: t.rawBytes,
		StoredBytes: fileSize, Blocks: int(t.blocks)}
	if t.records > 0 {
		m.MinTS, m.MaxTS = decTime(t.minTS), decTime(t.maxTS)
	}
	return m
}

// readSealedMeta reads only the trailer of a sealed chunk.
func readSealedMeta(path string) (chunk.ChunkMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return chunk.ChunkMeta{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return chunk.ChunkMeta{}, err
	}
	size := fi.Size()
	if size < HeaderSize+TrailerSize {
		return chunk.ChunkMeta{}, &CorruptError{Path: path, Section: "trailer", Reason: fmt.Sprintf("file is %d bytes, too short", size)}
	}
	var hb [HeaderSize]byte
	if _, err := f.ReadAt(hb[:], 0); err != nil {
		return chunk.ChunkMeta{}, err
	}
	if err := checkSealedHeader(hb[:], path); err != nil {
		return chunk.ChunkMeta{}, err
	}
	var tb [TrailerSize]byte
	if _, err := f.ReadAt(tb[:], size-TrailerSize); err != nil {
		return chunk.ChunkMeta{}, err
	}
	t, err := getTrailer(tb[:], path, size-TrailerSize)
	if err != nil {
		return chunk.ChunkMeta{}, err
	}
	return t.meta(uint64(size)), nil
}

// sealedReader is an open sealed chunk. A reader opened by openSealed
// reads the file with pread into memory it takes from a free list and
// gives back at close (the block index, the compressed block being
// decoded): on the VMs glarc is measured on, a fault on a mapped page of
// the file costs about 20 µs, and a pread of the same 64 KiB about 1.5 µs.
// Verify hands a mapped file in data instead.
type sealedReader struct {
	path   string
	f      *os.File // nil when data holds the file
	data   []byte   // the whole file, mapped (verify); nil when read through f
	bufs   *readerBufs
	pool   *freeList[*readerBufs]
	tr     trailer
	blocks []blockEntry
	starts []uint64 // first position of each block
	// dec decodes the meta frames, and the text frames of a chunk
	// without a dictionary; textDec, the reader's own while it is open
	// (taken from texts, if not nil), decodes the text frames with the
	// chunk's dictionary, which is decoded (from dictStored) when the
	// first block is read.
	dec        *zstd.Decoder
	texts      *textDecoders
	textDec    *dictDecoder
	dictStored []byte
	dictLen    uint32
}

// readerBufs is the memory a sealed reader reads into: the block index as
// stored and decoded, and the compressed block being decoded.
type readerBufs struct {
	index  []byte
	blocks []blockEntry
	comp   []byte
	mem    arenaUser // gives index and comp
}

// dictDecoder decodes text frames with one chunk's dictionary, held in
// dict.
type dictDecoder struct {
	dec  *zstd.Decoder
	dict []byte
}

// maxTextDecoders bounds the dictionary decoders a manager keeps.
const maxTextDecoders = 4

// textDecoders keeps the dictionary decoders of closed readers for the
// next ones: a new zstd decoder, and the buffers it allocates on first
// use, cost more than decoding a block or two, which is all a selective
// query reads of most chunks.
type textDecoders struct {
	mu   sync.Mutex
	free []*dictDecoder
}

// get returns a decoder for the dictionary stored (zstd-compressed, of n
// bytes decoded) in a chunk, decoding it with dec. A nil p makes a new one.
func (p *textDecoders) get(dec *zstd.Decoder, stored []byte, n uint32) (*dictDecoder, error) {
	var d *dictDecoder
	if p != nil {
		p.mu.Lock()
		if k := len(p.free); k > 0 {
			d, p.free[k-1] = p.free[k-1], nil
			p.free = p.free[:k-1]
		}
		p.mu.Unlock()
	}
	if d == nil {
		d = &dictDecoder{}
	}
	dict, err := decodeDict(dec, stored, n, d.dict)
	if err != nil {
		p.put(d)
		return nil, err
	}
	d.dict = dict
	id := dictID(dict)
	if d.dec == nil {
		d.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxBlockPayload),
			zstd.WithDecoderDictRaw(id, dict))
	} else {
		// The previous chunk's dictionary goes: a frame naming it must
		// fail here, not decode with it.
		err = d.dec.ResetWithOptions(nil, zstd.WithDecoderDictDelete(), zstd.WithDecoderDictRaw(id, dict))
	}
	if err != nil {
		p.put(d)
		return nil, err
	}
	return d, nil
}

// close closes the decoders kept.
func (p *textDecoders) close() {
	p.mu.Lock()
	free := p.free
	p.free = nil
	p.mu.Unlock()
	for _, d := range free {
		d.dec.Close()
	}
}

// put keeps d for a later get, or closes it. A nil p closes it.
func (p *textDecoders) put(d *dictDecoder) {
	if d == nil || d.dec == nil {
		return
	}
	if p != nil {
		p.mu.Lock()
		if len(p.free) < maxTextDecoders {
			p.free = append(p.free, d)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	d.dec.Close()
}

// openSealed opens a sealed chunk and checks its structure (see
// parseSealed), reading it into memory taken from pool (nil: fresh
// memory). The reader keeps the file open until close.
func openSealed(path string, dec *zstd.Decoder, texts *textDecoders, pool *freeList[*readerBufs], a *arena) (*sealedReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	bufs := pool.Get()
	if bufs == nil {
		bufs = &readerBufs{mem: arenaUser{a: a}}
	}
	r, err := parseSealed(path, f, bufs, dec)
	if err != nil {
		f.Close()
		bufs.put(pool)
		return nil, err
	}
	r.texts, r.pool = texts, pool
	return r, nil
}

// parseSealed checks the structure of the sealed chunk in f: header,
// trailer and block index checksums, the dictionary section, and that
// every block lies inside the file and the counts add up. It reads the
// header and dictionary section, the trailer and the block index, nothing
// else; blocks are checked when read.
func parseSealed(path string, f *os.File, bufs *readerBufs, dec *zstd.Decoder) (*sealedReader, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size < HeaderSize+TrailerSize {
		return nil, &CorruptError{Path: path, Section: "trailer", Reason: fmt.Sprintf("file is %d bytes, too short", size)}
	}
	var head [HeaderSize + DictSectionSize]byte // fits: size >= HeaderSize+TrailerSize
	h := head[:]
	if err := readFull(f, h, 0); err != nil {
		return nil, err
	}
	if err := checkSealedHeader(h, path); err != nil {
		return nil, err
	}
	if h[3] != FlagComplete {
		return nil, &CorruptError{Path: path, Section: "header", Offset: 3, Reason: fmt.Sprintf("flags %#x, want %#x (complete)", h[3], FlagComplete)}
	}
	trOff := size - TrailerSize
	var tb [TrailerSize]byte
	if err := readFull(f, tb[:], trOff); err != nil {
		return nil, err
	}
	tr, err := getTrailer(tb[:], path, trOff)
	if err != nil {
		return nil, err
	}
	idxLen := uint64(tr.blocks) * BlockEntrySize
	if tr.indexOff < HeaderSize || tr.indexOff > uint64(trOff) || uint64(trOff)-tr.indexOff != idxLen {
		return nil, &CorruptError{Path: path, Section: "trailer", Offset: trOff, Reason: fmt.Sprintf("block index at %d for %d blocks does not fit", tr.indexOff, tr.blocks)}
	}
	if uint64(cap(bufs.index)) < idxLen {
		bufs.index = bufs.mem.alloc(idxLen)
	}
	bufs.index = bufs.index[:idxLen]
	index := bufs.index
	if err := readFull(f, index, int64(tr.indexOff)); err != nil {
		return nil, err
	}
	if got := crc(index); got != tr.indexCRC {
		return nil, &CorruptError{Path: path, Section: "block index", Offset: int64(tr.indexOff), Reason: fmt.Sprintf("checksum %08x, stored %08x", got, tr.indexCRC)}
	}
	// The dictionary section: its fixed part is in head (a version 1
	// chunk has none); a stored dictionary is read whole.
	sect := h
	if h[2] != VersionSealedV1 && tr.indexOff >= uint64(len(head)) {
		if n := uint64(binary.LittleEndian.Uint32(h[HeaderSize:])); n > 0 && n <= tr.indexOff-uint64(len(head)) {
			sect = make([]byte, uint64(len(head))+n)
			if err := readFull(f, sect, 0); err != nil {
				return nil, err
			}
		}
	}
	dictStored, dictLen, blocksOff, err := dictSection(sect, tr.indexOff, path)
	if err != nil {
		return nil, err
	}
	r := &sealedReader{path: path, f: f, bufs: bufs, tr: tr, dec: dec, dictStored: dictStored, dictLen: dictLen,
		blocks: resizeIn(&bufs.mem, bufs.blocks, uint64(tr.blocks)), starts: make([]uint64, tr.blocks)}
	bufs.blocks = r.blocks
	next, pos := blocksOff, uint64(0)
	for i := range r.blocks {
		e := getBlockEntry(index[i*BlockEntrySize:])
		if e.off != next || e.off+uint64(e.clen) > tr.indexOff || e.records == 0 {
			return nil, &CorruptError{Path: path, Section: "block index", Offset: int64(tr.indexOff) + int64(i)*BlockEntrySize, Reason: fmt.Sprintf("block %d at %d+%d is out of place", i, e.off, e.clen)}
		}
		r.blocks[i] = e
		r.starts[i] = pos
		next = e.off + uint64(e.clen)
		pos += uint64(e.records)
	}
	if next != tr.indexOff || pos != tr.records {
		return nil, &CorruptError{Path: path, Section: "block index", Offset: int64(tr.indexOff), Reason: fmt.Sprintf("blocks hold %d records in %d bytes, trailer says %d records", pos, next, tr.records)}
	}
	return r, nil
}

// readFull reads len(b) bytes of f at off; a file that ends sooner is
// corrupt (it was shorter than its trailer or index says).
func readFull(f *os.File, b []byte, off int64) error {
	n, err := f.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return &CorruptError{Path: f.Name(), Section: "file", Offset: off, Reason: fmt.Sprintf("ends %d bytes into a %d-byte read", n, len(b))}
	}
	return fmt.Errorf("read %s at %d: %w", f.Name(), off, err)
}

// compressed returns the stored bytes of block e: a slice of the mapped
// file, or read into the reader's buffer (valid until the next call).
func (r *sealedReader) compressed(e *blockEntry) ([]byte, error) {
	if r.data != nil {
		return r.data[e.off : e.off+uint64(e.clen)], nil
	}
	// e lies inside the file (parseSealed), so its length is bounded.
	if uint64(cap(r.bufs.comp)) < uint64(e.clen) {
		r.bufs.comp = r.bufs.mem.alloc(roomFor(uint64(e.clen)))
	}
	comp := r.bufs.comp[:e.clen]
	if err := readFull(r.f, comp, int64(e.off)); err != nil {
		return nil, err
	}
	return comp, nil
}

// textDecoder returns the decoder of the chunk's text frames, decoding
// the dictionary the first time.
func (r *sealedReader) textDecoder() (*zstd.Decoder, error) {
	if r.dictStored == nil {
		return r.dec, nil
	}
	if r.textDec == nil {
		d, err := r.texts.get(r.dec, r.dictStored, r.dictLen)
		if err != nil {
			return nil, &CorruptError{Path: r.path, Section: "dictionary", Offset: HeaderSize, Reason: err.Error()}
		}
		r.textDec = d
	}
	return r.textDec.dec, nil
}

// block decodes block i, verifying its checksum first.
func (r *sealedReader) block(i int) (*decodedBlock, error) { return r.blockInto(i, nil) }

// blockInto is block decoding into the memory of spare, if not nil (spare
// and everything read from it is invalid then).
func (r *sealedReader) blockInto(i int, spare *decodedBlock) (*decodedBlock, error) {
	e := &r.blocks[i]
	comp, err := r.compressed(e)
	if err != nil {
		return nil, err
	}
	if got := crc(comp); got != e.sum {
		return nil, &CorruptError{Path: r.path, Section: fmt.Sprintf("block %d", i), Offset: int64(e.off), Reason: fmt.Sprintf("checksum %08x, stored %08x", got, e.sum)}
	}
	textDec, err := r.textDecoder()
	if err != nil {
		return nil, err
	}
	d, err := decodeBlock(r.dec, textDec, comp, e, spare)
	if err != nil {
		return nil, &CorruptError{Path: r.path, Section: fmt.Sprintf("block %d", i), Offset: int64(e.off), Reason: err.Error()}
	}
	return d, nil
}

// decodeBlock decompresses (the meta frame with dec, the text frame with
// textDec) and decodes a block whose checksum was checked, into the memory
// of spare if it is not nil.
func decodeBlock(dec, textDec *zstd.Decoder, comp []byte, e *blockEntry, spare *decodedBlock) (*decodedBlock, error) {
	var metaBuf, textBuf []byte
	alloc := func(n uint64) []byte { return make([]byte, 0, n) }
	if spare != nil {
		metaBuf, textBuf, alloc = spare.meta, spare.raw, spare.mem.alloc
	}
	if e.ulen > maxBlockPayload || e.metaULen > maxBlockPayload {
		return nil, fmt.Errorf("decoded sizes %d+%d exceed the limit %d", e.metaULen, e.ulen, maxBlockPayload)
	}
	if uint64(e.metaCLen) > uint64(len(comp)) {
		return nil, fmt.Errorf("meta frame of %d bytes exceeds the %d byte block", e.metaCLen, len(comp))
	}
	if uint64(cap(metaBuf)) < uint64(e.metaULen) {
		metaBuf = alloc(roomFor(uint64(e.metaULen)))
	}
	metaB, err := dec.DecodeAll(comp[:e.metaCLen], metaBuf[:0])
	if err == nil && len(metaB) != int(e.metaULen) {
		err = fmt.Errorf("meta frame decoded to %d bytes, index says %d", len(metaB), e.metaULen)
	}
	if err != nil {
		return nil, fmt.Errorf("meta frame: %w", err)
	}
	if uint64(cap(textBuf)) < uint64(e.ulen) {
		textBuf = alloc(roomFor(uint64(e.ulen)))
	}
	text, err := textDec.DecodeAll(comp[e.metaCLen:], textBuf[:0])
	if err == nil && len(text) != int(e.ulen) {
		err = fmt.Errorf("text frame decoded to %d bytes, index says %d", len(text), e.ulen)
	}
	if err != nil {
		return nil, fmt.Errorf("text frame: %w", err)
	}
	d, err := decodeBlockFrames(metaB, text, int(e.records), spare)
	if d != nil {
		d.meta = metaB
	}
	return d, err
}

// encoderWindow is the zstd window of the block encoders.
const encoderWindow = 2 << 20

// sealWorkers is how many goroutines compress the blocks of one seal.
const sealWorkers = 2

// blockJob is one block on its way through the seal pipeline.
type blockJob struct {
	meta, text   []byte
	records      uint32
	minTS, maxTS int64
	done         chan struct{} // closed when comp is ready
	comp         []byte        // meta frame then text frame
	metaCLen     int
}

// encoders compress the two frames of a block.
type encoders struct {
	meta, text *zstd.Encoder
	bufs       *sealBufs // block buffers shared by the seals
	// dict gives each sealed chunk a text dictionary (Options.Dictionary).
	dict bool
}

// Compression levels: both frames at the default level (a better level
// for the meta frame cost a quarter of the seal's CPU and saved nothing),
// without zstd's frame checksum: the block index holds a CRC-32C of both
// frames, checked before decoding.
func newEncoders() (encoders, error) {
	opts := encoderOptions()
	meta, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		return encoders{}, err
	}
	text, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		meta.Close()
		return encoders{}, err
	}
	return encoders{meta: meta, text: text, bufs: newSealBufs()}, nil
}

func encoderOptions() []zstd.EOption {
	// A block is compressed on its own: a window past its size holds
	// memory (about 8 MiB an encoder by default) and finds nothing.
	return []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderCRC(false),
		zstd.WithEncoderConcurrency(sealWorkers), zstd.WithWindowSize(encoderWindow)}
}

// newTextEncoder returns an encoder for the text frames of one chunk with
// the dictionary dict (raw content: zstd starts each frame with it as
// history).
func newTextEncoder(dict []byte) (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, append(encoderOptions(), zstd.WithEncoderDictRaw(dictID(dict), dict))...)
}

func (e encoders) close() {
	if e.meta != nil {
		e.meta.Close()
		e.text.Close()
	}
}

// close releases the reader: its memory goes back to the free list (the
// blocks it decoded hold none of it).
func (r *sealedReader) close() error {
	r.texts.put(r.textDec)
	r.textDec = nil
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	r.bufs.put(r.pool)
	r.bufs, r.blocks = nil, nil
	return err
}

// put gives b back to pool, or drops it.
func (b *readerBufs) put(pool *freeList[*readerBufs]) {
	if !pool.Put(b) {
		b.mem.release()
	}
}

// blockOf returns the block holding position pos.
func (r *sealedReader) blockOf(pos uint64) int {
	lo, hi := 0, len(r.starts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r.starts[m] <= pos {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

func newDecoder() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxBlockPayload), zstd.WithDecoderLowmem(false))
}

// windowReadSize is how much of raw.log a seal reads at a time.
const windowReadSize = 4 << 20

// windowReader reads records of raw.log in (mostly) file order through a
// bounded window, so sealing a chunk holds a few MiB of it, not all of it.
// A record behind the window (time order differs from append order) is
// read on its own.
type windowReader struct {
	f       *os.File
	buf     []byte
	start   uint64 // file offset of buf[0]
	scratch []byte
}

// read returns bytes [off, off+n) of the file; valid until the next call.
func (w *windowReader) read(off uint64, n uint32) ([]byte, error) {
	end := off + uint64(n)
	if off >= w.start && end <= w.start+uint64(len(w.buf)) {
		return w.buf[off-w.start : end-w.start], nil
	}
	if off < w.start || n > windowReadSize/2 {
		w.scratch = slices.Grow(w.scratch[:0], int(n))[:n]
		if _, err := w.f.ReadAt(w.scratch, int64(off)); err != nil {
			return nil, fmt.Errorf("read %s at %d: %w", w.f.Name(), off, err)
		}
		return w.scratch, nil
	}
	if w.buf == nil {
		w.buf = make([]byte, windowReadSize)
	}
	w.buf = w.buf[:cap(w.buf)]
	m, err := w.f.ReadAt(w.buf, int64(off))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s at %d: %w", w.f.Name(), off, err)
	}
	w.buf, w.start = w.buf[:m], off
	if uint64(m) < uint64(n) {
		return nil, fmt.Errorf("read %s at %d: %w", w.f.Name(), off, io.ErrUnexpectedEOF)
	}
	return w.buf[:n], nil
}
