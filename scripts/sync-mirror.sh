#!/usr/bin/env bash
# Makes DEST hold SRC's sources as they are now: every file git tracks in SRC, and every untracked file
# it does not ignore. A file is written only when its content differs, so an unchanged file keeps the
# time of its last change in DEST and cargo, which judges our crates by their files' times, rebuilds
# exactly what changed. Files synced before and gone from SRC now are removed. What DEST's builds made
# (target/, node_modules/, dist/, … as .gitignore says) is left alone: that is what the mirror is for.
#
# Usage: scripts/sync-mirror.sh SRC DEST   (SRC a git work tree; prints what it changed)
set -euo pipefail
src=$(cd "$1" && pwd)
dest=$2
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
[ "$src" != "$dest" ] || { echo "sync-mirror: source and mirror are the same folder" >&2; exit 2; }

manifest=$dest/.codexflow-synced
new_manifest=$(mktemp)
trap 'rm -f "$new_manifest"' EXIT
git -C "$src" ls-files -z --cached --others --exclude-standard >"$new_manifest"

copied=0 kept=0 removed=0
while IFS= read -r -d '' path; do
  from=$src/$path to=$dest/$path
  # Listed by git but gone from the disk (deleted, not yet committed): not a source any more.
  [ -f "$from" ] && [ ! -L "$from" ] || continue
  if [ -f "$to" ] && cmp -s "$from" "$to"; then
    kept=$((kept + 1))
  else
    mkdir -p "$(dirname "$to")"
    rm -f "$to"
    cp "$from" "$to" # a new file: its time is now
    copied=$((copied + 1))
  fi
  # The mode follows, without touching the content's time.
  if [ -x "$from" ] && [ ! -x "$to" ]; then chmod +x "$to"; elif [ ! -x "$from" ] && [ -x "$to" ]; then chmod -x "$to"; fi
done <"$new_manifest"

if [ -f "$manifest" ]; then
  # Paths synced last time and no longer a source: removed, with the folders they leave empty.
  while IFS= read -r -d '' path; do
    [ -f "$src/$path" ] && [ ! -L "$src/$path" ] && continue
    if [ -f "$dest/$path" ]; then
      rm -f "$dest/$path"
      rmdir -p --ignore-fail-on-non-empty "$(dirname "$dest/$path")" 2>/dev/null || true
      removed=$((removed + 1))
    fi
  done <"$manifest"
fi
mv "$new_manifest" "$manifest"
trap - EXIT
echo "[mirror] $dest: $copied written, $kept unchanged, $removed removed"
