# shellcheck shell=bash
# ./dev fuzz [SECONDS]: sourced by ./dev, whose helpers (log, die, cmd_deps,
# REPO) it uses.
# fuzz: libFuzzer targets of tests/fuzz (clang-14, ASan + UBSan), each run for
# SECONDS over its corpus tests/fuzz/corpus/<name>/. New inputs go to a
# scratch dir and are merged (-merge=1: only those adding coverage) into the
# corpus, which ./dev test replays (fuzz_replay_<name>).

FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$REPO/build-fuzz}
[[ $FUZZ_BUILD_DIR == /* ]] || FUZZ_BUILD_DIR=$REPO/$FUZZ_BUILD_DIR

# Executions of a finished libFuzzer run, from its log.
fuzz_executions() {
  local n
  n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9][0-9]*\).*/\1/p' "$1" | tail -n1)
  [[ -n $n ]] || n=$(sed -n 's/^Done \([0-9][0-9]*\) runs.*/\1/p' "$1" | tail -n1)
  [[ -n $n ]] || n=$(grep -aoE '^#[0-9]+' "$1" | tail -n1 | tr -d '#')
  echo "${n:-?}"
}

cmd_fuzz() {
  local seconds=60
  if (($#)) && [[ $1 =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
  ((seconds > 0)) || die "usage: ./dev fuzz [SECONDS] [TARGET...]"
  cmd_deps "${FUZZ_DEB_PACKAGES[@]}"
  command -v clang++-14 >/dev/null || die "clang++-14 not found"
  export CCACHE_DIR=${CCACHE_DIR:-${HOME:-/tmp}/.ccache}

  log "configuring $FUZZ_BUILD_DIR (clang-14, libFuzzer, ASan, UBSan)"
  cmake -S "$REPO" -B "$FUZZ_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DADCP_FUZZ=ON >/dev/null
  local -a available=() targets=() binaries=()
  mapfile -t available <"$FUZZ_BUILD_DIR/fuzz-targets.txt"
  local t
  if (($#)); then
    for t in "$@"; do
      printf '%s\n' "${available[@]}" | grep -Fxq -- "$t" ||
        die "no fuzz target $t (targets: ${available[*]})"
      targets+=("$t")
    done
  else
    targets=("${available[@]}")
  fi
  for t in "${targets[@]}"; do binaries+=("${t}_fuzz"); done
  log "building ${binaries[*]}"
  cmake --build "$FUZZ_BUILD_DIR" -j"$(nproc)" --target "${binaries[@]}"

  local out=$FUZZ_BUILD_DIR/fuzz-out
  mkdir -p "$out"
  local -a rows=()
  local failed=0 bin corpus scratch logfile rc execs rate before after result artifact
  for t in "${targets[@]}"; do
    bin=$FUZZ_BUILD_DIR/tests/fuzz/${t}_fuzz
    corpus=$REPO/tests/fuzz/corpus/$t
    mkdir -p "$corpus"
    scratch=$out/$t.new
    rm -rf -- "$scratch" && mkdir -p "$scratch"
    logfile=$out/$t.log
    rm -f -- "$out/$t"-crash-* "$out/$t"-leak-* "$out/$t"-timeout-* "$out/$t"-oom-* \
      "$out/$t"-slow-unit-*
    before=$(find "$corpus" -type f | wc -l)
    log "fuzzing $t for ${seconds}s (log: ${logfile#"$REPO"/})"
    rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
      "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 \
      -rss_limit_mb=2560 -artifact_prefix="$out/$t-" "$scratch" "$corpus" \
      >"$logfile" 2>&1 || rc=$?
    execs=$(fuzz_executions "$logfile")
    # Keep what adds coverage (also after a crash: what was found until then),
    # and minimize the corpus again: the named seeds, then the fewest inputs
    # (the smallest first) of the old corpus and the new ones that reach the
    # remaining edges (-use_counters=0: edges, not hit counts, so that the
    # corpus stays small).
    local fresh=$out/$t.min
    rm -rf -- "$fresh" && mkdir -p "$fresh"
    find "$corpus" -maxdepth 1 -type f -regextype posix-extended ! -regex '.*/[0-9a-f]{40}' \
      -exec cp -- {} "$fresh/" \;
    if "$bin" -merge=1 -use_counters=0 -timeout=25 -rss_limit_mb=2560 "$fresh" "$corpus" "$scratch" \
        >"$out/$t.merge.log" 2>&1; then
      find "$corpus" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
      find "$fresh" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' \
        -exec cp -- {} "$corpus/" \;
    else
      warn "merging $t's new inputs failed (see $out/$t.merge.log); its corpus is unchanged"
    fi
    rm -rf -- "$scratch" "$fresh"
    after=$(find "$corpus" -type f | wc -l)
    if ((rc == 0)); then
      result=ok
    else
      failed=1
      artifact=$(ls -1 "$out/$t"-* 2>/dev/null | head -n1 || true)
      result="CRASH (exit $rc): ${artifact:-no reproducer written}"
      printf '\n==> %s failed; the end of its log (%s):\n' "$t" "$logfile" >&2
      grep -av '^#[0-9]' "$logfile" | tail -n 60 >&2 || true
      [[ -z $artifact ]] || printf '==> reproduce: %s %s\n' "${bin#"$REPO"/}" "$artifact" >&2
    fi
    rate='?'
    [[ $execs =~ ^[0-9]+$ ]] && rate=$((execs / seconds))
    rows+=("$(printf '%-16s %6s %12s %10s %9s  %s' "$t" "$seconds" "$execs" "$rate" \
      "$before->$after" "$result")")
  done

  printf '\n%-16s %6s %12s %10s %9s  %s\n' target seconds executions "exec/s" corpus result
  printf '%s\n' "${rows[@]}"
  if ((failed)); then
    printf '\nA target failed: its reproducer is in %s. Fix the code, then move the\n' "${out#"$REPO"/}"
    printf 'reproducer into tests/fuzz/corpus/<target>/ so that ./dev test replays it.\n'
    exit 1
  fi
}
