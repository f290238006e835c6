package input

// Consumed returns the stream offset just past the last line returned or
// skipped (its terminator included): where reading would resume.
func (lr *LineReader) Consumed() int64 { return lr.base + int64(lr.start) }
