//go:build !unix

package container

import "os"

func mapFile(f *os.File) ([]byte, bool, error) {
	b, err := readAll(f)
	return b, false, err
}

func unmap([]byte) error { return nil }
