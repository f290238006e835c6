// Package container is the envelope every glarc index file shares: a
// header, the sections of the index kind, a section table with one
// CRC-32C per section, and a fixed footer read from the end.
//
//	w, err := container.Create(path, container.TypeToken, 1)
//	w.Write(meta); w.EndSection()   // section 0
//	w.Write(dict); w.EndSection()   // section 1 ...
//	err = w.Commit()                // table, footer, complete flag, fsync, rename, fsync dir
//
//	f, err := container.Open(path, container.TypeToken, 1, 3)
//	meta, err := f.Verified(0)      // checksum checked now
//	dict := f.Section(1)            // checked by the caller, piecewise
//
// # Layout (little-endian)
//
//	+--------+-----------+-----+-------------+-----------------+--------+
//	| header | section 0 | ... | section n-1 | section table   | footer |
//	|  4 B   |           |     |             | n × 16 B        |  8 B   |
//	+--------+-----------+-----+-------------+-----------------+--------+
//
//	header         'i' | type | version | flags      flags bit 0 = complete
//	table entry    u64 length | u32 CRC-32C(section) | u32 zero
//	footer         u32 n | u32 CRC-32C(table)
//
// Section 0 starts right after the header and each section follows the one
// before; their offsets are the running sums of the lengths, and the lengths
// must add up to the file size exactly. The writer sets the complete flag
// only after everything else is written, then fsyncs, renames the temp file
// into place and fsyncs the directory; a reader refuses a file without it.
//
// # File types (the second header byte; stored, never renumber)
//
//	'k'  token index      (DESIGN.md)
//	'v'  attr index       ("values of attributes")
//	'p'  kv index         ("pairs in the text")
//	'b'  block filters
//
// Taken elsewhere: 'r' raw.log, 'i' idx.log, 'a' attr.log, 'd' chunk.dat.
package container

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"

	"glarc/index"
)

// Header and trailer sizes.
const (
	HeaderSize     = 4
	TableEntrySize = 16
	FooterSize     = 8
	// HeaderMagic is the first byte of every glarc file.
	HeaderMagic byte = 'i'
	// FlagComplete is bit 0 of the flags byte.
	FlagComplete byte = 1 << 0
	// MaxSections bounds the section count a reader accepts.
	MaxSections = 64
)

// Offsets inside the header.
const (
	offMagic   = 0
	offType    = 1
	offVersion = 2
	offFlags   = 3
)

// File types. Stored on disk: never renumber.
const (
	TypeToken  byte = 'k'
	TypeAttr   byte = 'v'
	TypeKV     byte = 'p'
	TypeBlocks byte = 'b'
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C used by every section.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Writer writes one index file section by section into a temp file.
type Writer struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
	crc       hash.Hash32
	cur       uint64 // bytes in the open section
	table     []byte
	n         uint32
	err       error // sticky
}

// Create starts a new file that Commit will move to path.
func Create(path string, typ, version byte) (*Writer, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create index file: %w", err)
	}
	w := &Writer{path: path, tmp: tmp, f: f, bw: bufio.NewWriterSize(f, 64<<10), crc: crc32.New(castagnoli)}
	_, w.err = w.bw.Write([]byte{HeaderMagic, typ, version, 0})
	return w, w.err
}

// Write appends p to the open section.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.bw.Write(p)
	w.crc.Write(p[:n])
	w.cur += uint64(n)
	w.err = err
	return n, err
}

// EndSection closes the open section (possibly empty).
func (w *Writer) EndSection() {
	w.table = binary.LittleEndian.AppendUint64(w.table, w.cur)
	w.table = binary.LittleEndian.AppendUint32(w.table, w.crc.Sum32())
	w.table = binary.LittleEndian.AppendUint32(w.table, 0)
	w.n++
	w.cur = 0
	w.crc.Reset()
}

// Commit writes the table and footer, sets the complete flag, syncs and
// renames the file into place. The Writer is unusable after.
func (w *Writer) Commit() error {
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if w.cur != 0 {
		w.Abort()
		return fmt.Errorf("commit %s: section left open", w.path)
	}
	footer := binary.LittleEndian.AppendUint32(nil, w.n)
	footer = binary.LittleEndian.AppendUint32(footer, Checksum(append(w.table, footer...)))
	err := w.write(w.table, footer)
	if err == nil {
		err = w.f.Sync()
	}
	if err == nil {
		_, err = w.f.WriteAt([]byte{FlagComplete}, offFlags)
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp, w.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(w.path))
	}
	if err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("commit index file %s: %w", w.path, err)
	}
	return nil
}

func (w *Writer) write(parts ...[]byte) error {
	for _, p := range parts {
		if _, err := w.bw.Write(p); err != nil {
			return err
		}
	}
	return w.bw.Flush()
}

// Abort drops the temp file.
func (w *Writer) Abort() {
	w.f.Close()
	os.Remove(w.tmp)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// File is an open index file. Its sections are views of the mapped file:
// they stay valid until Close.
type File struct {
	path     string
	data     []byte
	mapped   bool
	sections [][]byte
	offsets  []int64
	crcs     []uint32
}

// Open maps path and checks its header, footer and section table. Sections
// are not checksummed yet: see Verified and Verify.
func Open(path string, typ, version byte, sections int) (*File, error) {
	data, mapped, err := mapPath(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open %s: %w", path, index.ErrNotBuilt)
		}
		return nil, fmt.Errorf("open index: %w", err)
	}
	c, err := parse(path, data, typ, version, sections)
	if err != nil {
		if mapped {
			unmap(data)
		}
		return nil, err
	}
	c.mapped = mapped
	return c, nil
}

// FromBytes parses an index file held in memory (tests, fuzzing).
func FromBytes(name string, data []byte, typ, version byte, sections int) (*File, error) {
	return parse(name, data, typ, version, sections)
}

func parse(path string, data []byte, typ, version byte, sections int) (*File, error) {
	bad := func(section string, off int64, format string, args ...any) error {
		return &index.CorruptError{Path: path, Section: section, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	if len(data) < HeaderSize+FooterSize {
		return nil, bad("header", 0, "file of %d bytes is too short", len(data))
	}
	switch {
	case data[offMagic] != HeaderMagic:
		return nil, bad("header", offMagic, "magic %#x, want %#x", data[offMagic], HeaderMagic)
	case data[offType] != typ:
		return nil, bad("header", offType, "type %q, want %q", data[offType], typ)
	case data[offVersion] != version:
		// Another glarc wrote it, or the byte is damaged: either way it is
		// not used, and `glarc index` builds it again.
		return nil, fmt.Errorf("%s: header: version %d, this glarc reads %d: %w, or %w", path, data[offVersion], version, index.ErrFormatVersion, index.ErrCorrupt)
	case data[offFlags]&^FlagComplete != 0:
		return nil, bad("header", offFlags, "unknown flags %#x", data[offFlags])
	case data[offFlags]&FlagComplete == 0:
		return nil, fmt.Errorf("%s: %w", path, index.ErrIncomplete)
	}
	footOff := len(data) - FooterSize
	n := binary.LittleEndian.Uint32(data[footOff:])
	if int(n) != sections || n > MaxSections {
		return nil, bad("footer", int64(footOff), "%d sections, want %d", n, sections)
	}
	tableOff := footOff - int(n)*TableEntrySize
	if tableOff < HeaderSize {
		return nil, bad("footer", int64(footOff), "section table does not fit")
	}
	if got, want := Checksum(data[tableOff:footOff+4]), binary.LittleEndian.Uint32(data[footOff+4:]); got != want {
		return nil, bad("table", int64(tableOff), "checksum %#08x, want %#08x", got, want)
	}
	c := &File{path: path, data: data}
	off := uint64(HeaderSize)
	for i := range int(n) {
		e := data[tableOff+i*TableEntrySize:]
		l := binary.LittleEndian.Uint64(e)
		if binary.LittleEndian.Uint32(e[12:]) != 0 {
			return nil, bad("table", int64(tableOff+i*TableEntrySize+12), "reserved field not zero")
		}
		if l > uint64(tableOff)-off {
			return nil, bad("table", int64(tableOff+i*TableEntrySize), "section %d of %d bytes overruns the file", i, l)
		}
		c.sections = append(c.sections, data[off:off+l:off+l])
		c.offsets = append(c.offsets, int64(off))
		c.crcs = append(c.crcs, binary.LittleEndian.Uint32(e[8:]))
		off += l
	}
	if off != uint64(tableOff) {
		return nil, bad("table", int64(off), "%d unaccounted bytes before the section table", uint64(tableOff)-off)
	}
	return c, nil
}

// Path is the file's name.
func (c *File) Path() string { return c.path }

// Size is the file's length in bytes.
func (c *File) Size() int64 { return int64(len(c.data)) }

// Section returns section i unverified. The caller checks the parts it
// reads (sections with their own inner checksums) or calls Verify.
func (c *File) Section(i int) []byte { return c.sections[i] }

// Offset returns the file offset of section i.
func (c *File) Offset(i int) int64 { return c.offsets[i] }

// Verify checks section i against its checksum.
func (c *File) Verify(i int, name string) error {
	if got := Checksum(c.sections[i]); got != c.crcs[i] {
		return &index.CorruptError{Path: c.path, Section: name, Offset: c.offsets[i],
			Reason: fmt.Sprintf("checksum %#08x, want %#08x", got, c.crcs[i])}
	}
	return nil
}

// Verified returns section i after checking its checksum.
func (c *File) Verified(i int, name string) ([]byte, error) {
	if err := c.Verify(i, name); err != nil {
		return nil, err
	}
	return c.sections[i], nil
}

// Close unmaps the file. Sections must not be used after.
func (c *File) Close() error {
	data := c.data
	c.data, c.sections = nil, nil
	if c.mapped {
		c.mapped = false
		return unmap(data)
	}
	return nil
}

// OpenReader opens path with Open and builds a format's reader over it with
// newReader, closing the file if that fails.
func OpenReader[R any](path string, typ, version byte, sections int, newReader func(*File) (R, error)) (R, error) {
	f, err := Open(path, typ, version, sections)
	if err != nil {
		var zero R
		return zero, err
	}
	r, err := newReader(f)
	if err != nil {
		f.Close()
	}
	return r, err
}
