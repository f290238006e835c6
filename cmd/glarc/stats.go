package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"glarc/archive"
	"glarc/chunk"
	"glarc/chunk/file"
	"glarc/query"
)

const defaultStatsTop = 20

func statsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Usage: "summarise the archive: records, time range, raw and stored bytes, ratio",
		Description: `stats prints the number of chunks and records, the time range, the raw bytes (the
original lines), the stored bytes split into record data (chunk files) and indexes
(every other file in a sealed chunk's directory), and the ratio stored/raw.

With --by KEY it also counts records per value of the attribute KEY (host, app,
severity, file, any Loki label), most frequent first; --top N shows the first N
values (default 20). Counting reads every record.

Examples:
  glarc stats
  glarc stats --by host
  glarc stats --by app --top 5`,
		Flags: []cli.Flag{
			dataFlag(),
			&cli.StringFlag{Name: "by", Usage: "count records per value of attribute `KEY` (host, app, ...)"},
			&cli.IntFlag{Name: "top", Value: defaultStatsTop, Usage: "with --by, show the `N` most frequent values (0: all)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return runStats(ctx, e, cmd)
		},
	}
}

// archiveStats is what `glarc stats` reports.
type archiveStats struct {
	sealed, active int
	records        uint64
	minTS, maxTS   time.Time
	raw            uint64
	data, indexes  uint64
}

func runStats(ctx context.Context, e *env, cmd *cli.Command) error {
	top := cmd.Int("top")
	if top < 0 {
		return usagef("--top must not be negative")
	}
	by := cmd.String("by")
	if cmd.IsSet("top") && by == "" {
		return usagef("--top needs --by KEY")
	}
	a, err := archive.OpenReadOnly(cmd.String("data"), archive.Options{Logger: e.log})
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := collectStats(a)
	if err != nil {
		return err
	}
	if err := writeStats(e.stdout, st); err != nil {
		return err
	}
	if by == "" {
		return nil
	}
	counts, err := countBy(ctx, a.Chunks(), by)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	return writeCounts(e.stdout, by, counts, int(top))
}

func collectStats(a *archive.Archive) (archiveStats, error) {
	var st archiveStats
	list, err := a.Chunks().List()
	if err != nil {
		return st, err
	}
	for _, m := range list {
		if m.Sealed {
			st.sealed++
			idx, err := indexBytes(a.Files().ChunkDir(m.ID))
			if err != nil {
				return st, err
			}
			st.indexes += idx
		} else {
			st.active++
		}
		st.data += m.StoredBytes
		st.records += m.Records
		st.raw += m.RawBytes
		if m.Records == 0 {
			continue
		}
		if st.minTS.IsZero() || m.MinTS.Before(st.minTS) {
			st.minTS = m.MinTS
		}
		if st.maxTS.IsZero() || m.MaxTS.After(st.maxTS) {
			st.maxTS = m.MaxTS
		}
	}
	return st, nil
}

// indexBytes sums the sizes of the files in a sealed chunk's directory
// other than chunk.dat: its indexes.
func indexBytes(dir string) (uint64, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // sealed chunk removed in between
	}
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, ent := range ents {
		if ent.Name() == file.SealedName || ent.IsDir() {
			continue
		}
		fi, err := ent.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return 0, err
		}
		n += uint64(fi.Size())
	}
	return n, nil
}

func writeStats(w io.Writer, st archiveStats) error {
	stored := st.data + st.indexes
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "chunks:\t%d (%d sealed, %d active)\n", st.sealed+st.active, st.sealed, st.active)
	fmt.Fprintf(tw, "records:\t%d\n", st.records)
	fmt.Fprintf(tw, "from:\t%s\n", fmtTime(st.minTS))
	fmt.Fprintf(tw, "to:\t%s\n", fmtTime(st.maxTS))
	fmt.Fprintf(tw, "raw bytes:\t%s\n", sizeString(st.raw))
	fmt.Fprintf(tw, "stored bytes:\t%s = data %s + indexes %s\n", sizeString(stored), sizeString(st.data), sizeString(st.indexes))
	fmt.Fprintf(tw, "ratio:\t%s stored/raw (data %s, indexes %s)\n", ratio(stored, st.raw), ratio(st.data, st.raw), ratio(st.indexes, st.raw))
	return tw.Flush()
}

// sizeString prints a byte count exactly, with a rounded binary size after
// it when that is shorter to read.
func sizeString(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%d (%.1f GiB)", n, float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d (%.1f MiB)", n, float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d (%.1f KiB)", n, float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d", n)
}

// valueCount is the number of records with one value of the --by key.
type valueCount struct {
	value   string
	missing bool // records without the key
	n       uint64
}

// countBy scans every record and counts them per value of key (matched
// case-insensitively, like queries).
func countBy(ctx context.Context, m chunk.Manager, key string) ([]valueCount, error) {
	q, err := query.Parse("")
	if err != nil {
		return nil, err
	}
	counts := make(map[string]uint64)
	var missing uint64
	for rec, err := range query.Run(ctx, m, q, query.Options{}) {
		if err != nil {
			return nil, err
		}
		v, ok := rec.Attrs.Get(key)
		if !ok {
			missing++
			continue
		}
		counts[v]++
	}
	out := make([]valueCount, 0, len(counts)+1)
	for v, n := range counts {
		out = append(out, valueCount{value: v, n: n})
	}
	if missing > 0 {
		out = append(out, valueCount{missing: true, n: missing})
	}
	slices.SortFunc(out, func(a, b valueCount) int {
		return cmp.Or(cmp.Compare(b.n, a.n), boolCmp(a.missing, b.missing), cmp.Compare(a.value, b.value))
	})
	return out, nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func writeCounts(w io.Writer, key string, counts []valueCount, top int) error {
	var total uint64
	for _, c := range counts {
		total += c.n
	}
	shown := counts
	if top > 0 && len(shown) > top {
		shown = shown[:top]
	}
	type row struct{ value, n, share string }
	rows := []row{{key, "records", "share"}}
	for _, c := range shown {
		v := c.value
		switch {
		case c.missing:
			v = "(no " + key + ")"
		case v == "":
			v = `""`
		}
		rows = append(rows, row{v, fmt.Sprint(c.n), share(c.n, total)})
	}
	if rest := counts[len(shown):]; len(rest) > 0 {
		var n uint64
		for _, c := range rest {
			n += c.n
		}
		rows = append(rows, row{fmt.Sprintf("(%d more)", len(rest)), fmt.Sprint(n), share(n, total)})
	}
	var wv, wn, ws int
	for _, r := range rows {
		wv, wn, ws = max(wv, len(r.value)), max(wn, len(r.n)), max(ws, len(r.share))
	}
	var buf []byte
	for _, r := range rows {
		buf = fmt.Appendf(buf, "%-*s  %*s  %*s\n", wv, r.value, wn, r.n, ws, r.share)
	}
	_, err := w.Write(buf)
	return err
}

func share(n, total uint64) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}
