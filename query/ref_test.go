package query

import (
	"regexp"
	"strconv"
	"strings"

	"glarc/chunk"
	"glarc/tokenizer"
)

// reference is the reference matcher of the differential tests: a plain
// interpretation of the syntax tree, written for clarity, sharing nothing
// with the compiled matcher but the tokenizer's token and pair rules.
type reference struct {
	regexps map[string]*regexp.Regexp // compiled expressions, by source
}

func newReference() *reference { return &reference{regexps: map[string]*regexp.Regexp{}} }

func (ref *reference) match(n Node, rec *chunk.Record) bool {
	line := asciiLower(string(rec.Raw))
	switch n := n.(type) {
	case All:
		return true
	case Token:
		for _, run := range tokenizer.Runs(rec.Raw) {
			if asciiLower(string(run)) == n.Word {
				return true
			}
		}
		return false
	case Phrase:
		return refFind(line, n.Text, true)
	case Prefix:
		return refFind(line, n.Text, false)
	case Regexp:
		expr := n.Expr
		if n.Fold {
			expr = "(?i)" + expr
		}
		re, ok := ref.regexps[expr]
		if !ok {
			re = regexp.MustCompile(expr)
			ref.regexps[expr] = re
		}
		return re.Match(rec.Raw)
	case Field:
		var values []string
		for k, v := range rec.Attrs {
			if n.AnyKey || asciiLower(k) == n.Key || strings.EqualFold(k, n.Key) {
				values = append(values, v)
			}
		}
		for k, v := range tokenizer.Pairs(rec.Raw) {
			if n.AnyKey || asciiLower(string(k)) == n.Key {
				values = append(values, string(v))
			}
		}
		for _, v := range values {
			if refTest(n, v) {
				return true
			}
		}
		return false
	case Not:
		return !ref.match(n.X, rec)
	case And:
		for _, t := range n.Terms {
			if !ref.match(t, rec) {
				return false
			}
		}
		return true
	case Or:
		for _, t := range n.Terms {
			if ref.match(t, rec) {
				return true
			}
		}
		return false
	}
	panic("reference: unknown node")
}

// refFind reports whether line (lowercased) holds needle starting on a
// token edge and, when endEdge is set, ending on one.
func refFind(line, needle string, endEdge bool) bool {
	for i := 0; i+len(needle) <= len(line); i++ {
		if line[i:i+len(needle)] != needle {
			continue
		}
		if tokenizer.IsTokenByte(needle[0]) && i > 0 && tokenizer.IsTokenByte(line[i-1]) {
			continue
		}
		end := i + len(needle)
		if endEdge && tokenizer.IsTokenByte(needle[len(needle)-1]) && end < len(line) && tokenizer.IsTokenByte(line[end]) {
			continue
		}
		return true
	}
	return false
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

var decimalRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

var refSeverity = map[string]int{
	"emerg": 0, "emergency": 0, "panic": 0, "alert": 1, "crit": 2, "critical": 2, "fatal": 2,
	"err": 3, "error": 3, "warning": 4, "warn": 4, "notice": 5, "info": 6, "informational": 6,
	"information": 6, "debug": 7,
	"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7,
}

func refTest(n Field, v string) bool {
	lv := asciiLower(v)
	switch n.Op {
	case OpEq:
		return n.AnyValue || lv == n.Value
	case OpNe:
		return lv != n.Value
	}
	var c int
	qs, qsOK := refSeverity[n.Value]
	qn, qnErr := strconv.ParseFloat(n.Value, 64)
	switch {
	case (n.Key == "severity" || n.Key == "level") && qsOK:
		s, ok := refSeverity[lv]
		if !ok {
			return false
		}
		c = s - qs
	case qnErr == nil && decimalRE.MatchString(n.Value):
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !decimalRE.MatchString(v) {
			return false
		}
		switch {
		case x < qn:
			c = -1
		case x > qn:
			c = 1
		}
	default:
		c = strings.Compare(lv, n.Value)
	}
	switch n.Op {
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	case OpGt:
		return c > 0
	}
	return c >= 0
}
