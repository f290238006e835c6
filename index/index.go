// Package index defines the inverted indexes glarc keeps beside each sealed
// chunk, the interfaces a query planner reads them through, and BuildHelper,
// which builds whatever is missing.
//
//	m := file.NewManager(collect.Budget{})        // or memory.NewManager in tests
//	h := index.NewBuildHelper(chunks, m, index.BuildOptions{Dir: dirOf})
//	err := h.BuildMissing(ctx, metas...)          // token, attr, kv and block filters,
//	                                              // one read of each chunk for all of them
//
//	set := m.Open(dirOf(id))                      // whatever exists and is intact;
//	defer set.Close()                             // set.Errs says why a kind is missing
//	if set.Token != nil {
//		bm, held, err := set.Token.Lookup([]byte("failed"))
//		// held == false: not an index token (number, > 16 bytes, ...); ask
//		// set.Blocks.Candidates(runs) instead, or scan.
//	}
//
// # Kinds
//
// Every sealed chunk gets one index set:
//   - token: lowercased index tokens (tokenizer.Append) → positions, plus the
//     16-byte prefixes of longer runs so that `auth*` can be answered;
//   - attr: record attributes, key (lowercased) and value (lowercased) →
//     positions, and key → positions for `key=*`;
//   - kv: key=value pairs found in the line text (tokenizer.Pairs), same
//     shape as attr, with an admission budget;
//   - blocks: per-block filters over every token run of the block, so that a
//     query for `173.234.31.186` skips blocks that cannot hold all its runs.
//
// Positions are chunk.RecordRef.Pos values (the chunk's time order) and fit
// in uint32. Posting lists are returned as *roaring.Bitmap, owned by the
// caller.
//
// # Narrow, never drop
//
// An index may narrow a query's candidates, never drop a match. Every lookup
// therefore says whether its answer is complete: Lookup returns held=false
// when the index does not hold that token or pair (the planner must fall back
// to the block filters or a scan), and a damaged index is an error wrapping
// ErrCorrupt (the planner then scans the chunk) — never a panic.
package index

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/chunk"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrChunkNotSealed means Build was given an active chunk; only sealed
	// chunks are indexed.
	ErrChunkNotSealed = errors.New("chunk not sealed")
	// ErrCorrupt marks an index file that failed a checksum or a structural
	// check. The wrapping *CorruptError names the file, section and offset.
	ErrCorrupt = errors.New("corrupt index")
	// ErrIncomplete means the index file exists but was never finished
	// (complete flag not set). It is not used.
	ErrIncomplete = errors.New("index incomplete")
	// ErrNotBuilt means the chunk has no index of this kind yet.
	ErrNotBuilt = errors.New("index not built")
	// ErrFormatVersion means the index file is in a format version this
	// glarc does not read (written by another release): it is not used,
	// and `glarc index` builds it again.
	ErrFormatVersion = errors.New("index format version not read by this glarc")
	// ErrTooManyRecords means a chunk holds more records than a uint32
	// position can name.
	ErrTooManyRecords = errors.New("chunk has too many records to index")
)

// CorruptError describes damage found in an index file. It wraps ErrCorrupt.
type CorruptError struct {
	Path    string // file, or the memory key
	Section string // "header", "footer", "dict", ...
	Offset  int64  // byte offset in the file, -1 if unknown
	Reason  string
}

func (e *CorruptError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%s: %s at offset %d: %s: %s", e.Path, e.Section, e.Offset, ErrCorrupt, e.Reason)
	}
	return fmt.Sprintf("%s: %s: %s: %s", e.Path, e.Section, ErrCorrupt, e.Reason)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// Kind names, the values of Indexer.Name.
const (
	KindToken  = "token"
	KindAttr   = "attr"
	KindKV     = "kv"
	KindBlocks = "blocks"
)

// Indexer builds one kind of index for sealed chunks.
type Indexer interface {
	// Name is the index kind: KindToken, KindAttr, KindKV or KindBlocks.
	Name() string
	// Build walks cur from position 0 and writes the index of the chunk into
	// dir, replacing any previous one. It returns ErrChunkNotSealed when
	// meta.Sealed is false. It does not close cur.
	Build(ctx context.Context, meta chunk.ChunkMeta, cur chunk.RecordCursor, dir string) error
	// Stat reports whether the index of the chunk in dir exists and is
	// complete and intact, and its size.
	Stat(dir string) Info
}

// Collector gathers one index of one chunk during a pass over its records
// that other collectors share (BuildHelper reads a chunk once for all the
// SharedIndexers it builds).
type Collector interface {
	// Add takes the record at pos. Positions arrive in ascending order from
	// 0; rec and everything it points to are valid only during the call.
	Add(pos uint32, rec *chunk.Record)
	// Finish writes the index into dir, replacing any previous one.
	Finish(dir string) error
}

// LineCollector is a Collector that reads only a record's Raw line, never
// its attributes or times. A shared pass may feed it from another
// goroutine, and reads the chunk without attributes (chunk.AttrSkipper)
// when every collector is one.
type LineCollector interface {
	Collector
	// AddLine takes the line of the record at pos, as Add would; line is
	// valid only during the call.
	AddLine(pos uint32, line []byte)
}

// AttrCollector is a Collector that reads only a record's attributes,
// never its line or times. A shared pass over a chunk of blocks
// (chunk.BlockTexter) may feed it the attributes alone.
type AttrCollector interface {
	Collector
	// AddAttrs takes the attributes of the record at pos, as Add would;
	// attrs is valid only during the call.
	AddAttrs(pos uint32, attrs chunk.Attributes)
}

// BlockAttrCollector is an AttrCollector that can take the attributes of
// a chunk block one at a time, as a cursor's columns hold them
// (chunk.BlockAttrs), instead of a map per record. A shared pass calls
// StartAttrBlock before the attributes of each block, then AddAttr for
// each attribute of its records in position order: for a record, the
// calls hold exactly what AddAttrs would get in one map.
type BlockAttrCollector interface {
	AttrCollector
	// StartAttrBlock starts a block: the columns numbered by AddAttr are
	// its own.
	StartAttrBlock()
	// AddAttr takes the attribute key=value of the record at pos, from
	// column col of the block; value is valid only during the call.
	AddAttr(pos uint32, col int, key string, value []byte)
}

// SharedIndexer is an Indexer whose build can join a shared pass.
type SharedIndexer interface {
	Indexer
	// NewCollector returns a collector for the chunk meta. It returns
	// ErrChunkNotSealed when meta.Sealed is false. cur is the cursor the
	// pass will read: the collector may ask its Len and block layout
	// (chunk.BlockLayout) but must not move it.
	NewCollector(meta chunk.ChunkMeta, cur chunk.RecordCursor) (Collector, error)
}

// Info describes one index of one chunk, for `glarc chunks` and `stats`.
type Info struct {
	Name     string
	Exists   bool
	Complete bool  // exists, complete flag set, and the eager checksums pass
	Bytes    int64 // size on disk (or in memory)
	Err      error // why it is not complete, if it exists
}

// TokenIndexer builds and opens token indexes.
type TokenIndexer interface {
	Indexer
	Open(dir string) (TokenReader, error)
}

// PairIndexer builds and opens attr or kv indexes.
type PairIndexer interface {
	Indexer
	Open(dir string) (PairReader, error)
}

// BlockIndexer builds and opens per-block filters.
type BlockIndexer interface {
	Indexer
	Open(dir string) (BlockReader, error)
}

// TokenReader answers token lookups on one chunk. Readers are safe for
// concurrent use; bitmaps they return belong to the caller.
type TokenReader interface {
	// Lookup returns the positions of records whose line holds tok as a
	// whole token, ASCII case-insensitively. held is false when tok is not
	// an index token (tokenizer.IsIndexToken of its lowercase form), in
	// which case bm is nil and the index cannot answer.
	Lookup(tok []byte) (bm *roaring.Bitmap, held bool, err error)
	// Prefix returns a superset of the positions of records holding a
	// token run that starts with p (`auth*`); it is exact unless p is made
	// of hex digits and '-' (long hex runs such as UUIDs are bucketed).
	// complete is false when the index cannot answer at all (p has no
	// letter, non-token bytes, or is shorter than tokenizer.MinTokenLen or
	// longer than tokenizer.MaxTokenLen); bm is nil then.
	Prefix(p []byte) (bm *roaring.Bitmap, complete bool, err error)
	// Tokens walks the index tokens starting with p in sorted order (all of
	// them for an empty p). The slice is valid only during the yield.
	Tokens(p []byte) iter.Seq2[[]byte, error]
	// Count is the number of distinct index tokens.
	Count() int
	// Records is the number of records the index covers.
	Records() uint64
	Close() error
}

// TokenCounter is implemented by token readers that count a token's
// records without building its list (len(Lookup(tok)), same held and err).
type TokenCounter interface {
	LookupCount(tok []byte) (n uint64, held bool, err error)
}

// TokenBitsReader is implemented by token readers that add a token's
// records to a caller's bitset instead of building a bitmap (position p is
// bit p%64 of dst[p/64]; dst holds at least (Records()+63)/64 words), so a
// caller that reuses dst decodes long lists without fresh memory. held and
// err are Lookup's; on an error dst may hold part of the list.
type TokenBitsReader interface {
	LookupInto(tok []byte, dst []uint64) (held bool, err error)
}

// PairBitsReader is to PairReader what TokenBitsReader is to TokenReader:
// Lookup and Key adding their records to dst.
type PairBitsReader interface {
	LookupInto(key, value string, dst []uint64) (held bool, err error)
	KeyInto(key string, dst []uint64) (held bool, err error)
}

// PairReader answers key/value lookups (attr and kv indexes). Keys and
// values are matched ASCII case-insensitively.
type PairReader interface {
	// Lookup returns the positions of records with key=value. held is false
	// when the admission budget left this key's values out (Complete(key)
	// is false); bm is nil then.
	Lookup(key, value string) (bm *roaring.Bitmap, held bool, err error)
	// Key returns the positions of records with key present (`key=*`).
	// held is false when the key itself was left out (too many keys).
	Key(key string) (bm *roaring.Bitmap, held bool, err error)
	// HasKey reports whether some record of the chunk has key. It is only
	// exact when Complete(key) or the key is held.
	HasKey(key string) bool
	// Keys walks the held keys in sorted order.
	Keys() iter.Seq2[string, error]
	// Values walks the held values of key in sorted order.
	Values(key string) iter.Seq2[string, error]
	// Complete reports whether every key=value pair of key is held, so that
	// Lookup answers exactly.
	Complete(key string) bool
	Records() uint64
	Close() error
}

// BlockReader answers "may this block hold all these token runs?".
type BlockReader interface {
	// BlockStarts returns the first position of each block, ascending,
	// starting at 0; the last block runs to Records().
	BlockStarts() []uint64
	// MayContain reports whether block may hold every key of runs: token
	// runs, or run pairs (tokenizer.RunPairs), in any case (they are
	// lowercased while hashing). Pass a phrase's runs and its run pairs: an
	// IP address then needs each of its neighbouring number pairs
	// somewhere in the block. False is exact: no record of the block holds
	// all of them. A damaged filter, or a block
	// out of range, answers true (so the block is scanned); Candidates
	// reports the damage as an error.
	MayContain(block int, runs [][]byte) bool
	// Candidates returns the positions of every block that may contain all
	// keys of runs (token runs or run pairs).
	Candidates(runs [][]byte) (*roaring.Bitmap, error)
	Records() uint64
	Close() error
}
