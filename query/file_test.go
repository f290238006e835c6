package query

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/chunk/file"
)

// TestRunFileChunks runs the differential test on real on-disk chunks:
// sealed, block-compressed chunks read through their cursors' Seek, Next
// and Prev, and the active chunk.
func TestRunFileChunks(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n = 3000
	fm, base := fileChunks(t, file.Options{MaxChunkBytes: 8 << 10, BlockBytes: 1 << 10}, r, n, nil)
	metas, err := fm.List()
	require.NoError(t, err)
	require.Greater(t, len(metas), 5)

	queries := []string{"error host=web1", "*", `"failed password"`, "auth*", "/fail(ed|ure)/i", "pid>1000",
		"severity<=warning", "*=web1", "(error OR failed) -root"}
	generated := 60
	if testing.Short() {
		generated = 10
	}
	for range generated {
		queries = append(queries, genNode(r, 3).String())
	}
	checkDifferential(t, &spyManager{Manager: fm}, r, base, n*time.Second, queries)
}

// TestRunFileBlockSearch runs the differential test on sealed chunks whose
// blocks hold enough records to be searched whole for a query's literal
// (blockSearch), with literals that cross record boundaries, differ in
// case, or sit at a record's ends.
func TestRunFileBlockSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const n = 4000
	fm, base := fileChunks(t, file.Options{MaxChunkBytes: 32 << 10, BlockBytes: 8 << 10}, r, n, func(rec *chunk.Record) {
		switch r.IntN(8) {
		case 0: // a literal split across two records: "...173.234." + "31.186..."
			rec.Raw = append(rec.Raw, " 173.234."...)
		case 1:
			rec.Raw = append([]byte("31.186 "), rec.Raw...)
		case 2:
			rec.Raw = []byte("173.234.31.186")
		}
	})
	metas, err := fm.List()
	require.NoError(t, err)
	require.Greater(t, len(metas), 3)
	var sealed int
	for _, m := range metas {
		if m.Sealed {
			sealed++
		}
	}
	require.Greater(t, sealed, 2)

	queries := []string{"173.234.31.186", `"173.234.31.186"`, "173.234*", "31.186", "error", "ERROR host=web1",
		`"failed password"`, "auth*", "sshd error", "173.234.31.186 -error", "kernel OR 173.234.31.186",
		"user=root 173.234.31.186", "naïve", "pam_unix(sshd:auth)", `"a-b"`, "x_y", "nosuchword",
		`/173\.234\.31\.186/`, "/ERROR/", "/kernel/i", "/session/i", "/fail(ed|ure)/i", "/234.31/ error"}
	for range 20 {
		queries = append(queries, genNode(r, 2).String())
	}
	checkDifferential(t, &spyManager{Manager: fm}, r, base, n*time.Second, queries)
}

// fileChunks appends n generated records (changed by edit, if not nil) to a
// new file manager with opts and waits until the full chunks are sealed.
func fileChunks(t *testing.T, opts file.Options, r *rand.Rand, n int, edit func(*chunk.Record)) (*file.Manager, time.Time) {
	opts.Owner = "query test"
	fm, err := file.Open(t.TempDir(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, fm.Close()) })
	base := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		rec := genRecord(r, i, base)
		if edit != nil {
			edit(&rec)
		}
		_, err := fm.Append(rec)
		require.NoError(t, err)
	}
	require.NoError(t, fm.WaitSealed())
	return fm, base
}

// BenchmarkCountFile counts over sealed file chunks (256 KiB blocks), where
// a query's literal is searched in each decoded block's text before its
// records are read (blockSearch); MB/s is of raw text.
func BenchmarkCountFile(b *testing.B) {
	lines := loghubLines(b, "OpenSSH_2k.log")
	fm, err := file.Open(b.TempDir(), file.Options{Owner: "query bench"})
	require.NoError(b, err)
	b.Cleanup(func() { _ = fm.Close() })
	base := time.Date(2024, 12, 10, 6, 0, 0, 0, time.UTC)
	var size int64
	const copies = 40
	for c := range copies {
		for i, l := range lines {
			_, err := fm.Append(chunk.Record{SourceTS: base.Add(time.Duration(i*copies+c) * time.Second), Raw: l})
			require.NoError(b, err)
			size += int64(len(l))
		}
	}
	require.NoError(b, fm.Seal())
	require.NoError(b, fm.WaitSealed())
	for _, qs := range []string{"119.137.62.142", "173.234.31.186", "failed", `"Received disconnect"`, "/disconnect/"} {
		q, err := Parse(qs)
		require.NoError(b, err)
		b.Run(qs, func(b *testing.B) {
			b.SetBytes(size)
			var n uint64
			for b.Loop() {
				if n, err = Count(b.Context(), fm, q, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "matched")
		})
	}
}
