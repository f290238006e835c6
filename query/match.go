package query

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"glarc/chunk"
	"glarc/tokenizer"
)

// Query is a parsed, compiled query. It is immutable and safe for
// concurrent use.
type Query struct {
	root Node
	m    matcher
}

// Parse parses and compiles a query. A query that does not parse gives a
// *SyntaxError.
func Parse(s string) (*Query, error) {
	n, err := ParseNode(s)
	if err != nil {
		return nil, err
	}
	return Compile(n)
}

// Compile compiles a syntax tree (from ParseNode, or built by hand) into a
// Query. It fails only on an invalid regular expression.
func Compile(n Node) (*Query, error) {
	m, err := compile(n)
	if err != nil {
		return nil, err
	}
	return &Query{root: n, m: m}, nil
}

// Root returns the syntax tree. Index-backed CandidateSources walk it to
// find the terms they can look up.
func (q *Query) Root() Node { return q.root }

// String returns the canonical form of the query.
func (q *Query) String() string { return q.root.String() }

// Match reports whether rec satisfies the query. It is the exact check that
// every candidate passes; it allocates nothing.
func (q *Query) Match(rec *chunk.Record) bool { return q.m.match(rec) }

// MatchesAll reports whether the query holds for every record (it is `*`),
// so records need not be read to be counted.
func (q *Query) MatchesAll() bool {
	_, ok := q.root.(All)
	return ok
}

// matcher is a compiled node.
type matcher interface {
	match(rec *chunk.Record) bool
	// cost estimates the work of one match, to order the terms of an And
	// or Or so that cheap ones run first.
	cost() int
}

func compile(n Node) (matcher, error) {
	switch n := n.(type) {
	case All:
		return allM{}, nil
	case Token:
		return tokenM{tok: []byte(n.Word)}, nil
	case Phrase:
		if tokenRun(n.Text) {
			// A phrase of one token run is a token match.
			return tokenM{tok: []byte(n.Text)}, nil
		}
		return phraseM{phrase: []byte(n.Text)}, nil
	case Prefix:
		return prefixM{prefix: n.Text, edge: tokenizer.IsTokenByte(n.Text[0])}, nil
	case Regexp:
		re, err := compileRegexp(n)
		if err != nil {
			return nil, err
		}
		return regexpM{re: re}, nil
	case Field:
		return newFieldM(n), nil
	case Not:
		x, err := compile(n.X)
		if err != nil {
			return nil, err
		}
		return notM{x: x}, nil
	case And:
		ms, err := compileTerms(n.Terms)
		if err != nil {
			return nil, err
		}
		return andM{terms: ms}, nil
	case Or:
		ms, err := compileTerms(n.Terms)
		if err != nil {
			return nil, err
		}
		return orM{terms: ms}, nil
	}
	return nil, fmt.Errorf("query: cannot compile a %T", n)
}

func tokenRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenizer.IsTokenByte(s[i]) {
			return false
		}
	}
	return s != ""
}

// compileTerms compiles the terms of an And or Or, cheapest first: the
// result of either does not depend on the order.
func compileTerms(terms []Node) ([]matcher, error) {
	ms := make([]matcher, len(terms))
	for i, t := range terms {
		m, err := compile(t)
		if err != nil {
			return nil, err
		}
		ms[i] = m
	}
	slices.SortStableFunc(ms, func(a, b matcher) int { return a.cost() - b.cost() })
	return ms, nil
}

type allM struct{}

func (allM) match(*chunk.Record) bool { return true }
func (allM) cost() int                { return 0 }

type tokenM struct{ tok []byte }

func (m tokenM) match(rec *chunk.Record) bool { return tokenizer.ContainsToken(rec.Raw, m.tok) }
func (tokenM) cost() int                      { return 10 }

type phraseM struct{ phrase []byte }

func (m phraseM) match(rec *chunk.Record) bool { return tokenizer.ContainsPhrase(rec.Raw, m.phrase) }
func (phraseM) cost() int                      { return 12 }

// prefixM matches prefix, ASCII case-insensitively, starting on a token
// edge when the prefix starts with a token byte. prefix is lowercased.
type prefixM struct {
	prefix string
	edge   bool
}

func (m prefixM) match(rec *chunk.Record) bool {
	line, p := rec.Raw, m.prefix
	lo, up := p[0], p[0]
	if 'a' <= lo && lo <= 'z' {
		up = lo - 'a' + 'A'
	}
	for i := 0; i+len(p) <= len(line); i++ {
		j := indexEither(line[i:len(line)-len(p)+1], lo, up)
		if j < 0 {
			return false
		}
		i += j
		if m.edge && i > 0 && tokenizer.IsTokenByte(line[i-1]) {
			continue
		}
		if equalFoldLower(line[i+1:i+len(p)], p[1:]) {
			return true
		}
	}
	return false
}

func (prefixM) cost() int { return 14 }

// indexEither returns the first index of lo or up in b, or -1.
func indexEither(b []byte, lo, up byte) int {
	i := bytes.IndexByte(b, lo)
	if lo == up {
		return i
	}
	j := bytes.IndexByte(b, up)
	switch {
	case i < 0:
		return j
	case j < 0:
		return i
	}
	return min(i, j)
}

// equalFoldLower reports whether b equals the lowercased want under ASCII
// case folding.
func equalFoldLower[S ~string | ~[]byte](b S, want string) bool {
	if len(b) != len(want) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

type regexpM struct{ re *regexp.Regexp }

func (m regexpM) match(rec *chunk.Record) bool { return m.re.Match(rec.Raw) }
func (regexpM) cost() int                      { return 100 }

type notM struct{ x matcher }

func (m notM) match(rec *chunk.Record) bool { return !m.x.match(rec) }
func (m notM) cost() int                    { return m.x.cost() }

type andM struct{ terms []matcher }

func (m andM) match(rec *chunk.Record) bool {
	for _, t := range m.terms {
		if !t.match(rec) {
			return false
		}
	}
	return true
}

func (m andM) cost() int { return sumCost(m.terms) }

type orM struct{ terms []matcher }

func (m orM) match(rec *chunk.Record) bool {
	for _, t := range m.terms {
		if t.match(rec) {
			return true
		}
	}
	return false
}

func (m orM) cost() int { return sumCost(m.terms) }

func sumCost(ms []matcher) int {
	c := 0
	for _, m := range ms {
		c += m.cost()
	}
	return c
}

// compareKind says how an ordered Field comparison compares values.
type compareKind uint8

const (
	cmpString   compareKind = iota // lowercased strings, byte order
	cmpNumber                      // both sides parse as numbers
	cmpSeverity                    // syslog severity order
)

// fieldM is a compiled Field.
type fieldM struct {
	Field
	keyB, valueB []byte
	kind         compareKind
	num          float64 // the value, for cmpNumber
	level        int     // the value, for cmpSeverity
}

func newFieldM(f Field) *fieldM {
	m := &fieldM{Field: f, keyB: []byte(f.Key), valueB: []byte(f.Value)}
	if f.Op == OpEq || f.Op == OpNe {
		return m
	}
	if f.Key == "severity" || f.Key == "level" {
		if lv, ok := severityLevel(f.Value); ok {
			m.kind, m.level = cmpSeverity, lv
			return m
		}
	}
	if x, ok := parseNumber(f.Value); ok {
		m.kind, m.num = cmpNumber, x
	}
	return m
}

func (m *fieldM) cost() int {
	if m.Op == OpEq && !m.AnyKey {
		return 20
	}
	return 40
}

func (m *fieldM) match(rec *chunk.Record) bool {
	for k, v := range rec.Attrs {
		if (m.AnyKey || strings.EqualFold(k, m.Key)) && test(m, v) {
			return true
		}
	}
	line := rec.Raw
	if m.Op == OpEq && !m.AnyKey {
		if m.AnyValue {
			return tokenizer.HasKey(line, m.keyB)
		}
		return tokenizer.HasPair(line, m.keyB, m.valueB)
	}
	if !m.AnyKey && !tokenizer.ContainsToken(line, m.keyB) {
		return false // the key is not even a token of the line
	}
	for k, v := range tokenizer.Pairs(line) {
		if (m.AnyKey || equalFoldLower(k, m.Key)) && test(m, v) {
			return true
		}
	}
	return false
}

// test reports whether one value of the field's key satisfies the term.
func test[S ~string | ~[]byte](m *fieldM, v S) bool {
	switch m.Op {
	case OpEq:
		return m.AnyValue || equalFoldLower(v, m.Value)
	case OpNe:
		return !equalFoldLower(v, m.Value)
	}
	var c int
	switch m.kind {
	case cmpSeverity:
		lv, ok := severityLevel(v)
		if !ok {
			return false
		}
		c = lv - m.level
	case cmpNumber:
		x, ok := parseNumber(v)
		if !ok {
			return false
		}
		switch {
		case x < m.num:
			c = -1
		case x > m.num:
			c = 1
		}
	default:
		c = compareFoldLower(v, m.Value)
	}
	switch m.Op {
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	default: // OpGe
		return c >= 0
	}
}

// compareFoldLower compares the lowercased a with the lowercased b.
func compareFoldLower[S ~string | ~[]byte](a S, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			if c < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// maxNumberLen bounds the text parseNumber looks at, so that it can copy
// into a stack buffer.
const maxNumberLen = 64

// parseNumber parses a decimal or floating-point number (strconv syntax,
// without underscores). It allocates nothing.
func parseNumber[S ~string | ~[]byte](v S) (float64, bool) {
	if len(v) == 0 || len(v) > maxNumberLen {
		return 0, false
	}
	var buf [maxNumberLen]byte
	n := copy(buf[:], v)
	for _, c := range buf[:n] {
		if c == '_' {
			return 0, false
		}
	}
	x, err := strconv.ParseFloat(string(buf[:n]), 64)
	return x, err == nil
}

// maxSeverityLen is the longest severity spelling severityLevel knows.
const maxSeverityLen = len("informational")

// severityLevel maps a syslog severity name (emerg=0 … debug=7, in any
// ASCII case, with common aliases such as "error", "warn", "critical") or a
// digit 0-7 to its level. It allocates nothing.
func severityLevel[S ~string | ~[]byte](v S) (int, bool) {
	if len(v) == 0 || len(v) > maxSeverityLen {
		return 0, false
	}
	var buf [maxSeverityLen]byte
	n := copy(buf[:], v)
	for i, c := range buf[:n] {
		if 'A' <= c && c <= 'Z' {
			buf[i] = c + 'a' - 'A'
		}
	}
	switch string(buf[:n]) {
	case "0", "emerg", "emergency", "panic":
		return 0, true
	case "1", "alert":
		return 1, true
	case "2", "crit", "critical", "fatal":
		return 2, true
	case "3", "err", "error":
		return 3, true
	case "4", "warning", "warn":
		return 4, true
	case "5", "notice":
		return 5, true
	case "6", "info", "informational", "information":
		return 6, true
	case "7", "debug":
		return 7, true
	}
	return 0, false
}
