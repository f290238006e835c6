package loki

import (
	"time"

	"glarc/chunk"
)

// Entry is one Loki log entry.
type Entry struct {
	// Timestamp is the entry's time, in UTC, with nanoseconds.
	Timestamp time.Time
	// Labels holds the stream labels and the entry's structured metadata,
	// each under its own name. Each entry has its own map.
	Labels chunk.Attributes
	// Line is the log line, exactly as sent.
	Line []byte
}

// Record turns the entry into a record read at ingest: Raw is Line (not
// copied), SourceTS is Timestamp, Attrs is Labels.
func (e Entry) Record(ingest time.Time) chunk.Record {
	return chunk.Record{SourceTS: e.Timestamp, IngestTS: ingest, Attrs: e.Labels, Raw: e.Line}
}

// metadataSuffix is appended to a structured-metadata name that collides
// with a stream label, as Loki's query engine does for extracted labels, so
// neither value is lost.
const metadataSuffix = "_extracted"

// addMetadata adds a structured-metadata pair to labels.
func addMetadata(labels chunk.Attributes, name, value string) {
	if _, clash := labels[name]; clash {
		name += metadataSuffix
	}
	labels[name] = value
}
