package query

import (
	"bytes"
	"strings"
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

func TestIndexRare(t *testing.T) {
	texts := []string{
		"",
		"1",
		"198.51.100.23",
		"x198.51.100.23",
		"198.51.100.2",
		"Jan 31 00:00:00 app59 sshd[120]: from 198.51.100.231 port 1998 and 198.51.100.23 port 9",
		"99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999 198.51.100.23 9",
		"198.51.100.23198.51.100.23",
		"..........................................................................................................",
	}
	lits := []string{"198.51.100.23", "9", "99", "23", ".", "x", "1998 and"}
	for _, text := range texts {
		for _, lit := range lits {
			for rare := range len(lit) {
				for i := 0; i <= len(text); i++ {
					want := -1
					if i+len(lit) <= len(text) {
						if j := strings.Index(text[i:], lit); j >= 0 {
							want = i + j
						}
					}
					require.Equal(t, want, indexRare([]byte(text), i, []byte(lit), rare), "%q in %q from %d, rare %d", lit, text, i, rare)
				}
			}
		}
	}
	require.Equal(t, 2, rarest([]byte("198.51"), []byte("1111111119998....555")), "8 is the rarest")
	require.Equal(t, 0, rarest([]byte("ab"), nil), "the first of equals")
}

func FuzzIndexRare(f *testing.F) {
	f.Add([]byte("Jan 31 app59 from 198.51.100.23 port 1998"), []byte("198.51.100.23"), uint8(2))
	f.Add([]byte("999999999 9"), []byte("9 9"), uint8(1))
	f.Fuzz(func(t *testing.T, text, lit []byte, rare uint8) {
		if len(lit) == 0 {
			return
		}
		r := int(rare) % len(lit)
		got := indexRare(text, 0, lit, r)
		require.Equal(t, bytes.Index(text, lit), got)
	})
}
