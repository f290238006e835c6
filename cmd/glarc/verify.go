package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"glarc/archive"
	"glarc/chunk"
	"glarc/chunk/file"
)

func verifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check every checksum of every chunk, index and the import manifest",
		Description: `verify reads the whole archive without taking the writer lock and changes nothing.
It checks each sealed chunk (header, trailer, block index, and every block: checksum,
decompression, decoding, counts and time ranges), each active chunk (headers, and every
record against its idx.log checksum), every index file (header, section table, every
section checksum) and the import manifest.

Each problem is printed on stderr with its chunk, file, section and offset, and verify
keeps going. What a running (or killed) writer legitimately leaves behind, such as a
half-written record at the end of an active chunk, is printed as a note and is not a
problem. The exit code is 0 when nothing is wrong, 1 otherwise; a summary goes to stdout.`,
		Flags: []cli.Flag{dataFlag()},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return runVerify(ctx, e, cmd.String("data"))
		},
	}
}

func runVerify(ctx context.Context, e *env, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w %s (import something first, or pass --data)", archive.ErrNoArchive, dir)
	}
	problems, notes := 0, 0
	report := func(p file.Problem) {
		if p.Pending {
			notes++
			fmt.Fprintf(e.stderr, "glarc: note: %s\n", p)
			return
		}
		problems++
		fmt.Fprintf(e.stderr, "glarc: %s\n", p)
	}
	st, err := file.Verify(ctx, dir, report)
	if err != nil {
		return err
	}

	// Indexes of each sealed chunk.
	indexes, err := verifyIndexes(e, dir, &problems)
	if err != nil {
		return err
	}

	// The import manifest.
	switch err := archive.VerifyManifest(dir); {
	case err == nil:
	case errors.Is(err, archive.ErrImportOpen):
		notes++
		fmt.Fprintf(e.stderr, "glarc: note: %v\n", err)
	default:
		problems++
		fmt.Fprintf(e.stderr, "glarc: %v\n", err)
	}

	fmt.Fprintf(e.stdout, "verified %s (%d sealed, %d active), %d records, %s, %d bytes: %s\n",
		plural(st.Chunks(), "chunk", "chunks"), st.Sealed, st.Active, st.Records,
		plural(indexes.files, "index file", "index files"), st.Bytes+indexes.bytes, problemCount(problems, notes))
	if problems > 0 {
		return errReported
	}
	return nil
}

type indexTotals struct {
	files int
	bytes int64
}

// verifyIndexes checks the index files of every sealed chunk.
func verifyIndexes(e *env, dir string, problems *int) (indexTotals, error) {
	var tot indexTotals
	ents, err := os.ReadDir(filepath.Join(dir, file.SealedDirName))
	if errors.Is(err, fs.ErrNotExist) {
		return tot, nil
	}
	if err != nil {
		return tot, err
	}
	names := archive.IndexFileNames()
	fm, err := file.Open(dir, file.Options{ReadOnly: true})
	if err != nil {
		return tot, err
	}
	defer fm.Close()
	for _, ent := range ents {
		id, err := chunk.ParseID(ent.Name())
		if err != nil || !ent.IsDir() {
			continue
		}
		cdir := filepath.Join(dir, file.SealedDirName, ent.Name())
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(cdir, n)); err == nil {
				tot.files++
			}
		}
		records := int64(-1) // unknown when the trailer is damaged (reported already)
		if meta, err := fm.Meta(id); err == nil {
			records = int64(meta.Records)
		}
		bytes, errs := archive.VerifyIndexes(cdir, records)
		tot.bytes += bytes
		for _, err := range errs {
			*problems++
			fmt.Fprintf(e.stderr, "glarc: chunk %s: %v\n", id, err)
		}
	}
	return tot, nil
}

func problemCount(problems, notes int) string {
	s := "no problems"
	if problems > 0 {
		s = plural(problems, "problem", "problems")
	}
	if notes > 0 {
		s += ", " + plural(notes, "note", "notes")
	}
	return s
}

// plural formats a count with its noun: "1 chunk", "3 chunks".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
