#!/usr/bin/env bash
# Installs what building, testing and the demo need. Idempotent: run it as often as you like.
# Debian packages: prometheus (brings promtool). Rust: the toolchain this machine has, plus the wasm32 target.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

need_apt=()
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v promtool   >/dev/null 2>&1 || need_apt+=(prometheus)
if ((${#need_apt[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "apt: installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# The Debian package enables a system service; we start our own Prometheus per test instead.
command -v prometheus >/dev/null && command -v promtool >/dev/null || { echo "prometheus/promtool missing after install" >&2; exit 1; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (rustup) first" >&2; exit 1
fi
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup: adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown >/dev/null
fi
log "ready: $(prometheus --version 2>&1 | head -1), $(cargo --version)"
