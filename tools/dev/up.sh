# shellcheck shell=bash
# ./dev up: the persistent cluster (PG_DATA), migrations, the services in the
# foreground until Ctrl-C. Sourced by ./dev, whose helpers (pg_*, load_secrets,
# resolve_pg_data, cmd_build, built_binary) and tools/dev/services.sh it uses.

UP_PG_STARTED=0
UP_FOREGROUND=0
UP_STACK_WRITTEN=0
UP_PGBOUNCER=0
# --replicas N: instances of each service; with more than one, haproxy fronts
# the two HTTP services on their usual ports.
UP_REPLICAS=1

up_cleanup() {
  trap '' INT TERM
  if ((UP_STACK_WRITTEN)); then rm -f "$STACK_FILE"; fi
  if ((${#SVC_PIDS[@]})); then
    log "stopping services"
    stop_services
  fi
  pgbouncer_stop
  if ((UP_PG_STARTED)); then
    log "stopping PostgreSQL"
    pg_stop "$PG_DATA" fast
    UP_PG_STARTED=0
  fi
}

up_signal() {
  up_cleanup
  if ((UP_FOREGROUND)); then exit 0; fi
  exit "$1"
}

# Creates ./dev up's cluster (first run), starts it on port $1, and makes the
# roles and the database.
up_start_postgres() {
  local pg_port=$1
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    # Unix socket in the data dir unless the path is too long for sockaddr_un.
    local sockdir=$PG_DATA
    ((${#PG_DATA} <= 80)) || sockdir=
    log "creating PostgreSQL cluster in $PG_DATA"
    pg_init_cluster "$PG_DATA" "$sockdir" "$PG_SUPERUSER_PASSWORD" || die "initdb failed"
  elif as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    warn "stopping a PostgreSQL left running by a previous ./dev up"
    pg_stop "$PG_DATA" fast
  fi

  port_in_use "$pg_port" && die "port $pg_port is in use; set PGPORT to another port"
  if ! pg_start "$PG_DATA" "$pg_port" "$PG_LOG"; then
    tail -n 50 "$PG_LOG" >&2 || true
    die "PostgreSQL did not start (log: $PG_LOG)"
  fi
  UP_PG_STARTED=1
  log "PostgreSQL listening on 127.0.0.1:$pg_port (log: $PG_LOG)"

  pg_create_roles "$pg_port" "$PG_SUPERUSER_PASSWORD" "$PG_OWNER_PASSWORD" \
    "$PG_REGISTRY_PASSWORD" "$PG_AUTH_PASSWORD" "$PG_MEDIA_BUY_PASSWORD" "$PG_PURGE_PASSWORD"
  pg_psql "$pg_port" "$PG_SUPERUSER_PASSWORD" <<SQL
SELECT 'CREATE DATABASE adcp OWNER $PG_OWNER_ROLE'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'adcp') \gexec
SQL
}

# Starts the five services against the database at conninfo $1 (no role),
# LISTENing at conninfo $2 (the cluster itself; default $1) with statement
# mode $3 (DB_STATEMENT_MODE; default prepared); sets TENANT_REGISTRY_ADDR,
# AUTH_ADDR, MEDIA_BUY_ADDR. The registry, auth and media-buy each connect as
# their own role (the registry's hard delete as the purge role); the edge and
# the admin gateway get no database.
up_start_services() {
  # A DATABASE_URL of the caller's shell must not reach any service.
  local DATABASE_URL='' DATABASE_PURGE_URL='' DATABASE_LISTEN_URL=''
  local listen=${2:-$1} mode=${3:-prepared}
  local registry_db="$1 user=$PG_REGISTRY_ROLE password=$PG_REGISTRY_PASSWORD"
  local purge_db="$1 user=$PG_PURGE_ROLE password=$PG_PURGE_PASSWORD"
  local auth_db="$1 user=$PG_AUTH_ROLE password=$PG_AUTH_PASSWORD"
  local media_buy_db="$1 user=$PG_MEDIA_BUY_ROLE password=$PG_MEDIA_BUY_PASSWORD"
  # Everything a service may need; start_service passes the listed variables.
  SVC_COMMON_ENV=(
    "ADCP_INTERNAL_TOKEN=$ADCP_INTERNAL_TOKEN"
    "LOG_LEVEL=${LOG_LEVEL:-info}"
    "BIND_HOST=${BIND_HOST:-127.0.0.1}"
    "DB_STATEMENT_MODE=${DB_STATEMENT_MODE:-$mode}"
  )

  # One line per service: name, binary (relative to the build dir), port
  # settings. start_replicas starts UP_REPLICAS of each.
  AUDIT_SIGNING_KEY=${AUDIT_SIGNING_KEY:-$STORED_AUDIT_SIGNING_KEY}
  # The registry resolves system admin tokens at auth, which starts after it:
  # auth's instances get their ports first, and the registry all of them.
  planned_replicas_target auth AUTH_PORT=50052 METRICS_PORT=9462
  local auth_target=$REPLICAS_TARGET
  start_replicas tenant-registry services/tenant-registry/tenant-registry \
    TENANT_REGISTRY_PORT=50051 METRICS_PORT=9461 AUDIT_SIGNING_KEY \
    AUTH_ADDR="$auth_target" \
    DATABASE_URL="$registry_db" DATABASE_PURGE_URL="$purge_db" \
    DATABASE_LISTEN_URL="$listen user=$PG_REGISTRY_ROLE password=$PG_REGISTRY_PASSWORD"
  TENANT_REGISTRY_ADDR=$REPLICAS_TARGET
  # Auth holds only the bootstrap token's SHA-256; no service holds an admin
  # credential in clear.
  local bootstrap_sha256
  bootstrap_sha256=$(printf '%s' "$SYSTEM_ADMIN_BOOTSTRAP_TOKEN" | sha256sum | cut -c1-64)
  start_replicas auth services/auth/auth \
    AUTH_PORT=50052 METRICS_PORT=9462 TENANT_REGISTRY_ADDR DATABASE_URL="$auth_db" \
    DATABASE_LISTEN_URL="$listen user=$PG_AUTH_ROLE password=$PG_AUTH_PASSWORD" \
    SYSTEM_ADMIN_BOOTSTRAP_SHA256="$bootstrap_sha256"
  AUTH_ADDR=$REPLICAS_TARGET
  # The real Google Ad Manager and Kevel adapters; a tenant whose adapter
  # credentials are not in .data/adapter-secrets (one file per secret named by
  # its config, e.g. kevel-localnews) runs in dry_run: the calls are logged,
  # nothing is sent.
  mkdir -p "$DATA_DIR/adapter-secrets"
  chmod 700 "$DATA_DIR/adapter-secrets"
  start_replicas media-buy services/media-buy/media-buy \
    MEDIA_BUY_PORT=50053 METRICS_PORT=9464 TENANT_REGISTRY_ADDR AUTH_ADDR \
    DATABASE_URL="$media_buy_db" \
    DATABASE_LISTEN_URL="$listen user=$PG_MEDIA_BUY_ROLE password=$PG_MEDIA_BUY_PASSWORD" \
    ADAPTER_SECRETS_DIR="$DATA_DIR/adapter-secrets" \
    MEDIA_BUY_ADAPTER_DRY_RUN_WITHOUT_CREDENTIALS=true \
    MEDIA_BUY_ADAPTER_BASE_CONFIG='{}' MEDIA_BUY_ADAPTER_STAND_IN= \
    WEBHOOK_SIGNING_KEKS="${WEBHOOK_SIGNING_KEKS:-$STORED_WEBHOOK_SIGNING_KEKS}"
  MEDIA_BUY_ADDR=$REPLICAS_TARGET
  start_http_replicas agent-edge services/agent-edge/agent-edge \
    AGENT_HTTP_PORT=8080 METRICS_PORT=9465 TENANT_REGISTRY_ADDR AUTH_ADDR \
    MEDIA_BUY_ADDR BASE_DOMAINS=sales-agent.example.com,localhost
  SESSION_SECRET=${SESSION_SECRET:-$STORED_SESSION_SECRET}
  start_http_replicas admin-gateway services/admin-gateway/admin-gateway \
    ADMIN_HTTP_PORT=8001 METRICS_PORT=9463 TENANT_REGISTRY_ADDR AUTH_ADDR MEDIA_BUY_ADDR \
    SESSION_SECRET
  ((UP_REPLICAS == 1)) || start_http_front
}

# Gives instance $2 of service $1 a free port for each *PORT setting among
# ${@:3} (start_service reads <NAME>_<VAR> before VAR).
free_replica_ports() {
  local name=$1 k=$2 spec prefix var
  shift 2
  prefix=${name^^}_$k
  prefix=${prefix//-/_}
  for spec in "$@"; do
    [[ $spec == *PORT=* ]] || continue
    var=${prefix}_${spec%%=*}
    # Kept when planned_replicas_target chose it already.
    [[ -n ${!var:-} ]] || declare -g "$var=$(random_free_port)"
  done
}

# Sets REPLICAS_TARGET to what start_replicas NAME ... will set, before the
# service starts: its instances' ports are chosen now and kept. Args: name,
# its port settings (the first is the one clients dial).
planned_replicas_target() {
  local name=$1 var=${2%%=*} default=${2#*=} k own
  own=${name^^}_$var
  own=${own//-/_}
  local -a addresses=("127.0.0.1:${!own:-${!var:-$default}}")
  for ((k = 2; k <= UP_REPLICAS; k++)); do
    free_replica_ports "$name" "$k" "${@:2}"
    own=${name^^}_${k}_$var
    own=${own//-/_}
    addresses+=("127.0.0.1:${!own}")
  done
  if ((UP_REPLICAS == 1)); then
    REPLICAS_TARGET=${addresses[0]}
  else
    REPLICAS_TARGET=ipv4:$(IFS=,; echo "${addresses[*]}")
  fi
}

# Starts UP_REPLICAS instances of a gRPC service: the first as NAME on its
# usual ports, the others as NAME-2 ... on free ports. Sets REPLICAS_TARGET to
# what its clients dial: host:port, or "ipv4:a,b,..." (round_robin over all).
start_replicas() {
  local name=$1 binary=$2 k
  shift 2
  start_service "$name" "$binary" "$@"
  local -a addresses=("127.0.0.1:${SVC_PORT[$name]}")
  for ((k = 2; k <= UP_REPLICAS; k++)); do
    free_replica_ports "$name" "$k" "$@"
    start_service "$name-$k" "$binary" "$@"
    addresses+=("127.0.0.1:${SVC_PORT[$name-$k]}")
  done
  if ((UP_REPLICAS == 1)); then
    REPLICAS_TARGET=${addresses[0]}
  else
    REPLICAS_TARGET=ipv4:$(IFS=,; echo "${addresses[*]}")
  fi
}

# An HTTP service: alone, as start_service; with replicas, NAME-1 ... all on
# free ports (its usual port is the front's), trusting the front's
# X-Forwarded-For. HTTP_BACKENDS[NAME] lists their addresses.
declare -A HTTP_BACKENDS=()
start_http_replicas() {
  local name=$1 binary=$2 k
  shift 2
  if ((UP_REPLICAS == 1)); then
    start_service "$name" "$binary" "$@"
    return
  fi
  HTTP_BACKENDS[$name]=''
  local TRUSTED_PROXIES=127.0.0.1
  for ((k = 1; k <= UP_REPLICAS; k++)); do
    free_replica_ports "$name" "$k" "$@"
    start_service "$name-$k" "$binary" "$@" TRUSTED_PROXIES
    HTTP_BACKENDS[$name]+=" 127.0.0.1:${SVC_PORT[$name-$k]}"
  done
}

# Debian's haproxy in front of the HTTP replicas, on the agent edge's and the
# admin gateway's usual ports (AGENT_HTTP_PORT, ADMIN_HTTP_PORT): round robin,
# /healthz checked every second, a refused connection (or one closed before
# any answer) retried on another replica, so a replica that restarts costs no
# request. (A retried call is a read, or a mutating task whose idempotency
# key replays the first answer.)
start_http_front() {
  local config=$RUN_DIR/haproxy.cfg name address k
  {
    cat <<'EOF'
# Written by ./dev up --replicas; the ports come from the environment.
global
  log stdout format raw local0 info
  maxconn 4096
defaults
  mode http
  log global
  option httplog
  option forwardfor
  option redispatch
  retries 3
  retry-on conn-failure empty-response
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 5s
frontend agent-edge
  bind "${BIND_HOST}:${AGENT_HTTP_PORT}"
  default_backend agent-edge
frontend admin-gateway
  bind "${BIND_HOST}:${ADMIN_HTTP_PORT}"
  default_backend admin-gateway
EOF
    for name in agent-edge admin-gateway; do
      printf 'backend %s\n  balance roundrobin\n  option httpchk GET /healthz\n' "$name"
      k=0
      for address in ${HTTP_BACKENDS[$name]}; do
        k=$((k + 1))
        printf '  server %s-%d %s check inter 1s fall 1 rise 1\n' "$name" "$k" "$address"
      done
    done
  } >"$config"
  SVC_NEXT_ARGS=(-db -f "$config")
  start_service http-front "$UP_HAPROXY" AGENT_HTTP_PORT=8080 ADMIN_HTTP_PORT=8001
  # Clients (the summary, the stack file, ./dev demo) use the front.
  SVC_PORT[agent-edge]=${SVC_PORT[http-front]}
  SVC_PORT[admin-gateway]=${HTTP_FRONT_ADMIN_HTTP_PORT:-${ADMIN_HTTP_PORT:-8001}}
}

# Creates the system admin "admin" with the bootstrap token (refused,
# harmlessly, once an admin exists) and prints a new API token of it, minted
# after signing in with `password`. Needs AUTH_ADDR and ADCP_INTERNAL_TOKEN.
# Args: adcpctl binary, bootstrap token, password
first_admin_token() {
  local adcpctl_bin=$1 bootstrap=$2 password=$3 out token
  local -a stack=("AUTH_ADDR=$AUTH_ADDR" "ADCP_INTERNAL_TOKEN=$ADCP_INTERNAL_TOKEN")
  if out=$(printf '%s\n' "$password" |
    env "${stack[@]}" SYSTEM_ADMIN_TOKEN="$bootstrap" \
      "$adcpctl_bin" admins create admin "Admin" 2>&1); then
    log "$out"
  fi
  out=$(printf '%s\n' "$password" |
    env "${stack[@]}" "$adcpctl_bin" admin-tokens create admin 2>&1) ||
    die "could not mint an API token for the system admin 'admin': $out"
  token=$(sed -n 's/^token: *//p' <<<"$out")
  [[ -n $token ]] || die "adcpctl printed no token: $out"
  printf '%s\n' "$token"
}

# The first named system admin, "admin", and its API token: created once
# with the bootstrap token and ADMIN_PASSWORD, the token kept in
# .data/secrets.env; minted again when auth no longer knows it. Sets
# SYSTEM_ADMIN_TOKEN. Args: adcpctl binary
up_ensure_admin() {
  local adcpctl_bin=$1
  if [[ -n $SYSTEM_ADMIN_TOKEN ]] &&
    AUTH_ADDR=$AUTH_ADDR ADCP_INTERNAL_TOKEN=$ADCP_INTERNAL_TOKEN \
      SYSTEM_ADMIN_TOKEN=$SYSTEM_ADMIN_TOKEN "$adcpctl_bin" admins list >/dev/null 2>&1; then
    return 0
  fi
  SYSTEM_ADMIN_TOKEN=$(first_admin_token "$adcpctl_bin" "$SYSTEM_ADMIN_BOOTSTRAP_TOKEN" \
    "$ADMIN_PASSWORD") || exit 1
  STORED_SYSTEM_ADMIN_TOKEN=$SYSTEM_ADMIN_TOKEN
  save_secrets
  log "minted an API token for the system admin 'admin' (kept in $SECRETS_FILE)"
}

# Writes STACK_FILE: what ./dev demo needs to reach the running stack.
# Args: adcpctl binary
write_stack_file() {
  (
    umask 077
    cat >"$STACK_FILE.tmp" <<EOF
# Written by ./dev up while it runs; removed when it stops.
EDGE_URL=http://127.0.0.1:${SVC_PORT[agent-edge]}
TENANT_REGISTRY_ADDR=$TENANT_REGISTRY_ADDR
AUTH_ADDR=$AUTH_ADDR
MEDIA_BUY_ADDR=$MEDIA_BUY_ADDR
ADCP_INTERNAL_TOKEN=$ADCP_INTERNAL_TOKEN
SYSTEM_ADMIN_TOKEN=$SYSTEM_ADMIN_TOKEN
ADCPCTL=$1
EOF
  )
  mv -f "$STACK_FILE.tmp" "$STACK_FILE"
  UP_STACK_WRITTEN=1
}

# Prints the addresses and tokens of the running stack. Args: pg conninfo, adcpctl binary
up_summary() {
  local pg_url=$1 adcpctl_bin=$2 line
  local edge_port=${SVC_PORT[agent-edge]} admin_port=${SVC_PORT[admin-gateway]}
  printf '\n================ adcp dev environment ================\n'
  for line in "${SVC_SUMMARY[@]}"; do printf '%s\n' "$line"; done
  printf '%-18s %s user=%s   (passwords in %s)\n' "PostgreSQL" "$pg_url" "$PG_OWNER_ROLE" \
    "$SECRETS_FILE"
  if ((UP_PGBOUNCER)); then
    printf '%-18s the services through PgBouncer (transaction pooling) at %s\n' "" "$UP_SERVICES_URL"
  fi
  printf '%-18s data %s\n' "" "$PG_DATA"
  printf '%-18s log  %s\n' "" "$PG_LOG"
  printf 'SYSTEM_ADMIN_TOKEN=%s   (the API token of the system admin "admin")\n' \
    "$SYSTEM_ADMIN_TOKEN"
  printf 'ADCP_INTERNAL_TOKEN=%s\n' "$ADCP_INTERNAL_TOKEN"
  printf '\nAdmin UI: http://127.0.0.1:%s/admin  (user admin, password %s)\n' \
    "$admin_port" "$ADMIN_PASSWORD"
  printf 'REST:     curl -H "X-System-Token: %s" http://127.0.0.1:%s/system/tenants\n' \
    "$SYSTEM_ADMIN_TOKEN" "$admin_port"
  printf 'Agents:   MCP  http://127.0.0.1:%s/tenants/nytimes/mcp  (or http://nytimes.localhost:%s/mcp)\n' \
    "$edge_port" "$edge_port"
  printf '          REST http://127.0.0.1:%s/tenants/nytimes/v1/get_products  (x-adcp-auth: <token>)\n' \
    "$edge_port"
  printf '\nCreate a principal (its token is printed once):\n'
  printf '  ADCP_INTERNAL_TOKEN=%s SYSTEM_ADMIN_TOKEN=%s \\\n' "$ADCP_INTERNAL_TOKEN" "$SYSTEM_ADMIN_TOKEN"
  printf '  TENANT_REGISTRY_ADDR=%s AUTH_ADDR=%s \\\n' "$TENANT_REGISTRY_ADDR" "$AUTH_ADDR"
  printf '  %s create-principal nytimes "Acme Buyer Agent"\n' "$adcpctl_bin"
  printf '\nA buyer'"'"'s first media buy, end to end, in another terminal:  ./dev demo\n'
  printf '======================================================\n'
  if ((UP_KEEP_GOING)); then
    printf 'A service that exits is restarted (--keep-going). Press Ctrl-C to stop.\n\n'
  else
    printf 'Press Ctrl-C to stop.\n\n'
  fi
}

# --replicas N of ./dev up and ./dev bench: 1 to 9 instances of each service.
set_replicas() {
  [[ $1 =~ ^[1-9]$ ]] || die "--replicas: a number of instances, 1 to 9 ($2)"
  UP_REPLICAS=$1
}

# More than one instance needs haproxy in front of the HTTP services.
need_haproxy_for_replicas() {
  ((UP_REPLICAS > 1)) || return 0
  UP_HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
  [[ -x $UP_HAPROXY ]] || die "--replicas needs haproxy (apt-get install haproxy, or ./dev deps)"
}

cmd_up() {
  local usage="usage: ./dev up [--keep-going] [--no-build] [--pgbouncer] [--replicas N]"
  while (($#)); do
    case $1 in
      --keep-going) UP_KEEP_GOING=1 ;;
      --no-build) DEV_NO_BUILD=1 ;;
      --pgbouncer) UP_PGBOUNCER=1 ;;
      --replicas)
        set_replicas "${2:-}" "$usage"
        shift
        ;;
      *) die "$usage" ;;
    esac
    shift
  done
  need_haproxy_for_replicas
  trap up_cleanup EXIT
  trap 'up_signal 130' INT
  trap 'up_signal 143' TERM

  cmd_build "${UP_TARGETS[@]}"
  resolve_pg_bin

  mkdir -p "$DATA_DIR" "$LOG_DIR" "$RUN_DIR"
  chmod 700 "$DATA_DIR"
  pg_chown "$DATA_DIR" "$LOG_DIR"

  exec 9>"$DATA_DIR/up.lock"
  flock -n 9 || die "another ./dev up is already running for $REPO"
  resolve_pg_data create

  local migrate_bin adcpctl_bin
  migrate_bin=$(built_binary tools/migrate/adcp-migrate)
  adcpctl_bin=$(built_binary tools/adcpctl/adcpctl)

  load_secrets
  SYSTEM_ADMIN_TOKEN=${SYSTEM_ADMIN_TOKEN:-$STORED_SYSTEM_ADMIN_TOKEN}
  SYSTEM_ADMIN_BOOTSTRAP_TOKEN=${SYSTEM_ADMIN_BOOTSTRAP_TOKEN:-$STORED_SYSTEM_ADMIN_BOOTSTRAP_TOKEN}
  ADMIN_PASSWORD=${ADMIN_PASSWORD:-$STORED_ADMIN_PASSWORD}
  ADCP_INTERNAL_TOKEN=${ADCP_INTERNAL_TOKEN:-$(random_hex 32)}
  local pg_port=${PGPORT:-55432}
  up_start_postgres "$pg_port"

  local pg_url="host=127.0.0.1 port=$pg_port dbname=adcp"
  log "running migrations"
  DATABASE_URL="$pg_url user=$PG_OWNER_ROLE password=$PG_OWNER_PASSWORD" \
    env "${PG_MIGRATE_ROLES[@]}" "$migrate_bin" ||
    die "migrations failed"

  if ((UP_PGBOUNCER)); then
    local pgb_port=${PGBOUNCER_PORT:-6432}
    pgbouncer_start "$pgb_port" "$pg_port" adcp "${PGBOUNCER_POOL_SIZE:-10}" \
      "$LOG_DIR/pgbouncer.log" \
      "$PG_REGISTRY_ROLE" "$PG_REGISTRY_PASSWORD" "$PG_AUTH_ROLE" "$PG_AUTH_PASSWORD" \
      "$PG_MEDIA_BUY_ROLE" "$PG_MEDIA_BUY_PASSWORD" "$PG_PURGE_ROLE" "$PG_PURGE_PASSWORD"
    UP_SERVICES_URL="host=127.0.0.1 port=$pgb_port dbname=adcp"
    log "PgBouncer (transaction pooling) on 127.0.0.1:$pgb_port (log: $LOG_DIR/pgbouncer.log)"
    up_start_services "$UP_SERVICES_URL" "$pg_url" unprepared
  else
    up_start_services "$pg_url"
  fi
  up_ensure_admin "$adcpctl_bin"

  if [[ ! -f $DATA_DIR/seeded ]]; then
    log "seeding example tenants (first run)"
    if TENANT_REGISTRY_ADDR=$TENANT_REGISTRY_ADDR ADCP_INTERNAL_TOKEN=$ADCP_INTERNAL_TOKEN \
        AUTH_ADDR=$AUTH_ADDR MEDIA_BUY_ADDR=$MEDIA_BUY_ADDR \
        SYSTEM_ADMIN_TOKEN=$SYSTEM_ADMIN_TOKEN \
        "$adcpctl_bin" seed-examples db/seed/example_tenants.json; then
      touch "$DATA_DIR/seeded"
    else
      die "seeding the example tenants failed (see above); nothing was marked seeded"
    fi
  fi

  write_stack_file "$adcpctl_bin"
  up_summary "$pg_url" "$adcpctl_bin"
  UP_FOREGROUND=1
  watch_services || {
    UP_FOREGROUND=0
    exit 1
  }
}
