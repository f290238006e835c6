package tokenizer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/tokenizer"
)

func TestContainsToken(t *testing.T) {
	const ssh = "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\r"
	tests := []struct {
		line, tok string
		want      bool
	}{
		{ssh, "invalid", true},
		{ssh, "INVALID", true},
		{ssh, "Invalid", true},
		{ssh, "labsz", true},
		{ssh, "lab", false},      // prefix of a run
		{ssh, "sz", false},       // suffix of a run
		{ssh, "webmaste", false}, // prefix
		{ssh, "24200", true},     // numbers are found, though not indexed
		{ssh, "186", true},       // last run before CR
		{ssh, "173.234", false},  // not a token run
		{ssh, "", false},         // empty
		{ssh, "dec", true},       // first run
		{ssh, "sshd[24200]", false},
		{"a", "a", true},
		{"a", "ab", false},
		{"ab", "a", false},
		{"x-y", "x", false},     // '-' is a token byte
		{"x_y", "y", false},     // '_' too
		{"x-y x", "x", true},    // second occurrence is whole
		{"xx xxx x", "x", true}, // candidates rejected before the match
		{"xx xxx", "x", false},
		{"caf\xc3\xa9", "caf", true}, // non-ASCII separates
		{"\xc3\xa9t\xc3\xa9", "t", true},
		{"abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", true},
		{"Aa aA", "aa", true},
		{"aA", "AA", true},
		{"line\r\n", "line", true},
		{"--", "--", true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tokenizer.ContainsToken([]byte(tt.line), []byte(tt.tok)), "line %q token %q", tt.line, tt.tok)
	}
}

func TestContainsPhrase(t *testing.T) {
	const ssh = "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2\r"
	const linux = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0"
	tests := []struct {
		line, phrase string
		want         bool
	}{
		{ssh, "failed password", true},
		{ssh, "FAILED PASSWORD", true},
		{ssh, "failed  password", false}, // no whitespace folding
		{ssh, "ailed password", false},   // starts inside a run
		{ssh, "failed passwor", false},   // ends inside a run
		{ssh, "173.234.31.186", true},
		{ssh, "73.234.31.186", false},
		{ssh, "173.234.31.18", false},
		{ssh, "173.234", true},
		{ssh, "[24200]:", true},   // starts and ends on punctuation
		{ssh, "d[24200]", false},  // 'd' starts inside "sshd"
		{ssh, "24200]: f", false}, // 'f' ends inside "Failed"
		{ssh, "ssh2\r", true},     // ending in a non-token byte
		{ssh, "ssh2", true},
		{ssh, "", true},
		{linux, "pam_unix(sshd:auth)", false},
		{linux, "pam_unix)", true},
		{linux, "sshd(pam_unix)", true},
		{linux, "logname= uid=0", true},
		{linux, "uid=", true},
		{linux, "id=0", false},
		{linux, ":16:", true}, // both ends on punctuation: plain substring
		{"pam_unix(sshd:auth)", "pam_unix(sshd:auth)", true},
		{"xpam_unix(sshd:auth)", "pam_unix(sshd:auth)", false},
		{"pam_unix(sshd:auth)x", "pam_unix(sshd:auth)", true}, // ends with ')'
		{"short", "longer than line", false},
		{"caf\xc3\xa9 bar", "\xc3\xa9 bar", true},
		{"caf\xc3\xa9 bar", "\xc3\x89 bar", false}, // non-ASCII is compared exactly
		{"aaa ab", "ab", true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tokenizer.ContainsPhrase([]byte(tt.line), []byte(tt.phrase)), "line %q phrase %q", tt.line, tt.phrase)
	}
}

func TestPhraseTokens(t *testing.T) {
	tests := []struct {
		phrase string
		want   []string
	}{
		{"failed password", []string{"failed", "password"}},
		{"173.234.31.186", nil},
		{"pam_unix(sshd:auth)", []string{"pam_unix", "sshd", "auth"}},
		{"X uid=0", []string{"uid"}},
	}
	for _, tt := range tests {
		buf, ends := tokenizer.PhraseTokens(nil, nil, []byte(tt.phrase))
		var got []string
		start := 0
		for _, end := range ends {
			got = append(got, string(buf[start:end]))
			start = end
		}
		require.Equal(t, tt.want, got, "phrase %q", tt.phrase)
	}
}

func TestContainsNoAlloc(t *testing.T) {
	line := []byte("Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186")
	allocs := testing.AllocsPerRun(100, func() {
		tokenizer.ContainsToken(line, []byte("webmaster"))
		tokenizer.ContainsPhrase(line, []byte("failed password"))
		tokenizer.HasPair(line, []byte("user"), []byte("root"))
	})
	require.Zero(t, allocs)
}

// TestFoldScanner: matches in any ASCII case at ascending offsets, one per
// call, and none past the last possible start.
func TestFoldScanner(t *testing.T) {
	text := []byte("Err error ERROR eRr-erro e")
	s := tokenizer.NewFoldScanner(text, []byte("err"))
	var got []int
	for i := 0; ; i++ {
		if i = s.Next(i); i < 0 {
			break
		}
		got = append(got, i)
	}
	require.Equal(t, []int{0, 4, 10, 16, 20}, got)
	s = tokenizer.NewFoldScanner(text, []byte("e"))
	require.Equal(t, 25, s.Next(25), "a match that ends the text")
	s = tokenizer.NewFoldScanner(text, []byte("rr-E"))
	require.Equal(t, 17, s.Next(0))
	require.Equal(t, -1, s.Next(18))
	s = tokenizer.NewFoldScanner(text, []byte("errors"))
	require.Equal(t, -1, s.Next(0))
}
