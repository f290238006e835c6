package file

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"

	"glarc/chunk"
)

// sealInput is what a seal reads: one chunk's records in append order.
// An active chunk's logs on disk and a bulk writer's chunk in memory both
// provide one.
type sealInput interface {
	// count is the number of records.
	count() int
	// time is record i's time (SourceTS, or IngestTS where unknown).
	time(i uint32) int64
	// record returns record i; its slices are valid until the next call.
	// attrs is the chunk.Attributes encoding.
	record(i uint32) (src, ingest, wrte int64, attrs, raw []byte, err error)
	// attrError wraps the error of decoding record i's attribute set.
	attrError(i uint32, err error) error
	// read is called once every record has been read: the input is not
	// used after it.
	read()
}

// sealChunk is what the trailer says about the chunk besides its blocks.
type sealChunk struct {
	id           chunk.ChunkID
	minTS, maxTS int64
	rawBytes     uint64
}

// writeSealed writes the records of in as the sealed chunk dstDir: sorted
// by time, in blocks of about blockBytes of raw text, each block a meta
// frame and a text frame. It writes into dstDir+".tmp", fsyncs the file
// and the directory, renames it into place and fsyncs the parent.
func writeSealed(in sealInput, sc sealChunk, dstDir string, blockBytes int, enc encoders) (chunk.ChunkMeta, error) {
	sw, err := newSealWriter(dstDir, blockBytes, enc)
	if err != nil {
		return chunk.ChunkMeta{}, err
	}
	for _, i := range sortedOrderOf(in.count(), in.time) {
		src, ingest, wrte, attrB, rawB, err := in.record(i)
		if err == nil {
			err = sw.add(src, ingest, wrte, attrB, rawB)
			if errors.Is(err, errAttrs) {
				err = in.attrError(i, err)
			}
		}
		if err != nil {
			sw.abort()
			return chunk.ChunkMeta{}, err
		}
	}
	if err := sw.flush(); err != nil {
		sw.abort()
		return chunk.ChunkMeta{}, err
	}
	in.read()
	return sw.finish(sc)
}

// errAttrs marks an attribute set that does not decode.
var errAttrs = errors.New("bad attribute set")

// sealWriter writes one sealed chunk from records given in their final
// order. Blocks are built by the caller of add, compressed by sealWorkers
// goroutines and written in order by one more into dstDir+".tmp". Buffers
// go round through free, so a seal allocates a handful of them, not a few
// per block.
type sealWriter struct {
	dstDir, tmp string
	blockBytes  int
	f           *os.File
	w           *bufio.Writer
	bb          *blockBuilder
	records     uint64
	// Written by the writer goroutine; read after stop.
	off      uint64
	index    []byte
	blocks   uint32
	writeErr error

	jobs, order, free chan *blockJob
	workers, writer   sync.WaitGroup
	stopped           bool
	bufs              *sealBufs
	// text compresses the text frames: the chunk's own encoder (with its
	// dictionary, ownText) or the shared one. Set by the first flush,
	// before any job is handed over.
	text    *zstd.Encoder
	ownText bool
	// dict allows a dictionary (encoders.dict).
	dict    bool
	started bool
	shared  *zstd.Encoder
}

// sealBufs keeps block jobs and builders between seals, so their buffers
// (about a block each) are grown once per process, not once per chunk.
type sealBufs struct {
	jobs     chan *blockJob
	builders chan *blockBuilder
}

func newSealBufs() *sealBufs {
	return &sealBufs{jobs: make(chan *blockJob, 4*sealWorkers+2), builders: make(chan *blockBuilder, 2)}
}

func (b *sealBufs) builder() *blockBuilder {
	if b != nil {
		select {
		case bb := <-b.builders:
			return bb
		default:
		}
	}
	return newBlockBuilder()
}

// put keeps bb for the next seal, reset, unless enough are kept.
func (b *sealBufs) put(bb *blockBuilder) {
	if b == nil {
		return
	}
	bb.reset()
	select {
	case b.builders <- bb:
	default:
	}
}

func newSealWriter(dstDir string, blockBytes int, enc encoders) (*sealWriter, error) {
	free := make(chan *blockJob, 3*sealWorkers+2)
	if enc.bufs != nil {
		free = enc.bufs.jobs
	}
	sw := &sealWriter{dstDir: dstDir, tmp: dstDir + tmpSuffix, blockBytes: blockBytes, dict: enc.dict, bb: enc.bufs.builder(), off: HeaderSize,
		jobs: make(chan *blockJob, sealWorkers), order: make(chan *blockJob, 2*sealWorkers), free: free, bufs: enc.bufs,
		shared: enc.text}
	if err := os.RemoveAll(sw.tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(sw.tmp, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(sw.tmp, SealedName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		os.RemoveAll(sw.tmp)
		return nil, err
	}
	sw.f, sw.w = f, bufio.NewWriterSize(f, 1<<20)
	h := header(TypeSealed, VersionSealed, FlagComplete)
	sw.w.Write(h[:]) // a bufio.Writer's error sticks: Flush reports it
	for range sealWorkers {
		sw.workers.Go(func() {
			for j := range sw.jobs {
				j.comp = enc.meta.EncodeAll(j.meta, j.comp[:0])
				j.metaCLen = len(j.comp)
				j.comp = sw.text.EncodeAll(j.text, j.comp)
				close(j.done)
			}
		})
	}
	sw.writer.Go(func() {
		for j := range sw.order {
			<-j.done
			if sw.writeErr == nil {
				e := blockEntry{off: sw.off, clen: uint32(len(j.comp)), ulen: uint32(len(j.text)), records: j.records,
					sum: crc(j.comp), minTS: j.minTS, maxTS: j.maxTS, metaCLen: uint32(j.metaCLen), metaULen: uint32(len(j.meta))}
				var eb [BlockEntrySize]byte
				e.put(eb[:])
				sw.index = append(sw.index, eb[:]...)
				if _, err := sw.w.Write(j.comp); err != nil {
					sw.writeErr = err
				} else {
					sw.off += uint64(len(j.comp))
					sw.blocks++
				}
			}
			select {
			case sw.free <- j:
			default:
			}
		}
	})
	return sw, nil
}

// add appends the next record in time order; its slices are copied.
func (sw *sealWriter) add(src, ingest, wrte int64, attrs, raw []byte) error {
	if sw.bb.len() > 0 && len(sw.bb.raw)+len(raw) > sw.blockBytes {
		if err := sw.flush(); err != nil {
			return err
		}
	}
	if err := sw.bb.add(src, ingest, wrte, attrs, raw); err != nil {
		return fmt.Errorf("%w: %w", errAttrs, err)
	}
	sw.records++
	return nil
}

// start writes the dictionary section, before the first block: with
// dictionaries on (Options.Dictionary), the chunk's dictionary is the
// first DictBytes of text (the first block's), if that block holds at
// least dictMinText (a smaller chunk gets none); otherwise the section is
// empty.
// It is stored compressed as a frame of its own.
func (sw *sealWriter) start(first []byte) error {
	sw.started = true
	var dict, stored []byte
	if sw.dict && len(first) >= dictMinText {
		dict = slices.Clone(first[:min(len(first), DictBytes)])
		enc, err := newTextEncoder(dict)
		if err != nil {
			return err
		}
		sw.text, sw.ownText = enc, true
		stored = sw.shared.EncodeAll(dict, nil)
	} else {
		sw.text = sw.shared
	}
	var sec [DictSectionSize]byte
	binary.LittleEndian.PutUint32(sec[0:], uint32(len(stored)))
	binary.LittleEndian.PutUint32(sec[4:], uint32(len(dict)))
	binary.LittleEndian.PutUint32(sec[8:], crc(stored))
	sw.w.Write(sec[:])
	sw.w.Write(stored)
	sw.off += uint64(DictSectionSize + len(stored))
	return nil
}

// flush hands the block being built to compression.
func (sw *sealWriter) flush() error {
	bb := sw.bb
	if bb.len() == 0 {
		return nil
	}
	if !sw.started {
		if err := sw.start(bb.raw); err != nil {
			return err
		}
	}
	var j *blockJob
	select {
	case j = <-sw.free:
	default:
		j = &blockJob{}
	}
	j.meta = bb.appendMeta(j.meta[:0])
	// The builder's text becomes the job's; the job's old buffer is the
	// builder's next.
	j.text, bb.raw = bb.raw, j.text[:0]
	j.records, j.minTS, j.maxTS, j.done = uint32(bb.len()), bb.minTS, bb.maxTS, make(chan struct{})
	if len(j.meta) > maxBlockPayload || len(j.text) > maxBlockPayload {
		return fmt.Errorf("block of %d+%d bytes exceeds the %d byte limit", len(j.meta), len(j.text), maxBlockPayload)
	}
	sw.order <- j
	sw.jobs <- j
	bb.reset()
	return nil
}

// stop waits for the blocks handed over to be written.
func (sw *sealWriter) stop() error {
	if !sw.stopped {
		sw.stopped = true
		close(sw.jobs)
		close(sw.order)
		sw.workers.Wait()
		sw.writer.Wait()
		sw.bufs.put(sw.bb)
		sw.bb = nil
		if sw.ownText {
			sw.text.Close()
		}
	}
	return sw.writeErr
}

// abort stops and removes what was written.
func (sw *sealWriter) abort() {
	sw.stop()
	sw.f.Close()
	os.RemoveAll(sw.tmp)
}

// finish writes the block index and trailer after the flushed blocks,
// fsyncs the file and the directory and renames it into place.
func (sw *sealWriter) finish(sc sealChunk) (meta chunk.ChunkMeta, err error) {
	defer func() {
		if err != nil {
			sw.abort()
		}
	}()
	if err := sw.flush(); err != nil {
		return meta, err
	}
	if !sw.started {
		if err := sw.start(nil); err != nil {
			return meta, err
		}
	}
	if err := sw.stop(); err != nil {
		return meta, err
	}
	tr := trailer{id: sc.id, records: sw.records, minTS: sc.minTS, maxTS: sc.maxTS,
		rawBytes: sc.rawBytes, indexOff: sw.off, blocks: sw.blocks, indexCRC: crc(sw.index)}
	var tb [TrailerSize]byte
	tr.put(tb[:])
	sw.w.Write(sw.index)
	sw.w.Write(tb[:])
	if err := sw.w.Flush(); err != nil {
		return meta, err
	}
	if err := sw.f.Sync(); err != nil {
		return meta, err
	}
	if err := sw.f.Close(); err != nil {
		return meta, err
	}
	if err := syncDir(sw.tmp); err != nil {
		return meta, err
	}
	if err := os.Rename(sw.tmp, sw.dstDir); err != nil {
		return meta, err
	}
	if err := syncDir(filepath.Dir(sw.dstDir)); err != nil {
		return meta, err
	}
	size := sw.off + uint64(len(sw.index)) + TrailerSize
	return tr.meta(size), nil
}

// activeInput reads an active chunk's records from its logs for sealing.
type activeInput struct {
	st      *activeState
	raw     *windowReader
	attrMap []byte
}

func (a *activeInput) count() int          { return a.st.count() }
func (a *activeInput) time(i uint32) int64 { return a.st.at(i).time() }

func (a *activeInput) record(i uint32) (src, ingest, wrte int64, attrs, raw []byte, err error) {
	e := a.st.at(i)
	raw, err = a.raw.read(e.rawOff, e.rawLen)
	return e.src, e.ingest, e.wrte, a.attrMap[e.attrOff : e.attrOff+uint64(e.attrLen)], raw, err
}

func (a *activeInput) read() {}

func (a *activeInput) attrError(i uint32, err error) error {
	return &CorruptError{Path: filepath.Join(a.st.dir, AttrLogName), Section: "attribute set",
		Offset: int64(a.st.at(i).attrOff), Reason: err.Error()}
}
