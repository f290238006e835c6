package input

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// got is one Next result, copied.
type got struct {
	Text    string
	Offset  int64
	Number  int64
	TooLong bool
}

// readAll drains a LineReader, copying every line, and returns the final
// error (nil for a clean io.EOF).
func readAll(t testing.TB, lr *LineReader) ([]got, error) {
	t.Helper()
	var out []got
	for range 1 << 20 {
		l, err := lr.Next()
		switch {
		case errors.Is(err, io.EOF):
			return out, nil
		case errors.Is(err, ErrLineTooLong):
			var le *LineError
			require.ErrorAs(t, err, &le)
			require.Equal(t, l.Number, le.Number)
			require.Equal(t, l.Offset, le.Offset)
			out = append(out, got{Offset: l.Offset, Number: l.Number, TooLong: true})
		case err != nil:
			return out, err
		default:
			out = append(out, got{Text: string(l.Text), Offset: l.Offset, Number: l.Number})
		}
	}
	t.Fatal("LineReader does not end")
	return nil, nil
}

// refLines is the specification of the splitting, written plainly.
func refLines(data string, maxLine int) []got {
	var out []got
	off := int64(0)
	for n := int64(1); len(data) > 0; n++ {
		line, rest, found := strings.Cut(data, "\n")
		text := line
		if found {
			text = strings.TrimSuffix(line, "\r")
		}
		g := got{Offset: off, Number: n}
		if len(text) > maxLine {
			g.TooLong = true
		} else {
			g.Text = text
		}
		out = append(out, g)
		off += int64(len(line))
		if found {
			off++
		}
		data = rest
	}
	return out
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		maxLine int
		want    []got
	}{
		{name: "empty", in: "", want: nil},
		{name: "LF", in: "a\nbc\n", want: []got{{"a", 0, 1, false}, {"bc", 2, 2, false}}},
		{name: "CRLF", in: "a\r\nbc\r\n", want: []got{{"a", 0, 1, false}, {"bc", 3, 2, false}}},
		{name: "last line without newline", in: "a\nlast", want: []got{{"a", 0, 1, false}, {"last", 2, 2, false}}},
		{name: "lone CR stays", in: "a\rb\nc\r", want: []got{{"a\rb", 0, 1, false}, {"c\r", 4, 2, false}}},
		{name: "empty lines", in: "\n\r\n\n", want: []got{{"", 0, 1, false}, {"", 1, 2, false}, {"", 3, 3, false}}},
		{name: "NUL and invalid UTF-8", in: "a\x00b\n\xff\xfe\xc3\n", want: []got{{"a\x00b", 0, 1, false}, {"\xff\xfe\xc3", 4, 2, false}}},
		{name: "exactly max", in: "abcd\nabcd\r\nabcd", maxLine: 4,
			want: []got{{"abcd", 0, 1, false}, {"abcd", 5, 2, false}, {"abcd", 11, 3, false}}},
		{name: "too long skipped", in: "abcd\nabcde\nxy\nabcdef\r\nlongest line at the end", maxLine: 4,
			want: []got{{"abcd", 0, 1, false}, {"", 5, 2, true}, {"xy", 11, 3, false}, {"", 14, 4, true}, {"", 22, 5, true}}},
		{name: "max+1 then LF", in: "abcde\n", maxLine: 4, want: []got{{"", 0, 1, true}}},
		{name: "CR makes it too long only without LF", in: "abcd\r", maxLine: 4, want: []got{{"", 0, 1, true}}},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				lr := NewLineReader(wrap(strings.NewReader(tt.in)), tt.maxLine)
				out, err := readAll(t, lr)
				require.NoError(t, err)
				require.Equal(t, tt.want, out)
				require.Equal(t, refLines(tt.in, cmpMax(tt.maxLine)), out)
				require.Equal(t, int64(len(tt.want)), lr.Lines())
			})
		}
	}
}

func cmpMax(m int) int {
	if m <= 0 {
		return DefaultMaxLine
	}
	return m
}

func TestLineReaderLongLines(t *testing.T) {
	// Lines that cross many buffer refills and growths.
	long := strings.Repeat("x", 3*initialLineBuf+17)
	in := "short\n" + long + "\r\n" + long + "y\nend\n"
	lr := NewLineReader(iotest.HalfReader(strings.NewReader(in)), len(long))
	out, err := readAll(t, lr)
	require.NoError(t, err)
	require.Equal(t, refLines(in, len(long)), out)
	require.True(t, out[2].TooLong)
	require.Equal(t, "end", out[3].Text)
}

func TestLineReaderTenMiBLine(t *testing.T) {
	line := bytes.Repeat([]byte("0123456789abcdef"), 10<<20/16)
	in := append(append([]byte("before\n"), line...), "\nafter"...)
	lr := NewLineReader(bytes.NewReader(in), 0)
	var lines []Line
	for l, err := range lr.All() {
		require.NoError(t, err)
		l.Text = bytes.Clone(l.Text)
		lines = append(lines, l)
	}
	require.Len(t, lines, 3)
	require.Equal(t, line, lines[1].Text)
	require.Equal(t, int64(7), lines[1].Offset)
	require.Equal(t, "after", string(lines[2].Text))
	require.Equal(t, int64(3), lines[2].Number)
}

func TestLineReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\nb\npart"), iotest.ErrReader(boom))
	lr := NewLineReader(r, 0)
	out, err := readAll(t, lr)
	require.ErrorIs(t, err, boom)
	require.Equal(t, []got{{"a", 0, 1, false}, {"b", 2, 2, false}, {"part", 4, 3, false}}, out)
	_, err = lr.Next()
	require.ErrorIs(t, err, boom, "the error is sticky")
}

func TestLineReaderAllStopsEarly(t *testing.T) {
	lr := NewLineReader(strings.NewReader("a\nb\nc\n"), 0)
	n := 0
	for range lr.All() {
		n++
		if n == 2 {
			break
		}
	}
	l, err := lr.Next()
	require.NoError(t, err)
	require.Equal(t, "c", string(l.Text))
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), uint16(0))
	f.Add([]byte("abcde\r\nabcd\r\rxx"), uint16(4))
	f.Add([]byte("\n\n\r\n\r"), uint16(1))
	if b, err := readTestdata("hello.txt"); err == nil {
		f.Add(b, uint16(8))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		maxLine := int(max%64) + 1
		want := refLines(string(data), maxLine)
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
			out, err := readAll(t, NewLineReader(r, maxLine))
			require.NoError(t, err)
			require.Equal(t, want, out)
		}
	})
}

// BenchmarkLineReader measures splitting plain input (loghub-like lines).
//
//	go test -run '^$' -bench LineReader -count 10 ./archive/input > new.txt; benchstat old.txt new.txt
func BenchmarkLineReader(b *testing.B) {
	line := "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!\n"
	data := []byte(strings.Repeat(line, (8<<20)/len(line)))
	r := bytes.NewReader(data)
	b.SetBytes(int64(len(data)))
	var lines int64
	for b.Loop() {
		r.Reset(data)
		lr := NewLineReader(r, 0)
		for {
			if _, err := lr.Next(); err != nil {
				break
			}
		}
		lines = lr.Lines()
	}
	b.ReportMetric(float64(len(data))/float64(lines), "bytes/line")
}
