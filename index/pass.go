package index

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"

	"glarc/chunk"
)

// A shared pass reads a chunk on one goroutine and, on a machine with more
// than one core, hands copies of the lines to a second goroutine that runs
// some of the LineCollectors, so that one chunk keeps two cores busy (the
// last chunk of a build no longer leaves a core idle).

// Relative CPU cost per byte of text of each part of a pass, measured on a
// generated syslog corpus: reading (decompressing and slicing records),
// decoding attributes, and each kind's collector.
const (
	costRead  = 2
	costAttrs = 2
)

func collectCost(kind string) int {
	switch kind {
	case KindToken:
		return 5
	case KindBlocks:
		return 3
	case KindAttr:
		return 2 + costAttrs
	default:
		return 2
	}
}

// passBatchRecords and passBatchBytes bound one batch of lines handed to
// the second goroutine; passBatches is how many batches circulate.
const (
	passBatchRecords = 1024
	passBatchBytes   = 256 << 10
	passBatches      = 4
)

// planPass splits the collectors of a pass (cols[i] collects kinds[i])
// into those fed on the reading goroutine and the LineCollectors fed from
// a second one, balancing the estimated costs. With one core, or no
// LineCollector, everything stays on the reading goroutine.
func planPass(kinds []string, cols []Collector) (local []Collector, off []LineCollector) {
	type cand struct {
		c    LineCollector
		cost int
	}
	var cands []cand
	localCost := costRead
	for i, c := range cols {
		if lc, ok := c.(LineCollector); ok && runtime.GOMAXPROCS(0) > 1 {
			cands = append(cands, cand{lc, collectCost(kinds[i])})
			continue
		}
		local = append(local, c)
		localCost += collectCost(kinds[i])
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.cost, a.cost) })
	offCost := 0
	for _, c := range cands {
		if offCost <= localCost {
			off = append(off, c.c)
			offCost += c.cost
		} else {
			local = append(local, c.c)
			localCost += c.cost
		}
	}
	return local, off
}

// lineBatch holds copies of consecutive lines for the second goroutine.
type lineBatch struct {
	text []byte
	ends []uint32 // end of each line in text
	pos  []uint32
}

// runPass walks cur once, feeding every record to cols (kinds[i] names
// cols[i]'s index) and calling each after every record. When no collector
// needs attributes, the cursor skips them (chunk.AttrSkipper); it decodes
// each block into the memory of the one before (chunk.BufferReuser).
func runPass(ctx context.Context, cur chunk.RecordCursor, kinds []string, cols []Collector, each func(rec *chunk.Record)) error {
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
	// Collectors copy what they keep of a record: each block can be
	// decoded into the memory of the one before.
	if br, ok := cur.(chunk.BufferReuser); ok {
		br.ReuseBuffers(true)
		defer br.ReuseBuffers(false)
	}
	local, off := planPass(kinds, cols)
	if len(off) == 0 {
		return Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
			for _, c := range local {
				c.Add(pos, rec)
			}
			each(rec)
			return nil
		})
	}
	free := make(chan *lineBatch, passBatches)
	full := make(chan *lineBatch, passBatches)
	for range passBatches {
		free <- &lineBatch{text: make([]byte, 0, passBatchBytes+passBatchBytes/4), ends: make([]uint32, 0, passBatchRecords), pos: make([]uint32, 0, passBatchRecords)}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for b := range full {
			start := uint32(0)
			for i, end := range b.ends {
				line := b.text[start:end]
				for _, c := range off {
					c.AddLine(b.pos[i], line)
				}
				start = end
			}
			b.text, b.ends, b.pos = b.text[:0], b.ends[:0], b.pos[:0]
			free <- b
		}
	})
	b := <-free
	err := Walk(ctx, cur, func(pos uint32, rec *chunk.Record) error {
		for _, c := range local {
			c.Add(pos, rec)
		}
		b.text = append(b.text, rec.Raw...)
		b.ends = append(b.ends, uint32(len(b.text)))
		b.pos = append(b.pos, pos)
		if len(b.pos) >= passBatchRecords || len(b.text) >= passBatchBytes {
			full <- b
			b = <-free
		}
		each(rec)
		return nil
	})
	if len(b.pos) > 0 {
		full <- b
	}
	close(full)
	wg.Wait()
	return err
}
