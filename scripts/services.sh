#!/usr/bin/env bash
# Brings up (or down) the local PostgreSQL and Temporal dev server that
# `make run` and `make test` use. Idempotent: a service that already answers is
# reused; state lives under .data/ (HOOKFLOW_DATA_DIR). Usage: scripts/services.sh up|down|env
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${HOOKFLOW_DATA_DIR:-$root/.data}
pg_port=${HOOKFLOW_PG_PORT:-5432}
pg_host=127.0.0.1
temporal_port=${HOOKFLOW_TEMPORAL_PORT:-7233}
temporal_ui_port=${HOOKFLOW_TEMPORAL_UI_PORT:-8233}
# HOOKFLOW_TEMPORAL_BIN: another build of the CLI (the benchmark compares versions).
temporal_bin=${HOOKFLOW_TEMPORAL_BIN:-$root/bin/temporal}
temporal_db=${HOOKFLOW_TEMPORAL_DB:-$data/temporal.db}
temporal_pid=${HOOKFLOW_TEMPORAL_PID:-$data/temporal.pid}
temporal_log=${HOOKFLOW_TEMPORAL_LOG:-$data/temporal.log}

log() { printf '%s\n' "services: $*" >&2; }

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$d" ]; then
    log "PostgreSQL server binaries missing; installing Debian's postgresql package"
    if [ "$(id -u)" -ne 0 ]; then
      log "not root: install the postgresql package, or set HOOKFLOW_DATABASE_URL to a running server"
      exit 1
    fi
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    # The package starts its own cluster on 5432; ours lives under .data/.
    service postgresql stop >/dev/null 2>&1 || true
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  printf '%s' "$d"
}

# as_pg runs a command as the postgres user when we are root (the server
# refuses to run as root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_ready() {
  local bin; bin=$(pg_bin_dir)
  "$bin/pg_isready" -q -h "$pg_host" -p "$pg_port" >/dev/null 2>&1
}

# pg_dir is the cluster's directory: .data/pg, or, when the postgres user
# cannot reach into the checkout (a clone under /root), a directory of ours
# under /var/tmp.
pg_dir() {
  mkdir -p "$data"
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$data" 2>/dev/null; then
    printf '%s' "$data/pg"
  else
    # Keyed by the checkout, or by HOOKFLOW_DATA_DIR when that is set.
    printf '%s' "/var/tmp/hookflow-$(printf '%s' "${HOOKFLOW_DATA_DIR:-$root}" | md5sum | cut -c1-8)/pg"
  fi
}

postgres_up() {
  if pg_ready; then log "PostgreSQL answers on $pg_host:$pg_port"; return; fi
  local bin dir; bin=$(pg_bin_dir); dir=$(pg_dir)
  if [ ! -s "$dir/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in $dir"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir" "$(dirname "$dir")"; chmod 700 "$dir"; fi
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  log "starting PostgreSQL on $pg_host:$pg_port"
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/../pg.log" -w -t 60 start \
    -o "-c listen_addresses=$pg_host -p $pg_port -k /tmp -c max_connections=200 -c synchronous_commit=off -c shared_buffers=256MB" >/dev/null
}

postgres_down() {
  local bin dir; bin=$(pg_bin_dir); dir=$(pg_dir)
  if [ -s "$dir/postmaster.pid" ]; then
    log "stopping PostgreSQL"
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  fi
}

temporal_ready() {
  [ -x "$temporal_bin" ] && "$temporal_bin" operator cluster health --address "127.0.0.1:$temporal_port" >/dev/null 2>&1
}

temporal_up() {
  if temporal_ready; then log "Temporal answers on 127.0.0.1:$temporal_port"; return; fi
  if [ ! -x "$temporal_bin" ]; then
    log "building the Temporal CLI into bin/ (once, about 2 minutes)..."
    GOBIN="$root/bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1
    log "built bin/temporal"
  fi
  mkdir -p "$data"
  log "starting the Temporal dev server on 127.0.0.1:$temporal_port (UI http://localhost:$temporal_ui_port)"
  local attrs=() a
  for a in WebhookId EventId EventType FacilityId ClientId OrganizationId DeliveryStatus; do
    attrs+=(--search-attribute "$a=Keyword")
  done
  attrs+=(--search-attribute AttemptCount=Int --search-attribute NextRetryAt=Datetime)
  # HOOKFLOW_TEMPORAL_DYNAMIC_CONFIG: extra KEY=VALUE settings, space-separated (the benchmark's experiments).
  local extra=() kv
  for kv in ${HOOKFLOW_TEMPORAL_DYNAMIC_CONFIG:-}; do extra+=(--dynamic-config-value "$kv"); done
  # HOOKFLOW_TEMPORAL_SQLITE_PRAGMAS: extra PRAGMA=VALUE settings, space-separated; a later one
  # overrides the defaults below (the CLI keeps the last value of a pragma).
  for kv in ${HOOKFLOW_TEMPORAL_SQLITE_PRAGMAS:-}; do extra+=(--sqlite-pragma "$kv"); done
  # HOOKFLOW_TEMPORAL_GOENV: extra Go runtime settings of the dev server alone (GOMAXPROCS=1 GOMEMLIMIT=2GiB).
  local goenv=()
  for kv in ${HOOKFLOW_TEMPORAL_GOENV:-}; do goenv+=("$kv"); done
  # synchronous=off: no fsync at WAL checkpoints, which probably stall the store's one
  # connection; the floor rose 16% (mean of alternating runs 137 to 158/s). A crash
  # of the process loses nothing; an OS crash or power loss may corrupt this
  # dev store, which is scratch data.
  # setsid: the server outlives this script and the make target that ran it.
  # The dev server spends a tenth of its CPU in the garbage collector at the
  # default GOGC; memory is cheap here, CPU is not.
  env GOGC=${HOOKFLOW_TEMPORAL_GOGC:-400} ${goenv[@]+"${goenv[@]}"} setsid nohup "$temporal_bin" server start-dev \
    --ip 127.0.0.1 --port "$temporal_port" --ui-port "$temporal_ui_port" \
    --db-filename "$temporal_db" \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=off \
    --dynamic-config-value system.enableEagerWorkflowStart=true \
    --dynamic-config-value frontend.enableUpdateWorkflowExecution=true \
    --log-level warn "${attrs[@]}" ${extra[@]+"${extra[@]}"} >"$temporal_log" 2>&1 < /dev/null &
  echo $! >"$temporal_pid"
  local i
  for i in $(seq 1 120); do
    if temporal_ready; then return; fi
    if ! kill -0 "$(cat "$temporal_pid")" 2>/dev/null; then
      log "the Temporal dev server exited; see $temporal_log"; tail -n 20 "$temporal_log" >&2; exit 1
    fi
    sleep 0.5
  done
  log "the Temporal dev server did not answer within 60s; see $temporal_log"; exit 1
}

temporal_down() {
  if [ -s "$temporal_pid" ] && kill -0 "$(cat "$temporal_pid")" 2>/dev/null; then
    log "stopping the Temporal dev server"
    kill "$(cat "$temporal_pid")"
    local i
    for i in $(seq 1 40); do kill -0 "$(cat "$temporal_pid")" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$temporal_pid"
}

# ensure_database creates the database named in the URL path when missing.
ensure_database() {
  local name=$1 bin; bin=$(pg_bin_dir)
  if ! "$bin/psql" -h "$pg_host" -p "$pg_port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    log "creating database $name"
    "$bin/psql" -h "$pg_host" -p "$pg_port" -U postgres -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
  fi
}

# A database named by HOOKFLOW_DATABASE_URL that answers is used as it is.
external_database() {
  [ -n "${HOOKFLOW_DATABASE_URL:-}" ] || return 1
  local bin; bin=$(pg_bin_dir)
  "$bin/psql" "$HOOKFLOW_DATABASE_URL" -tAc 'SELECT 1' >/dev/null 2>&1
}

case "${1:-up}" in
  up)
    if external_database; then
      log "using the database of HOOKFLOW_DATABASE_URL"
    else
      postgres_up
      ensure_database "${HOOKFLOW_DB_NAME:-hookflow}"
    fi
    temporal_up
    ;;
  down)
    temporal_down
    postgres_down
    ;;
  temporal-up)   # a dev server of its own (the benchmark's): set the HOOKFLOW_TEMPORAL_* variables
    temporal_up ;;
  temporal-down)
    temporal_down ;;
  *)
    echo "usage: $0 up|down|temporal-up|temporal-down" >&2; exit 2 ;;
esac
