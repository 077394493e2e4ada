#!/usr/bin/env bash
# Builds the two WebAssembly frontends and their AMD module.js files into dist/: the flow panel
# (dist/panel/) and the app's config page (dist/module.js + dist/codexflow_config_bg.wasm). For each:
# the Rust crate for wasm32, wasm-bindgen's glue, wasm-opt, then rollup (AMD, Grafana's shared modules
# external).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;34m[build-frontend]\033[0m %s\n' "$*"; }

# Panic locations carry source paths; shorten the registry's so they cost fewer bytes in the .wasm
# (each registry index directory to `c`, anything else under the registry to `crates`).
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
remap="--remap-path-prefix=$registry=crates"
for index in "$registry"/*/; do
  [ -d "$index" ] && remap="$remap --remap-path-prefix=${index%/}=c" # the last match wins
done
# -Zlocation-detail=none: a panic (which aborts: panic = "abort") carries no file, line and column, so
# no source path is stored for any panic site in any crate: 2.5 KB less gzip on the panel (measured
# 2026-12-01, 204,766 -> 202,241 B). An unstable flag of the stable toolchain, hence RUSTC_BOOTSTRAP=1
# for these two builds only (the fuzz pass uses it the same way); nothing else changes.
# -Zfmt-debug=none: `{:?}` prints nothing, so no Debug formatting code is kept: 1.1 KB less gzip on the
# panel. No text a person reads uses `{:?}` in core or the frontends (quoted values are written out).
# -Zbuild-std with -Cpanic=immediate-abort: std is compiled with the crate, and a panic is a trap at
# once: no panic message is formatted (none is shown anyway: panic = "abort" and no hook), so the
# formatting and unwinding paths std ships precompiled are gone: 14.8 KB less gzip on the panel
# (measured 2026-12-02, 206,507 -> 191,745 B). Needs rustup's rust-src (scripts/setup.sh).
wasm() { # crate, output name, glue dir
  log "$1: cargo build (wasm32, wasm-release profile, its own std), wasm-bindgen, wasm-opt -Oz"
  RUSTC_BOOTSTRAP=1 RUSTFLAGS="$remap -Zlocation-detail=none -Zfmt-debug=none -Zunstable-options -Cpanic=immediate-abort" \
    cargo build -q -p "$1" --target wasm32-unknown-unknown --profile wasm-release -Zbuild-std=std,panic_abort
  rm -rf "$3"
  wasm-bindgen --target web --out-dir "$3" --out-name "$2" "target/wasm32-unknown-unknown/wasm-release/$2.wasm"
  # --zero-filled-memory: the module owns its memory, which starts zeroed, so zero bytes need no data segment.
  # Two rounds of --flatten --rereloop (rebuild the control flow, then shrink it) before the usual
  # -Oz: 4.6 KB less gzip on the panel than -Oz alone (measured with binaryen 132 on 2026-12-01).
  # Last, the `producers` and `target_features` custom sections go: tool metadata a browser never
  # reads (wasm-opt needs target_features on its input, so only its output drops it): 220 B gzip.
  optimise "$3/$2_bg.wasm" --flatten --rereloop -Oz -Oz --flatten --rereloop -Oz -Oz --converge --zero-filled-memory \
    --strip-producers --strip-target-features
}
# wasm-opt (binaryen's own build, itself WebAssembly run by node) takes a minute or more a module: its
# output is kept in target/wasm-opt/ by what went in (the module's bytes, the flags, binaryen's version).
optimise() { # file, flags…
  local file=$1 key kept
  shift
  key=$( (sha256sum <"$file"; echo "$*"; node -p 'require("./node_modules/binaryen/package.json").version') | sha256sum | cut -c1-32)
  kept=target/wasm-opt/$key.wasm
  if [ -f "$kept" ]; then
    log "wasm-opt: $file as optimised before ($kept)"
    touch "$kept"
  else
    mkdir -p target/wasm-opt
    node_modules/.bin/wasm-opt "$@" "$file" -o "$kept.new"
    mv "$kept.new" "$kept"
    # Modules optimised and unused for two weeks go.
    find target/wasm-opt -name '*.wasm' -mtime +14 -delete
  fi
  cp "$kept" "$file"
}
wasm codexflow-panel codexflow_panel frontend/pkg
wasm codexflow-config codexflow_config frontend/pkg-config

log "module.js files (rollup, AMD)"
mkdir -p dist/panel/img dist/datasource/img
node_modules/.bin/rollup -c frontend/rollup.config.mjs --silent
cp frontend/pkg/codexflow_panel_bg.wasm dist/panel/
cp frontend/pkg-config/codexflow_config_bg.wasm dist/
cp frontend/plugin.json dist/panel/plugin.json
cp frontend/datasource/plugin.json dist/datasource/plugin.json
cp img/logo.svg dist/panel/img/logo.svg
cp img/logo.svg dist/datasource/img/logo.svg
log "typecheck the module.ts files"
node_modules/.bin/tsc -p frontend/tsconfig.json
for f in dist/panel/module.js dist/panel/codexflow_panel_bg.wasm dist/module.js dist/codexflow_config_bg.wasm dist/datasource/module.js; do
  log "$(printf '%-36s %8d bytes, %7d gzip' "$f" "$(stat -c %s "$f")" "$(gzip -9c "$f" | wc -c)")"
done
