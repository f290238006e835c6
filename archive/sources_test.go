package archive

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSortRotated(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"syslog", "syslog.1", "syslog.2.gz", "syslog.10.gz", "syslog.3.zst"},
			[]string{"syslog.10.gz", "syslog.3.zst", "syslog.2.gz", "syslog.1", "syslog"}},
		{[]string{"auth.log", "syslog.1", "auth.log.1", "syslog"},
			[]string{"auth.log.1", "auth.log", "syslog.1", "syslog"}},
		{[]string{"messages", "messages-20260301", "messages-20260222.gz"},
			[]string{"messages-20260222.gz", "messages-20260301", "messages"}},
		{[]string{"-", "a.log"}, []string{"-", "a.log"}},
		// logcli part files: by the start of their range, per prefix.
		{[]string{"q_20260301T020000_20260301T030000.part", "other_20260101T000000_20260101T010000.part",
			"q_20260301T000000_20260301T010000.part", "q_20260301T010000_20260301T020000.part"},
			[]string{"q_20260301T000000_20260301T010000.part", "q_20260301T010000_20260301T020000.part",
				"q_20260301T020000_20260301T030000.part", "other_20260101T000000_20260101T010000.part"}},
	} {
		require.Equal(t, tc.want, SortRotated(tc.in), "%v", tc.in)
	}
}

func TestExpandDirs(t *testing.T) {
	d := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(d, "sub"), 0o755))
	for _, f := range []string{"b.log", "a.log", "sub/c.log.gz"} {
		require.NoError(t, os.WriteFile(filepath.Join(d, f), []byte("x\n"), 0o644))
	}
	got, errs := ExpandDirs([]string{d, "-"})
	require.Empty(t, errs)
	require.Equal(t, []string{filepath.Join(d, "a.log"), filepath.Join(d, "b.log"), filepath.Join(d, "sub/c.log.gz"), "-"}, got)
}

func TestPartialLogcliPart(t *testing.T) {
	require.True(t, PartialLogcliPart("/tmp/q_20260301T000000_20260301T010000.part.tmp"))
	for _, p := range []string{"/tmp/q_20260301T000000_20260301T010000.part", "notes.tmp", "x.part.tmp", "syslog.1"} {
		require.False(t, PartialLogcliPart(p), p)
	}
}
