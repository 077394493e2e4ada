#!/usr/bin/env bash
# Builds the installable package: dist/ laid out as Grafana expects for an app with a nested panel
# (plugin.json, gpx_codexflow_linux_amd64 and _arm64 at 0755, panel/, datasource/, img/, docs), and
# proompteng-codexflow-app-<version>.zip with one root folder named after the plugin id.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1;34m[package]\033[0m %s\n' "$*"; }
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
today=$(date -u +%Y-%m-%d)

bash scripts/build-frontend.sh
log "backend for linux/amd64 and linux/arm64"
cargo build -q --release -p codexflow-backend --bin gpx_codexflow
cargo build -q --release -p codexflow-backend --bin gpx_codexflow --target aarch64-unknown-linux-gnu
install -m 0755 target/release/gpx_codexflow dist/gpx_codexflow_linux_amd64
install -m 0755 target/aarch64-unknown-linux-gnu/release/gpx_codexflow dist/gpx_codexflow_linux_arm64

fill() { sed -e "s/%VERSION%/$version/g" -e "s/%TODAY%/$today/g" "$1" > "$2"; }
fill plugin.json dist/plugin.json
fill frontend/plugin.json dist/panel/plugin.json
fill frontend/datasource/plugin.json dist/datasource/plugin.json
mkdir -p dist/img
cp img/logo.svg dist/img/logo.svg
cp README.md CHANGELOG.md LICENSE dist/

zipfile="proompteng-codexflow-app-$version.zip"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -a dist "$stage/proompteng-codexflow-app"
rm -f "$zipfile"
(cd "$stage" && zip -qr -X "$OLDPWD/$zipfile" proompteng-codexflow-app)
log "$zipfile: $(stat -c %s "$zipfile") bytes"
