# Phases of a script run: each says when it starts and how long it took, and the run ends with a table
# of phases and seconds, also when a phase fails (the failing one is marked). Sourced by scripts/test.sh.
#   phase "what it does" command args…   runs the command as one phase
_phase_names=()
_phase_secs=()
_phase_run_start=$SECONDS

log() { printf '\033[1;34m[test]\033[0m %s\n' "$*"; }

phase() {
  local name=$1 start=$SECONDS status=0
  shift
  log "$(date -u +%H:%M:%S) ▶ $name"
  # A subshell outside any `||`: errexit holds inside a phase's function (bash ignores it in a function
  # called as `f || …`), and a phase's `cd` or `export` stays in its phase.
  set +e
  (set -e; "$@")
  status=$?
  set -e
  _phase_names+=("$name")
  _phase_secs+=($((SECONDS - start)))
  if ((status != 0)); then
    _phase_names[-1]="$name  ✗ FAILED (exit $status)"
    log "✗ $name failed after $((SECONDS - start)) s (exit $status)"
    return "$status"
  fi
  log "✓ $name: $((SECONDS - start)) s"
}

phase_table() {
  local i
  printf '\n\033[1;34m[test]\033[0m phases (seconds)\n'
  for i in "${!_phase_names[@]}"; do
    printf '  %6d  %s\n' "${_phase_secs[$i]}" "${_phase_names[$i]}"
  done
  printf '  %6d  total\n' $((SECONDS - _phase_run_start))
}
trap phase_table EXIT
