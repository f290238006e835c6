package file_test

import (
	"context"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/stretchr/testify/require"

	"glarc/chunk"
	"glarc/index"
	"glarc/index/collect"
	"glarc/index/file"
	"glarc/index/internal/indextest"
	"glarc/index/memory"
	"glarc/tokenizer"
)

// TestFileMatchesMemory builds both implementations of every kind over the
// same chunk and compares their answers.
func TestFileMatchesMemory(t *testing.T) {
	recs := indextest.Generated(3000, 11)
	cm, meta := indextest.Sealed(t, recs)
	dir := t.TempDir()
	key := meta.ID.String()
	fm, mm := file.NewManager(collect.Budget{}), memory.NewManager(collect.Budget{})
	for _, m := range []*index.Manager{fm, mm} {
		d := key
		if m == fm {
			d = dir
		}
		h := index.NewBuildHelper(cm, m, index.BuildOptions{Dir: func(chunk.ChunkID) string { return d }})
		require.NoError(t, h.BuildMissing(context.Background(), meta))
	}
	fs, ms := fm.Open(dir), mm.Open(key)
	defer fs.Close()
	require.Empty(t, fs.Errs)
	require.Empty(t, ms.Errs)

	for _, tok := range append(indextest.AllTokens(recs), "12", "absent", "authentication12") {
		fb, fh, err := fs.Token.Lookup([]byte(tok))
		require.NoError(t, err)
		mb, mh, err := ms.Token.Lookup([]byte(tok))
		require.NoError(t, err)
		require.Equal(t, mh, fh, tok)
		if fh {
			require.True(t, fb.Equals(mb), tok)
		}
		fb, fh, err = fs.Token.Prefix([]byte(tok[:min(3, len(tok))]))
		require.NoError(t, err)
		mb, mh, err = ms.Token.Prefix([]byte(tok[:min(3, len(tok))]))
		require.NoError(t, err)
		require.Equal(t, mh, fh, tok)
		if fh {
			require.True(t, fb.Equals(mb), tok)
		}
	}
	for _, pr := range [][2]index.PairReader{{fs.KV, ms.KV}, {fs.Attr, ms.Attr}} {
		for _, kv := range [][2]string{{"user", "root"}, {"USER", "bob smith"}, {"req", "1"}, {"host", "web1"}, {"app", "SSHD"}, {"pid", "7"}, {"nokey", "x"}} {
			fb, fh, err := pr[0].Lookup(kv[0], kv[1])
			require.NoError(t, err)
			mb, mh, err := pr[1].Lookup(kv[0], kv[1])
			require.NoError(t, err)
			require.Equal(t, mh, fh, kv)
			if fh {
				require.True(t, fb.Equals(mb), kv)
			}
			require.Equal(t, pr[1].Complete(kv[0]), pr[0].Complete(kv[0]))
			fb, _, err = pr[0].Key(kv[0])
			require.NoError(t, err)
			mb, _, err = pr[1].Key(kv[0])
			require.NoError(t, err)
			require.True(t, fb.Equals(mb), kv)
		}
	}
	require.Equal(t, ms.Blocks.BlockStarts(), fs.Blocks.BlockStarts())
	// The file filter may pass more blocks than the exact memory sets,
	// never fewer.
	for _, rec := range recs[:200] {
		var runs [][]byte
		for _, r := range tokenizer.Runs(rec.Raw) {
			runs = append(runs, r)
		}
		fc, err := fs.Blocks.Candidates(runs)
		require.NoError(t, err)
		mc, err := ms.Blocks.Candidates(runs)
		require.NoError(t, err)
		require.True(t, roaring.AndNot(mc, fc).IsEmpty())
	}
}
