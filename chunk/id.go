package chunk

import (
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// ChunkID names a chunk: the Unix time in microseconds at which it was
// created, as 8 big-endian bytes. Its string form is 13 characters of
// lower-case base32hex without padding, so IDs sort the same as strings and
// as bytes.
type ChunkID [IDSize]byte

// IDSize is the size of a ChunkID in bytes; IDStringLen the length of its text.
const (
	IDSize      = 8
	IDStringLen = 13
)

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// String returns the 13-character base32hex form.
func (id ChunkID) String() string { return idEncoding.EncodeToString(id[:]) }

// Time returns the creation time encoded in the ID.
func (id ChunkID) Time() time.Time {
	return time.UnixMicro(int64(binary.BigEndian.Uint64(id[:])))
}

// Micros returns the ID as Unix microseconds.
func (id ChunkID) Micros() uint64 { return binary.BigEndian.Uint64(id[:]) }

// IDFromMicros builds an ID from Unix microseconds.
func IDFromMicros(us uint64) ChunkID {
	var id ChunkID
	binary.BigEndian.PutUint64(id[:], us)
	return id
}

// ParseID parses the 13-character form.
func ParseID(s string) (ChunkID, error) {
	var id ChunkID
	if len(s) != IDStringLen {
		return id, fmt.Errorf("parse chunk ID %q: want %d characters", s, IDStringLen)
	}
	b, err := idEncoding.DecodeString(s)
	if err != nil || len(b) != IDSize {
		return id, fmt.Errorf("parse chunk ID %q: not base32hex", s)
	}
	copy(id[:], b)
	if id.String() != s {
		return id, fmt.Errorf("parse chunk ID %q: not canonical", s)
	}
	return id, nil
}

// IDGenerator hands out strictly increasing ChunkIDs, even when called
// several times in one microsecond or when the clock steps back.
type IDGenerator struct {
	mu   sync.Mutex // guards last
	last uint64
	now  func() time.Time
}

// NewIDGenerator returns a generator that never returns an ID at or below
// floor (pass the newest existing ID, or the zero ID).
func NewIDGenerator(floor ChunkID, now func() time.Time) *IDGenerator {
	if now == nil {
		now = time.Now
	}
	return &IDGenerator{last: floor.Micros(), now: now}
}

// Next returns a new ID greater than every ID returned before.
func (g *IDGenerator) Next() ChunkID {
	g.mu.Lock()
	defer g.mu.Unlock()
	us := uint64(g.now().UnixMicro())
	if us <= g.last {
		us = g.last + 1
	}
	g.last = us
	return IDFromMicros(us)
}
