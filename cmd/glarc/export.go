package main

import (
	"bufio"
	"context"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"glarc/archive"
	"glarc/archive/loki"
	"glarc/chunk"
	"glarc/query"
)

// Push-json export batching: a document ends after this many records or
// this much line text, whichever comes first, so memory stays bounded and
// each document stays well under Loki's default push size limits.
const (
	defaultPushBatch = 1000
	pushBatchBytes   = 1 << 20
)

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write records out in time order, for re-import or for Loki",
		ArgsUsage: "[QUERY]",
		Description: `export streams the records that match QUERY (all of them when it is empty) in time
order, oldest first, to stdout. QUERY is the language of 'glarc query'.

Output formats (--output):
  jsonl      what 'logcli query --output=jsonl' prints, one record per line:
             {"labels":{...},"line":"...","timestamp":"RFC 3339"}; the labels are the
             record's attributes. 'glarc import' reads it back.
  raw        the original lines, byte for byte, one per line.
  push-json  Loki push bodies {"streams":[...]}, one JSON document per line, each
             holding at most --batch records (and about 1 MiB of line text), so each
             line can be POSTed to /loki/api/v1/push as it is:
               glarc export -o push-json | while IFS= read -r body; do
                 curl -sS -H 'Content-Type: application/json' --data-raw "$body" \
                   http://loki:3100/loki/api/v1/push; done
             With --batch 0 the whole export is one document.

Times in jsonl and push-json are the record time (the source timestamp, or the
import time where the line had none), with nanoseconds.

Examples:
  glarc export > all.jsonl
  glarc export --since 2026-03-01 --until 2026-03-02 -o raw 'host=web1'
  glarc export -o push-json app=sshd > pushes.ndjson`,
		Flags: []cli.Flag{
			dataFlag(),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "jsonl", Usage: "jsonl, raw or push-json"},
			&cli.StringFlag{Name: "since", Aliases: []string{"S"}, Usage: "records at or after `TIME` (RFC 3339, 2006-01-02, today, yesterday, or 90m, 2h, 3d ago)"},
			&cli.StringFlag{Name: "until", Aliases: []string{"U"}, Usage: "records at or before `TIME`"},
			&cli.IntFlag{Name: "batch", Value: defaultPushBatch, Usage: "push-json: at most `N` records per document (0: one document)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return runExport(ctx, e, cmd)
		},
	}
}

func runExport(ctx context.Context, e *env, cmd *cli.Command) error {
	q, err := query.Parse(strings.Join(cmd.Args().Slice(), " "))
	if err != nil {
		return err
	}
	// Both record writers copy what they keep of a record (lineWriter
	// formats it at once, pushWriter appends its line to its arena), so
	// Run may decode the next blocks into the memory of records written.
	opt := query.Options{ReuseRecords: true}
	if opt.Since, opt.Until, err = timeRange(cmd, time.Now()); err != nil {
		return err
	}
	var out recordWriter
	switch name := cmd.String("output"); name {
	case "jsonl":
		out = &lineWriter{print: printJSONL}
	case "raw":
		out = &lineWriter{print: printRaw}
	case "push-json":
		n := cmd.Int("batch")
		if n < 0 {
			return usagef("--batch must not be negative")
		}
		out = &pushWriter{batch: int(n)}
	default:
		return usagef("--output %q: want jsonl, raw or push-json", name)
	}
	a, err := archive.OpenReadOnly(cmd.String("data"), archive.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer a.Close()
	w := bufio.NewWriterSize(e.stdout, 64<<10)
	for rec, err := range query.Run(ctx, a.Chunks(), q, opt) {
		if err != nil {
			w.Flush()
			return err
		}
		if err := out.write(w, &rec); err != nil {
			return err
		}
	}
	if err := out.flush(w); err != nil {
		return err
	}
	return w.Flush()
}

// timeRange reads --since and --until.
func timeRange(cmd *cli.Command, now time.Time) (since, until time.Time, err error) {
	if s := cmd.String("since"); s != "" {
		if since, err = query.ParseTime(s, now, time.Local); err != nil {
			return since, until, usagef("--since: %v", err)
		}
	}
	if s := cmd.String("until"); s != "" {
		if until, err = query.ParseTime(s, now, time.Local); err != nil {
			return since, until, usagef("--until: %v", err)
		}
	}
	if !since.IsZero() && !until.IsZero() && since.After(until) {
		return since, until, usagef("--since %s is after --until %s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	return since, until, nil
}

// recordWriter formats records onto w.
type recordWriter interface {
	write(w io.Writer, rec *chunk.Record) error
	flush(w io.Writer) error
}

// lineWriter writes one line per record.
type lineWriter struct {
	print printer
	buf   []byte
}

func (l *lineWriter) write(w io.Writer, rec *chunk.Record) error {
	l.buf = l.print(l.buf[:0], rec)
	_, err := w.Write(l.buf)
	return err
}

func (l *lineWriter) flush(io.Writer) error { return nil }

// pushWriter collects records into Loki push documents. Lines are copied
// into one arena per batch; consecutive records with equal attributes share
// one label map (and so one stream in the document).
type pushWriter struct {
	batch   int // records per document, 0: a single document
	entries []loki.Entry
	text    []byte // arena holding the lines of entries
	ends    []int  // end of each entry's line in text
	buf     []byte
	opened  bool // single document: the prefix was written
	streams bool // single document: a stream was written
}

const (
	pushPrefix = `{"streams":[`
	pushSuffix = `]}`
)

func (p *pushWriter) write(w io.Writer, rec *chunk.Record) error {
	labels := rec.Attrs
	if n := len(p.entries); n > 0 && maps.Equal(p.entries[n-1].Labels, labels) {
		labels = p.entries[n-1].Labels
	} else {
		labels = labels.Clone()
		if labels == nil {
			labels = chunk.Attributes{}
		}
	}
	p.text = append(p.text, rec.Raw...)
	p.ends = append(p.ends, len(p.text))
	p.entries = append(p.entries, loki.Entry{Timestamp: rec.Time().UTC(), Labels: labels})
	if (p.batch > 0 && len(p.entries) >= p.batch) || len(p.text) >= pushBatchBytes {
		return p.emit(w)
	}
	return nil
}

// emit writes the collected entries: a whole document on its own line, or,
// in single-document mode, the next streams of the one document.
func (p *pushWriter) emit(w io.Writer) error {
	if len(p.entries) == 0 {
		return nil
	}
	start := 0
	for i := range p.entries {
		p.entries[i].Line = p.text[start:p.ends[i]]
		start = p.ends[i]
	}
	p.buf = loki.AppendPushJSON(p.buf[:0], p.entries)
	if p.batch > 0 {
		p.buf = append(p.buf, '\n')
	} else {
		// Keep only the streams: the document is opened once and closed
		// by flush.
		streams := p.buf[len(pushPrefix) : len(p.buf)-len(pushSuffix)]
		var head []byte
		if !p.opened {
			head = []byte(pushPrefix)
			p.opened = true
		} else if p.streams {
			head = []byte{','}
		}
		p.streams = true
		if _, err := w.Write(head); err != nil {
			return err
		}
		p.buf = streams
	}
	_, err := w.Write(p.buf)
	clear(p.entries) // drop label references
	p.entries, p.text, p.ends = p.entries[:0], p.text[:0], p.ends[:0]
	return err
}

func (p *pushWriter) flush(w io.Writer) error {
	if err := p.emit(w); err != nil {
		return err
	}
	if p.batch > 0 {
		return nil
	}
	if !p.opened {
		_, err := io.WriteString(w, pushPrefix+pushSuffix+"\n")
		return err
	}
	_, err := io.WriteString(w, pushSuffix+"\n")
	return err
}
