// A dashboard's panels as Grafana itself sees them, from either stored shape, pure (no Grafana import,
// so `dashboard-model.test.mjs` runs it in node):
// - schema v1 (`GET /api/dashboards/uid/<uid>`, or the k8s API's v0/v1 versions): `panels`, rows and
//   their collapsed children, with ids as Grafana assigns them at load (`DashboardModel`'s
//   `ensurePanelsHaveUniqueIds`, public/app/features/dashboard/state/DashboardModel.ts);
// - schema v2 (Grafana 13's dynamic dashboards, `/apis/dashboard.grafana.app/v2…`): `elements` placed by
//   `layout` (grid, rows, tabs, auto grid, nested in any order), as apps/dashboard/kinds/v2/
//   dashboard_spec.cue defines them.

export interface ModelTarget { expr?: unknown; hide?: boolean; datasource?: unknown }
export interface ModelPanel { id?: number; type?: string; title?: string; targets?: ModelTarget[]; panels?: ModelPanel[]; datasource?: unknown }

/** The dashboard's uid from the page's path: `/d/<uid>/<slug>` or `/d-solo/<uid>/<slug>` (a sub-path before it is fine). */
export function dashboardUid(pathname: string): string | null {
  const m = /\/d(?:-solo)?\/([^/?#]+)/.exec(pathname);
  return m ? decodeURIComponent(m[1]) : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Every panel of a v1 model in its saved (layout) order, each row's panels in its place, ids as Grafana
 * gives them at load (`ensurePanelsHaveUniqueIds` over `panelIterator`): a panel without an id (or 0), or
 * with one seen before, gets the next after the largest, in that order, rows and their children included.
 */
export function flatPanels(panels: unknown): ModelPanel[] {
  const saved = list(panels).filter(isObject) as ModelPanel[];
  // `panelIterator`'s order: each saved panel, then the panels it holds (a collapsed row's).
  const all = saved.flatMap((p) => [p, ...(list(p.panels).filter(isObject) as ModelPanel[])]);
  let next = all.reduce((max, p) => (typeof p.id === 'number' && Number.isFinite(p.id) ? Math.max(max, p.id) : max), 0) + 1;
  const seen = new Set<number>();
  const ids = new Map<ModelPanel, number>();
  for (const p of all) {
    let id = typeof p.id === 'number' && Number.isFinite(p.id) && p.id !== 0 ? p.id : null;
    if (id === null || seen.has(id)) id = next++;
    seen.add(id);
    ids.set(p, id);
  }
  const listed = saved.flatMap((p) => (p.type === 'row' ? (list(p.panels).filter(isObject) as ModelPanel[]) : [p]));
  return listed.filter((p) => p.type !== 'row').map((p) => cleaned(p, ids.get(p)));
}

/** A v1 panel with the fields read here in the types they are read as (a hand-written model may not have them). */
function cleaned(p: ModelPanel, id: number | undefined): ModelPanel {
  const targets = list(p.targets).filter(isObject).map((t): ModelTarget => ({ expr: t.expr, hide: t.hide === true, datasource: t.datasource }));
  return { id, type: typeof p.type === 'string' ? p.type : undefined, title: typeof p.title === 'string' ? p.title : '', targets, datasource: p.datasource };
}

/** A v2 element as the v1 shape the rest reads: its queries' `expr`, `hidden` as `hide`, the data source by uid. */
function v2Panel(element: Record<string, unknown>): ModelPanel | null {
  const spec = isObject(element.spec) ? element.spec : {};
  const id = typeof spec.id === 'number' ? spec.id : undefined;
  const title = typeof spec.title === 'string' ? spec.title : '';
  if (element.kind === 'LibraryPanel') return { id, title, type: 'library-panel', targets: [] };
  if (element.kind !== 'Panel') return null;
  const data = isObject(spec.data) && isObject(spec.data.spec) ? spec.data.spec : {};
  const targets = list(data.queries).filter(isObject).map((q): ModelTarget => {
    const qs = isObject(q.spec) ? q.spec : {};
    const query = isObject(qs.query) ? qs.query : {};
    const inner = isObject(query.spec) ? query.spec : {};
    // v2beta1/v2: the data source uid in `query.datasource.name`, its type in `query.group`; v2alpha1:
    // `{type, uid}` on the query's spec and the type in `query.kind`.
    const ds = isObject(query.datasource) && typeof query.datasource.name === 'string'
      ? { uid: query.datasource.name, type: typeof query.group === 'string' ? query.group : undefined }
      : isObject(qs.datasource) ? qs.datasource : undefined;
    return { expr: inner.expr, hide: qs.hidden === true, datasource: ds };
  });
  const viz = isObject(spec.vizConfig) ? spec.vizConfig : {};
  const type = typeof viz.group === 'string' ? viz.group : typeof viz.kind === 'string' ? viz.kind : undefined;
  return { id, title, type, targets };
}

/** The element a grid or auto-grid item places. */
function itemElement(item: Record<string, unknown>): unknown {
  return isObject(item.spec) && isObject(item.spec.element) ? item.spec.element.name : undefined;
}

/**
 * The element names a grid or auto-grid item places: its element, or for v2alpha1's `GridLayoutRow` (rows
 * inside a grid, before `RowsLayout`; `@grafana/schema` `dashboard/v2alpha1`) the elements of its own items.
 */
function itemElements(item: Record<string, unknown>): unknown[] {
  if (item.kind !== 'GridLayoutRow') return [itemElement(item)];
  return list(isObject(item.spec) ? item.spec.elements : undefined).filter(isObject).map(itemElement);
}

/** The element names a layout places, in its order: grid items, rows, tabs and auto-grid items, at any depth. */
function placed(layout: unknown, depth = 0): string[] {
  if (!isObject(layout) || depth > 32) return []; // deeper than any editor nests: a hostile model, not a dashboard
  const spec = isObject(layout.spec) ? layout.spec : {};
  const items = list(spec.items).filter(isObject).flatMap(itemElements);
  const nested = [...list(spec.rows), ...list(spec.tabs)].filter(isObject).flatMap((s) => placed(isObject(s.spec) ? s.spec.layout : undefined, depth + 1));
  return [...items.filter((n): n is string => typeof n === 'string'), ...nested];
}

/** Every panel of a v2 spec in layout order (collapsed rows too: v2 keeps their children in the layout), once each. */
export function v2Panels(spec: unknown): ModelPanel[] {
  if (!isObject(spec) || !isObject(spec.elements)) return [];
  const elements = spec.elements;
  const names = [...new Set(placed(spec.layout))];
  return names.flatMap((n) => {
    const e = Object.prototype.hasOwnProperty.call(elements, n) ? elements[n] : undefined;
    const p = isObject(e) ? v2Panel(e) : null;
    return p ? [p] : [];
  });
}

/** Whether a k8s dashboard answer's spec is schema v2 (Grafana's `isDashboardV2Spec`: it has `elements`). */
export function isV2Spec(spec: unknown): boolean {
  return isObject(spec) && 'elements' in spec;
}

/**
 * Where a dashboard the legacy API refused is stored: for a 406 (what `backendSrv.fetch` rejects with:
 * `{status, data: {message}}`), the API its message names, at the stored version, in `namespace`
 * (`config.namespace`, from the same namespacer as the message); `null` for any other failure.
 */
export function storedDashboardUrl(refusal: unknown, namespace: string, uid: string): string | null {
  if (!isObject(refusal) || refusal.status !== 406) return null;
  const version = versionFrom406(isObject(refusal.data) ? refusal.data.message : undefined) ?? 'v2beta1';
  return `/apis/dashboard.grafana.app/${version}/namespaces/${encodeURIComponent(namespace)}/dashboards/${encodeURIComponent(uid)}`;
}

/** The API version the legacy API's 406 names (`…/apis/dashboard.grafana.app/<version>/namespaces/…`). */
function versionFrom406(message: unknown): string | null {
  const m = typeof message === 'string' ? /\/apis\/dashboard\.grafana\.app\/(v[0-9a-z]+)\//.exec(message) : null;
  return m ? m[1] : null;
}
