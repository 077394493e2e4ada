#!/usr/bin/env bash
# Sets everything up, then shows the backend at work: a real Prometheus with the Codex pipeline's
# last three hours backfilled (lag spike, NATS falling behind, SSE errors), the plugin binary started
# exactly as Grafana starts it, and the stage health it serves printed as a table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build -q --release -p codexflow-backend -p codexflow-testkit --bins
exec target/release/codexflow-demo --plugin target/release/gpx_codexflow "$@"
