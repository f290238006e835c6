package archive

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/archive/syslog"
	"glarc/chunk"
)

// TestAppendSyslogAttrs checks the map-free encoding against the map and
// chunk.Attributes.AppendBinary, for every line shape the parser knows.
func TestAppendSyslogAttrs(t *testing.T) {
	for _, line := range []string{
		"Mar  1 00:00:01 web1 sshd[123]: Failed password for root",
		"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick",
		"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - An application event",
		"<165>1 2003-10-11T22:14:15.003Z host app 42 - [exampleSDID@32473 iut=\"3\"] with SD",
		"2026-03-01T00:00:00.123456+01:00 host kernel: [ 0.000000] Linux version",
		"Mar  1 00:00:01 host : empty tag",
	} {
		m, err := syslog.Parse([]byte(line), syslog.Options{Year: 2026, Location: time.UTC})
		if err != nil {
			continue
		}
		attrs := m.Attrs()
		attrs[AttrFile] = "/var/log/x"
		want, err := attrs.AppendBinary(nil)
		require.NoError(t, err)
		got, ok := appendSyslogAttrs([]byte("prefix"), &m, "/var/log/x")
		if len(m.StructuredData) > 0 {
			require.False(t, ok, line)
			require.Equal(t, "prefix", string(got))
			continue
		}
		require.True(t, ok, line)
		require.Equal(t, want, got[len("prefix"):], line)
		dec, err := chunk.DecodeAttributes(got[len("prefix"):])
		require.NoError(t, err)
		require.Equal(t, attrs, dec)
	}
}
