// Which panels of the dashboard the flow panel sits on show each stage: the dashboard model read the
// way a viewer can, every panel walked (`dashboard-model.ts`: rows, collapsed rows, tabs, library panels
// as far as the model shows their queries; the flow panel itself skipped), queries with the dashboard's
// variables replaced, and the backend's `v1/panel-map` matching their metric names to the stages. A
// stage that no panel shows gets an Explore link with its own queries against the dashboard's Prometheus.
//
// The model: Grafana's `GET /api/dashboards/uid/<uid>` (pkg/api/dashboard.go `GetDashboard`, 10.4 to 13).
// A dashboard stored as schema v2 (Grafana 13's dynamic dashboards) is refused there with 406, whose
// message names the API that serves it, `/apis/dashboard.grafana.app/<stored version>/namespaces/<ns>/
// dashboards/<uid>`: that stored version is read as it is (no server conversion to go wrong) and its
// `elements` walked by their `layout`.
import { config, getBackendSrv, type FetchResponse } from '@grafana/runtime';

import { dashboardUid, flatPanels, isV2Spec, type ModelPanel, storedDashboardUrl, v2Panels } from './dashboard-model.ts';


export interface PanelRef { id: number; title: string }
export interface StageFound { stage: string; panels: PanelRef[]; queries: string[] }
/** What the mapping found, or why there is none. */
export interface Found { stages: StageFound[]; datasourceUid: string | null; titles: Record<number, string>; dashboardTitle?: string; error?: string }

/** The one answer of a backendSrv fetch (without importing rxjs, which the module would have to share). */
function once<T>(observable: { subscribe(o: { next(v: FetchResponse<T>): void; error(e: unknown): void }): unknown }): Promise<FetchResponse<T>> {
  return new Promise((resolve, reject) => observable.subscribe({ next: resolve, error: reject }));
}

const MAX_PANELS = 500; // codexflow_core::limits::MAX_DASHBOARD_PANELS
const MAX_QUERIES = 26; // codexflow_core::limits::MAX_PANEL_QUERIES

type Srv = ReturnType<typeof getBackendSrv>;

/** The dashboard's title and panels, from the legacy API, or from the one that serves a v2 dashboard. */
async function dashboardPanels(srv: Srv, uid: string): Promise<{ title: string; panels: ModelPanel[] }> {
  const read = (model: { title?: unknown; panels?: unknown } | undefined) => ({
    title: typeof model?.title === 'string' ? model.title : '',
    panels: isV2Spec(model) ? v2Panels(model) : flatPanels(model?.panels),
  });
  let legacy: FetchResponse<{ dashboard?: { title?: unknown; panels?: unknown } }>;
  try {
    legacy = await once(srv.fetch({ url: `/api/dashboards/uid/${encodeURIComponent(uid)}`, showErrorAlert: false }));
  } catch (e) {
    const url = storedDashboardUrl(e, (config as unknown as { namespace?: string }).namespace || 'default', uid);
    if (!url) throw e;
    const stored = await once<{ spec?: { title?: unknown; panels?: unknown } }>(srv.fetch({ url, showErrorAlert: false }));
    return read(stored.data?.spec);
  }
  return read(legacy.data?.dashboard);
}

interface DatasourceMeta { uid?: string; type?: string; name?: string }

/** A panel's or target's data source reference as a Prometheus uid, resolving variables and names. */
function prometheusUid(ref: unknown, replaceVariables: (s: string) => string): string | null {
  const all = (config as unknown as { datasources?: Record<string, DatasourceMeta> }).datasources ?? {};
  const byUidOrName = (key: string) => all[key] ?? Object.values(all).find((d) => d.uid === key);
  let meta: DatasourceMeta | undefined;
  if (typeof ref === 'string') meta = byUidOrName(replaceVariables(ref));
  else if (ref && typeof ref === 'object') {
    const r = ref as DatasourceMeta;
    const uid = r.uid ? replaceVariables(r.uid) : undefined;
    meta = uid ? byUidOrName(uid) ?? { uid, type: r.type } : undefined;
  }
  return meta?.uid && meta.type === 'prometheus' ? meta.uid : null;
}

/** The dashboard's Prometheus: the first panel's that is one, else Grafana's default if it is one. */
function dashboardPrometheus(panels: ModelPanel[], replaceVariables: (s: string) => string): string | null {
  for (const p of panels) {
    for (const ref of [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]) {
      const uid = prometheusUid(ref, replaceVariables);
      if (uid) return uid;
    }
  }
  const name = (config as unknown as { defaultDatasource?: string }).defaultDatasource;
  return name ? prometheusUid(name, replaceVariables) : null;
}

/** Reads the dashboard and asks the backend which panels show each stage. */
export async function findRawPanels(selfId: number, pathname: string, replaceVariables: (s: string) => string, resourceUrl: string): Promise<Found> {
  const uid = dashboardUid(pathname);
  if (!uid) return { stages: [], datasourceUid: null, titles: {}, error: 'This dashboard is not saved yet, so its panels cannot be read: save it, or choose each stage\'s panels in the panel option "Raw panels per stage".' };
  const srv = getBackendSrv();
  const dashboard = await dashboardPanels(srv, uid);
  const panels = dashboard.panels.filter((p) => typeof p.id === 'number' && p.id !== selfId);
  // Every panel's title here: for the backend, and for links to panels chosen by hand too.
  const titles: Record<number, string> = Object.fromEntries(panels.map((p) => [p.id as number, replaceVariables(p.title ?? '')]));
  const described = panels
    .map((p) => ({
      id: p.id as number,
      title: titles[p.id as number],
      exprs: (p.targets ?? []).filter((t) => !t.hide && typeof t.expr === 'string').slice(0, MAX_QUERIES).map((t) => replaceVariables(t.expr as string)),
    }))
    .filter((p) => p.exprs.length > 0)
    .slice(0, MAX_PANELS);
  const answer = await once<{ stages: StageFound[] }>(srv.fetch({ url: `${resourceUrl}/v1/panel-map`, method: 'POST', data: { panels: described }, showErrorAlert: false }));
  const stages = answer.data.stages.map((s) => ({ stage: s.stage, panels: s.panels.map(({ id, title }) => ({ id, title })), queries: s.queries ?? [] }));
  return { stages, datasourceUid: dashboardPrometheus(panels, replaceVariables), titles, dashboardTitle: replaceVariables(dashboard.title) };
}

/**
 * Grafana's Explore URL for queries against one data source over a range, as
 * `public/app/core/utils/explore.ts` (`getExploreUrl`) renders it: `schemaVersion=1` and `panes`.
 */
export function exploreUrl(datasourceUid: string, queries: string[], from: number, to: number, orgId: number): string {
  const panes = {
    cf: {
      datasource: datasourceUid,
      queries: queries.map((expr, i) => ({ refId: String.fromCharCode(65 + (i % 26)), expr, datasource: { type: 'prometheus', uid: datasourceUid } })),
      range: { from: String(from), to: String(to) },
    },
  };
  const params = new URLSearchParams({ schemaVersion: '1', panes: JSON.stringify(panes), orgId: String(orgId) });
  return `${config.appSubUrl ?? ''}/explore?${params.toString()}`;
}

/** The found mapping as `stage=id,id; …`, which module.js puts before the panel option so a stage chosen by hand wins. */
export function foundMapping(found: Found | null): string {
  return (found?.stages ?? []).filter((s) => s.panels.length > 0).map((s) => `${s.stage}=${s.panels.map((p) => p.id).join(',')}`).join('; ');
}

/**
 * The WASM panel's `evidence(kind, key)` (frontend/panel/src/ui/mod.rs, `Bridge::evidence`): a panel's
 * `title` on this dashboard; for a stage no panel shows, `explore` (Grafana's Explore with the stage's
 * queries) and `none` (why the drill-down has no panel to offer). The WASM shows these texts as given.
 */
export function evidence(found: Found | null, failure: string | null, from: number, to: number) {
  return (kind: string, key: string): string | undefined => {
    if (kind === 'none') return failure ?? found?.error ?? (found ? 'No panel on this dashboard shows this stage.' : 'Looking for this stage\'s panels on the dashboard…');
    if (!found) return undefined;
    if (kind === 'title') return found.titles[Number(key)] || undefined;
    const stage = found.stages.find((s) => s.stage === key);
    if (kind === 'explore' && stage && stage.panels.length === 0 && found.datasourceUid && stage.queries.length > 0) {
      return exploreUrl(found.datasourceUid, stage.queries, from, to, config.bootData?.user?.orgId ?? 1);
    }
    return undefined;
  };
}
