#!/usr/bin/env bash
# Checks the dev loop twice in a row: `make run` serves, a second `make run`
# says so and exits 0, `make stop` stops Hookflow and the services. It starts
# and stops services, so it refuses the default ports (someone else's
# services may live there): set the variables of README's "The dev loop".
set -euo pipefail
cd "$(dirname "$0")/.."

for v in HOOKFLOW_PG_PORT HOOKFLOW_TEMPORAL_PORT HOOKFLOW_TEMPORAL_UI_PORT HOOKFLOW_HTTP_ADDR \
    HOOKFLOW_DATA_DIR HOOKFLOW_DATABASE_URL HOOKFLOW_TEMPORAL_ADDRESS; do
  if [ -z "${!v:-}" ]; then echo "check-dev-loop: set $v (ports and data dir of your own)" >&2; exit 2; fi
done
case "$HOOKFLOW_PG_PORT:$HOOKFLOW_TEMPORAL_PORT" in 5432:*|*:7233)
  echo "check-dev-loop: refusing the default ports 5432/7233" >&2; exit 2 ;; esac

url="http://127.0.0.1:${HOOKFLOW_HTTP_ADDR##*:}"
log=$(mktemp)
fail() { echo "check-dev-loop: FAIL: $*" >&2; tail -n 30 "$log" >&2; make stop >/dev/null 2>&1 || true; exit 1; }

for round in 1 2; do
  make run >"$log" 2>&1 &
  for _ in $(seq 1 240); do curl -fsS -m 1 "$url/healthcheck" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fsS -m 2 "$url/healthcheck" >/dev/null || fail "round $round: make run did not serve $url"
  again=$(make run 2>&1) || fail "round $round: a second make run exited non-zero: $again"
  grep -q "already running" <<<"$again" || fail "round $round: a second make run said: $again"
  make stop >/dev/null 2>&1 || fail "round $round: make stop failed"
  wait || true
  if curl -fsS -m 1 "$url/healthcheck" >/dev/null 2>&1; then fail "round $round: Hookflow still answers after make stop"; fi
  [ ! -e "$HOOKFLOW_DATA_DIR/hookflow.pid" ] || fail "round $round: pid file left behind"
  echo "check-dev-loop: round $round ok"
done
rm -f "$log"
