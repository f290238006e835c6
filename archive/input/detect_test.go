package input

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sharedTestdata is /work/shared/testdata seen from this package directory.
func sharedTestdata(t testing.TB, parts ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{"..", "..", "..", "shared", "testdata"}, parts...)...)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data %s not available: %v", dir, err)
	}
	return dir
}

func lines(s string) [][]byte {
	var out [][]byte
	for l := range strings.Lines(s) {
		out = append(out, []byte(strings.TrimRight(l, "\r\n")))
	}
	return out
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Format
	}{
		{"empty", "", FormatRaw},
		{"blank lines", "\n  \n\t\n", FormatRaw},
		{"bsd syslog", "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure\nJul  9 04:05:06 combo su: x\n", FormatSyslog},
		{"bsd syslog with PRI", "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!\n<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n", FormatSyslog},
		{"rfc5424", "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed\n<165>1 - - - - - -\n", FormatRFC5424},
		{"rfc3339 rsyslog", "2026-03-01T00:00:00.123456+00:00 host app[12]: msg\n2026-03-01T00:00:01.5Z host kernel: x\n", FormatRFC3339},
		{"rfc3339 with PRI", "<13>2026-03-01T00:00:00+01:00 host app: msg\n", FormatRFC3339},
		{"loki default", "2024-12-10T06:55:46Z {app=\"sshd\", host=\"LabSZ\"}   Dec 10 line\n2024-12-10T06:55:47+01:00 {} x\ncontinuation\n", FormatLokiDefault},
		{"loki jsonl", `{"labels":{"a":"b"},"line":"x","timestamp":"2024-12-10T06:55:46Z"}` + "\n" + `{"line":"y","timestamp":"2024-12-10T06:55:47Z"}` + "\n", FormatLokiJSONL},
		{"push json compact", `{"streams":[{"stream":{"a":"b"},"values":[["1","x"]]}]}`, FormatLokiPushJSON},
		{"push json pretty", "\n{\n  \"streams\" : [\n", FormatLokiPushJSON},
		{"other json", `{"level":"info","msg":"x"}` + "\n", FormatRaw},
		{"apache", "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok\n", FormatRaw},
		{"mostly raw", "Jun 14 15:16:01 combo a: b\nx\ny\nz\n", FormatRaw},
		{"half syslog wins", "Jun 14 15:16:01 combo a: b\nJun 14 15:16:02 combo a: b\nx\ny\n", FormatSyslog},
		{"not a month", "Foo 14 15:16:01 combo a: b\n", FormatRaw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Detect(lines(tt.in)), "Detect")
			require.Equal(t, tt.want, DetectHead([]byte(tt.in)), "DetectHead")
		})
	}
}

func TestDetectSharedSamples(t *testing.T) {
	dir := sharedTestdata(t)
	tests := []struct {
		file string
		want Format
	}{
		{"loghub/Linux_2k.log", FormatSyslog},
		{"loghub/OpenSSH_2k.log", FormatSyslog},
		{"loghub/Mac_2k.log", FormatSyslog},
		{"loghub/Thunderbird_2k.log", FormatRaw},
		{"loghub/Apache_2k.log", FormatRaw},
		{"loki/logcli_jsonl_dump.jsonl", FormatLokiJSONL},
		{"loki/logcli_jsonl_dump_forward_common_labels.jsonl", FormatLokiJSONL},
		{"loki/logcli_default_dump.txt", FormatLokiDefault},
		{"loki/push_v1.json", FormatLokiPushJSON},
		{"loki/push_v1.pb.snappy", FormatLokiPushProto},
		// A raw dump is a plain log file: here 5 syslog lines among 7 others.
		{"loki/logcli_raw_dump.txt", FormatRaw},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			require.NoError(t, err)
			require.Equal(t, tt.want, DetectHead(data[:min(len(data), 64<<10)]), "DetectHead")
			var sample [][]byte
			lr := NewLineReader(strings.NewReader(string(data)), 0)
			for l, err := range lr.All() {
				require.NoError(t, err)
				sample = append(sample, append([]byte(nil), l.Text...))
				if len(sample) == DetectSampleLines {
					break
				}
			}
			require.Equal(t, tt.want, Detect(sample), "Detect")
		})
	}
}

func TestDetectSyslogCases(t *testing.T) {
	f, err := os.Open(filepath.Join(sharedTestdata(t), "syslog_cases.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var c struct {
			ID    string `json:"id"`
			RFC   string `json:"rfc"`
			Input string `json:"input"`
			Valid bool   `json:"valid"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		if !c.Valid || strings.Contains(c.Input, "\n") {
			continue
		}
		got := classifyLine([]byte(c.Input))
		switch c.RFC {
		case "5424":
			require.Equal(t, FormatRFC5424, got, c.ID)
		case "3164":
			require.Contains(t, []Format{FormatSyslog, FormatRFC3339, FormatRaw}, got, c.ID)
		}
		n++
	}
	require.NoError(t, sc.Err())
	require.Greater(t, n, 40)
}

func TestParseFormat(t *testing.T) {
	for i, name := range Formats() {
		f, err := ParseFormat(name)
		require.NoError(t, err)
		require.Equal(t, Format(i), f)
		require.Equal(t, name, f.String())
	}
	f, err := ParseFormat(" RFC3164 ")
	require.NoError(t, err)
	require.Equal(t, FormatSyslog, f)
	f, err = ParseFormat("jsonl")
	require.NoError(t, err)
	require.Equal(t, FormatLokiJSONL, f)
	_, err = ParseFormat("xml")
	require.ErrorIs(t, err, ErrUnknownFormat)
	require.Contains(t, err.Error(), "loki-push-proto")
	require.Equal(t, "Format(42)", Format(42).String())
	require.False(t, FormatLokiPushJSON.LineBased())
	require.True(t, FormatSyslog.LineBased())
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte("Jun 14 15:16:01 combo a: b\n"))
	f.Add([]byte("<34>1 2003-10-11T22:14:15.003Z h a - - - m\n"))
	f.Add([]byte("2024-12-10T06:55:46Z {a=\"b\"} x\n"))
	f.Add([]byte(`{"streams":[]}`))
	if dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "testdata", "loki")); err == nil {
		for _, name := range []string{"push_v1.pb.snappy", "logcli_jsonl_dump.jsonl", "logcli_default_dump.txt"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h := DetectHead(data)
		require.NotEqual(t, FormatAuto, h)
		require.NotEqual(t, FormatLokiRaw, h)
		d := Detect(lines(string(data)))
		require.NotEqual(t, FormatAuto, d)
		require.Equal(t, d, Detect(lines(string(data))), "deterministic")
	})
}
