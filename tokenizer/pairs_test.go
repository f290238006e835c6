package tokenizer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/tokenizer"
)

type kv struct{ K, V string }

func pairs(line string) []kv {
	var out []kv
	for k, v := range tokenizer.Pairs([]byte(line)) {
		out = append(out, kv{string(k), string(v)})
	}
	return out
}

func TestPairs(t *testing.T) {
	tests := []struct {
		line string
		want []kv
	}{
		{"", nil},
		{"no pairs here", nil},
		{"=", nil},
		{" =x", nil},
		{"a.=x", nil},
		{"a=b", []kv{{"a", "b"}}},
		{"a=", []kv{{"a", ""}}},
		{"a.b=c", []kv{{"b", "c"}}},
		{"Key=Value", []kv{{"Key", "Value"}}},
		{"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 \r",
			[]kv{{"logname", ""}, {"uid", "0"}, {"euid", "0"}, {"tty", "NODEVssh"}, {"ruser", ""}, {"rhost", "218.188.2.4"}}},
		{"session opened for user cyrus by (uid=0)", []kv{{"uid", "0"}}},
		{"[lvl=2]", []kv{{"lvl", "2"}}},
		{"from=(null)/(null)", []kv{{"from", "(null"}}},
		{"a=1,b=2;c=3}", []kv{{"a", "1"}, {"b", "2"}, {"c", "3"}}},
		{"a=b=c d=e", []kv{{"a", "b=c"}, {"d", "e"}}},
		{"url=/x?y=z&w=v", []kv{{"url", "/x?y=z&w=v"}}},
		{"a=x\tb=y\rc=z\nd=w", []kv{{"a", "x"}, {"b", "y"}, {"c", "z"}, {"d", "w"}}},
		{`msg="hello world" n=1`, []kv{{"msg", "hello world"}, {"n", "1"}}},
		{`msg=""`, []kv{{"msg", ""}}},
		{`msg="say \"hi\"" x=1`, []kv{{"msg", `say "hi"`}, {"x", "1"}}},
		{`p="C:\\dir\\" q=2`, []kv{{"p", `C:\dir\`}, {"q", "2"}}},
		{`p="a\nb"`, []kv{{"p", `a\nb`}}},         // other escapes stay as written
		{`m="unterminated b=c`, []kv{{"b", "c"}}}, // no pair for the open quote
		{`m="ends in backslash\"`, nil},
		{`m="x"y=z`, []kv{{"m", "x"}, {"y", "z"}}},
		{`m="x"=z`, []kv{{"m", "x"}}},
		{`m="a=b" c=d`, []kv{{"m", "a=b"}, {"c", "d"}}}, // '=' in a value starts nothing
		{`name='x'`, []kv{{"name", ""}}},
		{"k=caf\xc3\xa9 x", []kv{{"k", "caf\xc3\xa9"}}},
		{"ab-c_d=1", []kv{{"ab-c_d", "1"}}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, pairs(tt.line), "line %q", tt.line)
	}
}

func TestPairsStop(t *testing.T) {
	n := 0
	for range tokenizer.Pairs([]byte(`a=1 b="2\"" c=3`)) {
		n++
		if n == 2 {
			break
		}
	}
	require.Equal(t, 2, n)
}

func TestHasPair(t *testing.T) {
	const linux = "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4  user=root"
	tests := []struct {
		line, key, value string
		want             bool
	}{
		{linux, "user", "root", true},
		{linux, "USER", "ROOT", true},
		{linux, "user", "roo", false},
		{linux, "user", "", false},
		{linux, "uid", "0", true},
		{linux, "id", "0", false},
		{linux, "logname", "", true},
		{linux, "ruser", "", true},
		{linux, "tty", "nodevssh", true},
		{linux, "rhost", "218.188.2.4", true},
		{linux, "host", "218.188.2.4", false},
		{linux, "failure", "", false},
		{linux, "", "", false},
		{`msg="Say \"Hi\""`, "msg", `say "hi"`, true},
		{`msg="Say \"Hi\""`, "msg", `say \"hi\"`, false},
		{`msg="Say \"Hi\""`, "msg", `say "hi`, false},
		{`msg="Say \"Hi\""`, "msg", `say "hi""`, false},
		{`p="C:\\dir"`, "p", `c:\dir`, true},
		{`m="a=b" c=d`, "a", "b", false}, // inside a value
		{`a=b=c`, "b", "c", false},
		{`a=b=c`, "a", "b=c", true},
		{`x=1 x=2`, "x", "2", true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tokenizer.HasPair([]byte(tt.line), []byte(tt.key), []byte(tt.value)),
			"line %q key %q value %q", tt.line, tt.key, tt.value)
	}
}

func TestHasKey(t *testing.T) {
	line := []byte(`a=1 B="x" c= d`)
	for _, k := range []string{"a", "A", "b", "c"} {
		require.True(t, tokenizer.HasKey(line, []byte(k)), k)
	}
	for _, k := range []string{"d", "x", "", "1"} {
		require.False(t, tokenizer.HasKey(line, []byte(k)), k)
	}
}

// TestHasPairAgreesWithPairs checks on real lines that HasPair finds every
// pair Pairs yields.
func TestHasPairAgreesWithPairs(t *testing.T) {
	n := 0
	for _, line := range requireLoghub(t) {
		for k, v := range tokenizer.Pairs(line) {
			n++
			require.True(t, tokenizer.HasPair(line, k, v), "line %q pair %q=%q", line, k, v)
			require.True(t, tokenizer.HasKey(line, k), "line %q key %q", line, k)
		}
	}
	require.Positive(t, n)
}
