package main

import (
	"bufio"
	"context"
	"fmt"
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
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return runQuery(ctx, e, cmd)
		},
	}
}

func runQuery(ctx context.Context, e *env, cmd *cli.Command) error {
	q, err := query.Parse(strings.Join(cmd.Args().Slice(), " "))
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
		p := planner.New(newIndexes(), a.Files().ChunkDir, planner.Options{Logger: e.log})
		defer p.Close()
		opt.Candidates = p
	}
	if cmd.Bool("count") {
		var n uint64
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
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	var buf []byte
	for rec, err := range query.Run(ctx, a.Chunks(), q, opt) {
		if err != nil {
			w.Flush()
			return err
		}
		buf = out(buf[:0], &rec)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return writeExplain(e, opt.Explain)
}

func writeExplain(e *env, x *query.Explain) error {
	if x == nil {
		return nil
	}
	_, err := x.WriteTo(e.stderr)
	return err
}
