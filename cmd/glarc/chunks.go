package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"glarc/archive"
	"glarc/index"
)

func chunksCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "chunks",
		Usage: "list the archive's chunks: ID, time range, records, raw and stored bytes, state, indexes",
		Description: `INDEX has one letter per index kind of a sealed chunk, in the order token,
attr, kv, block filters: the letter (t, a, v, b) when the index is complete
and intact, - when it was never built, ! when it is damaged or unfinished
(glarc index builds it again). IDXBYTES is the size of the chunk's indexes.`,
		Flags: []cli.Flag{dataFlag(),
			&cli.BoolFlag{Name: "indexes", Aliases: []string{"i"}, Value: true, Usage: "show the INDEX and IDXBYTES columns: index status and size per chunk (--indexes=false hides them)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			a, err := archive.OpenReadOnly(cmd.String("data"), archive.Options{Logger: e.log})
			if err != nil {
				return err
			}
			defer a.Close()
			list, err := a.Chunks().List()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
			showIndexes := cmd.Bool("indexes")
			fmt.Fprint(tw, "ID\tFROM\tTO\tRECORDS\tRAW\tSTORED\tRATIO\tSTATE\t")
			if showIndexes {
				fmt.Fprint(tw, "INDEX\tIDXBYTES\t")
			}
			fmt.Fprintln(tw)
			indexes := newIndexes()
			var recs, raw, stored, idxBytes uint64
			for _, m := range list {
				state, status, size := "active", "-", uint64(0)
				if m.Sealed {
					state = "sealed"
					if showIndexes {
						status, size = indexStatus(indexes.Stat(a.Files().ChunkDir(m.ID)))
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t", m.ID, fmtTime(m.MinTS), fmtTime(m.MaxTS),
					m.Records, m.RawBytes, m.StoredBytes, ratio(m.StoredBytes, m.RawBytes), state)
				if showIndexes {
					fmt.Fprintf(tw, "%s\t%d\t", status, size)
				}
				fmt.Fprintln(tw)
				recs += m.Records
				raw += m.RawBytes
				stored += m.StoredBytes
				idxBytes += size
			}
			fmt.Fprintf(tw, "%d chunks\t\t\t%d\t%d\t%d\t%s\t\t", len(list), recs, raw, stored, ratio(stored, raw))
			if showIndexes {
				fmt.Fprintf(tw, "\t%d\t", idxBytes)
			}
			fmt.Fprintln(tw)
			return tw.Flush()
		},
	}
}

// indexStatus renders index infos (token, attr, kv, blocks order) as the
// INDEX column, and sums their sizes.
func indexStatus(infos []index.Info) (string, uint64) {
	letters := map[string]byte{index.KindToken: 't', index.KindAttr: 'a', index.KindKV: 'v', index.KindBlocks: 'b'}
	var b []byte
	var size uint64
	for _, info := range infos {
		switch {
		case info.Complete:
			b = append(b, letters[info.Name])
		case info.Exists || info.Err != nil:
			b = append(b, '!')
		default:
			b = append(b, '-')
		}
		size += uint64(max(info.Bytes, 0))
	}
	return string(b), size
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.RFC3339)
}

func ratio(stored, raw uint64) string {
	if raw == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(stored)/float64(raw))
}
