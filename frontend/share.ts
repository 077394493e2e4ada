// What the flow panel needs of Grafana to share a moment of the pipeline. The moment itself (what
// the URL parameter says, whether to trust it) is the panel's, in Rust (`codexflow_core::moment_param`);
// this is the part only Grafana's frontend can do:
// - the parameter kept in the dashboard's URL through `locationService`, as Grafana keeps its own
//   panel state (`partial`, replacing the history entry);
// - a link made as Grafana's share drawer makes one (grafana/grafana `public/app/core/utils/shortLinks.ts`
//   `createDashboardShareUrl` / `createShortLink`): every current query parameter, `shareView` dropped,
//   the time range made absolute, shortened by `POST /api/short-urls` where that answers, else the full
//   URL under Grafana's root URL; copied as Grafana's `copyStringToClipboard` copies, and said in a
//   notification on the app events, as Grafana's share drawer says it.
import { AppEvents, urlUtil, type UrlQueryMap } from '@grafana/data';
import { config, getAppEvents, locationService } from '@grafana/runtime';
import { hostRequest } from './wasm-host.ts';

/** `momentParam(key)` reads the URL's parameter `key` (a string or nothing); `momentParam(key, value)` sets it, `null` removing it. */
export function momentParam(key: string, value?: string | null): string | undefined {
  const current = locationService.getSearchObject()[key];
  if (value === undefined) return typeof current === 'string' ? current : undefined;
  if ((current ?? null) !== value) locationService.partial({ [key]: value }, true);
  return undefined;
}

/** The link to the dashboard as it is now, over the absolute range `range` (epoch ms). */
export async function momentLink(range: { from: number; to: number }): Promise<string> {
  const query: UrlQueryMap = { ...locationService.getSearchObject(), from: String(range.from), to: String(range.to) };
  delete query.shareView;
  // The route inside Grafana (no sub-path), as the short-URL API takes it: relative, no leading slash.
  const path = urlUtil.renderUrl(locationService.getLocation().pathname, query).replace(/^\/+/, '');
  const short = await hostRequest('POST', '/api/short-urls', JSON.stringify({ path }), null).catch(() => null);
  try {
    const made = short && short.status === 200 ? (JSON.parse(short.body) as { url?: unknown }).url : undefined;
    if (typeof made === 'string' && /^https?:\/\//.test(made)) return made;
  } catch {
    // Not JSON: the full link below.
  }
  const root = config.appUrl || `${window.location.origin}${config.appSubUrl ?? ''}/`;
  return `${root.replace(/\/+$/, '')}/${path}`;
}

/**
 * Copies the link `url` will resolve to. The click's permission to write the clipboard lasts only while
 * the click is handled, so where the browser takes a pending item (`ClipboardItem` with a promise) the
 * write starts at once; otherwise as Grafana's `copyStringToClipboard` does: the Clipboard API in a
 * secure context, else a selected textarea.
 */
async function copy(url: Promise<string>): Promise<void> {
  const clipboard = window.isSecureContext ? navigator.clipboard : undefined;
  if (clipboard?.write && typeof ClipboardItem !== 'undefined') {
    return clipboard.write([new ClipboardItem({ 'text/plain': url.then((u) => new Blob([u], { type: 'text/plain' })) })]);
  }
  const text = await url;
  if (clipboard) return clipboard.writeText(text);
  const area = document.createElement('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    if (!document.execCommand('copy')) throw new Error('the browser refused to copy');
  } finally {
    area.remove();
  }
}

/** Says `words` in Grafana's notifications. */
export function notify(kind: 'success' | 'error', words: string[]) {
  getAppEvents().publish({ type: (kind === 'success' ? AppEvents.alertSuccess : AppEvents.alertError).name, payload: words });
}

/** Copies the link to this moment and says so; when copying fails, the notification carries the link to copy by hand. */
export async function copyMomentLink(range: { from: number; to: number }): Promise<void> {
  const url = momentLink(range);
  try {
    await copy(url);
    notify('success', ['Link to this moment copied']);
  } catch (e) {
    const made = await url.catch(() => '');
    notify('error', ['Could not copy the link to this moment', made ? `Copy it by hand: ${made}` : String(e)]);
  }
}
