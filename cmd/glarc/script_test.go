package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"glarc/chunk/file"
)

// TestMain lets the test binary act as the glarc command inside the
// scripts: `exec glarc ...` (or just `glarc ...`) runs run() in a child
// process, so exit codes, stdin, stdout and stderr are the real ones.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"glarc": func() {
			os.Exit(process())
		},
	})
}

// TestScripts runs every CLI scenario in testdata/script (one .txtar per
// scenario; see the comment at the top of each). Set GLARC_UPDATE_SCRIPTS=1
// to rewrite the golden files inside the scripts from the actual output.
//
// Environment in the scripts:
//
//	TZ=UTC       times in text output and chunk listings are UTC
//	SAMPLES      absolute path of testdata/samples (small sample logs)
//	SHARED       absolute path of ../shared/testdata, when it exists
//	             (scripts that need it start with `[!exists $SHARED] skip`)
//
// Extra commands (besides the testscript builtins):
//
//	truncate FILE SIZE      set FILE's size; SIZE < 0 cuts that many bytes off the end
//	appendbytes FILE HEX    append the hex-encoded bytes to FILE
//	appendfile FILE SRC     append the contents of SRC to FILE
//	holdlock DIR [OWNER]    take the writer lock of data directory DIR until the script ends
//	mtime FILE TIME         set FILE's modification time (RFC 3339)
//	exitcode N PROG ARGS... run PROG like exec and require exit code N
//	                        (stdout and stderr can be checked after it)
//
// FILE may be a glob that matches exactly one file, such as
// data/active/*/idx.log (chunk IDs are not known in advance).
func TestScripts(t *testing.T) {
	samples, err := filepath.Abs(filepath.Join("..", "..", "testdata", "samples"))
	if err != nil {
		t.Fatal(err)
	}
	shared, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                filepath.Join("..", "..", "testdata", "script"),
		RequireUniqueNames: true,
		UpdateScripts:      os.Getenv("GLARC_UPDATE_SCRIPTS") != "",
		Setup: func(e *testscript.Env) error {
			e.Setenv("TZ", "UTC")
			e.Setenv("SAMPLES", samples)
			if _, err := os.Stat(shared); err == nil {
				e.Setenv("SHARED", shared)
			} else {
				e.Setenv("SHARED", filepath.Join(e.WorkDir, "no-shared-testdata"))
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"truncate":    cmdTruncate,
			"appendbytes": cmdAppendBytes,
			"appendfile":  cmdAppendFile,
			"holdlock":    cmdHoldLock,
			"mtime":       cmdMtime,
			"exitcode":    cmdExitCode,
			"sleep":       cmdSleep,
		},
	})
}

// globOne resolves a path that may hold a glob to exactly one file.
func globOne(ts *testscript.TestScript, pattern string) string {
	matches, err := filepath.Glob(ts.MkAbs(pattern))
	ts.Check(err)
	if len(matches) != 1 {
		ts.Fatalf("%s matches %d files, want exactly 1: %q", pattern, len(matches), matches)
	}
	return matches[0]
}

func noNeg(ts *testscript.TestScript, neg bool, name string) {
	if neg {
		ts.Fatalf("unsupported: ! %s", name)
	}
}

func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "truncate")
	if len(args) != 2 {
		ts.Fatalf("usage: truncate FILE SIZE")
	}
	name := globOne(ts, args[0])
	size, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	if size < 0 {
		fi, err := os.Stat(name)
		ts.Check(err)
		size += fi.Size()
		if size < 0 {
			ts.Fatalf("truncate %s: file has only %d bytes", args[0], fi.Size())
		}
	}
	ts.Check(os.Truncate(name, size))
}

func cmdAppendBytes(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "appendbytes")
	if len(args) != 2 {
		ts.Fatalf("usage: appendbytes FILE HEX")
	}
	name := globOne(ts, args[0])
	b, err := hex.DecodeString(args[1])
	ts.Check(err)
	appendTo(ts, name, b)
}

func cmdAppendFile(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "appendfile")
	if len(args) != 2 {
		ts.Fatalf("usage: appendfile FILE SRC")
	}
	appendTo(ts, globOne(ts, args[0]), []byte(ts.ReadFile(args[1])))
}

func appendTo(ts *testscript.TestScript, name string, b []byte) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	ts.Check(err)
	_, err = f.Write(b)
	ts.Check(errors.Join(err, f.Close()))
}

// cmdHoldLock opens DIR as a writer in the test process, so a glarc
// started by the script finds the lock taken. The lock is released when
// the script ends.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "holdlock")
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: holdlock DIR [OWNER]")
	}
	owner := "test holder"
	if len(args) == 2 {
		owner = args[1]
	}
	m, err := file.Open(ts.MkAbs(args[0]), file.Options{Owner: owner})
	ts.Check(err)
	ts.Defer(func() {
		if err := m.Close(); err != nil {
			ts.Logf("holdlock: close: %v", err)
		}
	})
}

func cmdMtime(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "mtime")
	if len(args) != 2 {
		ts.Fatalf("usage: mtime FILE TIME")
	}
	name := globOne(ts, args[0])
	tm, err := time.Parse(time.RFC3339, args[1])
	if err != nil {
		ts.Fatalf("mtime: %v", fmt.Errorf("TIME must be RFC 3339: %w", err))
	}
	ts.Check(os.Chtimes(name, tm, tm))
}

// cmdExitCode runs a command like exec and checks its exit code, so that
// bad usage (2) and failure (1) are told apart.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "exitcode")
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with code %d, want %d", args[1], got, want)
	}
}

// cmdSleep waits, for scenarios with a background process (query --follow).
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	noNeg(ts, neg, "sleep")
	if len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}
