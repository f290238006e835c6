// Package archive is an opened glarc data directory: it owns the chunk
// manager (and with it the writer lock), and runs the ingest loop that
// `glarc import` (and later `glarc serve`) feed.
//
//	a, err := archive.Open("./data", archive.Options{Owner: "glarc import"})
//	defer a.Close()
//	sum, err := a.Import(ctx, []archive.Source{archive.FileSource("/var/log/syslog")}, archive.ImportOptions{})
//	fmt.Println(sum)
//
// Readers open the directory with OpenReadOnly and need no lock.
package archive

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"glarc/chunk"
	"glarc/chunk/file"
)

// ErrNoArchive means the data directory does not exist (nothing was ever
// imported there).
var ErrNoArchive = errors.New("no archive in data directory")

// Options configure an Archive.
type Options struct {
	// Owner names the writer in the lock file ("glarc import").
	Owner string
	// MaxChunkBytes is the raw text per chunk before it is sealed.
	MaxChunkBytes int64
	// Logger for archive events; nil discards them.
	Logger *slog.Logger
	// OnSealed, if set, is called from the sealing goroutine after each
	// chunk is sealed (to index it, for example).
	OnSealed func(chunk.ChunkMeta)
}

// Archive is an opened data directory.
type Archive struct {
	// appendMu keeps the records of one Append call together.
	appendMu sync.Mutex
	dir      string
	chunks   *file.Manager
	log      *slog.Logger
	// manifest is the import manifest (writers only); only Import uses it.
	manifest *manifest
	// rotateHook is called when the active chunk fills up during Import.
	rotateHook atomic.Pointer[func(chunk.ChunkMeta) func() error]
	// manifestMu serializes manifest commits: the import goroutine commits
	// at source ends, the sealing goroutine when a full chunk is durable.
	manifestMu sync.Mutex
}

// Open opens dir for writing, creating it if needed. It takes the writer
// lock: a second writer gets an error naming the holder (file.ErrLocked).
func Open(dir string, opts Options) (*Archive, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open data directory: %w", err)
	}
	man, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	a := &Archive{dir: dir, manifest: man, log: log.With("component", "archive", "instance", dir)}
	fopts := file.Options{
		Owner:         cmp.Or(opts.Owner, "glarc"),
		MaxChunkBytes: opts.MaxChunkBytes,
		Logger:        log,
		OnSealed:      opts.OnSealed,
		BeforeRotate: func(full chunk.ChunkMeta) func() error {
			if h := a.rotateHook.Load(); h != nil {
				return (*h)(full)
			}
			return nil
		},
	}
	if man.open {
		// An import died between commits: undo what it had not committed.
		mark := man.mark
		fopts.Rollback = &mark
		a.log.Warn("rolling back an interrupted import", "chunk", mark.Chunk.String(), "records", mark.Records)
	}
	if a.chunks, err = file.Open(dir, fopts); err != nil {
		return nil, err
	}
	if man.open {
		man.open = false
		if err := man.write(dir); err != nil {
			a.chunks.Close()
			return nil, err
		}
	}
	return a, nil
}

// beginImport marks the manifest open at the current end of the archive.
// Unless the import appends through the active chunk, it starts a bulk
// writer, which seals chunks straight from memory. It appends through the
// active chunk with NoSeal, and when an earlier writer (serve, an import
// with NoSeal, a crash) left an active chunk: that one then fills up
// before new chunks are started, as it would have.
func (a *Archive) beginImport(imp *importer) error {
	mark, err := a.chunks.Mark()
	if err != nil {
		return err
	}
	a.manifest.open, a.manifest.mark = true, mark
	if err := a.manifest.write(a.dir); err != nil {
		return err
	}
	if _, active := a.chunks.Active(); !imp.opts.NoSeal && !active {
		if imp.bulk, err = a.chunks.Bulk(file.BulkOptions{BeforeSeal: imp.commitSeal}); err != nil {
			return err
		}
		return nil
	}
	hook := imp.commitRotate
	a.rotateHook.Store(&hook)
	return nil
}

func (a *Archive) endImport() { a.rotateHook.Store(nil) }

// closeImport makes everything durable and closes the manifest.
func (a *Archive) closeImport(imp *importer) error {
	if imp.bulk != nil {
		if err := imp.bulk.Close(); err != nil {
			return err
		}
	}
	pending := imp.pending
	imp.pending = nil
	now := imp.opts.Now()
	return a.commitDurable(func(m *manifest) {
		applyProgress(m, pending, now)
		m.open = false
	})
}

// commitDurable makes every record appended so far durable (the full
// chunks sealing in the background first, then the active chunk), moves
// the manifest's mark to the end of the archive, applies change, and
// writes the manifest.
func (a *Archive) commitDurable(change func(*manifest)) error {
	if err := a.chunks.WaitSealed(); err != nil {
		return err
	}
	a.manifestMu.Lock()
	defer a.manifestMu.Unlock()
	if err := a.chunks.Sync(); err != nil {
		return err
	}
	mark, err := a.chunks.Mark()
	if err != nil {
		return err
	}
	a.manifest.mark = mark
	change(a.manifest)
	return a.manifest.write(a.dir)
}

// OpenReadOnly opens dir for reading; it takes no lock.
func OpenReadOnly(dir string, opts Options) (*Archive, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %s (import something first, or pass --data)", ErrNoArchive, dir)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := file.Open(dir, file.Options{ReadOnly: true, Logger: log})
	if err != nil {
		return nil, err
	}
	return &Archive{dir: dir, chunks: m, log: log.With("component", "archive")}, nil
}

// Dir returns the data directory.
func (a *Archive) Dir() string { return a.dir }

// Chunks returns the chunk manager.
func (a *Archive) Chunks() chunk.Manager { return a.chunks }

// Files returns the file-backed chunk manager (chunk directories, Flush, Sync).
func (a *Archive) Files() *file.Manager { return a.chunks }

// Close flushes and closes everything and releases the lock.
func (a *Archive) Close() error { return a.chunks.Close() }

// Append appends records in order to the active chunk. It is safe for
// concurrent use; records of one call stay together. They are visible to
// readers in other processes after Flush, and survive a crash after Sync.
func (a *Archive) Append(recs []chunk.Record) error {
	a.appendMu.Lock()
	defer a.appendMu.Unlock()
	for i := range recs {
		if _, err := a.chunks.Append(recs[i]); err != nil {
			return err
		}
	}
	return nil
}

// Flush makes appended records visible to readers in other processes.
func (a *Archive) Flush() error { return a.chunks.Flush() }

// Sync makes appended records durable.
func (a *Archive) Sync() error { return a.chunks.Sync() }

// Seal seals the active chunk now (chunk.ErrNoActiveChunk if it is empty).
func (a *Archive) Seal() error { return a.chunks.Seal() }
