#!/usr/bin/env bash
# Runs every test: unit tests, the promtool oracle, the plugin process under a Grafana-faithful host,
# the panel's components in headless Chromium, the panel end to end (built module.js and .wasm, the real
# backend, a real Prometheus), the live demo end to end (simulator scraped by Prometheus, dashboard,
# drill-down, viewPanel, the app's config page), the package (layout, schema, zip, arm64 under qemu),
# the shipped rules under promtool and the size budgets. Each phase prints its start and duration; the
# run ends with a table of them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/cache.sh # from a clone: sync into the build mirror and go on there (docs/testing.md)
source scripts/phases.sh

phase "setup (installs what is missing)" bash scripts/setup.sh

reference_copies() {
  local f ref
  for f in tests/fixtures/reference/*; do
    ref="${CODEXFLOW_MIRROR_OF:-$PWD}/../shared/reference/$(basename "$f")"
    if [ -f "$ref" ]; then
      cmp -s "$f" "$ref" || { echo "$f differs from $ref: copy the new reference in" >&2; return 1; }
    fi
  done
}
phase "reference copies (tests/fixtures/reference) match ../shared/reference" reference_copies

format_and_lints() {
  cargo fmt --all --check
  (cd backend/fuzz && cargo fmt --check)
  cargo clippy --workspace --all-targets -- -D warnings
}
phase "cargo fmt --check and clippy -D warnings (workspace and fuzz targets)" format_and_lints
phase "build mirror: sync and rebuild only what changed (a real git and cargo)" \
  node --test scripts/sync-mirror.test.mjs
phase "dashboard models: v1 ids as Grafana gives them, the v2 layout walk" \
  node --test frontend/dashboard-model.test.mjs
phase "promtool check rules (shipped rules file)" \
  promtool check rules provisioning/rules/codex-pipeline-observability.rules.yaml

phase "package: panel and config .wasm, amd64 + arm64 backends, zip" bash scripts/package.sh
phase "dev host page" node testkit/src/grafana/page/build.mjs
phase "plugin.json files against Grafana's schema" node scripts/validate-plugin-json.mjs dist
phase "size budgets: each .wasm <= 200 KiB gzip, each module.js <= 20 KiB gzip" node scripts/check-sizes.mjs

phase "cargo test --workspace (unit, oracle, plugin process, panel and demo end to end)" \
  cargo test --workspace --all-targets --no-fail-fast

panel_components() {
  cd frontend/panel && CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown --test web --features test-allocator
}
phase "panel components in headless Chromium (wasm-bindgen-test)" panel_components

# libFuzzer needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them (docs/fuzzing.md).
# The targets run side by side, one per core: each is bounded by its own 20 s of the clock, so a busy
# machine gives it fewer inputs, never a failure.
fuzz_one() { # target: 20 s from the committed seeds and regressions; its log in target/fuzz-<target>.log
  local target=$1 out=$PWD/target/fuzz-$1.log dirs d
  mkdir -p "corpus/$target"
  # Git keeps no empty directory: a target without committed regressions has no such directory in a
  # fresh clone, and libFuzzer refuses a corpus directory that does not exist.
  dirs=("corpus/$target")
  for d in "seeds/$target" "regressions/$target"; do [ -d "$d" ] && dirs+=("$d"); done
  if ! cargo fuzz run "$target" "${dirs[@]}" -- \
      -max_total_time=20 -timeout=10 -max_len=262144 >"$out" 2>&1; then
    tail -n 40 "$out" >&2
    echo "fuzz target $target failed: the input is in backend/fuzz/artifacts/$target (log: $out)" >&2
    return 1
  fi
  printf '  %-16s %s\n' "$target" "$(grep -E '^Done' "$out" | tail -n 1)"
}
fuzz_pass() {
  cd backend/fuzz
  export RUSTC_BOOTSTRAP=1
  mkdir -p target
  cargo fuzz build 2>&1 | tail -n 1
  local -a targets pids
  local failed=0 i cores
  targets=($(cargo fuzz list))
  ((${#targets[@]})) || { echo "cargo fuzz list named no target" >&2; return 1; }
  cores=$(nproc)
  for ((i = 0; i < ${#targets[@]}; i += cores)); do
    pids=()
    for target in "${targets[@]:i:cores}"; do
      fuzz_one "$target" &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  done
  return "$failed"
}
phase "short fuzz pass: every target 20 s from the committed seeds and regressions" fuzz_pass
