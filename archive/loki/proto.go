package loki

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"time"

	"glarc/chunk"
)

// The push protobuf is decoded by hand: the schema is small and fixed
// (pkg/push/push.proto), and the generated types would link gRPC and two
// protobuf runtimes into every glarc command, whose package init alone
// costs tens of milliseconds per query.
//
//	PushRequest       1: StreamAdapter (repeated)   2: format (string, ignored)
//	StreamAdapter     1: labels (string)            2: EntryAdapter (repeated)   3: hash (ignored)
//	EntryAdapter      1: timestamp (Timestamp)      2: line (bytes)
//	                  3: structuredMetadata, 4: parsed (LabelPairAdapter, repeated)
//	LabelPairAdapter  1: name                       2: value
//	Timestamp         1: seconds (int64)            2: nanos (int32)
//
// Unknown fields are skipped by wire type, as protobuf requires.

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

var errProto = errors.New("bad protobuf")

// protoReader reads fields of one message; every length is checked
// against what remains.
type protoReader struct {
	b   []byte
	off int
}

func (r *protoReader) done() bool { return r.off >= len(r.b) }

func (r *protoReader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad varint at offset %d", errProto, r.off)
	}
	r.off += n
	return v, nil
}

// field returns the next field's number and wire type.
func (r *protoReader) field() (int, int, error) {
	k, err := r.varint()
	if err != nil {
		return 0, 0, err
	}
	num, typ := int(k>>3), int(k&7)
	if num == 0 || k>>3 > 1<<29 {
		return 0, 0, fmt.Errorf("%w: bad field number at offset %d", errProto, r.off)
	}
	return num, typ, nil
}

func (r *protoReader) bytes() ([]byte, error) {
	l, err := r.varint()
	if err != nil {
		return nil, err
	}
	if l > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("%w: length %d at offset %d exceeds the %d bytes left", errProto, l, r.off, len(r.b)-r.off)
	}
	s := r.b[r.off : r.off+int(l)]
	r.off += int(l)
	return s, nil
}

// skip skips a field of wire type typ.
func (r *protoReader) skip(typ int) error {
	switch typ {
	case wireVarint:
		_, err := r.varint()
		return err
	case wireBytes:
		_, err := r.bytes()
		return err
	case wireFixed64, wireFixed32:
		n := 8
		if typ == wireFixed32 {
			n = 4
		}
		if len(r.b)-r.off < n {
			return fmt.Errorf("%w: fixed field cut short at offset %d", errProto, r.off)
		}
		r.off += n
		return nil
	}
	return fmt.Errorf("%w: unsupported wire type %d at offset %d", errProto, typ, r.off)
}

// expect checks a known field's wire type.
func expect(num, typ, want int) error {
	if typ != want {
		return fmt.Errorf("%w: field %d has wire type %d, want %d", errProto, num, typ, want)
	}
	return nil
}

type protoStream struct {
	labels  string
	entries [][]byte
}

// decodeProto decodes an uncompressed PushRequest. Lines are copied into
// one arena so the entries own their bytes.
func decodeProto(buf []byte) ([]Entry, error) {
	var streams []protoStream
	count, size := 0, 0
	r := &protoReader{b: buf}
	for !r.done() {
		num, typ, err := r.field()
		if err != nil {
			return nil, invalidProto(err)
		}
		if num != 1 {
			if err := r.skip(typ); err != nil {
				return nil, invalidProto(err)
			}
			continue
		}
		if err := expect(num, typ, wireBytes); err != nil {
			return nil, invalidProto(err)
		}
		msg, err := r.bytes()
		if err != nil {
			return nil, invalidProto(err)
		}
		s, err := decodeStream(msg)
		if err != nil {
			return nil, invalidProto(fmt.Errorf("streams[%d]: %w", len(streams), err))
		}
		count += len(s.entries)
		size += len(msg)
		streams = append(streams, s)
	}
	entries := make([]Entry, 0, count)
	arena := make([]byte, 0, size)
	for si, s := range streams {
		stream, err := ParseLabels(s.labels)
		if err != nil {
			return nil, fmt.Errorf("%w: streams[%d].labels: %w", ErrInvalidPush, si, err)
		}
		for ei, msg := range s.entries {
			e, err := decodeEntry(msg, stream, &arena)
			if err != nil {
				return nil, invalidProto(fmt.Errorf("streams[%d].entries[%d]: %w", si, ei, err))
			}
			entries = append(entries, e)
		}
	}
	return entries, nil
}

func invalidProto(err error) error {
	return fmt.Errorf("%w: protobuf: %v", ErrInvalidPush, err)
}

func decodeStream(b []byte) (protoStream, error) {
	var s protoStream
	r := &protoReader{b: b}
	for !r.done() {
		num, typ, err := r.field()
		if err != nil {
			return s, err
		}
		switch num {
		case 1, 2:
			if err := expect(num, typ, wireBytes); err != nil {
				return s, err
			}
			v, err := r.bytes()
			if err != nil {
				return s, err
			}
			if num == 1 {
				s.labels = string(v)
			} else {
				s.entries = append(s.entries, v)
			}
		default:
			if err := r.skip(typ); err != nil {
				return s, err
			}
		}
	}
	return s, nil
}

// Timestamp bounds, as protobuf's Timestamp defines them.
const (
	minTimestampSeconds = -62135596800 // 0001-01-01T00:00:00Z
	maxTimestampSeconds = 253402300799 // 9999-12-31T23:59:59Z
)

func decodeEntry(b []byte, stream chunk.Attributes, arena *[]byte) (Entry, error) {
	var (
		secs  int64
		nanos int64
		line  []byte
		meta  [][2]string
	)
	r := &protoReader{b: b}
	for !r.done() {
		num, typ, err := r.field()
		if err != nil {
			return Entry{}, err
		}
		switch num {
		case 1:
			if err := expect(num, typ, wireBytes); err != nil {
				return Entry{}, err
			}
			ts, err := r.bytes()
			if err != nil {
				return Entry{}, err
			}
			if secs, nanos, err = decodeTimestamp(ts); err != nil {
				return Entry{}, err
			}
		case 2:
			if err := expect(num, typ, wireBytes); err != nil {
				return Entry{}, err
			}
			if line, err = r.bytes(); err != nil {
				return Entry{}, err
			}
		case 3, 4:
			if err := expect(num, typ, wireBytes); err != nil {
				return Entry{}, err
			}
			pair, err := r.bytes()
			if err != nil {
				return Entry{}, err
			}
			name, value, err := decodeLabelPair(pair)
			if err != nil {
				return Entry{}, err
			}
			meta = append(meta, [2]string{name, value})
		default:
			if err := r.skip(typ); err != nil {
				return Entry{}, err
			}
		}
	}
	if secs < minTimestampSeconds || secs > maxTimestampSeconds || nanos < 0 || nanos >= 1e9 {
		return Entry{}, fmt.Errorf("%w: timestamp %d s %d ns out of range", errProto, secs, nanos)
	}
	labels := make(chunk.Attributes, len(stream)+len(meta))
	maps.Copy(labels, stream)
	for _, m := range meta {
		addMetadata(labels, m[0], m[1])
	}
	start := len(*arena)
	*arena = append(*arena, line...)
	return Entry{
		Timestamp: time.Unix(secs, nanos).UTC(),
		Labels:    labels,
		Line:      (*arena)[start:len(*arena):len(*arena)],
	}, nil
}

func decodeTimestamp(b []byte) (secs, nanos int64, err error) {
	r := &protoReader{b: b}
	for !r.done() {
		num, typ, err := r.field()
		if err != nil {
			return 0, 0, err
		}
		if num != 1 && num != 2 {
			if err := r.skip(typ); err != nil {
				return 0, 0, err
			}
			continue
		}
		if err := expect(num, typ, wireVarint); err != nil {
			return 0, 0, err
		}
		v, err := r.varint()
		if err != nil {
			return 0, 0, err
		}
		if num == 1 {
			secs = int64(v)
		} else {
			nanos = int64(int32(v))
		}
	}
	return secs, nanos, nil
}

func decodeLabelPair(b []byte) (name, value string, err error) {
	r := &protoReader{b: b}
	for !r.done() {
		num, typ, err := r.field()
		if err != nil {
			return "", "", err
		}
		if num != 1 && num != 2 {
			if err := r.skip(typ); err != nil {
				return "", "", err
			}
			continue
		}
		if err := expect(num, typ, wireBytes); err != nil {
			return "", "", err
		}
		v, err := r.bytes()
		if err != nil {
			return "", "", err
		}
		if num == 1 {
			name = string(v)
		} else {
			value = string(v)
		}
	}
	return name, value, nil
}
