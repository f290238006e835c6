package query

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "*"},
		{"   ", "*"},
		{"*", "*"},
		{"error", "error"},
		{"ERROR", "error"},
		{"error host=web1", "error AND host=web1"},
		{"error AND host=web1", "error AND host=web1"},
		{"error and Host=WEB1", "error AND host=web1"},
		{`"two words"`, `"two words"`},
		{`"Two  Words"`, `"two  words"`},
		{`"error"`, `"error"`},
		{`"say \"hi\" \\ now"`, `"say \"hi\" \\ now"`},
		{`"a\b"`, `"a\\b"`},
		{"173.234.31.186", `"173.234.31.186"`},
		{"pam_unix(sshd:auth)", `"pam_unix(sshd:auth)"`},
		{"pam_unix(sshd:auth) failure", `"pam_unix(sshd:auth)" AND failure`},
		{"(pam_unix(sshd:auth))", `"pam_unix(sshd:auth)"`},
		{"(a OR b)", "a OR b"},
		{"(a OR b) c", "(a OR b) AND c"},
		{"a OR b c", "a OR b AND c"},
		{"a b OR c", "a AND b OR c"},
		{"a OR (b OR c)", "a OR b OR c"},
		{"(a b) (c d)", "a AND b AND c AND d"},
		{"NOT a b", "NOT a AND b"},
		{"NOT (a b)", "NOT (a AND b)"},
		{"not (a or b)", "NOT (a OR b)"},
		{"-a", "NOT a"},
		{"-a -b", "NOT a AND NOT b"},
		{"--a", "NOT NOT a"},
		{"-(a OR b)", "NOT (a OR b)"},
		{"-host=web1", "NOT host=web1"},
		{"a-b", "a-b"},
		{"auth*", "auth*"},
		{"AUTH*", "auth*"},
		{"173.23*", `"173.23"*`},
		{`"failed pass"*`, `"failed pass"*`},
		{"**", `"*"*`},
		{`""`, "*"},
		{`""*`, "*"},
		{"a*b", `"a*b"`},
		{"key=value", "key=value"},
		{"KEY=Value", "key=value"},
		{`key="quoted value"`, `key="quoted value"`},
		{`key="plain"`, "key=plain"},
		{`key=""`, `key=""`},
		{"key=", `key=""`},
		{"key=*", "key=*"},
		{`key="*"`, `key="*"`},
		{"*=value", "*=value"},
		{"*=*", "*=*"},
		{"a=b=c", "a=b=c"},
		{"a=f(x)", `a="f(x)"`},
		{"f(x)=1", "f(x)=1"},
		{"(host=web1)", "host=web1"},
		{`(k="v)")`, `k="v)"`},
		{"severity<=warning", "severity<=warning"},
		{"severity<warning", "severity<warning"},
		{"pid>1000", "pid>1000"},
		{"pid>=1000", "pid>=1000"},
		{"pid!=1", "pid!=1"},
		{"a<=b", "a<=b"},
		{`a<"=b"`, `a<"=b"`},
		{"a=>b", "a=>b"},
		{"a!b=c", "a!b=c"},
		{"hello!", `"hello!"`},
		{"/fail(ed|ure)/", "/fail(ed|ure)/"},
		{"/Fail/i", "/Fail/i"},
		{`/a\/b/`, `/a\/b/`},
		{`/a\d+/`, `/a\d+/`},
		{"/two words/", "/two words/"},
		{"//", "//"},
		{"(/x/)", "/x/"},
		{"a AND (b OR NOT c) OR d", "a AND (b OR NOT c) OR d"},
		{"and*", "and*"},
		{`"and"`, `"and"`},
		{"and=1", "and=1"},
		{"x\ty\nz", "x AND y AND z"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := Parse(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, q.String())
			again, err := Parse(q.String())
			require.NoError(t, err, "canonical form must parse")
			require.Equal(t, tt.want, again.String())
		})
	}
}

func TestParseNodes(t *testing.T) {
	tests := []struct {
		in   string
		want Node
	}{
		{"Error", Token{Word: "error"}},
		{"10.0.0.1", Phrase{Text: "10.0.0.1"}},
		{"auth*", Prefix{Text: "auth"}},
		{"/x/i", Regexp{Expr: "x", Fold: true}},
		{"Host=Web1", Field{Key: "host", Op: OpEq, Value: "web1"}},
		{"host=*", Field{Key: "host", Op: OpEq, AnyValue: true}},
		{"*=web1", Field{Op: OpEq, Value: "web1", AnyKey: true}},
		{"pid>=10", Field{Key: "pid", Op: OpGe, Value: "10"}},
		{"a b", And{Terms: []Node{Token{Word: "a"}, Token{Word: "b"}}}},
		{"a or b", Or{Terms: []Node{Token{Word: "a"}, Token{Word: "b"}}}},
		{"-a", Not{X: Token{Word: "a"}}},
	}
	for _, tt := range tests {
		n, err := ParseNode(tt.in)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, n, tt.in)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"(a OR b", 7, "expected ')'"},
		{"a)", 1, "closes no '('"},
		{"()", 1, "inside '()'"},
		{"a OR", 4, "expected a term at the end"},
		{"OR a", 0, "expected a term before OR"},
		{"a AND AND b", 6, "expected a term before AND"},
		{"NOT", 3, "expected a term at the end"},
		{"- a", 0, "directly after '-'"},
		{"a -", 2, "directly after '-'"},
		{`"abc`, 0, "closing '\"'"},
		{`"abc"def`, 5, "after the quoted phrase"},
		{`foo"bar"`, 3, "quote only"},
		{`k="v"w`, 5, "after the quoted value"},
		{`k="v`, 2, "closing '\"'"},
		{"/abc", 0, "closing '/'"},
		{"/var/log/syslog", 5, "after the regular expression"},
		{"/a(/", 0, "valid RE2"},
		{"=x", 0, "expected a key"},
		{"<34>", 0, "expected a key"},
		{"pid>*", 4, "any value only after '='"},
		{"pid!=*", 5, "any value only after '='"},
		{"(a (b)", 6, "expected ')' to close the '(' at offset 0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			var se *SyntaxError
			require.True(t, errors.As(err, &se), "want *SyntaxError, got %v", err)
			require.Equal(t, tt.in, se.Query)
			require.Equal(t, tt.pos, se.Pos, se.Error())
			require.Contains(t, se.Msg, tt.msg)
		})
	}
}

func TestSyntaxErrorCaret(t *testing.T) {
	_, err := Parse("héllo (a OR b")
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 3)
	require.Contains(t, lines[0], "expected ')'")
	require.Equal(t, "héllo (a OR b", lines[1])
	require.Equal(t, len([]rune("héllo (a OR b")), strings.Index(lines[2], "^"))

	_, err = Parse("a\t)")
	require.Error(t, err)
	lines = strings.Split(err.Error(), "\n")
	require.Equal(t, "a )", lines[1])
	require.Equal(t, "  ^", lines[2])
}

// sampleQueries reads testdata/queries.txt: one query a line, # comments.
func sampleQueries(tb testing.TB) []string {
	data, err := os.ReadFile(filepath.Join("testdata", "queries.txt"))
	require.NoError(tb, err)
	var qs []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\n")
		if line != "" && !strings.HasPrefix(line, "#") {
			qs = append(qs, line)
		}
	}
	return qs
}

func TestSampleQueriesParse(t *testing.T) {
	qs := sampleQueries(t)
	require.NotEmpty(t, qs)
	for _, s := range qs {
		q, err := Parse(s)
		require.NoError(t, err, s)
		again, err := Parse(q.String())
		require.NoError(t, err, q.String())
		require.Equal(t, q.String(), again.String())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range sampleQueries(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"error host=web1", `"two words" -x`, "pam_unix(sshd:auth)", "(a OR b) NOT c",
		"/fail(ed|ure)/i", "severity<=warning pid>1000 a!=b", `k="v \" w" *=x y=*`,
		"auth* 173.234.31.186", `"x"*`, "f(x)=1", `a<"=b"`, "--a", "((a))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error is not a *SyntaxError: %v", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Parse(%q): position %d out of range", s, se.Pos)
			}
			_ = se.Error()
			return
		}
		canon := q.String()
		q2, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, canon, err)
		}
		if got := q2.String(); got != canon {
			t.Fatalf("Parse(%q) = %q, re-parsed as %q", s, canon, got)
		}
	})
}
