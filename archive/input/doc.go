// Package input is the front end of `glarc import`: it opens a possibly
// compressed stream, splits it into lines with bounded memory, and guesses
// which log format the lines are in.
//
//	rc, comp, err := input.Open(f) // gzip, zstd, bzip2 or plain, by magic bytes
//	if err != nil { ... }
//	defer rc.Close()
//	lr := input.NewLineReader(rc, 0) // 0 = DefaultMaxLine (16 MiB)
//	for line, err := range lr.All() {
//		if errors.Is(err, input.ErrLineTooLong) {
//			continue // counted and skipped; the error names line and offset
//		}
//		if err != nil {
//			return err // e.g. a truncated .gz: every line before it was delivered
//		}
//		use(line.Number, line.Offset, line.Text) // Text is valid until the next line
//	}
//
// A PageReader splits the same way but reads straight into pages the
// caller owns, whole lines per page, so the text can be handed on without
// a copy per line (import gives the pages to the archive's bulk writer):
//
//	pr := input.NewPageReader(rc, 0)
//	var ls input.PageLines
//	page, lineErrs, err := pr.Next(make([]byte, 0, 256<<10), 4096, &ls)
//
// Format detection looks at the first non-empty lines (or the head of the
// stream) and takes a majority vote:
//
//	f := input.DetectHead(head) // or input.Detect(lines)
//	f, err := input.ParseFormat("loki-jsonl") // for --format NAME
//
// Lines are split on LF; a CR is removed only when it directly precedes the
// LF. The last line is delivered even without a terminator. Bytes are passed
// through untouched: NUL bytes and invalid UTF-8 stay as they are.
package input
