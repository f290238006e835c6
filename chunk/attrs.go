package chunk

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Attributes are a record's named values (host, app, pid, Loki labels, ...).
// Keys keep the case they were given; lookups with Get are case-insensitive.
type Attributes map[string]string

// Get returns the value of key, matched case-insensitively.
func (a Attributes) Get(key string) (string, bool) {
	if v, ok := a[key]; ok {
		return v, true
	}
	for k, v := range a {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return "", false
}

// Clone returns an independent copy.
func (a Attributes) Clone() Attributes {
	if a == nil {
		return nil
	}
	return maps.Clone(a)
}

// Maximum sizes accepted when decoding attributes.
const (
	// MaxAttrs bounds the number of attributes of one record.
	MaxAttrs = 1 << 12
	// MaxAttrLen bounds one key or value in bytes.
	MaxAttrLen = 1 << 20
)

// AppendBinary appends the binary encoding of a to dst:
//
//	uvarint count
//	count × (uvarint len(key), key, uvarint len(value), value)
//
// with keys in byte order, so equal sets encode to equal bytes.
func (a Attributes) AppendBinary(dst []byte) ([]byte, error) {
	if len(a) > MaxAttrs {
		return dst, fmt.Errorf("encode attributes: %d attributes, at most %d", len(a), MaxAttrs)
	}
	dst = binary.AppendUvarint(dst, uint64(len(a)))
	if len(a) == 0 {
		return dst, nil
	}
	var stack [16]string
	keys := stack[:0]
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := a[k]
		if len(k) > MaxAttrLen || len(v) > MaxAttrLen {
			return dst, fmt.Errorf("encode attributes: %q is longer than %d bytes", k, MaxAttrLen)
		}
		dst = binary.AppendUvarint(dst, uint64(len(k)))
		dst = append(dst, k...)
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	return dst, nil
}

// DecodeAttributes decodes what AppendBinary wrote. Every length is checked
// against the bytes that remain; bad input gives an error wrapping ErrCorrupt.
func DecodeAttributes(b []byte) (Attributes, error) {
	a, n, err := decodeAttributes(b)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, fmt.Errorf("%w: attributes: %d trailing bytes", ErrCorrupt, len(b)-n)
	}
	return a, nil
}

func decodeAttributes(b []byte) (Attributes, int, error) {
	count, off := binary.Uvarint(b)
	if off <= 0 {
		return nil, 0, fmt.Errorf("%w: attributes: bad count at offset 0", ErrCorrupt)
	}
	if count > MaxAttrs || count > uint64(len(b)-off)/2 {
		return nil, 0, fmt.Errorf("%w: attributes: count %d too large for %d bytes", ErrCorrupt, count, len(b))
	}
	if count == 0 {
		return nil, off, nil
	}
	a := make(Attributes, count)
	for range count {
		var k, v string
		var err error
		if k, off, err = decodeString(b, off); err != nil {
			return nil, 0, err
		}
		if v, off, err = decodeString(b, off); err != nil {
			return nil, 0, err
		}
		a[k] = v
	}
	if uint64(len(a)) != count {
		return nil, 0, fmt.Errorf("%w: attributes: duplicate key", ErrCorrupt)
	}
	return a, off, nil
}

func decodeString(b []byte, off int) (string, int, error) {
	n, w := binary.Uvarint(b[off:])
	if w <= 0 {
		return "", 0, fmt.Errorf("%w: attributes: bad length at offset %d", ErrCorrupt, off)
	}
	off += w
	if n > MaxAttrLen || n > uint64(len(b)-off) {
		return "", 0, fmt.Errorf("%w: attributes: length %d at offset %d exceeds %d remaining bytes", ErrCorrupt, n, off-w, len(b)-off)
	}
	return string(b[off : off+int(n)]), off + int(n), nil
}
