#!/usr/bin/env bash
# The dev script as a newcomer meets it (issue 29). Each case copies the
# repository (its tracked and untracked files as they are in the work tree;
# without git, all but build*/, .data/ and node_modules/) into a new
# directory and runs `./dev up --no-build` there on free ports, with the
# binaries of this build:
#
#   private_dir  as root, in a directory of mode 700 the postgres user cannot
#                enter: ./dev up keeps its cluster in /var/tmp/adcp-pg-<hash
#                of the path>, says so, and starts again from it; ./dev test
#                does the same with its throwaway cluster; ./dev reset-data
#                removes it
#   crash        kill -9 of media-buy under ./dev up: which service, the
#                signal, the end of its log; the others and PostgreSQL stop
#   keep_going   ./dev up --keep-going restarts it after 1 s, then 2 s, and
#                the stack answers through it again
#   demo         ./dev demo against ./dev up: every step of the buyer's
#                journey, with the approval (localnews) and without
#                (nytimes); a demo that cannot succeed fails
#   pgbouncer    ./dev up --pgbouncer: the services' pools sign in to
#                pgbouncer (its log names each role), the seeding and
#                ./dev demo's journey succeed through transaction pooling,
#                and Ctrl-C stops pgbouncer too
#   replicas     ./dev up --keep-going --replicas 2: two of each service,
#                haproxy balancing the agent edge over both, and a rolling
#                restart of every instance under load in which no request
#                fails but with 503 (UNAVAILABLE, retryable)
#
# Usage: dev_script_test.sh SOURCE_DIR BUILD_DIR DATABASE_TEST_BINARY CASE
# Exit 77 (skipped) where a case cannot run (private_dir when not root).
set -euo pipefail

SOURCE_DIR=$1 BUILD=$2 DATABASE_TEST=$3 CASE=$4
COPY='' UP_PID='' UP_OUT='' UP_RC=''

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
pass() { printf 'ok: %s\n' "$*"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Exports a free port in 20000-32767 for each variable named.
declare -A TAKEN=()
export_free_ports() {
  local var port
  for var in "$@"; do
    while :; do
      port=$(( ((RANDOM << 15) | RANDOM) % 12768 + 20000 ))
      [[ -z ${TAKEN[$port]:-} ]] && ! port_in_use "$port" && break
    done
    TAKEN[$port]=1
    export "$var=$port"
  done
}

cleanup() {
  local rc=$?
  if [[ -n $UP_PID ]] && kill -0 "$UP_PID" 2>/dev/null; then
    kill -TERM "$UP_PID" 2>/dev/null || true
    wait "$UP_PID" 2>/dev/null || true
  fi
  if [[ -n $COPY && -d $COPY ]]; then
    (cd "$COPY" && ./dev reset-data >/dev/null 2>&1) || true
    rm -rf -- "$COPY"
  fi
  exit "$rc"
}
trap cleanup EXIT

# Copies the repository into a new directory of mode $1.
make_copy() {
  COPY=$(mktemp -d "${TMPDIR:-/tmp}/adcp-dev-test.XXXXXX")
  chmod "$1" "$COPY"
  if git -C "$SOURCE_DIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$SOURCE_DIR" ls-files -z --cached --others --exclude-standard |
      (cd "$SOURCE_DIR" && tar --null -T - -cf -) | tar -xf - -C "$COPY"
  else
    tar -C "$SOURCE_DIR" --exclude='./build*' --exclude=./.data --exclude=node_modules -cf - . |
      tar -xf - -C "$COPY"
  fi
  local d
  for d in browser adcp-tools k8s; do
    [[ ! -d $SOURCE_DIR/tests/$d/node_modules ]] ||
      ln -s "$SOURCE_DIR/tests/$d/node_modules" "$COPY/tests/$d/node_modules"
  done
  UP_OUT=$COPY/up.out
}

# Starts `./dev up --no-build ARGS` in the copy; waits until it is ready.
start_up() {
  export_free_ports PGPORT TENANT_REGISTRY_PORT AUTH_PORT MEDIA_BUY_PORT AGENT_HTTP_PORT \
    ADMIN_HTTP_PORT TENANT_REGISTRY_METRICS_PORT AUTH_METRICS_PORT ADMIN_GATEWAY_METRICS_PORT \
    MEDIA_BUY_METRICS_PORT AGENT_EDGE_METRICS_PORT
  # Emptied here, not only by the background redirection: the wait below
  # must not find the previous run's 'Press Ctrl-C' before that runs.
  : >"$UP_OUT"
  (cd "$COPY" && exec env BUILD_DIR="$BUILD" ./dev up --no-build "$@") >"$UP_OUT" 2>&1 &
  UP_PID=$!
  local deadline=$((SECONDS + 120))
  until grep -q 'Press Ctrl-C to stop' "$UP_OUT"; do
    kill -0 "$UP_PID" 2>/dev/null || { cat "$UP_OUT"; fail "./dev up $* exited during start-up"; }
    ((SECONDS < deadline)) || { cat "$UP_OUT"; fail "./dev up $* not ready within 120 s"; }
    sleep 0.2
  done
  pass "./dev up --no-build $* is ready"
}

# Waits until ./dev up has exited (at most $1 s); sets UP_RC.
wait_up_exit() {
  local deadline=$((SECONDS + $1))
  while kill -0 "$UP_PID" 2>/dev/null; do
    ((SECONDS < deadline)) || { cat "$UP_OUT"; fail "./dev up still runs after $1 s"; }
    sleep 0.2
  done
  UP_RC=0
  wait "$UP_PID" || UP_RC=$?
  UP_PID=
}

stop_up() {
  kill -TERM "$UP_PID"
  wait_up_exit 60
  ((UP_RC == 0)) || { cat "$UP_OUT"; fail "./dev up ended with $UP_RC on SIGTERM"; }
  expect_output 'stopping PostgreSQL'
}

# Fails unless the output of ./dev up has a line matching the extended regex $1.
expect_output() {
  grep -Eq -- "$1" "$UP_OUT" || { cat "$UP_OUT"; fail "./dev up printed nothing matching: $1"; }
}

# Waits (at most $2 s) for the output of ./dev up to match $1.
await_output() {
  local deadline=$((SECONDS + $2))
  until grep -Eq -- "$1" "$UP_OUT"; do
    ((SECONDS < deadline)) || { cat "$UP_OUT"; fail "no line matching '$1' within $2 s"; }
    sleep 0.2
  done
}

# Waits (at most 20 s) until the agent edge answers the public
# get_adcp_capabilities of nytimes, which it asks media-buy.
await_edge() {
  local deadline=$((SECONDS + 20)) code
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST -d '{}' \
      "http://127.0.0.1:$AGENT_HTTP_PORT/tenants/nytimes/v1/get_adcp_capabilities" || true)
    [[ $code == 200 ]] && return 0
    ((SECONDS < deadline)) || fail "the agent edge answers get_adcp_capabilities with HTTP $code"
    sleep 0.2
  done
}

service_pid() { cat "$COPY/.data/run/$1.pid"; }

case_private_dir() {
  ((EUID == 0)) || { echo "not root: the case needs runuser and a postgres user"; exit 77; }
  make_copy 700
  ! runuser -u postgres -- test -x "$COPY" ||
    fail "the postgres user can enter $COPY: the case would test nothing"
  local hash elsewhere
  hash=$(printf '%s' "$COPY" | sha256sum | cut -c1-16)
  elsewhere=/var/tmp/adcp-pg-$hash

  start_up
  expect_output "the postgres user cannot enter $COPY: the PostgreSQL cluster lives in $elsewhere\$"
  expect_output "creating PostgreSQL cluster in $elsewhere/pg\$"
  expect_output "^ +data $elsewhere/pg\$"
  [[ $(stat -c '%U %a' "$elsewhere") == 'postgres 700' ]] ||
    fail "$elsewhere is $(stat -c '%U %a' "$elsewhere"), not postgres 700"
  [[ -f $elsewhere/pg/PG_VERSION && ! -e $COPY/.data/pg ]] || fail "the cluster is not (only) in $elsewhere"
  await_edge
  stop_up
  pass "./dev up ran its cluster in $elsewhere"

  start_up
  ! grep -q 'creating PostgreSQL cluster' "$UP_OUT" || fail "the second ./dev up made a new cluster"
  expect_output "^ +data $elsewhere/pg\$"
  await_edge
  stop_up
  pass "a second ./dev up started the same cluster"

  # ./dev test, with TMPDIR where the postgres user cannot go either: one
  # database test in a ctest directory of its own.
  local tests=$COPY/ctest out rc=0
  mkdir -p "$tests" "$COPY/tmp"
  : >"$tests/build.ninja"
  printf 'add_test(migrations "%s" "--gtest_filter=MigrationsTest.AppliesBuiltinsOnceAndIsIdempotent")\n' \
    "$DATABASE_TEST" >"$tests/CTestTestfile.cmake"
  out=$(cd "$COPY" && TMPDIR=$COPY/tmp BUILD_DIR=$tests ./dev test --no-build 2>&1) || rc=$?
  printf '%s\n' "$out"
  ((rc == 0)) || fail "./dev test ended with $rc"
  grep -Eq "the throwaway cluster lives in /var/tmp/adcp-test-pg\.[A-Za-z0-9]+\$" <<<"$out" ||
    fail "./dev test did not say where its cluster lives"
  grep -q '100% tests passed, 0 tests failed out of 1' <<<"$out" || fail "the database test did not pass"
  pass "./dev test ran its throwaway cluster under /var/tmp"

  (cd "$COPY" && ./dev reset-data)
  [[ ! -e $elsewhere ]] || fail "./dev reset-data left $elsewhere"
  pass "./dev reset-data removed $elsewhere"
}

case_crash() {
  make_copy 755
  start_up
  expect_output "^ +data $COPY/.data/pg\$"
  local victim others=() name
  victim=$(service_pid media-buy)
  for name in tenant-registry auth agent-edge admin-gateway; do others+=("$(service_pid "$name")"); done
  kill -KILL "$victim"
  wait_up_exit 60
  cat "$UP_OUT"
  ((UP_RC == 1)) || fail "./dev up ended with $UP_RC after a service was killed, not 1"
  expect_output "^==> media-buy \(pid $victim\) was killed by signal 9 \(SIGKILL\) after [0-9]+ s; the last 30 lines of $COPY/.data/logs/media-buy.log:\$"
  expect_output '^    ---- media-buy started by ./dev up at '
  expect_output '^==> stopping the others \(./dev up --keep-going restarts a service that exits\)$'
  expect_output '^==> stopping services$'
  for name in "${others[@]}"; do
    ! kill -0 "$name" 2>/dev/null || fail "service pid $name still runs"
  done
  pass "the crash was reported and everything stopped"
}

# Milliseconds since the epoch.
now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }

# Waits (at most $3 s) until the output of ./dev up has $2 lines matching $1.
await_count() {
  local deadline=$((SECONDS + $3))
  until (($(grep -Ec -- "$1" "$UP_OUT") >= $2)); do
    ((SECONDS < deadline)) || { cat "$UP_OUT"; fail "not $2 lines matching '$1' within $3 s"; }
    sleep 0.1
  done
}

# Kills media-buy (restart number $1 of it follows); checks the back-off of
# $2 s was kept, and that the stack answers through the new media-buy.
kill_and_await_restart() {
  local n=$1 delay=$2 old new killed_at restarted_at
  old=$(service_pid media-buy)
  killed_at=$(now_ms)
  kill -KILL "$old"
  await_count "^==> --keep-going: restarting media-buy in $delay s \\(exit $n;" 1 20
  await_count '^==> --keep-going: restarted media-buy \(pid [0-9]+\)' "$n" 20
  restarted_at=$(now_ms)
  expect_output "^==> media-buy \\(pid $old\\) was killed by signal 9 \\(SIGKILL\\)"
  ((restarted_at - killed_at >= delay * 1000)) ||
    fail "media-buy restarted $((restarted_at - killed_at)) ms after the kill, before its $delay s"
  new=$(service_pid media-buy)
  [[ $new != "$old" ]] || fail "media-buy kept pid $old"
  kill -0 "$new" || fail "media-buy (pid $new) does not run"
  await_edge
  pass "media-buy restarted after $delay s (pid $old -> $new) and answers"
}

case_keep_going() {
  make_copy 755
  start_up --keep-going
  expect_output '^A service that exits is restarted \(--keep-going\)'
  kill_and_await_restart 1 1
  kill_and_await_restart 2 2
  kill -0 "$UP_PID" || fail "./dev up --keep-going stopped"
  stop_up
  cat "$UP_OUT"
}

# Runs ./dev demo ARGS in the copy; fails unless it ends with status $1.
run_demo() {
  local want=$1 rc=0
  shift
  DEMO_OUT=$(cd "$COPY" && ./dev demo "$@" 2>&1) || rc=$?
  printf '%s\n' "$DEMO_OUT"
  ((rc == want)) || fail "./dev demo $* ended with $rc, not $want"
}

# Fails unless the last demo's output has a line matching the extended regex $1.
expect_demo() { grep -Eq -- "$1" <<<"$DEMO_OUT" || fail "./dev demo printed nothing matching: $1"; }

case_demo() {
  make_copy 755
  start_up
  run_demo 0
  local step
  for step in 0 1 2 3 4 5 6; do expect_demo "^==> step $step: "; done
  [[ $(grep -c '^<-- HTTP 200$' <<<"$DEMO_OUT") == 5 ]] || fail "not every REST step answered 200"
  expect_demo '^==> step 3: localnews reviews buys by hand'
  expect_demo '^    adcpctl approve-human-task localnews task_[0-9a-f]+$'
  expect_demo '^     "status": "approved",$'
  expect_demo '^==> done: media buy mb_[0-9a-f]+ is active; '
  pass "./dev demo: localnews, with its approval"

  run_demo 0 nytimes
  expect_demo '^==> step 3: nytimes takes buys without review: nothing to approve$'
  expect_demo '^==> done: media buy mb_[0-9a-f]+ is active; '
  pass "./dev demo nytimes, without approval"

  run_demo 1 no-such-tenant
  expect_demo '^dev: error: step 0: create-principal failed: .*tenant not found'
  pass "./dev demo fails on a tenant that does not exist"
  stop_up

  run_demo 1
  expect_demo '^dev: error: no ./dev up is running for '
  pass "./dev demo without ./dev up says so and fails"
}

case_pgbouncer() {
  make_copy 755
  export_free_ports PGBOUNCER_PORT
  start_up --pgbouncer
  expect_output "PgBouncer \(transaction pooling\) on 127.0.0.1:$PGBOUNCER_PORT"
  local log=$COPY/.data/logs/pgbouncer.log role pgb_pid
  for role in adcp_registry adcp_auth adcp_media_buy; do
    grep -q "login attempt: db=adcp user=$role" "$log" ||
      fail "no $role client in pgbouncer's log"
  done
  pass "every service's pool signs in to pgbouncer"
  run_demo 0 nytimes
  expect_demo '^==> done: media buy mb_[0-9a-f]+ is active; '
  pass "./dev demo nytimes through pgbouncer"
  pgb_pid=$(cat "$COPY/.data/run/pgbouncer.pid")
  kill -0 "$pgb_pid" 2>/dev/null || fail "no pgbouncer process of this ./dev up"
  stop_up
  ! kill -0 "$pgb_pid" 2>/dev/null || fail "pgbouncer still runs after ./dev up stopped"
  pass "Ctrl-C stops pgbouncer"
}

# Prints the HTTP status of one get_adcp_capabilities of nytimes through the
# agent edge's port (the front, with --replicas), 000 when none came.
# With $1, the body of an answer other than 200 or 503 is appended to $1.
capabilities_status() {
  local body code
  body=$(mktemp)
  code=$(curl -s -o "$body" -w '%{http_code}' --max-time 10 -X POST -d '{}' \
    "http://127.0.0.1:$AGENT_HTTP_PORT/tenants/nytimes/v1/get_adcp_capabilities") || code=000
  if [[ -n ${1:-} && $code != 200 && $code != 503 ]]; then
    { printf '%s %s: ' "$(date +%T.%N)" "$code"; cat "$body"; echo; } >>"$1"
  fi
  rm -f "$body"
  echo "$code"
}

# SIGTERM to instance $1 under --keep-going; waits (at most 30 s) until its
# new process has logged "serving" and the front has had a health check's
# time to take it back.
restart_replica() {
  local name=$1 old new log=$COPY/.data/logs/$1.log before
  old=$(service_pid "$name")
  before=$(grep -c '"serving"' "$log")
  kill -TERM "$old"
  local deadline=$((SECONDS + 30))
  until new=$(service_pid "$name" 2>/dev/null) && [[ $new != "$old" ]] &&
      (($(grep -c '"serving"' "$log") > before)); do
    ((SECONDS < deadline)) || { cat "$UP_OUT"; fail "$name did not come back within 30 s"; }
    sleep 0.1
  done
  # haproxy checks /healthz every second; the gRPC clients reconnect with
  # their own back-off (about 1 s).
  sleep 2
  pass "$name restarted (pid $old -> $new) at $(date +%T.%N)"
}

case_replicas() {
  command -v haproxy >/dev/null || fail "haproxy is not installed (./dev deps installs it)"
  make_copy 755
  # One client makes the load: its anonymous budgets must not be the limit.
  export RATE_LIMIT_CLIENT_RPS=100000 RATE_LIMIT_CLIENT_BURST=100000 \
    RATE_LIMIT_ANONYMOUS_RPS=100000 RATE_LIMIT_ANONYMOUS_BURST=100000
  start_up --keep-going --replicas 2
  local name
  for name in tenant-registry tenant-registry-2 auth auth-2 media-buy media-buy-2 \
      agent-edge-1 agent-edge-2 admin-gateway-1 admin-gateway-2 http-front; do
    kill -0 "$(service_pid "$name")" || fail "$name does not run"
  done
  pass "./dev up --replicas 2: two of each service and haproxy run"
  await_edge
  local i code
  for i in 1 2 3 4 5 6; do
    code=$(capabilities_status)
    [[ $code == 200 ]] || fail "get_adcp_capabilities through the front: HTTP $code"
  done
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$ADMIN_HTTP_PORT/healthz")
  [[ $code == 200 ]] || fail "the admin gateway's /healthz through the front: HTTP $code"
  for name in agent-edge-1 agent-edge-2; do
    grep -q "agent-edge/$name " "$COPY/.data/logs/http-front.log" ||
      fail "haproxy sent no request to $name"
  done
  pass "haproxy balances the agent edge's requests over both instances"

  # Rolling restart under load: every instance in turn, while a client
  # calls through the front; only a retryable 503 (UNAVAILABLE) may fail.
  local codes=$COPY/load.codes stop=$COPY/load.stop load_pid
  (while [[ ! -e $stop ]]; do capabilities_status "$COPY/load.failures"; done >"$codes") &
  load_pid=$!
  for name in agent-edge-1 agent-edge-2 admin-gateway-1 admin-gateway-2 \
      media-buy media-buy-2 auth auth-2 tenant-registry tenant-registry-2; do
    restart_replica "$name"
  done
  touch "$stop"
  wait "$load_pid"
  local total ok unavailable
  total=$(grep -c . "$codes")
  ok=$(grep -c '^200$' "$codes" || true)
  unavailable=$(grep -c '^503$' "$codes" || true)
  printf 'rolling restart: %d requests, %d answered 200, %d 503\n' "$total" "$ok" "$unavailable"
  ((total > 100)) || fail "the load made only $total requests"
  ((ok + unavailable == total)) ||
    fail "requests failed other than with 503: $(grep -v '^200$' "$codes" | sort | uniq -c | tr '\n' ' ')
$(cat "$COPY/load.failures" 2>/dev/null)
$(grep -h '"level":"\(error\|warn\)"' "$COPY"/.data/logs/*.log | tail -n 40)"
  pass "rolling restart of every instance under load: no request failed but with 503"
  stop_up
}

case "$CASE" in
  private_dir | crash | keep_going | demo | pgbouncer | replicas) "case_$CASE" ;;
  *) fail "unknown case $CASE" ;;
esac
