#!/usr/bin/env bash
# Installs what building, testing and the demo need. Idempotent: run it as often as you like.
# Debian: prometheus (brings promtool), victoria-metrics (brings vmalert, the second ruler the
# live ruler tests run), prometheus-alertmanager (silences), chromium + chromium-driver (browser tests).
# Rust: the wasm32 target, wasm-bindgen-cli pinned to the crate's version, cargo-fuzz (libFuzzer). npm: the lockfiles' packages.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
WASM_BINDGEN_VERSION=0.2.130
CARGO_FUZZ_VERSION=0.13.2

need_apt=()
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v promtool   >/dev/null 2>&1 || need_apt+=(prometheus)
command -v vmalert    >/dev/null 2>&1 || need_apt+=(victoria-metrics)
command -v prometheus-alertmanager >/dev/null 2>&1 || need_apt+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ]     || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
# Packaging: the arm64 backend is cross-compiled and shown to start under qemu; zip makes the archive.
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need_apt+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
[ -x /usr/bin/qemu-aarch64 ] || need_apt+=(qemu-user)
command -v zip >/dev/null 2>&1 || need_apt+=(zip unzip)
if ((${#need_apt[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "apt: installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
# The Debian package enables a system service; we start our own Prometheus per test instead.
for tool in prometheus promtool vmalert prometheus-alertmanager /usr/bin/chromium /usr/bin/chromedriver node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool missing after install" >&2; exit 1; }
done

command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup: adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown >/dev/null
fi
# The standard library's sources: the two .wasm frontends are built with their own std (build-std, see
# scripts/build-frontend.sh).
if command -v rustup >/dev/null 2>&1 && ! rustup component list --installed | grep -qx 'rust-src'; then
  log "rustup: adding rust-src"
  rustup component add rust-src >/dev/null
fi
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  log "rustup: adding aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu >/dev/null
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  log "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (about a minute, once)"
  cargo install -q cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# npm packages: the root's (tooling, Playwright, the Grafana 12 page) and the Grafana 13 page's, whose
# React 19 cannot share the root's tree. Playwright drives the Debian Chromium, never a downloaded browser.
for dir in . testkit/src/grafana/page/grafana-13; do
  stamp=$dir/node_modules/.codexflow-lock
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    log "npm ci in $dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
done
log "ready: $(prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3), vmalert $(dpkg-query -W -f '${Version}' victoria-metrics 2>/dev/null), $(cargo --version | cut -d' ' -f1-2), $(wasm-bindgen --version), $(cargo fuzz --version), node $(node --version), $(/usr/bin/chromium --version 2>/dev/null | head -1)"
