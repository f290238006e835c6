package tokenizer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/tokenizer"
)

// loghubDir is the shared real-log sample directory, relative to this package.
var loghubDir = filepath.Join("..", "..", "shared", "testdata", "loghub")

// loghubLines returns every line of the loghub samples (CRLF split on LF,
// CR kept, as a raw line would be), or nil when the samples are absent.
func loghubLines(tb testing.TB) [][]byte {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(loghubDir, "*.log"))
	var lines [][]byte
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(tb, err)
		lines = append(lines, bytes.Split(data, []byte("\n"))...)
	}
	return lines
}

func requireLoghub(tb testing.TB) [][]byte {
	tb.Helper()
	lines := loghubLines(tb)
	if len(lines) == 0 {
		tb.Skipf("loghub samples not found in %s (the shared test data directory is absent)", loghubDir)
	}
	return lines
}

// tokens runs Append and splits the result into strings.
func tokens(line string) []string {
	buf, ends := tokenizer.Append(nil, nil, []byte(line))
	var out []string
	start := 0
	for _, end := range ends {
		out = append(out, string(buf[start:end]))
		start = end
	}
	return out
}

func TestIsTokenByte(t *testing.T) {
	for c := range 256 {
		b := byte(c)
		want := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-'
		require.Equal(t, want, tokenizer.IsTokenByte(b), "byte %#x", c)
	}
}

func TestRuns(t *testing.T) {
	type run struct {
		Off int
		Run string
	}
	tests := []struct {
		line string
		want []run
	}{
		{"", nil},
		{"   ", nil},
		{"a", []run{{0, "a"}}},
		{"Hello, World!", []run{{0, "Hello"}, {7, "World"}}},
		{"pam_unix(sshd:auth)", []run{{0, "pam_unix"}, {9, "sshd"}, {14, "auth"}}},
		{"173.234.31.186", []run{{0, "173"}, {4, "234"}, {8, "31"}, {11, "186"}}},
		{"line\r\n", []run{{0, "line"}}},
		{"caf\xc3\xa9 ok", []run{{0, "caf"}, {6, "ok"}}},
		{"--x--", []run{{0, "--x--"}}},
	}
	for _, tt := range tests {
		var got []run
		for off, r := range tokenizer.Runs([]byte(tt.line)) {
			got = append(got, run{off, string(r)})
		}
		require.Equal(t, tt.want, got, "line %q", tt.line)
	}
}

func TestRunsStop(t *testing.T) {
	n := 0
	for range tokenizer.Runs([]byte("a b c d")) {
		n++
		if n == 2 {
			break
		}
	}
	require.Equal(t, 2, n)
}

func TestIsIndexToken(t *testing.T) {
	tests := []struct {
		tok  string
		want bool
	}{
		{"", false},
		{"a", false},
		{"ab", true},
		{"x1", true},
		{"abcdefghijklmnop", true},   // 16
		{"abcdefghijklmnopq", false}, // 17
		{"pam_unix", true},
		{"hinet-ip", true},
		{"-a", true},
		{"42", false},
		{"2005-11-09", false},
		{"10_000", false},
		{"--", false},
		{"__", false},
		{"0x1f", true},
		{"deadbeef", true},
		{"12ab", true},
		{"ab cd", false}, // not a run
		{"ab.cd", false},
		{"550e8400-e29b-41d4-a716-446655440000", false},
		{"6398380c8df505f1", false}, // hex ID
		{"api-20a5d514", false},
		{"0x0eb8ccca", false},
		{"000013s", false}, // digit-heavy
		{"ssh2", true},
		{"sha256", true},
		{"node-153", true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tokenizer.IsIndexToken([]byte(tt.tok)), "token %q", tt.tok)
	}
}

func TestIsID(t *testing.T) {
	tests := []struct {
		run  string
		want bool
	}{
		{"", false},
		{"deadbeef", false},         // no digit: a word
		{"12345678", true},          // digit-heavy (numeric anyway)
		{"6398380c8df505f1", true},  // hex ID
		{"6398380C8DF505F1", true},  // any case
		{"a1b2c3d4", true},          // 8 hex digits
		{"a1b2c3d", false},          // 7
		{"a1b2c3g4", false},         // g is not hex; 4 digits, 4 letters
		{"api-20a5d514", true},      // hex ID after '-'
		{"x_20a5d514", true},        // after '_'
		{"20a5d514-apiweb", false},  // only the part after the last '-' counts
		{"0x0eb8ccca", true},        // after 0x
		{"0X00000000", true},        // after 0x, digits only
		{"0x00", false},             // too short
		{"0x0000000g", true},        // digit-heavy
		{"000013s", true},           // 6 digits, 1 letter
		{"123ms", false},            // 3 digits
		{"1080p", true},             // 4 digits, 1 letter
		{"ab1080xy", false},         // 4 digits, 4 letters
		{"ip-10-0-1-5", true},       // 5 digits, 2 letters
		{"node-153", false},         // 3 digits
		{"web01", false},            // 2 digits
		{"sha256", false},           // 3 digits
		{"veth668df3d7", false},     // 6 digits, 6 letters, not hex
		{"i0131", true},             // klog stamp
		{"ab12cd34ef56gh78", false}, // 8 digits, 8 letters, not hex
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tokenizer.IsID([]byte(tt.run)), "run %q", tt.run)
	}
}

func TestIsUUID(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"550e8400-e29b-41d4-a716-446655440000", true},
		{"550E8400-E29B-41D4-A716-446655440000", true},
		{"550e8400-e29b-41d4-a716-44665544000", false},
		{"550e8400-e29b-41d4-a716-4466554400000", false},
		{"550e8400ee29b-41d4-a716-446655440000", false},
		{"550e8400-e29b-41d4-a716-44665544000g", false},
		{"", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tokenizer.IsUUID([]byte(tt.s)), "%q", tt.s)
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"a", nil},
		{"a b c", nil},
		{"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
			[]string{"jun", "combo", "sshd", "pam_unix", "authentication", "failure", "logname", "uid"}},
		{"Invalid user webmaster from 173.234.31.186\r",
			[]string{"invalid", "user", "webmaster", "from"}},
		{"ABCDEFGHIJKLMNOP abcdefghijklmnopq", []string{"abcdefghijklmnop"}},
		{"- 1131566461 2005.11.09 dn228 2005-11-09", []string{"dn228"}},
		{"id 550e8400-e29b-41d4-a716-446655440000 ok", []string{"id", "ok"}},
		{"na\xefve caf\xc3\xa9s", []string{"na", "ve", "caf"}},
		{"rhost=220-135-151-1.hinet-ip.hinet.net", []string{"rhost", "hinet-ip", "hinet", "net"}}, // 220-135-151-1 is numeric
		{"dup dup DUP", []string{"dup", "dup", "dup"}},
		{"x_y a-b", []string{"x_y", "a-b"}},
		{"request_id=6398380c8df505f1 pod=api-20a5d514 xid=0x0eb8ccca by -0.000013s ssh2",
			[]string{"request_id", "pod", "xid", "by", "ssh2"}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tokens(tt.line), "line %q", tt.line)
	}
}

func TestAppendAccumulates(t *testing.T) {
	buf, ends := tokenizer.Append(nil, nil, []byte("first line"))
	buf, ends = tokenizer.Append(buf, ends, []byte("Second"))
	require.Equal(t, "firstlinesecond", string(buf))
	require.Equal(t, []int{5, 9, 15}, ends)

	buf, ends = tokenizer.Append(buf[:0], ends[:0], []byte("again"))
	require.Equal(t, "again", string(buf))
	require.Equal(t, []int{5}, ends)
}

func TestAppendNoAlloc(t *testing.T) {
	line := []byte("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0")
	buf := make([]byte, 0, 256)
	ends := make([]int, 0, 32)
	allocs := testing.AllocsPerRun(100, func() {
		buf, ends = tokenizer.Append(buf[:0], ends[:0], line)
	})
	require.Zero(t, allocs)
}

func TestLower(t *testing.T) {
	require.Equal(t, "pre:abc-xyz_09 \xc3\x89[]", string(tokenizer.Lower([]byte("pre:"), []byte("AbC-XyZ_09 \xc3\x89[]"))))
	require.Empty(t, tokenizer.Lower(nil, nil))
}

// TestAppendAgreesWithContainsToken checks the index/query contract on real
// lines: every index token of a line is found by ContainsToken, and
// PhraseTokens of the whole line are its index tokens.
func TestAppendAgreesWithContainsToken(t *testing.T) {
	lines := append(requireLoghub(t), []byte("caf\xc3\xa9 A-b_C 550e8400-e29b-41d4-a716-446655440000 x"))
	var buf []byte
	var ends []int
	for _, line := range lines {
		buf, ends = tokenizer.Append(buf[:0], ends[:0], line)
		start := 0
		for _, end := range ends {
			tok := buf[start:end]
			start = end
			require.True(t, tokenizer.IsIndexToken(tok), "line %q token %q", line, tok)
			require.True(t, tokenizer.ContainsToken(line, tok), "line %q token %q", line, tok)
			require.True(t, tokenizer.ContainsToken(line, bytes.ToUpper(tok)), "line %q token %q", line, tok)
		}
		require.True(t, tokenizer.ContainsPhrase(line, line), "line %q", line)
		for _, r := range tokenizer.Runs(line) {
			require.True(t, tokenizer.ContainsToken(line, r), "line %q run %q", line, r)
		}
	}
}

func TestClasses(t *testing.T) {
	for c := range 256 {
		b := byte(c)
		letter := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
		// The letter class is visible through IsIndexToken: "1x" has a letter.
		require.Equal(t, letter, tokenizer.IsIndexToken([]byte{'1', b}), "byte %#x", c)
		// The digit class through IsID: four digits and one more byte.
		digit := '0' <= b && b <= '9'
		require.Equal(t, digit, tokenizer.IsID([]byte{'1', '2', '3', 'x', b}), "byte %#x", c)
		// Class, for collectors that classify bytes themselves.
		cl := tokenizer.Class(b)
		require.Equal(t, tokenizer.IsTokenByte(b), cl&tokenizer.ClassToken != 0, "byte %#x", c)
		require.Equal(t, letter, cl&tokenizer.ClassLetter != 0, "byte %#x", c)
		require.Equal(t, digit, cl&tokenizer.ClassDigit != 0, "byte %#x", c)
	}
}

func TestRunPairs(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"198.51.100.23", []string{"198.51", "51.100", "100.23"}},
		{"from 198.51.100.23 port 22", []string{"198.51", "51.100", "100.23"}},
		{"at 12:34:56, 1.2", []string{"12:34", "34:56", "1.2"}},
		{"1, 2", nil},                     // two separator bytes
		{"v 1.2", []string{"v 1", "1.2"}}, // "v" is not an index token
		{"ssh2 22", nil},                  // ssh2 is an index token
		{"id=6398380c8df505f1/7", []string{"6398380c8df505f1/7"}},
		{"caf\xc3\xa9 1", nil}, // a two-byte separator
		{"1 x 2", []string{"1 x", "x 2"}},
		{"1 ab 2", nil},
	}
	for _, tt := range tests {
		var got []string
		for p := range tokenizer.RunPairs([]byte(tt.text)) {
			got = append(got, string(p))
		}
		require.Equal(t, tt.want, got, "text %q", tt.text)
	}
}

// TestRunPairsOfPhrase checks the contract the planner relies on: the pairs
// of a phrase are pairs of every line that holds the phrase.
func TestRunPairsOfPhrase(t *testing.T) {
	lines := append(requireLoghub(t), []byte("from 198.51.100.23 port 22 at 12:34:56"))
	for i, line := range lines {
		if i%7 != 0 {
			continue
		}
		have := map[string]bool{}
		for p := range tokenizer.RunPairs(line) {
			have[string(p)] = true
		}
		// Every sub-phrase between token edges.
		for start := range tokenizer.Runs(line) {
			for end, run2 := range tokenizer.Runs(line[start:]) {
				phrase := line[start : start+end+len(run2)]
				if end > 40 {
					break
				}
				for p := range tokenizer.RunPairs(phrase) {
					require.True(t, have[string(p)], "line %q phrase %q pair %q", line, phrase, p)
				}
			}
		}
	}
}
