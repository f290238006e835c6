package index

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"glarc/chunk"
)

type fakeCollector struct{ name string }

func (fakeCollector) Add(uint32, *chunk.Record) {}
func (fakeCollector) Finish(string) error       { return nil }

type fakeLineCollector struct{ fakeCollector }

func (fakeLineCollector) AddLine(uint32, []byte) {}

func TestPlanPass(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("planPass keeps everything on one goroutine with one core")
	}
	names := func(local []Collector, off []LineCollector) (l, o []string) {
		for _, c := range local {
			switch c := c.(type) {
			case fakeLineCollector:
				l = append(l, c.name)
			case fakeCollector:
				l = append(l, c.name)
			}
		}
		for _, c := range off {
			o = append(o, c.(fakeLineCollector).name)
		}
		return l, o
	}
	line := func(n string) Collector { return fakeLineCollector{fakeCollector{n}} }
	for _, tc := range []struct {
		name       string
		cols       []Collector
		local, off []string
	}{
		{"all four", []Collector{line("t"), fakeCollector{"a"}, line("k"), line("b")},
			[]string{"a"}, []string{"t", "k", "b"}},
		{"lines only", []Collector{line("t"), line("k"), line("b")},
			nil, []string{"t", "k", "b"}},
		{"no line collector", []Collector{fakeCollector{"a"}}, []string{"a"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, o := names(planPass(tc.cols))
			require.Equal(t, tc.local, l)
			require.Equal(t, tc.off, o)
		})
	}
}

func TestValidBlock(t *testing.T) {
	text := []byte("abcdef")
	for _, tc := range []struct {
		name      string
		pos, n    uint64
		first     uint64
		offs      []uint32
		wantValid bool
	}{
		{"whole chunk", 0, 3, 0, []uint32{0, 2, 4, 6}, true},
		{"later block", 10, 13, 10, []uint32{0, 2, 4, 6}, true},
		{"empty line", 0, 2, 0, []uint32{0, 6, 6}, true},
		{"no records", 0, 3, 0, []uint32{0}, false},
		{"other start", 0, 3, 1, []uint32{0, 2, 4, 6}, false},
		{"past the chunk", 0, 2, 0, []uint32{0, 2, 4, 6}, false},
		{"not from 0", 0, 3, 0, []uint32{1, 2, 4, 6}, false},
		{"short of the text", 0, 3, 0, []uint32{0, 2, 4, 5}, false},
		{"past the text", 0, 3, 0, []uint32{0, 2, 4, 7}, false},
		{"descending", 0, 3, 0, []uint32{0, 4, 2, 6}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.wantValid, validBlock(tc.pos, tc.n, text, tc.first, tc.offs))
		})
	}
}
