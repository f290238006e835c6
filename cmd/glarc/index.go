package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v3"

	"glarc/archive"
	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	ifile "glarc/index/file"
	"glarc/index/file/attr"
)

func indexCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "index",
		Usage: "build the missing indexes of every sealed chunk",
		Description: `Builds, for every sealed chunk, whatever is missing of its token, attr and kv
indexes and its block filters, several at a time. A damaged or unfinished
index counts as missing. --rebuild builds every index again. Queries use the
indexes of a chunk as soon as they exist; a chunk without them is scanned.
glarc import indexes the chunks it seals unless given --no-index.

Examples:
  glarc index --data /srv/logs
  glarc index --rebuild`,
		Flags: []cli.Flag{
			dataFlag(),
			&cli.BoolFlag{Name: "rebuild", Usage: "build every index again, complete or not"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			// Building writes into the chunk directories: take the writer
			// lock so that no import or serve builds the same files.
			a, err := archive.Open(cmd.String("data"), archive.Options{Owner: "glarc index", Logger: e.log})
			if err != nil {
				return err
			}
			metas, err := a.Chunks().List()
			if err == nil {
				err = buildIndexes(ctx, e, a, metas, cmd.Bool("rebuild"), cmd.Bool("quiet"))
			}
			return errors.Join(err, a.Close())
		},
	}
}

// attrBudget admits more attribute values than the default: attributes
// (host, app, facility, ...) have few values per key compared with pairs
// in the text, and a host=web1 term is only exact when host's values are
// held. 500 hosts already pass the default of 256 values per key.
var attrBudget = collect.Budget{MaxKeys: 1024, MaxValuesPerKey: 8192, MaxPairs: 1 << 16}

// newIndexes returns the index kinds every command uses: the file-backed
// ones, with attrBudget for the attr index.
func newIndexes() *index.Manager {
	m := ifile.NewManager(collect.Budget{})
	m.Attr = attr.NewIndexer(attrBudget)
	return m
}

// indexSummary says what buildIndexes did.
type indexSummary struct {
	chunks, skipped, builds int
	records, raw            uint64 // of the chunks indexed
	indexBytes              int64  // of the chunks indexed, after the build
	elapsed                 time.Duration
}

func (s indexSummary) String() string {
	if s.chunks == 0 {
		return fmt.Sprintf("nothing to index: %s indexed already", plural(s.skipped, "chunk", "chunks"))
	}
	secs := max(s.elapsed.Seconds(), 1e-9)
	return fmt.Sprintf("indexed %s (%s built, %s complete already): %d records, %s of text in %.2fs (%.1f MB/s); indexes %s (%s of the text)",
		plural(s.chunks, "chunk", "chunks"), plural(s.builds, "index", "indexes"), plural(s.skipped, "chunk", "chunks"),
		s.records, archive.HumanBytes(int64(s.raw)), s.elapsed.Seconds(), float64(s.raw)/secs/1e6,
		archive.HumanBytes(s.indexBytes), percent(uint64(s.indexBytes), s.raw))
}

func percent(part, whole uint64) string {
	if whole == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}

// buildIndexes builds the missing indexes (all with rebuild) of the sealed
// chunks among metas, with a progress bar on a terminal, and prints a
// summary line on stderr. Build failures are printed one per line and
// reported as errReported.
func buildIndexes(ctx context.Context, e *env, a *archive.Archive, metas []chunk.ChunkMeta, rebuild, quiet bool) error {
	// A build's postings are pointer-free pages: collecting at 1.5× the
	// live heap instead of 2× costs little and keeps the peak of an
	// import well under 256 MB (1 GB corpus: 204 instead of 245 MB).
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	start := time.Now()
	m := newIndexes()
	files := a.Files()
	// One chunk's pass at a time: the shared pass of a build already keeps
	// both cores busy, and each build of a 64 MiB chunk holds ~80 MiB of
	// postings. The write phase of a chunk overlaps the next chunk's pass
	// (OverlapWrites), which fills the cores its last writer leaves idle
	// (1 GB corpus, with the cheaper collectors: 15.4 -> 9.7 s, peak RSS
	// 198 -> 231 MiB, under the soft heap limit).
	opts := index.BuildOptions{Dir: files.ChunkDir, Rebuild: rebuild, Logger: e.log, Parallel: 1, OverlapWrites: true}
	probe := index.NewBuildHelper(a.Chunks(), m, opts) // for Missing only
	var sum indexSummary
	var todo []chunk.ChunkMeta
	var total uint64 // bytes the builds will read: each kind reads the chunk once
	for _, meta := range metas {
		if !meta.Sealed {
			continue
		}
		missing := probe.Missing(meta)
		if len(missing) == 0 {
			sum.skipped++
			continue
		}
		todo = append(todo, meta)
		sum.builds += len(missing)
		sum.records += meta.Records
		sum.raw += meta.RawBytes
		total += meta.RawBytes * uint64(len(missing))
	}
	sum.chunks = len(todo)
	var err error
	if len(todo) > 0 {
		bar := newBar(e.stderr, quiet, int64(total))
		if bar != nil {
			var done atomic.Uint64
			opts.Progress = func(p index.Progress) {
				// Bar methods take the bar's lock: safe from the builders.
				n := done.Add(p.Bytes)
				_ = bar.Set64(int64(min(n, total)))
			}
			bar.Describe(fmt.Sprintf("indexing %d %s", len(todo), plural(len(todo), "chunk", "chunks")))
		}
		h := index.NewBuildHelper(a.Chunks(), m, opts)
		err = h.BuildMissing(ctx, todo...)
		if bar != nil {
			_ = bar.Finish()
		}
		for _, meta := range todo {
			for _, info := range m.Stat(files.ChunkDir(meta.ID)) {
				sum.indexBytes += info.Bytes
			}
		}
	}
	sum.elapsed = time.Since(start)
	for _, err := range unjoin(err) {
		fmt.Fprintf(e.stderr, "glarc: index: %v\n", err)
	}
	fmt.Fprintln(e.stderr, sum)
	if err != nil {
		return errReported
	}
	return nil
}
