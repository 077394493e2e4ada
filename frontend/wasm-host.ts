// What both module.js files (the flow panel's and the app's) need to host a Rust/WebAssembly frontend:
// the .wasm's URL, found from the AMD module's own URI (never import.meta.url: Grafana loads plugins
// through SystemJS, and nested plugins move between Grafana versions), a load that happens once, and
// Grafana's theme colours in the shape `codexflow_core::theme::Theme` reads.
import type { GrafanaTheme2 } from '@grafana/data';

/** The URL of `file`, which sits next to the module at `moduleUri`. */
export function wasmUrl(file: string, moduleUri: string, base: string): string {
  return new URL(file, new URL(moduleUri, base)).href;
}

/** Runs wasm-bindgen's `init` for `file` next to the module at `moduleUri`, once. */
export function wasmLoader(
  init: (options: { module_or_path: string }) => Promise<unknown>,
  file: string,
  moduleUri: string,
): () => Promise<unknown> {
  let ready: Promise<unknown> | undefined;
  return () => (ready ??= init({ module_or_path: wasmUrl(file, moduleUri, document.baseURI) }));
}

export function themeColors(theme: GrafanaTheme2) {
  const c = theme.colors;
  return {
    isDark: theme.isDark,
    ok: c.success.main,
    warning: c.warning.main,
    critical: c.error.main,
    nodata: c.text.disabled,
    text: c.text.primary,
    textWeak: c.text.secondary,
    background: c.background.primary,
    surface: c.background.secondary,
    border: c.border.medium,
    primary: c.primary.text,
  };
}
