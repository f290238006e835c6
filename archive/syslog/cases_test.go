package syslog

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sharedTestdata is /work/shared/testdata seen from this package directory
// (module root /work/main, shared dir its sibling).
var sharedTestdata = filepath.Join("..", "..", "..", "shared", "testdata")

type caseExpect struct {
	Priority       *int                         `json:"priority"`
	Facility       *int                         `json:"facility"`
	Severity       *int                         `json:"severity"`
	Timestamp      *string                      `json:"timestamp"`
	Hostname       *string                      `json:"hostname"`
	AppName        *string                      `json:"app_name"`
	ProcID         *string                      `json:"procid"`
	MsgID          *string                      `json:"msgid"`
	StructuredData map[string]map[string]string `json:"structured_data"`
	Message        *string                      `json:"message"`
}

type syslogCase struct {
	ID         string      `json:"id"`
	RFC        string      `json:"rfc"`
	Input      string      `json:"input"`
	Valid      bool        `json:"valid"`
	Tier       string      `json:"tier"`
	AssumeYear int         `json:"assume_year"`
	AssumeTZ   string      `json:"assume_tz"`
	Expect     *caseExpect `json:"expect"`
	Note       string      `json:"note"`
}

// lenientDecidedDifferently lists lenient cases whose answer we chose not
// to follow, and why. Empty: every lenient case is followed.
var lenientDecidedDifferently = map[string]string{}

func loadCases(tb testing.TB) []syslogCase {
	tb.Helper()
	path := filepath.Join(sharedTestdata, "syslog_cases.jsonl")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("shared test material not found at %s (it lives next to the module root, in ../shared/testdata)", path)
	}
	require.NoError(tb, err)
	defer f.Close()
	var cases []syslogCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var c syslogCase
		require.NoError(tb, json.Unmarshal(sc.Bytes(), &c), "line %q", sc.Text())
		cases = append(cases, c)
	}
	require.NoError(tb, sc.Err())
	return cases
}

func parseCase(c syslogCase, in []byte) (Message, error) {
	if c.RFC == "5424" {
		return ParseRFC5424(in)
	}
	loc := time.UTC
	if c.AssumeTZ != "" && c.AssumeTZ != "UTC" {
		var err error
		if loc, err = time.LoadLocation(c.AssumeTZ); err != nil {
			return Message{}, err
		}
	}
	return ParseRFC3164(in, Options{Year: c.AssumeYear, Location: loc})
}

func TestSyslogCases(t *testing.T) {
	cases := loadCases(t)
	require.NotEmpty(t, cases)
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			if why, ok := lenientDecidedDifferently[c.ID]; ok {
				require.Equal(t, "lenient", c.Tier, "only lenient cases may be decided differently")
				t.Skipf("decided differently: %s", why)
			}
			in := []byte(c.Input)
			m, err := parseCase(c, in)
			if !c.Valid {
				require.Error(t, err, "must be rejected (%s)", c.Note)
				var pe *ParseError
				require.ErrorAs(t, err, &pe)
				require.GreaterOrEqual(t, pe.Offset, 0)
				require.LessOrEqual(t, pe.Offset, len(c.Input))
				return
			}
			require.NoError(t, err)
			checkExpect(t, c, in, m)

			// Auto-detection must agree with the per-RFC parser.
			auto, err := Parse(in, Options{Year: c.AssumeYear, Location: time.UTC})
			require.NoError(t, err)
			checkExpect(t, c, in, auto)
		})
	}
}

func intOr(p *int, none int) int {
	if p == nil {
		return none
	}
	return *p
}

func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func checkExpect(t *testing.T, c syslogCase, in []byte, m Message) {
	t.Helper()
	e := c.Expect
	require.NotNil(t, e)
	require.Equal(t, intOr(e.Priority, -1), m.Priority, "priority")
	require.Equal(t, intOr(e.Facility, -1), m.Facility, "facility")
	require.Equal(t, intOr(e.Severity, -1), m.Severity, "severity")
	if e.Timestamp == nil {
		require.True(t, m.Timestamp.IsZero(), "timestamp: want none, got %v", m.Timestamp)
	} else {
		want, err := time.Parse(time.RFC3339Nano, *e.Timestamp)
		require.NoError(t, err)
		require.True(t, want.Equal(m.Timestamp), "timestamp: want %v, got %v", want, m.Timestamp)
		_, wantOff := want.Zone()
		_, gotOff := m.Timestamp.Zone()
		require.Equal(t, wantOff, gotOff, "timestamp zone offset")
	}
	require.Equal(t, strOr(e.Hostname), m.Hostname, "hostname")
	require.Equal(t, strOr(e.AppName), m.AppName, "app_name")
	require.Equal(t, strOr(e.ProcID), m.ProcID, "procid")
	require.Equal(t, strOr(e.MsgID), m.MsgID, "msgid")
	require.Equal(t, e.StructuredData, m.StructuredData, "structured_data")
	require.Equal(t, strOr(e.Message), string(m.Message), "message")
	requireSubslice(t, in, m.Message)
}
