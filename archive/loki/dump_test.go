package loki

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

func physicalLines(b []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}

func sortEntries(es []Entry) {
	slices.SortStableFunc(es, func(a, b Entry) int {
		return cmp.Or(a.Timestamp.Compare(b.Timestamp), bytes.Compare(a.Line, b.Line))
	})
}

func withoutLabel(es []Entry, name string) []Entry {
	out := make([]Entry, len(es))
	for i, e := range es {
		e.Labels = maps.Clone(e.Labels)
		delete(e.Labels, name)
		out[i] = e
	}
	return out
}

func TestJSONLDumps(t *testing.T) {
	want := expectedEntries(t)
	tests := []struct {
		file string
		want []Entry
	}{
		{"logcli_jsonl_dump.jsonl", withoutLabel(want, "cluster")}, // common label stripped
		{"logcli_jsonl_dump_forward_common_labels.jsonl", want},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw := readLoki(t, tt.file)
			var got []Entry
			var out []byte
			for _, line := range physicalLines(raw) {
				e, err := ParseJSONLLine(line)
				require.NoError(t, err)
				got = append(got, e)
				// Writing it again gives logcli's bytes exactly.
				out = AppendJSONL(out, e.Labels, e.Line, e.Timestamp)
			}
			require.Equal(t, string(raw), string(out))
			sortEntries(got)
			w := slices.Clone(tt.want)
			sortEntries(w)
			require.Equal(t, w, got)
		})
	}
}

func TestParseJSONLLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Entry
		err  bool
	}{
		{name: "logcli", in: `{"labels":{"a":"b"},"line":"x \u003c","timestamp":"2024-12-10T06:55:46.5Z"}`,
			want: Entry{Timestamp: ts(1733813746500000000), Labels: attrs("a", "b"), Line: []byte("x <")}},
		{name: "no labels, offset zone, CRLF", in: "{\"line\":\"\",\"timestamp\":\"2024-12-10T07:55:46.000000001+01:00\"}\r\n",
			want: Entry{Timestamp: ts(1733813746000000001), Line: []byte("")}},
		{name: "empty labels", in: `{"labels":{},"line":"x","timestamp":"2024-12-10T06:55:46Z"}`,
			want: Entry{Timestamp: ts(1733813746000000000), Line: []byte("x")}},
		{name: "no line", in: `{"labels":{},"timestamp":"2024-12-10T06:55:46Z"}`, err: true},
		{name: "no timestamp", in: `{"line":"x"}`, err: true},
		{name: "bad timestamp", in: `{"line":"x","timestamp":"yesterday"}`, err: true},
		{name: "labels as string", in: `{"labels":"{a=\"b\"}","line":"x","timestamp":"2024-12-10T06:55:46Z"}`, err: true},
		{name: "Common labels line", in: `Common labels: {cluster="lab"}`, err: true},
		{name: "empty", in: ``, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSONLLine([]byte(tt.in))
			if tt.err {
				require.ErrorIs(t, err, ErrInvalidEntry)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDefaultDump(t *testing.T) {
	// logcli's default output: seconds only, labels without the common
	// one, lines trimmed.
	var want []Entry
	for _, e := range withoutLabel(expectedEntries(t), "cluster") {
		e.Timestamp = e.Timestamp.Truncate(time.Second)
		e.Line = bytes.TrimSpace(e.Line)
		want = append(want, e)
	}
	sortEntries(want)

	var d DefaultDump
	var got []Entry
	for _, line := range physicalLines(readLoki(t, "logcli_default_dump.txt")) {
		e, ok, err := d.Add(line)
		require.NoError(t, err)
		if ok {
			got = append(got, e)
		}
	}
	e, ok := d.Flush()
	require.True(t, ok)
	got = append(got, e)
	_, ok = d.Flush()
	require.False(t, ok)
	sortEntries(got)
	require.Equal(t, want, got)
}

func TestDefaultDumpCommonLabelsAndErrors(t *testing.T) {
	in := strings.Join([]string{
		"orphan continuation",
		`Common labels: {cluster="lab", job="x"}`,
		`2024-12-10T06:55:46+01:00 {app="a"}   first`,
		`  continued  `,
		`2024-12-10T06:55:47.25Z {} second`,
		`2024-12-10T06:55:48Z {"json":"line without labels"}`,
		`2024-12-10T06:55:49Z`,
		strings.Repeat("y", 40),
	}, "\n")
	d := DefaultDump{MaxEntry: 30}
	var got []Entry
	var errs []error
	for _, line := range physicalLines([]byte(in)) {
		e, ok, err := d.Add(line)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			got = append(got, e)
		}
	}
	if e, ok := d.Flush(); ok {
		got = append(got, e)
	}
	require.Len(t, errs, 2)
	require.ErrorIs(t, errs[0], ErrContinuation)
	require.ErrorIs(t, errs[1], ErrEntryTooLong)
	common := attrs("cluster", "lab", "job", "x")
	with := func(kv ...string) chunk.Attributes { a := maps.Clone(common); maps.Copy(a, attrs(kv...)); return a }
	require.Equal(t, []Entry{
		{Timestamp: ts(1733810146000000000), Labels: with("app", "a"), Line: []byte("first\n  continued")},
		{Timestamp: ts(1733813747250000000), Labels: common, Line: []byte("second")},
		{Timestamp: ts(1733813748000000000), Labels: common, Line: []byte(`{"json":"line without labels"}`)},
		{Timestamp: ts(1733813749000000000), Labels: common, Line: []byte("")},
	}, got)
}

func TestParseDefaultLine(t *testing.T) {
	_, err := ParseDefaultLine([]byte("Dec 10 06:55:46 LabSZ sshd[24200]: x"))
	require.ErrorIs(t, err, ErrContinuation)
	_, err = ParseDefaultLine([]byte("2024-13-10T06:55:46Z x"))
	require.ErrorIs(t, err, ErrContinuation)
	e, err := ParseDefaultLine([]byte(`2024-12-10T06:55:46.123456789Z {a="x\"y", b="\\"} line  `))
	require.NoError(t, err)
	require.Equal(t, Entry{Timestamp: ts(1733813746123456789), Labels: attrs("a", `x"y`, "b", `\`), Line: []byte("line  ")}, e)
}

func TestParseCommonLabels(t *testing.T) {
	l, ok := ParseCommonLabels([]byte(`Common labels: {cluster="lab"}`))
	require.True(t, ok)
	require.Equal(t, attrs("cluster", "lab"), l)
	_, ok = ParseCommonLabels([]byte(`Common labels: nope`))
	require.False(t, ok)
	_, ok = ParseCommonLabels([]byte(`{"labels":{}}`))
	require.False(t, ok)
}

func FuzzParseJSONLLine(f *testing.F) {
	f.Add([]byte(`{"labels":{"a":"b"},"line":"x","timestamp":"2024-12-10T06:55:46.5Z"}`))
	for _, name := range []string{"logcli_jsonl_dump.jsonl", "logcli_jsonl_dump_forward_common_labels.jsonl"} {
		if b, err := readSeed(name); err == nil {
			for _, l := range physicalLines(b) {
				f.Add(l)
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseJSONLLine(line)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidEntry)
			return
		}
		if e.Timestamp.Year() < 0 || e.Timestamp.Year() > 9999 {
			return // RFC 3339 cannot write it
		}
		// What we write we read back the same (JSON decoding already
		// turned invalid UTF-8 into U+FFFD).
		again, err := ParseJSONLLine(AppendJSONL(nil, e.Labels, e.Line, e.Timestamp))
		require.NoError(t, err)
		require.Equal(t, e, again)
	})
}

func FuzzDefaultDump(f *testing.F) {
	if b, err := readSeed("logcli_default_dump.txt"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("Common labels: {a=\"b\"}\n2024-12-10T06:55:46Z {} x\n y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := DefaultDump{MaxEntry: 1 << 10}
		for _, line := range physicalLines(data) {
			e, ok, err := d.Add(line)
			if err != nil {
				require.False(t, ok)
				continue
			}
			if ok {
				require.False(t, e.Timestamp.IsZero())
			}
		}
		d.Flush()
	})
}

// readSeed reads a shared sample for fuzz seeding, without skipping.
func readSeed(name string) ([]byte, error) {
	return readFileIfPresent("../../../shared/testdata/loki/" + name)
}

// parseJSONLSlow is ParseJSONLLine without the fast path.
func parseJSONLSlow(line []byte) (Entry, error) {
	var e jsonlEntry
	if err := json.Unmarshal(line, &e); err != nil {
		return Entry{}, err
	}
	if e.Line == nil || e.Timestamp == nil {
		return Entry{}, ErrInvalidEntry
	}
	ts, err := time.Parse(time.RFC3339Nano, *e.Timestamp)
	if err != nil {
		return Entry{}, err
	}
	var labels chunk.Attributes
	if len(e.Labels) > 0 {
		labels = e.Labels
	}
	return Entry{Timestamp: ts.UTC(), Labels: labels, Line: []byte(*e.Line)}, nil
}

func FuzzParseJSONLFast(f *testing.F) {
	f.Add([]byte(`{"labels":{"a":"b","c":"\u003c\"\\\/\b\f\n\r\t"},"line":"x\u2028é","timestamp":"2024-12-10T06:55:46.5Z"}`))
	f.Add([]byte(`{"line":"","timestamp":"2024-12-10T06:55:46Z"}` + "\r\n"))
	f.Add([]byte(`{"labels":{},"line":"\ud83d\ude00","timestamp":"2024-12-10T06:55:46Z"}`))
	f.Add([]byte("{\"labels\":{},\"line\":\"\xff\",\"timestamp\":\"2024-12-10T06:55:46Z\"}"))
	if b, err := readSeed("logcli_jsonl_dump.jsonl"); err == nil {
		for _, l := range physicalLines(b) {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ok := parseJSONLFast(line)
		if !ok {
			return
		}
		slow, err := parseJSONLSlow(line)
		require.NoError(t, err, "fast path accepted what encoding/json rejects")
		require.Equal(t, slow, fast)
	})
}

func TestParseJSONLFastCoversLogcli(t *testing.T) {
	for _, name := range []string{"logcli_jsonl_dump.jsonl", "logcli_jsonl_dump_forward_common_labels.jsonl"} {
		for _, l := range physicalLines(readLoki(t, name)) {
			fast, ok := parseJSONLFast(l)
			require.True(t, ok, "%s", l)
			slow, err := parseJSONLSlow(l)
			require.NoError(t, err)
			require.Equal(t, slow, fast)
		}
	}
}
