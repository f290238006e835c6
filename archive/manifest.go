package archive

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"glarc/chunk"
	"glarc/chunk/file"
)

// The import manifest records, per source content, how much has been
// imported, so running the same import again adds only what is new.
// Sources are known by content, not by name: a fingerprint of the first
// FingerprintBytes of the (decompressed) data, plus the length consumed.
// A rotated file (syslog -> syslog.1 -> syslog.2.gz) keeps its
// fingerprint, so it is recognised under any name and compression.
//
// DATA/manifest, little-endian:
//
//	header      'i' 'm' 1 1        (type 'm', version 1, flags: complete)
//	u32         section length N
//	section     N bytes:
//	    u8      open: 1 while an import is between commits
//	    [8]     mark chunk ID       the append history committed so far:
//	    u64     mark records        chunks before the mark chunk, and this many of its records
//	    u32     entries
//	    entries × {
//	        u32  fingerprint length (bytes of data hashed, at most FingerprintBytes)
//	        [16] fingerprint        (first 16 bytes of SHA-256 of those bytes)
//	        u64  consumed           bytes of (decompressed) data imported
//	        u64  records            records imported from it
//	        i64  imported at        Unix ns
//	        u16  name length, name  the path it was last imported from
//	    }
//	u32         CRC-32C of the section
//
// Commit protocol: before an import appends, it writes the manifest with
// open=1 and the current mark. Whenever the active chunk fills up, and at
// the end of each source, it fsyncs the chunk data, then writes the
// manifest (temp file, fsync, rename, fsync dir) with the new mark and each
// source's consumed length. At the end it writes open=0. A writer that
// finds open=1 was preceded by a crash: it rolls the chunks back to the
// mark (file.Options.Rollback), so what was appended after the last commit
// is removed and will be imported again: every line ends up exactly once.

// Manifest constants.
const (
	ManifestName            = "manifest"
	TypeManifest       byte = 'm'
	VersionManifest    byte = 1
	FingerprintBytes        = 4096
	fingerprintHashLen      = 16
	maxManifestEntries      = 1 << 24
)

// ErrManifestCorrupt marks a manifest that fails its checks.
var ErrManifestCorrupt = errors.New("import manifest corrupt")

type fingerprint struct {
	n    uint32
	hash [fingerprintHashLen]byte
}

func fingerprintOf(b []byte) fingerprint {
	b = b[:min(len(b), FingerprintBytes)]
	sum := sha256.Sum256(b)
	var f fingerprint
	f.n = uint32(len(b))
	copy(f.hash[:], sum[:])
	return f
}

type manifestEntry struct {
	fp       fingerprint
	consumed uint64
	records  uint64
	at       time.Time
	name     string
}

type manifest struct {
	open    bool
	mark    file.Mark
	entries []manifestEntry
}

func manifestPath(dir string) string { return filepath.Join(dir, ManifestName) }

func readManifest(dir string) (*manifest, error) {
	path := manifestPath(dir)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &manifest{}, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := decodeManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func (m *manifest) encode() []byte {
	var s []byte
	s = append(s, b2u(m.open))
	s = append(s, m.mark.Chunk[:]...)
	s = binary.LittleEndian.AppendUint64(s, m.mark.Records)
	s = binary.LittleEndian.AppendUint32(s, uint32(len(m.entries)))
	for _, e := range m.entries {
		s = binary.LittleEndian.AppendUint32(s, e.fp.n)
		s = append(s, e.fp.hash[:]...)
		s = binary.LittleEndian.AppendUint64(s, e.consumed)
		s = binary.LittleEndian.AppendUint64(s, e.records)
		s = binary.LittleEndian.AppendUint64(s, uint64(e.at.UnixNano()))
		name := e.name[:min(len(e.name), 1<<16-1)]
		s = binary.LittleEndian.AppendUint16(s, uint16(len(name)))
		s = append(s, name...)
	}
	out := []byte{file.HeaderMagic, TypeManifest, VersionManifest, file.FlagComplete}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(s)))
	out = append(out, s...)
	return binary.LittleEndian.AppendUint32(out, crc32c(s))
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func decodeManifest(b []byte) (*manifest, error) {
	bad := func(off int, format string, args ...any) error {
		return fmt.Errorf("%w: offset %d: %s", ErrManifestCorrupt, off, fmt.Sprintf(format, args...))
	}
	if len(b) < 8 || b[0] != file.HeaderMagic || b[1] != TypeManifest {
		return nil, bad(0, "bad header")
	}
	if b[2] != VersionManifest {
		return nil, bad(2, "unsupported version %d", b[2])
	}
	if b[3] != file.FlagComplete {
		return nil, bad(3, "flags %#x", b[3])
	}
	n := binary.LittleEndian.Uint32(b[4:])
	if uint64(n)+12 != uint64(len(b)) {
		return nil, bad(4, "section length %d does not fit %d bytes", n, len(b))
	}
	s := b[8 : 8+n]
	if got, want := crc32c(s), binary.LittleEndian.Uint32(b[8+n:]); got != want {
		return nil, bad(int(8+n), "checksum %08x, stored %08x", got, want)
	}
	const fixed = 1 + chunk.IDSize + 8 + 4
	const entryFixed = 4 + fingerprintHashLen + 8 + 8 + 8 + 2
	if len(s) < fixed {
		return nil, bad(8, "section too short")
	}
	m := &manifest{open: s[0] == 1}
	copy(m.mark.Chunk[:], s[1:])
	m.mark.Records = binary.LittleEndian.Uint64(s[1+chunk.IDSize:])
	count := binary.LittleEndian.Uint32(s[1+chunk.IDSize+8:])
	if count > maxManifestEntries || uint64(count)*entryFixed > uint64(len(s)-fixed) {
		return nil, bad(8+1+chunk.IDSize+8, "%d entries do not fit", count)
	}
	m.entries = make([]manifestEntry, 0, count)
	off := fixed
	for range count {
		if len(s)-off < entryFixed {
			return nil, bad(8+off, "entry cut short")
		}
		var e manifestEntry
		e.fp.n = binary.LittleEndian.Uint32(s[off:])
		copy(e.fp.hash[:], s[off+4:])
		e.consumed = binary.LittleEndian.Uint64(s[off+4+fingerprintHashLen:])
		e.records = binary.LittleEndian.Uint64(s[off+12+fingerprintHashLen:])
		e.at = time.Unix(0, int64(binary.LittleEndian.Uint64(s[off+20+fingerprintHashLen:])))
		nl := int(binary.LittleEndian.Uint16(s[off+28+fingerprintHashLen:]))
		off += entryFixed
		if len(s)-off < nl {
			return nil, bad(8+off, "name of %d bytes cut short", nl)
		}
		e.name = string(s[off : off+nl])
		off += nl
		m.entries = append(m.entries, e)
	}
	if off != len(s) {
		return nil, bad(8+off, "%d trailing bytes", len(s)-off)
	}
	return m, nil
}

// write replaces the manifest: temp file, fsync, rename, fsync directory.
func (m *manifest) write(dir string) error {
	path := manifestPath(dir)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	_, err = f.Write(m.encode())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// lookup finds the entry whose fingerprint matches the start of head (the
// first bytes of a source, up to FingerprintBytes; total is the source
// length when known, or -1). The longest matching fingerprint wins.
func (m *manifest) lookup(head []byte) (int, bool) {
	best := -1
	for i, e := range m.entries {
		if int(e.fp.n) > len(head) {
			continue
		}
		if best >= 0 && m.entries[best].fp.n >= e.fp.n {
			continue
		}
		if fingerprintOf(head[:e.fp.n]) == e.fp {
			best = i
		}
	}
	return best, best >= 0
}

// update records that a source with fingerprint fp has consumed bytes,
// replacing the entry at old (or adding one when old < 0). It returns the
// entry's index.
func (m *manifest) update(old int, fp fingerprint, consumed, records uint64, name string, at time.Time) int {
	e := manifestEntry{fp: fp, consumed: consumed, records: records, name: name, at: at}
	if old >= 0 {
		m.entries[old] = e
		return old
	}
	// A different entry with the same fingerprint is superseded.
	if i := slices.IndexFunc(m.entries, func(x manifestEntry) bool { return x.fp == fp }); i >= 0 {
		m.entries[i] = e
		return i
	}
	m.entries = append(m.entries, e)
	return len(m.entries) - 1
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
