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

// event is one line or skipped line, as both readers report it.
type event struct {
	Text     string
	Consumed int64 // delivered lines: the stream offset past the line
	Err      LineError
}

// lineEvents drains a LineReader.
func lineEvents(t testing.TB, lr *LineReader) ([]event, error) {
	t.Helper()
	var out []event
	for {
		l, err := lr.Next()
		var le *LineError
		switch {
		case errors.Is(err, io.EOF):
			return out, nil
		case errors.As(err, &le):
			out = append(out, event{Err: *le})
		case err != nil:
			return out, err
		default:
			out = append(out, event{Text: string(l.Text), Consumed: lr.Consumed()})
		}
	}
}

// pageEvents drains a PageReader with pages of pageSize bytes and at most
// maxLines lines. Lines over the limit are reported by Next before the
// lines of its page; events are put in stream order by line number.
func pageEvents(t testing.TB, pr *PageReader, pageSize, maxLines int) ([]event, error) {
	t.Helper()
	var out []event
	var ls PageLines
	for range 1 << 20 {
		page, lineErrs, err := pr.Next(make([]byte, 0, pageSize), maxLines, &ls)
		require.Equal(t, len(ls.Starts), len(ls.Ends))
		require.Equal(t, len(ls.Starts), len(ls.Offs))
		var evs []event
		for _, e := range lineErrs {
			var le *LineError
			require.ErrorAs(t, e, &le)
			evs = append(evs, event{Err: *le})
		}
		for i := range ls.Starts {
			require.LessOrEqual(t, ls.Ends[i], len(page))
			evs = append(evs, event{Text: string(page[ls.Starts[i]:ls.Ends[i]]), Consumed: ls.Offs[i]})
		}
		// Merge by stream position: a skipped line sits between the
		// delivered lines around its offset.
		sortEvents(evs)
		out = append(out, evs...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
	t.Fatal("PageReader does not end")
	return nil, nil
}

// sortEvents orders one page's events by position (an error's Offset is
// where its line starts, a line's Consumed where it ends).
func sortEvents(evs []event) {
	pos := func(e event) int64 {
		if e.Err.Err != nil {
			return e.Err.Offset
		}
		return e.Consumed - 1 - int64(len(e.Text))
	}
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && pos(evs[j]) < pos(evs[j-1]); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

func checkPages(t *testing.T, data []byte, maxLine int) {
	want, werr := lineEvents(t, NewLineReader(bytes.NewReader(data), maxLine))
	for _, pageSize := range []int{1, 7, 64, 4096} {
		for _, maxLines := range []int{1, 3, 1000} {
			for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
				got, err := pageEvents(t, NewPageReader(r, maxLine), pageSize, maxLines)
				require.Equal(t, werr, err)
				require.Equal(t, want, got, "page %d, lines %d", pageSize, maxLines)
			}
		}
	}
}

func TestPageReader(t *testing.T) {
	for _, tc := range []struct {
		data    string
		maxLine int
	}{
		{"", 10},
		{"a\nb\r\nc", 10},
		{"a\nb\r\nc\n", 10},
		{"\n\n\r\n\r", 10},
		{"short\n" + strings.Repeat("x", 40) + "\r\nafter\n", 10},
		{"short\n" + strings.Repeat("x", 11) + "\r\nafter\n", 10},
		{"short\n" + strings.Repeat("x", 11) + "\n", 10},
		{strings.Repeat("y", 30) + "\r", 10},
		{strings.Repeat("y", 30) + "\r\n", 10},
		{strings.Repeat("abc\n", 100) + "tail", 3},
		{"abcde\r\nabcd\r\rxx", 4},
	} {
		checkPages(t, []byte(tc.data), tc.maxLine)
	}
}

func TestPageReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("a\nb\npart"), iotest.ErrReader(boom))
	got, err := pageEvents(t, NewPageReader(r, 0), 64, 10)
	require.ErrorIs(t, err, boom)
	require.Equal(t, []event{{Text: "a", Consumed: 2}, {Text: "b", Consumed: 4}, {Text: "part", Consumed: 8}}, got)
}

func FuzzPageReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), uint16(0))
	f.Add([]byte("abcde\r\nabcd\r\rxx"), uint16(4))
	f.Add([]byte("\n\n\r\n\r"), uint16(1))
	if b, err := readTestdata("hello.txt"); err == nil {
		f.Add(b, uint16(8))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		checkPages(t, data, int(max%64)+1)
	})
}
