#!/usr/bin/env bash
# Builds the flow panel into dist/panel/: the Rust crate for wasm32, wasm-bindgen's glue, wasm-opt,
# then module.js (AMD, Grafana's shared modules external) with rollup.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;34m[build-panel]\033[0m %s\n' "$*"; }

log "cargo build (wasm32, wasm-release profile)"
# Panic locations carry source paths; shorten the registry's so they cost fewer bytes in the .wasm.
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
RUSTFLAGS="--remap-path-prefix=$registry=crates" \
  cargo build -q -p codexflow-panel --target wasm32-unknown-unknown --profile wasm-release
log "wasm-bindgen"
rm -rf frontend/pkg
wasm-bindgen --target web --out-dir frontend/pkg --out-name codexflow_panel \
  target/wasm32-unknown-unknown/wasm-release/codexflow_panel.wasm
log "wasm-opt -Oz"
# --zero-filled-memory: the module owns its memory, which starts zeroed, so zero bytes need no data segment.
node_modules/.bin/wasm-opt -Oz --converge --zero-filled-memory frontend/pkg/codexflow_panel_bg.wasm -o frontend/pkg/codexflow_panel_bg.wasm
log "module.js (rollup, AMD)"
mkdir -p dist/panel/img
CODEXFLOW_PANEL_OUT=dist/panel/module.js node_modules/.bin/rollup -c frontend/rollup.config.mjs --silent
cp frontend/pkg/codexflow_panel_bg.wasm dist/panel/
cp frontend/plugin.json dist/panel/plugin.json
cp img/logo.svg dist/panel/img/logo.svg
log "typecheck module.ts"
node_modules/.bin/tsc -p frontend/tsconfig.json
for f in dist/panel/module.js dist/panel/codexflow_panel_bg.wasm; do
  log "$(printf '%-36s %8d bytes, %7d gzip' "$f" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)")"
done
