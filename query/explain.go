package query

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"glarc/chunk"
)

// Explain collects what Run or Count did, chunk by chunk, for --explain.
// Pass a fresh one in Options.Explain; it is complete once the iteration
// ends (or Count returns).
type Explain struct {
	// Query is the canonical form of the query.
	Query        string
	Since, Until time.Time
	Reverse      bool
	Limit        int
	// Chunks has one entry per chunk listed, in chunk ID order.
	Chunks []ChunkExplain
	// Returned is the number of records yielded (or counted).
	Returned uint64
}

// ChunkStatus says how far a query got with one chunk.
type ChunkStatus uint8

// Chunk statuses.
const (
	// StatusNotReached: the limit was met before the merge reached the chunk.
	StatusNotReached ChunkStatus = iota
	// StatusPruned: the chunk's time range is outside [Since, Until].
	StatusPruned
	// StatusNoCandidates: the candidate source ruled out every position.
	StatusNoCandidates
	// StatusRead: the chunk was opened and read (maybe not to the end,
	// see ChunkExplain.Stopped).
	StatusRead
	// StatusCounted: every record matched and lay in range, so the chunk
	// was counted from its metadata without being opened.
	StatusCounted
)

var statusText = [...]string{
	StatusNotReached:   "not reached",
	StatusPruned:       "pruned by time",
	StatusNoCandidates: "no candidates",
	StatusRead:         "read",
	StatusCounted:      "counted from metadata",
}

func (s ChunkStatus) String() string {
	if int(s) < len(statusText) {
		return statusText[s]
	}
	return fmt.Sprintf("status(%d)", s)
}

// ChunkExplain is what happened to one chunk.
type ChunkExplain struct {
	ID           chunk.ChunkID
	MinTS, MaxTS time.Time
	Records      uint64
	Status       ChunkStatus
	// Source and Reason come from the CandidateSource ("scan" without one).
	Source, Reason string
	// Candidates is the number of positions to check in the time range;
	// the records in range when scanning.
	Candidates uint64
	// Checked is the number of records read and checked with Match;
	// Matched the number that matched.
	Checked, Matched uint64
	// Stopped is set when the query ended (limit met, consumer stopped)
	// before the chunk was read to the end.
	Stopped bool
}

// ExplainTotals sums an Explain over its chunks.
type ExplainTotals struct {
	Chunks, Pruned, NotReached, NoCandidates, Read uint64
	Records, Candidates, Checked, Matched          uint64
}

// Totals sums the per-chunk entries.
func (e *Explain) Totals() ExplainTotals {
	var t ExplainTotals
	for _, c := range e.Chunks {
		t.Chunks++
		switch c.Status {
		case StatusPruned:
			t.Pruned++
		case StatusNotReached:
			t.NotReached++
		case StatusNoCandidates:
			t.NoCandidates++
		case StatusRead, StatusCounted:
			t.Read++
		}
		t.Records += c.Records
		t.Candidates += c.Candidates
		t.Checked += c.Checked
		t.Matched += c.Matched
	}
	return t
}

// WriteTo prints the explanation as a table, one line per chunk, then the
// totals.
func (e *Explain) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	fmt.Fprintf(cw, "query: %s\n", e.Query)
	fmt.Fprintf(cw, "range: %s .. %s", fmtBound(e.Since), fmtBound(e.Until))
	if e.Reverse {
		fmt.Fprint(cw, ", newest first")
	} else {
		fmt.Fprint(cw, ", oldest first")
	}
	if e.Limit > 0 {
		fmt.Fprintf(cw, ", limit %d", e.Limit)
	}
	fmt.Fprintln(cw)
	tw := tabwriter.NewWriter(cw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "chunk\trecords\tcandidates\tchecked\tmatched\t\tstatus\tsource\treason\t")
	for _, c := range e.Chunks {
		status := c.Status.String()
		if c.Stopped {
			status += " (stopped)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\t%s\t%s\t%s\t\n",
			c.ID, c.Records, c.Candidates, c.Checked, c.Matched, status, c.Source, c.Reason)
	}
	if err := tw.Flush(); err != nil {
		return cw.n, err
	}
	t := e.Totals()
	fmt.Fprintf(cw, "total: %d chunks (%d pruned by time, %d without candidates, %d not reached, %d read), "+
		"%d records, %d candidates, %d checked, %d matched, %d returned\n",
		t.Chunks, t.Pruned, t.NoCandidates, t.NotReached, t.Read,
		t.Records, t.Candidates, t.Checked, t.Matched, e.Returned)
	return cw.n, cw.err
}

func fmtBound(t time.Time) string {
	if t.IsZero() {
		return "(open)"
	}
	return t.Format(time.RFC3339Nano)
}

// countWriter counts bytes written and keeps the first error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
