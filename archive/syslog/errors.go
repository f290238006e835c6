package syslog

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every parse error is a *ParseError wrapping one of these;
// test for them with errors.Is.
var (
	// ErrEmpty means the input has no bytes.
	ErrEmpty = errors.New("empty message")
	// ErrBadPriority means a PRI part is malformed: no '<', no digits, more
	// than three digits, no closing '>', or a value above 191.
	ErrBadPriority = errors.New("bad priority")
	// ErrBadVersion means an RFC 5424 VERSION is missing or malformed.
	ErrBadVersion = errors.New("bad version")
	// ErrNoTimestamp means no timestamp was found where one must be (an
	// RFC 3164 message that does not start with a month name or a date).
	ErrNoTimestamp = errors.New("no timestamp")
	// ErrBadTimestamp means a timestamp was recognised but is malformed or
	// out of range (day 34, minute 99, 7 fraction digits in RFC 5424, ...).
	ErrBadTimestamp = errors.New("bad timestamp")
	// ErrBadHeader means an RFC 5424 header field (HOSTNAME, APP-NAME,
	// PROCID, MSGID) is empty, too long, holds a character outside
	// PRINTUSASCII, or is not followed by exactly one SP.
	ErrBadHeader = errors.New("bad header field")
	// ErrBadStructuredData means RFC 5424 STRUCTURED-DATA is malformed,
	// or repeats an SD-ID.
	ErrBadStructuredData = errors.New("bad structured data")
)

// ParseError says where and why parsing failed.
type ParseError struct {
	// Offset is the byte offset in the input where parsing failed.
	Offset int
	// Err is one of the sentinel errors above.
	Err error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("syslog: %v at offset %d", e.Err, e.Offset)
}

func (e *ParseError) Unwrap() error { return e.Err }

func errAt(off int, err error) error { return &ParseError{Offset: off, Err: err} }
