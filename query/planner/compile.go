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
	// bm or bits (never both) holds the candidate positions; neither
	// stands for every position. bits are lent by the compiler's scratch
	// (see bits.go).
	bm   *roaring.Bitmap
	bits []uint64
	// exact is set when the positions (or every position) are exactly the
	// matches.
	exact bool
}

// all reports whether r stands for every position.
func (r result) all() bool { return r.bm == nil && r.bits == nil }

// empty reports whether r holds no position.
func (r result) empty() bool {
	switch {
	case r.bits != nil:
		for _, w := range r.bits {
			if w != 0 {
				return false
			}
		}
		return true
	case r.bm != nil:
		return r.bm.IsEmpty()
	}
	return false
}

// every is the answer that narrows nothing.
var every = result{}

// compiler compiles one query for one chunk. Bitmaps it produces are its
// own, so the set operations work in place.
type compiler struct {
	set *index.Set
	// widen opens more kinds of the chunk's indexes than the query's
	// terms needed at first, when a term finds it can use them; nil: none.
	widen func(kinds) index.Set
	n     uint64 // records in the chunk
	sc    *scratch
	steps []string
	// err is the first lookup error: the index is damaged, and the chunk
	// must be scanned.
	err error
}

// count is the number of candidates r stands for.
func (c *compiler) count(r result) uint64 {
	switch {
	case r.bits != nil:
		return popcount(r.bits)
	case r.bm != nil:
		return r.bm.GetCardinality()
	}
	return c.n
}

// words is the length of a bitset of the chunk's positions.
func (c *compiler) words() int { return int((c.n + 63) / 64) }

// release gives r's bitset back to the scratch.
func (c *compiler) release(r result) { c.sc.put(r.bits) }

// bitmap returns r's positions as a bitmap (nil for every position),
// giving its bitset back.
func (c *compiler) bitmap(r result) *roaring.Bitmap {
	if r.bits == nil {
		return r.bm
	}
	bm := roaring.FromDense(r.bits, true) // copies: the words go back
	c.release(r)
	return bm
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
			c.release(acc)
			c.release(r)
			return every
		}
		acc = c.and(acc, r)
		after := c.count(acc)
		c.steps = append(c.steps, fmt.Sprintf("%s: %d → %d", label, before, after))
		before = after
		if !acc.all() && after == 0 {
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
			c.release(r)
			return every, label + ": cannot narrow"
		}
		switch {
		case r.bits != nil:
			flipWords(r.bits, c.n)
			return r, label
		case r.bm == nil:
			return result{bm: roaring.New(), exact: true}, label
		}
		return result{bm: roaring.Flip(r.bm, 0, c.n), exact: true}, label
	case query.And:
		acc := result{exact: true}
		labels := make([]string, 0, len(n.Terms))
		for _, t := range n.Terms {
			r, label := c.node(t)
			labels = append(labels, label+" "+c.countText(r))
			acc = c.and(acc, r)
		}
		return acc, "(" + strings.Join(labels, " AND ") + ")"
	case query.Or:
		acc := result{bm: roaring.New(), exact: true}
		labels := make([]string, 0, len(n.Terms))
		for _, t := range n.Terms {
			r, label := c.node(t)
			labels = append(labels, label+" "+c.countText(r))
			acc = c.or(acc, r)
		}
		return acc, "(" + strings.Join(labels, " OR ") + ")"
	}
	return every, fmt.Sprintf("%T: no index", n)
}

// countText is a nested node's count for --explain.
func (c *compiler) countText(r result) string {
	if r.all() {
		return "[all]"
	}
	return fmt.Sprintf("[%d]", c.count(r))
}

// and intersects a and b, in the memory of one of them (the other's
// bitset goes back to the scratch). An empty answer is exact: no superset
// of the matches is empty unless the matches are.
func (c *compiler) and(a, b result) result {
	exact := a.exact && b.exact
	var r result
	switch {
	case a.all():
		r = b
	case b.all():
		r = a
	case a.bits != nil && b.bits != nil:
		andWords(a.bits, b.bits)
		c.release(b)
		r = a
	case a.bits != nil || b.bits != nil:
		w, bm := a.bits, b.bm
		if w == nil {
			w, bm = b.bits, a.bm
		}
		if bm.GetCardinality() <= sparseLimit(w) {
			r = result{bm: keepIn(bm, w)}
			c.sc.put(w)
		} else {
			t := c.sc.spread(bm, len(w))
			andWords(w, t)
			c.sc.put(t)
			r = result{bits: w}
		}
	default:
		a.bm.And(b.bm)
		r = a
	}
	r.exact = exact || r.empty()
	return r
}

// or unites a and b, in the memory of one of them.
func (c *compiler) or(a, b result) result {
	exact := a.exact && b.exact
	switch {
	case a.all() || b.all():
		c.release(a)
		c.release(b)
		return result{exact: exact}
	case a.bits != nil && b.bits != nil:
		orWords(a.bits, b.bits)
		c.release(b)
		return result{bits: a.bits, exact: exact}
	case a.bits != nil:
		c.sc.addTo(a.bits, b.bm)
		return result{bits: a.bits, exact: exact}
	case b.bits != nil:
		c.sc.addTo(b.bits, a.bm)
		return result{bits: b.bits, exact: exact}
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
		r, held, err := c.lookupToken(tok)
		if err != nil {
			return c.fail(err), label
		}
		if held {
			r.exact = true
			return r, label
		}
	}
	if c.set.Blocks == nil {
		return every, label + ": not indexed"
	}
	r := c.blocks([][]byte{tok})
	return r, label + " via blocks"
}

// lookupToken looks tok up in the token index. held is false (and r
// every position) when tok is not an index token.
func (c *compiler) lookupToken(tok []byte) (r result, held bool, err error) {
	t := c.set.Token
	var into func([]uint64) (bool, error)
	if br, ok := t.(index.TokenBitsReader); ok {
		into = func(w []uint64) (bool, error) { return br.LookupInto(tok, w) }
	}
	return c.lookup(into, func() (*roaring.Bitmap, bool, error) { return t.Lookup(tok) })
}

// lookup answers one posting-list lookup: into a bitset the scratch lends
// when into is set (the reader can fill one), else as the bitmap get
// returns. held is false (and r every position) when the index cannot
// answer.
func (c *compiler) lookup(into func([]uint64) (bool, error), get func() (*roaring.Bitmap, bool, error)) (r result, held bool, err error) {
	if into != nil {
		w := c.sc.get(c.words())
		held, err := into(w)
		if err != nil || !held {
			c.sc.put(w)
			return every, held, err
		}
		return result{bits: w}, true, nil
	}
	bm, held, err := get()
	if err != nil || !held {
		return every, held, err
	}
	return result{bm: bm}, true, nil
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
		r, held, err := c.lookupToken(run)
		if err != nil {
			c.release(acc)
			return c.fail(err), ""
		}
		if !held {
			continue
		}
		if len(via) == 0 {
			via = append(via, "token")
		}
		acc = c.and(acc, r)
	}
	if len(keys) > 0 && c.set.Blocks != nil {
		acc = c.and(acc, c.blocks(keys))
		via = append(via, "blocks")
	}
	acc.exact = !acc.all() && acc.empty()
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
			c.release(acc)
			return c.fail(err), label
		}
		if complete {
			acc = c.and(acc, result{bm: bm})
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
	acc.exact = !acc.all() && acc.empty()
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
		// A record matches through an attribute or a pair in its line:
		// the answer is the union of both lists when both are held.
		a, heldA, err := c.pair(c.set.Attr, f.Key, f.Value, false)
		if err != nil {
			return c.fail(err), label
		}
		k, heldK, err := c.pair(c.set.KV, f.Key, f.Value, false)
		if err != nil {
			c.release(a)
			return c.fail(err), label
		}
		if heldA && heldK {
			r := c.or(a, k)
			r.exact = true
			return r, label + " via attr+kv"
		}
		c.release(k)
		if r, via, ok := c.valueRuns(f, a, heldA); c.err != nil {
			return every, label
		} else if ok {
			return r, label + via
		}
	}
	// Every other form needs the key present: key=*, key!=v, key<v, and
	// key=value whose values the budget left out.
	r, held, err := c.keys(f.Key)
	if err != nil {
		return c.fail(err), label
	}
	if !held {
		return every, label + ": key not held"
	}
	r.exact = f.Op == query.OpEq && f.AnyValue
	via := " via attr+kv keys"
	if f.Op == query.OpEq && !f.AnyValue {
		via = " via attr+kv keys (values not held)"
	}
	return r, label + via
}

// valueRuns answers key=value when the budget left the key's values out of
// an index (request_id=..., with a value per line): the attr side is a,
// its Lookup, when heldA, and its Key otherwise; the kv side is
// the records holding, in their line, every token run of the value as a
// whole run (the value is in the line between '=' or a quote and a
// delimiter, and escapes add only non-token bytes), from the token index
// and the block filters as for a phrase, and intersected with the key's
// records (the filters answer whole blocks, and a field has no literal for
// the block search: every candidate is read and matched). Run pairs are
// not used: an escaped value's separators differ from the line's. It
// reports false when the runs narrow nothing. It takes a over.
func (c *compiler) valueRuns(f query.Field, a result, heldA bool) (result, string, bool) {
	var runs [][]byte
	for _, run := range tokenizer.Runs(tokenizer.Lower(nil, []byte(f.Value))) {
		runs = append(runs, run)
	}
	if len(runs) == 0 {
		c.release(a)
		return every, "", false
	}
	if err := c.widenFor(runs); err != nil {
		c.release(a)
		c.fail(err)
		return every, "", false
	}
	v, via := c.wholeRuns(runs)
	if c.err != nil || v.all() {
		c.release(a)
		c.release(v)
		return every, "", false
	}
	v.exact = false
	label := " via attr, kv value runs (" + strings.TrimPrefix(via, " via ") + ")"
	k, held, err := c.pair(c.set.KV, f.Key, "", true)
	if err != nil {
		c.release(a)
		c.release(v)
		c.fail(err)
		return every, "", false
	}
	if held {
		v = c.and(k, v)
		label += " and key"
	}
	if !heldA {
		a, heldA, err = c.pair(c.set.Attr, f.Key, "", true)
	}
	if err != nil || !heldA {
		c.release(v)
		c.release(a)
		if err != nil {
			c.fail(err)
		}
		return every, "", false
	}
	return c.or(a, v), label + " (values not held)", true
}

// widenFor opens the indexes that answer runs (needs left them out: a
// field needs only attr and kv while its values are held).
func (c *compiler) widenFor(runs [][]byte) error {
	var k kinds
	for _, run := range runs {
		k |= runKinds(run)
	}
	if c.widen == nil {
		return nil
	}
	set := c.widen(k)
	if err := recordsMismatch(&set, c.n); err != nil {
		return err
	}
	*c.set = set
	return nil
}

// pair looks key=value (the key alone when keyOnly) up in one pair
// index.
func (c *compiler) pair(pr index.PairReader, key, value string, keyOnly bool) (result, bool, error) {
	var into func([]uint64) (bool, error)
	if br, ok := pr.(index.PairBitsReader); ok {
		into = func(w []uint64) (bool, error) {
			if keyOnly {
				return br.KeyInto(key, w)
			}
			return br.LookupInto(key, value, w)
		}
	}
	return c.lookup(into, func() (*roaring.Bitmap, bool, error) {
		if keyOnly {
			return pr.Key(key)
		}
		return pr.Lookup(key, value)
	})
}

// keys looks key up in the attr and the kv index; a record has it as an
// attribute or a pair in its line, so the answer is the union of both.
// held is false (and r every position) unless both indexes hold it.
func (c *compiler) keys(key string) (r result, held bool, err error) {
	a, held, err := c.pair(c.set.Attr, key, "", true)
	if err != nil || !held {
		return every, held, err
	}
	b, held, err := c.pair(c.set.KV, key, "", true)
	if err != nil || !held {
		c.release(a)
		return every, held, err
	}
	return c.or(a, b), true, nil
}

func tokenRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenizer.IsTokenByte(s[i]) {
			return false
		}
	}
	return s != ""
}
