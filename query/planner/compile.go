package planner

import (
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/index"
	"glarc/query"
	"glarc/tokenizer"
)

// result is the compiled answer of one node for one chunk.
type result struct {
	// bm holds the candidate positions; nil stands for every position.
	bm *roaring.Bitmap
	// exact is set when bm (or every position) is exactly the matches.
	exact bool
}

// every is the answer that narrows nothing.
var every = result{}

// compiler compiles one query for one chunk. Bitmaps it produces are its
// own, so the set operations work in place.
type compiler struct {
	set   *index.Set
	n     uint64 // records in the chunk
	steps []string
	// err is the first lookup error: the index is damaged, and the chunk
	// must be scanned.
	err error
}

// count is the number of candidates r stands for.
func (c *compiler) count(r result) uint64 {
	if r.bm == nil {
		return c.n
	}
	return r.bm.GetCardinality()
}

// top compiles the root. Terms of a top-level And are reported one by one
// with the candidate count before and after each.
func (c *compiler) top(n query.Node) result {
	terms := []query.Node{n}
	if a, ok := n.(query.And); ok {
		terms = a.Terms
	}
	acc := result{exact: true}
	before := c.n
	for i, t := range terms {
		r, label := c.node(t)
		if c.err != nil {
			return every
		}
		acc = and(acc, r)
		after := c.count(acc)
		c.steps = append(c.steps, fmt.Sprintf("%s: %d → %d", label, before, after))
		before = after
		if acc.bm != nil && acc.bm.IsEmpty() {
			if rest := len(terms) - i - 1; rest > 0 {
				c.steps = append(c.steps, fmt.Sprintf("%d more terms not looked up", rest))
			}
			break
		}
	}
	return acc
}

// node compiles one node and returns a label for --explain.
func (c *compiler) node(n query.Node) (result, string) {
	switch n := n.(type) {
	case query.All:
		return result{exact: true}, "*"
	case query.Token:
		return c.token(n.Word)
	case query.Phrase:
		return c.phrase(n.Text)
	case query.Prefix:
		return c.prefix(n.Text)
	case query.Field:
		return c.field(n)
	case query.Regexp:
		return every, fmt.Sprintf("regexp %s: no index", n)
	case query.Not:
		r, label := c.node(n.X)
		label = fmt.Sprintf("NOT (%s %s)", label, c.countText(r))
		if !r.exact {
			return every, label + ": cannot narrow"
		}
		if r.bm == nil {
			return result{bm: roaring.New(), exact: true}, label
		}
		return result{bm: roaring.Flip(r.bm, 0, c.n), exact: true}, label
	case query.And:
		acc := result{exact: true}
		labels := make([]string, 0, len(n.Terms))
		for _, t := range n.Terms {
			r, label := c.node(t)
			labels = append(labels, label+" "+c.countText(r))
			acc = and(acc, r)
		}
		return acc, "(" + strings.Join(labels, " AND ") + ")"
	case query.Or:
		acc := result{bm: roaring.New(), exact: true}
		labels := make([]string, 0, len(n.Terms))
		for _, t := range n.Terms {
			r, label := c.node(t)
			labels = append(labels, label+" "+c.countText(r))
			acc = or(acc, r)
		}
		return acc, "(" + strings.Join(labels, " OR ") + ")"
	}
	return every, fmt.Sprintf("%T: no index", n)
}

// countText is a nested node's count for --explain.
func (c *compiler) countText(r result) string {
	if r.bm == nil {
		return "[all]"
	}
	return fmt.Sprintf("[%d]", r.bm.GetCardinality())
}

// and intersects a and b. An empty answer is exact: no superset of the
// matches is empty unless the matches are.
func and(a, b result) result {
	exact := a.exact && b.exact
	switch {
	case a.bm == nil:
		a.bm = b.bm
	case b.bm != nil:
		a.bm.And(b.bm)
	}
	if a.bm != nil && a.bm.IsEmpty() {
		exact = true
	}
	return result{bm: a.bm, exact: exact}
}

// or unites a and b.
func or(a, b result) result {
	exact := a.exact && b.exact
	if a.bm == nil || b.bm == nil {
		return result{exact: exact}
	}
	a.bm.Or(b.bm)
	return result{bm: a.bm, exact: exact}
}

// fail records a lookup error and answers every position.
func (c *compiler) fail(err error) result {
	if c.err == nil {
		c.err = err
	}
	return every
}

// token compiles a whole-token term (word is lowercased token bytes).
func (c *compiler) token(word string) (result, string) {
	label := fmt.Sprintf("token %q", word)
	if word == "" {
		return result{bm: roaring.New(), exact: true}, label
	}
	tok := []byte(word)
	if tokenizer.IsIndexToken(tok) && c.set.Token != nil {
		bm, held, err := c.set.Token.Lookup(tok)
		if err != nil {
			return c.fail(err), label
		}
		if held {
			return result{bm: bm, exact: true}, label
		}
	}
	if c.set.Blocks == nil {
		return every, label + ": not indexed"
	}
	r := c.blocks([][]byte{tok})
	return r, label + " via blocks"
}

// blocks answers from the per-block filters: the blocks that may hold all
// runs (token runs that are not index tokens, and run pairs).
func (c *compiler) blocks(runs [][]byte) result {
	bm, err := c.set.Blocks.Candidates(runs)
	if err != nil {
		return c.fail(err)
	}
	return result{bm: bm}
}

// phrase compiles a phrase (lowercased). Every token run of a phrase is a
// whole run of any line holding it (the edge rule), so each index token
// narrows, and the block filters take all runs.
func (c *compiler) phrase(text string) (result, string) {
	if text == "" {
		return result{exact: true}, `phrase ""`
	}
	if tokenRun(text) {
		return c.token(text) // the matcher treats it as a token
	}
	var runs [][]byte
	for _, run := range tokenizer.Runs([]byte(text)) {
		runs = append(runs, run)
	}
	// Run pairs (198.51 of an IP) are held by the block filters too; the
	// token index skips them (not index tokens).
	for p := range tokenizer.RunPairs([]byte(text)) {
		runs = append(runs, p)
	}
	r, via := c.wholeRuns(runs)
	return r, fmt.Sprintf("phrase %q%s", text, via)
}

// wholeRuns intersects the answers for runs (token runs and run pairs)
// that a match holds whole: the token index for index tokens, the block
// filters for the others (they hold no index tokens, see
// index/file/blocks).
func (c *compiler) wholeRuns(runs [][]byte) (result, string) {
	acc := every
	var via []string
	var keys [][]byte // the runs only the block filters answer
	for _, run := range runs {
		if !tokenizer.IsIndexToken(run) {
			keys = append(keys, run)
			continue
		}
		if c.set.Token == nil {
			continue
		}
		bm, held, err := c.set.Token.Lookup(run)
		if err != nil {
			return c.fail(err), ""
		}
		if !held {
			continue
		}
		if len(via) == 0 {
			via = append(via, "token")
		}
		acc = and(acc, result{bm: bm})
	}
	if len(keys) > 0 && c.set.Blocks != nil {
		acc = and(acc, c.blocks(keys))
		via = append(via, "blocks")
	}
	acc.exact = acc.bm != nil && acc.bm.IsEmpty()
	if len(via) == 0 {
		return acc, ": no index"
	}
	return acc, " via " + strings.Join(via, "+")
}

// prefix compiles a prefix term (lowercased, non-empty): its runs that end
// before the text does are whole runs of a matching line, and its last run,
// if it ends the text, starts a run of the line.
func (c *compiler) prefix(text string) (result, string) {
	label := fmt.Sprintf("prefix %q", text+"*")
	var whole [][]byte
	var last []byte
	wholeEnd := 0
	for at, run := range tokenizer.Runs([]byte(text)) {
		if at+len(run) == len(text) {
			last = run
		} else {
			whole = append(whole, run)
			wholeEnd = at + len(run)
		}
	}
	for p := range tokenizer.RunPairs([]byte(text[:wholeEnd])) {
		whole = append(whole, p)
	}
	acc, via := every, ""
	if len(whole) > 0 {
		acc, via = c.wholeRuns(whole)
		if c.err != nil {
			return every, label
		}
	}
	if last != nil && c.set.Token != nil {
		bm, complete, err := c.set.Token.Prefix(last)
		if err != nil {
			return c.fail(err), label
		}
		if complete {
			acc = and(acc, result{bm: bm})
			if via == "" || via == ": no index" {
				via = " via token"
			} else {
				via += "+token prefix"
			}
		}
	}
	if via == "" {
		via = ": no index"
	}
	acc.exact = acc.bm != nil && acc.bm.IsEmpty()
	return acc, label + via
}

// field compiles a key/value term from the attr and kv indexes: a record
// matches through an attribute or a pair in its line, so both must answer.
func (c *compiler) field(f query.Field) (result, string) {
	label := "field " + f.String()
	switch {
	case f.AnyKey:
		return every, label + ": no index for any key"
	case c.set.Attr == nil || c.set.KV == nil:
		return every, label + ": attr or kv not indexed"
	}
	if f.Op == query.OpEq && !f.AnyValue {
		a, heldA, err := c.set.Attr.Lookup(f.Key, f.Value)
		if err != nil {
			return c.fail(err), label
		}
		b, heldB, err := c.set.KV.Lookup(f.Key, f.Value)
		if err != nil {
			return c.fail(err), label
		}
		if heldA && heldB {
			return or(result{bm: a, exact: true}, result{bm: b, exact: true}), label + " via attr+kv"
		}
	}
	// Every other form needs the key present: key=*, key!=v, key<v, and
	// key=value whose values the budget left out.
	a, heldA, err := c.set.Attr.Key(f.Key)
	if err != nil {
		return c.fail(err), label
	}
	b, heldB, err := c.set.KV.Key(f.Key)
	if err != nil {
		return c.fail(err), label
	}
	if !heldA || !heldB {
		return every, label + ": key not held"
	}
	exact := f.Op == query.OpEq && f.AnyValue
	via := " via attr+kv keys"
	if f.Op == query.OpEq && !f.AnyValue {
		via = " via attr+kv keys (values not held)"
	}
	return or(result{bm: a, exact: exact}, result{bm: b, exact: exact}), label + via
}

func tokenRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenizer.IsTokenByte(s[i]) {
			return false
		}
	}
	return s != ""
}
