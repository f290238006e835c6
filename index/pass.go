package index

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"glarc/chunk"
)

// A shared pass reads a chunk on one goroutine and, on a machine with more
// than one core, hands copies of the lines to the LineCollectors, each on
// a goroutine of its own, so that one chunk keeps the cores busy (the
// last chunk of a build no longer leaves a core idle). Over a chunk of
// blocks (chunk.BlockTexter) it reads a block's text at once and hands a
// copy of the whole block over.

// passBatchRecords and passBatchBytes bound one batch of lines handed to
// the other goroutines; passBatches is how many batches circulate.
const (
	passBatchRecords = 1024
	passBatchBytes   = 256 << 10
	passBatches      = 12
)

// planPass splits the collectors of a pass into those fed on the reading
// goroutine and the LineCollectors fed from goroutines of their own: every
// LineCollector, so that the reading
// goroutine keeps only the reading, the attributes and the collectors
// that need them (a fixed split by estimated costs left it the longest
// of the pass once the others got goroutines of their own). With one
// core, everything stays on the reading goroutine.
func planPass(cols []Collector) (local []Collector, off []LineCollector) {
	for _, c := range cols {
		if lc, ok := c.(LineCollector); ok && runtime.GOMAXPROCS(0) > 1 {
			off = append(off, lc)
			continue
		}
		local = append(local, c)
	}
	return local, off
}

// lineBatch holds copies of consecutive lines for the other goroutines:
// line i is text[ends[i-1]:ends[i]] (from 0 for the first), at pos[i], or
// with pos nil at first+i.
type lineBatch struct {
	text  []byte
	ends  []uint32
	pos   []uint32
	first uint32
	left  atomic.Int32 // goroutines still reading the batch
}

// linePipe runs LineCollectors on goroutines of their own, one each, fed
// the same batches of lines: the runtime spreads them, the reading
// goroutine and the writes of the chunk before over the cores, better
// than a fixed split of the collectors would.
type linePipe struct {
	free chan *lineBatch
	full []chan *lineBatch
	wg   sync.WaitGroup
}

func startPipe(off []LineCollector) *linePipe {
	p := &linePipe{free: make(chan *lineBatch, passBatches)}
	for range passBatches {
		p.free <- &lineBatch{text: make([]byte, 0, passBatchBytes+passBatchBytes/4), ends: make([]uint32, 0, passBatchRecords)}
	}
	for _, c := range off {
		full := make(chan *lineBatch, passBatches)
		p.full = append(p.full, full)
		p.wg.Go(func() {
			for b := range full {
				start := uint32(0)
				for i, end := range b.ends {
					pos := b.first + uint32(i)
					if b.pos != nil {
						pos = b.pos[i]
					}
					c.AddLine(pos, b.text[start:end])
					start = end
				}
				if b.left.Add(-1) == 0 {
					b.text, b.ends, b.pos = b.text[:0], b.ends[:0], b.pos[:0]
					p.free <- b
				}
			}
		})
	}
	return p
}

// send hands b to every goroutine.
func (p *linePipe) send(b *lineBatch) {
	b.left.Store(int32(len(p.full)))
	for _, full := range p.full {
		full <- b
	}
}

// close hands b over if it holds lines and waits for the goroutines.
func (p *linePipe) close(b *lineBatch) {
	if b != nil && len(b.ends) > 0 {
		p.send(b)
	}
	for _, full := range p.full {
		close(full)
	}
	p.wg.Wait()
}

// runPass walks cur once, feeding every record to cols and calling each
// with the records and bytes of text read since its last call. Over a chunk of blocks whose collectors all
// are LineCollectors or AttrCollectors it reads block by block
// (chunk.BlockTexter); else record by record, skipping attributes when no
// collector needs them (chunk.AttrSkipper). Either way it decodes each
// block into the memory of the one before (chunk.BufferReuser).
func runPass(ctx context.Context, cur chunk.RecordCursor, cols []Collector, each func(records, bytes uint64)) error {
	// Collectors copy what they keep of a record: each block can be
	// decoded into the memory of the one before.
	if br, ok := cur.(chunk.BufferReuser); ok {
		br.ReuseBuffers(true)
		defer br.ReuseBuffers(false)
	}
	local, off := planPass(cols)
	if bt, ok := cur.(chunk.BlockTexter); ok {
		if as, ok := cur.(chunk.AttrSkipper); ok {
			if lines, attrs, ok := byInput(local); ok {
				return runBlockPass(ctx, cur, bt, as, lines, attrs, off, each)
			}
		}
	}
	return runRecordPass(ctx, cur, cols, local, off, each)
}

// byInput splits cols into LineCollectors and AttrCollectors; ok is false
// when one is neither.
func byInput(cols []Collector) (lines []LineCollector, attrs []AttrCollector, ok bool) {
	for _, c := range cols {
		switch c := c.(type) {
		case LineCollector:
			lines = append(lines, c)
		case AttrCollector:
			attrs = append(attrs, c)
		default:
			return nil, nil, false
		}
	}
	return lines, attrs, true
}

// runBlockPass is runPass block by block: the lines of a block go to
// lines, its records' attributes to attrs, and a copy of its text to the
// goroutines of the collectors off. The attributes go as columns
// (chunk.BlockAttrs, BlockAttrCollector.AddAttr) when the cursor and
// every collector of attrs can take them so, else as a map per record
// (AttrsAt, AddAttrs).
func runBlockPass(ctx context.Context, cur chunk.RecordCursor, bt chunk.BlockTexter, as chunk.AttrSkipper,
	lines []LineCollector, attrs []AttrCollector, off []LineCollector, each func(records, bytes uint64)) error {
	n := cur.Len()
	if n > math.MaxUint32 {
		return fmt.Errorf("%d records: %w", n, ErrTooManyRecords)
	}
	var pipe *linePipe
	if len(off) > 0 {
		pipe = startPipe(off)
		defer pipe.close(nil)
	}
	// cols is attrs when the cursor and every attr collector take a
	// block's attributes as columns (no map per record).
	ba, _ := cur.(chunk.BlockAttrs)
	var cols []BlockAttrCollector
	for _, c := range attrs {
		bc, ok := c.(BlockAttrCollector)
		if !ok || ba == nil {
			cols = nil
			break
		}
		cols = append(cols, bc)
	}
	for pos := uint64(0); pos < n; {
		if err := ctx.Err(); err != nil {
			return err
		}
		text, first, offs, err := bt.BlockText(pos)
		if err != nil {
			return fmt.Errorf("read the block of record %d: %w", pos, err)
		}
		if !validBlock(pos, n, text, first, offs) {
			return fmt.Errorf("the block of record %d starts at %d with %d records of %d bytes: %w", pos, first, len(offs)-1, len(text), chunk.ErrCorrupt)
		}
		k := uint64(len(offs)) - 1
		if pipe != nil {
			b := <-pipe.free
			b.first = uint32(first)
			b.text = append(b.text, text...)
			b.ends = append(b.ends, offs[1:]...)
			b.pos = nil
			pipe.send(b)
		}
		if cols != nil {
			for _, c := range lines {
				for i := range k {
					c.AddLine(uint32(first+i), text[offs[i]:offs[i+1]])
				}
			}
			if err := addBlockAttrs(ba, first, k, cols); err != nil {
				return err
			}
			each(k, uint64(len(text)))
			pos += k
			continue
		}
		for i := range k {
			p := uint32(first + i)
			line := text[offs[i]:offs[i+1]]
			for _, c := range lines {
				c.AddLine(p, line)
			}
			if len(attrs) > 0 {
				a, err := as.AttrsAt(first + i)
				if err != nil {
					return fmt.Errorf("read the attributes of record %d: %w", first+i, err)
				}
				for _, c := range attrs {
					c.AddAttrs(p, a)
				}
			}
		}
		each(k, uint64(len(text)))
		pos += k
	}
	return nil
}

// addBlockAttrs hands the attributes of the block of k records at first
// to cols, column by column (chunk.BlockAttrs).
func addBlockAttrs(ba chunk.BlockAttrs, first, k uint64, cols []BlockAttrCollector) error {
	for _, c := range cols {
		c.StartAttrBlock()
	}
	var fn func(i, col int, key string, value []byte)
	if len(cols) == 1 {
		c := cols[0]
		fn = func(i, col int, key string, value []byte) { c.AddAttr(uint32(first)+uint32(i), col, key, value) }
	} else {
		fn = func(i, col int, key string, value []byte) {
			for _, c := range cols {
				c.AddAttr(uint32(first)+uint32(i), col, key, value)
			}
		}
	}
	f, m, err := ba.EachBlockAttr(first, fn)
	if err != nil {
		return fmt.Errorf("read the attributes of the block of record %d: %w", first, err)
	}
	if f != first || uint64(m) != k {
		return fmt.Errorf("the attributes of the block of record %d start at %d with %d records, its text with %d: %w", first, f, m, k, chunk.ErrCorrupt)
	}
	return nil
}

// validBlock reports whether a block read at pos of a chunk of n records
// starts there, holds records and no more than the chunk has left, and
// its lines tile text.
func validBlock(pos, n uint64, text []byte, first uint64, offs []uint32) bool {
	if len(offs) < 2 || first != pos || uint64(len(offs)-1) > n-pos || offs[0] != 0 || uint64(offs[len(offs)-1]) != uint64(len(text)) {
		return false
	}
	for i := 1; i < len(offs); i++ {
		if offs[i] < offs[i-1] {
			return false
		}
	}
	return true
}

// runRecordPass is runPass record by record (Walk).
func runRecordPass(ctx context.Context, cur chunk.RecordCursor, cols, local []Collector, off []LineCollector, each func(records, bytes uint64)) error {
	allLines := true
	for _, c := range cols {
		if _, ok := c.(LineCollector); !ok {
			allLines = false
		}
	}
	if as, ok := cur.(chunk.AttrSkipper); ok && allLines {
		as.SkipAttrs(true)
		defer as.SkipAttrs(false)
	}
	if len(off) == 0 {
		return Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
			for _, c := range local {
				c.Add(pos, rec)
			}
			each(1, uint64(len(rec.Raw)))
			return nil
		})
	}
	pipe := startPipe(off)
	b := <-pipe.free
	err := Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		for _, c := range local {
			c.Add(pos, rec)
		}
		b.text = append(b.text, rec.Raw...)
		b.ends = append(b.ends, uint32(len(b.text)))
		b.pos = append(b.pos, pos)
		if len(b.pos) >= passBatchRecords || len(b.text) >= passBatchBytes {
			pipe.send(b)
			b = <-pipe.free
		}
		each(1, uint64(len(rec.Raw)))
		return nil
	})
	pipe.close(b)
	return err
}
