package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/term"
)

// defaultPager is used when $PAGER is not set, as journalctl does: quit at
// once if the output fits on one screen, keep colours, do not clear.
const defaultPager = "less -FRX"

// pager is a running $PAGER that output is written to.
type pager struct {
	cmd *exec.Cmd
	in  io.WriteCloser
}

// startPager starts the pager when stdout is a terminal; nil otherwise
// (piped output, or no pager could be started).
func startPager(e *env) *pager {
	f, ok := e.stdout.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	name := os.Getenv("PAGER")
	if name == "" {
		name = defaultPager
	}
	if name == "cat" {
		return nil
	}
	cmd := exec.Command("sh", "-c", name)
	cmd.Stdout, cmd.Stderr = f, e.stderr
	if os.Getenv("LESS") == "" {
		cmd.Env = append(os.Environ(), "LESS=FRX")
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil
	}
	if err := cmd.Start(); err != nil {
		return nil
	}
	return &pager{cmd: cmd, in: in}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// close ends the pager's input and waits for the user to quit it.
func (p *pager) close() error {
	err := p.in.Close()
	werr := p.cmd.Wait()
	if isBrokenPipe(err) {
		err = nil
	}
	return errors.Join(err, werr)
}

// isBrokenPipe reports a write to a reader that went away (the user quit
// the pager, or `| head` exited): not a failure.
func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, os.ErrClosed)
}
