package input

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names the compression of an input stream. The values are
// stable and may be stored.
type Compression uint8

// Compressions recognised by Open.
const (
	CompressionNone  Compression = 0
	CompressionGzip  Compression = 1
	CompressionZstd  Compression = 2
	CompressionBzip2 Compression = 3
)

func (c Compression) String() string {
	switch c {
	case CompressionNone:
		return "none"
	case CompressionGzip:
		return "gzip"
	case CompressionZstd:
		return "zstd"
	case CompressionBzip2:
		return "bzip2"
	}
	return fmt.Sprintf("Compression(%d)", uint8(c))
}

// Magic numbers at the start of compressed streams.
var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicBzip2 = []byte("BZh") // followed by the block size '1'..'9'
)

// magicLen is the number of bytes Open peeks at.
const magicLen = 4

// openBufSize is the read buffer between the source and a decompressor.
const openBufSize = 256 << 10

// zstdMaxWindow bounds the zstd window (and so the decoder's memory); zstd
// itself allows up to 3.75 TB, `zstd --long=31` needs 2 GiB.
const zstdMaxWindow = 2 << 30

var (
	// ErrTruncated means a compressed stream ended in the middle: every
	// byte before the cut was delivered. The error is a *StreamError.
	ErrTruncated = errors.New("compressed stream truncated")
	// ErrCorruptStream means a compressed stream holds bad data (bad
	// header, checksum mismatch, invalid block, garbage after a member).
	// Every byte decoded before the damage was delivered. The error is a
	// *StreamError.
	ErrCorruptStream = errors.New("compressed stream corrupt")
)

// StreamError reports where decompression stopped.
type StreamError struct {
	Compression Compression
	// Offset is the number of decompressed bytes delivered before the error.
	Offset int64
	// Kind is ErrTruncated or ErrCorruptStream.
	Kind error
	// Err is the decompressor's own error (io.ErrUnexpectedEOF, gzip.ErrChecksum, ...).
	Err error
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("%s: %v after %d decompressed bytes: %v", e.Compression, e.Kind, e.Offset, e.Err)
}

// Unwrap lets errors.Is match both Kind and the decompressor's error.
func (e *StreamError) Unwrap() []error { return []error{e.Kind, e.Err} }

// Open looks at the first bytes of r and returns a reader of the
// decompressed data: gzip (multi-member streams are read through), zstd and
// bzip2 are recognised by their magic bytes, not by file name; anything else
// is returned as is. Read errors from a decompressor are *StreamError values
// that say how many decompressed bytes came before them.
//
// Close the returned reader to release the decompressor; it does not close r.
func Open(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, openBufSize)
	head, err := br.Peek(magicLen)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, CompressionNone, fmt.Errorf("open input: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, CompressionGzip, streamError(CompressionGzip, 0, err)
		}
		return newCountingReader(zr, CompressionGzip, zr.Close), CompressionGzip, nil
	case bytes.HasPrefix(head, magicZstd):
		zr, err := zstd.NewReader(br,
			zstd.WithDecoderConcurrency(1), // synchronous: no goroutines to leak
			zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, CompressionZstd, streamError(CompressionZstd, 0, err)
		}
		return newCountingReader(zr, CompressionZstd, func() error { zr.Close(); return nil }), CompressionZstd, nil
	case len(head) == magicLen && bytes.HasPrefix(head, magicBzip2) && head[3] >= '1' && head[3] <= '9':
		return newCountingReader(bzip2.NewReader(br), CompressionBzip2, nil), CompressionBzip2, nil
	}
	return io.NopCloser(br), CompressionNone, nil
}

func streamError(c Compression, off int64, err error) error {
	kind := ErrCorruptStream
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		kind = ErrTruncated
		if errors.Is(err, io.EOF) {
			// A stream that ends before its first header is truncated too.
			err = io.ErrUnexpectedEOF
		}
	}
	return &StreamError{Compression: c, Offset: off, Kind: kind, Err: err}
}

// countingReader counts decompressed bytes and turns decompressor errors
// into *StreamError. Its error is sticky.
type countingReader struct {
	r     io.Reader
	comp  Compression
	n     int64
	err   error
	close func() error
}

func newCountingReader(r io.Reader, c Compression, closeFn func() error) *countingReader {
	return &countingReader{r: r, comp: c, close: closeFn}
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			c.err = io.EOF
		} else {
			c.err = streamError(c.comp, c.n, err)
		}
	}
	return n, c.err
}

func (c *countingReader) Close() error {
	if c.close == nil {
		return nil
	}
	return c.close()
}
