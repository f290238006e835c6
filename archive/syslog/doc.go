// Package syslog parses syslog messages and log-file lines into fields, for
// `glarc import` (files) and `glarc serve` (network messages).
//
//	opts := syslog.Options{Location: time.Local, Years: syslog.NewYearGuesser(fileModTime)}
//	for line := range lines { // one record, without its line terminator
//		m, err := syslog.Parse(line, opts)
//		if err != nil {
//			// Keep the line as a raw record; err is a *syslog.ParseError
//			// naming the offset, errors.Is(err, syslog.ErrNoTimestamp) etc.
//			continue
//		}
//		rec := chunk.Record{SourceTS: m.Timestamp, Attrs: m.Attrs(), Raw: line}
//		_ = rec
//	}
//
// Three syntaxes are understood; Parse picks one per message:
//
//	<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG    RFC 5424          ParseRFC5424
//	2026-03-01T00:00:00.123456+00:00 host app[1]: m  rsyslog file line ParseRFC3339File
//	[<PRI>]Mmm dd hh:mm:ss host app[1]: m            RFC 3164 / BSD    ParseRFC3164
//	<PRI>2026-03-01T00:00:00+00:00 host app[1]: m    rsyslog forward   ParseRFC3164
//
// ParseRFC5424 is strict: whatever RFC 5424 forbids is an error. The RFC
// 3164 parser is lenient the way real files need (no PRI, padded or
// unpadded days, upper-case months, tags with spaces, macOS tag groups; see
// ParseRFC3164 for the exact TAG rules). Year-less stamps take their year
// and zone from Options; a YearGuesser dates a whole file across New Year.
//
// The parsers never panic and allocate only what the Message holds: the
// Hostname/AppName/ProcID/MsgID strings, the structured-data maps, and a
// time.Location for RFC 3339 stamps with a non-zero offset. Message.Message
// is a sub-slice of the input, so the input must not be reused while the
// Message is in use. Leaving Options.Year at 0 reads the clock for every
// year-less stamp; hot paths should set Year or Years, or use
// Options.WithDefaults. ParseFields parses into a Fields, whose header
// fields are sub-slices of the input, and allocates nothing for a message
// without structured data (a hot path such as import encodes attributes
// straight from them):
//
//	var f syslog.Fields
//	err := syslog.ParseFields(line, opts, &f) // f.AsMessage() is what Parse returns
//
// Message.AppendAttrs turns a message into archive attributes (host, app,
// pid, msgid, facility, severity and the SD params) following DESIGN.md.
package syslog
