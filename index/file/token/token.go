// Package token is the file-backed token index of a sealed chunk: every
// lowercased index token (tokenizer.Append) → the positions of the records
// holding it, plus the first 16 bytes of every longer run, so that prefix
// queries (`auth*`) are answered exactly.
//
//	ix := token.NewIndexer()
//	err := ix.Build(ctx, meta, cur, chunkDir)    // writes chunkDir/token.idx
//	r, err := token.Open(filepath.Join(chunkDir, token.FileName))
//	defer r.Close()
//	bm, held, err := r.Lookup([]byte("Failed"))  // held: "failed" is an index token
//	bm, complete, err := r.Prefix([]byte("auth"))
//
// # Layout
//
// A container file (index/file/container) of type 'k', version 4 (version
// 3 had no subset lists, 2 no shared dictionary values, 1 held IDs as
// tokens), with five sections:
//
//	0 meta          u64 records | u32 tokens | u32 long keys      (16 B, checked at open)
//	1 token blocks  dictionary blocks: index token → posting list (index/file/dict)
//	2 token index   dictionary index                               (checked at open)
//	3 long blocks   dictionary blocks: long-run key → posting list
//	4 long index    dictionary index                               (checked at open)
//
// Each dictionary writes its lists with dict.Parents: its dict.MaxParents
// longest lists are parents, and a list that is a subset of a parent (a
// word of a log template within the template's records) may be written as
// ranks within it, which a lookup decodes after the parent's list.
//
// A long run is a token run holding a letter that is not an index token:
// longer than tokenizer.MaxTokenLen, an ID (tokenizer.IsID) or a UUID. Its
// key (collect.LongKey) is its lowercased first 16 bytes when it is longer
// than that and not hex; otherwise (IDs, UUIDs, hashes) its first 2 bytes:
// such runs share a few buckets instead of adding one key each, and Prefix
// over-approximates them. Measured on the loghub 2k samples (about
// 200–320 KB each) the whole file is 6–12% of the raw text; on larger chunks
// the dictionary is shared by more lines and the share falls.
package token

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/file/container"
	"glarc/index/file/dict"
	"glarc/tokenizer"
)

// FileName is the token index inside a chunk directory.
const FileName = "token.idx"

// Format constants.
const (
	Version  byte = 4
	MetaSize      = 16
	sections      = 5
)

// Section numbers. Stored order: never renumber.
const (
	secMeta        = 0
	secTokenBlocks = 1
	secTokenIndex  = 2
	secLongBlocks  = 3
	secLongIndex   = 4
)

// Indexer builds token indexes. It is stateless and safe for concurrent use.
type Indexer struct{}

var (
	_ index.TokenIndexer  = (*Indexer)(nil)
	_ index.SharedIndexer = (*Indexer)(nil)
)

// NewIndexer returns the token indexer.
func NewIndexer() *Indexer { return &Indexer{} }

// Name returns index.KindToken.
func (*Indexer) Name() string { return index.KindToken }

// Build collects the chunk's tokens and writes dir/token.idx.
func (*Indexer) Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error {
	if !meta.Sealed {
		return fmt.Errorf("build token index of chunk %s: %w", meta.ID, index.ErrChunkNotSealed)
	}
	ts, err := collect.Tokens(ctx, cur)
	if err != nil {
		return fmt.Errorf("build token index of chunk %s: %w", meta.ID, err)
	}
	if err := Write(filepath.Join(dir, FileName), ts); err != nil {
		return fmt.Errorf("build token index of chunk %s: %w", meta.ID, err)
	}
	return nil
}

// NewCollector returns a collector of the chunk's tokens, for a pass
// shared with other indexes.
func (*Indexer) NewCollector(meta chunk.ChunkMeta, cur chunk.RecordCursor) (index.Collector, error) {
	if !meta.Sealed {
		return nil, fmt.Errorf("build token index of chunk %s: %w", meta.ID, index.ErrChunkNotSealed)
	}
	return collector{collect.NewTokenSet(cur.Len())}, nil
}

type collector struct{ ts *collect.TokenSet }

func (c collector) Add(pos uint32, rec *chunk.Record) { c.ts.Add(pos, rec.Raw) }

// AddLine makes the collector an index.LineCollector.
func (c collector) AddLine(pos uint32, line []byte) { c.ts.Add(pos, line) }

func (c collector) Finish(dir string) error { return Write(filepath.Join(dir, FileName), c.ts) }

// Stat reports the token index in dir.
func (*Indexer) Stat(dir string) index.Info {
	return stat(index.KindToken, filepath.Join(dir, FileName), func(p string) (interface{ Close() error }, error) { return Open(p) })
}

// Open opens dir/token.idx.
func (*Indexer) Open(dir string) (index.TokenReader, error) {
	r, err := Open(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	return r, nil
}

func stat(name, path string, open func(string) (interface{ Close() error }, error)) index.Info {
	info := index.Info{Name: name}
	fi, err := os.Stat(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			info.Err = err
		}
		return info
	}
	info.Exists, info.Bytes = true, fi.Size()
	r, err := open(path)
	if err != nil {
		info.Err = err
		return info
	}
	info.Complete = true
	info.Err = r.Close()
	return info
}

// Write writes the index of ts to path (temp file, fsync, rename).
func Write(path string, ts *collect.TokenSet) error {
	w, err := container.Create(path, container.TypeToken, Version)
	if err != nil {
		return err
	}
	meta := binary.LittleEndian.AppendUint64(nil, ts.Records)
	meta = binary.LittleEndian.AppendUint32(meta, uint32(ts.Tokens.Len()))
	meta = binary.LittleEndian.AppendUint32(meta, uint32(ts.Long.Len()))
	w.Write(meta)
	w.EndSection()
	for _, p := range []*collect.Postings{&ts.Tokens, &ts.Long} {
		if err := writeDict(w, p); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Commit()
}

// writeDict writes a blocks section and an index section.
func writeDict(w *container.Writer, p *collect.Postings) error {
	d := dict.NewWriter(w)
	var val []byte
	ps := dict.NewParents()
	for k, pos := range p.Longest(dict.MaxParents) {
		ps.Add(k, pos)
	}
	ps.Plan()
	for k, pos := range p.Sorted() {
		val = ps.AppendPostings(val[:0], k, pos)
		if err := d.Add(k, val); err != nil {
			return err
		}
	}
	idx, err := d.Finish()
	if err != nil {
		return err
	}
	w.EndSection()
	w.Write(idx)
	w.EndSection()
	return nil
}

// Reader reads a token index. It is safe for concurrent use.
type Reader struct {
	f            *container.File
	records      uint64
	count        int
	tokens, long *dict.Reader
}

var _ index.TokenReader = (*Reader)(nil)

// Open maps and checks a token index file.
func Open(path string) (*Reader, error) {
	return container.OpenReader(path, container.TypeToken, Version, sections, newReader)
}

// FromBytes reads a token index held in memory (tests, fuzzing).
func FromBytes(name string, data []byte) (*Reader, error) {
	f, err := container.FromBytes(name, data, container.TypeToken, Version, sections)
	if err != nil {
		return nil, err
	}
	return newReader(f)
}

func newReader(f *container.File) (*Reader, error) {
	meta, err := f.Verified(secMeta, "meta")
	if err != nil {
		return nil, err
	}
	if len(meta) != MetaSize {
		return nil, &index.CorruptError{Path: f.Path(), Section: "meta", Offset: f.Offset(secMeta), Reason: fmt.Sprintf("%d bytes, want %d", len(meta), MetaSize)}
	}
	r := &Reader{f: f, records: binary.LittleEndian.Uint64(meta)}
	r.count = int(binary.LittleEndian.Uint32(meta[8:]))
	long := int(binary.LittleEndian.Uint32(meta[12:]))
	if r.tokens, err = openDict(f, secTokenBlocks, secTokenIndex); err != nil {
		return nil, err
	}
	if r.long, err = openDict(f, secLongBlocks, secLongIndex); err != nil {
		return nil, err
	}
	if r.tokens.Len() != r.count || r.long.Len() != long {
		return nil, &index.CorruptError{Path: f.Path(), Section: "meta", Offset: f.Offset(secMeta),
			Reason: fmt.Sprintf("counts %d/%d, dictionaries hold %d/%d", r.count, long, r.tokens.Len(), r.long.Len())}
	}
	return r, nil
}

func openDict(f *container.File, blocks, idx int) (*dict.Reader, error) {
	ib, err := f.Verified(idx, "dictionary index")
	if err != nil {
		return nil, err
	}
	return dict.NewReader(f.Path(), f.Section(blocks), f.Offset(blocks), ib)
}

// Records is the number of records the index covers.
func (r *Reader) Records() uint64 { return r.records }

// Count is the number of distinct index tokens.
func (r *Reader) Count() int { return r.count }

// Size is the file size in bytes.
func (r *Reader) Size() int64 { return r.f.Size() }

// Lookup returns the records holding tok as a whole token run, any case.
func (r *Reader) Lookup(tok []byte) (*roaring.Bitmap, bool, error) {
	var buf [tokenizer.MaxTokenLen]byte
	low, v, held, err := r.get(buf[:0], tok)
	if err != nil || !held {
		return nil, held, err
	}
	if v == nil {
		return roaring.New(), true, nil
	}
	bm, err := r.decode(r.tokens, v, low)
	return bm, true, err
}

// get finds the posting list of tok, lowercased into buf: nil when no
// record holds it, held false when tok is not an index token.
func (r *Reader) get(buf, tok []byte) (low, v []byte, held bool, err error) {
	if len(tok) > tokenizer.MaxTokenLen {
		return nil, nil, false, nil
	}
	low = tokenizer.Lower(buf, tok)
	if !tokenizer.IsIndexToken(low) {
		return low, nil, false, nil
	}
	v, _, err = r.tokens.Get(low)
	return low, v, true, err
}

// LookupInto adds the records holding tok as a whole token run, any
// case, to dst (index.TokenBitsReader).
func (r *Reader) LookupInto(tok []byte, dst []uint64) (bool, error) {
	var buf [tokenizer.MaxTokenLen]byte
	low, v, held, err := r.get(buf[:0], tok)
	if err != nil || !held || v == nil {
		return held, err
	}
	if err := r.tokens.PostingsInto(v, r.records, dst); err != nil {
		return true, r.corrupt(low, err)
	}
	return true, nil
}

// LookupCount is len(Lookup(tok)) without building the list (a frequent
// token stored as a subset of a longer list is counted from its ranks).
func (r *Reader) LookupCount(tok []byte) (uint64, bool, error) {
	var buf [tokenizer.MaxTokenLen]byte
	low, v, held, err := r.get(buf[:0], tok)
	if err != nil || !held || v == nil {
		return 0, held, err
	}
	n, err := r.tokens.Count(v, r.records)
	if err != nil {
		return 0, true, r.corrupt(low, err)
	}
	return n, true, nil
}

func (r *Reader) decode(d *dict.Reader, v, key []byte) (*roaring.Bitmap, error) {
	bm, err := d.Postings(v, r.records)
	if err != nil {
		return nil, r.corrupt(key, err)
	}
	return bm, nil
}

// corrupt is the error for key's damaged posting list; a bitset too short
// for the records is the caller's mistake and stays itself.
func (r *Reader) corrupt(key []byte, err error) error {
	if errors.Is(err, dict.ErrShortBitset) {
		return fmt.Errorf("%s: %w", r.f.Path(), err)
	}
	return &index.CorruptError{Path: r.f.Path(), Section: "postings", Offset: -1, Reason: fmt.Sprintf("%q: %v", key, err)}
}

// PrefixComplete reports whether the index answers a prefix query for p
// (lowercased) exactly: p is 2 to 16 token bytes and holds a letter, so
// every run starting with p is an index token or a long run.
func PrefixComplete(p []byte) bool {
	if len(p) < tokenizer.MinTokenLen || len(p) > tokenizer.MaxTokenLen {
		return false
	}
	letter := false
	for _, c := range p {
		if !tokenizer.IsTokenByte(c) {
			return false
		}
		letter = letter || 'a' <= c|0x20 && c|0x20 <= 'z'
	}
	return letter
}

// Prefix returns the records holding a token run that starts with p.
func (r *Reader) Prefix(p []byte) (*roaring.Bitmap, bool, error) {
	if !PrefixComplete(p) {
		return nil, false, nil
	}
	var buf [tokenizer.MaxTokenLen]byte
	low := tokenizer.Lower(buf[:0], p)
	out := roaring.New()
	for _, d := range []*dict.Reader{r.tokens, r.long} {
		for e, err := range d.Prefix(low) {
			if err != nil {
				return nil, true, err
			}
			bm, err := r.decode(d, e.Value, e.Key)
			if err != nil {
				return nil, true, err
			}
			out.Or(bm)
		}
	}
	if len(low) > collect.BucketLen {
		// IDs and long hex runs starting with p are in the bucket of p's
		// first bytes (collect.LongKey).
		v, ok, err := r.long.Get(low[:collect.BucketLen])
		if err != nil {
			return nil, true, err
		}
		if ok {
			bm, err := r.decode(r.long, v, low[:collect.BucketLen])
			if err != nil {
				return nil, true, err
			}
			out.Or(bm)
		}
	}
	return out, true, nil
}

// Tokens walks the index tokens starting with p (lowercased) in order.
func (r *Reader) Tokens(p []byte) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		low := tokenizer.Lower(nil, p)
		for e, err := range r.tokens.Prefix(low) {
			if !yield(e.Key, err) || err != nil {
				return
			}
		}
	}
}

// Verify checks every section against its checksum, the whole file read
// once (for `glarc verify`; lookups check only what they read).
func (r *Reader) Verify() error {
	for i, name := range []string{"meta", "token blocks", "token index", "long blocks", "long index"} {
		if err := r.f.Verify(i, name); err != nil {
			return err
		}
	}
	return nil
}

// Close unmaps the file.
func (r *Reader) Close() error { return r.f.Close() }
