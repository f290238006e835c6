package syslogrx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Framing errors. Either one closes the connection.
var (
	// ErrFrameTooLarge means an octet count or a line exceeds the limit.
	ErrFrameTooLarge = errors.New("syslog frame too large")
	// ErrTruncatedFrame means the stream ended inside an octet-counted frame.
	ErrTruncatedFrame = errors.New("stream ended inside an octet-counted frame")
)

// maxCountDigits bounds the MSG-LEN of an octet-counted frame.
const maxCountDigits = 10

// FrameReader splits an RFC 6587 syslog stream into messages, detecting the
// framing per frame: a frame that starts with a non-zero digit followed by
// digits and a space is octet counted (`MSG-LEN SP MSG`); anything else is
// newline delimited (the LF is the trailer, not part of the message). Empty
// lines, and an LF after an octet-counted frame, are skipped.
type FrameReader struct {
	br      *bufio.Reader
	max     int
	pending int // bytes of the previous frame still to discard
}

// NewFrameReader reads frames of at most maxFrame bytes from r.
func NewFrameReader(r io.Reader, maxFrame int) *FrameReader {
	maxFrame = max(maxFrame, 1)
	return &FrameReader{br: bufio.NewReaderSize(r, maxFrame+maxCountDigits+2), max: maxFrame}
}

// Buffered reports whether another frame may be read without blocking.
func (f *FrameReader) Buffered() int { return f.br.Buffered() - f.pending }

// Next returns the next message. The slice is valid until the next call.
// It returns io.EOF at a clean end of stream; a newline-delimited message
// cut by the end of stream is returned as a message.
func (f *FrameReader) Next() ([]byte, error) {
	if f.pending > 0 {
		if _, err := f.br.Discard(f.pending); err != nil {
			return nil, err
		}
		f.pending = 0
	}
	for {
		b, err := f.br.Peek(1)
		if err != nil {
			return nil, err
		}
		switch c := b[0]; {
		case c == '\n':
			f.br.Discard(1)
			continue
		case c >= '1' && c <= '9':
			n, hdr, err := f.octetHeader()
			if err != nil {
				return nil, err
			}
			if hdr > 0 {
				return f.octetFrame(n, hdr)
			}
		}
		return f.line()
	}
}

// octetHeader looks for `MSG-LEN SP`. hdr is 0 when the frame is not octet
// counted.
func (f *FrameReader) octetHeader() (n int64, hdr int, err error) {
	for i := 1; i <= maxCountDigits+1; i++ {
		b, err := f.br.Peek(i)
		if err != nil {
			if len(b) == i-1 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				return 0, 0, nil // digits to the end: a line
			}
			return 0, 0, err
		}
		c := b[i-1]
		switch {
		case c >= '0' && c <= '9' && i <= maxCountDigits:
			n = n*10 + int64(c-'0')
		case c == ' ' && i > 1:
			if n > int64(f.max) {
				return 0, 0, fmt.Errorf("%w: octet count %d, at most %d", ErrFrameTooLarge, n, f.max)
			}
			return n, i, nil
		default:
			return 0, 0, nil
		}
	}
	return 0, 0, nil
}

func (f *FrameReader) octetFrame(n int64, hdr int) ([]byte, error) {
	f.br.Discard(hdr)
	b, err := f.br.Peek(int(n))
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %d of %d bytes", ErrTruncatedFrame, len(b), n)
		}
		return nil, err
	}
	f.pending = int(n)
	return b, nil
}

func (f *FrameReader) line() ([]byte, error) {
	b, err := f.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, fmt.Errorf("%w: line longer than %d bytes", ErrFrameTooLarge, f.max)
	case errors.Is(err, io.EOF) && len(b) > 0:
		if len(b) > f.max {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrFrameTooLarge, f.max)
		}
		return b, nil
	case err != nil:
		return nil, err
	}
	b = b[:len(b)-1]
	if len(b) > f.max {
		return nil, fmt.Errorf("%w: line longer than %d bytes", ErrFrameTooLarge, f.max)
	}
	return b, nil
}
