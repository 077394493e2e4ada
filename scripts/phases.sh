# Phases of a script run: each says when it starts and how long it took, and the run ends with a table
# of phases and seconds, also when a phase fails (the failing one is marked). A phase's output is also kept
# in target/phases/; when it fails, the lines that say where (cargo's failures block, compiler errors, or
# the log's end) are printed again after the table, with the log's path. Sourced by scripts/test.sh.
#   phase "what it does" command args…   the command as one phase, in a subshell
_phase_names=()
_phase_secs=()
_phase_run_start=$SECONDS
_phase_failed_log=""
mkdir -p target/phases

log() { printf '\033[1;34m[test]\033[0m %s\n' "$*"; }

_phase_start() { log "$(date -u +%H:%M:%S) ▶ $1"; }
_phase_done() { # name, start, status
  _phase_names+=("$1")
  _phase_secs+=($((SECONDS - $2)))
  if (($3 != 0)); then
    _phase_names[-1]="$1  ✗ FAILED (exit $3)"
    log "✗ $1 failed after $((SECONDS - $2)) s (exit $3)"
    return "$3"
  fi
  log "✓ $1: $((SECONDS - $2)) s"
}

phase() {
  local name=$1 start=$SECONDS status out
  shift
  out=$PWD/target/phases/$(printf '%02d' "${#_phase_names[@]}")-$(printf '%s' "$name" | tr -c 'a-zA-Z0-9' '-' | cut -c1-40).log
  _phase_start "$name"
  # A subshell outside any `||`: errexit holds inside a phase's function (bash ignores it in a function
  # called as `f || …`), and a phase's `cd` or `export` stays in its phase. It closes its copy of the
  # build mirror's lock (scripts/cache.sh): a daemon a test leaves behind must not hold the next run up.
  set +e
  (
    if [ -n "${CODEXFLOW_CACHE_LOCK_FD:-}" ]; then exec {CODEXFLOW_CACHE_LOCK_FD}>&-; fi
    set -e
    "$@"
  ) 2>&1 | tee "$out"
  status=${PIPESTATUS[0]}
  set -e
  ((status == 0)) || _phase_failed_log=$out
  _phase_done "$name" "$start" "$status"
}

# What a failed phase's log says of where it failed.
_phase_where() {
  local log=$1
  printf '\n\033[1;31m[test]\033[0m where it failed (whole log: %s)\n' "$log"
  if grep -q '^failures:$' "$log"; then
    # cargo test: each failing test's output, then their names and the binary's result.
    sed -n '/^failures:$/,/^test result: FAILED/p' "$log" | head -n 300
    grep -E '^error: .*(test failed|tests failed|target failed)' "$log" || true
  elif grep -qE '^error(\[E[0-9]+\])?: ' "$log"; then
    grep -A 14 -E '^error(\[E[0-9]+\])?: ' "$log" | head -n 200
  else
    tail -n 60 "$log"
  fi
}

phase_table() {
  local i
  set +e # a `head` that closes its pipe early must not end the table
  printf '\n\033[1;34m[test]\033[0m phases (seconds)\n'
  for i in "${!_phase_names[@]}"; do
    printf '  %6d  %s\n' "${_phase_secs[$i]}" "${_phase_names[$i]}"
  done
  printf '  %6d  total\n' $((SECONDS - _phase_run_start))
  [ -z "$_phase_failed_log" ] || _phase_where "$_phase_failed_log"
}
trap phase_table EXIT
