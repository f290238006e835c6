package syslog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loghubLines reads a loghub sample and splits it into its records: CRLF
// separated, the last one without a terminator.
func loghubLines(tb testing.TB, name string) [][]byte {
	tb.Helper()
	path := filepath.Join(sharedTestdata, "loghub", name)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("loghub sample not found at %s (shared test material lives in ../shared/testdata next to the module root)", path)
	}
	require.NoError(tb, err)
	lines := bytes.Split(data, []byte("\r\n"))
	require.Len(tb, lines, 2000, "%s: records", name)
	return lines
}

type loghubResult struct {
	apps  map[string]int
	hosts map[string]int
	msgs  []Message
}

func parseLoghub(t *testing.T, name string, year int) loghubResult {
	t.Helper()
	r := loghubResult{apps: map[string]int{}, hosts: map[string]int{}}
	for i, line := range loghubLines(t, name) {
		m, err := ParseRFC3164(line, Options{Year: year, Location: time.UTC})
		require.NoError(t, err, "%s:%d %q", name, i+1, line)
		require.False(t, m.Timestamp.IsZero(), "%s:%d timestamp", name, i+1)
		require.Equal(t, year, m.Timestamp.Year())
		require.NotEmpty(t, m.Hostname, "%s:%d host of %q", name, i+1, line)
		requireSubslice(t, line, m.Message)
		// Parse must see file lines the same way.
		auto, err := Parse(line, Options{Year: year, Location: time.UTC})
		require.NoError(t, err)
		require.Equal(t, m, auto)
		r.apps[m.AppName]++
		r.hosts[m.Hostname]++
		r.msgs = append(r.msgs, m)
	}
	return r
}

func TestLoghubLinux(t *testing.T) {
	r := parseLoghub(t, "Linux_2k.log", 2005)
	require.Equal(t, map[string]int{"combo": 2000}, r.hosts)
	// Counts stated in testdata/README.md.
	for app, n := range map[string]int{
		"ftpd": 916, "sshd(pam_unix)": 677, "su(pam_unix)": 172,
		"kernel": 76, "klogind": 46, "logrotate": 43,
	} {
		require.Equal(t, n, r.apps[app], "app %q", app)
	}
	require.Equal(t, 7, r.apps["syslogd 1.4.1"], "`syslogd 1.4.1: restart.` lines")
	require.Equal(t, 1, r.apps["-- root"], "`combo  -- root[2421]:` line")
	require.Zero(t, r.apps[""], "every Linux line has a tag")

	first := r.msgs[0]
	require.Equal(t, "sshd(pam_unix)", first.AppName)
	require.Equal(t, "19939", first.ProcID)
	require.Equal(t, time.Date(2005, 6, 14, 15, 16, 1, 0, time.UTC), first.Timestamp)
	require.False(t, first.HasYear)

	padded := 0
	for _, m := range r.msgs {
		switch m.AppName {
		case "syslogd 1.4.1":
			require.Empty(t, m.ProcID)
			require.Equal(t, "restart.", string(m.Message))
		case "-- root":
			require.Equal(t, "2421", m.ProcID)
			require.Equal(t, "ROOT LOGIN ON tty2", string(m.Message))
		}
		if m.Timestamp.Day() < 10 {
			padded++
		}
	}
	require.Equal(t, 454, padded, "lines with a space-padded day")
}

func TestLoghubOpenSSH(t *testing.T) {
	r := parseLoghub(t, "OpenSSH_2k.log", 2024)
	require.Equal(t, map[string]int{"LabSZ": 2000}, r.hosts)
	require.Equal(t, map[string]int{"sshd": 2000}, r.apps)
	for _, m := range r.msgs {
		require.NotEmpty(t, m.ProcID)
		require.Equal(t, time.December, m.Timestamp.Month())
		require.Equal(t, 10, m.Timestamp.Day())
	}
}

func TestLoghubMac(t *testing.T) {
	r := parseLoghub(t, "Mac_2k.log", 2024)
	require.Len(t, r.hosts, 38)
	require.Zero(t, r.apps[""], "every Mac line has a tag")
	require.Equal(t, 72, r.apps["Microsoft Word"])
	require.Equal(t, 2, r.apps["Google Chrome"])
	require.Equal(t, 4, r.apps["BezelServices 255.10"])

	groups := map[string]int{}
	for i, m := range r.msgs {
		require.NotEmpty(t, m.ProcID, "line %d: %+v", i+1, m)
		require.Equal(t, time.July, m.Timestamp.Month())
		require.GreaterOrEqual(t, m.Timestamp.Day(), 1)
		require.LessOrEqual(t, m.Timestamp.Day(), 8)
		switch m.AppName {
		case "sandboxd":
			require.Equal(t, "129", m.ProcID)
			groups[m.AppName]++
		case "com.apple.xpc.launchd":
			groups[m.AppName]++
		}
	}
	lines := loghubLines(t, "Mac_2k.log")
	withGroup := map[string]int{}
	for i, m := range r.msgs {
		if bytes.Contains(lines[i][:len(lines[i])-len(m.Message)], []byte("] (")) {
			withGroup[m.AppName]++
		}
	}
	require.Equal(t, 35, withGroup["sandboxd"])
	require.Equal(t, 19, withGroup["com.apple.xpc.launchd"])

	// Spot checks from the README.
	m, err := ParseRFC3164([]byte("Jul  1 09:29:02 calvisitor-10-105-160-95 sandboxd[129] ([31211]): com.apple.Addres(31211) deny network-outbound /private/var/run/mDNSResponder"), Options{Year: 2024, Location: time.UTC})
	require.NoError(t, err)
	require.Equal(t, "calvisitor-10-105-160-95", m.Hostname)
	require.Equal(t, "sandboxd", m.AppName)
	require.Equal(t, "129", m.ProcID)
	require.Equal(t, "com.apple.Addres(31211) deny network-outbound /private/var/run/mDNSResponder", string(m.Message))
}

// TestLoghubThunderbird: loghub's Thunderbird layout is not syslog, so
// Parse must reject it without panicking; the embedded record after the
// four loghub fields is a plain RFC 3164 file line with an unpadded day.
func TestLoghubThunderbird(t *testing.T) {
	for i, line := range loghubLines(t, "Thunderbird_2k.log") {
		_, err := Parse(line, Options{Year: 2005, Location: time.UTC})
		require.ErrorIs(t, err, ErrNoTimestamp, "line %d", i+1)

		fields := bytes.SplitN(line, []byte(" "), 5)
		require.Len(t, fields, 5)
		m, err := ParseRFC3164(fields[4], Options{Year: 2005, Location: time.UTC})
		require.NoError(t, err, "line %d: %q", i+1, fields[4])
		require.Equal(t, 2005, m.Timestamp.Year())
		require.Equal(t, time.November, m.Timestamp.Month())
		require.NotEmpty(t, m.Hostname, "line %d", i+1)
		require.NotContains(t, m.Hostname, ":", "line %d", i+1)
	}
}

// TestLoghubApache: not syslog at all; every line is an error, none panics.
func TestLoghubApache(t *testing.T) {
	for i, line := range loghubLines(t, "Apache_2k.log") {
		_, err := Parse(line, Options{Year: 2005, Location: time.UTC})
		require.Error(t, err, "line %d", i+1)
	}
}
