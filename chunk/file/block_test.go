package file

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

// TestBlockColumnsRoundTrip covers both attribute column modes, keys
// missing from some records, and shared maps.
func TestBlockColumnsRoundTrip(t *testing.T) {
	recs := []struct {
		attrs chunk.Attributes
		raw   string
	}{
		{chunk.Attributes{"host": "web1", "app": "sshd", "pid": "12", "file": "/x"}, "Mar  1 web1 sshd[12]: a"},
		{chunk.Attributes{"host": "web2", "app": "sshd", "file": "/x"}, "Mar  1 web2 sshd: b"},
		{chunk.Attributes{"file": "/x"}, "no header at all"},
		{chunk.Attributes{"host": "web1", "app": "sshd", "pid": "12", "file": "/x"}, "Mar  2 web1 sshd[12]: c"},
		{nil, "bare"},
		{chunk.Attributes{"host": "db", "app": "cron", "pid": "7", "file": "/x", "severity": "err"}, "Mar  3 db cron[7]: d"},
	}
	bb := newBlockBuilder()
	for i, r := range recs {
		enc, err := r.attrs.AppendBinary(nil)
		require.NoError(t, err)
		require.NoError(t, bb.add(int64(i+1)*1e9, 5e9, 6e9, enc, []byte(r.raw)))
	}
	meta := bb.appendMeta(nil)
	require.Equal(t, colSubstring, bb.keys["host"].mode())
	require.Equal(t, colDictionary, bb.keys["file"].mode())
	d, err := decodeBlockFrames(meta, append([]byte(nil), bb.raw...), len(recs), nil)
	require.NoError(t, err)
	for i, r := range recs {
		got := d.record(i)
		require.Equal(t, r.raw, string(got.Raw))
		if len(r.attrs) == 0 {
			require.Empty(t, got.Attrs)
		} else {
			require.Equal(t, r.attrs, got.Attrs, "record %d", i)
		}
	}
	require.Len(t, d.sets, 5, "records 0 and 3 share a map")
	require.Equal(t, d.setOf[0], d.setOf[3])
	// Every truncation of the meta frame is an error, never a panic.
	for n := range len(meta) {
		_, err := decodeBlockFrames(meta[:n], bb.raw, len(recs), nil)
		require.Error(t, err, "meta cut to %d", n)
	}
}

// FuzzDecodeBlockFrames feeds arbitrary meta and text frames to the block
// decoder: errors are fine, panics and out-of-range slices are not.
func FuzzDecodeBlockFrames(f *testing.F) {
	bb := newBlockBuilder()
	for i, raw := range []string{"Mar  1 web1 sshd[12]: a", "Mar  1 web2 sshd: b", "bare"} {
		enc, _ := chunk.Attributes{"host": "web" + string(rune('1'+i)), "file": "/x"}.AppendBinary(nil)
		_ = bb.add(int64(i+1)*1e9, 5e9, 6e9, enc, []byte(raw))
	}
	f.Add(bb.appendMeta(nil), append([]byte(nil), bb.raw...), 3)
	f.Add([]byte{0}, []byte{}, 0)
	f.Fuzz(func(t *testing.T, meta, text []byte, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		d, err := decodeBlockFrames(meta, text, n, nil)
		if err != nil {
			return
		}
		for i := range d.len() {
			rec := d.record(i)
			_ = rec.Attrs
		}
	})
}

// TestBlockColumnLeavesSubstringMode: a column whose values were all found
// in their lines until one is not numbers the earlier values afterwards.
func TestBlockColumnLeavesSubstringMode(t *testing.T) {
	recs := []struct {
		attrs chunk.Attributes
		raw   string
	}{
		{chunk.Attributes{"app": "sshd", "host": "a"}, "a sshd: one"},
		{chunk.Attributes{"host": "b"}, "b: two"},
		{chunk.Attributes{"app": "cron", "host": "a"}, "a cron: three"},
		{chunk.Attributes{"app": "sshd", "host": "c"}, "c sshd: four"},
		{chunk.Attributes{"app": "kernel", "host": "a"}, "a: five, no app in the line"},
		{chunk.Attributes{"app": "cron", "host": "a"}, "a cron: six"},
		{chunk.Attributes{"app": "", "host": "a"}, "a: seven, empty app"},
	}
	bb := newBlockBuilder()
	for i, r := range recs {
		enc, err := r.attrs.AppendBinary(nil)
		require.NoError(t, err)
		require.NoError(t, bb.add(int64(i+1)*1e9, 5e9, 6e9, enc, []byte(r.raw)))
	}
	meta := bb.appendMeta(nil)
	require.Equal(t, colDictionary, bb.keys["app"].mode())
	require.Equal(t, colSubstring, bb.keys["host"].mode())
	require.Equal(t, []string{"sshd", "cron", "kernel", ""}, bb.keys["app"].values)
	d, err := decodeBlockFrames(meta, append([]byte(nil), bb.raw...), len(recs), nil)
	require.NoError(t, err)
	for i, r := range recs {
		require.Equal(t, r.attrs, d.record(i).Attrs, "record %d", i)
	}
}

// TestBlockBuilderReuse: columns reused from an earlier block start empty.
func TestBlockBuilderReuse(t *testing.T) {
	bb := newBlockBuilder()
	for round, sets := range [][]chunk.Attributes{
		{{"a": "x", "b": "one"}, {"a": "y", "b": "two"}},
		{{"b": "three", "c": "z"}, {"b": "one"}},
		{{"a": "q"}, {"c": "z", "a": "x"}},
	} {
		raws := []string{"x one", "line y two"}
		for i, attrs := range sets {
			enc, err := attrs.AppendBinary(nil)
			require.NoError(t, err)
			require.NoError(t, bb.add(int64(i+1)*1e9, 5e9, 6e9, enc, []byte(raws[i])))
		}
		d, err := decodeBlockFrames(bb.appendMeta(nil), append([]byte(nil), bb.raw...), len(sets), nil)
		require.NoError(t, err)
		for i, attrs := range sets {
			require.Equal(t, attrs, d.record(i).Attrs, "round %d record %d", round, i)
		}
		bb.reset()
	}
}

// TestBlockVarintWidths decodes columns whose values take one byte (read
// inline) and more (read by uvarint and varint), deltas of both signs:
// every one must come back as written.
func TestBlockVarintWidths(t *testing.T) {
	deltas := []int64{0, 1, -1, 63, -64, 64, -65, 127, 128, -129, 1 << 20, -(1 << 20), 1 << 40, -(1 << 40), 5, -5}
	bb := newBlockBuilder()
	var src, ingest int64 = 1e18, 2e18
	type want struct {
		src, ingest int64
		raw, pid    string
	}
	var wants []want
	for i, d := range deltas {
		src += max(d, 0) // SourceTS stays in order; IngestTS goes both ways
		ingest += d
		pid := fmt.Sprint(i * 37)
		raw := strings.Repeat("x", i*13) + " pid=" + pid // offsets of one byte and more
		enc, err := chunk.Attributes{"pid": pid, "file": fmt.Sprint("/f", i%3)}.AppendBinary(nil)
		require.NoError(t, err)
		require.NoError(t, bb.add(src, ingest, 7, enc, []byte(raw)))
		wants = append(wants, want{src, ingest, raw, pid})
	}
	d, err := decodeBlockFrames(bb.appendMeta(nil), append([]byte(nil), bb.raw...), len(deltas), nil)
	require.NoError(t, err)
	require.Equal(t, len(wants), d.len())
	for i, w := range wants {
		rec := d.record(i)
		require.Equal(t, w.src, rec.SourceTS.UnixNano(), "record %d", i)
		require.Equal(t, w.ingest, rec.IngestTS.UnixNano(), "record %d", i)
		require.Equal(t, w.raw, string(rec.Raw), "record %d", i)
		require.Equal(t, w.pid, rec.Attrs["pid"], "record %d", i)
	}
}
