package memory_test

// Compare runs with benchstat:
//
//	go test -run '^$' -bench . -count 10 ./chunk/memory > old.txt
//	(change)
//	go test -run '^$' -bench . -count 10 ./chunk/memory > new.txt
//	benchstat old.txt new.txt

import (
	"testing"
	"time"

	"glarc/chunk"
	"glarc/chunk/memory"
)

var benchLine = []byte("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186")

func BenchmarkAppend(b *testing.B) {
	m := memory.New(memory.Options{MaxChunkBytes: 1 << 20})
	defer m.Close()
	r := chunk.Record{SourceTS: base, Attrs: chunk.Attributes{"host": "LabSZ"}, Raw: benchLine}
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		r.SourceTS = r.SourceTS.Add(time.Millisecond)
		if _, err := m.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCursorNext(b *testing.B) {
	m := memory.New(memory.Options{})
	defer m.Close()
	const n = 10000
	var id chunk.ChunkID
	for i := range n {
		ref, err := m.Append(chunk.Record{SourceTS: base.Add(time.Duration(n-i) * time.Second), Raw: benchLine})
		if err != nil {
			b.Fatal(err)
		}
		id = ref.Chunk
	}
	if err := m.Seal(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n * int64(len(benchLine)))
	for b.Loop() {
		cur, err := m.OpenCursor(id)
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range chunk.Records(cur, false) {
			if err != nil {
				b.Fatal(err)
			}
		}
		cur.Close()
	}
	b.ReportMetric(n, "records/op")
}
