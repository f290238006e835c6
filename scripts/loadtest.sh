#!/bin/sh
# Load test of glarc serve: N TCP syslog senders for a bounded time, then
# every line must be queryable exactly once. Prints messages/s and peak RSS.
#
#   scripts/loadtest.sh [-senders 8] [-duration 10s] [-sync] [-- extra serve flags]
set -eu
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/glarc" ./cmd/glarc
go run ./scripts/loadtest -glarc "$bin/glarc" "$@"
