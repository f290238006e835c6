package planner_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/file"
	"glarc/index"
	"glarc/index/collect"
	ifile "glarc/index/file"
	"glarc/query"
	"glarc/query/planner"
)

var (
	vocab = []string{"error", "Error", "ERROR", "failed", "failure", "Failed", "password", "auth",
		"authentication", "sshd", "root", "user", "web1", "connection", "reset", "by", "peer",
		"invalid", "from", "port", "22", "1000", "kernel", "OOM", "killed", "process", "session",
		"opened", "closed", "for", "a-b", "x_y", "warn", "info", "x", "needleword"}
	specials = []string{"173.234.31.186", "10.0.0.7", "pam_unix(sshd:auth)", "user=root", "pid=1234", "pid=999",
		`msg="two words"`, "severity=warning", "level=ERROR", "host=web2", "uid=0", "logname=",
		"[12345]", "(x)", "a.b.c", "status:500", `k="esc \" q"`, "Host=WEB1", "port=22,", "path=/var/log",
		"4711", "0xdeadbeef", "averyveryverylongtokenrun", "authenticationfailures",
		"123e4567-e89b-12d3-a456-426614174000", "naïve", "FAILURE"}
	attrKeys   = []string{"host", "app", "pid", "severity", "level", "Host"}
	attrValues = map[string][]string{
		"host": {"web1", "WEB1", "db1", "web2"}, "Host": {"web1", "db2"},
		"app": {"sshd", "cron", "kernel"}, "pid": {"1", "999", "1000", "1001", "42x"},
		"severity": {"emerg", "err", "warning", "notice", "info", "debug"},
		"level":    {"error", "warn", "info", "3"},
	}
	// words are query words: tokens of the lines, and some that are not.
	words = append(append([]string{"nosuch", "173", "31", "186", "12345", "auth", "sshd", "averyveryverylongtokenrun",
		"123e4567-e89b-12d3-a456-426614174000", "deadbeef", "0xdeadbeef"}, vocab...), "authenticationfailures")
)

func genLine(r *rand.Rand) string {
	n := 1 + r.IntN(10)
	var b strings.Builder
	seps := []string{" ", " ", " ", ": ", ", ", "\t"}
	for i := range n {
		if i > 0 {
			b.WriteString(seps[r.IntN(len(seps))])
		}
		if r.IntN(4) == 0 {
			b.WriteString(specials[r.IntN(len(specials))])
		} else {
			b.WriteString(vocab[r.IntN(len(vocab))])
		}
	}
	return b.String()
}

func genRecord(r *rand.Rand, i int, base time.Time) chunk.Record {
	t := base.Add(time.Duration(i)*time.Second + time.Duration(r.IntN(120)-60)*time.Second)
	rec := chunk.Record{SourceTS: t, IngestTS: base.Add(time.Duration(i) * time.Second), Raw: []byte(genLine(r))}
	if r.IntN(15) == 0 {
		rec.SourceTS = time.Time{}
	}
	if r.IntN(5) > 0 {
		rec.Attrs = chunk.Attributes{}
		for range 1 + r.IntN(3) {
			k := attrKeys[r.IntN(len(attrKeys))]
			vs := attrValues[k]
			rec.Attrs[k] = vs[r.IntN(len(vs))]
		}
	}
	return rec
}

// genNode builds a random syntax tree mixing every construct.
func genNode(r *rand.Rand, depth int) query.Node {
	if depth > 0 && r.IntN(3) > 0 {
		switch r.IntN(5) {
		case 0, 1:
			return query.And{Terms: []query.Node{genNode(r, depth-1), genNode(r, depth-1)}}
		case 2, 3:
			return query.Or{Terms: []query.Node{genNode(r, depth-1), genNode(r, depth-1)}}
		default:
			return query.Not{X: genNode(r, depth-1)}
		}
	}
	word := func() string { return strings.ToLower(words[r.IntN(len(words))]) }
	switch r.IntN(10) {
	case 0, 1:
		return query.Token{Word: word()}
	case 2:
		return query.Phrase{Text: word() + " " + word()}
	case 3:
		return query.Phrase{Text: strings.ToLower(specials[r.IntN(len(specials))])}
	case 4:
		w := word()
		if r.IntN(3) == 0 {
			w = strings.ToLower(specials[r.IntN(len(specials))])
		}
		return query.Prefix{Text: w[:1+r.IntN(len(w))]}
	case 5:
		exprs := []string{"fail(ed|ure)", "^error", `\d{4}`, "web[12]$", "ERR", `user=\w+`}
		return query.Regexp{Expr: exprs[r.IntN(len(exprs))], Fold: r.IntN(2) == 0}
	case 6:
		return query.All{}
	default:
		keys := []string{"host", "app", "pid", "severity", "level", "user", "msg", "uid", "logname", "*", "k", "port", "nokey"}
		values := []string{"web1", "web2", "sshd", "root", "1000", "999", "warning", "err", "error", "two words",
			"3", "0", "", "*", "esc \" q", "22", "/var/log"}
		k := keys[r.IntN(len(keys))]
		v := values[r.IntN(len(values))]
		op := query.Op(r.IntN(6))
		if op != query.OpEq && v == "*" {
			v = "1000"
		}
		if op == query.OpEq && r.IntN(2) == 0 {
			op = query.OpEq
		}
		return query.Field{Key: k, Op: op, Value: v, AnyKey: k == "*", AnyValue: v == "*"}
	}
}

// archive is a generated on-disk archive with indexes.
type archive struct {
	fm      *file.Manager
	indexes *index.Manager
	base    time.Time
	span    time.Duration
}

func newArchive(t *testing.T, seed uint64, n int, budget collect.Budget) *archive {
	t.Helper()
	fm, err := file.Open(t.TempDir(), file.Options{MaxChunkBytes: 16 << 10, BlockBytes: 1 << 10, Owner: "planner test"})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, fm.Close()) })
	r := rand.New(rand.NewPCG(seed, seed+1))
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		_, err := fm.Append(genRecord(r, i, base))
		require.NoError(t, err)
	}
	require.NoError(t, fm.WaitSealed())
	metas, err := fm.List()
	require.NoError(t, err)
	sealed := 0
	for _, m := range metas {
		if m.Sealed {
			sealed++
		}
	}
	require.Greater(t, sealed, 3)
	m := ifile.NewManager(budget)
	h := index.NewBuildHelper(fm, m, index.BuildOptions{Dir: fm.ChunkDir})
	require.NoError(t, h.BuildMissing(t.Context(), metas...))
	return &archive{fm: fm, indexes: m, base: base, span: time.Duration(n) * time.Second}
}

// hit is what the differential test compares: a record's identity.
type hit struct {
	t     time.Time
	raw   string
	attrs string
}

func run(t *testing.T, m chunk.Manager, q *query.Query, opt query.Options) []hit {
	t.Helper()
	var out []hit
	for rec, err := range query.Run(t.Context(), m, q, opt) {
		require.NoError(t, err)
		out = append(out, hit{t: rec.Time(), raw: string(rec.Raw), attrs: fmt.Sprint(map[string]string(rec.Attrs))})
	}
	return out
}

func TestDifferential(t *testing.T) {
	for _, tc := range []struct {
		name      string
		budget    collect.Budget
		generated int
	}{
		{"default budget", collect.Budget{}, 240},
		// A tight budget leaves keys and values out: the planner must scan
		// for what the indexes do not hold.
		{"tight budget", collect.Budget{MaxKeys: 4, MaxValuesPerKey: 3, MaxPairs: 8}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newArchive(t, 7, 4000, tc.budget)
			r := rand.New(rand.NewPCG(21, 22))
			queries := []string{"error", "needleword", "173.234.31.186", "host=web1 error", "host=web1", "host=*",
				"pid>1000", "auth*", `"failed pa"*`, "4711", "averyveryverylongtokenrun", "-error", "NOT (error OR failed)",
				"error OR 4711", "user=root", `msg="two words"`, "*=web1", "/fail(ed|ure)/i", "*", "0xdeadbeef", "deadbeef",
				"123e4567-e89b-12d3-a456-426614174000", "123e*", "authenticationf*", "x", "(x)", "k=\"esc \\\" q\""}
			generated := tc.generated
			if testing.Short() {
				generated /= 5
			}
			for range generated {
				queries = append(queries, genNode(r, 3).String())
			}
			narrowed, exactCounts, nonEmpty := 0, 0, 0
			for _, qs := range queries {
				q, err := query.Parse(qs)
				require.NoError(t, err, qs)
				p := planner.New(a.indexes, a.fm.ChunkDir, planner.Options{})
				for i := range 3 {
					opt := query.Options{Reverse: r.IntN(2) == 0}
					switch r.IntN(3) {
					case 1:
						opt.Limit = 1 + r.IntN(5)
					case 2:
						opt.Limit = 1 + r.IntN(100)
					}
					if i > 0 && r.IntN(2) == 0 {
						opt.Since = a.base.Add(time.Duration(r.Int64N(int64(a.span))))
					}
					if i > 0 && r.IntN(2) == 0 {
						opt.Until = a.base.Add(time.Duration(r.Int64N(int64(a.span))))
						if !opt.Since.IsZero() && opt.Until.Before(opt.Since) {
							opt.Since, opt.Until = opt.Until, opt.Since
						}
					}
					msg := fmt.Sprintf("query %q (canonical %q) reverse=%v limit=%d since=%v until=%v",
						qs, q.String(), opt.Reverse, opt.Limit, opt.Since, opt.Until)
					want := run(t, a.fm, q, opt)
					var ex query.Explain
					iopt := opt
					iopt.Candidates, iopt.Explain = p, &ex
					got := run(t, a.fm, q, iopt)
					require.Equal(t, want, got, msg)
					if len(want) > 0 {
						nonEmpty++
					}
					for _, c := range ex.Chunks {
						if c.Source == planner.SourceIndex {
							narrowed++
						}
					}

					wantN, err := query.Count(t.Context(), a.fm, q, opt)
					require.NoError(t, err, msg)
					var cex query.Explain
					iopt.Explain = &cex
					gotN, err := p.Count(t.Context(), a.fm, q, iopt)
					require.NoError(t, err, msg)
					require.Equal(t, wantN, gotN, "count: "+msg)
					require.Equal(t, gotN, cex.Returned, msg)
					// Without an explanation a one-token count takes the
					// counting path of the token index.
					iopt.Explain = nil
					gotN, err = p.Count(t.Context(), a.fm, q, iopt)
					require.NoError(t, err, msg)
					require.Equal(t, wantN, gotN, "count without explain: "+msg)
					for _, c := range cex.Chunks {
						if c.Status == query.StatusCounted && c.Source == planner.SourceIndex {
							exactCounts++
						}
					}
				}
				require.NoError(t, p.Close())
			}
			t.Logf("%d queries, %d runs with results, %d chunks narrowed, %d chunks counted exactly from indexes",
				len(queries), nonEmpty, narrowed, exactCounts)
			require.Positive(t, narrowed)
			require.Positive(t, exactCounts)
		})
	}
}

// TestNarrowsValuesNotHeld checks key=value where the budget left the
// key's values out: the kv side is narrowed to the records whose line
// holds the value's runs (here through the block filters), so there are
// fewer candidates than the key alone gives, and the answer is not exact.
func TestNarrowsValuesNotHeld(t *testing.T) {
	a := newArchive(t, 5, 3000, collect.Budget{MaxValuesPerKey: 1})
	metas, err := a.fm.List()
	require.NoError(t, err)
	p := planner.New(a.indexes, a.fm.ChunkDir, planner.Options{})
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	narrowed := 0
	for _, m := range metas {
		if !m.Sealed {
			continue
		}
		q, err := query.Parse("pid=999")
		require.NoError(t, err)
		c, err := p.Candidates(t.Context(), m, q)
		require.NoError(t, err)
		require.Contains(t, c.Reason, "via attr, kv value runs")
		require.Contains(t, c.Reason, "blocks")
		require.False(t, p.Exact(m.ID))
		key, err := query.Parse("pid>0")
		require.NoError(t, err)
		ck, err := p.Candidates(t.Context(), m, key)
		require.NoError(t, err)
		require.Contains(t, ck.Reason, "via attr+kv keys")
		if c.Positions.GetCardinality() < ck.Positions.GetCardinality() {
			narrowed++
		}
	}
	require.Positive(t, narrowed)
}

// TestNarrows checks that the indexes narrow what they should, with the
// reason saying how.
func TestNarrows(t *testing.T) {
	a := newArchive(t, 3, 3000, collect.Budget{})
	metas, err := a.fm.List()
	require.NoError(t, err)
	var sealed, active chunk.ChunkMeta
	for _, m := range metas {
		if m.Sealed && sealed.Records == 0 {
			sealed = m
		}
		if !m.Sealed {
			active = m
		}
	}
	p := planner.New(a.indexes, a.fm.ChunkDir, planner.Options{})
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	for _, tc := range []struct {
		q      string
		source string
		exact  bool
		reason string // a substring
	}{
		{"needleword", planner.SourceIndex, true, `token "needleword": `},
		{"error host=web1", planner.SourceIndex, true, "field host=web1 via attr+kv"},
		{"host=*", planner.SourceIndex, true, "via attr+kv keys"},
		{"pid>1000", planner.SourceIndex, false, "via attr+kv keys"},
		{"173.234.31.186", planner.SourceIndex, false, `phrase "173.234.31.186" via blocks`},
		{"4711", planner.SourceIndex, false, `token "4711" via blocks`},
		// Index tokens go to the token index, the rest to the block
		// filters (which hold no index tokens).
		{`"from 173.234.31.186 port"`, planner.SourceIndex, false, "via token+blocks"},
		{`"failed password"`, planner.SourceIndex, false, "via token"},
		{"auth*", planner.SourceIndex, false, "via token"},
		{"-error", planner.SourceIndex, true, "NOT"},
		{"/fail/", planner.SourceScan, false, "no index narrows the query"},
		{"*=web1", planner.SourceScan, false, "no index for any key"},
		{"error OR /x/", planner.SourceScan, false, "OR"},
	} {
		q, err := query.Parse(tc.q)
		require.NoError(t, err)
		c, err := p.Candidates(t.Context(), sealed, q)
		require.NoError(t, err)
		require.Equal(t, tc.source, c.Source, tc.q)
		require.Contains(t, c.Reason, tc.reason, tc.q)
		require.Equal(t, tc.exact, p.Exact(sealed.ID), tc.q)
		if tc.source == planner.SourceIndex {
			require.Less(t, c.Positions.GetCardinality(), sealed.Records, tc.q)
		}
	}
	if active.Records > 0 {
		q, _ := query.Parse("error")
		c, err := p.Candidates(t.Context(), active, q)
		require.NoError(t, err)
		require.True(t, c.All())
		require.Equal(t, "active chunk, not indexed", c.Reason)
	}
}

// TestDamagedIndex flips a byte in index files: the query stays exact, and
// one warning per chunk names the damage.
func TestDamagedIndex(t *testing.T) {
	for _, name := range []string{"token.idx", "attr.idx", "kv.idx", "blocks.flt"} {
		t.Run(name, func(t *testing.T) {
			a := newArchive(t, 5, 3000, collect.Budget{})
			metas, err := a.fm.List()
			require.NoError(t, err)
			var victim chunk.ChunkMeta
			for _, m := range metas {
				if m.Sealed {
					victim = m
				}
			}
			path := filepath.Join(a.fm.ChunkDir(victim.ID), name)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			// Flip bytes across the file so that some checked section is hit.
			for i := 8; i < len(b); i += max(len(b)/16, 1) {
				b[i] ^= 0x5a
			}
			require.NoError(t, os.WriteFile(path, b, 0o644))

			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			for _, qs := range []string{"error", "host=web1 error", "173.234.31.186", "auth* OR pid>1000", "needleword -root"} {
				q, err := query.Parse(qs)
				require.NoError(t, err)
				p := planner.New(a.indexes, a.fm.ChunkDir, planner.Options{Logger: log})
				want := run(t, a.fm, q, query.Options{})
				var ex query.Explain
				got := run(t, a.fm, q, query.Options{Candidates: p, Explain: &ex})
				require.Equal(t, want, got, qs)
				wantN, err := query.Count(t.Context(), a.fm, q, query.Options{})
				require.NoError(t, err)
				gotN, err := p.Count(t.Context(), a.fm, q, query.Options{})
				require.NoError(t, err)
				require.Equal(t, wantN, gotN, qs)
				require.NoError(t, p.Close())
			}
			require.Contains(t, logs.String(), "index damaged")
			require.Contains(t, logs.String(), victim.ID.String())
		})
	}
}
