package main

import (
	"bytes"
	"os"
	"time"

	"glarc/archive/loki"
	"glarc/chunk"
)

// printer appends one record, formatted, with its newline.
type printer func(dst []byte, rec *chunk.Record) []byte

// Text output is readable at a glance: the record time with its year and
// zone, then the host and app, then the line. A syslog line already holds
// its host and app after its own year-less stamp, so that stamp is
// replaced by the full time:
//
//	2005-06-14T15:16:01.000Z combo sshd(pam_unix)[19939]: authentication failure; ...
//
// Other lines get host and app (or "-") in front:
//
//	2024-12-10T06:55:46.500Z web1 nginx | GET /healthz 200
const textTime = "2006-01-02T15:04:05.000Z07:00"

// ANSI colours for text output, by severity.
const (
	colorReset  = "\x1b[0m"
	colorRed    = "\x1b[31m"
	colorBold   = "\x1b[1m"
	colorYellow = "\x1b[33m"
	colorDim    = "\x1b[2m"
)

func newPrinter(name string, color bool) (printer, error) {
	switch name {
	case "text", "":
		if color {
			return printTextColor, nil
		}
		return printText, nil
	case "raw":
		return printRaw, nil
	case "jsonl":
		return printJSONL, nil
	}
	return nil, usagef("--output %q: want text, raw or jsonl", name)
}

func printRaw(dst []byte, rec *chunk.Record) []byte {
	dst = append(dst, rec.Raw...)
	return append(dst, '\n')
}

func printText(dst []byte, rec *chunk.Record) []byte {
	dst = appendText(dst, rec)
	return append(dst, '\n')
}

func printTextColor(dst []byte, rec *chunk.Record) []byte {
	sev, _ := rec.Attrs.Get("severity")
	color := severityColor(sev)
	if color == "" {
		return printText(dst, rec)
	}
	dst = append(dst, color...)
	dst = appendText(dst, rec)
	dst = append(dst, colorReset...)
	return append(dst, '\n')
}

// severityColor: red for err and worse, yellow for warning, bold for
// notice, dim for debug.
func severityColor(sev string) string {
	switch sev {
	case "emerg", "alert", "crit", "err":
		return colorRed
	case "warning":
		return colorYellow
	case "notice":
		return colorBold
	case "debug":
		return colorDim
	}
	return ""
}

func appendText(dst []byte, rec *chunk.Record) []byte {
	dst = rec.Time().Local().AppendFormat(dst, textTime)
	dst = append(dst, ' ')
	host, _ := rec.Attrs.Get("host")
	if i := headerStart(rec.Raw, host); i >= 0 {
		return append(dst, rec.Raw[i:]...)
	}
	for _, k := range []string{"host", "app"} {
		v, ok := rec.Attrs.Get(k)
		if !ok || v == "" {
			v = "-"
		}
		dst = append(dst, v...)
		dst = append(dst, ' ')
	}
	dst = append(dst, "| "...)
	return append(dst, rec.Raw...)
}

// headerStart finds where host starts in a syslog line, right after the
// line's own time stamp (which begins with a digit or a month name and
// holds a colon), or -1.
func headerStart(raw []byte, host string) int {
	if host == "" || len(raw) == 0 {
		return -1
	}
	// The stamp is at most "<191>2026-03-01T00:00:00.123456789+00:00 ".
	limit := min(len(raw), 48+len(host))
	i := bytes.Index(raw[:limit], []byte(" "+host+" "))
	if i <= 0 || bytes.IndexByte(raw[:i], ':') < 0 {
		return -1
	}
	return i + 1
}

func printJSONL(dst []byte, rec *chunk.Record) []byte {
	return loki.AppendJSONL(dst, rec.Attrs, rec.Raw, rec.Time().In(time.UTC))
}

// useColor reports whether text output should be coloured: stdout is a
// terminal and NO_COLOR is not set (https://no-color.org).
func useColor(e *env) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return isTerminal(e.stdout)
}
