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
}

// run is the whole program: it never exits, it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	level := slog.LevelWarn
	if os.Getenv("GLARC_DEBUG") != "" {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	root := &cli.Command{
		Name:                  "glarc",
		Usage:                 "archive, index and search log files",
		Description:           "glarc turns syslog files and Loki dumps into a compact, checksummed archive on local disk\nand answers queries straight from it.",
		Writer:                stdout,
		ErrWriter:             stderr,
		Reader:                stdin,
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
		Commands: []*cli.Command{
			importCommand(e),
			queryCommand(e),
			chunksCommand(e),
			serveCommand(e),
			exportCommand(e),
			verifyCommand(e),
			statsCommand(e),
			indexCommand(e),
		},
	}
	for _, c := range root.Commands {
		c.OnUsageError = root.OnUsageError
	}
	err := root.Run(ctx, args)
	return exitCode(stderr, err)
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
