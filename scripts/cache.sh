# The build mirror: a test run builds and runs in one long-lived copy of the sources, so what it compiled
# outlives the clone and a second run compiles only what changed. Sourced by scripts/test.sh before
# anything else; from a clone it syncs the sources into the mirror and runs test.sh there (`exec`), so
# the rest of the script runs in the mirror with its target/, node_modules/ and backend/fuzz/target/.
#
#   $CODEXFLOW_CACHE (default ~/.cache/codexflow)
#     lock     held by the run's shell from the sync to the end: runs from two clones take turns
#     work/    the mirror (scripts/sync-mirror.sh): sources as in the clone, build outputs kept
#
# Why a fixed folder and not only a shared CARGO_TARGET_DIR: cargo judges our crates by their files'
# times and paths, a fresh clone's files are all new, and our tests embed their crate's folder
# (`env!("CARGO_MANIFEST_DIR")`) and files included from other crates by absolute path, neither of
# which cargo would see change between clones in different folders. In one folder, a file whose content
# did not change keeps its time, and cargo's own rules hold as in any working copy (docs/testing.md).
# CODEXFLOW_CACHE=off runs in the clone, building everything there.

codexflow_cache=${CODEXFLOW_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/codexflow}
if [ -n "${CODEXFLOW_MIRROR_OF:-}" ] || [ "$codexflow_cache" = off ]; then
  : # in the mirror already, or asked to build in place
elif ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "[mirror] not a git work tree: building in place" >&2
else
  mkdir -p "$codexflow_cache"
  # The run's shell holds the lock to its end (phases close their copy: scripts/phases.sh), and says
  # whose run it is, so a run that waits can tell.
  exec {codexflow_cache_lock}>>"$codexflow_cache/lock"
  if ! flock -n "$codexflow_cache_lock"; then
    printf '[mirror] waiting for %s/lock, held by: %s (up to 2 h)\n' "$codexflow_cache" "$(cat "$codexflow_cache/lock.owner" 2>/dev/null)" >&2
    flock -w 7200 "$codexflow_cache_lock" || { echo "[mirror] $codexflow_cache/lock still held after 2 h" >&2; exit 1; }
  fi
  echo "pid $$, $(date -u +%FT%TZ), from $PWD" >"$codexflow_cache/lock.owner"
  mirror=$codexflow_cache/work
  bash scripts/sync-mirror.sh "$PWD" "$mirror"
  # Another compiler's artifacts are never read: a change of `rustc -vV` empties the build folders.
  toolchain=$(rustc -vV 2>/dev/null | sha256sum | cut -c1-16 || true)
  stamp=$mirror/target/.codexflow-toolchain
  empty_target() { rm -rf "$mirror/target" && mkdir -p "$mirror/target" && echo "$toolchain" >"$stamp"; }
  if [ "$(cat "$stamp" 2>/dev/null)" != "$toolchain" ]; then
    echo "[mirror] nothing built here with $(rustc --version 2>/dev/null || echo 'this rustc'): building everything" >&2
    rm -rf "$mirror/backend/fuzz/target"
    empty_target
  fi
  # Old dependency versions pile up in target/ (a full build is about 12 GiB): past 40 GiB it starts over.
  if [ "$(du -s --block-size=1G "$mirror/target" | cut -f1)" -gt 40 ]; then
    echo "[mirror] target/ is over 40 GiB: emptied, this run builds everything" >&2
    empty_target
  fi
  # What a run leaves that the next must not start from: fuzz findings and corpora, logs, screenshots.
  rm -rf "$mirror/backend/fuzz/corpus" "$mirror/backend/fuzz/artifacts" "$mirror/target/phases" "$mirror/target/e2e"
  # The reference copies are checked against the clone's neighbour, as CI lays it out.
  export CODEXFLOW_MIRROR_OF=$PWD CODEXFLOW_CACHE_LOCK_FD=$codexflow_cache_lock
  echo "[mirror] running $0 in $mirror"
  cd "$mirror"
  exec bash "$mirror/scripts/$(basename "$0")" "$@"
fi
