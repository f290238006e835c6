package query

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"glarc/chunk"
	"glarc/tokenizer"
)

// Query is a parsed, compiled query. It is immutable and safe for
// concurrent use.
type Query struct {
	root Node
	m    matcher
	// usesAttrs is set when some term looks at record attributes.
	usesAttrs bool
	// lit is held by every matching line, ASCII case-insensitively
	// (lowercased): see literal. Nil for none.
	lit []byte
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
	return &Query{root: n, m: m, usesAttrs: usesAttrs(n), lit: literal(n)}, nil
}

// usesAttrs reports whether a term of n looks at record attributes (only
// key=value terms do).
func usesAttrs(n Node) bool {
	switch n := n.(type) {
	case Field:
		return true
	case Not:
		return usesAttrs(n.X)
	case And:
		return slices.ContainsFunc(n.Terms, usesAttrs)
	case Or:
		return slices.ContainsFunc(n.Terms, usesAttrs)
	}
	return false
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
		return prefixM{prefix: []byte(n.Text), edge: tokenizer.IsTokenByte(n.Text[0])}, nil
	case Regexp:
		re, err := compileRegexp(n)
		if err != nil {
			return nil, err
		}
		return newRegexpM(re, n)
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
	prefix []byte
	edge   bool
}

func (m prefixM) match(rec *chunk.Record) bool {
	return indexFold(rec.Raw, m.prefix, m.edge) >= 0
}

func (prefixM) cost() int { return 14 }

// containsFold reports whether line holds s, ASCII case-insensitively.
func containsFold(line, s []byte) bool { return indexFold(line, s, false) >= 0 }

// indexFold returns the offset of the first ASCII case-insensitive match
// of the non-empty s in line, or -1. With edge set the match must not
// follow a token byte.
func indexFold(line, s []byte, edge bool) int {
	sc := tokenizer.NewFoldScanner(line, s)
	for i := 0; ; i++ {
		if i = sc.Next(i); i < 0 || !edge || i == 0 || !tokenizer.IsTokenByte(line[i-1]) {
			return i
		}
	}
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

// regexpM runs an RE2 expression on the whole line, after a cheap check
// for a literal that every match must contain.
type regexpM struct {
	re *regexp.Regexp
	// lit, when not empty, is a literal every match contains: exactly, or
	// ASCII case-insensitively (lowercased) when fold is set.
	lit  string
	litB []byte // lit as given (not lowered), for bytes.Contains and containsFold
	fold bool
	// unicodeFold is set when lit holds 'k' or 's', which (?i) also
	// matches as U+212A KELVIN SIGN and U+017F LONG S: then a line with
	// non-ASCII bytes goes to the regexp even without the literal.
	unicodeFold bool
}

func newRegexpM(re *regexp.Regexp, n Regexp) (regexpM, error) {
	m := regexpM{re: re}
	flags := syntax.Perl
	if n.Fold {
		flags |= syntax.FoldCase
	}
	tree, err := syntax.Parse(n.Expr, flags)
	if err != nil {
		return regexpM{}, err
	}
	lit, fold := requiredLiteral(tree.Simplify())
	if len(lit) < 2 {
		return m, nil // not worth a pass over the line
	}
	m.lit, m.litB, m.fold = lit, []byte(lit), fold
	if fold {
		m.lit = lower(lit)
		m.unicodeFold = strings.ContainsAny(m.lit, "ks")
	}
	return m, nil
}

// requiredLiteral returns the longest literal that every match of re
// contains, and whether it is case-folded. It gives up (returns "") on
// literals that are not ASCII, where byte search and RE2 may disagree.
func requiredLiteral(re *syntax.Regexp) (string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return "", false
			}
		}
		return string(re.Rune), re.Flags&syntax.FoldCase != 0
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best, bestFold := "", false
		for _, sub := range re.Sub {
			if lit, fold := requiredLiteral(sub); len(lit) > len(best) {
				best, bestFold = lit, fold
			}
		}
		return best, bestFold
	}
	return "", false
}

func (m regexpM) match(rec *chunk.Record) bool {
	if m.lit != "" && !m.hasLiteral(rec.Raw) {
		return false
	}
	return m.re.Match(rec.Raw)
}

func (m regexpM) hasLiteral(line []byte) bool {
	if !m.fold {
		return bytes.Contains(line, m.litB)
	}
	if containsFold(line, m.litB) {
		return true
	}
	if m.unicodeFold {
		for _, c := range line {
			if c >= utf8.RuneSelf {
				return true
			}
		}
	}
	return false
}

func (regexpM) cost() int { return 100 }

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
	if !m.AnyKey {
		// The usual spelling first; the loop below finds the others.
		if v, ok := rec.Attrs[m.Key]; ok && test(m, v) {
			return true
		}
	}
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

// maxNumberLen is the longest number parseNumber copies into a stack
// buffer; longer ones are converted on the heap.
const maxNumberLen = 64

// parseNumber parses a decimal number: an optional sign, digits with an
// optional fraction (at least one digit in all), an optional exponent. It
// checks the syntax itself so that strconv never fails (a failure
// allocates), and allocates nothing.
func parseNumber[S ~string | ~[]byte](v S) (float64, bool) {
	if !isDecimal(v) {
		return 0, false
	}
	if len(v) > maxNumberLen { // rare: a conversion that allocates
		x, err := strconv.ParseFloat(string(v), 64)
		return x, err == nil
	}
	var buf [maxNumberLen]byte
	n := copy(buf[:], v)
	x, err := strconv.ParseFloat(string(buf[:n]), 64)
	return x, err == nil
}

// isDecimal reports whether v is [+-]? digits [. digits] ([eE] [+-]? digits)?
// with at least one digit before the exponent.
func isDecimal[S ~string | ~[]byte](v S) bool {
	i := 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(v) && '0' <= v[i] && v[i] <= '9'; i++ {
		digits++
	}
	if i < len(v) && v[i] == '.' {
		for i++; i < len(v) && '0' <= v[i] && v[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(v) && '0' <= v[i] && v[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(v)
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
