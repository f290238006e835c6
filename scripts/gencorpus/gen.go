package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
)

// Format is the timestamp layout of the corpus lines.
type Format uint8

const (
	// FormatRFC3164 is the classic syslog file line: "Mar  1 06:55:42 web1 sshd[24200]: ...".
	FormatRFC3164 Format = iota
	// FormatRFC3339 is rsyslog's high-precision file line:
	// "2026-03-01T06:55:42.123456+00:00 web1 sshd[24200]: ...".
	FormatRFC3339
)

// ParseFormat parses the -format flag.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "rfc3164", "bsd", "":
		return FormatRFC3164, nil
	case "rfc3339":
		return FormatRFC3339, nil
	}
	return 0, fmt.Errorf("%w %q (want rfc3164 or rfc3339)", errBadFormat, s)
}

func (f Format) String() string {
	if f == FormatRFC3339 {
		return "rfc3339"
	}
	return "rfc3164"
}

var errBadFormat = errors.New("unknown format")

// Config says what to generate.
type Config struct {
	Size    int64 // bytes, approximately (never more than Size plus one needle line)
	Seed    uint64
	Format  Format
	End     time.Time // the last timestamp is just before End
	Span    time.Duration
	Workers int
}

// blockBytes is the unit of parallel generation: each block is generated
// from its own rng and covers a fixed slice of the time span.
const blockBytes = 4 << 20

// Counts are the facts a benchmark checks: how many lines hold what.
type Counts struct {
	Lines      int64
	Bytes      int64
	Error      int64 // lines with the word "error" (any case)
	Web1       int64 // lines from host web1
	Web1Error  int64 // lines from web1 with the word "error"
	NeedleHits []int64
}

// lineFacts are what one generated line adds to the counts; a line that
// would overflow its block is dropped without being counted.
type lineFacts struct{ error, web1 bool }

func (c *Counts) count(f lineFacts) {
	c.Lines++
	if f.web1 {
		c.Web1++
	}
	if f.error {
		c.Error++
		if f.web1 {
			c.Web1Error++
		}
	}
}

func (c *Counts) add(o Counts) {
	c.Lines += o.Lines
	c.Bytes += o.Bytes
	c.Error += o.Error
	c.Web1 += o.Web1
	c.Web1Error += o.Web1Error
	if c.NeedleHits == nil {
		c.NeedleHits = make([]int64, len(o.NeedleHits))
	}
	for i, n := range o.NeedleHits {
		c.NeedleHits[i] += n
	}
}

// plant is one needle line to put into a block at an offset.
type plant struct {
	off    int64 // byte offset within the block
	needle int   // index into corpus.needles
	n      int   // which instance (0-based)
}

// Generate writes the corpus to w and returns its counts.
func Generate(ctx context.Context, w io.Writer, cfg Config) (Counts, error) {
	c, err := newCorpus()
	if err != nil {
		return Counts{}, err
	}
	if cfg.Size <= 0 {
		return Counts{}, fmt.Errorf("%w %d: must be positive", errBadSize, cfg.Size)
	}
	spanUS := cfg.Span.Microseconds()
	startUS := cfg.End.UnixMicro() - spanUS
	c.setBootBefore(startUS)
	nblocks := int((cfg.Size + blockBytes - 1) / blockBytes)
	plants := make([][]plant, nblocks)
	for j, nd := range c.needles {
		for i := range nd.count {
			pos := needlePos(cfg.Size, j, i, nd.count)
			k := min(int(pos/blockBytes), nblocks-1)
			plants[k] = append(plants[k], plant{off: pos - int64(k)*blockBytes, needle: j, n: i})
		}
	}
	for _, p := range plants {
		slices.SortStableFunc(p, func(a, b plant) int { return cmp.Compare(a.off, b.off) })
	}

	workers := max(cfg.Workers, 1)
	type result struct {
		buf    []byte
		counts Counts
	}
	results := make([]chan result, nblocks)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	free := make(chan []byte, 2*workers+1)
	for range cap(free) {
		free <- make([]byte, 0, blockBytes+64<<10)
	}
	g, gctx := errgroup.WithContext(ctx)
	next := make(chan int)
	g.Go(func() error {
		defer close(next)
		for k := range nblocks {
			select {
			case next <- k:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for k := range next {
				var buf []byte
				select {
				case buf = <-free:
				case <-gctx.Done():
					return gctx.Err()
				}
				target := int64(blockBytes)
				if k == nblocks-1 {
					target = cfg.Size - int64(k)*blockBytes
				}
				b := &block{c: c, format: cfg.Format, r: rng{s: mix(cfg.Seed ^ mix(uint64(k)+1))},
					target: target, spanStart: startUS / 1e6,
					startUS:   startUS + int64(float64(spanUS)*float64(int64(k)*blockBytes)/float64(cfg.Size)),
					usPerByte: float64(spanUS) / float64(cfg.Size), endUS: startUS + spanUS}
				var cnt Counts
				buf, cnt = b.generate(buf[:0], plants[k])
				results[k] <- result{buf, cnt}
			}
			return nil
		})
	}
	var total Counts
	g.Go(func() error {
		for k := range nblocks {
			var res result
			select {
			case res = <-results[k]:
			case <-gctx.Done():
				return gctx.Err()
			}
			if _, err := w.Write(res.buf); err != nil {
				return fmt.Errorf("write block %d: %w", k, err)
			}
			total.add(res.counts)
			free <- res.buf
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return total, err
	}
	return total, nil
}

// needlePos places instance i of needle j. The first needle (the unique
// word) spans the whole file: its first instance is the first line and its
// last instance is the last line. The others are spread evenly, shifted a
// little per needle so that they do not all land together.
func needlePos(size int64, j, i, count int) int64 {
	if j == 0 {
		if count == 1 {
			return 0
		}
		return int64(float64(size-1) * float64(i) / float64(count-1))
	}
	f := (float64(i) + 0.5 + 0.13*float64(j)) / float64(count)
	return min(int64(f*float64(size)), size-1)
}

// block generates one block of lines.
type block struct {
	c         *corpus
	format    Format
	r         rng
	startUS   int64   // time of the block's first byte
	usPerByte float64 // the span is spread evenly over the bytes
	endUS     int64   // the end of the span
	target    int64
	spanStart int64 // unix seconds of the corpus start

	// day cache for the timestamp prefix
	day    int64
	prefix []byte
	// per-line state
	tUS  int64
	host int
	user int
}

func (b *block) generate(buf []byte, plants []plant) ([]byte, Counts) {
	cnt := Counts{NeedleHits: make([]int64, len(b.c.needles))}
	b.day = -1
	pi := 0
	for {
		for pi < len(plants) && int64(len(buf)) >= plants[pi].off {
			buf = b.needle(buf, plants[pi], &cnt)
			pi++
		}
		mark := len(buf)
		var f lineFacts
		buf, f = b.line(buf)
		if int64(len(buf)) > b.target {
			buf = buf[:mark]
			break
		}
		cnt.count(f)
	}
	for ; pi < len(plants); pi++ {
		buf = b.needle(buf, plants[pi], &cnt)
	}
	cnt.Bytes = int64(len(buf))
	return buf, cnt
}

// lineTime sets the time of the next line from its offset in the block.
func (b *block) lineTime(off int) {
	b.tUS = min(b.startUS+int64(b.usPerByte*float64(off)), b.endUS-1)
}

func (b *block) line(buf []byte) ([]byte, lineFacts) {
	b.lineTime(len(buf))
	c := b.c
	h := c.hostPick.pick(&b.r)
	cl := &c.classes[c.hosts[h].class]
	a := cl.apps[cl.pick.pick(&b.r)]
	app := &c.apps[a]
	t := &app.tmpls[app.pick.pick(&b.r)]
	buf = b.header(buf, h, a)
	buf = b.message(buf, t)
	return buf, lineFacts{error: t.hasError, web1: h == c.web1}
}

func (b *block) needle(buf []byte, p plant, cnt *Counts) []byte {
	b.lineTime(len(buf))
	c := b.c
	nd := &c.needles[p.needle]
	h := int(mix(uint64(p.needle)<<32|uint64(p.n)) % uint64(len(c.hosts)))
	buf = b.header(buf, h, nd.app)
	buf = b.message(buf, &nd.tmpl)
	cnt.count(lineFacts{error: nd.tmpl.hasError, web1: h == c.web1})
	cnt.NeedleHits[p.needle]++
	return buf
}

func (b *block) header(buf []byte, h, a int) []byte {
	secs := b.tUS / 1e6
	if d := secs / 86400; d != b.day {
		b.day = d
		tm := time.Unix(secs, 0).UTC()
		if b.format == FormatRFC3339 {
			b.prefix = tm.AppendFormat(b.prefix[:0], "2006-01-02T")
		} else {
			b.prefix = tm.AppendFormat(b.prefix[:0], "Jan _2 ")
		}
	}
	buf = append(buf, b.prefix...)
	sod := secs % 86400
	buf = append2(buf, sod/3600)
	buf = append(buf, ':')
	buf = append2(buf, sod/60%60)
	buf = append(buf, ':')
	buf = append2(buf, sod%60)
	if b.format == FormatRFC3339 {
		buf = append(buf, '.')
		buf = appendPad(buf, b.tUS%1e6, 6, '0')
		buf = append(buf, "+00:00"...)
	}
	b.host = h
	host := &b.c.hosts[h]
	app := &b.c.apps[a]
	buf = append(buf, ' ')
	buf = append(buf, host.name...)
	buf = append(buf, ' ')
	buf = append(buf, app.name...)
	switch app.pid {
	case pidOne:
		buf = append(buf, "[1]"...)
	case pidStable:
		hh := host.hash ^ app.hash
		period := int64(2*86400 + (hh>>20)%(18*86400)) // restarts every 2-20 days
		phase := int64(hh % uint64(period))
		epoch := (secs + phase) / period
		pid := 300 + mix(host.hash^app.hash^uint64(epoch))%60000
		buf = append(buf, '[')
		buf = strconv.AppendUint(buf, pid, 10)
		buf = append(buf, ']')
	case pidFork:
		rate := 200 + host.hash%2800 // new pids per 1000 s
		pid := (host.hash>>16%1000000 + uint64(secs-b.spanStart)*rate/1000 + uint64(b.r.intn(8))) % 4194000
		buf = append(buf, '[')
		buf = strconv.AppendUint(buf, pid+300, 10)
		buf = append(buf, ']')
	}
	return append(buf, ": "...)
}

func append2(buf []byte, v int64) []byte {
	return append(buf, byte('0'+v/10), byte('0'+v%10))
}

func (b *block) message(buf []byte, t *template) []byte {
	for i := range t.segs {
		s := &t.segs[i]
		buf = append(buf, s.lit...)
		if s.kind != kindNone {
			buf = b.value(buf, s)
		}
	}
	return append(buf, '\n')
}

func (b *block) value(buf []byte, s *seg) []byte {
	c, r := b.c, &b.r
	switch s.kind {
	case kindIP:
		return append(buf, c.extIP.pick(r)...)
	case kindLIP:
		return append(buf, c.intIP.pick(r)...)
	case kindUser:
		b.user = c.userPick.pick(r)
		return append(buf, c.users[b.user].name...)
	case kindUID:
		return strconv.AppendInt(buf, int64(c.users[b.user].uid), 10)
	case kindPort:
		return strconv.AppendInt(buf, int64(1024+r.intn(64512)), 10)
	case kindSvcPort:
		return append(buf, c.svcPorts.pick(r)...)
	case kindHex8:
		return appendHex(buf, r.next(), 8, hexDigits)
	case kindHex16:
		return appendHex(buf, r.next(), 16, hexDigits)
	case kindQID:
		return appendHex(buf, r.next(), 10, "0123456789ABCDEF")
	case kindMS:
		e := r.intn(12)
		return strconv.AppendInt(buf, int64(1<<e+r.intn(1<<e)), 10)
	case kindBigMS:
		return strconv.AppendInt(buf, int64(500+r.intn(29500)), 10)
	case kindNum:
		n := 1
		for range s.digits {
			n *= 10
		}
		return strconv.AppendInt(buf, int64(r.intn(n)), 10)
	case kindRT:
		buf = append(buf, byte('0'+min(r.intn(20), 19)/19), '.')
		return appendPad(buf, int64(r.intn(1000)), 3, '0')
	case kindFloat:
		if r.intn(2) == 0 {
			buf = append(buf, '-')
		}
		buf = append(buf, "0.0"...)
		return appendPad(buf, int64(r.intn(100000)), 5, '0')
	case kindKTS:
		up := b.tUS - c.hosts[b.host].bootUS
		buf = appendPad(buf, up/1e6, 5, ' ')
		buf = append(buf, '.')
		return appendPad(buf, up%1e6, 6, '0')
	case kindAudTS:
		buf = strconv.AppendInt(buf, b.tUS/1e6, 10)
		buf = append(buf, '.')
		buf = appendPad(buf, b.tUS/1000%1000, 3, '0')
		buf = append(buf, ':')
		return strconv.AppendInt(buf, int64(r.intn(100000)), 10)
	case kindKlog:
		tm := time.UnixMicro(b.tUS).UTC()
		buf = append2(buf, int64(tm.Month()))
		buf = append2(buf, int64(tm.Day()))
		buf = append(buf, ' ')
		sod := b.tUS / 1e6 % 86400
		buf = append2(buf, sod/3600)
		buf = append(buf, ':')
		buf = append2(buf, sod/60%60)
		buf = append(buf, ':')
		buf = append2(buf, sod%60)
		buf = append(buf, '.')
		return appendPad(buf, b.tUS%1e6, 6, '0')
	case kindMAC:
		buf = append(buf, "fa:16:3e:"...)
		v := r.next()
		for i := range 3 {
			if i > 0 {
				buf = append(buf, ':')
			}
			buf = appendHex(buf, v>>(8*i), 2, hexDigits)
		}
		return append(buf, ":52:54:00:12:34:56:08:00"...)
	case kindPID5:
		return strconv.AppendInt(buf, int64(100+r.intn(99900)), 10)
	case kindList:
		return append(buf, c.lists[s.list].pick(r)...)
	}
	return buf
}
