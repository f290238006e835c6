package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"glarc/chunk"
)

// checkEvery is how many records pass between context checks in Walk.
const checkEvery = 1024

// Walk calls fn for every record of cur from position 0, in order. Raw and
// Attrs are valid only during the call. It fails with ErrTooManyRecords
// when a position does not fit in uint32, and stops at fn's first error.
func Walk(ctx context.Context, cur chunk.RecordCursor, fn func(pos uint32, rec *chunk.Record) error) error {
	if cur.Len() > math.MaxUint32 {
		return fmt.Errorf("%d records: %w", cur.Len(), ErrTooManyRecords)
	}
	if err := cur.Seek(0); err != nil {
		return fmt.Errorf("seek to the first record: %w", err)
	}
	// One Record for the whole walk: fn may keep &rec from escaping
	// analysis, which would otherwise allocate it per record.
	var rec chunk.Record
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var ref chunk.RecordRef
		var err error
		rec, ref, err = cur.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read record %d: %w", n, err)
		}
		if ref.Pos > math.MaxUint32 {
			return fmt.Errorf("position %d: %w", ref.Pos, ErrTooManyRecords)
		}
		if err := fn(uint32(ref.Pos), &rec); err != nil {
			return err
		}
	}
}
