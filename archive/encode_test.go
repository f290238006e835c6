package archive

import (
	"strings"
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
		"Mar  1 00:00:01 " + strings.Repeat("h", 200) + " app[1]: a value over 127 bytes",
	} {
		var f syslog.Fields
		if err := syslog.ParseFields([]byte(line), syslog.Options{Year: 2026, Location: time.UTC}, &f); err != nil {
			continue
		}
		m := f.AsMessage()
		attrs := m.Attrs()
		attrs[AttrFile] = "/var/log/x"
		want, err := attrs.AppendBinary(nil)
		require.NoError(t, err)
		got, ok := appendSyslogAttrs([]byte("prefix"), &f, "/var/log/x")
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

func TestBatchSets(t *testing.T) {
	hash := func(b []byte) uint64 { return uint64(len(b)) } // many collisions
	var sets batchSets
	sets.reset(6)
	var arena []byte
	var got []uint32
	for _, s := range []string{"a=1", "b=2", "a=1", "c=3", "b=2", "a=1"} {
		a0 := len(arena)
		arena = append(arena, s...)
		var k uint32
		arena, k = sets.add(arena, a0, hash)
		got = append(got, k)
	}
	sets.finish(arena)
	require.Equal(t, []uint32{0, 1, 0, 2, 1, 0}, got)
	require.Equal(t, "a=1b=2c=3", string(arena), "a set seen before is not kept twice")
	require.Len(t, sets.sets, 3)
	for i, want := range []string{"a=1", "b=2", "c=3"} {
		require.Equal(t, want, string(sets.sets[i].Attrs))
		require.Equal(t, hash([]byte(want)), sets.sets[i].Hash)
	}
	sets.reset(1)
	require.Empty(t, sets.sets)
}
