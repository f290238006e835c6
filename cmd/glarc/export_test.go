package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"glarc/archive"
	"glarc/archive/loki"
	"glarc/chunk"
	"glarc/chunk/file"
	"glarc/query"
)

// archivedRecords reads every record of a data directory in time order.
func archivedRecords(t *testing.T, data string) []chunk.Record {
	t.Helper()
	fm, err := file.Open(data, file.Options{ReadOnly: true})
	require.NoError(t, err)
	defer fm.Close()
	q, err := query.Parse("")
	require.NoError(t, err)
	var out []chunk.Record
	for rec, err := range query.Run(t.Context(), fm, q, query.Options{}) {
		require.NoError(t, err)
		rec.Raw = bytes.Clone(rec.Raw)
		rec.Attrs = rec.Attrs.Clone()
		out = append(out, rec)
	}
	return out
}

// exportSource imports every sample into a fresh data directory.
func exportSource(t *testing.T) (work, data string) {
	t.Helper()
	work = t.TempDir()
	data = filepath.Join(work, "a")
	var args []string
	for _, s := range []string{"combo.log", "rsyslog.log", "demo-auth.log", "demo-app.log.gz"} {
		args = append(args, sample(t, work, s))
	}
	atRunOK(t, append([]string{"import", "-q", "--data", data, "--year", "2005"}, args...)...)
	return work, data
}

// requireSameRecords compares what a round trip keeps: Raw, the record
// time and every attribute, file included (import adds file only to
// records that have none).
func requireSameRecords(t *testing.T, want, got []chunk.Record, _ string) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, string(w.Raw), string(g.Raw), "record %d", i)
		require.True(t, w.Time().Equal(g.Time()), "record %d: time %s, want %s", i, g.Time(), w.Time())
		require.NotEmpty(t, g.Attrs[archive.AttrFile], "record %d", i)
		wa, ga := maps.Clone(w.Attrs), maps.Clone(g.Attrs)
		if len(wa) == 0 {
			wa = nil
		}
		if len(ga) == 0 {
			ga = nil
		}
		require.Equal(t, wa, ga, "record %d", i)
	}
}

func TestExportJSONLRoundTrip(t *testing.T) {
	work, a := exportSource(t)
	want := archivedRecords(t, a)
	require.Greater(t, len(want), 100)

	out, errs := atRunOK(t, "export", "--data", a)
	require.Empty(t, errs)
	// Exactly what query -o jsonl prints.
	q, _ := atRunOK(t, "query", "--data", a, "-o", "jsonl")
	require.Equal(t, q, out)
	require.Equal(t, len(want), strings.Count(out, "\n"))

	dump := filepath.Join(work, "export.jsonl")
	require.NoError(t, os.WriteFile(dump, []byte(out), 0o644))
	b := filepath.Join(work, "b")
	_, errs = atRunOK(t, "import", "-q", "--data", b, dump)
	require.Contains(t, errs, "0 lines kept raw")
	requireSameRecords(t, want, archivedRecords(t, b), dump)
}

func TestExportPushJSONRoundTrip(t *testing.T) {
	work, a := exportSource(t)
	want := archivedRecords(t, a)

	// One document: glarc import reads it back.
	out, _ := atRunOK(t, "export", "--data", a, "-o", "push-json", "--batch", "0")
	require.Equal(t, 1, strings.Count(out, "\n"))
	dump := filepath.Join(work, "push.json")
	require.NoError(t, os.WriteFile(dump, []byte(out), 0o644))
	c := filepath.Join(work, "c")
	atRunOK(t, "import", "-q", "--data", c, dump)
	requireSameRecords(t, want, archivedRecords(t, c), dump)

	// Batches: one document per line, each a valid push body of at most
	// --batch records, together every record in order with its labels.
	out, _ = atRunOK(t, "export", "--data", a, "-o", "push-json", "--batch", "7")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, (len(want)+6)/7)
	var got []loki.Entry
	for i, l := range lines {
		es, err := loki.DecodePushJSON([]byte(l))
		require.NoError(t, err, "document %d", i)
		require.LessOrEqual(t, len(es), 7)
		got = append(got, es...)
	}
	require.Len(t, got, len(want))
	for i, e := range got {
		require.Equal(t, string(want[i].Raw), string(e.Line), "entry %d", i)
		require.True(t, want[i].Time().Equal(e.Timestamp), "entry %d", i)
		require.Equal(t, map[string]string(want[i].Attrs), map[string]string(e.Labels), "entry %d", i)
	}
}

func TestExportRawAndFilters(t *testing.T) {
	_, a := exportSource(t)
	want := archivedRecords(t, a)
	var raw strings.Builder
	for _, r := range want {
		raw.Write(r.Raw)
		raw.WriteByte('\n')
	}
	out, _ := atRunOK(t, "export", "--data", a, "-o", "raw")
	require.Equal(t, raw.String(), out)

	// A query and a time range select what query selects.
	for _, args := range [][]string{
		{"host=web1"},
		{"sshd", "failed"},
		{"--since", "2005-07-01T00:00:00Z", "--until", "2005-07-10T00:00:00Z"},
	} {
		got, _ := atRunOK(t, append([]string{"export", "--data", a, "-o", "raw"}, args...)...)
		q, _ := atRunOK(t, append([]string{"query", "--data", a, "-o", "raw"}, args...)...)
		require.Equal(t, q, got, "%q", args)
		require.NotEmpty(t, got, "%q", args)
	}
}

func TestExportEmptyAndErrors(t *testing.T) {
	_, a := exportSource(t)
	out, _ := atRunOK(t, "export", "--data", a, "nosuchwordanywhere")
	require.Empty(t, out)
	out, _ = atRunOK(t, "export", "--data", a, "-o", "push-json", "nosuchwordanywhere")
	require.Empty(t, out)
	out, _ = atRunOK(t, "export", "--data", a, "-o", "push-json", "--batch", "0", "nosuchwordanywhere")
	require.Equal(t, "{\"streams\":[]}\n", out)

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-o", "text"}, 2, `--output "text": want jsonl, raw or push-json`},
		{[]string{"-o", "push-json", "--batch", "-1"}, 2, "--batch must not be negative"},
		{[]string{"--since", "soon"}, 2, "--since"},
		{[]string{"--since", "2006-01-02", "--until", "2005-01-02"}, 2, "is after --until"},
		{[]string{"(unclosed"}, 2, ""},
	} {
		code, out, errs := atRun(t, append([]string{"export", "--data", a}, tc.args...)...)
		require.Equal(t, tc.code, code, "%q: %s", tc.args, errs)
		require.Empty(t, out)
		require.Contains(t, errs, tc.want)
	}
	code, _, errs := atRun(t, "export", "--data", filepath.Join(t.TempDir(), "none"))
	require.Equal(t, 1, code)
	require.Contains(t, errs, "no archive")
}

// TestPushWriterBounded: the batch writer keeps no more than one batch.
func TestPushWriterBounded(t *testing.T) {
	var out bytes.Buffer
	p := &pushWriter{batch: 3}
	attrs := chunk.Attributes{"host": "h"}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		rec := chunk.Record{SourceTS: t0.Add(time.Duration(i) * time.Second), Attrs: attrs, Raw: []byte("line")}
		require.NoError(t, p.write(&out, &rec))
		require.LessOrEqual(t, len(p.entries), 2)
	}
	require.NoError(t, p.flush(&out))
	require.Equal(t, 4, strings.Count(out.String(), "\n"))
	require.Equal(t, `{"streams":[{"stream":{"host":"h"},"values":[["1772323209000000000","line"]]}]}`+"\n",
		out.String()[strings.LastIndex(strings.TrimSuffix(out.String(), "\n"), "\n")+1:])
}
