#!/usr/bin/env bash
# Keeps track of the `hookflow serve` that `make run` starts, so that a second
# `make run` says so instead of failing half-way, and `make stop` stops it.
# Usage: scripts/hookflow.sh running|stop
#   running  exit 0 (with a message) when a Hookflow already serves here
#   stop     stop the Hookflow `make run` started, if it still runs
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${HOOKFLOW_DATA_DIR:-$root/.data}
pid_file="$data/hookflow.pid"
addr=${HOOKFLOW_HTTP_ADDR:-:8080}
host=${addr%:*}
port=${addr##*:}
case "$host" in ""|0.0.0.0|"[::]") host=127.0.0.1 ;; esac

log() { printf '%s\n' "hookflow: $*" >&2; }

# pid prints the pid of the Hookflow `make run` started, when it still runs
# (a pid reused by another program does not count).
pid() {
  [ -s "$pid_file" ] || return 1
  local p; p=$(cat "$pid_file")
  if kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q 'hookflow serve'; then
    printf '%s' "$p"; return 0
  fi
  rm -f "$pid_file"
  return 1
}

port_taken() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

case "${1:-}" in
  running)
    if p=$(pid); then
      log "already running (pid $p) on http://localhost:$port: nothing to do. \`make stop\` stops it."
      exit 0
    fi
    if port_taken; then
      if curl -fsS -m 3 "http://$host:$port/healthcheck" >/dev/null 2>&1; then
        log "a Hookflow not started by \`make run\` already answers on http://localhost:$port: nothing to do (stop it yourself; \`make stop\` does not know it)."
        exit 0
      fi
      log "$host:$port (HOOKFLOW_HTTP_ADDR) is taken by something else: free it or set HOOKFLOW_HTTP_ADDR."
      exit 2
    fi
    exit 1
    ;;
  stop)
    if p=$(pid); then
      log "stopping Hookflow (pid $p)"
      kill -TERM "$p"
      # The API drains requests for up to 30 s, then the worker its tasks.
      for _ in $(seq 1 180); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
      if kill -0 "$p" 2>/dev/null; then log "pid $p did not stop in 45 s; killing it"; kill -KILL "$p"; fi
      rm -f "$pid_file"
    fi
    ;;
  *)
    echo "usage: $0 running|stop" >&2; exit 2 ;;
esac
