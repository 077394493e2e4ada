#!/usr/bin/env bash
# Sets everything up, builds, and starts the demo: the pipeline simulator (kafka-exporter, NATS and
# Jangar metrics playing an eight-minute incident on a loop) scraped every 5 s by a real Prometheus
# that also holds the hour before (backfilled), the plugin binary started exactly as Grafana starts a
# backend plugin, and the dev host serving the package, the provisioned Codex Pipeline Observability
# dashboard (the flow panel on top of the raw panels) and the app's config page at
# http://127.0.0.1:3000. Ctrl-C stops everything it started. `--table` prints the stage health in the
# terminal instead (add `--watch` to follow the story).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build -q --release -p codexflow-backend -p codexflow-testkit --bins
if [ "${1:-}" = "--table" ]; then
  shift
  exec target/release/codexflow-demo --plugin target/release/gpx_codexflow "$@"
fi
bash scripts/build-frontend.sh
node testkit/src/grafana/page/build.mjs
exec target/release/codexflow-devhost --plugin target/release/gpx_codexflow --port "${CODEXFLOW_PORT:-3000}" "$@"
