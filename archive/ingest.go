package archive

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"glarc/archive/input"
	"glarc/archive/loki"
	"glarc/archive/syslog"
	"glarc/chunk"
	"glarc/chunk/file"
)

// AttrFile is the attribute import adds: the path a record was read from.
const AttrFile = "file"

// Batching of the ingest pipeline.
const (
	batchBytes = 256 << 10 // raw text per parse batch
	batchLines = 4096      // lines per parse batch
	// pageLines bounds the lines of a paged batch: enough for lines of 32
	// bytes to fill a page (the bulk writer counts a page in full).
	pageLines = batchBytes / 32
	// pagePool bounds the free pages kept: a chunk's worth and more.
	pagePool   = 1024
	detectHead = 64 << 10 // bytes looked at to detect the format
	// maxDocument bounds a whole-document input (a Loki push body).
	maxDocument = 256 << 20
)

// Source is one input: a file or a stream.
type Source struct {
	// Name is the path as given, or "-" for stdin. It becomes the file attribute.
	Name string
	// Open opens the raw (possibly compressed) bytes.
	Open func() (io.ReadCloser, error)
	// Size is the raw size in bytes, or -1 when unknown (progress only).
	Size int64
	// ModTime dates year-less timestamps; zero means the import time.
	ModTime time.Time
}

// FileSource describes a file on disk.
func FileSource(path string) (Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Source{}, err
	}
	if fi.IsDir() {
		return Source{}, fmt.Errorf("%s is a directory", path)
	}
	return Source{Name: path, Size: fi.Size(), ModTime: fi.ModTime(),
		Open: func() (io.ReadCloser, error) { return os.Open(path) }}, nil
}

// ReaderSource describes a stream such as stdin.
func ReaderSource(name string, r io.Reader) Source {
	return Source{Name: name, Size: -1, Open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// ImportOptions tune an import. The zero value detects formats and uses
// the local time zone.
type ImportOptions struct {
	// Format forces an input format; input.FormatAuto detects it per source.
	Format input.Format
	// Year overrides the year of year-less timestamps (0: from the file's
	// modification time, with the December → January rollover handled).
	Year int
	// Location is the zone of timestamps that carry none (nil: time.Local).
	Location *time.Location
	// Workers is the number of parse workers (0: GOMAXPROCS).
	Workers int
	// MaxLine bounds one line (0: input.DefaultMaxLine).
	MaxLine int
	// Progress, if set, is called after each batch from the importing goroutine.
	Progress func(Progress)
	// Now is the clock for IngestTS (nil: time.Now).
	Now func() time.Time
	// NoSeal leaves the last active chunk unsealed at the end. It also
	// makes the import append through the active chunk instead of sealing
	// chunks straight from memory.
	NoSeal bool
	// Force imports sources again even when the manifest says they were
	// imported already.
	Force bool
}

// Progress is reported while importing.
type Progress struct {
	Source  string
	Format  input.Format
	Read    int64 // raw bytes read from all sources so far
	Records int64 // records appended so far
}

// Summary says what an import did.
type Summary struct {
	Files   int // sources read (fully or partly)
	Failed  int // sources with an error
	Skipped int // sources with nothing new (already imported)
	// Warnings are remarks about sources that were imported anyway, such
	// as binary content archived as raw lines.
	Warnings []string
	Records  int64 // records appended
	RawLines int64 // lines kept raw because they did not parse
	Bytes    int64 // raw (possibly compressed) bytes read
	Elapsed  time.Duration
}

func (s Summary) String() string {
	secs := max(s.Elapsed.Seconds(), 1e-9)
	return fmt.Sprintf("imported %d %s: %d %s, %s in %.2fs (%.1f MB/s), %d %s kept raw, %d skipped as already imported, %d failed",
		s.Files, plural(s.Files, "file", "files"), s.Records, plural(int(s.Records), "record", "records"), HumanBytes(s.Bytes), s.Elapsed.Seconds(),
		float64(s.Bytes)/secs/1e6, s.RawLines, plural(int(s.RawLines), "line", "lines"), s.Skipped, s.Failed)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// HumanBytes prints a size in binary units (B, KiB, MiB, GiB).
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// SourceError is an import error tied to one source.
type SourceError struct {
	Source string
	Err    error
}

func (e *SourceError) Error() string { return fmt.Sprintf("import %s: %v", e.Source, e.Err) }
func (e *SourceError) Unwrap() error { return e.Err }

// Import reads every source in order and appends its records. A source that
// fails (unreadable, truncated .gz, a line over the limit) is reported and
// the others are still imported; every record read before the failure is
// kept. The returned error joins the *SourceError of each failed source; a
// failure to write the archive stops the import.
func (a *Archive) Import(ctx context.Context, sources []Source, opts ImportOptions) (Summary, error) {
	start := time.Now()
	imp := &importer{a: a, opts: opts}
	if imp.opts.Now == nil {
		imp.opts.Now = time.Now
	}
	imp.opts.Workers = cmp.Or(imp.opts.Workers, runtime.GOMAXPROCS(0))
	if imp.opts.Location == nil {
		imp.opts.Location = time.Local
	}
	if err := a.beginImport(imp); err != nil {
		return imp.sum, err
	}
	defer a.endImport()
	var errs []error
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		err := imp.importSource(ctx, src)
		if cerr := imp.commitSource(); cerr != nil && err == nil {
			err = &writeError{cerr}
		}
		imp.sum.Files++
		var werr *writeError
		if errors.As(err, &werr) {
			errs = append(errs, werr.err)
			break
		}
		if err != nil {
			imp.sum.Failed++
			errs = append(errs, &SourceError{Source: src.Name, Err: err})
		}
	}
	if err := a.closeImport(imp); err != nil {
		errs = append(errs, err)
	} else if !opts.NoSeal {
		if err := a.chunks.Seal(); err != nil && !errors.Is(err, chunk.ErrNoActiveChunk) {
			errs = append(errs, err)
		}
	}
	imp.sum.Bytes = imp.read.Load()
	imp.sum.Elapsed = time.Since(start)
	return imp.sum, errors.Join(errs...)
}

// lastByte is a writer that keeps the last byte written to it.
type lastByte struct{ b byte }

func (l *lastByte) Write(p []byte) (int, error) {
	if len(p) > 0 {
		l.b = p[len(p)-1]
	}
	return len(p), nil
}

// writeError marks a failure to write the archive, which ends the import.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

type importer struct {
	a    *Archive
	opts ImportOptions
	sum  Summary
	read atomic.Int64
	cur  *sourceProgress // the source being imported, nil between sources
	// bulk, unless NoSeal is set, seals chunks straight from memory.
	bulk *file.BulkWriter
	// pending are the sources finished since the last chunk was handed to
	// sealing: their progress is committed with the next chunk.
	pending []sourceProgress
	// done are the sources finished in this import, so a source given
	// twice is skipped before its first copy is committed.
	done []sourceProgress
	// pages are the free pages of paged batches.
	pages chan []byte
}

// sourceProgress tracks what of one source is in the archive.
type sourceProgress struct {
	name     string
	entry    int // manifest entry, -1 before the first commit
	fp       fingerprint
	consumed uint64 // bytes of decompressed data whose records were appended
	records  uint64
}

// countingReader counts raw bytes for progress.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (imp *importer) importSource(ctx context.Context, src Source) error {
	rc, err := src.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	dr, _, err := input.Open(countingReader{r: rc, n: &imp.read})
	if err != nil {
		return err
	}
	defer dr.Close()
	br := bufio.NewReaderSize(dr, detectHead)
	head, err := br.Peek(FingerprintBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) && len(head) == 0 {
		return err
	}
	// A damaged stream shorter than the fingerprint still has its lines
	// read: the line reader reports the damage after them.
	if len(head) == 0 {
		return nil // an empty source adds nothing
	}
	head = bytes.Clone(head)
	cur := &sourceProgress{name: src.Name, entry: -1, fp: fingerprintOf(head)}
	if prev, ok := imp.lookup(head); ok && !imp.opts.Force {
		cur.entry, cur.consumed, cur.records = prev.entry, prev.consumed, prev.records
		var last lastByte
		n, err := io.CopyN(&last, br, int64(prev.consumed))
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if last.b != '\n' && n > 0 {
			// The last import ended in a line without its newline. If the
			// file has since ended that line and nothing more was written
			// on it, skip the newline rather than archive an empty line.
			if p, _ := br.Peek(2); bytes.HasPrefix(p, []byte("\n")) || bytes.HasPrefix(p, []byte("\r\n")) {
				skip := bytes.IndexByte(p, '\n') + 1
				br.Discard(skip)
				cur.consumed += uint64(skip)
			}
		}
		if _, perr := br.Peek(1); uint64(n) < prev.consumed || errors.Is(perr, io.EOF) {
			imp.sum.Skipped++
			return nil
		}
	}
	imp.cur = cur
	if binaryLooking(head) {
		imp.sum.Warnings = append(imp.sum.Warnings, fmt.Sprintf(
			"%s: looks binary (NUL bytes or mostly non-text in the first %d bytes); its lines are archived as they are", src.Name, len(head)))
	}
	format := imp.opts.Format
	if format == input.FormatAuto {
		h, _ := br.Peek(detectHead)
		if cur.consumed > 0 && len(head) > 0 {
			// Detect from the start of the source, not from the new tail.
			h = head
		}
		format = input.DetectHead(h)
	}
	ingest := imp.opts.Now()
	p := &lineParser{format: format, file: src.Name, loc: imp.opts.Location, ingest: ingest}
	if imp.bulk != nil {
		p.hash = imp.bulk.HashAttrs
	}
	ref := cmp.Or(src.ModTime, ingest)
	p.year = cmp.Or(imp.opts.Year, ref.In(imp.opts.Location).Year())
	var years *syslog.YearGuesser
	if imp.opts.Year == 0 {
		years = syslog.NewYearGuesser(ref.In(imp.opts.Location))
	}
	switch format {
	case input.FormatLokiPushJSON, input.FormatLokiPushProto:
		return imp.importDocument(br, p)
	case input.FormatLokiDefault:
		return imp.importSequential(ctx, br, p)
	}
	return imp.importParallel(ctx, br, p, years)
}

// append appends one record; end is the source offset just past the data
// it came from, recorded in the manifest at the next commit.
func (imp *importer) append(rec chunk.Record, end uint64) error {
	if imp.bulk != nil {
		if err := imp.bulk.Append(&rec); err != nil {
			return &writeError{err}
		}
	} else if _, err := imp.a.chunks.Append(rec); err != nil {
		return &writeError{err}
	}
	imp.sum.Records++
	imp.cur.records++
	imp.cur.consumed = max(imp.cur.consumed, end)
	return nil
}

func (imp *importer) progress(src string, f input.Format) {
	if imp.opts.Progress != nil {
		imp.opts.Progress(Progress{Source: src, Format: f, Read: imp.read.Load(), Records: imp.sum.Records})
	}
}

// importDocument reads push bodies: one protobuf body, or one or more
// JSON documents back to back (as `glarc export -o push-json` writes them,
// one per line). Each document is bounded by maxDocument.
func (imp *importer) importDocument(r io.Reader, p *lineParser) error {
	if p.format == input.FormatLokiPushProto {
		body, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
		if err != nil {
			return err
		}
		if len(body) > maxDocument {
			return fmt.Errorf("%s body larger than %d bytes", p.format, maxDocument)
		}
		entries, err := loki.DecodePushProto(body)
		if err != nil {
			return fmt.Errorf("decode %s: %w", p.format, err)
		}
		return imp.appendEntries(entries, p, imp.cur.consumed+uint64(len(body)))
	}
	base := imp.cur.consumed
	lr := &limitedReader{r: r, max: maxDocument}
	dec := json.NewDecoder(lr)
	for n := 1; ; n++ {
		var doc json.RawMessage
		start := dec.InputOffset()
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("push document %d at offset %d: %w", n, base+uint64(start), err)
		}
		entries, err := loki.DecodePushJSON(doc)
		if err != nil {
			return fmt.Errorf("push document %d at offset %d: %w", n, base+uint64(start), err)
		}
		if err := imp.appendEntries(entries, p, base+uint64(dec.InputOffset())); err != nil {
			return err
		}
		lr.mark = dec.InputOffset()
	}
}

// limitedReader bounds one JSON document: reads fail once more than max
// bytes were read past mark (the end of the previous document).
type limitedReader struct {
	r       io.Reader
	max     int64
	n, mark int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n-l.mark > l.max {
		return 0, fmt.Errorf("push document larger than %d bytes", l.max)
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// setFile adds the file attribute to a Loki entry, unless it has one
// already: a glarc export imported again keeps where it first came from.
func setFile(e *loki.Entry, file string) {
	if e.Labels == nil {
		e.Labels = make(chunk.Attributes, 1)
	}
	if _, ok := e.Labels[AttrFile]; !ok {
		e.Labels[AttrFile] = file
	}
}

// appendEntries appends Loki entries that end at source offset end.
func (imp *importer) appendEntries(entries []loki.Entry, p *lineParser, end uint64) error {
	for _, e := range entries {
		setFile(&e, p.file)
		if err := imp.append(e.Record(p.ingest), end); err != nil {
			return err
		}
	}
	imp.cur.consumed = max(imp.cur.consumed, end)
	imp.progress(p.file, p.format)
	return nil
}

// importSequential handles formats whose lines depend on each other
// (logcli default output joins continuation lines).
func (imp *importer) importSequential(ctx context.Context, r io.Reader, p *lineParser) error {
	lr := input.NewLineReader(r, imp.opts.MaxLine)
	base := imp.cur.consumed
	var dump loki.DefaultDump
	var lineErrs []error
	// An entry is emitted when the line after it arrives: it ends where
	// that line starts.
	var entryEnd uint64
	emit := func(e loki.Entry) error {
		setFile(&e, p.file)
		return imp.append(e.Record(p.ingest), entryEnd)
	}
	for n := 0; ; n++ {
		if n%batchLines == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			imp.progress(p.file, p.format)
		}
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, input.ErrLineTooLong) {
			lineErrs = append(lineErrs, err)
			continue
		}
		if err != nil {
			entryEnd = base + uint64(lr.Consumed())
			if e, ok := dump.Flush(); ok {
				if werr := emit(e); werr != nil {
					return werr
				}
			}
			return err
		}
		entryEnd = base + uint64(line.Offset)
		e, ok, perr := dump.Add(line.Text)
		if ok {
			if err := emit(e); err != nil {
				return err
			}
		}
		if perr != nil {
			imp.sum.RawLines++
			if err := imp.append(p.rawRecord(bytes.Clone(line.Text)), base+uint64(lr.Consumed())); err != nil {
				return err
			}
		}
	}
	entryEnd = base + uint64(lr.Consumed())
	if e, ok := dump.Flush(); ok {
		if err := emit(e); err != nil {
			return err
		}
	}
	imp.progress(p.file, p.format)
	return errors.Join(lineErrs...)
}

// batch is a run of lines handed to a parse worker.
type batch struct {
	// buf holds the lines back to back. A paged batch hands it to the
	// bulk writer as a page, which gives it back (to pages) once its
	// chunk is sealed; buf is then nil until the next line.
	buf    []byte
	parsed []parsed // the workers' output, reused with the batch
	// attrs holds the encoded attribute sets of the parsed records; in a
	// paged batch each distinct set once (sets), which the records index.
	attrs []byte
	// lines says where each line's text is in buf, and the source offset
	// just past it.
	lines input.PageLines
	out   chan []parsed // receives the parsed records; capacity 1
	// paged: the records' raw text is the line itself, and they go to the
	// bulk writer as one file.BulkBatch.
	paged bool
	sets  batchSets
	recs  []file.BulkRecord
}

type parsed struct {
	rec      chunk.Record
	yearless bool
	raw      bool // did not parse: archived raw
	// encoded says the attributes are batch.attrs[a0:a1] (chunk.Attributes
	// encoding) and rec.Attrs is nil.
	encoded bool
	a0, a1  int
	set     uint32 // in a paged batch: the index of its attribute set
	err     error  // in a paged batch: the attributes do not encode
}

// batchSets finds the distinct attribute sets of a paged batch, in its
// parse worker: the appending goroutine then looks up each distinct set
// once, with the hash computed here, instead of every record's.
type batchSets struct {
	slots []uint32 // set index+1; 0 = empty; a power of two long
	sets  []file.BulkSet
	spans [][2]int // where each set is in the batch's arena
}

// reset prepares for a batch of n records.
func (t *batchSets) reset(n int) {
	size := 64
	for size < 2*n {
		size *= 2
	}
	if cap(t.slots) < size {
		t.slots = make([]uint32, size)
	} else {
		t.slots = t.slots[:size]
		clear(t.slots)
	}
	t.sets, t.spans = t.sets[:0], t.spans[:0]
}

// add gives the set arena[a0:] an index: an equal set's, with arena cut
// back to a0, or a new one.
func (t *batchSets) add(arena []byte, a0 int, hash func([]byte) uint64) ([]byte, uint32) {
	b := arena[a0:]
	h := hash(b)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		k := t.slots[i]
		if k == 0 {
			n := uint32(len(t.sets))
			t.slots[i] = n + 1
			t.sets = append(t.sets, file.BulkSet{Hash: h})
			t.spans = append(t.spans, [2]int{a0, len(arena)})
			return arena, n
		}
		s := t.spans[k-1]
		if t.sets[k-1].Hash == h && string(arena[s[0]:s[1]]) == string(b) {
			return arena[:a0], k - 1
		}
	}
}

// finish points the sets into the final arena.
func (t *batchSets) finish(arena []byte) {
	for i, s := range t.spans {
		t.sets[i].Attrs = arena[s[0]:s[1]:s[1]]
	}
}

// importParallel reads lines in one goroutine, parses batches in
// imp.opts.Workers goroutines and appends in input order here.
func (imp *importer) importParallel(ctx context.Context, r io.Reader, p *lineParser, years *syslog.YearGuesser) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan *batch, imp.opts.Workers)
	ordered := make(chan *batch, 2*imp.opts.Workers+2)
	var readErr error // set by the reader before it closes ordered
	// Batches go round through pool once appended, so their buffers are
	// reused rather than left to the GC.
	pool := make(chan *batch, cap(ordered)+imp.opts.Workers+1)
	newBatch := func() *batch {
		select {
		case b := <-pool:
			return b
		default:
			return &batch{out: make(chan []parsed, 1)}
		}
	}
	// Paged batches' buffers come back from the bulk writer to the
	// importer's pool, shared by its sources: a chunk may hold pages of
	// several.
	if imp.pages == nil {
		imp.pages = make(chan []byte, pagePool)
	}
	pages := imp.pages
	paged := imp.bulk != nil && pageable(p.format)
	recycle := func(b *batch) {
		if cap(b.buf) > 4*batchBytes {
			b.buf = nil // kept for a long line: let it go
		}
		b.buf, b.attrs = b.buf[:0], b.attrs[:0]
		b.lines.Starts, b.lines.Ends, b.lines.Offs = b.lines.Starts[:0], b.lines.Ends[:0], b.lines.Offs[:0]
		select {
		case pool <- b:
		default:
		}
	}
	g.Go(func() error {
		defer close(ordered)
		defer close(jobs)
		var lineErrs []error
		b := newBatch()
		send := func() bool {
			select {
			case ordered <- b:
			case <-gctx.Done():
				return false
			}
			select {
			case jobs <- b:
			case <-gctx.Done():
				return false
			}
			b = newBatch()
			return true
		}
		// Lines are read straight into the batch's buffer. A paged batch
		// hands that buffer on to the bulk writer as a page (and takes a
		// free page); any other keeps it for the next batch.
		pr := input.NewPageReader(r, imp.opts.MaxLine)
		maxLines := batchLines
		if paged {
			maxLines = pageLines
		}
		for {
			page := b.buf
			if paged {
				select {
				case page = <-pages:
				default:
					page = nil
				}
			}
			if page == nil {
				page = make([]byte, 0, batchBytes)
			}
			page, errs, err := pr.Next(page, maxLines, &b.lines)
			lineErrs = append(lineErrs, errs...)
			b.buf, b.paged = page, paged
			if len(b.lines.Ends) > 0 && !send() {
				return gctx.Err()
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					lineErrs = append(lineErrs, err)
				}
				break
			}
		}
		readErr = errors.Join(lineErrs...)
		return nil
	})
	for range imp.opts.Workers {
		g.Go(func() error {
			for b := range jobs {
				n := len(b.lines.Ends)
				out := slices.Grow(b.parsed[:0], n)[:n]
				b.parsed = out
				arena := b.attrs[:0]
				if b.paged {
					b.sets.reset(n)
				}
				for i, end := range b.lines.Ends {
					arena = p.parse(b.buf[b.lines.Starts[i]:end:end], &out[i], arena)
					if b.paged {
						arena = p.index(&out[i], arena, &b.sets)
					}
				}
				b.attrs = arena
				if b.paged {
					b.sets.finish(arena)
				}
				b.out <- out
			}
			return nil
		})
	}
	base := imp.cur.consumed
	var appendErr error
	for b := range ordered {
		var out []parsed
		select {
		case out = <-b.out:
		case <-gctx.Done():
		}
		if out == nil {
			break
		}
		if b.paged {
			if appendErr = imp.appendPage(b, out, base, years, pages); appendErr != nil {
				break
			}
			recycle(b)
			imp.progress(p.file, p.format)
			continue
		}
		for i := range out {
			pr := &out[i]
			if pr.yearless && years != nil {
				pr.rec.SourceTS = redate(years, pr.rec.SourceTS)
			}
			if pr.raw {
				imp.sum.RawLines++
			}
			if appendErr = imp.appendParsed(pr, b.attrs, base+uint64(b.lines.Offs[i])); appendErr != nil {
				break
			}
		}
		if appendErr != nil {
			break
		}
		recycle(b)
		imp.progress(p.file, p.format)
	}
	if appendErr != nil {
		// Stop the reader and workers; drain what is queued so the reader
		// can close ordered.
		cancel()
		for range ordered {
		}
	}
	gerr := g.Wait()
	if appendErr != nil {
		return appendErr
	}
	if gerr != nil {
		return gerr
	}
	return readErr
}

// pageable reports whether a format's records are their lines as read,
// so a batch of them can be handed to the bulk writer as a page.
func pageable(f input.Format) bool {
	switch f {
	case input.FormatSyslog, input.FormatRFC5424, input.FormatRFC3339, input.FormatRaw, input.FormatLokiRaw:
		return true
	}
	return false
}

// appendPage hands a paged batch's records to the bulk writer, its
// buffer as their raw text, which comes back to pages once their chunk
// is sealed.
func (imp *importer) appendPage(b *batch, out []parsed, base uint64, years *syslog.YearGuesser, pages chan<- []byte) error {
	recs := b.recs[:0]
	for i := range out {
		pr := &out[i]
		if pr.err != nil {
			return &writeError{pr.err}
		}
		if pr.yearless && years != nil {
			pr.rec.SourceTS = redate(years, pr.rec.SourceTS)
		}
		if pr.raw {
			imp.sum.RawLines++
		}
		start := b.lines.Starts[i]
		recs = append(recs, file.BulkRecord{Source: pr.rec.SourceTS, Ingest: pr.rec.IngestTS,
			Off: uint32(start), Len: uint32(b.lines.Ends[i] - start), Set: pr.set})
	}
	b.recs = recs
	page := b.buf
	b.buf = nil
	// The batch goes to the writer in parts that each fit in a chunk, so
	// the progress a chunk's commit takes covers exactly its records; the
	// page comes back when every part's chunk is sealed.
	var refs atomic.Int32
	refs.Store(1)
	release := func() {
		if refs.Add(-1) == 0 && cap(page) <= batchBytes {
			select {
			case pages <- page[:0]:
			default:
			}
		}
	}
	defer release()
	for len(recs) > 0 {
		n, room := 0, imp.bulk.Room()
		for size := int64(0); n < len(recs) && (n == 0 || size+int64(recs[n].Len) <= room); n++ {
			size += int64(recs[n].Len)
		}
		refs.Add(1)
		if err := imp.bulk.AppendBatch(file.BulkBatch{Text: page, Sets: b.sets.sets, Records: recs[:n], Release: release}); err != nil {
			return &writeError{err}
		}
		imp.sum.Records += int64(n)
		imp.cur.records += uint64(n)
		imp.cur.consumed = max(imp.cur.consumed, base+uint64(b.lines.Offs[len(out)-len(recs)+n-1]))
		recs = recs[n:]
	}
	return nil
}

// index gives a parsed record of a paged batch its attribute set's index
// in sets, encoding the attributes first where parse left a map.
func (p *lineParser) index(pr *parsed, arena []byte, sets *batchSets) []byte {
	a0 := len(arena)
	if pr.encoded {
		a0 = pr.a0
	} else {
		var err error
		if arena, err = pr.rec.Attrs.AppendBinary(arena); err != nil {
			pr.err = err
			return arena[:a0]
		}
	}
	arena, pr.set = sets.add(arena, a0, p.hash)
	return arena
}

// redate gives a year-less timestamp the year the guesser assigns.
func redate(years *syslog.YearGuesser, t time.Time) time.Time {
	y := years.Year(t.Month(), t.Day())
	if y == t.Year() {
		return t
	}
	d := time.Date(y, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	if d.Month() != t.Month() { // Feb 29 in a year without one
		return t
	}
	return d
}

// lineParser turns one line into a record. It is shared by the parse
// workers and holds no mutable state.
type lineParser struct {
	format input.Format
	file   string
	loc    *time.Location
	year   int
	ingest time.Time
	// hash is the bulk writer's attribute set hash (paged batches only).
	hash func([]byte) uint64
}

func (p *lineParser) rawRecord(line []byte) chunk.Record {
	return chunk.Record{IngestTS: p.ingest, Attrs: chunk.Attributes{AttrFile: p.file}, Raw: line}
}

// parse parses one line into out. The record's attributes are encoded
// into arena (returned grown) here, in the parse workers, so the
// appending goroutine only copies bytes.
func (p *lineParser) parse(line []byte, out *parsed, arena []byte) []byte {
	a0 := len(arena)
	switch p.format {
	case input.FormatSyslog, input.FormatRFC5424, input.FormatRFC3339:
		var f syslog.Fields
		if err := syslog.ParseFields(line, syslog.Options{Year: p.year, Location: p.loc}, &f); err != nil {
			break
		}
		*out = parsed{rec: chunk.Record{SourceTS: f.Timestamp, IngestTS: p.ingest, Raw: line},
			yearless: !f.HasYear && !f.Timestamp.IsZero()}
		if enc, ok := appendSyslogAttrs(arena, &f, p.file); ok {
			out.encoded, out.a0, out.a1 = true, a0, len(enc)
			return enc
		}
		m := f.AsMessage()
		attrs := make(chunk.Attributes, 6)
		m.AppendAttrs(attrs)
		attrs[AttrFile] = p.file
		out.rec.Attrs = attrs
		return arena
	case input.FormatLokiJSONL:
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
		e, err := loki.ParseJSONLLine(line)
		if err != nil {
			break
		}
		setFile(&e, p.file)
		*out = parsed{rec: e.Record(p.ingest)}
		return arena
	case input.FormatRaw, input.FormatLokiRaw:
		*out = parsed{rec: chunk.Record{IngestTS: p.ingest, Raw: line}, encoded: true, a0: a0}
		arena = appendFileAttr(arena, p.file)
		out.a1 = len(arena)
		return arena
	}
	*out = parsed{rec: chunk.Record{IngestTS: p.ingest, Raw: line}, raw: true, encoded: true, a0: a0}
	arena = appendFileAttr(arena, p.file)
	out.a1 = len(arena)
	return arena
}

// appendParsed appends a parsed record whose attributes may be encoded in
// arena.
func (imp *importer) appendParsed(pr *parsed, arena []byte, end uint64) error {
	if !pr.encoded {
		return imp.append(pr.rec, end)
	}
	attrs := arena[pr.a0:pr.a1]
	if imp.bulk == nil {
		a, err := chunk.DecodeAttributes(attrs)
		if err != nil {
			return &writeError{err}
		}
		pr.rec.Attrs = a
		return imp.append(pr.rec, end)
	}
	if err := imp.bulk.AppendEncoded(pr.rec.SourceTS, pr.rec.IngestTS, attrs, pr.rec.Raw); err != nil {
		return &writeError{err}
	}
	imp.sum.Records++
	imp.cur.records++
	imp.cur.consumed = max(imp.cur.consumed, end)
	return nil
}

// appendFileAttr appends the encoding of the attribute set {file: name}.
func appendFileAttr(dst []byte, name string) []byte {
	dst = binary.AppendUvarint(dst, 1)
	dst = binary.AppendUvarint(dst, uint64(len(AttrFile)))
	dst = append(dst, AttrFile...)
	dst = binary.AppendUvarint(dst, uint64(len(name)))
	return append(dst, name...)
}

// commitSource records the finished (or failed) source in the manifest
// after making its records durable: the full chunks sealing in the
// background first, then the active chunk.
func (imp *importer) commitSource() error {
	cur := imp.cur
	imp.cur = nil
	if cur == nil || cur.records == 0 && cur.entry >= 0 {
		return nil
	}
	if imp.bulk != nil {
		// Committed with the chunk that holds its last record.
		imp.pending = append(imp.pending, *cur)
		imp.done = append(imp.done, *cur)
		return nil
	}
	return imp.a.commitDurable(func(m *manifest) {
		m.update(cur.entry, cur.fp, cur.consumed, cur.records, cur.name, imp.opts.Now())
	})
}

// commitRotate runs in Append when the active chunk is full. It takes a
// snapshot of the source's progress (every record so far is in the full
// chunk) and returns the commit that the sealing goroutine runs once that
// chunk is durable: the manifest then covers the whole chunk.
func (imp *importer) commitRotate(full chunk.ChunkMeta) func() error {
	a := imp.a
	mark := file.Mark{Chunk: full.ID, Records: full.Records}
	var snap *sourceProgress
	if cur := imp.cur; cur != nil && cur.records > 0 {
		c := *cur
		snap = &c
	}
	now := imp.opts.Now()
	return func() error {
		a.manifestMu.Lock()
		defer a.manifestMu.Unlock()
		a.manifest.mark = mark
		if snap != nil {
			a.manifest.update(snap.entry, snap.fp, snap.consumed, snap.records, snap.name, now)
		}
		return a.manifest.write(a.dir)
	}
}

// binaryLooking reports whether b holds NUL bytes or mostly bytes that are
// neither printable ASCII, white space nor UTF-8.
func binaryLooking(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return true
	}
	odd := 0
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			odd++
		}
	}
	return !utf8.Valid(b) && odd*10 > len(b)/10 || odd*4 > len(b)
}

// lookup finds what was imported before from a source starting with head:
// in this import (a source given twice), else in the manifest.
func (imp *importer) lookup(head []byte) (sourceProgress, bool) {
	a := imp.a
	a.manifestMu.Lock()
	i, ok := a.manifest.lookup(head)
	var prev sourceProgress
	if ok {
		e := a.manifest.entries[i]
		prev = sourceProgress{name: e.name, entry: i, fp: e.fp, consumed: e.consumed, records: e.records}
	}
	a.manifestMu.Unlock()
	for _, d := range slices.Backward(imp.done) {
		if int(d.fp.n) <= len(head) && (!ok || d.fp.n >= prev.fp.n) && fingerprintOf(head[:d.fp.n]) == d.fp {
			return d, true
		}
	}
	return prev, ok
}

// commitSeal runs in the bulk writer when a chunk is full: every record
// so far is in it or in an earlier chunk. It takes the progress of the
// sources finished since the last chunk and of the current one, and
// returns the commit the sealing goroutine runs once the chunk is sealed
// and durable: the manifest's mark moves to the end of the chunk.
func (imp *importer) commitSeal(full chunk.ChunkMeta) func() error {
	a := imp.a
	mark := file.Mark{Chunk: full.ID, Records: full.Records}
	updates := imp.pending
	imp.pending = nil
	if cur := imp.cur; cur != nil && cur.records > 0 {
		updates = append(updates, *cur)
	}
	now := imp.opts.Now()
	return func() error {
		a.manifestMu.Lock()
		defer a.manifestMu.Unlock()
		a.manifest.mark = mark
		applyProgress(a.manifest, updates, now)
		return a.manifest.write(a.dir)
	}
}

func applyProgress(m *manifest, updates []sourceProgress, now time.Time) {
	for _, u := range updates {
		m.update(u.entry, u.fp, u.consumed, u.records, u.name, now)
	}
}
