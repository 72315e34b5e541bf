# ./dev chaos (issue 21): sourced by ./dev after bench/bench.sh, whose suite
# start (bench_start_suite) it shares. Starts the whole suite on a
# throwaway PostgreSQL against the fake Ad Manager and Kevel
# (adcp-fake-ad-servers) and the mock, CHAOS_TENANTS tenants (20), a steady
# mixed load of buyers (bench/chaos/buyer.mjs), then injects one fault at a
# time, lets the suite settle, and at the end checks the invariants and
# prints one row per fault (bench/chaos/check.mjs). Not part of ./dev test.
#
# Settings (environment; --quick halves the load and shortens every phase):
# CHAOS_BASELINE_S (30; 10) quiet load measured first, CHAOS_FAULT_S (20; 8)
# each fault, CHAOS_DOWN_S (30; 10) registry and auth down, CHAOS_SETTLE_S
# (25; 12) after each fault, CHAOS_FAULTS (all; a comma list of names,
# ./dev chaos --list), CHAOS_OUT (build/chaos-results).
#
# ./dev chaos --noisy: the noisy-neighbour measurement instead of the
# faults (bench/chaos/noisy.mjs): 4 tenants, the first (Ad Manager) on the
# deployment's default rate limits; NOISY_PHASE_S (30) a phase.
#
# ./dev chaos --soak [MINUTES] (30): the mixed load alone, no faults, with
# every service's RSS, open descriptors and database connections sampled
# every SOAK_SAMPLE_S (30) and p99 per SOAK_WINDOW_S (300) window
# (bench/chaos/soak.mjs; build/chaos-results/soak.md).

CHAOS_HELPERS=()   # pids of what this script started besides the suite
CHAOS_TMP=''
CHAOS_FAKES=''     # the fake ad servers' base URL
CHAOS_PROXY_PID=''
CHAOS_BUYER_PID=''
CHAOS_ALL_FAULTS=(kill9-tenant-registry kill9-auth kill9-media-buy kill9-agent-edge
  kill9-admin-gateway pg-immediate-restart pg-terminate-backends pg-max-connections
  registry-down auth-down adserver-hang adserver-error500 adserver-slow
  adserver-drop-after-accept pg-delay-50ms)

chaos_cleanup() {
  trap '' INT TERM
  local pid
  for pid in "${CHAOS_HELPERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CHAOS_HELPERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  bench_cleanup
  [[ -n $CHAOS_TMP ]] && rm -rf "$CHAOS_TMP"
}

now_ms() { date +%s%3N; }

# A phase of the run: chaos_phase NAME START_MS END_MS.
chaos_phase() {
  printf '{"name":"%s","start":%d,"end":%d}\n' "$1" "$2" "$3" >>"$BENCH_OUT/phases.jsonl"
}

# media-buy's pool goes through the delay proxy (BENCH_BEFORE_MEDIA_BUY).
chaos_start_proxy() {
  local port
  port=$(random_free_port)
  node "$REPO/bench/chaos/delay_proxy.mjs" "$port" "$BENCH_PG_PORT" \
    >"$BENCH_OUT/delay-proxy.log" 2>&1 &
  CHAOS_PROXY_PID=$!
  CHAOS_HELPERS+=("$!")
  until port_in_use "$port"; do sleep 0.1; done
  BENCH_MEDIA_BUY_DB_URL="host=127.0.0.1 port=$port dbname=adcp"
}

# The fake ad servers, the adapters' secrets and media-buy's settings for them.
chaos_start_fakes() {
  local port bin
  bin=$(built_binary services/media-buy/adcp-fake-ad-servers)
  port=$(random_free_port)
  FAKE_AD_SERVERS_PORT=$port "$bin" >"$BENCH_OUT/fake-ad-servers.log" 2>&1 &
  CHAOS_HELPERS+=("$!")
  until port_in_use "$port"; do sleep 0.1; done
  CHAOS_FAKES=http://127.0.0.1:$port
  mkdir -p "$CHAOS_TMP/secrets"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$CHAOS_TMP/gam.pem" 2>/dev/null
  node -e '
    const fs = require("fs");
    fs.writeFileSync(process.argv[2], JSON.stringify({type: "service_account",
      client_email: "chaos@adcp.iam.gserviceaccount.com", private_key_id: "chaos-1",
      private_key: fs.readFileSync(process.argv[1], "utf8"),
      token_uri: "https://oauth2.googleapis.com/token"}));' \
    "$CHAOS_TMP/gam.pem" "$CHAOS_TMP/secrets/gam-chaos"
  local i
  for ((i = 0; i < CHAOS_TENANTS; i++)); do
    printf 'key-chaos-%d' "$i" >"$CHAOS_TMP/secrets/kevel-chaos-$i"
  done
  BENCH_MEDIA_BUY_ENV=(
    ADAPTER_SECRETS_DIR="$CHAOS_TMP/secrets"
    MEDIA_BUY_ADAPTER_TIMEOUT_SECONDS=3
    MEDIA_BUY_ADAPTER_BASE_CONFIG="{\"google_ad_manager\":{\"endpoint\":\"$CHAOS_FAKES\",\"token_url\":\"$CHAOS_FAKES/token\",\"ad_unit_ids\":[\"2001\"],\"creative_sizes\":[\"300x250\",\"728x90\"]},\"kevel\":{\"base_url\":\"$CHAOS_FAKES\"}}"
  )
}

# CHAOS_TENANTS tenants: Ad Manager, Kevel and the mock in turn, every fifth
# reviewing buys by hand; a buyer each. Writes $1: "tenant token adapter
# manual account" lines. CHAOS_DEFAULT_LIMITS_FIRST=1: the first tenant
# keeps the deployment's default rate limits (the others get none to speak of).
chaos_seed_tenants() {
  local creds=$1 i tenant token
  node -e '
    const n = Number(process.argv[1]), defaultsFirst = process.argv[2] === "1", out = [];
    for (let i = 0; i < n; i++) {
      const manual = i % 5 === 4;
      const adapters = [
        {google_ad_manager: {enabled: true, network_code: String(10000 + i), company_id: "555",
          trafficker_id: "777", service_account_key_secret: "gam-chaos",
          manual_approval_required: manual}},
        {kevel: {enabled: true, network_id: String(700 + i), api_key_secret: "kevel-chaos-" + i,
          priority_id: "7", ad_type_id: "5", manual_approval_required: manual}},
        {mock: {enabled: true, manual_approval_required: manual}}][i % 3];
      out.push({tenant_id: "chaos-" + String(i).padStart(2, "0"), name: "Chaos publisher " + i,
        subdomain: "chaos-" + String(i).padStart(2, "0"),
        config: {adapters, ...(defaultsFirst && i === 0 ? {} : {rate_limits: {
          tenant_requests_per_second: 1e6, tenant_burst: 1e6,
          principal_requests_per_second: 1e6, principal_burst: 1e6}})}});
    }
    console.log(JSON.stringify(out));' "$CHAOS_TENANTS" "${CHAOS_DEFAULT_LIMITS_FIRST:-0}" >"$CHAOS_TMP/tenants.json"
  env "${BENCH_CTL_ENV[@]}" "$CHAOS_ADCPCTL" seed-examples "$CHAOS_TMP/tenants.json" \
    >"$BENCH_OUT/seed.log" 2>&1 || die "seeding failed (see $BENCH_OUT/seed.log)"
  : >"$creds"
  for ((i = 0; i < CHAOS_TENANTS; i++)); do
    tenant=chaos-$(printf '%02d' "$i")
    token=$(env "${BENCH_CTL_ENV[@]}" "$CHAOS_ADCPCTL" create-principal "$tenant" "Chaos buyer" buyer |
      awk '/^access_token:/ {print $2}')
    [[ -n $token ]] || die "no token for $tenant"
    case $((i % 3)) in
      0) printf '%s %s gam %d gam:%d\n' "$tenant" "$token" $((i % 5 == 4)) $((10000 + i)) ;;
      1) printf '%s %s kevel %d kevel:key-chaos-%d\n' "$tenant" "$token" $((i % 5 == 4)) "$i" ;;
      2) printf '%s %s mock %d -\n' "$tenant" "$token" $((i % 5 == 4)) ;;
    esac >>"$creds"
  done
}

# Waits until the edge serves the last tenant's get_products.
chaos_wait_tenants() {
  local tenant token deadline=$((SECONDS + 120))
  read -r tenant token _ < <(tail -n 1 "$1")
  until curl -fsS -o /dev/null 2>/dev/null -X POST -H "x-adcp-auth: $token" -H 'content-type: application/json' \
      -d '{"buying_mode":"wholesale","brief":"x"}' "http://127.0.0.1:$BENCH_EDGE_PORT/tenants/$tenant/v1/get_products"; do
    ((SECONDS < deadline)) || die "the edge did not serve $tenant within 120 s"
    sleep 1
  done
}

# Service NAME's index in SVC_NAMES.
chaos_index() { index_of "$1" SVC_NAMES; }

# Waits for service number $1's port.
chaos_wait_port() {
  local port=${SVC_PORT[${SVC_NAMES[$1]}]} deadline=$((SECONDS + 60))
  until port_in_use "$port"; do
    ((SECONDS < deadline)) || die "${SVC_NAMES[$1]} did not listen again within 60 s"
    sleep 0.2
  done
}

# kill -9 of service NAME; DOWN seconds later it starts again (Kubernetes
# restarts a crashed container after its back-off: 1 s here, as ./dev up
# --keep-going's first delay).
chaos_kill9() {
  local i pid
  i=$(chaos_index "$1")
  pid=${SVC_PIDS[$i]}
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  sleep "$2"
  launch_service "$i"
  chaos_wait_port "$i"
}

chaos_fake_fault() {
  curl -fsS -o /dev/null -X POST "$CHAOS_FAKES/control?account=$1&fault=$2" ||
    die "the fake ad servers refused fault $2 for $1"
}

# The superuser's psql on the chaos database (bench_psql), with a timeout.
chaos_psql() { PGCONNECT_TIMEOUT=5 bench_psql "$@"; }

# One fault, for its duration; returns when the fault is over.
chaos_inject() {
  local fault=$1 end i
  case $fault in
    kill9-*) chaos_kill9 "${fault#kill9-}" 1 ;;
    registry-down) chaos_kill9 tenant-registry "$CHAOS_DOWN_S" ;;
    auth-down) chaos_kill9 auth "$CHAOS_DOWN_S" ;;
    pg-immediate-restart)
      as_pg "$PG_BIN/pg_ctl" -D "$BENCH_TMP/data" -m immediate -w -t 60 stop >/dev/null 2>&1 ||
        die "pg_ctl stop -m immediate failed"
      sleep 2
      pg_start "$BENCH_TMP/data" "$BENCH_PG_PORT" "$BENCH_TMP/pg.log" ||
        die "PostgreSQL did not start again"
      ;;
    pg-terminate-backends)
      end=$((SECONDS + CHAOS_FAULT_S))
      while ((SECONDS < end)); do
        chaos_psql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE usename IN ('$PG_REGISTRY_ROLE', '$PG_AUTH_ROLE', '$PG_MEDIA_BUY_ROLE')" \
          >>"$BENCH_OUT/terminated.log" || true
        sleep 4
      done
      ;;
    pg-max-connections)
      local free
      free=$(chaos_psql -c "SELECT current_setting('max_connections')::int
        - current_setting('superuser_reserved_connections')::int - count(*)
        FROM pg_stat_activity WHERE backend_type = 'client backend'")
      log "filling PostgreSQL's $free free connections for $CHAOS_FAULT_S s"
      local -a sleepers=()
      for ((i = 0; i < free + 5; i++)); do
        PGPASSWORD=$CHAOS_FILLER_PW "$PG_BIN/psql" -X -q -w \
          "host=127.0.0.1 port=$BENCH_PG_PORT user=chaos_filler dbname=adcp" \
          -c "SELECT pg_sleep($CHAOS_FAULT_S)" >/dev/null 2>&1 &
        sleepers+=("$!")
      done
      wait "${sleepers[@]}" 2>/dev/null || true
      ;;
    adserver-*)
      local what=${fault#adserver-} gam kevel
      [[ $what == drop-after-accept ]] && what=drop_after_accept
      gam=$(awk '$3 == "gam" && $4 == 0 {print $5; exit}' "$CHAOS_CREDS")
      kevel=$(awk '$3 == "kevel" && $4 == 0 {print $5; exit}' "$CHAOS_CREDS")
      chaos_fake_fault "$gam" "$what"
      chaos_fake_fault "$kevel" "$what"
      sleep "$CHAOS_FAULT_S"
      chaos_fake_fault "$gam" normal
      chaos_fake_fault "$kevel" normal
      ;;
    pg-delay-50ms)
      kill -USR1 "$CHAOS_PROXY_PID"
      sleep "$CHAOS_FAULT_S"
      kill -USR2 "$CHAOS_PROXY_PID"
      ;;
    *) die "unknown fault $fault (./dev chaos --list)" ;;
  esac
}

# One soak sample: a JSON line per service (RSS KiB, open descriptors) and
# the database's connections per role.
chaos_soak_sample() {
  local i pid t conns
  t=$(now_ms)
  conns=$(chaos_psql -c "SELECT coalesce(json_object_agg(usename, n), '{}') FROM
    (SELECT usename, count(*) AS n FROM pg_stat_activity WHERE usename IS NOT NULL
     AND backend_type = 'client backend' GROUP BY usename) c" 2>/dev/null || true)
  [[ -n $conns ]] || conns='{}'
  for i in "${!SVC_PIDS[@]}"; do
    pid=${SVC_PIDS[$i]}
    printf '{"t":%d,"service":"%s","rss_kib":%d,"fds":%d,"db":%s}\n' "$t" "${SVC_NAMES[$i]}" \
      "$(rss_kib "$pid")" "$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" \
      "$conns"
  done >>"$BENCH_OUT/soak.jsonl"
}

# The soak: MINUTES of mixed load, sampled; then its report.
chaos_soak() {
  local minutes=$1 end start
  : >"$BENCH_OUT/soak.jsonl"
  start=$(now_ms)
  end=$((SECONDS + minutes * 60))
  log "soak: $minutes minutes of mixed load, a sample every ${SOAK_SAMPLE_S:-30} s"
  while ((SECONDS < end)); do
    chaos_soak_sample
    sleep "${SOAK_SAMPLE_S:-30}"
  done
  chaos_soak_sample
  chaos_phase soak "$start" "$(now_ms)"
  kill -TERM "$CHAOS_BUYER_PID"
  wait "$CHAOS_BUYER_PID" || true
  node "$REPO/bench/chaos/soak.mjs" "$BENCH_OUT/buyers.jsonl" "$BENCH_OUT/soak.jsonl" \
    "$start" "${SOAK_WINDOW_S:-300}" | tee "$BENCH_OUT/soak.md"
  return "${PIPESTATUS[0]}"
}

# The database's buys and audit rows of creates, as JSON.
chaos_dump_db() {
  chaos_psql <<'SQL'
SELECT json_build_object(
  'buys', coalesce((SELECT json_agg(json_build_object('tenant', tenant_id, 'id', media_buy_id,
      'status', status, 'adapter', adapter, 'order', adapter_order_id,
      'failed_step', adapter_state->>'failed_step',
      'created_ms', (extract(epoch FROM created_at) * 1000)::bigint)) FROM media_buys), '[]'),
  'audit', coalesce((SELECT json_agg(json_build_object('tenant', tenant_id, 'op', operation,
      'mb', details->>'media_buy_id')) FROM audit_log
      WHERE operation = 'create_media_buy'), '[]'),
  'tasks', coalesce((SELECT json_agg(json_build_object('tenant', tenant_id, 'id', task_id,
      'status', status, 'mb', media_buy_id)) FROM human_tasks), '[]'));
SQL
}

cmd_chaos() {
  local usage="usage: ./dev chaos [--quick] [--noisy] [--soak [MINUTES]] [--no-build] [--list]"
  local quick=0 noisy=0 soak=0
  while (($#)); do
    case $1 in
      --quick) quick=1 ;;
      --noisy) noisy=1 ;;
      --no-build) DEV_NO_BUILD=1 ;;
      --list) printf '%s\n' "${CHAOS_ALL_FAULTS[@]}"; return 0 ;;
      --soak)
        soak=30
        if [[ ${2:-} =~ ^[0-9]+$ ]]; then soak=$2; shift; fi
        ((soak > 0)) || die "--soak MINUTES must be at least 1"
        ;;
      *) die "$usage" ;;
    esac
    shift
  done
  UP_REPLICAS=1 BENCH_ECHO=0
  CHAOS_TENANTS=${CHAOS_TENANTS:-20}
  if ((noisy)); then
    CHAOS_TENANTS=4 CHAOS_DEFAULT_LIMITS_FIRST=1
  fi
  local baseline_s settle_s
  if ((quick)); then
    baseline_s=${CHAOS_BASELINE_S:-10} CHAOS_FAULT_S=${CHAOS_FAULT_S:-8}
    CHAOS_DOWN_S=${CHAOS_DOWN_S:-10} settle_s=${CHAOS_SETTLE_S:-12}
    export CHAOS_THINK_MS=${CHAOS_THINK_MS:-300}
  else
    baseline_s=${CHAOS_BASELINE_S:-30} CHAOS_FAULT_S=${CHAOS_FAULT_S:-20}
    CHAOS_DOWN_S=${CHAOS_DOWN_S:-30} settle_s=${CHAOS_SETTLE_S:-25}
  fi
  local -a faults=("${CHAOS_ALL_FAULTS[@]}")
  [[ -z ${CHAOS_FAULTS:-} ]] || IFS=, read -r -a faults <<<"$CHAOS_FAULTS"
  command -v node >/dev/null || die "node not found (run ./dev deps)"
  trap chaos_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  cmd_build "${UP_TARGETS[@]}" adcp-fake-ad-servers
  resolve_pg_bin
  local migrate_bin adcpctl_bin
  migrate_bin=$(built_binary tools/migrate/adcp-migrate)
  adcpctl_bin=$(built_binary tools/adcpctl/adcpctl)
  CHAOS_ADCPCTL=$adcpctl_bin
  BENCH_OUT=${CHAOS_OUT:-$BUILD_DIR/chaos-results}
  [[ $BENCH_OUT == /* ]] || BENCH_OUT=$CALLER_DIR/$BENCH_OUT
  if [[ -d $BENCH_OUT && -n $(ls -A "$BENCH_OUT") && ! -f $BENCH_OUT/phases.jsonl &&
        ! -f $BENCH_OUT/noisy.md ]]; then
    die "CHAOS_OUT=$BENCH_OUT is not empty and holds no earlier chaos results; choose another"
  fi
  rm -rf "$BENCH_OUT"
  mkdir -p "$BENCH_OUT"
  BENCH_RESULTS=$BENCH_OUT/results.jsonl
  : >"$BENCH_RESULTS"
  CHAOS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/adcp-chaos.XXXXXX")
  chmod 700 "$CHAOS_TMP"

  chaos_start_fakes
  # A crash must not lose what was committed: bench's synchronous_commit =
  # off would (an acknowledged buy gone after an immediate shutdown).
  BENCH_PG_CONF=$'max_connections = 100\nsynchronous_commit = on'
  ((noisy)) || BENCH_BEFORE_MEDIA_BUY=chaos_start_proxy
  bench_start_suite
  CHAOS_FILLER_PW=$(random_hex 16)
  chaos_psql -c "CREATE ROLE chaos_filler LOGIN PASSWORD '$CHAOS_FILLER_PW'" >/dev/null

  log "creating $CHAOS_TENANTS tenants (Ad Manager, Kevel, mock; every fifth by manual approval)"
  CHAOS_CREDS=$BENCH_OUT/credentials.txt
  chaos_seed_tenants "$CHAOS_CREDS"
  chaos_wait_tenants "$CHAOS_CREDS"
  if ((noisy)); then
    log "noisy neighbours (bench/chaos/noisy.mjs)"
    node "$REPO/bench/chaos/noisy.mjs" "http://127.0.0.1:$BENCH_EDGE_PORT" "$CHAOS_FAKES" \
      "$CHAOS_CREDS" "$BENCH_OUT/noisy.json" | tee "$BENCH_OUT/noisy.md"
    return "${PIPESTATUS[0]}"
  fi

  log "buyers start (bench/chaos/buyer.mjs)"
  : >"$BENCH_OUT/buyers.jsonl"
  : >"$BENCH_OUT/phases.jsonl"
  env "${BENCH_CTL_ENV[@]}" ADCPCTL="$adcpctl_bin" node "$REPO/bench/chaos/buyer.mjs" \
    "http://127.0.0.1:$BENCH_EDGE_PORT" "$CHAOS_CREDS" "$BENCH_OUT/buyers.jsonl" \
    >"$BENCH_OUT/buyer.log" 2>&1 &
  CHAOS_BUYER_PID=$!
  CHAOS_HELPERS+=("$!")
  sleep 5  # warm-up
  if ((soak)); then
    chaos_soak "$soak"
    return
  fi
  local start fault
  start=$(now_ms)
  sleep "$baseline_s"
  chaos_phase baseline "$start" "$(now_ms)"
  for fault in "${faults[@]}"; do
    log "fault: $fault"
    start=$(now_ms)
    chaos_inject "$fault"
    chaos_phase "$fault" "$start" "$(now_ms)"
    sleep "$settle_s"
  done

  log "buyers stop; their last operations finish"
  kill -TERM "$CHAOS_BUYER_PID"
  wait "$CHAOS_BUYER_PID" || true
  sleep 3
  curl -fsS "$CHAOS_FAKES/orders" >"$BENCH_OUT/upstream.json" || die "no orders from the fakes"
  chaos_dump_db >"$BENCH_OUT/db.json"
  node "$REPO/bench/chaos/check.mjs" "$BENCH_OUT/buyers.jsonl" "$BENCH_OUT/phases.jsonl" \
    "$BENCH_OUT/db.json" "$BENCH_OUT/upstream.json" "$CHAOS_CREDS" "$BENCH_OUT/findings.json" |
    tee "$BENCH_OUT/report.md"
}
