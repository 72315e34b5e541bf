# shellcheck shell=bash
# The services of ./dev up (and ./dev bench): sourced by ./dev, whose helpers
# (log, warn, die, built_binary, port_in_use) and LOG_DIR, RUN_DIR it uses.
#
# start_service starts one and waits for its port. watch_services waits for
# them all; when one exits it says which, how (exit status or signal) and
# shows the end of its log, then returns (the caller stops everything), or,
# with --keep-going, starts it again after a back-off.

# Per service, by index: name, pid ('' once it has exited), log, binary,
# $SECONDS at its last start; its own environment is the array SVC_ENV_<index>.
SVC_NAMES=()
SVC_PIDS=()
SVC_LOGS=()
SVC_BINARIES=()
SVC_STARTED=()
SVC_SUMMARY=()
declare -A SVC_PORT=()
# Per service name: its METRICS_PORT, if it has one.
declare -A SVC_METRICS_PORT=()

# Common environment of every service (filled in by cmd_up).
SVC_COMMON_ENV=()
# Command-line arguments of the next start_service (then emptied).
SVC_NEXT_ARGS=()

# --keep-going: a service that exits is started again after RESTART_FIRST_DELAY
# seconds, doubled at each exit up to RESTART_MAX_DELAY; one that ran
# RESTART_RESET_AFTER seconds before it exited starts over at the first delay.
# (Kubernetes' CrashLoopBackOff: 10 s doubled up to 300 s, reset after 10 min.)
UP_KEEP_GOING=0
RESTART_FIRST_DELAY=1
RESTART_MAX_DELAY=60
RESTART_RESET_AFTER=600
SVC_DELAY=()  # per index: the back-off before its next restart
SVC_EXITS=()  # per index: how often it exited
SVC_TIMERS=() # per index: pid of the `sleep` its restart waits for, or ''

# The lines of a service's log shown when it exits.
EXIT_LOG_LINES=30

# Stops what a previous `./dev up`, killed without cleanup, left running of
# NAME (pid file $2, binary $3).
stop_leftover_service() {
  local name=$1 pidfile=$2 binary=$3 old i
  [[ -f $pidfile ]] || return 0
  old=$(<"$pidfile")
  if [[ $old =~ ^[0-9]+$ && -r /proc/$old/cmdline ]] &&
     tr '\0' '\n' <"/proc/$old/cmdline" | grep -Fxq -- "$binary"; then
    warn "stopping leftover $name (pid $old)"
    kill -TERM "$old" 2>/dev/null || true
    for i in {1..50}; do [[ -d /proc/$old ]] || break; sleep 0.2; done
    kill -KILL "$old" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# Starts service number $1 in the background with its binary and environment.
launch_service() {
  local i=$1
  local -n own_env=SVC_ENV_$i own_args=SVC_ARGS_$i
  printf '\n---- %s started by ./dev up at %s ----\n' "${SVC_NAMES[$i]}" "$(date -Is)" \
    >>"${SVC_LOGS[$i]}"
  # A database URL reaches only the services given one (their own role's).
  env -u DATABASE_URL -u DATABASE_PURGE_URL -u DATABASE_LISTEN_URL "${SVC_COMMON_ENV[@]}" "${own_env[@]}" \
    "${SVC_BINARIES[$i]}" "${own_args[@]}" \
    >>"${SVC_LOGS[$i]}" 2>&1 9>&- </dev/null &
  SVC_PIDS[i]=$!
  SVC_STARTED[i]=$SECONDS
  echo "$!" >"$RUN_DIR/${SVC_NAMES[$i]}.pid"
}

# Starts a service in the background and waits until its first port listens.
#   start_service NAME BINARY(relative to build dir, or an absolute path) SETTING...
# SETTING is VAR=default (value from env <NAME>_<VAR>, else env VAR, else default;
# the first one is the port waited on; VARs ending in PORT must be free) or a bare
# VAR (passes this script's variable VAR through). The binary's arguments are
# SVC_NEXT_ARGS (emptied).
start_service() {
  local name=$1 binary=$2
  [[ $binary == /* ]] || binary=$(built_binary "$2")
  shift 2
  local logfile=$LOG_DIR/$name.log
  stop_leftover_service "$name" "$RUN_DIR/$name.pid" "$binary"

  local prefix=${name^^}
  prefix=${prefix//-/_}
  local -a env_args=()
  local spec var def val pv wait_port='' grpc='' metrics='' metrics_port=''
  for spec in "$@"; do
    if [[ $spec == *=* ]]; then
      var=${spec%%=*} def=${spec#*=} pv=${prefix}_${spec%%=*}
      [[ $var == "${prefix}_"* ]] && pv=$var
      val=${!pv:-${!var:-$def}}
      if [[ $var == *PORT ]]; then
        [[ $val =~ ^[0-9]+$ ]] || die "$name: $var=$val is not a port"
        port_in_use "$val" && die "$name: port $val ($var) is already in use"
        if [[ $var == METRICS_PORT ]]; then
          metrics="metrics http://127.0.0.1:$val/metrics" metrics_port=$val
        elif [[ $var == *HTTP* ]]; then
          grpc+="${grpc:+, }http://127.0.0.1:$val"
        else
          grpc+="${grpc:+, }gRPC 127.0.0.1:$val"
        fi
      fi
      [[ -n $wait_port ]] || wait_port=$val
    else
      var=$spec val=${!spec}
    fi
    env_args+=("$var=$val")
  done

  local i=${#SVC_NAMES[@]}
  SVC_NAMES[i]=$name SVC_LOGS[i]=$logfile SVC_BINARIES[i]=$binary SVC_TIMERS[i]=''
  declare -ga "SVC_ENV_$i=()" "SVC_ARGS_$i=()"
  local -n own_env=SVC_ENV_$i own_args=SVC_ARGS_$i
  own_env=("${env_args[@]}")
  own_args=("${SVC_NEXT_ARGS[@]}")
  SVC_NEXT_ARGS=()
  launch_service "$i"
  local pid=${SVC_PIDS[$i]}
  SVC_PORT[$name]=$wait_port
  [[ -z $metrics_port ]] || SVC_METRICS_PORT[$name]=$metrics_port
  log "started $name (pid $pid), log: $logfile"

  if [[ -n $wait_port ]]; then
    local deadline=$((SECONDS + 30))
    until port_in_use "$wait_port"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        printf '\n==> %s exited during start-up; its log (%s):\n' "$name" "$logfile" >&2
        tail -n 100 "$logfile" >&2 || true
        exit 1
      fi
      ((SECONDS < deadline)) || {
        tail -n 100 "$logfile" >&2 || true
        die "$name did not listen on port $wait_port within 30 s"
      }
      sleep 0.2
    done
  fi
  SVC_SUMMARY+=("$(printf '%-18s %s%s\n%-18s log  %s' "$name" "${grpc:--}" \
    "${metrics:+   $metrics}" "" "$logfile")")
}

stop_services() {
  local i pid alive
  for pid in "${SVC_TIMERS[@]}"; do [[ -z $pid ]] || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${SVC_PIDS[@]}"; do [[ -z $pid ]] || kill -TERM "$pid" 2>/dev/null || true; done
  for i in {1..75}; do
    alive=0
    for pid in "${SVC_PIDS[@]}"; do [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for i in "${!SVC_PIDS[@]}"; do
    pid=${SVC_PIDS[$i]}
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      warn "${SVC_NAMES[$i]} did not stop within 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    [[ -z $pid ]] || wait "$pid" 2>/dev/null || true
    rm -f "$RUN_DIR/${SVC_NAMES[$i]}.pid"
  done
  SVC_PIDS=() SVC_NAMES=() SVC_LOGS=() SVC_BINARIES=() SVC_TIMERS=()
}

# Prints the index of $1 in the array named $2; fails if it is not there.
index_of() {
  local -n list=$2
  local i
  for i in "${!list[@]}"; do
    [[ ${list[$i]} == "$1" ]] && { echo "$i"; return 0; }
  done
  return 1
}

# Says that service number $1 (pid $2) ended with wait status $3, and shows
# the end of its log.
report_exit() {
  local i=$1 pid=$2 rc=$3 how signal
  if ((rc > 128)) && signal=$(kill -l "$((rc - 128))" 2>/dev/null); then
    how="was killed by signal $((rc - 128)) (SIG$signal)"
  else
    how="exited with status $rc"
  fi
  printf '\n==> %s (pid %s) %s after %d s; the last %d lines of %s:\n' "${SVC_NAMES[$i]}" \
    "$pid" "$how" "$((SECONDS - SVC_STARTED[i]))" "$EXIT_LOG_LINES" "${SVC_LOGS[$i]}" >&2
  tail -n "$EXIT_LOG_LINES" "${SVC_LOGS[$i]}" | sed 's/^/    /' >&2 || true
}

# --keep-going: starts a timer after which service number $1 starts again.
schedule_restart() {
  local i=$1 delay=${SVC_DELAY[$1]:-$RESTART_FIRST_DELAY}
  ((SECONDS - SVC_STARTED[i] < RESTART_RESET_AFTER)) || delay=$RESTART_FIRST_DELAY
  SVC_EXITS[i]=$((${SVC_EXITS[$i]:-0} + 1))
  printf '==> --keep-going: restarting %s in %d s (exit %d; the wait doubles at each exit, up to %d s)\n' \
    "${SVC_NAMES[$i]}" "$delay" "${SVC_EXITS[$i]}" "$RESTART_MAX_DELAY" >&2
  sleep "$delay" 9>&- &
  SVC_TIMERS[i]=$!
  SVC_DELAY[i]=$((delay * 2 < RESTART_MAX_DELAY ? delay * 2 : RESTART_MAX_DELAY))
}

# Waits for the services. When one exits: says so; without --keep-going
# returns 1 (the caller stops the others), with it restarts it after its
# back-off and goes on waiting.
watch_services() {
  local pid rc i
  while :; do
    pid='' rc=0
    # (2>/dev/null: bash's own "Killed" line; report_exit says it better.)
    wait -n -p pid 2>/dev/null || rc=$?
    if [[ -z ${pid:-} ]]; then
      ((rc != 127)) || return 1 # no child left to wait for
      continue
    fi
    if i=$(index_of "$pid" SVC_TIMERS); then
      SVC_TIMERS[i]=''
      launch_service "$i"
      log "--keep-going: restarted ${SVC_NAMES[$i]} (pid ${SVC_PIDS[$i]}), log: ${SVC_LOGS[$i]}"
      continue
    fi
    i=$(index_of "$pid" SVC_PIDS) || continue
    SVC_PIDS[i]=''
    report_exit "$i" "$pid" "$rc"
    if ((!UP_KEEP_GOING)); then
      printf '==> stopping the others (./dev up --keep-going restarts a service that exits)\n' >&2
      return 1
    fi
    schedule_restart "$i"
  done
}
