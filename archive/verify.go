package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"glarc/chunk"
	"glarc/chunk/file"
	"glarc/index/file/attr"
	"glarc/index/file/blocks"
	"glarc/index/file/kv"
	"glarc/index/file/token"
)

// ErrImportOpen means the manifest says an import is running, or died
// between commits: the next writer rolls the archive back to the mark. It
// is not damage.
var ErrImportOpen = errors.New("an import is running or was interrupted; the next writer rolls back what it had not committed")

// ErrIndexStale means an index file is intact but does not cover the
// chunk's records: it belongs to another version of the chunk.
var ErrIndexStale = errors.New("index does not match its chunk")

// ErrManifestMark means the manifest's mark names more of the archive than
// exists: chunks or records it says were committed are gone.
var ErrManifestMark = errors.New("import manifest names records that are not in the archive")

// VerifyManifest checks the import manifest DATA/manifest without taking
// the writer lock: header, length and checksum, every entry, and that the
// mark it records (the committed end of the archive) exists: the mark chunk
// is there, with at least the recorded number of records. A missing
// manifest (nothing was ever imported) is fine. Errors name the file and
// wrap ErrManifestCorrupt or ErrManifestMark; a manifest left open by a
// running or interrupted import gives an error wrapping ErrImportOpen.
func VerifyManifest(dir string) error {
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	path := manifestPath(dir)
	if m.mark.Chunk != (chunk.ChunkID{}) {
		if err := checkMark(dir, m.mark); err != nil {
			return fmt.Errorf("%s: %w: %v", path, ErrManifestMark, err)
		}
	}
	if m.open {
		return fmt.Errorf("%s: %w", path, ErrImportOpen)
	}
	return nil
}

func checkMark(dir string, mark file.Mark) error {
	cm, err := file.Open(dir, file.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer cm.Close()
	meta, err := cm.Meta(mark.Chunk)
	if errors.Is(err, chunk.ErrChunkNotFound) {
		return fmt.Errorf("mark chunk %s does not exist", mark.Chunk)
	}
	if err != nil {
		return fmt.Errorf("mark chunk %s: %v", mark.Chunk, err)
	}
	if meta.Records < mark.Records {
		return fmt.Errorf("mark chunk %s holds %d records, the manifest committed %d", mark.Chunk, meta.Records, mark.Records)
	}
	return nil
}

// indexVerifier is an open index file that can check itself whole.
type indexVerifier interface {
	Verify() error
	Records() uint64
	Close() error
}

type indexFile struct {
	name string
	open func(path string) (indexVerifier, error)
}

// indexFiles lists the index files a sealed chunk directory may hold, with
// how to open each.
func indexFiles() []indexFile {
	return []indexFile{
		{token.FileName, func(p string) (indexVerifier, error) { return token.Open(p) }},
		{attr.FileName, func(p string) (indexVerifier, error) { return attr.Open(p) }},
		{kv.FileName, func(p string) (indexVerifier, error) { return kv.Open(p) }},
		{blocks.FileName, func(p string) (indexVerifier, error) { return blocks.Open(p) }},
	}
}

// VerifyIndexes checks every index file in a sealed chunk's directory: its
// header, complete flag, section table and every section's checksum. A
// missing index is not a problem (it is built later); an incomplete one at
// its final name is, since indexes are renamed into place only once
// complete. With records >= 0 (the chunk's record count from its trailer)
// each index must also cover exactly that many records. It returns the
// bytes checked and one error per bad file; each names the file (and, for
// damage, wraps index.ErrCorrupt with the section and offset).
func VerifyIndexes(chunkDir string, records int64) (checked int64, errs []error) {
	for _, ix := range indexFiles() {
		path := filepath.Join(chunkDir, ix.name)
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		checked += fi.Size()
		r, err := ix.open(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := r.Verify(); err != nil {
			errs = append(errs, err)
		} else if records >= 0 && r.Records() != uint64(records) {
			errs = append(errs, fmt.Errorf("%s: %w: covers %d records, the chunk holds %d", path, ErrIndexStale, r.Records(), records))
		}
		if err := r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", path, err))
		}
	}
	return checked, errs
}

// IndexFileNames lists the index files a sealed chunk directory may hold.
func IndexFileNames() []string {
	ixs := indexFiles()
	names := make([]string, len(ixs))
	for i, ix := range ixs {
		names[i] = ix.name
	}
	return names
}
