package query

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLiteral(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"error", "error"},
		{"ERROR", "error"},
		{`"Failed Password"`, "failed password"},
		{"173.234.31.186", "173.234.31.186"},
		{"auth*", "auth"},
		{"error 173.234.31.186", "173.234.31.186"}, // the longest term of an And
		{"error OR failed", ""},
		{"-error", ""},
		{"host=web1", ""},
		{"host=web1 sshd", "sshd"},
		{"/err(or)?/", "err"},
		{"/FAIL(ED|URE)/", "fail"},
		{"/fail(ed|ure)/i", "fail"},
		{"/kernel/i", ""}, // (?i) matches the Kelvin sign as k
		{"/a|b/", ""},
		{"/error/ 173.234.31.186", "173.234.31.186"},
		{"*", ""},
	} {
		q, err := Parse(tc.q)
		require.NoError(t, err, tc.q)
		require.Equal(t, tc.want, string(q.lit), tc.q)
	}
}
