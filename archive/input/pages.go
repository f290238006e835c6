package input

import (
	"bytes"
	"io"
)

// PageReader splits a stream into lines like LineReader, but reads it
// straight into pages the caller owns: a page holds whole lines with their
// terminators, and PageLines says where each line's text is. Nothing is
// copied per line, and a page can be handed on (to parse workers, to the
// archive) while the next one is read. Only the start of a line that does
// not fit is copied, to the next page.
//
//	pr := input.NewPageReader(r, 0)
//	var ls input.PageLines
//	for {
//		page, lineErrs, err := pr.Next(make([]byte, 0, 256<<10), 4096, &ls)
//		// lineErrs: lines over the limit, skipped (*LineError)
//		for i := range ls.Starts {
//			use(page[ls.Starts[i]:ls.Ends[i]], ls.Offs[i])
//		}
//		if err != nil {
//			break // io.EOF at the end, else a read error after every line before it
//		}
//	}
//
// Lines, line numbers, offsets and errors are exactly LineReader's.
type PageReader struct {
	r       io.Reader
	maxLine int
	carry   []byte // the start of a line read into the previous page
	base    int64  // stream offset of carry[0]
	number  int64  // number of the last line delivered or skipped
	err     error  // sticky read error (io.EOF included)
}

// PageLines are the lines of one page: the text of line i (without its
// terminator) is page[Starts[i]:Ends[i]], and Offs[i] is the stream offset
// just past it, its terminator included.
type PageLines struct {
	Starts, Ends []int
	Offs         []int64
}

func (ls *PageLines) reset() {
	ls.Starts, ls.Ends, ls.Offs = ls.Starts[:0], ls.Ends[:0], ls.Offs[:0]
}

func (ls *PageLines) add(start, end int, off int64) {
	ls.Starts = append(ls.Starts, start)
	ls.Ends = append(ls.Ends, end)
	ls.Offs = append(ls.Offs, off)
}

// NewPageReader returns a PageReader over r that delivers lines of up to
// maxLine bytes (DefaultMaxLine when maxLine <= 0).
func NewPageReader(r io.Reader, maxLine int) *PageReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &PageReader{r: r, maxLine: maxLine}
}

// Next fills page (from its start, up to its capacity) with the next
// lines, at most maxLines of them, and describes them in ls. It returns
// the page, grown only when one line does not fit in it, cut after the
// last whole line. Lines over the limit are skipped and returned as
// *LineError values. At the end of the stream err is io.EOF, or the read
// error, once every line before it was returned; the page may then still
// hold lines.
func (pr *PageReader) Next(page []byte, maxLines int, ls *PageLines) (_ []byte, lineErrs []error, err error) {
	ls.reset()
	maxLines = max(maxLines, 1)
	page = append(page[:0], pr.carry...)
	base := pr.base // stream offset of page[0]
	pos := 0        // start of the current line
	scanned := pos  // page[pos:scanned] holds no LF
	for len(ls.Ends) < maxLines {
		if i := bytes.IndexByte(page[scanned:], '\n'); i >= 0 {
			nl := scanned + i
			end := nl
			if end > pos && page[end-1] == '\r' {
				end--
			}
			pr.number++
			if end-pos > pr.maxLine {
				lineErrs = append(lineErrs, &LineError{Number: pr.number, Offset: base + int64(pos), Length: int64(end - pos), Err: ErrLineTooLong})
			} else {
				ls.add(pos, end, base+int64(nl)+1)
			}
			pos, scanned = nl+1, nl+1
			continue
		}
		scanned = len(page)
		if pr.err != nil {
			if pos < len(page) {
				// The last line, without a terminator.
				pr.number++
				if n := len(page) - pos; n > pr.maxLine {
					lineErrs = append(lineErrs, &LineError{Number: pr.number, Offset: base + int64(pos), Length: int64(n), Err: ErrLineTooLong})
				} else {
					ls.add(pos, len(page), base+int64(len(page)))
				}
				pos = len(page)
			}
			break
		}
		if len(page)-pos > pr.maxLine+1 {
			// maxLine+2 bytes and no LF: too long even with a CR LF.
			if pos > 0 {
				break // skipped from the start of the next page
			}
			var le *LineError
			page, base, le = pr.skipLong(page, pos, base)
			lineErrs = append(lineErrs, le)
			pos, scanned = 0, 0
			continue
		}
		if len(page) == cap(page) {
			if pos > 0 {
				break // whole lines fill the page; the rest goes to the next
			}
			np := make([]byte, len(page), min(2*max(cap(page), 64), pr.maxLine+2))
			copy(np, page)
			page = np
		}
		page = pr.fill(page)
	}
	pr.carry = append(pr.carry[:0], page[pos:]...)
	pr.base = base + int64(pos)
	if len(pr.carry) == 0 && pr.err != nil {
		return page[:pos], lineErrs, pr.err
	}
	return page[:pos], lineErrs, nil
}

// fill reads more data into page's spare capacity, recording a read error
// (io.EOF included) in pr.err.
func (pr *PageReader) fill(page []byte) []byte {
	// A few empty reads are allowed by io.Reader; give up after many.
	for range 100 {
		n, err := pr.r.Read(page[len(page):cap(page)])
		page = page[:len(page)+n]
		if err != nil {
			pr.err = err
			return page
		}
		if n > 0 {
			return page
		}
	}
	pr.err = io.ErrNoProgress
	return page
}

// skipLong discards the over-long line starting at page[pos:] up to and
// including its LF (or to the end of input), reading into page as it
// goes; page holds no line before it. It returns the page holding what
// follows the line, from its start, and that page's stream offset.
func (pr *PageReader) skipLong(page []byte, pos int, base int64) ([]byte, int64, *LineError) {
	pr.number++
	le := &LineError{Number: pr.number, Offset: base + int64(pos), Err: ErrLineTooLong}
	prevCR := false
	for {
		data := page[pos:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			le.Length += int64(i)
			if (i > 0 && data[i-1] == '\r') || (i == 0 && prevCR) {
				le.Length--
			}
			next := pos + i + 1
			n := copy(page, page[next:])
			return page[:n], base + int64(next), le
		}
		le.Length += int64(len(data))
		prevCR = len(data) > 0 && data[len(data)-1] == '\r'
		base += int64(len(page))
		page, pos = page[:0], 0
		if pr.err != nil {
			return page, base, le
		}
		page = pr.fill(page)
	}
}
