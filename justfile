# glarc tasks. `just` is optional: every recipe is a plain command you can run by hand.
# Install it with `npm install -g rust-just` (or use the commands below directly).

data := "./data"

# Build the binary into ./glarc: static (no libc, no cgo DNS resolver; glarc
# never resolves names), which also starts a query process about 30% sooner.
build:
    CGO_ENABLED=0 go build -o glarc ./cmd/glarc

# Run every test (what CI runs, without installs).
test:
    go vet ./...
    go test ./...

# Go benchmarks (benchstat-friendly), then the end-to-end benchmark against zstd and rg.
bench:
    go test -run '^$' -bench . -benchmem -count 5 ./... | tee bench.txt
    scripts/bench.sh

# Fuzz every fuzz target for a while (FUZZTIME=30s by default).
fuzz:
    scripts/fuzz.sh

# Import the bundled samples and run a query.
demo:
    go run ./cmd/glarc import --data {{data}} testdata/samples/*
    go run ./cmd/glarc query --data {{data}} 'sshd failed'
