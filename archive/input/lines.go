package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
)

// DefaultMaxLine is the longest line NewLineReader delivers when given 0.
const DefaultMaxLine = 16 << 20

// initialLineBuf is the LineReader's first buffer size; it doubles up to
// maxLine plus the terminator.
const initialLineBuf = 64 << 10

// ErrLineTooLong means a line was longer than the reader's limit. It was
// skipped (and counted); the error is a *LineError naming it.
var ErrLineTooLong = errors.New("line too long")

// LineError names a line that could not be delivered.
type LineError struct {
	Number int64 // 1-based line number
	Offset int64 // byte offset of the line start
	Length int64 // length without terminator, as far as it was read
	Err    error // ErrLineTooLong
}

func (e *LineError) Error() string {
	return fmt.Sprintf("line %d at offset %d: %v (%d bytes)", e.Number, e.Offset, e.Err, e.Length)
}

func (e *LineError) Unwrap() error { return e.Err }

// Line is one line of input.
type Line struct {
	// Text is the line without its terminator (LF, or CR LF). It points into
	// the reader's buffer and is valid until the next call.
	Text []byte
	// Offset is the byte offset of the line's first byte in the stream.
	Offset int64
	// Number is the 1-based line number.
	Number int64
}

// LineReader splits a stream into lines using one reusable buffer that
// grows to at most maxLine+2 bytes.
type LineReader struct {
	r       io.Reader
	maxLine int
	buf     []byte
	start   int   // first unread byte in buf
	end     int   // end of valid data in buf
	scanned int   // buf[start:scanned] holds no LF
	base    int64 // stream offset of buf[0]
	number  int64 // number of the last line returned
	err     error // sticky read error, returned once the buffer is drained
}

// NewLineReader returns a LineReader over r that delivers lines of up to
// maxLine bytes (DefaultMaxLine when maxLine <= 0).
func NewLineReader(r io.Reader, maxLine int) *LineReader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &LineReader{r: r, maxLine: maxLine}
}

// Next returns the next line. At the end it returns io.EOF. A line longer
// than the limit gives a *LineError wrapping ErrLineTooLong (with the
// line's Number and Offset set in the returned Line); the reader has then
// skipped it and Next may be called again. A read error (for example a
// *StreamError from a damaged .gz) comes after every line before it,
// including a partial last line, and is then returned by every call.
func (lr *LineReader) Next() (Line, error) {
	if lr.buf == nil {
		lr.buf = make([]byte, min(initialLineBuf, lr.maxLine+2))
	}
	for {
		if i := bytes.IndexByte(lr.buf[lr.scanned:lr.end], '\n'); i >= 0 {
			nl := lr.scanned + i
			text := lr.buf[lr.start:nl]
			if n := len(text); n > 0 && text[n-1] == '\r' {
				text = text[:n-1]
			}
			if len(text) > lr.maxLine {
				// Only possible for "maxLine+1 bytes + LF" where the
				// extra byte is not a CR.
				return lr.tooLong(nl+1, int64(len(text)))
			}
			return lr.emit(text, nl+1), nil
		}
		lr.scanned = lr.end
		if lr.err != nil {
			if n := lr.end - lr.start; n > lr.maxLine {
				return lr.tooLong(lr.end, int64(n))
			}
			if lr.start < lr.end {
				return lr.emit(lr.buf[lr.start:lr.end], lr.end), nil
			}
			return Line{}, lr.err
		}
		if lr.end-lr.start > lr.maxLine+1 {
			// maxLine+2 bytes and no LF: too long even with a CR LF.
			return lr.skipLong()
		}
		lr.fill()
	}
}

// emit returns buf[start:...] as the next line and moves start to next.
func (lr *LineReader) emit(text []byte, next int) Line {
	lr.number++
	l := Line{Text: text, Offset: lr.base + int64(lr.start), Number: lr.number}
	lr.start, lr.scanned = next, next
	return l
}

func (lr *LineReader) tooLong(next int, length int64) (Line, error) {
	lr.number++
	l := Line{Offset: lr.base + int64(lr.start), Number: lr.number}
	lr.start, lr.scanned = next, next
	return l, &LineError{Number: l.Number, Offset: l.Offset, Length: length, Err: ErrLineTooLong}
}

// skipLong discards the current over-long line up to and including its LF
// (or to the end of input) and reports it.
func (lr *LineReader) skipLong() (Line, error) {
	lr.number++
	l := Line{Offset: lr.base + int64(lr.start), Number: lr.number}
	var length int64
	prevCR := false
	for {
		data := lr.buf[lr.start:lr.end]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			length += int64(i)
			if (i > 0 && data[i-1] == '\r') || (i == 0 && prevCR) {
				length--
			}
			lr.start += i + 1
			lr.scanned = lr.start
			break
		}
		length += int64(len(data))
		prevCR = len(data) > 0 && data[len(data)-1] == '\r'
		lr.base += int64(lr.end)
		lr.start, lr.end, lr.scanned = 0, 0, 0
		if lr.err != nil {
			break
		}
		lr.fill()
	}
	return l, &LineError{Number: l.Number, Offset: l.Offset, Length: length, Err: ErrLineTooLong}
}

// fill reads more data into buf, compacting or growing it first when it is
// full. It records a read error (io.EOF included) in lr.err.
func (lr *LineReader) fill() {
	if lr.end == len(lr.buf) {
		if lr.start > 0 {
			n := copy(lr.buf, lr.buf[lr.start:lr.end])
			lr.base += int64(lr.start)
			lr.scanned -= lr.start
			lr.start, lr.end = 0, n
		} else {
			size := min(2*len(lr.buf), lr.maxLine+2)
			nb := make([]byte, size)
			copy(nb, lr.buf[:lr.end])
			lr.buf = nb
		}
	}
	// A few empty reads are allowed by io.Reader; give up after many.
	for range 100 {
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err != nil {
			lr.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	lr.err = io.ErrNoProgress
}

// All returns the remaining lines as an iterator. Over-long lines yield a
// *LineError and iteration goes on; any other error is yielded once and
// ends it. io.EOF is not yielded.
func (lr *LineReader) All() iter.Seq2[Line, error] {
	return func(yield func(Line, error) bool) {
		for {
			l, err := lr.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil && !errors.Is(err, ErrLineTooLong) {
				yield(l, err)
				return
			}
			if !yield(l, err) {
				return
			}
		}
	}
}

// Lines returns the number of lines delivered or skipped so far.
func (lr *LineReader) Lines() int64 { return lr.number }
