package query

import (
	"strings"

	"glarc/tokenizer"
)

// Node is one element of a parsed query. Its String method prints the
// canonical form: keywords in upper case, AND written out, parentheses only
// where precedence needs them, case-insensitive text lowercased and quoted
// where it must be. Parsing the canonical form gives the same Node again.
type Node interface {
	String() string
	node()
}

// All matches every record: the empty query, or a bare `*`.
type All struct{}

// Token matches a record whose line holds Word as a whole token run, in any
// ASCII case. Word is lowercased and holds only token bytes
// (tokenizer.IsTokenByte).
type Token struct{ Word string }

// Phrase matches a record whose line holds Text, in any ASCII case, with
// its ends on token edges (tokenizer.ContainsPhrase). Text is lowercased.
// A quoted term and a bare term holding non-token bytes are phrases.
type Phrase struct{ Text string }

// Prefix matches a record whose line holds Text, in any ASCII case,
// starting on a token edge and ending anywhere: `auth*` is a token starting
// with "auth". Text is lowercased and never empty.
type Prefix struct{ Text string }

// Regexp matches a record whose whole line matches the RE2 expression Expr
// (`/expr/`); Fold (`/expr/i`) makes it case-insensitive.
type Regexp struct {
	Expr string
	Fold bool
}

// Op is the operator of a Field term.
type Op uint8

// Field operators.
const (
	OpEq Op = iota // =
	OpNe           // !=
	OpLt           // <
	OpLe           // <=
	OpGt           // >
	OpGe           // >=
)

var opText = [...]string{OpEq: "=", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">="}

func (o Op) String() string {
	if int(o) < len(opText) {
		return opText[o]
	}
	return "?"
}

// Field matches a record by a named value: an attribute (key compared
// case-insensitively) or a key=value pair in the line (tokenizer.Pairs).
// The term holds when any such value with a matching key satisfies Op:
//
//   - OpEq: the value equals Value, ASCII case-insensitively;
//   - OpNe: the value differs from Value (so the key must be present);
//   - OpLt, OpLe, OpGt, OpGe: for key severity or level with a syslog
//     severity as Value, the syslog order emerg=0 … debug=7; otherwise
//     numeric when both sides are numbers, else a comparison of the
//     lowercased strings.
//
// Key "*" (AnyKey) stands for every key, Value "*" (AnyValue, OpEq only)
// for every value: `key=*` holds when the key is present.
// Key and Value are lowercased.
type Field struct {
	Key      string
	Op       Op
	Value    string
	AnyKey   bool
	AnyValue bool
}

// Not holds when X does not.
type Not struct{ X Node }

// And holds when every term does. It has two or more terms, none an And.
type And struct{ Terms []Node }

// Or holds when any term does. It has two or more terms, none an Or.
type Or struct{ Terms []Node }

func (All) node()          {}
func (Token) node()        {}
func (Phrase) node()       {}
func (Prefix) node()       {}
func (Regexp) node()       {}
func (Field) node()        {}
func (Not) node()          {}
func (And) node()          {}
func (Or) node()           {}
func (All) String() string { return "*" }

func (n Token) String() string { return n.Word }

func (n Phrase) String() string { return quote(n.Text) }

func (n Prefix) String() string {
	if isBareWord(n.Text) {
		return n.Text + "*"
	}
	return quote(n.Text) + "*"
}

func (n Regexp) String() string {
	var b strings.Builder
	b.WriteByte('/')
	for i := 0; i < len(n.Expr); i++ {
		c := n.Expr[i]
		switch {
		case c == '\\' && i+1 < len(n.Expr):
			b.WriteByte(c)
			i++
			b.WriteByte(n.Expr[i])
		case c == '/':
			b.WriteString(`\/`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('/')
	if n.Fold {
		b.WriteByte('i')
	}
	return b.String()
}

func (n Field) String() string {
	var b strings.Builder
	if n.AnyKey {
		b.WriteByte('*')
	} else {
		b.WriteString(n.Key)
	}
	b.WriteString(n.Op.String())
	switch {
	case n.AnyValue:
		b.WriteByte('*')
	case isBareValue(n.Op, n.Value):
		b.WriteString(n.Value)
	default:
		b.WriteString(quote(n.Value))
	}
	return b.String()
}

func (n Not) String() string {
	switch n.X.(type) {
	case And, Or:
		return "NOT (" + n.X.String() + ")"
	}
	return "NOT " + n.X.String()
}

func (n And) String() string {
	parts := make([]string, len(n.Terms))
	for i, t := range n.Terms {
		if _, ok := t.(Or); ok {
			parts[i] = "(" + t.String() + ")"
		} else {
			parts[i] = t.String()
		}
	}
	return strings.Join(parts, " AND ")
}

func (n Or) String() string {
	parts := make([]string, len(n.Terms))
	for i, t := range n.Terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, " OR ")
}

// quote returns s in double quotes with '"' and '\' escaped.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// isBareWord reports whether s is a non-empty run of token bytes that the
// lexer reads back as the same bare word (it does not start with '-').
func isBareWord(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenizer.IsTokenByte(s[i]) {
			return false
		}
	}
	return true
}

// isBareValue reports whether a Field value can be printed after op
// without quotes and be read back the same.
func isBareValue(op Op, s string) bool {
	if s == "" || s == "*" {
		return false
	}
	if (op == OpLt || op == OpGt) && s[0] == '=' {
		return false // "<=x" would read back as OpLe
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isSpace(c), c == '"', c == '(', c == ')':
			return false
		}
	}
	return true
}

// newAnd builds the conjunction of terms, flattening nested Ands.
func newAnd(terms []Node) Node {
	var flat []Node
	for _, t := range terms {
		if a, ok := t.(And); ok {
			flat = append(flat, a.Terms...)
		} else {
			flat = append(flat, t)
		}
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return And{Terms: flat}
}

// newOr builds the disjunction of terms, flattening nested Ors.
func newOr(terms []Node) Node {
	var flat []Node
	for _, t := range terms {
		if o, ok := t.(Or); ok {
			flat = append(flat, o.Terms...)
		} else {
			flat = append(flat, t)
		}
	}
	if len(flat) == 1 {
		return flat[0]
	}
	return Or{Terms: flat}
}
