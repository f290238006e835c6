package main

import (
	"io"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCommandTree checks what building only the command being run must
// not change: `glarc --help` lists every command, `glarc NAME --help` (a
// tree of NAME alone) prints what `glarc help NAME` (the whole tree)
// prints, and an unknown command or flag is still bad usage.
func TestCommandTree(t *testing.T) {
	out, _ := atRunOK(t, "--help")
	listed := regexp.MustCompile(`(?m)^   ([a-z]+)(?:, [a-z]+)?  +\S`).FindAllStringSubmatch(out, -1)
	var names []string
	for _, m := range listed {
		names = append(names, m[1])
	}
	require.Equal(t, []string{"import", "query", "chunks", "serve", "export", "verify", "stats", "index", "help"}, names, "glarc --help:\n%s", out)

	for _, name := range names[:len(names)-1] {
		t.Run(name, func(t *testing.T) {
			whole, _ := atRunOK(t, "help", name)
			alone, _ := atRunOK(t, name, "--help")
			require.Equal(t, whole, alone)
			require.Contains(t, alone, "glarc "+name+" - ")
		})
	}

	// Each name builds the tree of that command alone.
	for _, name := range names[:len(names)-1] {
		tree := commands(newEnv(nil, io.Discard, io.Discard), []string{"glarc", name})
		require.Len(t, tree, 1, name)
		require.Equal(t, name, tree[0].Name)
	}

	for _, args := range [][]string{{"bogus"}, {"--bogus"}, {"query", "--bogus", "x"}} {
		code, stdout, stderr := atRun(t, args...)
		require.Equal(t, exitUsage, code, "glarc %q: stderr %s", args, stderr)
		require.Empty(t, stdout)
	}
}
