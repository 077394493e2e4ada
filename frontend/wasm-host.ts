// What both module.js files (the flow panel's and the app's) need to host a Rust/WebAssembly frontend:
// the .wasm's URL, found from the AMD module's own URI (never import.meta.url: Grafana loads plugins
// through SystemJS, and nested plugins move between Grafana versions), a load that happens once, and
// Grafana's theme colours in the shape `codexflow_core::theme::Theme` reads (a list in its field order).
import * as React from 'react';
import type { GrafanaTheme2 } from '@grafana/data';
import { getBackendSrv, type FetchError, type FetchResponse } from '@grafana/runtime';

/**
 * The URL of `file`, which sits next to the plugin's module.js. SystemJS sets the AMD module's `uri`
 * only from 6.15.1 (Grafana 11.1); before that, the plugin meta's `baseUrl` (the directory Grafana
 * serves the plugin from, `config.panels[id].baseUrl` for a panel, the settings' `baseUrl` for an
 * app) says the same. Both are relative to Grafana's base, sub-path included.
 */
export function wasmUrl(file: string, moduleUri: string | undefined, baseUrl: string | undefined, base: string): string {
  if (moduleUri) return new URL(file, new URL(moduleUri, base)).href;
  if (baseUrl) return new URL(`${baseUrl.replace(/\/+$/, '')}/${file}`, base).href;
  throw new Error('neither the AMD module URI nor the plugin meta says where the plugin is served from');
}

/**
 * Runs wasm-bindgen's `init` for `file` next to the module, once; `baseUrl` is asked only when the
 * module URI is missing, at load time, when Grafana has set the plugin's meta.
 */
export function wasmLoader(
  init: (options: { module_or_path: string }) => Promise<unknown>,
  file: string,
  moduleUri: string | undefined,
): (baseUrl: () => string | undefined) => Promise<unknown> {
  let ready: Promise<unknown> | undefined;
  return (baseUrl) => (ready ??= Promise.resolve().then(() => init({ module_or_path: wasmUrl(file, moduleUri, moduleUri ? undefined : baseUrl(), document.baseURI) })));
}

/** In the order of `Theme`'s fields: a list, which costs the .wasm less to read than an object. */
export function themeColors(theme: GrafanaTheme2): [boolean, ...string[]] {
  const c = theme.colors;
  return [
    theme.isDark,
    c.success.main, // ok
    c.warning.main, // warning
    c.error.main, // critical
    c.text.disabled, // nodata
    c.text.primary, // text
    c.text.secondary, // textWeak
    c.background.primary, // background
    c.background.secondary, // surface
    c.border.medium, // border
    c.primary.text, // primary
  ];
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

/** A mounted WASM frontend (wasm-bindgen's handle). */
export interface Mounted {
  update(props: string): void;
  unmount(): void;
  free(): void;
}

/**
 * Mounts a WASM frontend into the returned element's ref once its .wasm has loaded, with the props of
 * the latest render by then (Grafana may have rendered again meanwhile: a resize, a new range), and
 * hands every later props JSON to `update()`: a remount would lose the frontend's own state (a
 * config page's unsaved edits, a panel's open drill-down). Unmounts with the component.
 */
export function useWasmMount(load: () => Promise<unknown>, mount: (element: HTMLElement, props: string) => Mounted, json: string, what: string) {
  const host = React.useRef<HTMLDivElement>(null);
  const handle = React.useRef<Mounted | null>(null);
  const [failure, setFailure] = React.useState<string | null>(null);
  const latest = React.useRef(json);
  latest.current = json;
  React.useEffect(() => {
    let cancelled = false;
    load()
      .then(() => {
        if (!cancelled && host.current && !handle.current) handle.current = mount(host.current, latest.current);
      })
      .catch((e: unknown) => setFailure(`The Codex Flow ${what} could not load its WebAssembly: ${String(e)}`));
    return () => {
      cancelled = true;
      handle.current?.unmount();
      handle.current?.free();
      handle.current = null;
    };
    // Mount once; later props go through update() below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  React.useEffect(() => {
    try {
      handle.current?.update(json);
    } catch (e) {
      setFailure(String(e));
    }
  }, [json]);
  return { host, failure };
}
