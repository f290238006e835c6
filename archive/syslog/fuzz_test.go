package syslog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// addSeeds adds the shared syslog cases, every 40th loghub line plus the
// quirky ones, and testdata/mixed.log. Missing shared material only means
// fewer seeds.
func addSeeds(f *testing.F) {
	if data, err := os.ReadFile("testdata/mixed.log"); err == nil {
		for l := range bytes.Lines(data) {
			f.Add(bytes.TrimSuffix(l, []byte("\n")))
		}
	}
	if data, err := os.ReadFile(filepath.Join(sharedTestdata, "syslog_cases.jsonl")); err == nil && len(data) > 0 {
		for _, c := range loadCases(f) {
			f.Add([]byte(c.Input))
		}
	}
	quirks := [][]byte{[]byte("syslogd 1.4.1"), []byte(" -- "), []byte("] ("), []byte("Microsoft"), []byte("BezelServices")}
	for _, name := range []string{"Linux_2k.log", "OpenSSH_2k.log", "Mac_2k.log", "Thunderbird_2k.log", "Apache_2k.log"} {
		data, err := os.ReadFile(filepath.Join(sharedTestdata, "loghub", name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		require.NoError(f, err)
		for i, l := range bytes.Split(data, []byte("\r\n")) {
			if i%40 == 0 {
				f.Add(l)
				continue
			}
			for _, q := range quirks {
				if bytes.Contains(l, q) {
					f.Add(l)
					break
				}
			}
		}
	}
}

// FuzzParse runs every parser on the input: none may panic; an error is a
// *ParseError with an offset inside the input; a success gives a Message
// that is a suffix sub-slice of the input, a consistent priority, and
// header fields that obey their syntax.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	opts := Options{Year: 2024, Location: time.UTC}
	f.Fuzz(func(t *testing.T, in []byte) {
		parsers := []struct {
			name  string
			parse func([]byte) (Message, error)
		}{
			{"Parse", func(b []byte) (Message, error) { return Parse(b, opts) }},
			{"RFC5424", ParseRFC5424},
			{"RFC3164", func(b []byte) (Message, error) { return ParseRFC3164(b, opts) }},
			{"RFC3339File", ParseRFC3339File},
		}
		var results [4]Message
		var errs [4]error
		for i, p := range parsers {
			m, err := p.parse(in)
			results[i], errs[i] = m, err
			if err != nil {
				var pe *ParseError
				require.ErrorAs(t, err, &pe, p.name)
				require.True(t, pe.Offset >= 0 && pe.Offset <= len(in), "%s: offset %d of %d", p.name, pe.Offset, len(in))
				continue
			}
			checkMessage(t, p.name, in, m)
		}
		// Parse agrees with the parser it picked.
		if errs[0] == nil {
			idx := map[Format]int{RFC5424: 1, RFC3164: 2, RFC3339File: 3}[results[0].Format]
			require.NotZero(t, idx)
			require.NoError(t, errs[idx])
			require.Equal(t, results[idx], results[0])
		}
	})
}

func checkMessage(t *testing.T, name string, in []byte, m Message) {
	t.Helper()
	require.True(t, bytes.HasSuffix(in, m.Message), "%s: Message is not a suffix", name)
	if len(m.Message) > 0 {
		// Same first byte as the input's tail (no pointer arithmetic, which
		// -race's checkptr rejects one past the end).
		tail := in[len(in)-len(m.Message):]
		require.True(t, unsafe.SliceData(tail) == unsafe.SliceData(m.Message), "%s: Message does not alias the input", name)
	}
	if m.Priority == -1 {
		require.Equal(t, -1, m.Facility, name)
		require.Equal(t, -1, m.Severity, name)
	} else {
		require.True(t, m.Priority >= 0 && m.Priority <= maxPriority, "%s: priority %d", name, m.Priority)
		require.Equal(t, m.Priority/8, m.Facility, name)
		require.Equal(t, m.Priority%8, m.Severity, name)
	}
	attrs := m.Attrs()
	for k, v := range attrs {
		require.NotEmpty(t, k, name)
		require.NotEmpty(t, v, "%s: attr %q", name, k)
	}
	switch m.Format {
	case RFC5424:
		// (0001-01-01T00:00:00Z is a real stamp that equals the zero Time.)
		require.True(t, m.HasYear || m.Timestamp.IsZero(), name)
		for _, f := range []struct {
			v   string
			max int
		}{{m.Hostname, maxHostname}, {m.AppName, maxAppName}, {m.ProcID, maxProcID}, {m.MsgID, maxMsgID}} {
			require.LessOrEqual(t, len(f.v), f.max, name)
			require.NotEqual(t, "-", f.v, name)
			for _, c := range []byte(f.v) {
				require.True(t, c > ' ' && c < 0x7F, "%s: header byte %#x", name, c)
			}
		}
		for id, params := range m.StructuredData {
			require.True(t, len(id) >= 1 && len(id) <= maxSDName, name)
			for k, v := range params {
				require.True(t, len(k) >= 1 && len(k) <= maxSDName, name)
				require.True(t, utf8.ValidString(v), name)
			}
		}
	case RFC3164, RFC3339File:
		require.True(t, m.HasYear || !m.Timestamp.IsZero(), name)
		require.Empty(t, m.MsgID, name)
		require.Nil(t, m.StructuredData, name)
		require.NotContains(t, m.Hostname, " ", name)
		if m.Format == RFC3339File {
			require.Equal(t, -1, m.Priority, name)
			require.True(t, m.HasYear, name)
		}
	default:
		t.Fatalf("%s: format %v", name, m.Format)
	}
}
