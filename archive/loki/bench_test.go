package loki

import (
	"testing"
)

// Benchmarks of the decoders and the JSONL encoder on the shared samples.
//
//	go test -run '^$' -bench . -count 10 ./archive/loki > new.txt; benchstat old.txt new.txt

func BenchmarkParseJSONLLine(b *testing.B) {
	lines := physicalLines(readLoki(b, "logcli_jsonl_dump_forward_common_labels.jsonl"))
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, l := range lines {
			if _, err := ParseJSONLLine(l); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(size)/float64(len(lines)), "bytes/entry")
}

func BenchmarkAppendJSONL(b *testing.B) {
	entries := expectedEntries(b)
	var out []byte
	for _, e := range entries {
		out = AppendJSONL(out, e.Labels, e.Line, e.Timestamp)
	}
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		out = out[:0]
		for _, e := range entries {
			out = AppendJSONL(out, e.Labels, e.Line, e.Timestamp)
		}
	}
	b.ReportMetric(float64(len(out))/float64(len(entries)), "bytes/entry")
}

func BenchmarkDecodePush(b *testing.B) {
	for _, tt := range []struct {
		file   string
		decode func([]byte) ([]Entry, error)
	}{
		{"push_v1.json", DecodePushJSON},
		{"push_v1.pb.snappy", DecodePushProto},
	} {
		body := readLoki(b, tt.file)
		b.Run(tt.file, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			n := 0
			for b.Loop() {
				es, err := tt.decode(body)
				if err != nil {
					b.Fatal(err)
				}
				n = len(es)
			}
			b.ReportMetric(float64(len(body))/float64(n), "bytes/entry")
		})
	}
}
