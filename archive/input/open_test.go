package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
)

func readTestdata(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func zstdBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	require.NoError(t, err)
	defer zw.Close()
	return zw.EncodeAll(data, nil)
}

func openAll(t *testing.T, in []byte) ([]byte, Compression, error) {
	t.Helper()
	rc, c, err := Open(bytes.NewReader(in))
	if err != nil {
		return nil, c, err
	}
	defer func() { require.NoError(t, rc.Close()) }()
	out, err := io.ReadAll(rc)
	return out, c, err
}

func TestOpen(t *testing.T) {
	plain := []byte("line one\nline two\r\nno newline")
	hello, err := readTestdata("hello.txt")
	require.NoError(t, err)
	bz, err := readTestdata("hello.txt.bz2")
	require.NoError(t, err, "testdata/hello.txt.bz2 was made with the bzip2 CLI")
	tests := []struct {
		name string
		in   []byte
		want []byte
		comp Compression
	}{
		{"plain", plain, plain, CompressionNone},
		{"empty", nil, nil, CompressionNone},
		{"one byte", []byte("x"), []byte("x"), CompressionNone},
		{"gzip magic prefix only in text", []byte("BZhello"), []byte("BZhello"), CompressionNone},
		{"gzip", gzipBytes(t, plain), plain, CompressionGzip},
		{"gzip multi-member", append(gzipBytes(t, []byte("first\n")), gzipBytes(t, []byte("second\n"))...), []byte("first\nsecond\n"), CompressionGzip},
		{"gzip empty", gzipBytes(t, nil), nil, CompressionGzip},
		{"zstd", zstdBytes(t, plain), plain, CompressionZstd},
		{"zstd two frames", append(zstdBytes(t, []byte("a\n")), zstdBytes(t, []byte("b\n"))...), []byte("a\nb\n"), CompressionZstd},
		{"bzip2", bz, hello, CompressionBzip2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, c, err := openAll(t, tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.comp, c)
			require.Equal(t, string(tt.want), string(out))
		})
	}
}

func TestOpenBzip2CLI(t *testing.T) {
	// A bigger bzip2 stream than the fixture, made by the real CLI.
	path, err := exec.LookPath("bzip2")
	if err != nil {
		t.Skip("bzip2 CLI not installed; testdata/hello.txt.bz2 still covers bzip2")
	}
	data := numbered(5000)
	cmd := exec.Command(path, "-c")
	cmd.Stdin = bytes.NewReader(data)
	bz, err := cmd.Output()
	require.NoError(t, err)
	out, c, err := openAll(t, bz)
	require.NoError(t, err)
	require.Equal(t, CompressionBzip2, c)
	require.Equal(t, data, out)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readTestdata(name)
	require.NoError(t, err)
	return b
}

// numbered makes n lines "line 000001 ...\n".
func numbered(n int) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %06d some text to make the stream longer %d\n", i, i*7919)
	}
	return b.Bytes()
}

func TestOpenTruncated(t *testing.T) {
	data := numbered(20000)
	tests := []struct {
		name string
		in   []byte
		comp Compression
	}{
		{"gzip", gzipBytes(t, data), CompressionGzip},
		{"zstd", zstdBytes(t, data), CompressionZstd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cut := tt.in[:len(tt.in)*2/3]
			rc, c, err := Open(bytes.NewReader(cut))
			require.NoError(t, err)
			require.Equal(t, tt.comp, c)
			lr := NewLineReader(rc, 0)
			lines, err := readAll(t, lr)
			require.ErrorIs(t, err, ErrTruncated)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			var se *StreamError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.comp, se.Compression)
			require.Contains(t, err.Error(), tt.comp.String())
			require.Contains(t, err.Error(), fmt.Sprint(se.Offset))

			// Every line before the damage is delivered, in order, and
			// the partial last line is a prefix of the real one.
			want := refLines(string(data), DefaultMaxLine)
			require.Greater(t, len(lines), 1000)
			for i, l := range lines[:len(lines)-1] {
				require.Equal(t, want[i], l)
			}
			last := lines[len(lines)-1]
			require.True(t, strings.HasPrefix(want[len(lines)-1].Text, last.Text))
			require.Equal(t, last.Offset+int64(len(last.Text)), se.Offset, "offset is where decompression stopped")
		})
	}
}

func TestOpenDamaged(t *testing.T) {
	data := numbered(100)
	gz := gzipBytes(t, data)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff
	trailing := append(bytes.Clone(gz), "garbage after the member"...)
	tests := []struct {
		name string
		in   []byte
		kind error
	}{
		{"gzip bad checksum", badCRC, ErrCorruptStream},
		{"gzip garbage after member", trailing, ErrCorruptStream},
		{"gzip header only", gz[:2], ErrTruncated},
		{"bzip2 truncated", mustRead(t, "hello.txt.bz2.truncated"), ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := openAll(t, tt.in)
			require.ErrorIs(t, err, tt.kind)
			var se *StreamError
			require.True(t, errors.As(err, &se), "%v", err)
		})
	}
}

func TestCompressionString(t *testing.T) {
	require.Equal(t, "none", CompressionNone.String())
	require.Equal(t, "gzip", CompressionGzip.String())
	require.Equal(t, "zstd", CompressionZstd.String())
	require.Equal(t, "bzip2", CompressionBzip2.String())
	require.Equal(t, "Compression(9)", Compression(9).String())
}

func FuzzOpen(f *testing.F) {
	f.Add([]byte("plain\n"))
	f.Add(gzipBytes(f, []byte("a\nb\n")))
	f.Add(zstdBytes(f, []byte("a\nb\n")))
	for _, name := range []string{"hello.txt.bz2", "hello.txt.bz2.truncated"} {
		if b, err := readTestdata(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rc, _, err := Open(bytes.NewReader(data))
		if err != nil {
			return
		}
		defer rc.Close()
		// Bounded: never read more than 1 MiB of output from a fuzz input.
		_, _ = io.Copy(io.Discard, io.LimitReader(rc, 1<<20))
	})
}
