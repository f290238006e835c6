package query

import (
	"context"

	"github.com/RoaringBitmap/roaring/v2"

	"glarc/chunk"
)

// CandidateSource narrows a chunk to the positions that may match a query,
// typically from an index. It must return a superset of the matches: Run
// checks every candidate with Query.Match, so a candidate too many costs a
// read, a candidate too few loses a result.
type CandidateSource interface {
	// Candidates is called once per chunk that Run or Count reaches, before
	// the chunk's cursor is opened. It may return AllPositions when it
	// cannot narrow the chunk (no index, or a term no index answers).
	// Count calls it from several goroutines at once.
	Candidates(ctx context.Context, meta chunk.ChunkMeta, q *Query) (Candidates, error)
}

// Candidates is a CandidateSource's answer for one chunk.
type Candidates struct {
	// Positions holds the candidate record positions (0-based, in the
	// chunk's time order; chunks hold fewer than 2³² records). Nil means
	// every position: scan the chunk. An empty bitmap means none, and the
	// chunk is not opened. Run only reads it.
	Positions *roaring.Bitmap
	// Source names what produced the answer, for --explain: "token index",
	// "scan".
	Source string
	// Reason says why, for --explain: `token "error": 12 blocks`,
	// "chunk not indexed".
	Reason string
	// Exact says that every candidate matches the query (the time range
	// aside): Run then reads the candidates without checking them, nor
	// searching their blocks' text for the query's literal.
	Exact bool
}

// AllPositions is the answer that narrows nothing: scan the chunk.
func AllPositions(source, reason string) Candidates {
	return Candidates{Source: source, Reason: reason}
}

// All reports whether c stands for every position.
func (c Candidates) All() bool { return c.Positions == nil }
