#!/usr/bin/env bash
# The production shape without Docker (issue 22): the Temporal server built
# from its Go module at the version docker-compose.yml pins, on a PostgreSQL
# cluster of its own with its schemas set up by the server's SQL tool, its
# frontend behind mutual TLS with a CA this script makes, and Hookflow as one
# `hookflow api` and two `hookflow worker` processes on a PostgreSQL cluster
# of their own. It never touches the dev services (7233/8233, 5432).
#
# Usage: scripts/prod-stack.sh up|down|status|env
#   up      builds what is missing (the server once per machine, in the user's
#           cache), starts everything, waits until it answers
#   down    stops every process it started (pid files), keeps the data
#   status  says what runs; exit 0 only when all of it does
#   env     prints the exports the end-to-end suite reads (e2e/prodstack)
#   hookflow-up  starts the Hookflow processes that are not running
# State lives under .data/prod/ (HOOKFLOW_PROD_DATA_DIR); `down` then
# `rm -rf .data/prod` starts from nothing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${HOOKFLOW_PROD_DATA_DIR:-$root/.data/prod}

# One version, the compose file's (temporalio/auto-setup:1.29.1).
server_version=v1.29.1
cache=${XDG_CACHE_HOME:-$HOME/.cache}/hookflow
server_dir=$cache/temporal-server-$server_version
server_bin=$server_dir/temporal-server
sql_tool=$server_dir/temporal-sql-tool
temporal_cli=${HOOKFLOW_TEMPORAL_CLI:-$root/bin/temporal}
hookflow_bin=$root/bin/hookflow

pg_host=127.0.0.1
# Temporal's cluster and Hookflow's: apart, as in production (README,
# "Production").
temporal_pg_port=${HOOKFLOW_PROD_TEMPORAL_PG_PORT:-5433}
hookflow_pg_port=${HOOKFLOW_PROD_PG_PORT:-5434}
# Temporal's ports: the frontend's gRPC is the only one clients use; the
# others are the services' own and their membership (ringpop) ports.
frontend_port=${HOOKFLOW_PROD_TEMPORAL_PORT:-7263}
api_port=${HOOKFLOW_PROD_API_PORT:-8091}
worker_ports=(8092 8093)
server_name=localhost

log() { printf '%s\n' "prod-stack: $*" >&2; }
die() { log "$*"; exit 1; }

pg_bin_dir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] || die "PostgreSQL server binaries missing: run \`make services\` once (it installs Debian's postgresql) or apt-get install postgresql"
  printf '%s' "$d"
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# pg_root is where the clusters live: .data/prod, or, when the postgres user
# cannot reach into the checkout (a clone under /root), a directory of ours
# under /var/tmp keyed by the data directory.
pg_root() {
  mkdir -p "$data"
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$data" 2>/dev/null; then
    printf '%s' "$data"
  else
    printf '%s' "/var/tmp/hookflow-prod-$(printf '%s' "$data" | md5sum | cut -c1-8)"
  fi
}

# --- building ---------------------------------------------------------------

# build_server builds temporal-server and temporal-sql-tool from the
# go.temporal.io/server module, inside the module's own directory so its go.mod
# (and any replace directive in it) decides every dependency; once per machine.
build_server() {
  if [ -x "$server_bin" ] && [ -x "$sql_tool" ]; then return; fi
  log "building the Temporal server $server_version into $server_dir (once per machine, several minutes)..."
  local tmp mod
  tmp=$(mktemp -d)
  mod=$(cd "$tmp" && go mod download -json "go.temporal.io/server@$server_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  rm -rf "$tmp"
  [ -d "$mod" ] || die "go mod download go.temporal.io/server@$server_version gave no directory"
  mkdir -p "$server_dir"
  (cd "$mod" && nice -n 10 go build -o "$server_bin.tmp" ./cmd/server && mv "$server_bin.tmp" "$server_bin")
  (cd "$mod" && nice -n 10 go build -o "$sql_tool.tmp" ./cmd/tools/sql && mv "$sql_tool.tmp" "$sql_tool")
  # The schema files ship in the module; keep them beside the binaries.
  rm -rf "$server_dir/schema" && cp -r "$mod/schema" "$server_dir/schema" && chmod -R u+w "$server_dir/schema"
  log "built $server_bin"
}

build_clients() {
  if [ ! -x "$temporal_cli" ]; then
    (cd "$root" && make --no-print-directory bin/temporal >&2)
  fi
  (cd "$root" && make --no-print-directory bin/hookflow >&2)
}

# --- certificates -----------------------------------------------------------

# make_certs makes a CA, the frontend's server certificate (localhost and
# 127.0.0.1) and one client certificate that Hookflow, the CLI and the
# server's own system worker present (the frontend asks every client for one).
make_certs() {
  local dir=$data/tls
  if [ -s "$dir/client.pem" ]; then return; fi
  command -v openssl >/dev/null || die "openssl missing: apt-get install openssl"
  log "making a CA and certificates in $dir"
  mkdir -p "$dir"
  (
    cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=Hookflow prod-stack CA" -keyout ca.key -out ca.pem 2>/dev/null
    local name
    for name in server client; do
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$name.$server_name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
      if [ "$name" = server ]; then
        printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' "$server_name" >"$name.ext"
      else
        printf 'extendedKeyUsage=clientAuth\n' >"$name.ext"
      fi
      openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile "$name.ext" -out "$name.pem" 2>/dev/null
      rm -f "$name.csr" "$name.ext"
    done
    chmod 600 ./*.key
  )
}

# --- PostgreSQL -------------------------------------------------------------

pg_ready() { "$(pg_bin_dir)/pg_isready" -q -h "$pg_host" -p "$1" >/dev/null 2>&1; }

# pg_up NAME PORT starts the cluster NAME (initialising it once) on PORT.
pg_up() {
  local name=$1 port=$2 bin dir
  bin=$(pg_bin_dir); dir=$(pg_root)/$name
  if pg_ready "$port"; then
    [ -s "$dir/postmaster.pid" ] || die "port $port answers but is not our $name cluster; set HOOKFLOW_PROD_*PG_PORT"
    return
  fi
  if [ ! -s "$dir/PG_VERSION" ]; then
    log "creating the PostgreSQL cluster $name in $dir"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir" "$(dirname "$dir")"; chmod 700 "$dir"; fi
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  log "starting PostgreSQL $name on $pg_host:$port"
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir.log" -w -t 60 start \
    -o "-c listen_addresses=$pg_host -p $port -k /tmp -c max_connections=200 -c shared_buffers=128MB" >/dev/null
}

pg_down() {
  local name=$1 bin dir
  bin=$(pg_bin_dir); dir=$(pg_root)/$name
  if [ -s "$dir/postmaster.pid" ]; then
    log "stopping PostgreSQL $name"
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  fi
}

ensure_database() {
  local port=$1 name=$2 bin; bin=$(pg_bin_dir)
  if ! "$bin/psql" -h "$pg_host" -p "$port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    log "creating database $name on port $port"
    "$bin/psql" -h "$pg_host" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
  fi
}

# setup_schemas creates Temporal's two databases and brings their schemas to
# the version the server expects, with the server's own tool and the schema
# files of the same module (idempotent: update-schema applies what is missing).
setup_schemas() {
  local db dir
  for db in temporal temporal_visibility; do
    if [ "$db" = temporal ]; then dir=$server_dir/schema/postgresql/v12/temporal/versioned
    else dir=$server_dir/schema/postgresql/v12/visibility/versioned; fi
    local sql=("$sql_tool" --plugin postgres12 --ep "$pg_host" -p "$temporal_pg_port" -u postgres --db "$db")
    ensure_database "$temporal_pg_port" "$db"
    if ! "$(pg_bin_dir)/psql" -h "$pg_host" -p "$temporal_pg_port" -U postgres -d "$db" -tAc \
        "SELECT 1 FROM pg_tables WHERE tablename = 'schema_version'" | grep -q 1; then
      log "setting up the $db schema"
      "${sql[@]}" setup-schema -v 0.0 >>"$data/schema.log" 2>&1 || die "setup-schema $db failed; see $data/schema.log"
    fi
    "${sql[@]}" update-schema -d "$dir" >>"$data/schema.log" 2>&1 || die "update-schema $db failed; see $data/schema.log"
  done
}

# --- the Temporal server ----------------------------------------------------

# write_server_config writes the server's configuration: persistence and
# visibility on PostgreSQL (postgres12), every service in one process on
# ports of its own (frontend 7263; the dev server keeps 7233, the benchmark's 7243), the frontend
# behind mutual TLS.
write_server_config() {
  local conf=$data/temporal-config tls=$data/tls
  mkdir -p "$conf"
  local p=$frontend_port
  cat >"$conf/prod.yaml" <<EOF
# Written by scripts/prod-stack.sh; rewritten at every up.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal"
        connectAddr: "$pg_host:$temporal_pg_port"
        connectProtocol: "tcp"
        user: "postgres"
        password: ""
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: "1h"
    postgres-visibility:
      sql:
        pluginName: "postgres12"
        databaseName: "temporal_visibility"
        connectAddr: "$pg_host:$temporal_pg_port"
        connectProtocol: "tcp"
        user: "postgres"
        password: ""
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: "1h"

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:$((p + 57))"
  tls:
    frontend:
      server:
        certFile: $tls/server.pem
        keyFile: $tls/server.key
        requireClientAuth: true
        clientCaFiles:
          - $tls/ca.pem
      client:
        serverName: $server_name
        rootCaFiles:
          - $tls/ca.pem
    # The server's own worker (schedules, namespace deletion) is a client
    # of the frontend like any other: it shows a certificate too.
    systemWorker:
      certFile: $tls/client.pem
      keyFile: $tls/client.key
      client:
        serverName: $server_name
        rootCaFiles:
          - $tls/ca.pem

services:
  frontend:
    rpc:
      grpcPort: $p
      membershipPort: $((p - 300))
      bindOnLocalHost: true
      httpPort: $((p + 10))
  history:
    rpc:
      grpcPort: $((p + 1))
      membershipPort: $((p - 299))
      bindOnLocalHost: true
  matching:
    rpc:
      grpcPort: $((p + 2))
      membershipPort: $((p - 298))
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: $((p + 6))
      membershipPort: $((p - 294))
      bindOnLocalHost: true

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "$server_name:$p"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: "$root/deploy/temporal/dynamicconfig.yaml"
  pollInterval: "10s"
EOF
}

server_pid=$data/temporal-server.pid

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# tcli runs the Temporal CLI against the stack's frontend over mutual TLS.
tcli() {
  "$temporal_cli" "$@" --address "127.0.0.1:$frontend_port" \
    --tls-ca-path "$data/tls/ca.pem" --tls-cert-path "$data/tls/client.pem" \
    --tls-key-path "$data/tls/client.key" --tls-server-name "$server_name"
}

server_ready() { tcli operator cluster health >/dev/null 2>&1; }

server_up() {
  if alive "$server_pid" && server_ready; then log "the Temporal server answers on 127.0.0.1:$frontend_port"; return; fi
  write_server_config
  log "starting the Temporal server $server_version (frontend 127.0.0.1:$frontend_port, mTLS)"
  # exec: the pid file holds the server's own pid, and no shell of ours
  # keeps the caller's stdout open while it runs.
  (cd "$data" && exec env GOGC=${HOOKFLOW_PROD_TEMPORAL_GOGC:-200} setsid "$server_bin" \
    --root "$data" --config temporal-config --env prod --allow-no-auth start \
    >"$data/temporal-server.log" 2>&1 </dev/null) &
  echo $! >"$server_pid"
  local i
  for i in $(seq 1 240); do
    if server_ready; then return; fi
    alive "$server_pid" || { tail -n 30 "$data/temporal-server.log" >&2; die "the Temporal server exited; see $data/temporal-server.log"; }
    sleep 0.5
  done
  die "the Temporal server did not answer within 120s; see $data/temporal-server.log"
}

# namespace_up registers the namespace `default` with the retention of
# Hookflow's logs (the compose file's DEFAULT_NAMESPACE_RETENTION), then
# Hookflow's search attributes, once, before two workers race to add them.
namespace_up() {
  if ! tcli operator namespace describe --namespace default >/dev/null 2>&1; then
    log "registering the namespace default (retention 336h)"
    tcli operator namespace create --namespace default --retention 336h >/dev/null
  fi
  local a
  for a in WebhookId EventId EventType FacilityId ClientId OrganizationId DeliveryStatus; do
    tcli operator search-attribute create --namespace default --name "$a" --type Keyword >/dev/null 2>&1 || true
  done
  tcli operator search-attribute create --namespace default --name AttemptCount --type Int >/dev/null 2>&1 || true
  tcli operator search-attribute create --namespace default --name NextRetryAt --type Datetime >/dev/null 2>&1 || true
}

# --- Hookflow ---------------------------------------------------------------

hookflow_db_url="postgres://postgres@$pg_host:$hookflow_pg_port/hookflow?sslmode=disable"

# hookflow_env is the environment of the three Hookflow processes. They run
# in development mode for one reason: the suite's receivers are plain-HTTP
# servers on loopback, which production refuses; everything between
# Hookflow and Temporal is as in production (mTLS, apart, no eager start).
# The retry schedule is the suite's: a short timer, then one long enough for
# support to retry during it, then the end.
hookflow_env() {
  cat <<EOF
HOOKFLOW_ENV=development
HOOKFLOW_ALLOW_INSECURE_URLS=true
HOOKFLOW_ALLOW_PRIVATE_TARGETS=true
HOOKFLOW_DATABASE_URL=$hookflow_db_url
HOOKFLOW_TEMPORAL_ADDRESS=127.0.0.1:$frontend_port
HOOKFLOW_TEMPORAL_NAMESPACE=default
HOOKFLOW_TEMPORAL_TLS_CA_FILE=$data/tls/ca.pem
HOOKFLOW_TEMPORAL_TLS_CERT_FILE=$data/tls/client.pem
HOOKFLOW_TEMPORAL_TLS_KEY_FILE=$data/tls/client.key
HOOKFLOW_TEMPORAL_TLS_SERVER_NAME=$server_name
HOOKFLOW_RETRY_SCHEDULE=1s,15s
HOOKFLOW_LOG_RETENTION=336h
HOOKFLOW_DELIVERY_TIMEOUT=5s
HOOKFLOW_RATE_LIMIT=off
HOOKFLOW_PUBLISH_RATE_LIMIT=off
EOF
}

# start_hookflow NAME ROLE PORT starts one Hookflow process.
start_hookflow() {
  local name=$1 role=$2 port=$3 pidf=$data/$1.pid
  if alive "$pidf"; then return; fi
  log "starting hookflow $role ($name) on 127.0.0.1:$port"
  local envs=()
  mapfile -t envs < <(hookflow_env)
  (cd "$root" && exec env "${envs[@]}" HOOKFLOW_HTTP_ADDR="127.0.0.1:$port" setsid "$hookflow_bin" "$role" \
    >"$data/$name.log" 2>&1 </dev/null) &
  echo $! >"$pidf"
}

wait_http() {
  local name=$1 url=$2 i
  for i in $(seq 1 120); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return; fi
    alive "$data/$name.pid" || { tail -n 20 "$data/$name.log" >&2; die "hookflow $name exited; see $data/$name.log"; }
    sleep 0.5
  done
  die "hookflow $name did not answer on $url within 60s; see $data/$name.log"
}

hookflow_up() {
  ensure_database "$hookflow_pg_port" hookflow
  local envs=()
  mapfile -t envs < <(hookflow_env)
  log "migrating Hookflow's database"
  (cd "$root" && env "${envs[@]}" "$hookflow_bin" migrate >>"$data/migrate.log" 2>&1) || die "hookflow migrate failed; see $data/migrate.log"
  start_hookflow worker1 worker "${worker_ports[0]}"
  start_hookflow worker2 worker "${worker_ports[1]}"
  start_hookflow api api "$api_port"
  wait_http worker1 "http://127.0.0.1:${worker_ports[0]}/metrics"
  wait_http worker2 "http://127.0.0.1:${worker_ports[1]}/metrics"
  wait_http api "http://127.0.0.1:$api_port/healthcheck"
}

stop_pid() {
  local name=$1 pidf=$data/$1.pid i
  if alive "$pidf"; then
    log "stopping $name"
    kill "$(cat "$pidf")" 2>/dev/null || true
    for i in $(seq 1 120); do alive "$pidf" || break; sleep 0.25; done
    if alive "$pidf"; then kill -9 "$(cat "$pidf")" 2>/dev/null || true; fi
  fi
  rm -f "$pidf"
}

status() {
  local rc=0 name
  if pg_ready "$temporal_pg_port"; then log "PostgreSQL (Temporal) up on $temporal_pg_port"; else log "PostgreSQL (Temporal) down"; rc=1; fi
  if pg_ready "$hookflow_pg_port"; then log "PostgreSQL (Hookflow) up on $hookflow_pg_port"; else log "PostgreSQL (Hookflow) down"; rc=1; fi
  if alive "$server_pid" && server_ready; then log "Temporal server $server_version up on 127.0.0.1:$frontend_port (mTLS)"
  else log "Temporal server down"; rc=1; fi
  for name in api worker1 worker2; do
    if alive "$data/$name.pid"; then log "hookflow $name up (pid $(cat "$data/$name.pid"))"; else log "hookflow $name down"; rc=1; fi
  done
  return $rc
}

print_env() {
  cat <<EOF
export HOOKFLOW_PROD_STACK=1
export HOOKFLOW_PROD_DATA_DIR=$data
export HOOKFLOW_PROD_API_URL=http://127.0.0.1:$api_port
export HOOKFLOW_PROD_DATABASE_URL='$hookflow_db_url'
export HOOKFLOW_PROD_TEMPORAL_DATABASE_URL='postgres://postgres@$pg_host:$temporal_pg_port/temporal_visibility?sslmode=disable'
export HOOKFLOW_PROD_TEMPORAL_ADDRESS=127.0.0.1:$frontend_port
export HOOKFLOW_PROD_TLS_CA_FILE=$data/tls/ca.pem
export HOOKFLOW_PROD_TLS_CERT_FILE=$data/tls/client.pem
export HOOKFLOW_PROD_TLS_KEY_FILE=$data/tls/client.key
export HOOKFLOW_PROD_TLS_SERVER_NAME=$server_name
export HOOKFLOW_PROD_WORKER_PID_FILES=$data/worker1.pid,$data/worker2.pid
EOF
}

case "${1:-status}" in
  up)
    build_server
    build_clients
    make_certs
    mkdir -p "$data"
    pg_up temporal-pg "$temporal_pg_port"
    pg_up hookflow-pg "$hookflow_pg_port"
    setup_schemas
    server_up
    namespace_up
    hookflow_up
    status
    ;;
  down)
    stop_pid api
    stop_pid worker1
    stop_pid worker2
    stop_pid temporal-server
    pg_down hookflow-pg
    pg_down temporal-pg
    ;;
  status) status ;;
  env) print_env ;;
  hookflow-up)   # the Hookflow processes that do not run (the suite restarts a killed worker)
    hookflow_up ;;
  *) echo "usage: $0 up|down|status|env|hookflow-up" >&2; exit 2 ;;
esac
