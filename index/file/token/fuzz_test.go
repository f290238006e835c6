package token

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/index/internal/indextest"
)

func FuzzOpen(f *testing.F) {
	recs := indextest.Lines("a Foo bar", "foo 12 Bar", "averyveryverylongrunhere x", "deadbeef-0000-1111-2222-333344445555")
	toks := append(indextest.AllTokens(recs), "dead", "averyv")
	for _, path := range []string{build(f, recs), build(f, indextest.Generated(30, 4))} {
		data, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := FromBytes("fuzz", data)
		if err != nil {
			return
		}
		exercise(r, toks)
		r.Verify()
	})
}
