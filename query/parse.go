package query

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"glarc/tokenizer"
)

// SyntaxError reports a query that does not parse. Pos is the byte offset
// in Query where the problem was found.
type SyntaxError struct {
	Query string
	Pos   int
	Msg   string
}

// Error prints the message, the query, and a caret under Pos:
//
//	query syntax error at offset 7: expected ')' to close '(' at offset 0
//	(a OR b
//	       ^
func (e *SyntaxError) Error() string {
	pos := min(max(e.Pos, 0), len(e.Query))
	// Echo the query on one line: control bytes become spaces so the caret
	// stays under the right column, which counts runes, not bytes.
	line := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, e.Query)
	col := utf8.RuneCountInString(e.Query[:pos])
	return fmt.Sprintf("query syntax error at offset %d: %s\n%s\n%s^", e.Pos, e.Msg, line, strings.Repeat(" ", col))
}

// kind is the kind of a lexical item.
type kind uint8

const (
	kEOF    kind = iota
	kLParen      // ( at the start of a term
	kRParen      // ) outside a term, or ending one
	kAnd         // AND
	kOr          // OR
	kNot         // NOT
	kMinus       // - directly before a term
	kTerm        // a term, already parsed into a Node
)

type item struct {
	kind kind
	pos  int
	node Node
}

// parser is a recursive-descent parser over a lexer that reads one item
// ahead. Grammar, by increasing precedence:
//
//	query = [ or ] EOF
//	or    = and { "OR" and }
//	and   = unary { [ "AND" ] unary }
//	unary = ( "NOT" | "-" ) unary | "(" or ")" | term
type parser struct {
	src  string
	pos  int // lexer offset
	peek item
	err  *SyntaxError
}

func (p *parser) fail(pos int, format string, args ...any) {
	if p.err == nil {
		p.err = &SyntaxError{Query: p.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
	}
}

// advance lexes the next item into p.peek.
func (p *parser) advance() {
	if p.err != nil {
		p.peek = item{kind: kEOF, pos: len(p.src)}
		return
	}
	p.peek = p.lex()
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// atTermEnd reports whether offset i ends a term: end of input, space or ')'.
func (p *parser) atTermEnd(i int) bool {
	return i >= len(p.src) || isSpace(p.src[i]) || p.src[i] == ')'
}

func (p *parser) lex() item {
	s := p.src
	for p.pos < len(s) && isSpace(s[p.pos]) {
		p.pos++
	}
	start := p.pos
	if start == len(s) {
		return item{kind: kEOF, pos: start}
	}
	switch s[start] {
	case '(':
		p.pos++
		return item{kind: kLParen, pos: start}
	case ')':
		p.pos++
		return item{kind: kRParen, pos: start}
	case '-':
		if p.atTermEnd(start + 1) {
			p.fail(start, "expected a term directly after '-'")
			return item{kind: kEOF, pos: start}
		}
		p.pos++
		return item{kind: kMinus, pos: start}
	case '"':
		return p.lexQuoted(start)
	case '/':
		return p.lexRegexp(start)
	}
	return p.lexBare(start)
}

// readQuoted reads a double-quoted string whose opening quote is at start.
// Inside, `\"` stands for '"' and `\\` for '\'; other backslashes stay.
// It returns the contents and the offset after the closing quote.
func (p *parser) readQuoted(start int) (string, int, bool) {
	s := p.src
	var b strings.Builder
	for i := start + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	p.fail(start, "expected a closing '\"' for the quote opened here")
	return "", len(s), false
}

// lexQuoted reads `"phrase"` or the prefix form `"phrase"*`.
func (p *parser) lexQuoted(start int) item {
	text, end, ok := p.readQuoted(start)
	if !ok {
		return item{kind: kEOF, pos: start}
	}
	prefix := end < len(p.src) && p.src[end] == '*'
	if prefix {
		end++
	}
	if !p.atTermEnd(end) {
		p.fail(end, "expected a space or ')' after the quoted phrase")
		return item{kind: kEOF, pos: end}
	}
	p.pos = end
	text = lower(text)
	if prefix {
		return item{kind: kTerm, pos: start, node: newPrefix(text)}
	}
	return item{kind: kTerm, pos: start, node: newPhrase(text)}
}

// lexRegexp reads `/expr/` or `/expr/i`. Inside, `\/` stands for '/'; every
// other escape is passed to RE2 as written.
func (p *parser) lexRegexp(start int) item {
	s := p.src
	var b strings.Builder
	i := start + 1
	for ; i < len(s) && s[i] != '/'; i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] != '/' {
				b.WriteByte('\\')
			}
			i++
		}
		b.WriteByte(s[i])
	}
	if i >= len(s) {
		p.fail(start, "expected a closing '/' for the regular expression opened here")
		return item{kind: kEOF, pos: start}
	}
	i++
	n := Regexp{Expr: b.String()}
	if i < len(s) && s[i] == 'i' {
		n.Fold = true
		i++
	}
	if !p.atTermEnd(i) {
		p.fail(i, "expected a space or ')' after the regular expression (quote text that starts with '/')")
		return item{kind: kEOF, pos: i}
	}
	if _, err := compileRegexp(n); err != nil {
		p.fail(start, "expected a valid RE2 regular expression: %v", err)
		return item{kind: kEOF, pos: start}
	}
	p.pos = i
	return item{kind: kTerm, pos: start, node: n}
}

func compileRegexp(n Regexp) (*regexp.Regexp, error) {
	if n.Fold {
		return regexp.Compile("(?i)" + n.Expr)
	}
	return regexp.Compile(n.Expr)
}

// lexBare reads a bare term: everything up to a space or a ')' that closes
// no '(' opened inside the term. The first operator (=, !=, <, <=, >, >=)
// makes it a Field; a value right after the operator may be quoted.
func (p *parser) lexBare(start int) item {
	s := p.src
	depth := 0
	opPos, opLen := -1, 0
	i := start
	quotedVal, hasQuoted := "", false
scan:
	for i < len(s) {
		c := s[i]
		switch {
		case isSpace(c):
			break scan
		case c == ')':
			if depth == 0 {
				break scan
			}
			depth--
		case c == '(':
			depth++
		case c == '"':
			if opPos < 0 || i != opPos+opLen {
				p.fail(i, "expected a quote only around a whole phrase or right after an operator (key=\"value\")")
				return item{kind: kEOF, pos: i}
			}
			v, end, ok := p.readQuoted(i)
			if !ok {
				return item{kind: kEOF, pos: i}
			}
			if !p.atTermEnd(end) {
				p.fail(end, "expected a space or ')' after the quoted value")
				return item{kind: kEOF, pos: end}
			}
			quotedVal, hasQuoted = v, true
			i = end
			break scan
		case opPos < 0 && (c == '=' || c == '<' || c == '>' || c == '!' && i+1 < len(s) && s[i+1] == '='):
			opPos, opLen = i, 1
			if c != '=' && i+1 < len(s) && s[i+1] == '=' {
				opLen = 2
			}
			i += opLen
			continue
		}
		i++
	}
	p.pos = i
	text := s[start:i]
	if opPos < 0 {
		return item{kind: keyword(text), pos: start, node: bareTerm(text)}
	}
	return p.field(start, opPos, opLen, i, quotedVal, hasQuoted)
}

// keyword returns the keyword kind of a bare term, or kTerm.
func keyword(text string) kind {
	switch {
	case strings.EqualFold(text, "and"):
		return kAnd
	case strings.EqualFold(text, "or"):
		return kOr
	case strings.EqualFold(text, "not"):
		return kNot
	}
	return kTerm
}

// bareTerm classifies a bare term without an operator.
func bareTerm(text string) Node {
	if text == "*" {
		return All{}
	}
	if t, ok := strings.CutSuffix(text, "*"); ok {
		return newPrefix(lower(t))
	}
	for i := 0; i < len(text); i++ {
		if !tokenizer.IsTokenByte(text[i]) {
			return newPhrase(lower(text))
		}
	}
	return Token{Word: lower(text)}
}

func newPhrase(text string) Node {
	if text == "" {
		return All{} // an empty phrase is in every line
	}
	return Phrase{Text: text}
}

func newPrefix(text string) Node {
	if text == "" {
		return All{}
	}
	return Prefix{Text: text}
}

// field builds a Field from the bare term s[start:end] with its operator at
// opPos.
func (p *parser) field(start, opPos, opLen, end int, quotedVal string, hasQuoted bool) item {
	s := p.src
	key := s[start:opPos]
	if key == "" {
		p.fail(start, "expected a key before %q (quote the term to search for it as text)", s[opPos:opPos+opLen])
		return item{kind: kEOF, pos: start}
	}
	var op Op
	switch s[opPos : opPos+opLen] {
	case "=":
		op = OpEq
	case "!=":
		op = OpNe
	case "<":
		op = OpLt
	case "<=":
		op = OpLe
	case ">":
		op = OpGt
	case ">=":
		op = OpGe
	}
	n := Field{Key: lower(key), Op: op, AnyKey: key == "*"}
	if n.AnyKey {
		n.Key = ""
	}
	switch value := s[opPos+opLen : end]; {
	case hasQuoted:
		n.Value = lower(quotedVal)
	case value == "*":
		if op != OpEq {
			p.fail(opPos+opLen, "expected a value: '*' stands for any value only after '='")
			return item{kind: kEOF, pos: opPos}
		}
		n.AnyValue = true
	default:
		n.Value = lower(value)
	}
	return item{kind: kTerm, pos: start, node: n}
}

// lower returns s with ASCII letters lowercased, as tokenizer.Lower does.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return string(tokenizer.Lower(nil, []byte(s)))
		}
	}
	return s
}

// ParseNode parses a query string into its syntax tree.
func ParseNode(s string) (Node, error) {
	p := &parser{src: s}
	p.advance()
	var n Node = All{}
	if p.peek.kind != kEOF {
		n = p.parseOr()
	}
	if p.err == nil && p.peek.kind != kEOF {
		switch p.peek.kind {
		case kRParen:
			p.fail(p.peek.pos, "expected a term or operator: this ')' closes no '('")
		default:
			p.fail(p.peek.pos, "expected the end of the query")
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return n, nil
}

func (p *parser) parseOr() Node {
	terms := []Node{p.parseAnd()}
	for p.err == nil && p.peek.kind == kOr {
		p.advance()
		terms = append(terms, p.parseAnd())
	}
	return newOr(terms)
}

// startsUnary reports whether k can begin a unary expression.
func startsUnary(k kind) bool {
	return k == kTerm || k == kNot || k == kMinus || k == kLParen
}

func (p *parser) parseAnd() Node {
	terms := []Node{p.parseUnary()}
	for p.err == nil {
		if p.peek.kind == kAnd {
			p.advance()
		} else if !startsUnary(p.peek.kind) {
			break
		}
		terms = append(terms, p.parseUnary())
	}
	return newAnd(terms)
}

func (p *parser) parseUnary() Node {
	it := p.peek
	switch it.kind {
	case kNot, kMinus:
		p.advance()
		return Not{X: p.parseUnary()}
	case kLParen:
		p.advance()
		if p.peek.kind == kRParen {
			p.fail(p.peek.pos, "expected a term inside '()'")
			return All{}
		}
		n := p.parseOr()
		if p.err == nil && p.peek.kind != kRParen {
			p.fail(p.peek.pos, "expected ')' to close the '(' at offset %d", it.pos)
			return All{}
		}
		p.advance()
		return n
	case kTerm:
		p.advance()
		return it.node
	case kAnd, kOr:
		p.fail(it.pos, "expected a term before %s", strings.ToUpper(p.src[it.pos:p.pos]))
		return All{}
	case kRParen:
		p.fail(it.pos, "expected a term before ')'")
		return All{}
	default:
		p.fail(it.pos, "expected a term at the end of the query")
		return All{}
	}
}
