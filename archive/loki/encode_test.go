package loki

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

func TestParseLabels(t *testing.T) {
	tests := []struct {
		in   string
		want chunk.Attributes
		err  bool
	}{
		{in: `{}`, want: nil},
		{in: ` { } `, want: nil},
		{in: `{a="1"}`, want: attrs("a", "1")},
		{in: `{app="sshd", cluster="lab", host="LabSZ", job="syslog"}`, want: attrs("app", "sshd", "cluster", "lab", "host", "LabSZ", "job", "syslog")},
		{in: `{a = "1" ,b="2",}`, want: attrs("a", "1", "b", "2")},
		{in: `{a="x\"y\\z\n\u00e9\x41"}`, want: attrs("a", "x\"y\\z\né\x41")},
		{in: "{a=`raw\\n`}", want: attrs("a", `raw\n`)},
		{in: `{"dotted.name"="v"}`, want: attrs("dotted.name", "v")},
		{in: `{_a1="v", A="w"}`, want: attrs("_a1", "v", "A", "w")},
		{in: `{a="caf\u00e9 <b>"}`, want: attrs("a", "café <b>")},
		{in: ``, err: true},
		{in: `a="1"`, err: true},
		{in: `{a="1"`, err: true},
		{in: `{a="1}`, err: true},
		{in: `{a=1}`, err: true},
		{in: `{1a="1"}`, err: true},
		{in: `{a!="1"}`, err: true},
		{in: `{a="1" b="2"}`, err: true},
		{in: `{a="1", a="2"}`, err: true},
		{in: `{a="\q"}`, err: true},
		{in: `{a="1"} x`, err: true},
		{in: `{a="1\`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLabels(tt.in)
			if tt.err {
				require.ErrorIs(t, err, ErrInvalidLabels)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestAppendLabels(t *testing.T) {
	require.Equal(t, `{}`, string(AppendLabels(nil, nil)))
	require.Equal(t, `{a="1", b="x\"y\n"}`, string(AppendLabels(nil, attrs("b", "x\"y\n", "a", "1"))))
	// Loki's canonical text in push_v1.expected.jsonl.
	sc := bufio.NewScanner(bytes.NewReader(readLoki(t, "push_v1.expected.jsonl")))
	for sc.Scan() {
		var x expected
		require.NoError(t, json.Unmarshal(sc.Bytes(), &x))
		require.Equal(t, x.Labels, string(AppendLabels(nil, chunk.Attributes(x.LabelSet))))
	}
}

// logcliJSONL is what logcli does: json.Marshal of a map, then a newline.
func logcliJSONL(t testing.TB, labels chunk.Attributes, line []byte, ts time.Time) string {
	t.Helper()
	m := map[string]any{"line": string(line), "timestamp": ts}
	if labels == nil {
		labels = chunk.Attributes{}
	}
	m["labels"] = map[string]string(labels)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b) + "\n"
}

func TestAppendJSONL(t *testing.T) {
	lines := []string{
		"", "plain", "<b>&amp;</b>", "tab\tnl\ncr\rbs\\q\"", "\x00\x01\x08\x0c\x1f\x7f",
		"café \u2028 \u2029 \U0001F600", "\xff\xfe bad utf8 \xc3", "   padded   ",
	}
	times := []time.Time{
		time.Unix(0, 1733813746000000000).UTC(),
		time.Unix(0, 1733813747500000000).UTC(),
		time.Unix(0, 1733813748000000001).UTC(),
		time.Unix(0, 1733813748000000001).In(time.FixedZone("", 2*3600)),
	}
	labelSets := []chunk.Attributes{nil, {}, attrs("a", "1"), attrs("z", "<&>", "a", "é", "M", "x\ny")}
	for _, line := range lines {
		for _, ts := range times {
			for _, l := range labelSets {
				got := AppendJSONL([]byte("prefix"), l, []byte(line), ts)
				require.Equal(t, "prefix"+logcliJSONL(t, l, []byte(line), ts), string(got))
				if !utf8.ValidString(line) {
					continue
				}
				e, err := ParseJSONLLine(got[len("prefix"):])
				require.NoError(t, err)
				require.True(t, ts.Equal(e.Timestamp))
				require.Equal(t, line, string(e.Line))
				if len(l) == 0 {
					require.Empty(t, e.Labels)
				} else {
					require.Equal(t, l, e.Labels)
				}
			}
		}
	}
}

func TestAppendPushJSON(t *testing.T) {
	want := expectedEntries(t)
	body := AppendPushJSON(nil, want)
	require.True(t, json.Valid(body))
	got, err := DecodePushJSON(body)
	require.NoError(t, err)
	require.Equal(t, want, got)
	// Equal consecutive label sets share a stream: the sample has 4
	// (one entry carries metadata, so it is its own stream).
	require.Equal(t, 4, strings.Count(string(body), `"stream":`))

	require.Equal(t, `{"streams":[]}`, string(AppendPushJSON(nil, nil)))
}

func FuzzParseLabels(f *testing.F) {
	f.Add(`{app="sshd", cluster="lab"}`)
	f.Add(`{a="x\"y\\z\n"}`)
	f.Add("{a=`raw`,}")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLabels(s)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidLabels)
			return
		}
		for k := range l {
			if !validName(k) {
				return // quoted names are not written back quoted
			}
		}
		again, err := ParseLabels(string(AppendLabels(nil, l)))
		require.NoError(t, err)
		require.Equal(t, l, again)
	})
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !isNameByte(s[i], i == 0) {
			return false
		}
	}
	return true
}

func FuzzAppendJSONL(f *testing.F) {
	f.Add("k", "v", []byte("<b>&amp;</b>\t\u2028"), int64(1733813748000000001))
	f.Add("", "", []byte("\xff\x00"), int64(0))
	f.Fuzz(func(t *testing.T, k, v string, line []byte, ns int64) {
		ts := time.Unix(0, ns).UTC()
		l := chunk.Attributes{k: v}
		require.Equal(t, logcliJSONL(t, l, line, ts), string(AppendJSONL(nil, l, line, ts)))
	})
}

func FuzzDecodePushJSON(f *testing.F) {
	for _, name := range []string{"push_v1.json"} {
		if b, err := readSeed(name); err == nil {
			f.Add(b)
		}
	}
	if b, err := readSeed("push_http_cases.jsonl"); err == nil {
		for _, l := range physicalLines(b) {
			var c httpCase
			if json.Unmarshal(l, &c) == nil && c.Body != nil {
				f.Add([]byte(*c.Body))
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		entries, err := DecodePushJSON(body)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPush)
			return
		}
		for _, e := range entries {
			require.Equal(t, time.UTC, e.Timestamp.Location())
		}
	})
}

func FuzzDecodePushProto(f *testing.F) {
	if b, err := readSeed("push_v1.pb.snappy"); err == nil {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, body []byte) {
		entries, err := DecodePushProto(body)
		if err != nil {
			require.True(t, errors.Is(err, ErrInvalidPush) || errors.Is(err, ErrPushTooLarge), "%v", err)
			return
		}
		for _, e := range entries {
			require.NotNil(t, e.Labels)
		}
	})
}

func FuzzDecodeProto(f *testing.F) {
	if b, err := readSeed("push_v1.pb"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, buf []byte) {
		_, err := decodeProto(buf)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPush)
		}
	})
}
