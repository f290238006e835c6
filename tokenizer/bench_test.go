package tokenizer_test

// Compare runs with benchstat:
//
//	go test -run '^$' -bench . -count 10 ./tokenizer > old.txt
//	(change)
//	go test -run '^$' -bench . -count 10 ./tokenizer > new.txt
//	benchstat old.txt new.txt

import (
	"testing"

	"glarc/tokenizer"
)

// benchLines returns the loghub lines and their total size.
func benchLines(b *testing.B) ([][]byte, int64) {
	lines := requireLoghub(b)
	var n int64
	for _, l := range lines {
		n += int64(len(l))
	}
	return lines, n
}

func BenchmarkAppend(b *testing.B) {
	lines, size := benchLines(b)
	var buf []byte
	var ends []int
	tokens := 0
	b.SetBytes(size)
	for b.Loop() {
		tokens = 0
		for _, l := range lines {
			buf, ends = tokenizer.Append(buf[:0], ends[:0], l)
			tokens += len(ends)
		}
	}
	b.ReportMetric(float64(tokens)/float64(len(lines)), "tokens/line")
}

func BenchmarkContainsToken(b *testing.B) {
	lines, size := benchLines(b)
	for _, tc := range []struct{ name, tok string }{
		{"rare", "webmaster"},
		{"common", "session"},
		{"absent", "zzyzx"},
		{"number", "22"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tok := []byte(tc.tok)
			hits := 0
			b.SetBytes(size)
			for b.Loop() {
				hits = 0
				for _, l := range lines {
					if tokenizer.ContainsToken(l, tok) {
						hits++
					}
				}
			}
			b.ReportMetric(float64(hits), "hits")
		})
	}
}

func BenchmarkContainsPhrase(b *testing.B) {
	lines, size := benchLines(b)
	for _, tc := range []struct{ name, phrase string }{
		{"words", "failed password"},
		{"ip", "173.234.31.186"},
		{"punct", "pam_unix(sshd:auth)"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			phrase := []byte(tc.phrase)
			hits := 0
			b.SetBytes(size)
			for b.Loop() {
				hits = 0
				for _, l := range lines {
					if tokenizer.ContainsPhrase(l, phrase) {
						hits++
					}
				}
			}
			b.ReportMetric(float64(hits), "hits")
		})
	}
}

func BenchmarkHasPair(b *testing.B) {
	lines, size := benchLines(b)
	key, value := []byte("user"), []byte("root")
	hits := 0
	b.SetBytes(size)
	for b.Loop() {
		hits = 0
		for _, l := range lines {
			if tokenizer.HasPair(l, key, value) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(hits), "hits")
}

func BenchmarkPairs(b *testing.B) {
	lines, size := benchLines(b)
	n := 0
	b.SetBytes(size)
	for b.Loop() {
		n = 0
		for _, l := range lines {
			for range tokenizer.Pairs(l) {
				n++
			}
		}
	}
	b.ReportMetric(float64(n), "pairs")
}
