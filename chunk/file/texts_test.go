package file

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"
)

// TestTextDecodersReuse: a decoder handed from one chunk to the next
// decodes the next chunk's frames with its dictionary, and refuses frames
// that name the dictionary of the chunk before.
func TestTextDecodersReuse(t *testing.T) {
	dec, err := newDecoder()
	require.NoError(t, err)
	defer dec.Close()

	type chunkDict struct {
		stored []byte
		n      uint32
		frame  []byte // a text frame compressed with the dictionary
		text   []byte
	}
	mk := func(seed string) chunkDict {
		var dict, text bytes.Buffer
		for i := range 2000 {
			fmt.Fprintf(&dict, "%s dictionary line %d host=web%d\n", seed, i, i%7)
		}
		for i := range 500 {
			fmt.Fprintf(&text, "%s text line %d host=web%d\n", seed, i, i%7)
		}
		enc, err := newTextEncoder(dict.Bytes())
		require.NoError(t, err)
		defer enc.Close()
		meta, err := zstd.NewWriter(nil)
		require.NoError(t, err)
		defer meta.Close()
		return chunkDict{
			stored: meta.EncodeAll(dict.Bytes(), nil), n: uint32(dict.Len()),
			frame: enc.EncodeAll(text.Bytes(), nil), text: text.Bytes(),
		}
	}
	a, b := mk("alpha"), mk("bravo")

	var p textDecoders
	defer p.close()
	da, err := p.get(dec, a.stored, a.n)
	require.NoError(t, err)
	got, err := da.dec.DecodeAll(a.frame, nil)
	require.NoError(t, err)
	require.Equal(t, a.text, got)
	p.put(da)
	require.Len(t, p.free, 1)

	db, err := p.get(dec, b.stored, b.n)
	require.NoError(t, err)
	require.Same(t, da, db, "the kept decoder is reused")
	require.Empty(t, p.free)
	got, err = db.dec.DecodeAll(b.frame, nil)
	require.NoError(t, err)
	require.Equal(t, b.text, got)
	_, err = db.dec.DecodeAll(a.frame, nil)
	require.True(t, errors.Is(err, zstd.ErrUnknownDictionary), "frame of the previous chunk: %v", err)

	// A damaged stored dictionary fails and the decoder is kept.
	bad := bytes.Clone(b.stored)
	bad[len(bad)/2] ^= 0xff
	p.put(db)
	_, err = p.get(dec, bad, b.n)
	require.Error(t, err)
	require.Len(t, p.free, 1)

	// At most maxTextDecoders are kept; the rest are closed.
	var ds []*dictDecoder
	for range maxTextDecoders + 2 {
		d, err := p.get(dec, a.stored, a.n)
		require.NoError(t, err)
		ds = append(ds, d)
	}
	for _, d := range ds {
		p.put(d)
	}
	require.Len(t, p.free, maxTextDecoders)

	// Without a pool every reader has its own decoder.
	var none *textDecoders
	d, err := none.get(dec, a.stored, a.n)
	require.NoError(t, err)
	none.put(d)
}
