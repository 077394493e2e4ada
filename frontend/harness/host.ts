// The dev host's page: plays the part of Grafana's dashboard page for the real plugin package.
// It registers Grafana's shared modules with SystemJS the way Grafana does (`app:<name>` plus an import
// map), loads each panel plugin's module.js through SystemJS (an AMD module), and renders panels with
// PanelProps: size from gridPos, a time range picker, refresh, viewPanel. Test tooling, not product.
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import { dateMath, dateTime, EventBusSrv, LoadingState, type PanelProps, type TimeRange } from '@grafana/data';
import { config, locationService, RefreshEvent, setBackendSrv, type BackendSrv } from '@grafana/runtime';
import { DevBackendSrv } from './backend_srv.ts';

declare const System: {
  set(id: string, module: unknown): void;
  addImportMap(map: { imports: Record<string, string> }): void;
  import(id: string): Promise<Record<string, unknown>>;
};

const shared: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDOM,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
};
for (const [name, module] of Object.entries(shared)) {
  System.set(`app:${name}`, module);
}
System.addImportMap({ imports: Object.fromEntries(Object.keys(shared).map((n) => [n, `app:${n}`])) });
// Grafana fills the standard options-editor registry at start-up; the option builders of a panel
// plugin look their editors up there (a real editor UI is not part of this host).
grafanaData.standardEditorsRegistry.setInit(() =>
  ['text', 'boolean', 'radio', 'number', 'select', 'color', 'unit'].map((id) => ({ id, name: id, editor: () => null }))
);
// Grafana sets its backendSrv before any plugin loads; plugins reach it through getBackendSrv().
setBackendSrv(new DevBackendSrv({ orgId: config.bootData.user.orgId, isSignedIn: config.bootData.user.isSignedIn }) as unknown as BackendSrv);
// For tests that inspect a loaded plugin with Grafana's own classes.
(window as unknown as Record<string, unknown>).__grafanaData = grafanaData;

interface Target { refId: string; expr: string; legendFormat?: string; datasource?: { uid: string } }
interface Panel {
  id: number; type: string; title: string; description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  options?: Record<string, unknown>; targets?: Target[]; datasource?: { uid: string };
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
}
interface Variable { name: string; current?: { value?: string | string[] } }
interface Dashboard {
  uid: string; title: string; panels: Panel[]; time: { from: string; to: string }; refresh?: string;
  templating?: { list: Variable[] };
}

/** `$name` / `${name}` from `?var-name=…` or the variable's current value, as Grafana's template service does. */
function variableReplacer(dashboard: Dashboard, params: Record<string, string>): (s: string) => string {
  const values = new Map<string, string>();
  for (const v of dashboard.templating?.list ?? []) {
    const current = v.current?.value;
    values.set(v.name, params[`var-${v.name}`] ?? (Array.isArray(current) ? current.join(',') : current ?? ''));
  }
  return (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (all, a, b) => values.get(a ?? b) ?? all);
}

const CELL = 30; // Grafana's grid cell height
const MARGIN = 8;
const HEADER = 28;

function parseRange(from: string, to: string): TimeRange {
  const f = dateMath.parse(/^\d+$/.test(from) ? dateTime(Number(from)) : from, false);
  const t = dateMath.parse(/^\d+$/.test(to) ? dateTime(Number(to)) : to, true);
  return { from: f ?? dateTime(), to: t ?? dateTime(), raw: { from, to } };
}

function search(): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(locationService.getLocation().search));
}

const pluginCache = new Map<string, Promise<grafanaData.PanelPlugin>>();
function loadPanelPlugin(type: string): Promise<grafanaData.PanelPlugin> {
  const meta = (config as unknown as { panels: Record<string, { module: string }> }).panels[type];
  if (!meta) return Promise.reject(new Error(`Panel plugin not found: ${type}`));
  if (!pluginCache.has(type)) {
    pluginCache.set(type, System.import(`/${meta.module}`).then((m) => {
      const plugin = (m.plugin ?? (m.default as Record<string, unknown>)?.plugin) as grafanaData.PanelPlugin | undefined;
      if (!plugin || !plugin.panel) throw new Error(`${meta.module} does not export a PanelPlugin`);
      return plugin;
    }));
  }
  return pluginCache.get(type)!;
}

function PluginPanel(props: { panel: Panel; width: number; height: number; timeRange: TimeRange; eventBus: EventBusSrv; renderCounter: number; replaceVariables: (s: string) => string; onChangeTimeRange: (r: { from: number; to: number }) => void }) {
  const [plugin, setPlugin] = React.useState<grafanaData.PanelPlugin | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    loadPanelPlugin(props.panel.type).then(setPlugin, (e) => setError(String(e)));
  }, [props.panel.type]);
  if (error) return React.createElement('div', { role: 'alert', 'data-testid': 'panel-load-error' }, error);
  if (!plugin || !plugin.panel) return React.createElement('div', null, 'Loading plugin…');
  const panelProps: PanelProps = {
    id: props.panel.id,
    data: { state: LoadingState.Done, series: [], timeRange: props.timeRange },
    timeRange: props.timeRange,
    timeZone: 'browser',
    options: props.panel.options ?? {},
    fieldConfig: { defaults: {}, overrides: [] },
    transparent: false,
    width: props.width,
    height: props.height,
    renderCounter: props.renderCounter,
    title: props.panel.title,
    eventBus: props.eventBus,
    replaceVariables: props.replaceVariables,
    onOptionsChange: () => {},
    onFieldConfigChange: () => {},
    onChangeTimeRange: (r) => props.onChangeTimeRange({ from: r.from, to: r.to }),
  } as unknown as PanelProps;
  return React.createElement(plugin.panel as React.ComponentType<PanelProps>, panelProps);
}

/** A plain chart of a raw panel's PromQL through the datasource proxy, as Grafana's timeseries would fetch it. */
function RawPanel(props: { panel: Panel; width: number; height: number; timeRange: TimeRange; renderCounter: number }) {
  const [series, setSeries] = React.useState<{ name: string; points: [number, number][] }[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const from = props.timeRange.from.valueOf();
  const to = props.timeRange.to.valueOf();
  React.useEffect(() => {
    const step = Math.max(15, Math.round((to - from) / 1000 / Math.max(props.width, 100)));
    Promise.all((props.panel.targets ?? []).map(async (t) => {
      const uid = t.datasource?.uid ?? props.panel.datasource?.uid;
      const body = new URLSearchParams({ query: t.expr, start: String(from / 1000), end: String(to / 1000), step: String(step) });
      const r = await fetch(`/api/datasources/proxy/uid/${uid}/api/v1/query_range`, { method: 'POST', body });
      const json = await r.json();
      if (json.status !== 'success') throw new Error(json.error ?? `HTTP ${r.status}`);
      return (json.data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((s) => ({
        name: t.legendFormat || t.refId,
        points: s.values.map(([ts, v]) => [ts * 1000, Number(v)] as [number, number]),
      }));
    })).then((all) => setSeries(all.flat()), (e) => setError(String(e)));
  }, [from, to, props.renderCounter, props.panel.id, props.width]);
  const w = Math.max(props.width, 0), h = Math.max(props.height - 18, 20);
  if (error) return React.createElement('div', { role: 'alert' }, error);
  if (!series) return React.createElement('div', null, 'Loading…');
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const lo = Math.min(0, ...values), hi = Math.max(1, ...values);
  const colors = ['#73BF69', '#F2CC0C', '#8AB8FF', '#FF780A'];
  const paths = series.map((s, i) => React.createElement('polyline', {
    key: i, fill: 'none', stroke: colors[i % colors.length], strokeWidth: 1.5,
    points: s.points.map(([t, v]) => `${((t - from) / (to - from)) * w},${h - ((v - lo) / (hi - lo)) * h}`).join(' '),
  }));
  return React.createElement('div', { 'data-testid': `raw-panel-series-${props.panel.id}` },
    React.createElement('svg', { width: w, height: h }, paths),
    React.createElement('div', { style: { fontSize: 11, opacity: 0.7 } }, series.map((s) => s.name).join(' · ') || 'No data'));
}

function App(props: { dashboard: Dashboard }) {
  const { dashboard } = props;
  const [params, setParams] = React.useState(search());
  const [renderCounter, setRenderCounter] = React.useState(0);
  const eventBus = React.useMemo(() => new EventBusSrv(), []);
  const [width, setWidth] = React.useState(window.innerWidth);
  React.useEffect(() => locationService.getHistory().listen(() => setParams(search())), []);
  React.useEffect(() => {
    const onResize = () => setWidth(window.innerWidth);
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  const from = params.from ?? dashboard.time.from;
  const to = params.to ?? dashboard.time.to;
  const [timeRange, setTimeRange] = React.useState(() => parseRange(from, to));
  React.useEffect(() => setTimeRange(parseRange(from, to)), [from, to]);
  const refresh = React.useCallback(() => {
    setTimeRange(parseRange(from, to));
    setRenderCounter((n) => n + 1);
    eventBus.publish(new RefreshEvent());
  }, [from, to, eventBus]);
  // Auto-refresh as the dashboard asks (e.g. 30s), unless the URL turns it off.
  React.useEffect(() => {
    const every = params.refresh ?? dashboard.refresh;
    const ms = every ? grafanaData.rangeUtil.intervalToMs(every) : 0;
    if (!ms) return;
    const id = window.setInterval(refresh, ms);
    return () => window.clearInterval(id);
  }, [params.refresh, dashboard.refresh, refresh]);

  const replaceVariables = React.useMemo(() => variableReplacer(dashboard, params), [dashboard, params]);
  const viewPanel = params.viewPanel ? Number(params.viewPanel) : null;
  const colWidth = (width - MARGIN) / 24;
  const toolbar = React.createElement('div', { style: { display: 'flex', gap: 8, alignItems: 'center', padding: '6px 8px' } },
    React.createElement('strong', { 'data-testid': 'dashboard-title' }, dashboard.title),
    viewPanel !== null && React.createElement('button', { 'data-testid': 'back-to-dashboard', onClick: () => locationService.partial({ viewPanel: null }) }, '← Back to dashboard'),
    React.createElement('span', { style: { flex: 1 } }),
    React.createElement('select', {
      'aria-label': 'Time range', value: from.startsWith('now') ? from : 'custom',
      onChange: (e: React.ChangeEvent<HTMLSelectElement>) => locationService.partial({ from: e.target.value, to: 'now' }),
    }, ['now-15m', 'now-1h', 'now-2h', 'now-3h', 'now-6h', 'now-24h', 'custom'].map((v) => React.createElement('option', { key: v, value: v }, v))),
    React.createElement('button', { 'data-testid': 'refresh', onClick: refresh }, 'Refresh'));

  const panels = viewPanel !== null ? dashboard.panels.filter((p) => p.id === viewPanel) : dashboard.panels;
  const body = panels.map((p) => {
    const full = viewPanel !== null;
    const w = full ? width - 2 * MARGIN : p.gridPos.w * colWidth - MARGIN;
    const h = full ? window.innerHeight - 60 : p.gridPos.h * CELL + (p.gridPos.h - 1) * MARGIN;
    const style: React.CSSProperties = full
      ? { position: 'relative', margin: MARGIN, width: w, height: h }
      : { position: 'absolute', left: MARGIN + p.gridPos.x * colWidth, top: p.gridPos.y * (CELL + MARGIN), width: w, height: h };
    const inner = { width: Math.floor(w - 2 * MARGIN), height: Math.floor(h - HEADER - MARGIN) };
    const content = p.type === 'timeseries'
      ? React.createElement(RawPanel, { panel: p, ...inner, timeRange, renderCounter })
      : React.createElement(PluginPanel, {
          panel: p, ...inner, timeRange, eventBus, renderCounter, replaceVariables,
          onChangeTimeRange: (r) => locationService.partial({ from: String(r.from), to: String(r.to) }),
        });
    return React.createElement('section', {
      key: p.id, 'data-testid': `panel-${p.id}`, 'aria-label': p.title,
      style: { ...style, boxSizing: 'border-box', border: `1px solid ${config.theme2.colors.border.weak}`, borderRadius: 4, background: config.theme2.colors.background.primary, padding: MARGIN },
    },
      React.createElement('h2', { style: { margin: 0, height: HEADER - 8, fontSize: 13, fontWeight: 500 } }, p.title),
      content);
  });
  return React.createElement('div', null, toolbar,
    React.createElement('main', { style: { position: 'relative', minHeight: '100vh' } }, body));
}

/**
 * Grafana's plugin page (`/plugins/<id>`): the settings DTO from `/api/plugins/<id>/settings`, the app's
 * module.js through SystemJS, `plugin.init(meta)` and `plugin.meta = meta` as `importAppPlugin` does, then
 * the chosen config page's `body` with `{ plugin, query }`.
 */
async function appPage(root: ReturnType<typeof createRoot>, id: string) {
  const r = await fetch(`/api/plugins/${id}/settings`);
  if (!r.ok) {
    root.render(React.createElement('div', { role: 'alert' }, `Plugin ${id} not found`));
    return;
  }
  const meta = await r.json();
  const exports = await System.import(`/${meta.module}`);
  const plugin = exports.plugin as grafanaData.AppPlugin;
  plugin.init(meta);
  plugin.meta = meta;
  // For tests that check what the config page hands back to Grafana's copy of the meta.
  (window as unknown as Record<string, unknown>).__appPlugin = plugin;
  const query = search();
  const pages = plugin.configPages ?? [];
  const page = pages.find((p) => p.id === query.page) ?? pages[0];
  document.title = `${meta.name} · Codex Flow dev host`;
  root.render(React.createElement('main', { style: { padding: 16 } },
    React.createElement('h1', { style: { fontSize: 20, fontWeight: 500 } }, meta.name),
    React.createElement('nav', { 'aria-label': 'Plugin pages', style: { display: 'flex', gap: 12, marginBottom: 12 } },
      pages.map((p) => React.createElement('a', { key: p.id, href: `?page=${p.id}`, 'aria-current': p === page ? 'page' : undefined }, p.title))),
    page ? React.createElement(page.body, { plugin, query }) : React.createElement('p', null, 'This app has no config pages.')));
}

async function main() {
  if (config.theme2.isLight) document.body.classList.add('light');
  if (location.pathname.startsWith('/plugins/')) {
    await appPage(createRoot(document.getElementById('root')!), location.pathname.split('/')[2] ?? '');
    return;
  }
  const uid = location.pathname.split('/')[2] ?? '';
  const r = await fetch(`/api/dashboards/uid/${uid}`);
  const root = createRoot(document.getElementById('root')!);
  if (!r.ok) {
    root.render(React.createElement('div', { role: 'alert' }, `Dashboard ${uid} not found`));
    return;
  }
  const { dashboard } = await r.json();
  document.title = `${dashboard.title} · Codex Flow dev host`;
  root.render(React.createElement(App, { dashboard }));
}

main();
