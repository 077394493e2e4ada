#!/usr/bin/env bash
# Runs every test: unit, the promtool oracle, the plugin process under a Grafana-faithful host,
# the shipped rules under promtool, and the shared crate on wasm32.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

log() { printf '\033[1;34m[test]\033[0m %s\n' "$*"; }

log "promtool check rules (shipped rules file)"
promtool check rules provisioning/rules/codex-pipeline-observability.rules.yaml

log "shared crate builds for wasm32-unknown-unknown"
cargo build -q -p codexflow-core --target wasm32-unknown-unknown

log "cargo test --workspace"
cargo test --workspace --all-targets 2>&1
