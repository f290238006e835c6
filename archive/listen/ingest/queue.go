// Package ingest is the bounded queue between glarc serve's listeners and
// the archive: listeners put parsed records in, one writer goroutine appends
// them in batches and acknowledges the waiters after a flush (or an fsync
// with Options.Sync: group commit).
//
//	q := ingest.New(a, ingest.Options{MaxBytes: 16 << 20, Sync: true})
//	go q.Run()                              // returns when q is closed and drained
//	err := q.Put(ctx, recs)                 // TCP: block while full (backpressure)
//	err = q.TryPut(recs)                    // UDP: ErrQueueFull → count a drop
//	err = q.Commit(ctx, recs)               // HTTP: ErrQueueFull → 429; nil → 204
//	q.Close()                               // after every sender has stopped
//
// The records of one Put stay together in the archive. Memory is bounded by
// MaxBytes (the raw text and attributes of queued records) and MaxItems.
package ingest

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"glarc/chunk"
)

// Sentinel errors.
var (
	// ErrQueueFull means the queue has no room now (TryPut, Commit).
	ErrQueueFull = errors.New("ingest queue full")
	// ErrQueueClosed means the queue no longer takes records (shutting down,
	// or the writer failed).
	ErrQueueClosed = errors.New("ingest queue closed")
)

// Defaults of Options.
const (
	DefaultMaxBytes = 16 << 20
	DefaultMaxItems = 8192
	// DefaultBatchRecords bounds the records appended between two flushes.
	DefaultBatchRecords = 16384
	// recordOverhead is the memory of a record besides its text and
	// attributes: the Record struct and the attribute map's buckets.
	recordOverhead = 320
	// attrOverhead is the memory of one attribute besides its bytes.
	attrOverhead = 48
)

// Writer is where records go: *archive.Archive.
type Writer interface {
	Append(recs []chunk.Record) error
	Flush() error
	Sync() error
}

// Options configure a Queue. The zero value is usable.
type Options struct {
	// MaxBytes bounds the estimated memory of queued records.
	MaxBytes int64
	// MaxItems bounds the number of queued Put calls.
	MaxItems int
	// BatchRecords bounds the records written between two flushes.
	BatchRecords int
	// Sync fsyncs before acknowledging Commit (and after every batch).
	Sync bool
	// OnBatch, if set, is called by the writer after each flushed batch
	// with the number of records written.
	OnBatch func(records int)
	// OnTick, if set, is called by the writer every Tick between batches
	// (to seal an old chunk without splitting a Put); an error is logged
	// by the caller and does not stop the writer.
	OnTick func()
	// Tick is the OnTick period (default 1s).
	Tick time.Duration
}

// Stats are the queue's counters.
type Stats struct {
	Written int64 // records appended
	Batches int64 // flushes (or syncs)
	Queued  int64 // bytes queued now
}

type item struct {
	recs []chunk.Record
	cost int64
	done chan error // nil: nobody waits
}

// Queue is the bounded ingest queue with its single writer.
type Queue struct {
	w    Writer
	opts Options
	sem  *semaphore.Weighted

	// mu guards closed and the close of ch: senders hold it shared while
	// sending, Close holds it exclusively.
	mu     sync.RWMutex
	closed bool
	ch     chan item

	failed  chan struct{} // closed when the writer fails
	err     atomic.Pointer[error]
	written atomic.Int64
	batches atomic.Int64
	queued  atomic.Int64
}

// New returns a queue writing to w. Start the writer with Run.
func New(w Writer, opts Options) *Queue {
	opts.MaxBytes = cmp.Or(opts.MaxBytes, DefaultMaxBytes)
	opts.MaxItems = cmp.Or(opts.MaxItems, DefaultMaxItems)
	opts.BatchRecords = cmp.Or(opts.BatchRecords, DefaultBatchRecords)
	return &Queue{w: w, opts: opts, sem: semaphore.NewWeighted(opts.MaxBytes),
		ch: make(chan item, opts.MaxItems), failed: make(chan struct{})}
}

// Cost is what recs count against Options.MaxBytes.
func Cost(recs []chunk.Record) int64 {
	var n int64
	for i := range recs {
		n += int64(len(recs[i].Raw)) + recordOverhead
		for k, v := range recs[i].Attrs {
			n += int64(len(k) + len(v) + attrOverhead)
		}
	}
	return n
}

func (q *Queue) cost(recs []chunk.Record) int64 { return min(Cost(recs), q.opts.MaxBytes) }

// Put queues recs, waiting while the queue is full. It returns ctx.Err()
// if ctx ends first, ErrQueueClosed after Close or a write failure.
func (q *Queue) Put(ctx context.Context, recs []chunk.Record) error {
	_, err := q.put(ctx, recs, true, false)
	return err
}

// TryPut queues recs if there is room now, else returns ErrQueueFull.
func (q *Queue) TryPut(recs []chunk.Record) error {
	_, err := q.put(context.Background(), recs, false, false)
	return err
}

// Commit queues recs if there is room now (else ErrQueueFull) and waits
// until they are written and flushed (fsynced with Options.Sync). An error
// from the writer is returned; if ctx ends first the records may still be
// written.
func (q *Queue) Commit(ctx context.Context, recs []chunk.Record) error {
	done, err := q.put(ctx, recs, false, true)
	if err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *Queue) put(ctx context.Context, recs []chunk.Record, wait, ack bool) (chan error, error) {
	if len(recs) == 0 {
		if ack {
			done := make(chan error, 1)
			done <- nil
			return done, nil
		}
		return nil, nil
	}
	it := item{recs: recs, cost: q.cost(recs)}
	if ack {
		it.done = make(chan error, 1)
	}
	if wait {
		if err := q.sem.Acquire(ctx, it.cost); err != nil {
			return nil, err
		}
	} else if !q.sem.TryAcquire(it.cost) {
		return nil, ErrQueueFull
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.sem.Release(it.cost)
		return nil, ErrQueueClosed
	}
	var err error
	if wait {
		select {
		case q.ch <- it:
		case <-ctx.Done():
			err = ctx.Err()
		case <-q.failed:
			err = ErrQueueClosed
		}
	} else {
		select {
		case q.ch <- it:
		case <-q.failed:
			err = ErrQueueClosed
		default:
			err = ErrQueueFull
		}
	}
	if err != nil {
		q.sem.Release(it.cost)
		return nil, err
	}
	q.queued.Add(it.cost)
	return it.done, nil
}

// Close stops the queue taking records; Run then writes what is queued and
// returns. Call it once every sender has stopped (or will only get
// ErrQueueClosed). It is safe to call more than once.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
}

// Failed is closed when the writer has failed; Err says why.
func (q *Queue) Failed() <-chan struct{} { return q.failed }

// Err returns the writer's failure, or nil.
func (q *Queue) Err() error {
	if p := q.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Stats returns the queue's counters.
func (q *Queue) Stats() Stats {
	return Stats{Written: q.written.Load(), Batches: q.batches.Load(), Queued: q.queued.Load()}
}

// Run is the writer: it appends queued records in batches, flushes (or
// syncs) after each batch and then acknowledges the batch's waiters. It
// returns after Close once the queue is drained, with the first write
// error. After a write error every later item is answered with it.
func (q *Queue) Run() error {
	var batch []item
	var tick <-chan time.Time
	if q.opts.OnTick != nil {
		t := time.NewTicker(cmp.Or(q.opts.Tick, time.Second))
		defer t.Stop()
		tick = t.C
	}
	for {
		var it item
		var ok bool
		select {
		case it, ok = <-q.ch:
		case <-tick:
			q.opts.OnTick()
			continue
		}
		if !ok {
			return q.Err()
		}
		batch = append(batch[:0], it)
		n := len(it.recs)
	more:
		for n < q.opts.BatchRecords {
			select {
			case it, ok := <-q.ch:
				if !ok {
					break more
				}
				batch = append(batch, it)
				n += len(it.recs)
			default:
				break more
			}
		}
		q.write(batch, n)
		clear(batch) // drop references to written records
	}
}

func (q *Queue) write(batch []item, n int) {
	err := q.Err()
	if err == nil {
		for _, it := range batch {
			if err = q.w.Append(it.recs); err != nil {
				break
			}
		}
		if err == nil {
			if q.opts.Sync {
				err = q.w.Sync()
			} else {
				err = q.w.Flush()
			}
		}
		if err != nil {
			q.err.Store(&err)
			close(q.failed)
		} else {
			q.written.Add(int64(n))
			q.batches.Add(1)
			if q.opts.OnBatch != nil {
				q.opts.OnBatch(n)
			}
		}
	}
	for _, it := range batch {
		q.sem.Release(it.cost)
		q.queued.Add(-it.cost)
		if it.done != nil {
			it.done <- err
		}
	}
}

// Counters are one listener's counters, exported as metrics.
type Counters struct {
	Received atomic.Int64 // records accepted into the queue
	Bytes    atomic.Int64 // message bytes received (frames, datagrams, push lines)
	Rejected atomic.Int64 // frames, datagrams or requests refused as malformed or too large
	Dropped  atomic.Int64 // records dropped because the queue was full or closed
}
