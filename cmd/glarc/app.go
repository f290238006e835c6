package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v3"

	"glarc/query"
)

// Exit codes (DESIGN.md): 0 success, 1 failure, 2 bad usage.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks bad usage: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// silentError is a failure already reported on stderr: exit code 1.
var errReported = errors.New("failed")

// env holds what every command writes to and reads from.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
	// signals: SIGINT and SIGTERM cancel the commands' context (see
	// interruptible); set when glarc runs as the process, not in tests
	// that call run.
	signals bool
	// profiling: a CPU profile is being written (GLARC_CPUPROFILE), so
	// every command catches the signals, to stop the profile cleanly.
	profiling bool
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	level := slog.LevelWarn
	if os.Getenv("GLARC_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return &env{stdin: stdin, stdout: stdout, stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
}

// run is the whole program: it never exits, it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newEnv(stdin, stdout, stderr).run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) int {
	if len(args) < 2 || args[1] != "query" || e.profiling {
		// query catches signals itself, only when it needs to (runQuery).
		var stop context.CancelFunc
		ctx, stop = e.interruptible(ctx)
		defer stop()
	}
	root := &cli.Command{
		Name:                  "glarc",
		Usage:                 "archive, index and search log files",
		Description:           "glarc turns syslog files and Loki dumps into a compact, checksummed archive on local disk\nand answers queries straight from it.",
		Writer:                e.stdout,
		ErrWriter:             e.stderr,
		Reader:                e.stdin,
		EnableShellCompletion: true,
		ExitErrHandler:        func(context.Context, *cli.Command, error) {},
		OnUsageError: func(_ context.Context, _ *cli.Command, err error, _ bool) error {
			return &usageError{err}
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.NArg() > 0 {
				return usagef("unknown command %q; see 'glarc --help'", cmd.Args().First())
			}
			return cli.ShowRootCommandHelp(cmd)
		},
		Commands: commands(e, args),
	}
	for _, c := range root.Commands {
		c.OnUsageError = root.OnUsageError
		// No `help` subcommand under a command: `glarc query help` looks for
		// the word, `glarc import help` reads the file. --help and `glarc
		// help query` stay.
		c.HideHelpCommand = true
	}
	err := root.Run(ctx, args)
	return exitCode(e.stderr, err)
}

func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errReported) {
		return exitFailure
	}
	var syn *query.SyntaxError
	var ue *usageError
	switch {
	case errors.As(err, &syn):
		fmt.Fprintf(stderr, "glarc: %v\n", err)
		return exitUsage
	case errors.As(err, &ue), isCLIUsage(err):
		fmt.Fprintf(stderr, "glarc: %v\n", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "glarc: interrupted")
		return exitFailure
	}
	fmt.Fprintf(stderr, "glarc: %v\n", err)
	return exitFailure
}

// isCLIUsage recognises urfave/cli's own usage errors that bypass OnUsageError.
func isCLIUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"flag provided but not defined", "Required flag", "invalid value", "No help topic", "flag needs an argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// commands returns the commands that the root command needs to run args:
// only the one named by args[1] when it names one (urfave/cli then runs
// it exactly as from the whole tree: a command's help, flags and errors
// do not involve the others), or else all of them (root help, `help`,
// completion, an unknown command). Building and setting up every
// command's flags cost about a millisecond of a query's start-up.
func commands(e *env, args []string) []*cli.Command {
	if len(args) > 1 {
		for _, b := range builders {
			if b.name == args[1] {
				return []*cli.Command{b.build(e)}
			}
		}
	}
	all := make([]*cli.Command, len(builders))
	for i, b := range builders {
		all[i] = b.build(e)
	}
	return all
}

// builders builds each command by name, in the order of `glarc --help`.
var builders = [...]struct {
	name  string
	build func(*env) *cli.Command
}{
	{"import", importCommand}, {"query", queryCommand}, {"chunks", chunksCommand}, {"serve", serveCommand},
	{"export", exportCommand}, {"verify", verifyCommand}, {"stats", statsCommand}, {"index", indexCommand},
}

// dataFlag is --data, shared by every command.
func dataFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:    "data",
		Aliases: []string{"d"},
		Usage:   "data directory of the archive",
		Value:   "./data",
		Sources: cli.EnvVars("GLARC_DATA"),
	}
}
