package file

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sync"

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
func writeSealed(in sealInput, sc sealChunk, dstDir string, blockBytes int, enc encoders) (meta chunk.ChunkMeta, err error) {
	tmp := dstDir + tmpSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return meta, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return meta, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	f, err := os.OpenFile(filepath.Join(tmp, SealedName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return meta, err
	}
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	h := header(TypeSealed, VersionSealed, FlagComplete)
	if _, err := w.Write(h[:]); err != nil {
		return meta, err
	}
	// Blocks are built here in order, compressed by sealWorkers goroutines
	// and written in order by one more. Buffers go round through free, so
	// a seal allocates a handful of them, not a few per block.
	off := uint64(HeaderSize)
	var (
		index    []byte
		blocks   uint32
		writeErr error
		wg       sync.WaitGroup
	)
	jobs := make(chan *blockJob, sealWorkers)
	order := make(chan *blockJob, 2*sealWorkers)
	free := make(chan *blockJob, 3*sealWorkers+2)
	for range sealWorkers {
		wg.Go(func() {
			for j := range jobs {
				j.comp = enc.meta.EncodeAll(j.meta, j.comp[:0])
				j.metaCLen = len(j.comp)
				j.comp = enc.text.EncodeAll(j.text, j.comp)
				close(j.done)
			}
		})
	}
	var writer sync.WaitGroup
	writer.Go(func() {
		for j := range order {
			<-j.done
			if writeErr == nil {
				e := blockEntry{off: off, clen: uint32(len(j.comp)), ulen: uint32(len(j.text)), records: j.records,
					sum: crc(j.comp), minTS: j.minTS, maxTS: j.maxTS, metaCLen: uint32(j.metaCLen), metaULen: uint32(len(j.meta))}
				var eb [BlockEntrySize]byte
				e.put(eb[:])
				index = append(index, eb[:]...)
				if _, err := w.Write(j.comp); err != nil {
					writeErr = err
				} else {
					off += uint64(len(j.comp))
					blocks++
				}
			}
			select {
			case free <- j:
			default:
			}
		}
	})
	stopped := false
	stop := func() error {
		if !stopped {
			stopped = true
			close(jobs)
			close(order)
			wg.Wait()
			writer.Wait()
		}
		return writeErr
	}
	defer stop()
	bb := newBlockBuilder()
	flushBlock := func() error {
		if bb.len() == 0 {
			return nil
		}
		var j *blockJob
		select {
		case j = <-free:
		default:
			j = &blockJob{}
		}
		j.meta = bb.appendMeta(j.meta[:0])
		// The builder's text becomes the job's; the job's old buffer is
		// the builder's next.
		j.text, bb.raw = bb.raw, j.text[:0]
		j.records, j.minTS, j.maxTS, j.done = uint32(bb.len()), bb.minTS, bb.maxTS, make(chan struct{})
		if len(j.meta) > maxBlockPayload || len(j.text) > maxBlockPayload {
			return fmt.Errorf("block of %d+%d bytes exceeds the %d byte limit", len(j.meta), len(j.text), maxBlockPayload)
		}
		order <- j
		jobs <- j
		bb.reset()
		return nil
	}
	records := uint64(in.count())
	for _, i := range sortedOrderOf(in.count(), in.time) {
		src, ingest, wrte, attrB, rawB, err := in.record(i)
		if err != nil {
			return meta, err
		}
		if bb.len() > 0 && len(bb.raw)+len(rawB) > blockBytes {
			if err := flushBlock(); err != nil {
				return meta, err
			}
		}
		if err := bb.add(src, ingest, wrte, attrB, rawB); err != nil {
			return meta, in.attrError(i, err)
		}
	}
	if err := flushBlock(); err != nil {
		return meta, err
	}
	in.read()
	if err := stop(); err != nil {
		return meta, err
	}
	tr := trailer{id: sc.id, records: records, minTS: sc.minTS, maxTS: sc.maxTS,
		rawBytes: sc.rawBytes, indexOff: off, blocks: blocks, indexCRC: crc(index)}
	var tb [TrailerSize]byte
	tr.put(tb[:])
	if _, err := w.Write(index); err != nil {
		return meta, err
	}
	if _, err := w.Write(tb[:]); err != nil {
		return meta, err
	}
	if err := w.Flush(); err != nil {
		return meta, err
	}
	if err := f.Sync(); err != nil {
		return meta, err
	}
	err = f.Close()
	f = nil
	if err != nil {
		return meta, err
	}
	if err := syncDir(tmp); err != nil {
		return meta, err
	}
	if err := os.Rename(tmp, dstDir); err != nil {
		return meta, err
	}
	if err := syncDir(filepath.Dir(dstDir)); err != nil {
		return meta, err
	}
	size := off + uint64(len(index)) + TrailerSize
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
