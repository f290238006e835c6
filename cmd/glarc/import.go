package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"glarc/archive"
	"glarc/archive/input"
	"glarc/chunk"
)

func importCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "archive log files (syslog, rsyslog, RFC 5424, Loki dumps; plain, .gz, .zst, .bz2, or - for stdin)",
		ArgsUsage: "FILE...",
		Description: `Reads each FILE (or stdin for -), detects its format from the first lines,
parses every line into a record and appends it to the archive; lines that do not
parse are kept raw. Compression is detected by magic bytes. Year-less syslog
stamps take their year from the file's modification time. Rotated sets
(syslog.2.gz, syslog.1, syslog) are read oldest first. A manifest in the data
directory remembers what was imported, by content: running the same import
again adds only what is new, also after rotation and compression.

Examples:
  glarc import /var/log/syslog /var/log/syslog.1 /var/log/syslog.2.gz
  journalctl -o short | glarc import --format syslog -
  glarc import --data /srv/logs dump.jsonl`,
		Flags: []cli.Flag{
			dataFlag(),
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "auto",
				Usage: "input format: auto, syslog, rfc5424, rfc3339, loki-jsonl, loki-default, loki-raw, loki-push-json, loki-push-proto, raw"},
			&cli.IntFlag{Name: "year", Usage: "year of year-less timestamps (default: from each file's modification time)"},
			&cli.StringFlag{Name: "tz", Usage: "time zone of timestamps without one, e.g. UTC or Europe/Berlin (default: the local zone)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
			&cli.IntFlag{Name: "workers", Usage: "parse workers (default: number of CPUs)"},
			&cli.BoolFlag{Name: "no-seal", Usage: "leave the last chunk active instead of sealing it"},
			&cli.BoolFlag{Name: "no-index", Usage: "do not index the chunks sealed by this import (glarc index does it later)"},
			&cli.BoolFlag{Name: "recursive", Aliases: []string{"R"}, Usage: "import the files below directories given as arguments"},
			&cli.BoolFlag{Name: "force", Usage: "import again what the manifest says was imported already"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return runImport(ctx, e, cmd)
		},
	}
}

func runImport(ctx context.Context, e *env, cmd *cli.Command) error {
	if cmd.NArg() == 0 {
		return usagef("import: no input files (pass FILE..., or - for stdin)")
	}
	opts := archive.ImportOptions{Year: int(cmd.Int("year")), Workers: int(cmd.Int("workers")),
		NoSeal: cmd.Bool("no-seal"), Force: cmd.Bool("force")}
	f, err := input.ParseFormat(cmd.String("format"))
	if err != nil {
		return &usageError{fmt.Errorf("import: %w", err)}
	}
	opts.Format = f
	if tz := cmd.String("tz"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return usagef("import: --tz %q: %v", tz, err)
		}
		opts.Location = loc
	}
	var sources []archive.Source
	failed := 0
	stdinUsed := false
	names := cmd.Args().Slice()
	if cmd.Bool("recursive") {
		var errs []error
		names, errs = archive.ExpandDirs(names)
		for _, err := range errs {
			fmt.Fprintf(e.stderr, "glarc: import: %v\n", err)
			failed++
		}
	}
	// Rotated sets oldest first: syslog.2.gz, syslog.1, syslog.
	for _, name := range archive.SortRotated(names) {
		if name == "-" {
			if stdinUsed {
				return usagef("import: - (stdin) given twice")
			}
			stdinUsed = true
			sources = append(sources, archive.ReaderSource("-", e.stdin))
			continue
		}
		if archive.PartialLogcliPart(name) {
			fmt.Fprintf(e.stderr, "glarc: import: skipping %s: logcli is still writing this part file (it renames it to .part when its range is complete; import it then)\n", name)
			continue
		}
		src, err := archive.FileSource(name)
		if err != nil {
			fmt.Fprintf(e.stderr, "glarc: import %s: %v\n", name, unwrapPath(err))
			failed++
			continue
		}
		sources = append(sources, src)
	}
	// sealed collects the chunks this import seals, to index them at the end.
	var sealedMu sync.Mutex
	var sealed []chunk.ChunkMeta
	a, err := archive.Open(cmd.String("data"), archive.Options{Owner: "glarc import", Logger: e.log,
		OnSealed: func(meta chunk.ChunkMeta) {
			sealedMu.Lock()
			sealed = append(sealed, meta)
			sealedMu.Unlock()
		}})
	if err != nil {
		return err
	}
	var total int64
	for _, s := range sources {
		if s.Size > 0 {
			total += s.Size
		}
	}
	bar := newBar(e.stderr, cmd.Bool("quiet"), total)
	if bar != nil {
		opts.Progress = func(p archive.Progress) {
			bar.Describe(fmt.Sprintf("%s (%s) %d records", p.Source, p.Format, p.Records))
			_ = bar.Set64(p.Read)
		}
	}
	sum, ierr := a.Import(ctx, sources, opts)
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(e.stderr)
	}
	sum.Files += failed
	sum.Failed += failed
	for _, w := range sum.Warnings {
		fmt.Fprintf(e.stderr, "glarc: warning: %s\n", w)
	}
	for _, err := range unjoin(ierr) {
		fmt.Fprintf(e.stderr, "glarc: %v\n", err)
	}
	fmt.Fprintln(e.stderr, sum)
	var xerr error
	if !errors.Is(ierr, context.Canceled) && !cmd.Bool("no-index") {
		// Chunks rotated during the import may still be sealing.
		xerr = a.Files().WaitSealed()
		sealedMu.Lock()
		metas := slices.Clone(sealed)
		sealedMu.Unlock()
		if xerr == nil && len(metas) > 0 {
			xerr = buildIndexes(ctx, e, a, metas, false, cmd.Bool("quiet"))
		}
		if xerr != nil && !errors.Is(xerr, errReported) {
			fmt.Fprintf(e.stderr, "glarc: index: %v\n", xerr)
		}
	}
	if cerr := a.Close(); cerr != nil {
		fmt.Fprintf(e.stderr, "glarc: %v\n", cerr)
		return errReported
	}
	if ierr != nil || xerr != nil || failed > 0 {
		return errReported
	}
	return nil
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// unwrapPath drops the operation from an *os.PathError: the caller names the file.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// newBar returns a progress bar on w when w is a terminal, or nil.
func newBar(w io.Writer, quiet bool, total int64) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	if total <= 0 {
		total = -1
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionClearOnFinish(),
	)
}
