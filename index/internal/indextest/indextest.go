// Package indextest builds sealed test chunks and reference answers for the
// index packages' tests: loghub lines when /work/shared/testdata is present,
// generated lines always, and brute-force lookups to compare against.
//
//	recs := indextest.Generated(5000, 1)
//	cm, meta := indextest.Sealed(t, recs)
//	cur, _ := cm.OpenCursor(meta.ID)
package indextest

import (
	"bytes"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/memory"
	"glarc/tokenizer"
)

// Sealed appends recs to a new memory manager, seals the chunk and returns
// the manager and the chunk's metadata. Records get increasing times, so
// positions follow the order of recs.
func Sealed(t testing.TB, recs []chunk.Record) (*memory.Manager, chunk.ChunkMeta) {
	t.Helper()
	m := memory.New(memory.Options{MaxChunkBytes: 1 << 40})
	t.Cleanup(func() { m.Close() })
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, r := range recs {
		if r.SourceTS.IsZero() {
			r.SourceTS = base.Add(time.Duration(i) * time.Millisecond)
		}
		_, err := m.Append(r)
		require.NoError(t, err)
	}
	require.NoError(t, m.Seal())
	metas, err := m.List()
	require.NoError(t, err)
	require.Len(t, metas, 1)
	return m, metas[0]
}

// Lines wraps raw lines as records.
func Lines(lines ...string) []chunk.Record {
	out := make([]chunk.Record, len(lines))
	for i, l := range lines {
		out[i] = chunk.Record{Raw: []byte(l)}
	}
	return out
}

// SharedDir returns the shared test data directory (../shared/testdata from
// the module root), or skips the test when it is absent.
func SharedDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	// file is <root>/index/internal/indextest/indextest.go.
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	dir := filepath.Join(root, "..", "shared", "testdata", "loghub")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("loghub samples not found at %s (shared test data absent)", dir)
	}
	return dir
}

// LoghubFiles lists the loghub sample logs.
func LoghubFiles(t testing.TB) []string {
	dir := SharedDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*_2k.log"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// Loghub reads one sample as records (CRLF stripped), with app and file
// attributes so that the attr index has something to hold.
func Loghub(t testing.TB, path string) []chunk.Record {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []chunk.Record
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		attrs := chunk.Attributes{"file": filepath.Base(path)}
		if f := strings.Fields(string(line)); len(f) > 4 {
			attrs["app"] = strings.TrimSuffix(f[4], ":")
		}
		out = append(out, chunk.Record{Raw: line, Attrs: attrs})
	}
	return out
}

// Generated returns n synthetic syslog-like records with IPs, numbers,
// UUIDs, long runs, key=value pairs and attributes.
func Generated(n int, seed uint64) []chunk.Record {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	words := []string{"error", "Failed", "password", "for", "invalid", "user", "session", "opened",
		"closed", "connection", "from", "port", "ssh2", "kernel", "authentication", "failure",
		"timeout", "retry", "disk", "WARNING", "ok", "GET", "POST", "x"}
	hosts := []string{"web1", "web2", "db1", "cache-3", "LabSZ"}
	apps := []string{"sshd", "kernel", "nginx", "cron", "su"}
	out := make([]chunk.Record, n)
	for i := range out {
		var b strings.Builder
		fmt.Fprintf(&b, "Dec %2d 06:%02d:%02d %s %s[%d]:", 1+r.IntN(28), r.IntN(60), r.IntN(60),
			hosts[r.IntN(len(hosts))], apps[r.IntN(len(apps))], r.IntN(40000))
		for range 3 + r.IntN(8) {
			b.WriteByte(' ')
			switch k := r.IntN(20); {
			case k < 11:
				b.WriteString(words[r.IntN(len(words))])
			case k < 13:
				fmt.Fprintf(&b, "%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256))
			case k < 14:
				fmt.Fprintf(&b, "%08x-%04x-%04x-%04x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.Uint64()&(1<<48-1))
			case k < 15:
				fmt.Fprintf(&b, "authentication%dFailureLong", r.IntN(100))
			case k < 17:
				fmt.Fprintf(&b, "user=%s", []string{"root", "admin", "Guest", `"bob smith"`}[r.IntN(4)])
			case k < 18:
				fmt.Fprintf(&b, "req=%d", r.IntN(1_000_000))
			default:
				fmt.Fprintf(&b, "%d", r.IntN(100000))
			}
		}
		out[i] = chunk.Record{Raw: []byte(b.String()), Attrs: chunk.Attributes{
			"host": hosts[r.IntN(len(hosts))], "App": apps[r.IntN(len(apps))], "pid": fmt.Sprint(r.IntN(500)),
		}}
	}
	return out
}

// TokenMatches returns the positions of recs whose line holds tok as a
// whole token (the exact check a query applies).
func TokenMatches(recs []chunk.Record, tok []byte) []uint32 {
	var out []uint32
	for i, r := range recs {
		if tokenizer.ContainsToken(r.Raw, tok) {
			out = append(out, uint32(i))
		}
	}
	return out
}

// PrefixMatches returns the positions of recs holding a token run that
// starts with p, any case.
func PrefixMatches(recs []chunk.Record, p []byte) []uint32 {
	var out []uint32
	for i, r := range recs {
		for _, run := range tokenizer.Runs(r.Raw) {
			if len(run) >= len(p) && bytes.EqualFold(run[:len(p)], p) {
				out = append(out, uint32(i))
				break
			}
		}
	}
	return out
}

// AllTokens returns every distinct lowercased index token of recs, sorted.
func AllTokens(recs []chunk.Record) []string {
	set := map[string]bool{}
	var buf []byte
	var ends []int
	for _, r := range recs {
		buf, ends = tokenizer.Append(buf[:0], ends[:0], r.Raw)
		start := 0
		for _, e := range ends {
			set[string(buf[start:e])] = true
			start = e
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// RawBytes is the total line length of recs.
func RawBytes(recs []chunk.Record) int64 {
	var n int64
	for _, r := range recs {
		n += int64(len(r.Raw))
	}
	return n
}

// BucketMatches returns the positions of recs holding a run that the
// token index keeps in the long bucket named by the first
// collect.BucketLen bytes of p (lowercased): a run with a letter that is
// not an index token and is an ID or hex (collect.LongKey gives it a
// bucket). Prefix answers at most PrefixMatches plus these.
func BucketMatches(recs []chunk.Record, p []byte) []uint32 {
	const bucketLen = 2 // collect.BucketLen; indextest does not import collect
	if len(p) <= bucketLen {
		return nil
	}
	var out []uint32
	for i, r := range recs {
		for _, run := range tokenizer.Runs(r.Raw) {
			if len(run) < bucketLen || tokenizer.IsIndexToken(run) || !bytes.ContainsFunc(run, func(c rune) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }) {
				continue
			}
			if len(run) > tokenizer.MaxTokenLen && !isHexDash(run) {
				continue
			}
			if bytes.EqualFold(run[:bucketLen], p[:bucketLen]) {
				out = append(out, uint32(i))
				break
			}
		}
	}
	return out
}

func isHexDash(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f' || c == '-') {
			return false
		}
	}
	return true
}

// BitsetPositions lists the positions set in a bitset (bit p%64 of
// words[p/64]) in ascending order; nil when none is.
func BitsetPositions(words []uint64) []uint32 {
	var pos []uint32
	for i, w := range words {
		for ; w != 0; w &= w - 1 {
			pos = append(pos, uint32(i*64+bits.TrailingZeros64(w)))
		}
	}
	return pos
}
