// What both module.js files (the flow panel's and the app's) need to host a Rust/WebAssembly frontend:
// the .wasm's URL, found from the AMD module's own URI (never import.meta.url: Grafana loads plugins
// through SystemJS, and nested plugins move between Grafana versions), a load that happens once, and
// Grafana's theme colours in the shape `codexflow_core::theme::Theme` reads.
import type { GrafanaTheme2 } from '@grafana/data';
import { getBackendSrv, type FetchError, type FetchResponse } from '@grafana/runtime';

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

/** An answer as the WASM frontends read it (`codexflow_core::web::call_text`). */
export interface HostAnswer {
  status: number;
  body: string;
}

function text(data: unknown): string {
  return typeof data === 'string' ? data : data === undefined ? '' : JSON.stringify(data);
}

/**
 * The WASM frontends' one way to call Grafana: through Grafana's own `backendSrv.fetch`, which adds
 * `X-Grafana-Org-Id`, rotates an expiring session and retries once, and resolves URLs against
 * Grafana's base (so `/api/...` works under a sub-path). Resolves `{status, body}` for any HTTP
 * answer and rejects only when there is none; aborting `signal` unsubscribes, which cancels the
 * request.
 */
export function hostRequest(method: string, url: string, body: string | null, signal: AbortSignal | null): Promise<HostAnswer> {
  return new Promise((resolve, reject) => {
    const aborted = () => reject(new DOMException('The request was cancelled', 'AbortError'));
    if (signal?.aborted) return aborted();
    const sub = getBackendSrv()
      .fetch<unknown>({
        url,
        method,
        data: body ?? undefined,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        responseType: 'text',
        showErrorAlert: false,
        showSuccessAlert: false,
      })
      .subscribe({
        next: (r: FetchResponse<unknown>) => resolve({ status: r.status, body: text(r.data) }),
        error: (e: FetchError<unknown>) => {
          if (e?.cancelled || !(e?.status > 0)) return reject(e);
          // backendSrv wraps a text body as {message, error, response}; the frontends want the body.
          const data = e.data as { response?: unknown } | string | undefined;
          resolve({ status: e.status, body: typeof data === 'object' && data && 'response' in data ? text(data.response) : text(data) });
        },
      });
    signal?.addEventListener('abort', () => { sub.unsubscribe(); aborted(); }, { once: true });
  });
}
