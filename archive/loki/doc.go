// Package loki reads what Grafana Loki and logcli write, for `glarc import`
// and the live push receiver, and writes it back for `glarc export` and
// `glarc query -o jsonl`.
//
//	entries, err := loki.DecodePushJSON(body)   // POST /loki/api/v1/push, application/json
//	entries, err := loki.DecodePushProto(body)  // application/x-protobuf (snappy block + protobuf)
//	e, err := loki.ParseJSONLLine(line)         // logcli query --output=jsonl
//	e, ok, err := dump.Add(line)                // logcli default output (var dump loki.DefaultDump)
//	rec := e.Record(time.Now())                 // Raw = the line, SourceTS = the ns timestamp
//
//	out = loki.AppendJSONL(out, rec.Attrs, rec.Raw, rec.SourceTS.UTC()) // what logcli -o jsonl prints
//
// An Entry's Labels hold the stream labels and the structured metadata
// under their own names (a metadata name equal to a stream label gets the
// suffix "_extracted"). logcli dumps cannot tell the two apart anyway: Loki
// merges metadata into the labels of query results.
//
// `logcli --output=raw` prints only the lines, with no timestamps or
// labels: such a dump is a plain log file and is imported as one.
// FORMATS.md lists no logcli part files: a dump is what logcli wrote to
// stdout, one entry per line (jsonl) or per line group (default).
//
// The byte formats are described in shared/testdata/loki/FORMATS.md.
package loki
