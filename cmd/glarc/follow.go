package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"glarc/archive"
	"glarc/chunk"
	"glarc/query"
)

// A resume point names the last record printed: its time, a hash of its
// line, and which of the records with that time and hash it was (lines
// can repeat). It survives the active chunk being sealed, because sealing
// keeps the order of records with equal times.
type resumePoint struct {
	reverse bool
	time    time.Time
	hash    uint64
	nth     uint32 // 1-based among records with this time and hash
}

// Token layout: u8 version (1), u8 flags (bit 0: reverse), i64 time in
// Unix ns, u64 FNV-1a of the line, u32 nth; base64url without padding.
const (
	resumeVersion = 1
	resumeLen     = 2 + 8 + 8 + 4
)

var errBadResume = errors.New("not a resume token from glarc query")

func (p resumePoint) token() string {
	b := make([]byte, 0, resumeLen)
	b = append(b, resumeVersion, 0)
	if p.reverse {
		b[1] = 1
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(p.time.UnixNano()))
	b = binary.LittleEndian.AppendUint64(b, p.hash)
	b = binary.LittleEndian.AppendUint32(b, p.nth)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseResume(s string) (resumePoint, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != resumeLen || b[0] != resumeVersion || b[1] > 1 {
		return resumePoint{}, fmt.Errorf("--resume %q: %w", s, errBadResume)
	}
	return resumePoint{
		reverse: b[1] == 1,
		time:    time.Unix(0, int64(binary.LittleEndian.Uint64(b[2:]))),
		hash:    binary.LittleEndian.Uint64(b[10:]),
		nth:     binary.LittleEndian.Uint32(b[18:]),
	}, nil
}

func lineHash(raw []byte) uint64 {
	h := fnv.New64a()
	h.Write(raw)
	return h.Sum64()
}

// tracker follows the records as they are printed, to name the last one,
// and skips what a resume point says was printed already.
type tracker struct {
	reverse bool
	// skipping: records up to the resume point are dropped.
	skip *resumePoint
	// last printed, and how often each line hash was seen at its time
	last    time.Time
	lastH   uint64
	lastN   uint32
	printed bool
	counts  map[uint64]uint32
}

// keep reports whether rec is to be printed, and records it if so.
func (t *tracker) keep(rec *chunk.Record) bool {
	ts := rec.Time()
	if t.skip != nil {
		if ts.Equal(t.skip.time) {
			h := lineHash(rec.Raw)
			n := t.count(ts, h)
			if h == t.skip.hash && n == t.skip.nth {
				t.skip = nil // everything up to here was printed before
				t.lastH, t.lastN, t.printed = h, n, true
			}
			return false
		}
		past := ts.After(t.skip.time)
		if t.reverse {
			past = ts.Before(t.skip.time)
		}
		if !past {
			return false
		}
		// The resume record is gone (it cannot be, unless the archive was
		// rebuilt): go on after its time.
		t.skip = nil
	}
	h := lineHash(rec.Raw)
	t.last, t.lastH, t.lastN, t.printed = ts, h, t.count(ts, h), true
	return true
}

// count counts a record with time ts and line hash h and returns how many
// such records were seen.
func (t *tracker) count(ts time.Time, h uint64) uint32 {
	if t.counts == nil || !ts.Equal(t.last) {
		t.counts = make(map[uint64]uint32)
	}
	t.last = ts
	t.counts[h]++
	return t.counts[h]
}

func (t *tracker) point() (resumePoint, bool) {
	return resumePoint{reverse: t.reverse, time: t.last, hash: t.lastH, nth: t.lastN}, t.printed
}

// followInterval is how often --follow looks for new records.
const followInterval = 500 * time.Millisecond

// runFollow prints the last matching records (--limit, default 10), then
// every new matching record as import or serve add them, until ctx is
// cancelled (Ctrl-C), which is a normal end.
func runFollow(ctx context.Context, e *env, a *archive.Archive, q *query.Query, opt query.Options, out printer, resume *resumePoint) error {
	w := bufio.NewWriter(e.stdout)
	var buf []byte
	emit := func(rec *chunk.Record) error {
		buf = out(buf[:0], rec)
		_, err := w.Write(buf)
		return err
	}
	var tr tracker
	if resume != nil {
		// Continue after the token's record: the first poll prints
		// everything since.
		tr.resumeAt(*resume)
	} else {
		// The last records, found newest first, printed oldest first.
		last := opt
		last.Reverse, last.Limit, last.Explain = true, 0, nil
		n := cmp.Or(opt.Limit, 10)
		var recent []chunk.Record
		// Records that share the newest time and line are counted to the
		// end of their run, so the resume point names the right one.
		var newest time.Time
		var newestH uint64
		var nth uint32
		for rec, err := range query.Run(ctx, a.Chunks(), q, last) {
			if err != nil {
				return followErr(ctx, err)
			}
			if len(recent) == 0 {
				newest, newestH = rec.Time(), lineHash(rec.Raw)
			}
			if !rec.Time().Equal(newest) && len(recent) >= n {
				break
			}
			if rec.Time().Equal(newest) && lineHash(rec.Raw) == newestH {
				nth++
			}
			if len(recent) < n {
				recent = append(recent, rec)
			}
		}
		for i := len(recent) - 1; i >= 0; i-- {
			if err := emit(&recent[i]); err != nil {
				return followErr(ctx, err)
			}
		}
		if len(recent) > 0 {
			tr.resumeAt(resumePoint{time: newest, hash: newestH, nth: nth})
		}
		if err := w.Flush(); err != nil {
			return followErr(ctx, err)
		}
	}
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		next := opt
		next.Reverse, next.Limit, next.Explain = false, 0, nil
		var nt tracker
		if rp, ok := tr.point(); ok {
			next.Since = maxTime(opt.Since, rp.time)
			nt.skip = &rp
		}
		for rec, err := range query.Run(ctx, a.Chunks(), q, next) {
			if err != nil {
				return followErr(ctx, err)
			}
			if nt.keep(&rec) {
				if err := emit(&rec); err != nil {
					return followErr(ctx, err)
				}
			}
		}
		if err := w.Flush(); err != nil {
			return followErr(ctx, err)
		}
		if _, ok := nt.point(); ok {
			tr = nt
		}
	}
}

// followErr turns the end of a follow by Ctrl-C or a closed pipe into a
// normal end.
func followErr(ctx context.Context, err error) error {
	if ctx.Err() != nil || isBrokenPipe(err) {
		return nil
	}
	return err
}

// resumeAt makes p the last printed record again.
func (t *tracker) resumeAt(p resumePoint) {
	t.last, t.lastH, t.lastN, t.printed = p.time, p.hash, p.nth, true
}
