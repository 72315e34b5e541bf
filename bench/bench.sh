# ./dev bench: sourced by ./dev, whose helpers (pg_*, start_service, ...) it
# uses. Starts a throwaway PostgreSQL with pg_stat_statements and the whole
# suite as separate processes, seeds bench tenants, runs every measurement of
# bench/README.md side by side and prints one table (bench/report.mjs).
#
# Settings (environment): BENCH_SECONDS (10) measured seconds per run,
# BENCH_WARMUP (2), BENCH_CONCURRENCY (32) calls in flight for every load
# generator, BENCH_TENANTS (10000) and BENCH_MEDIA_BUYS (1000000) for the
# tenant-scale run, BENCH_OUT (build/bench-results) where results and logs go.
# BENCH_PGBOUNCER=1: the services reach PostgreSQL through pgbouncer in
# transaction pooling mode (as many server connections per role as
# DB_POOL_SIZE, 8), DB_STATEMENT_MODE unprepared unless set; they LISTEN on
# PostgreSQL itself. DB_STATEMENT_MODE alone measures the mode directly.
# --replicas N: N processes of each service, as ./dev up --replicas N starts
# them (gRPC clients and adcp-loadgen round_robin over all, haproxy in front
# of the agent edge's and the admin gateway's replicas).

BENCH_PG_STARTED=0
BENCH_ECHO=1
BENCH_MEDIA_BUY_ENV=()
BENCH_CTL_ENV=()
BENCH_MEDIA_BUY_PW=''
BENCH_TMP=''

bench_cleanup() {
  trap '' INT TERM
  if ((${#SVC_PIDS[@]})); then stop_services; fi
  pgbouncer_stop
  if ((BENCH_PG_STARTED)); then pg_stop "$BENCH_TMP/data" fast; fi
  [[ -f $BENCH_TMP/pg.log && -d ${BENCH_OUT:-} ]] && cp "$BENCH_TMP/pg.log" "$BENCH_OUT/postgres.log"
  [[ -n $BENCH_TMP ]] && rm -rf "$BENCH_TMP"
}

# Resident set of a process in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# Sum of a Prometheus counter's samples whose line matches a regex, over
# every instance of a service: metric_sum SERVICE REGEX.
metric_sum() {
  local name port
  for name in "${!SVC_METRICS_PORT[@]}"; do
    [[ $name == "$1" || $name =~ ^$1-[0-9]+$ ]] || continue
    port=${SVC_METRICS_PORT[$name]}
    curl -fsS "http://127.0.0.1:$port/metrics" || die "no metrics from $name (port $port)"
  done | awk -v re="$2" '$0 !~ /^#/ && $0 ~ re {s += $NF} END {printf "%d\n", s}'
}

# psql as superuser on the bench database; SQL on stdin or -c.
bench_psql() {
  PGPASSWORD=$BENCH_SUPER_PW "$PG_BIN/psql" -X -q -w -v ON_ERROR_STOP=1 -At \
    "host=127.0.0.1 port=$BENCH_PG_PORT user=$PG_SUPERUSER dbname=adcp" "$@"
}

# Statements the services ran since the last reset, per request:
#   rt_json LABEL REQUESTS  -> appends a "roundtrips" result line.
# Counts every statement of the services' roles (BEGIN and COMMIT too: each is a
# round trip), and apart those that read tenants or principals.
bench_roundtrips() {
  local label=$1 requests=$2 row
  row=$(bench_psql -F ' ' <<'SQL'
SELECT coalesce(sum(calls), 0),
       coalesce(sum(calls) FILTER (WHERE query ~* '\m(from|join|update|into)\s+(tenants|principals)\M'), 0),
       coalesce(sum(calls) FILTER (WHERE query !~* '^\s*(begin|commit|rollback|set|select set_config)'), 0)
  FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
 WHERE r.rolname IN ('adcp_registry', 'adcp_auth', 'adcp_media_buy', 'adcp_purge');
SQL
)
  local total lookups queries
  read -r total lookups queries <<<"$row"
  printf '{"label":"%s","kind":"roundtrips","requests":%d,"statements":%d,"tenant_token_lookups":%d,"queries":%d}\n' \
    "$label" "$requests" "$total" "$lookups" "$queries" >>"$BENCH_RESULTS"
  bench_psql -F ' | ' >"$BENCH_OUT/statements-$label.txt" <<'SQL'
SELECT calls, round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 160)
  FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
 WHERE r.rolname IN ('adcp_registry', 'adcp_auth', 'adcp_media_buy', 'adcp_purge')
 ORDER BY calls DESC;
SQL
}

# M media buys of two packages each, spread over all bench tenants.
bench_seed_media_buys() {
  bench_psql -v nbuys="$1" <<'SQL'
BEGIN;
CREATE TEMP TABLE bench_tenants AS
  SELECT tenant_id, (row_number() OVER (ORDER BY tenant_id)) - 1 AS idx
    FROM tenants WHERE tenant_id LIKE 'bench-%';
INSERT INTO media_buys (tenant_id, media_buy_id, principal_id, status, adapter,
                        adapter_order_id, currency, total_budget, start_time, end_time)
SELECT t.tenant_id, 'mb_seed_' || g, 'buyer', 'active', 'mock', 'mock-order-seed-' || g,
       'USD', 2000, now() - interval '1 day', now() + interval '30 days'
  FROM generate_series(0, :nbuys - 1) AS g
  JOIN bench_tenants t ON t.idx = g % (SELECT count(*) FROM bench_tenants);
INSERT INTO packages (tenant_id, package_id, media_buy_id, ordinal, product_id,
                      pricing_option_id, budget, rate, pricing_model, adapter_line_id)
SELECT m.tenant_id, m.media_buy_id || '_p' || o, m.media_buy_id, o,
       'mock_display_' || CASE o WHEN 1 THEN '300x250' ELSE '728x90' END,
       'cpm_usd_fixed', 1000, 10, 'cpm', m.adapter_order_id || '-line-' || o
  FROM media_buys m CROSS JOIN (VALUES (1), (2)) AS v(o)
 WHERE m.media_buy_id LIKE 'mb_seed_%';
COMMIT;
SQL
}

# Waits until the services know the tenant of the credentials file's last line.
bench_wait_tenant() {
  local deadline=$((SECONDS + 120))
  tail -n 1 "$1" >"$BENCH_TMP/last-credential"
  until loadgen --target="$MEDIA_BUY_ADDR" --rpc=get_products --concurrency=1       --credentials="$BENCH_TMP/last-credential" --duration_s=0.2 --warmup_s=0       >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "the services did not learn the new tenants within 120 s"
    sleep 1
  done
}

bench_reset_statements() { bench_psql -c 'SELECT pg_stat_statements_reset()' >/dev/null; }

# pgbench running bench/create_media_buy_twin.sql with the load generator's
# client count, as the media-buy service's role, for one slice of the
# measurement: bench_twin_slice TENANT ACCOUNT SECONDS WARMUP PASSWORD SLICE. As
# adcp-loadgen does, it counts only transactions started after the warm-up
# and finished by its end (from pgbench's per-transaction log: a new
# pgbench's connections start cold). It writes what adcp-loadgen writes for
# a slice: a result line to $BENCH_TMP/twin-slices/results.jsonl and the
# counted latencies, for bench/merge_slices.mjs.
bench_twin_slice() {
  local seconds=$3 warmup=$4 dir=$BENCH_TMP/pgbench/slice.$6 out
  mkdir -p "$dir" "$BENCH_TMP/twin-slices"
  out=$(cd "$dir" && PGPASSWORD=$5 "$PG_BIN/pgbench" -n -M prepared \
    -c "$BENCH_CONCURRENCY" -j 2 -T "$((seconds + warmup))" -l --log-prefix=twin \
    -f "$REPO/bench/create_media_buy_twin.sql" \
    -D "tenant=$1" -D principal=buyer -D "account=$2" \
    -h 127.0.0.1 -p "$BENCH_PG_PORT" -U "$PG_MEDIA_BUY_ROLE" adcp 2>&1) || die "pgbench failed: $out"
  printf '%s\n' "$out" >>"$BENCH_OUT/pgbench-twin.txt"
  # A log line: client, transaction, latency (µs, or "failed"), script,
  # end time (s, µs). The slice starts with its first transaction.
  cat "$dir"/twin.* | awk -v warmup="$warmup" -v seconds="$seconds" \
    -v concurrency="$BENCH_CONCURRENCY" -v lat="$BENCH_TMP/twin-slices/latencies.$6" '
    { end_us = $5 * 1000000 + $6
      start_us = ($3 ~ /^[0-9]+$/) ? end_us - $3 : end_us
      n++; s[n] = start_us; e[n] = end_us; l[n] = $3
      if (first == "" || start_us < first) first = start_us }
    END {
      from = first + warmup * 1000000; until = from + seconds * 1000000
      printf "" > lat
      for (i = 1; i <= n; i++) {
        if (s[i] < from || e[i] > until) continue
        if (l[i] ~ /^[0-9]+$/) { print l[i] > lat; ok++ } else failed++
      }
      printf "{\"label\":\"pgbench_twin\",\"rpc\":\"pgbench\",\"concurrency\":%d,\"seconds\":%d,\"ok\":%d,\"failed\":%d,\"first_failure\":\"\"}\n",
        concurrency, seconds, ok, failed
    }' >>"$BENCH_TMP/twin-slices/results.jsonl"
}

# A measurement's slices merged into one result line: bench_merge_slices DIR
# (results.jsonl and latencies.* in DIR).
bench_merge_slices() {
  node "$REPO/bench/merge_slices.mjs" "$1/results.jsonl" "$1"/latencies.* >>"$BENCH_RESULTS" ||
    die "could not merge the slices in $1"
}

# Statements and service CPU per request of a 3 s run of one RPC, counting
# the requests media-buy answered OK:
#   bench_per_request RPC(get_products|create_media_buy) METHOD CREDENTIALS
bench_per_request() {
  local pattern="grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"[^\"]*/$2\""
  local before after
  bench_reset_statements
  before=$(metric_sum media-buy "$pattern")
  cpu_snapshot >"$BENCH_TMP/cpu0"
  loadgen --target="$MEDIA_BUY_ADDR" --rpc="$1" --credentials="$3" \
    --label="$1_rt" --duration_s=3 --warmup_s=0 >/dev/null
  cpu_snapshot >"$BENCH_TMP/cpu1"
  after=$(metric_sum media-buy "$pattern")
  bench_roundtrips "$1" $((after - before))
  bench_cpu "$1" "$BENCH_TMP/cpu0" "$BENCH_TMP/cpu1" $((after - before))
}

loadgen() {
  ADCP_INTERNAL_TOKEN=$ADCP_INTERNAL_TOKEN "$BENCH_LOADGEN" \
    --concurrency="$BENCH_CONCURRENCY" "$@"
}

# CPU time (user + system, clock ticks) of every service, "name ticks" lines
# (not the floor's echo server: it is no part of the suite).
cpu_snapshot() {
  local i
  for i in "${!SVC_PIDS[@]}"; do
    [[ ${SVC_NAMES[$i]} == bench-echo ]] && continue
    printf '%s %s\n' "${SVC_NAMES[$i]}" \
      "$(awk '{print $14 + $15}' "/proc/${SVC_PIDS[$i]}/stat" 2>/dev/null || echo 0)"
  done
}

# CPU µs per request of each service between two snapshots:
#   bench_cpu LABEL BEFORE AFTER REQUESTS
bench_cpu() {
  local hz
  hz=$(getconf CLK_TCK)
  (($4 > 0)) || return 0
  join <(sort "$2") <(sort "$3") | awk -v label="$1" -v hz="$hz" -v n="$4" '
    $3 > $2 {
      printf "{\"kind\":\"cpu\",\"label\":\"%s\",\"service\":\"%s\",\"us_per_request\":%.0f}\n",
        label, $1, ($3 - $2) * 1000000 / hz / n
    }' >>"$BENCH_RESULTS"
}

# One row per service: name pid; RSS samples go to the results file.
# Whether measurement $1 (1-5) is to run: BENCH_ONLY, a comma list, or all.
bench_wants() {
  [[ -z ${BENCH_ONLY:-} || ,$BENCH_ONLY, == *",$1,"* ]]
}

bench_memory() {
  local phase=$1 i
  for i in "${!SVC_PIDS[@]}"; do
    [[ ${SVC_NAMES[$i]} == bench-echo ]] && continue
    printf '{"kind":"memory","phase":"%s","service":"%s","rss_kib":%d}\n' \
      "$phase" "${SVC_NAMES[$i]}" "$(rss_kib "${SVC_PIDS[$i]}")" >>"$BENCH_RESULTS"
  done
}

# wrk_edge LABEL SECONDS TENANT TOKEN [mcp|a2a]: get_products through the
# agent edge over one transport.
wrk_edge() {
  local label=$1 seconds=$2 transport=${5:-mcp} out
  local ok0 all0 ok1 all1
  local ok_metric="agent_requests_total.*status=\"ok\".*tool=\"get_products\".*transport=\"$transport\""
  local all_metric="agent_requests_total.*tool=\"get_products\".*transport=\"$transport\""
  ok0=$(metric_sum agent-edge "$ok_metric")
  all0=$(metric_sum agent-edge "$all_metric")
  out=$(BENCH_LABEL=$label BENCH_TOKEN=$4 BENCH_TRANSPORT=$transport \
    BENCH_CONCURRENCY=$BENCH_CONCURRENCY wrk -t1 -c"$BENCH_CONCURRENCY" \
    -d"${seconds}s" --latency -s "$REPO/bench/edge_get_products.lua" \
    "http://127.0.0.1:$BENCH_EDGE_PORT/tenants/$3/$transport" 2>&1) ||
    die "wrk failed: $out"
  printf '%s\n' "$out" >"$BENCH_OUT/wrk-$label.txt"
  # Tool errors (MCP) and failed tasks (A2A) are HTTP 200 answers: the
  # edge's own count says how many calls did not succeed.
  ok1=$(metric_sum agent-edge "$ok_metric")
  all1=$(metric_sum agent-edge "$all_metric")
  local line
  line=$(grep '^{"label"' <<<"$out") || die "wrk printed no result: $out"
  if (((all1 - all0) != (ok1 - ok0))); then
    line=$(sed "s/\"first_failure\":\"\"/\"first_failure\":\"$(((all1 - all0) - (ok1 - ok0))) calls not ok at the edge (agent_requests_total)\"/; s/\"failed\":0,/\"failed\":$(((all1 - all0) - (ok1 - ok0))),/" <<<"$line")
  fi
  if ((ok1 - ok0 == 0)); then
    line=$(sed 's/"first_failure":""/"first_failure":"no call counted ok at the edge"/' <<<"$line")
  fi
  printf '%s\n' "$line" >>"$BENCH_RESULTS"
}

# Creates tenants up to N by copying bench-00000 (its products, and a buyer
# principal with a token of its own); prints their "tenant token" lines.
bench_scale_seed() {
  local tenants=$1 secret
  secret=$(random_hex 16)
  bench_psql -v ntenants="$tenants" -v secret="$secret" <<'SQL'
BEGIN;
CREATE TEMP TABLE bench_new AS
  SELECT 'bench-' || lpad(i::text, 5, '0') AS tenant_id,
         'adcp_bench' || md5(:'secret' || i) AS token
    FROM generate_series((SELECT count(*) FROM tenants WHERE tenant_id LIKE 'bench-%'),
                         :ntenants - 1) AS i;
INSERT INTO tenants (tenant_id, name, subdomain, config, is_active, billing_plan,
                     initialized_at)
SELECT n.tenant_id, 'Bench publisher ' || n.tenant_id, n.tenant_id, t.config, true,
       t.billing_plan, now()
  FROM bench_new n, tenants t WHERE t.tenant_id = 'bench-00000';
INSERT INTO products (tenant_id, product_id, name, description, delivery_type, channels,
                      format_ids, publisher_properties, pricing_options,
                      reporting_capabilities, allowed_principal_ids, is_active)
SELECT n.tenant_id, p.product_id, p.name, p.description, p.delivery_type, p.channels,
       p.format_ids, replace(p.publisher_properties::text, 'bench-00000', n.tenant_id)::jsonb,
       p.pricing_options, p.reporting_capabilities, p.allowed_principal_ids, p.is_active
  FROM bench_new n, products p WHERE p.tenant_id = 'bench-00000';
INSERT INTO principals (tenant_id, principal_id, name, token_hash, token_prefix)
SELECT n.tenant_id, 'buyer', 'Bench buyer', sha256(convert_to(n.token, 'UTF8')),
       left(n.token, 12)
  FROM bench_new n;
\copy (SELECT tenant_id || ' ' || token FROM bench_new ORDER BY tenant_id) TO STDOUT
COMMIT;
SQL
}

# The suite for a run of ./dev bench or ./dev chaos: a throwaway PostgreSQL
# (pg_stat_statements; settings BENCH_PG_CONF), migrated; every service (its
# replicas, haproxy in front of the HTTP ones) and, with BENCH_ECHO=1, the
# gRPC floor's echo server; the first system admin's token
# (SYSTEM_ADMIN_TOKEN) and adcpctl's environment (BENCH_CTL_ENV). Hooks:
# BENCH_BEFORE_MEDIA_BUY, a function run once PostgreSQL is up, before
# media-buy starts; BENCH_MEDIA_BUY_DB_URL, where media-buy's pool connects
# instead ("host=... port=... dbname=adcp"); BENCH_MEDIA_BUY_ENV, media-buy's
# extra settings.
# Needs BENCH_OUT, BENCH_RESULTS, UP_REPLICAS, migrate_bin and adcpctl_bin.
bench_start_suite() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/adcp-bench.XXXXXX")
  chmod 700 "$BENCH_TMP"
  pg_chown "$BENCH_TMP"
  BENCH_SUPER_PW=$(random_hex 16)
  local owner_pw registry_pw auth_pw purge_pw
  owner_pw=$(random_hex 16)
  registry_pw=$(random_hex 16) auth_pw=$(random_hex 16)
  BENCH_MEDIA_BUY_PW=$(random_hex 16) purge_pw=$(random_hex 16)
  local media_buy_pw=$BENCH_MEDIA_BUY_PW
  log "creating throwaway PostgreSQL cluster in $BENCH_TMP (pg_stat_statements)"
  pg_init_cluster "$BENCH_TMP/data" "$BENCH_TMP" "$BENCH_SUPER_PW" \
    "shared_preload_libraries = 'pg_stat_statements'" \
    "pg_stat_statements.track = top" "pg_stat_statements.max = 5000" \
    "synchronous_commit = off" "max_connections = 200" ${BENCH_PG_CONF:+"$BENCH_PG_CONF"} ||
    die "initdb failed"
  # A free port can be taken before PostgreSQL binds it: a few tries.
  local attempt
  for attempt in 1 2 3 4 5; do
    BENCH_PG_PORT=$(random_free_port)
    pg_start "$BENCH_TMP/data" "$BENCH_PG_PORT" "$BENCH_TMP/pg.log" && break
    ((attempt < 5)) || { tail -n 50 "$BENCH_TMP/pg.log" >&2; die "PostgreSQL did not start"; }
    warn "PostgreSQL did not start on port $BENCH_PG_PORT (attempt $attempt/5)"
  done
  BENCH_PG_STARTED=1
  pg_create_roles "$BENCH_PG_PORT" "$BENCH_SUPER_PW" "$owner_pw" \
    "$registry_pw" "$auth_pw" "$media_buy_pw" "$purge_pw"
  pg_psql "$BENCH_PG_PORT" "$BENCH_SUPER_PW" <<<"CREATE DATABASE adcp OWNER $PG_OWNER_ROLE;"
  bench_psql -c 'CREATE EXTENSION pg_stat_statements' >/dev/null
  local pg_url="host=127.0.0.1 port=$BENCH_PG_PORT dbname=adcp"
  DATABASE_URL="$pg_url user=$PG_OWNER_ROLE password=$owner_pw" \
    env "${PG_MIGRATE_ROLES[@]}" "$migrate_bin" >"$BENCH_OUT/migrate.log" 2>&1 ||
    die "migrations failed (see $BENCH_OUT/migrate.log)"

  LOG_DIR=$BENCH_OUT/logs RUN_DIR=$BENCH_TMP/run
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  ADCP_INTERNAL_TOKEN=$(random_hex 32)
  # Auth gets the bootstrap token's SHA-256; the first admin's API token is
  # minted once the services run.
  local bootstrap admin_password
  bootstrap=$(random_hex 32) admin_password=$(random_hex 12)
  SVC_COMMON_ENV=(
    "ADCP_INTERNAL_TOKEN=$ADCP_INTERNAL_TOKEN"
    "LOG_LEVEL=${LOG_LEVEL:-info}"
    "BIND_HOST=127.0.0.1"
  )
  # The services' own defaults unless set (e.g. DB_POOL_SIZE=16).
  local v
  for v in DB_POOL_SIZE DB_STATEMENT_MODE GRPC_IDLE_THREADS HTTP_THREADS; do
    [[ -n ${!v:-} ]] && SVC_COMMON_ENV+=("$v=${!v}")
  done
  # The services' pools through pgbouncer; their listeners, the migrations,
  # the seeding SQL and the pgbench twin go to PostgreSQL directly.
  local services_url=$pg_url
  if [[ ${BENCH_PGBOUNCER:-0} == 1 ]]; then
    local pgb_port
    pgb_port=$(random_free_port)
    pgbouncer_start "$pgb_port" "$BENCH_PG_PORT" adcp "${DB_POOL_SIZE:-8}" \
      "$BENCH_OUT/pgbouncer.log" \
      "$PG_REGISTRY_ROLE" "$registry_pw" "$PG_AUTH_ROLE" "$auth_pw" \
      "$PG_MEDIA_BUY_ROLE" "$media_buy_pw" "$PG_PURGE_ROLE" "$purge_pw"
    services_url="host=127.0.0.1 port=$pgb_port dbname=adcp"
    [[ -n ${DB_STATEMENT_MODE:-} ]] || SVC_COMMON_ENV+=("DB_STATEMENT_MODE=unprepared")
    log "the services go through pgbouncer on 127.0.0.1:$pgb_port (transaction pooling)"
  fi
  # Twelve distinct free ports (random_free_port alone could repeat one).
  local p port taken=' '
  for p in BP_REGISTRY BM_REGISTRY BP_AUTH BM_AUTH BP_MEDIA BM_MEDIA BP_EDGE BM_EDGE \
      BP_ADMIN BM_ADMIN BP_ECHO BM_ECHO; do
    port=$(random_free_port)
    while [[ $taken == *" $port "* || $port == "$BENCH_PG_PORT" || $services_url == *"port=$port "* ]]; do
      port=$(random_free_port)
    done
    taken+="$port "
    printf -v "$p" '%s' "$port"
  done
  AUDIT_SIGNING_KEY=$(random_hex 32)
  # Each service its own role's URL; none from the caller's shell.
  local DATABASE_URL='' DATABASE_PURGE_URL='' DATABASE_LISTEN_URL=''
  # With replicas, as ./dev up: auth's instances get their ports first, the
  # registry resolves admin tokens at all of them.
  planned_replicas_target auth AUTH_PORT="$BP_AUTH" METRICS_PORT="$BM_AUTH"
  local auth_target=$REPLICAS_TARGET
  start_replicas tenant-registry services/tenant-registry/tenant-registry \
    TENANT_REGISTRY_PORT="$BP_REGISTRY" METRICS_PORT="$BM_REGISTRY" AUDIT_SIGNING_KEY \
    AUTH_ADDR="$auth_target" \
    DATABASE_URL="$services_url user=$PG_REGISTRY_ROLE password=$registry_pw" \
    DATABASE_LISTEN_URL="$pg_url user=$PG_REGISTRY_ROLE password=$registry_pw" \
    DATABASE_PURGE_URL="$services_url user=$PG_PURGE_ROLE password=$purge_pw"
  TENANT_REGISTRY_ADDR=$REPLICAS_TARGET
  start_replicas auth services/auth/auth \
    AUTH_PORT="$BP_AUTH" METRICS_PORT="$BM_AUTH" TENANT_REGISTRY_ADDR \
    SYSTEM_ADMIN_BOOTSTRAP_SHA256="$(printf '%s' "$bootstrap" | sha256sum | cut -c1-64)" \
    DATABASE_URL="$services_url user=$PG_AUTH_ROLE password=$auth_pw" \
    DATABASE_LISTEN_URL="$pg_url user=$PG_AUTH_ROLE password=$auth_pw"
  AUTH_ADDR=$REPLICAS_TARGET
  [[ -z ${BENCH_BEFORE_MEDIA_BUY:-} ]] || "$BENCH_BEFORE_MEDIA_BUY"
  start_replicas media-buy services/media-buy/media-buy \
    MEDIA_BUY_PORT="$BP_MEDIA" METRICS_PORT="$BM_MEDIA" TENANT_REGISTRY_ADDR AUTH_ADDR \
    DATABASE_URL="${BENCH_MEDIA_BUY_DB_URL:-$services_url} user=$PG_MEDIA_BUY_ROLE password=$media_buy_pw" \
    DATABASE_LISTEN_URL="$pg_url user=$PG_MEDIA_BUY_ROLE password=$media_buy_pw" \
    "${BENCH_MEDIA_BUY_ENV[@]}"
  MEDIA_BUY_ADDR=$REPLICAS_TARGET
  start_http_replicas agent-edge services/agent-edge/agent-edge \
    AGENT_HTTP_PORT="$BP_EDGE" METRICS_PORT="$BM_EDGE" TENANT_REGISTRY_ADDR MEDIA_BUY_ADDR \
    BASE_DOMAINS=localhost
  BENCH_EDGE_PORT=$BP_EDGE
  SESSION_SECRET=$(random_hex 32)
  start_http_replicas admin-gateway services/admin-gateway/admin-gateway \
    ADMIN_HTTP_PORT="$BP_ADMIN" METRICS_PORT="$BM_ADMIN" TENANT_REGISTRY_ADDR AUTH_ADDR \
    MEDIA_BUY_ADDR SESSION_SECRET
  if ((UP_REPLICAS > 1)); then
    # haproxy on the edge's and the gateway's ports; their replicas behind it.
    local HTTP_FRONT_AGENT_HTTP_PORT=$BP_EDGE HTTP_FRONT_ADMIN_HTTP_PORT=$BP_ADMIN
    start_http_front
  fi
  if ((BENCH_ECHO)); then
    start_service bench-echo bench/adcp-bench-echo ECHO_PORT="$BP_ECHO" METRICS_PORT="$BM_ECHO"
  fi
  SYSTEM_ADMIN_TOKEN=$(first_admin_token "$adcpctl_bin" "$bootstrap" "$admin_password") ||
    exit 1
  BENCH_CTL_ENV=(TENANT_REGISTRY_ADDR="$TENANT_REGISTRY_ADDR" AUTH_ADDR="$AUTH_ADDR"
    MEDIA_BUY_ADDR="$MEDIA_BUY_ADDR" ADCP_INTERNAL_TOKEN="$ADCP_INTERNAL_TOKEN"
    SYSTEM_ADMIN_TOKEN="$SYSTEM_ADMIN_TOKEN")
}

cmd_bench() {
  local usage="usage: ./dev bench [--no-build] [--replicas N]"
  UP_REPLICAS=1
  while (($#)); do
    case $1 in
      --no-build) DEV_NO_BUILD=1 ;;
      --replicas)
        set_replicas "${2:-}" "$usage"
        shift
        ;;
      *) die "$usage" ;;
    esac
    shift
  done
  need_haproxy_for_replicas
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  command -v wrk >/dev/null || die "wrk not found (run ./dev deps)"
  command -v curl >/dev/null || die "curl not found"

  cmd_build
  resolve_pg_bin
  BENCH_LOADGEN=$(built_binary bench/adcp-loadgen)
  local echo_bin migrate_bin adcpctl_bin
  echo_bin=$(built_binary bench/adcp-bench-echo)
  migrate_bin=$(built_binary tools/migrate/adcp-migrate)
  adcpctl_bin=$(built_binary tools/adcpctl/adcpctl)

  local seconds=${BENCH_SECONDS:-10} warmup=${BENCH_WARMUP:-2}
  BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-32}
  # The warm-up runs also fill the tables that ANALYZE reads before (3).
  [[ $warmup =~ ^[0-9]+(\.[0-9]+)?$ && ${warmup%.*} -ge 1 ]] ||
    die "BENCH_WARMUP=$warmup: a number of seconds, at least 1"
  local scale_tenants=${BENCH_TENANTS:-10000} scale_buys=${BENCH_MEDIA_BUYS:-1000000}
  BENCH_OUT=${BENCH_OUT:-$BUILD_DIR/bench-results}
  [[ $BENCH_OUT == /* ]] || BENCH_OUT=$CALLER_DIR/$BENCH_OUT
  # Only a directory of an earlier bench run (or an empty one) is replaced.
  if [[ -d $BENCH_OUT && -n $(ls -A "$BENCH_OUT") && ! -f $BENCH_OUT/results.jsonl ]]; then
    die "BENCH_OUT=$BENCH_OUT is not empty and holds no earlier bench results; choose another"
  fi
  rm -rf "$BENCH_OUT"
  mkdir -p "$BENCH_OUT"
  BENCH_RESULTS=$BENCH_OUT/results.jsonl
  printf '{"kind":"setup","replicas":%d}\n' "$UP_REPLICAS" >"$BENCH_RESULTS"

  bench_start_suite
  # Ten tenants through the real initialization (as POST /system/tenants),
  # each with a buyer principal; limits high enough not to throttle the load.
  log "creating 10 bench tenants"
  local creds10=$BENCH_OUT/credentials-10.txt creds1=$BENCH_OUT/credentials-1.txt
  node -e '
    const out = [];
    for (let i = 0; i < 10; i++) {
      const id = "bench-" + String(i).padStart(5, "0");
      out.push({tenant_id: id, name: "Bench publisher " + i, subdomain: id,
        config: {adapters: {mock: {enabled: true, manual_approval_required: false}},
                 rate_limits: {tenant_requests_per_second: 1e6, tenant_burst: 1e6,
                               principal_requests_per_second: 1e6, principal_burst: 1e6}}});
    }
    console.log(JSON.stringify(out));' >"$BENCH_TMP/tenants.json"
  env "${BENCH_CTL_ENV[@]}" "$adcpctl_bin" seed-examples "$BENCH_TMP/tenants.json" \
    >"$BENCH_OUT/seed.log" 2>&1 || die "seeding failed (see $BENCH_OUT/seed.log)"
  : >"$creds10"
  local i tenant token
  for i in {0..9}; do
    tenant=bench-$(printf '%05d' "$i")
    token=$(env "${BENCH_CTL_ENV[@]}" "$adcpctl_bin" create-principal "$tenant" "Bench buyer" buyer |
      awk '/^access_token:/ {print $2}')
    [[ -n $token ]] || die "no token for $tenant"
    printf '%s %s\n' "$tenant" "$token" >>"$creds10"
  done
  head -n 1 "$creds10" >"$creds1"
  local sub1 token1
  read -r sub1 token1 <"$creds1"
  sleep 2
  bench_psql -c "ANALYZE" >/dev/null  # statistics, as a database in service has
  bench_memory idle

  if bench_wants 1; then
  log "(1) gRPC floor: empty unary call"
  loadgen --target="127.0.0.1:$BP_ECHO" --rpc=ping --label=floor \
    --duration_s="$seconds" --warmup_s="$warmup" >>"$BENCH_RESULTS"
  fi

  if bench_wants 2; then
  log "(2) GetProducts, one warm tenant"
  loadgen --target="$MEDIA_BUY_ADDR" --rpc=get_products --credentials="$creds1" \
    --label=get_products --duration_s="$seconds" --warmup_s="$warmup" >>"$BENCH_RESULTS"
  bench_per_request get_products GetProducts "$creds1"
  fi

  if bench_wants 3; then
  log "(3) CreateMediaBuy (mock adapter, 2 packages) and its pgbench twin"
  # Buys made while warming up, then statistics of tables that hold some:
  # a database in service has them (autovacuum), and plans made on the
  # statistics of empty tables scan all of a tenant's rows.
  loadgen --target="$MEDIA_BUY_ADDR" --rpc=create_media_buy --credentials="$creds1" \
    --label=create_media_buy_warmup --duration_s="$warmup" --warmup_s=0 >/dev/null
  bench_psql -c "ANALYZE" >/dev/null
  # The service and its twin in alternating slices, in the order service,
  # twin, twin, service, ... (BENCH_SLICES rounds, 2 by default): this
  # machine's speed moves over minutes, and a drift during the measurement
  # falls on both sides of the ratio instead of on one.
  local slices=${BENCH_SLICES:-2} slice_s round
  slice_s=$((seconds / slices))
  ((slice_s >= 1)) || die "BENCH_SECONDS ($seconds) is shorter than BENCH_SLICES ($slices) seconds"
  rm -rf "$BENCH_TMP/pgbench" "$BENCH_TMP/twin-slices" "$BENCH_TMP/create-slices" \
    "$BENCH_OUT/pgbench-twin.txt"
  mkdir -p "$BENCH_TMP/create-slices"
  local account
  account=$(bench_psql -c "SELECT account_id FROM accounts WHERE tenant_id = '$sub1' LIMIT 1")
  [[ -n $account ]] || die "no account in $sub1 for the pgbench twin"
  create_slice() {
    loadgen --target="$MEDIA_BUY_ADDR" --rpc=create_media_buy --credentials="$creds1" \
      --label=create_media_buy --duration_s="$slice_s" --warmup_s="$warmup" \
      --latencies_out="$BENCH_TMP/create-slices/latencies.$1" \
      >>"$BENCH_TMP/create-slices/results.jsonl"
  }
  for ((round = 1; round <= slices; round++)); do
    if ((round % 2)); then
      create_slice "$round"
      bench_twin_slice "$sub1" "$account" "$slice_s" "${warmup%.*}" "$BENCH_MEDIA_BUY_PW" "$round"
    else
      bench_twin_slice "$sub1" "$account" "$slice_s" "${warmup%.*}" "$BENCH_MEDIA_BUY_PW" "$round"
      create_slice "$round"
    fi
  done
  bench_merge_slices "$BENCH_TMP/create-slices"
  bench_merge_slices "$BENCH_TMP/twin-slices"
  bench_per_request create_media_buy CreateMediaBuy "$creds1"
  fi

  if bench_wants 4; then
  log "(4) MCP tools/call get_products through the agent edge (wrk)"
  wrk_edge mcp_get_products_warmup "$warmup" "$sub1" "$token1"
  sed -i '/"label":"mcp_get_products_warmup"/d' "$BENCH_RESULTS"
  (
    sleep "$((seconds / 2))"
    bench_memory load
  ) &
  local sampler=$!
  wrk_edge mcp_get_products "$seconds" "$sub1" "$token1"
  wait "$sampler"
  local before after
  bench_reset_statements
  before=$(metric_sum agent-edge 'agent_requests_total.*status="ok".*tool="get_products"')
  cpu_snapshot >"$BENCH_TMP/cpu0"
  wrk_edge mcp_get_products_rt 3 "$sub1" "$token1"
  cpu_snapshot >"$BENCH_TMP/cpu1"
  sed -i '/"label":"mcp_get_products_rt"/d' "$BENCH_RESULTS"
  after=$(metric_sum agent-edge 'agent_requests_total.*status="ok".*tool="get_products"')
  bench_roundtrips mcp_get_products $((after - before))
  bench_cpu mcp_get_products "$BENCH_TMP/cpu0" "$BENCH_TMP/cpu1" $((after - before))
  log "(4b) A2A SendMessage get_products through the agent edge (wrk)"
  wrk_edge a2a_get_products_warmup "$warmup" "$sub1" "$token1" a2a
  sed -i '/"label":"a2a_get_products_warmup"/d' "$BENCH_RESULTS"
  wrk_edge a2a_get_products "$seconds" "$sub1" "$token1" a2a
  fi

  if bench_wants 5; then
  log "(5) tenant scale: GetProducts over 10 tenants, then over $scale_tenants"
  loadgen --target="$MEDIA_BUY_ADDR" --rpc=get_products --credentials="$creds10" \
    --label=scale_10 --duration_s="$seconds" --warmup_s="$warmup" >>"$BENCH_RESULTS"
  # GetProducts is served from memory; CreateMediaBuy shows the database's
  # side of the scale (indexes of 1,000,000 buys, 10,000 tenants' rows).
  loadgen --target="$MEDIA_BUY_ADDR" --rpc=create_media_buy --credentials="$creds10" \
    --label=scale_create_10 --duration_s="$seconds" --warmup_s="$warmup" >>"$BENCH_RESULTS"
  local credsn=$BENCH_OUT/credentials-scale-$scale_tenants.txt started=$SECONDS
  cp "$creds10" "$credsn"
  bench_scale_seed "$scale_tenants" >>"$credsn"
  bench_seed_media_buys "$scale_buys"
  log "seeded $((scale_tenants - 10)) tenants and $scale_buys media buys in $((SECONDS - started)) s"
  bench_psql -c 'VACUUM ANALYZE' >/dev/null
  bench_wait_tenant "$credsn"
  loadgen --target="$MEDIA_BUY_ADDR" --rpc=get_products --credentials="$credsn" \
    --label=scale_$scale_tenants --duration_s="$seconds" --warmup_s="$warmup" >>"$BENCH_RESULTS"
  loadgen --target="$MEDIA_BUY_ADDR" --rpc=create_media_buy --credentials="$credsn" \
    --label=scale_create_$scale_tenants --duration_s="$seconds" --warmup_s="$warmup" \
    >>"$BENCH_RESULTS"
  bench_memory scaled
  fi

  node "$REPO/bench/report.mjs" "$BENCH_RESULTS" | tee "$BENCH_OUT/report.md"
}
