package syslogrx

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func readFrames(r io.Reader, maxFrame int) ([]string, error) {
	fr := NewFrameReader(r, maxFrame)
	var out []string
	for {
		b, err := fr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(b))
	}
}

func TestFrameReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want []string
		err  error
	}{
		{name: "lf", in: "<13>a\n<13>b\n", want: []string{"<13>a", "<13>b"}},
		{name: "octet", in: "5 hello3 abc", want: []string{"hello", "abc"}},
		{name: "octet embedded lf", in: "9 one\ntwo\n\n", want: []string{"one\ntwo\n\n"}},
		{name: "mixed per frame", in: "5 hello<13>line\n3 abc\n<14>x\n", want: []string{"hello", "<13>line", "abc", "<14>x"}},
		{name: "empty lines skipped", in: "\n\n<13>a\n\n", want: []string{"<13>a"}},
		{name: "last line without lf", in: "<13>a\n<13>b", want: []string{"<13>a", "<13>b"}},
		{name: "digits then no space is a line", in: "2024-01-01 host msg\n", want: []string{"2024-01-01 host msg"}},
		{name: "only digits is a line", in: "12345", want: []string{"12345"}},
		{name: "cr kept", in: "<13>a\r\n", want: []string{"<13>a\r"}},
		{name: "octet too large", in: "100 abc", max: 10, err: ErrFrameTooLarge},
		{name: "line too large", in: "<13>abcdefghijklmnop\n", max: 8, err: ErrFrameTooLarge},
		{name: "last line too large", in: "<13>abcdefghijklmnop", max: 8, err: ErrFrameTooLarge},
		{name: "truncated octet", in: "10 abc", err: ErrTruncatedFrame},
		{name: "count of max size", in: "4 abcd", max: 4, want: []string{"abcd"}},
		{name: "eleven digits is a line", in: "12345678901 x\n", want: []string{"12345678901 x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readFrames(bytes.NewReader([]byte(tt.in)), cmp.Or(tt.max, 1024))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// oneByteReader returns one byte per Read, as a slow sender would.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(1, len(p))]) }

func TestFrameReaderCaptures(t *testing.T) {
	caps := loadCaptures(t)
	for _, c := range caps {
		if c.File == "" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(wireDir(t), c.File))
		require.NoError(t, err)
		t.Run(c.File, func(t *testing.T) {
			got, err := readFrames(bytes.NewReader(data), DefaultMaxFrame)
			require.NoError(t, err)
			require.Equal(t, c.Frames, got)
			got, err = readFrames(oneByteReader{bytes.NewReader(data)}, DefaultMaxFrame)
			require.NoError(t, err)
			require.Equal(t, c.Frames, got)
		})
	}
}

func FuzzFrameReader(f *testing.F) {
	for _, s := range []string{"5 hello3 abc", "<13>a\n<13>b", "9 one\ntwo\n\n", "100 abc", "\n\n1", "0 x\n"} {
		f.Add([]byte(s))
	}
	if ents, err := os.ReadDir(filepath.Join("..", "..", "..", "..", "shared", "testdata", "syslog_wire")); err == nil {
		for _, e := range ents {
			if filepath.Ext(e.Name()) == ".bin" {
				b, _ := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "testdata", "syslog_wire", e.Name()))
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const maxFrame = 64
		fr := NewFrameReader(bytes.NewReader(in), maxFrame)
		total := 0
		for range len(in) + 1 {
			b, err := fr.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrTruncatedFrame) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(b) > maxFrame {
				t.Fatalf("frame of %d bytes over the limit", len(b))
			}
			total += len(b)
			if total > len(in) {
				t.Fatalf("frames hold more bytes (%d) than the input (%d)", total, len(in))
			}
		}
		t.Fatal("no progress")
	})
}
