package index_test

import (
	"os"
	"runtime"
)

func osMkdir(dir string) error { return os.MkdirAll(dir, 0o755) }

func runtimeGosched() { runtime.Gosched() }
