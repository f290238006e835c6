//go:build !unix

package container

import (
	"fmt"
	"os"
)

// mapPath reads the file at path: this platform has no mapping here.
func mapPath(path string) ([]byte, bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("read index: %w", err)
	}
	return b, false, nil
}

func unmap([]byte) error { return nil }
