#!/usr/bin/env bash
# Checks /docs in a real browser: headless Chromium (Debian's chromium,
# installed when missing) opens the page, which must render the endpoints with
# nothing loaded from elsewhere, and a screenshot goes to docs/docs-page.png.
# Usage: scripts/docs-check.sh [URL of a running /docs]
# Without a URL it starts `hookflow api` on a free port of DOCS_CHECK_PORTS
# (default 18040-18059) against the services `make run` uses.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.data/docs-check"   # puppeteer-core lives here, git-ignored
puppeteer_version=24.43.1        # the last line that runs on Debian 12's Node 20
screenshot=${DOCS_CHECK_SCREENSHOT:-$root/docs/docs-page.png}
ports=${DOCS_CHECK_PORTS:-18040-18059}

log() { printf '%s\n' "docs-check: $*" >&2; }

chromium_bin=$(command -v chromium || true)
if [ -z "$chromium_bin" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "chromium is missing and we are not root: apt-get install chromium"
    exit 1
  fi
  log "installing Debian's chromium"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  chromium_bin=$(command -v chromium)
fi

if [ ! -d "$tools/node_modules/puppeteer-core" ]; then
  log "installing puppeteer-core $puppeteer_version into $tools"
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "puppeteer-core@$puppeteer_version" >&2
fi

url=${1:-}
if [ -z "$url" ]; then
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  port=""
  for p in $(seq "${ports%-*}" "${ports#*-}"); do
    if port_free "$p"; then port=$p; break; fi
  done
  if [ -z "$port" ]; then log "no free port in $ports"; exit 1; fi
  [ -x "$root/bin/hookflow" ] || (cd "$root" && make -s build)
  log "starting hookflow api on :$port"
  # Development: the page is served with the development key, on loopback.
  HOOKFLOW_ENV=development HOOKFLOW_HTTP_ADDR="127.0.0.1:$port" "$root/bin/hookflow" api >"$tools/hookflow.log" 2>&1 &
  hookflow_pid=$!
  trap 'kill "$hookflow_pid" 2>/dev/null; wait "$hookflow_pid" 2>/dev/null || true' EXIT
  url="http://127.0.0.1:$port/docs"
  for _ in $(seq 1 100); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/openapi.json" 2>/dev/null; then break; fi
    if ! kill -0 "$hookflow_pid" 2>/dev/null; then log "hookflow exited:"; cat "$tools/hookflow.log" >&2; exit 1; fi
    sleep 0.2
  done
fi

# Node resolves puppeteer-core from the script's directory, so run a copy there.
cp "$root/scripts/docs-check.mjs" "$tools/docs-check.mjs"
node "$tools/docs-check.mjs" "$url" "$screenshot" "$chromium_bin"
