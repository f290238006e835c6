package main

import (
	"time"

	"glarc/archive/loki"
	"glarc/chunk"
)

// printer appends one record, formatted, with its newline.
type printer func(dst []byte, rec *chunk.Record) []byte

// Text output: the record time (with year and zone), host, app, and the
// original line:
//
//	2005-06-14T15:16:01Z combo sshd(pam_unix) Jun 14 15:16:01 combo sshd(pam_unix)[19939]: ...
const textTime = "2006-01-02T15:04:05.000Z07:00"

func newPrinter(name string) (printer, error) {
	switch name {
	case "text", "":
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
	dst = rec.Time().Local().AppendFormat(dst, textTime)
	for _, k := range []string{"host", "app"} {
		v, ok := rec.Attrs.Get(k)
		if !ok || v == "" {
			v = "-"
		}
		dst = append(dst, ' ')
		dst = append(dst, v...)
	}
	dst = append(dst, ' ')
	dst = append(dst, rec.Raw...)
	return append(dst, '\n')
}

func printJSONL(dst []byte, rec *chunk.Record) []byte {
	return loki.AppendJSONL(dst, rec.Attrs, rec.Raw, rec.Time().In(time.UTC))
}
