# shellcheck shell=bash
# Debian's PgBouncer (1.18) in transaction pooling mode in front of the
# cluster: ./dev up --pgbouncer and ./dev bench with BENCH_PGBOUNCER=1.
# Sourced by ./dev, whose helpers (log, die, is_root, pg_chown, port_in_use)
# it uses. The services behind it run with DB_STATEMENT_MODE=unprepared
# (1.18 keeps no prepared statement across transactions) and LISTEN on the
# cluster itself (DATABASE_LISTEN_URL): a notification reaches only the
# server session that listened, which transaction pooling hands to others.

PGB_PID=''
PGB_DIR=''

# pgbouncer_start PORT PG_PORT DATABASE POOL_SIZE LOG ROLE PASSWORD [ROLE PASSWORD]...
# Writes its configuration and auth_file (the roles sign in with SCRAM) to a
# fresh directory, starts pgbouncer on 127.0.0.1:PORT with POOL_SIZE server
# connections per role (as the postgres user when root: it refuses root),
# logging to LOG (its pid in $RUN_DIR/pgbouncer.pid), and waits until it
# accepts connections.
pgbouncer_start() {
  local port=$1 pg_port=$2 database=$3 pool_size=$4 log_file=$5 parent
  shift 5
  command -v pgbouncer >/dev/null || die "pgbouncer not found (run ./dev deps)"
  port_in_use "$port" && die "port $port is in use; set PGBOUNCER_PORT to another port"
  for parent in "${TMPDIR:-/tmp}" /var/tmp; do
    PGB_DIR=$(mktemp -d "$parent/adcp-pgbouncer.XXXXXX")
    pg_chown "$PGB_DIR"
    ! is_root || runuser -u postgres -- test -r "$PGB_DIR" -a -x "$PGB_DIR" && break
    rmdir -- "$PGB_DIR"
    PGB_DIR=''
  done
  [[ -n $PGB_DIR ]] || die "the postgres user can enter neither ${TMPDIR:-/tmp} nor /var/tmp"
  chmod 700 "$PGB_DIR"
  (
    umask 077
    while (($#)); do
      printf '"%s" "%s"\n' "$1" "$2"
      shift 2
    done >"$PGB_DIR/userlist.txt"
    # `options` carries the services' statement and lock timeouts, a startup
    # parameter PgBouncer cannot forward: it is ignored and connect_query sets
    # the same timeouts on each server connection.
    cat >"$PGB_DIR/pgbouncer.ini" <<INI
[databases]
$database = host=127.0.0.1 port=$pg_port dbname=$database connect_query='SET statement_timeout = 15000; SET lock_timeout = 5000'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $PGB_DIR/userlist.txt
pool_mode = transaction
default_pool_size = $pool_size
max_client_conn = 1000
ignore_startup_parameters = options
logfile =
pidfile =
INI
  )
  pg_chown "$PGB_DIR/userlist.txt" "$PGB_DIR/pgbouncer.ini"
  local -a as_user=()
  if is_root; then as_user=(-u postgres); fi
  pgbouncer "${as_user[@]}" "$PGB_DIR/pgbouncer.ini" >>"$log_file" 2>&1 9>&- </dev/null &
  PGB_PID=$!
  echo "$PGB_PID" >"$RUN_DIR/pgbouncer.pid"
  local _
  for _ in {1..100}; do
    port_in_use "$port" && return 0
    kill -0 "$PGB_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$log_file" >&2 || true
  die "pgbouncer did not start (log: $log_file)"
}

pgbouncer_stop() {
  if [[ -n $PGB_PID ]]; then
    kill -TERM "$PGB_PID" 2>/dev/null || true
    wait "$PGB_PID" 2>/dev/null || true
    rm -f "$RUN_DIR/pgbouncer.pid"
    PGB_PID=''
  fi
  if [[ -n $PGB_DIR ]]; then
    rm -rf -- "$PGB_DIR"
    PGB_DIR=''
  fi
}
