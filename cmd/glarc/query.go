package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"glarc/archive"
	"glarc/query"
	"glarc/query/planner"
)

func queryCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "query",
		Usage:     "print the records that match a query, in time order",
		ArgsUsage: "QUERY",
		Description: `QUERY is one string of terms, all of which must match (words may also be
given as separate arguments):
  word              case-insensitive whole token anywhere in the line
  "two words"       case-insensitive phrase, bounded by token edges
  173.234.31.186    a term with other characters is a phrase
  key=value         attribute (host, app, pid, file, ...) or key=value in the line
  key=*  *=value    any value / any key
  a OR b, NOT a, -a, ( ... )
  auth*             token prefix;  /fail(ed|ure)/  regular expression (RE2)
  severity<=warning, pid>1000

Examples:
  glarc query 'sshd failed host=combo'
  glarc query --reverse --limit 20 error
  glarc query --since 2h --output jsonl 'app=sshd' | jq .
  glarc query --count 'authentication failure'`,
		Flags: []cli.Flag{
			dataFlag(),
			&cli.BoolFlag{Name: "reverse", Aliases: []string{"r"}, Usage: "newest first"},
			&cli.IntFlag{Name: "limit", Aliases: []string{"n"}, Usage: "print at most `N` records"},
			&cli.StringFlag{Name: "since", Aliases: []string{"S"}, Usage: "records at or after `TIME` (RFC 3339, 2006-01-02, today, yesterday, or 90m, 2h, 3d ago)"},
			&cli.StringFlag{Name: "until", Aliases: []string{"U"}, Usage: "records at or before `TIME`"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text, raw (the original lines) or jsonl (as logcli --output=jsonl)"},
			&cli.BoolFlag{Name: "count", Usage: "print only the number of matching records"},
			&cli.BoolFlag{Name: "explain", Usage: "print on stderr, per chunk, what the query read and why"},
			&cli.BoolFlag{Name: "no-index", Usage: "scan every chunk instead of narrowing with the indexes"},
			&cli.StringFlag{Name: "priority", Aliases: []string{"p"}, Usage: "only records of severity `LEVEL` or more urgent (emerg, alert, crit, err, warning, notice, info, debug, or 0-7)"},
			&cli.StringFlag{Name: "resume", Usage: "continue after the last record of an earlier run cut short by --limit (its `TOKEN` is printed on stderr)"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "after the last matching records (10, or --limit), keep printing new ones as they are added, until Ctrl-C"},
			&cli.BoolFlag{Name: "no-pager", Usage: "do not pipe output through $PAGER (default: less -FRX) on a terminal"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return runQuery(ctx, e, cmd)
		},
	}
}

func runQuery(ctx context.Context, e *env, cmd *cli.Command) error {
	// A query holds little (a decoded block per chunk being read, the
	// index answers), and most end within 100 ms: a collection at the
	// runtime's 4 MB floor costs more than it frees (IP count on 1 GB:
	// -23% wall, -280 page faults). Collect at 5× the live heap.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	text := strings.Join(cmd.Args().Slice(), " ")
	if p := cmd.String("priority"); p != "" {
		if strings.ContainsAny(p, " \t()\"") {
			return usagef("--priority %q: want one level such as err", p)
		}
		text = "(" + cmp.Or(text, "*") + ") severity<=" + p
	}
	q, err := query.Parse(text)
	if err != nil {
		return err
	}
	now := time.Now()
	var opt query.Options
	if s := cmd.String("since"); s != "" {
		if opt.Since, err = query.ParseTime(s, now, time.Local); err != nil {
			return usagef("--since: %v", err)
		}
	}
	if s := cmd.String("until"); s != "" {
		if opt.Until, err = query.ParseTime(s, now, time.Local); err != nil {
			return usagef("--until: %v", err)
		}
	}
	if !opt.Since.IsZero() && !opt.Until.IsZero() && opt.Since.After(opt.Until) {
		return usagef("--since %s is after --until %s", opt.Since.Format(time.RFC3339), opt.Until.Format(time.RFC3339))
	}
	if n := cmd.Int("limit"); n < 0 {
		return usagef("--limit must not be negative")
	} else {
		opt.Limit = int(n)
	}
	opt.Reverse = cmd.Bool("reverse")
	out, err := newPrinter(cmd.String("output"), useColor(e))
	if err != nil {
		return err
	}
	if cmd.Bool("explain") {
		opt.Explain = &query.Explain{}
	}
	a, err := archive.OpenReadOnly(cmd.String("data"), archive.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer a.Close()
	if !cmd.Bool("no-index") {
		p := planner.New(newIndexes(), a.Files().ChunkDir, planner.Options{Logger: e.log, Explain: opt.Explain != nil})
		defer p.Close()
		opt.Candidates = p
	}
	if cmd.Bool("count") {
		return runCount(ctx, e, a, q, opt)
	}
	return printQuery(ctx, e, cmd, a, q, opt, out)
}

// runCount prints the number of records that match q.
func runCount(ctx context.Context, e *env, a *archive.Archive, q *query.Query, opt query.Options) error {
	var n uint64
	var err error
	if p, ok := opt.Candidates.(*planner.Planner); ok {
		n, err = p.Count(ctx, a.Chunks(), q, opt)
	} else {
		n, err = query.Count(ctx, a.Chunks(), q, opt)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, n)
	return writeExplain(e, opt.Explain)
}

// printQuery prints the records that match q with out: the ones after
// --resume, up to --limit, through the pager or with --follow.
func printQuery(ctx context.Context, e *env, cmd *cli.Command, a *archive.Archive, q *query.Query, opt query.Options, out printer) error {
	var tr tracker
	tr.reverse = opt.Reverse
	if tok := cmd.String("resume"); tok != "" {
		rp, err := parseResume(tok)
		if err != nil {
			return &usageError{err}
		}
		if rp.reverse != opt.Reverse {
			return usagef("--resume: the token is for a query %s --reverse", map[bool]string{true: "with", false: "without"}[rp.reverse])
		}
		tr.skip = &rp
		if opt.Reverse {
			opt.Until = minTime(opt.Until, rp.time)
		} else {
			opt.Since = maxTime(opt.Since, rp.time)
		}
	}
	// SIGINT and SIGTERM end --follow (exit 0) and a query writing to a
	// terminal (the pager must be waited for, or the shell and the pager
	// would share the terminal; colours must not stop mid-sequence). They
	// end any other query the default way.
	follow := cmd.Bool("follow")
	if follow || isTerminal(e.stdout) {
		var stop context.CancelFunc
		ctx, stop = e.interruptible(ctx)
		defer stop()
	}
	if follow {
		if opt.Reverse {
			return usagef("--follow cannot be used with --reverse")
		}
		return runFollow(ctx, e, a, q, opt, out, tr.skip)
	}
	var dst io.Writer = e.stdout
	if !cmd.Bool("no-pager") {
		if pg := startPager(e); pg != nil {
			dst = pg.in
			defer pg.close()
		}
	}
	w := bufio.NewWriterSize(dst, 64<<10)
	// Each record is formatted into buf and dropped within the loop body
	// (tr keeps only its time and line hash), so Run may decode the next
	// blocks into the memory of the records already printed.
	opt.ReuseRecords = true
	limit := opt.Limit
	if limit > 0 {
		// One more than asked: if it comes, the output was cut short.
		opt.Limit = 0
	}
	var buf []byte
	n, more := 0, false
	for rec, err := range query.Run(ctx, a.Chunks(), q, opt) {
		if err != nil {
			w.Flush()
			return err
		}
		before, _ := tr.point()
		if !tr.keep(&rec) {
			continue
		}
		if limit > 0 && n == limit {
			more = true
			tr.resumeAt(before)
			break
		}
		n++
		buf = out(buf[:0], &rec)
		if _, err := w.Write(buf); err != nil {
			if isBrokenPipe(err) {
				return nil
			}
			return err
		}
	}
	if err := w.Flush(); err != nil && !isBrokenPipe(err) {
		return err
	}
	if more {
		// The record after the limit was read but not printed: the token
		// names the last one printed.
		if rp, ok := tr.point(); ok {
			fmt.Fprintf(e.stderr, "glarc: more records match; continue with --resume %s\n", rp.token())
		}
	}
	return writeExplain(e, opt.Explain)
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func writeExplain(e *env, x *query.Explain) error {
	if x == nil {
		return nil
	}
	_, err := x.WriteTo(e.stderr)
	return err
}
