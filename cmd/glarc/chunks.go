package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"glarc/archive"
)

func chunksCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "chunks",
		Usage: "list the archive's chunks: ID, time range, records, raw and stored bytes, state",
		Flags: []cli.Flag{dataFlag()},
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
			fmt.Fprintln(tw, "ID\tFROM\tTO\tRECORDS\tRAW\tSTORED\tRATIO\tSTATE\t")
			var recs, raw, stored uint64
			for _, m := range list {
				state := "active"
				if m.Sealed {
					state = "sealed"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t\n", m.ID, fmtTime(m.MinTS), fmtTime(m.MaxTS),
					m.Records, m.RawBytes, m.StoredBytes, ratio(m.StoredBytes, m.RawBytes), state)
				recs += m.Records
				raw += m.RawBytes
				stored += m.StoredBytes
			}
			fmt.Fprintf(tw, "%d chunks\t\t\t%d\t%d\t%d\t%s\t\t\n", len(list), recs, raw, stored, ratio(stored, raw))
			return tw.Flush()
		},
	}
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
