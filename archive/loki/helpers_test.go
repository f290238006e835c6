package loki

import (
	"os"
	"time"

	"glarc/chunk"
)

func ts(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// attrs builds attributes from name, value pairs.
func attrs(kv ...string) chunk.Attributes {
	a := make(chunk.Attributes, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i]] = kv[i+1]
	}
	return a
}

func readFileIfPresent(path string) ([]byte, error) { return os.ReadFile(path) }
