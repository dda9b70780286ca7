#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for FUZZTIME each
# (default 60s; CI uses a few seconds). Usage: FUZZTIME=10m scripts/fuzz.sh
#
# Go's fuzz coordinator sometimes stops a short run with a bare "context
# deadline exceeded" and no failing input when a worker is slow to answer
# on a loaded machine; such a run is tried once more. A real finding
# always writes its input under testdata/fuzz and fails at once.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-60s}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r f; do
  pkg="./$(dirname "${f#./}")"
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    for try in 1 2; do
      echo "-- $pkg $target ($fuzztime)"
      began=$SECONDS
      if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" 2>&1 | tee "$out"; then
        echo "-- $target took $((SECONDS - began)) s, building included"
        break
      fi
      if [ "$try" = 2 ] || grep -q 'Failing input written' "$out" || ! grep -q 'context deadline exceeded' "$out"; then
        exit 1
      fi
      echo "-- the fuzz coordinator timed out without a finding; once more"
    done
  done
done
