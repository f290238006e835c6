package syslog

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

var utc = Options{Year: 2026, Location: time.UTC}

// TestTagForms pins the RFC 3164 HOSTNAME/TAG rules documented on
// ParseRFC3164, one form per row.
func TestTagForms(t *testing.T) {
	for _, tc := range []struct {
		in, host, app, pid, msg string
	}{
		{"Mar  1 09:00:00 h su: x", "h", "su", "", "x"},
		{"Mar  1 09:00:00 h su[1]: x", "h", "su", "1", "x"},
		{"Mar  1 09:00:00 h sshd(pam_unix)[19939]: x", "h", "sshd(pam_unix)", "19939", "x"},
		{"Mar  1 09:00:00 h app[abc]: x", "h", "app", "abc", "x"},
		{"Mar  1 09:00:00 h a[b][12]: x", "h", "a[b]", "12", "x"},
		{"Mar  1 09:00:00 h [12]: x", "h", "", "12", "x"},
		{"Mar  1 09:00:00 h app:", "h", "app", "", ""},
		{"Mar  1 09:00:00 h app: ", "h", "app", "", ""},
		{"Mar  1 09:00:00 h app:  x ", "h", "app", "", " x "},
		{"Mar  1 09:00:00 h app:x", "h", "", "", "app:x"},
		{"Mar  1 09:00:00 h :", "h", "", "", ":"},
		{"Mar  1 09:00:00 h sandboxd[129] ([31211]): x", "h", "sandboxd", "129", "x"},
		{"Mar  1 09:00:00 h sandboxd[129] ([31211]):", "h", "sandboxd", "129", ""},
		{"Mar  1 09:00:00 h sandboxd[129] (x) y", "h", "", "", "sandboxd[129] (x) y"},
		{"Mar  1 09:00:00 h Microsoft Word[14463]: x", "h", "Microsoft Word", "14463", "x"},
		{"Mar  1 09:00:00 h Microsoft Word[x]: y", "h", "", "", "Microsoft Word[x]: y"},
		{"Mar  1 09:00:00 h syslogd 1.4.1: restart.", "h", "syslogd 1.4.1", "", "restart."},
		{"Mar  1 09:00:00 h Error code 5: disk", "h", "", "", "Error code 5: disk"},
		{"Mar  1 09:00:00 h Error occurred: disk", "h", "", "", "Error occurred: disk"},
		{"Mar  1 09:00:00 h  -- root[2421]: ROOT LOGIN", "h", "-- root", "2421", "ROOT LOGIN"},
		{"Mar  1 09:00:00 h  two  spaces", "h", "", "", " two  spaces"},
		{"Mar  1 09:00:00 h -- MARK --", "h", "", "", "-- MARK --"},
		{"Mar  1 09:00:00 h", "h", "", "", ""},
		{"Mar  1 09:00:00 h ", "h", "", "", ""},
		{"Mar  1 09:00:00", "", "", "", ""},
		{"Mar  1 09:00:00 chronyd[1119]: x", "", "chronyd", "1119", "x"},
		{"Mar  1 09:00:00 chronyd: x", "", "chronyd", "", "x"},
		{"Mar  1 09:00:00 launchd[1] (g): x", "", "launchd", "1", "x"},
		{"Mar  1 09:00:00 dn228/dn228 crond(pam_unix)[2915]: x", "dn228/dn228", "crond(pam_unix)", "2915", "x"},
		{"Mar  1 09:00:00 #8#/#8# kernel: x", "#8#/#8#", "kernel", "", "x"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			in := []byte(tc.in)
			m, err := ParseRFC3164(in, utc)
			require.NoError(t, err)
			require.Equal(t, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), m.Timestamp)
			require.Equal(t, tc.host, m.Hostname, "host")
			require.Equal(t, tc.app, m.AppName, "app")
			require.Equal(t, tc.pid, m.ProcID, "pid")
			require.Equal(t, tc.msg, string(m.Message), "msg")
			requireSubslice(t, in, m.Message)
		})
	}
}

func TestTimestamps3164(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		err  error
	}{
		{"Mar 1 09:00:00 h a: x", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), nil},
		{"Mar 01 09:00:00 h a: x", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), nil},
		{"mar  1 09:00:00 h a: x", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), nil},
		{"Mar  1 09:00:00.25 h a: x", time.Date(2026, 3, 1, 9, 0, 0, 250_000_000, time.UTC), nil},
		{"2026-03-01T09:00:00.123456789123Z h a: x", time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC), nil},
		{"Feb 29 09:00:00 h a: x", time.Time{}, ErrBadTimestamp}, // 2026 is not a leap year
		{"Apr 31 09:00:00 h a: x", time.Time{}, ErrBadTimestamp},
		{"Mar  1 24:00:00 h a: x", time.Time{}, ErrBadTimestamp},
		{"Mar  1 09:00:60 h a: x", time.Time{}, ErrBadTimestamp},
		{"Mar  1 09:00 h a: x", time.Time{}, ErrBadTimestamp},
		{"Mar  1 09:00:00h a: x", time.Time{}, ErrBadTimestamp},
		{"Mar   1 09:00:00 h", time.Time{}, ErrBadTimestamp},
		{"March 1 09:00:00 h", time.Time{}, ErrNoTimestamp},
		{"<13>", time.Time{}, ErrNoTimestamp},
		{"<13>hello", time.Time{}, ErrNoTimestamp},
		{"<13>2026-03-01 09:00:00 h a: x", time.Time{}, ErrBadTimestamp},
		{"<13>2026-03-01T09:00:00 h a: x", time.Time{}, ErrBadTimestamp}, // no offset
	} {
		t.Run(tc.in, func(t *testing.T) {
			m, err := ParseRFC3164([]byte(tc.in), utc)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.True(t, tc.want.Equal(m.Timestamp), "got %v", m.Timestamp)
		})
	}
}

func TestParseErrorOffset(t *testing.T) {
	for _, tc := range []struct {
		in  string
		off int
		err error
	}{
		{"", 0, ErrEmpty},
		{"x", 0, ErrBadPriority},
		{"<1>1 - host\nname - - - -", 11, ErrBadHeader},
		{"<1>1 -- - - - -", 6, ErrBadTimestamp},
		{"<1>1 - - - - - X", 15, ErrBadStructuredData},
		{"<1>1 - - - - - [a b=\"]\"]", 21, ErrBadStructuredData},
		{"<1>1 - - - - - [a][a]", 19, ErrBadStructuredData},
		{"<1>01 - - - - -", 3, ErrBadVersion},
		{"<1>1000 - - - - -", 6, ErrBadVersion},
		{"<1>1 - - - - - [a b=\"\xff\"]", 21, ErrBadStructuredData},
	} {
		_, err := ParseRFC5424([]byte(tc.in))
		var pe *ParseError
		require.ErrorAs(t, err, &pe, "%q", tc.in)
		require.ErrorIs(t, err, tc.err, "%q", tc.in)
		require.Equal(t, tc.off, pe.Offset, "%q: %v", tc.in, err)
		require.Contains(t, err.Error(), "offset")
	}
}

// TestParseMixed runs Parse over testdata/mixed.log, one line per syntax and
// tag form.
func TestParseMixed(t *testing.T) {
	data, err := os.ReadFile("testdata/mixed.log")
	require.NoError(t, err)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	type row struct {
		format         Format
		host, app, pid string
		attrs          chunk.Attributes
	}
	want := []row{
		{RFC5424, "web1", "nginx", "812", chunk.Attributes{"host": "web1", "app": "nginx", "pid": "812", "msgid": "ACCESS",
			"facility": "user", "severity": "notice", "id": "7f3a", "path": `/a"b]c`}},
		{RFC3164, "web1", "sshd", "4242", chunk.Attributes{"host": "web1", "app": "sshd", "pid": "4242", "facility": "auth", "severity": "info"}},
		{RFC3339File, "web1", "CRON", "5151", chunk.Attributes{"host": "web1", "app": "CRON", "pid": "5151"}},
		{RFC3164, "web1", "kernel", "", chunk.Attributes{"host": "web1", "app": "kernel"}},
		{RFC3164, "", "systemd", "1", chunk.Attributes{"app": "systemd", "pid": "1", "facility": "daemon", "severity": "info"}},
		{RFC3164, "web1", "postfix/smtpd", "999", chunk.Attributes{"host": "web1", "app": "postfix/smtpd", "pid": "999"}},
		{RFC3164, "web1", "", "", chunk.Attributes{"host": "web1"}},
		{RFC3164, "web1", "Microsoft Excel", "77", chunk.Attributes{"host": "web1", "app": "Microsoft Excel", "pid": "77"}},
		{RFC3164, "web1", "com.apple.xpc.launchd", "1", chunk.Attributes{"host": "web1", "app": "com.apple.xpc.launchd", "pid": "1"}},
		{RFC3164, "web1", "app", "", chunk.Attributes{"host": "web1", "app": "app"}},
		{RFC3164, "web1", "app", "12", chunk.Attributes{"host": "web1", "app": "app", "pid": "12"}},
		{RFC5424, "", "", "", chunk.Attributes{"facility": "local7", "severity": "debug",
			"tzKnown": "1", "isSynced": "0", "ip": "10.0.0.1", "software": "glarc"}},
	}
	require.Len(t, lines, len(want))
	for i, l := range lines {
		m, err := Parse(l, utc)
		require.NoError(t, err, "line %d: %q", i+1, l)
		w := want[i]
		require.Equal(t, w.format, m.Format, "line %d", i+1)
		require.Equal(t, w.host, m.Hostname, "line %d", i+1)
		require.Equal(t, w.app, m.AppName, "line %d", i+1)
		require.Equal(t, w.pid, m.ProcID, "line %d", i+1)
		require.Equal(t, w.attrs, m.Attrs(), "line %d", i+1)
		require.False(t, m.Timestamp.IsZero() && m.Format != RFC5424, "line %d", i+1)
	}
}

func TestAttrsSDCollisions(t *testing.T) {
	m, err := ParseRFC5424([]byte(`<14>1 - h a - - [x@1 Host="sd" id="1" only="o"][y@1 ID="2"]`))
	require.NoError(t, err)
	require.Equal(t, chunk.Attributes{
		"host": "h", "app": "a", "facility": "user", "severity": "info",
		"x@1.Host": "sd", "x@1.id": "1", "y@1.ID": "2", "only": "o",
	}, m.Attrs())

	a := chunk.Attributes{"file": "/var/log/x"}
	m, err = ParseRFC5424([]byte(`<14>1 - - - - - [meta file="f" severity="s"]`))
	require.NoError(t, err)
	m.AppendAttrs(a)
	require.Equal(t, chunk.Attributes{"file": "/var/log/x", "meta.file": "f", "meta.severity": "s",
		"facility": "user", "severity": "info"}, a)
}

func TestFacilitySeverityNames(t *testing.T) {
	seen := map[string]bool{}
	for f := range 24 {
		name := FacilityName(f)
		require.NotEmpty(t, name)
		require.False(t, seen[name], "duplicate %q", name)
		seen[name] = true
	}
	require.Equal(t, "kern", FacilityName(0))
	require.Equal(t, "ftp", FacilityName(11))
	require.Equal(t, "local0", FacilityName(16))
	require.Equal(t, "local7", FacilityName(23))
	require.Empty(t, FacilityName(24))
	require.Empty(t, FacilityName(-1))
	require.Equal(t, "emerg", SeverityName(0))
	require.Equal(t, "warning", SeverityName(4))
	require.Equal(t, "debug", SeverityName(7))
	require.Empty(t, SeverityName(8))
	require.Equal(t, "rfc5424", RFC5424.String())
}

func TestNoPRINoFacility(t *testing.T) {
	m, err := ParseRFC3164([]byte("Mar  1 09:00:00 h a: x"), utc)
	require.NoError(t, err)
	require.Equal(t, -1, m.Priority)
	_, ok := m.Attrs().Get("facility")
	require.False(t, ok)
	require.False(t, errors.Is(err, ErrEmpty))
}
