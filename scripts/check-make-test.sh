#!/usr/bin/env bash
# Checks that `make test` ends by saying the services it reused or started are
# left running and that `make stop` stops them, whether the tests pass or
# fail, and keeps the tests' exit status. It runs the recipe with a stand-in
# `go` and without the services prerequisite (make -o services): it starts,
# stops and tests nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
fail() { echo "check-make-test: FAIL: $*" >&2; exit 1; }

for want in 0 3; do
  printf '#!/bin/sh\necho "fake go $*"\nexit %s\n' "$want" >"$fake/go"
  chmod +x "$fake/go"
  set +e
  out=$(PATH="$fake:$PATH" make --no-print-directory -o services test 2>&1)
  rc=$?
  set -e
  grep -q "fake go test" <<<"$out" || fail "the tests did not run: $out"
  grep -q "left running" <<<"$out" || fail "go test exiting $want: no word that the services are left running: $out"
  grep -q "make stop" <<<"$out" || fail "go test exiting $want: no word of make stop: $out"
  if [ "$want" -eq 0 ] && [ "$rc" -ne 0 ]; then fail "make test exited $rc after passing tests"; fi
  if [ "$want" -ne 0 ] && [ "$rc" -eq 0 ]; then fail "make test exited 0 after failing tests"; fi
done
echo "check-make-test: ok"
