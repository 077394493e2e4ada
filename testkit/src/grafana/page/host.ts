// The dev host's page: plays the part of Grafana's dashboard page for the real plugin package.
// It registers Grafana's shared modules with SystemJS the way Grafana does (`app:<name>` plus an import
// map), loads each panel plugin's module.js through SystemJS (an AMD module), and renders panels with
// PanelProps: size from gridPos, a time range picker, refresh, viewPanel. Test tooling, not product.
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import { dateMath, dateTime, EventBusSrv, getThemeById, LoadingState, ThemeContext, type GrafanaTheme2, type PanelProps, type TimeRange } from '@grafana/data';
import { config, getAppEvents, getDataSourceSrv, locationService, RefreshEvent, setAppEvents, setBackendSrv, setDataSourceSrv, setTemplateSrv, ThemeChangedEvent, type BackendSrv } from '@grafana/runtime';
import { DevBackendSrv } from './backend_srv.ts';
import { DevDataSourceSrv } from './datasource_srv.ts';
import { DatasourceSettingsPage } from './datasource_settings.ts';
import { StateTimelinePanel } from './state_timeline.ts';
import { DevTemplateSrv } from './template_srv.ts';

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
// And the standard field config properties (grafana/grafana `public/app/core/components/OptionsUI/registry.tsx`,
// `getAllStandardFieldConfigs`, set in `app.ts`): `applyFieldOverrides` copies a panel's field config
// defaults onto its fields only for the properties listed there, each through its processor.
grafanaData.standardFieldConfigEditorRegistry.setInit(() => ([
  ['displayName', grafanaData.displayNameOverrideProcessor],
  ['unit', grafanaData.unitOverrideProcessor],
  ['min', grafanaData.numberOverrideProcessor],
  ['max', grafanaData.numberOverrideProcessor],
  ['decimals', grafanaData.numberOverrideProcessor],
  ['noValue', grafanaData.stringOverrideProcessor],
  ['mappings', grafanaData.valueMappingsOverrideProcessor],
  ['thresholds', grafanaData.thresholdsOverrideProcessor],
  ['color', grafanaData.identityOverrideProcessor],
] as const).map(([id, process]) => ({
  id, path: id, name: id, process, shouldApply: () => true, editor: () => null, override: () => null,
})) as unknown as grafanaData.FieldConfigPropertyItem[]);
// Grafana sets its backendSrv before any plugin loads; plugins reach it through getBackendSrv().
setBackendSrv(new DevBackendSrv({ orgId: config.bootData.user.orgId, isSignedIn: config.bootData.user.isSignedIn }) as unknown as BackendSrv);
// Grafana sets its template service at start-up too; a data source's applyTemplateVariables reads it.
const templateSrv = new DevTemplateSrv();
setTemplateSrv(templateSrv);
// And its data source service, through which plugins and panels reach a data source.
setDataSourceSrv(new DevDataSourceSrv());
// Grafana's app-wide event bus (theme changes, among others), set at start-up as Grafana's app.ts does.
setAppEvents(new EventBusSrv() as unknown as Parameters<typeof setAppEvents>[0]);
// For tests that render a plugin's option editor as Grafana's panel editor would.
(window as unknown as Record<string, unknown>).__renderInto = (el: HTMLElement, component: React.ComponentType<unknown>, props: unknown) =>
  createRoot(el).render(React.createElement(component as React.ComponentType<Record<string, unknown>>, props as Record<string, unknown>));
// For tests that inspect a loaded plugin with Grafana's own classes.
(window as unknown as Record<string, unknown>).__grafanaData = grafanaData;

type DatasourceRef = { uid?: string; type?: string } | string;
interface Target { refId: string; expr: string; legendFormat?: string; datasource?: DatasourceRef; hide?: boolean }
interface Panel {
  id: number; type: string; title: string; description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  options?: Record<string, unknown>; targets?: Target[]; datasource?: DatasourceRef;
  fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] };
  /** Rows: collapsed ones hold their panels here. */
  collapsed?: boolean; panels?: Panel[];
  /** Repeated for each value of this variable. */
  repeat?: string;
}
interface Variable { name: string; type?: string; current?: { value?: string | string[] } }
interface Dashboard {
  uid: string; title: string; panels: Panel[]; time: { from: string; to: string }; refresh?: string;
  templating?: { list: Variable[] };
  annotations?: { list: AnnotationQuery[] };
}

interface AnnotationQuery { name: string; enable?: boolean; iconColor?: string; datasource?: DatasourceRef; target?: Record<string, unknown> }

/**
 * A public dashboard or a snapshot: their data sources' queries go through endpoints the dev host does not
 * play (`/api/public/dashboards/<token>/panels/<id>/query`; a snapshot's data is stored in it), so its
 * State timeline and annotations are not drawn there.
 */
function sharedView(): boolean {
  return location.pathname.startsWith('/public-dashboards/') || location.pathname.startsWith('/dashboard/snapshot/');
}

/** An annotation event as Grafana draws it on a time series. */
interface AnnotationEvent { time: number; title: string; text: string; tags: string[]; color: string }

/**
 * The events of the dashboard's enabled annotation queries over the range, as a Scenes dashboard runs
 * them (grafana/scenes `packages/scenes/src/querying/layers/annotations/standardAnnotationQuery.ts`):
 * the data source's `annotations.prepareQuery` (else the saved target), refId `Anno`, through `query`;
 * then the frame's fields by name, as `getAnnotationsFromData` maps them: `time`, `title`, `text` (else
 * the first string field), `tags` (split at commas). Queries of Grafana's own built-in annotations are
 * not played.
 */
async function annotationEvents(dashboard: Dashboard, range: TimeRange): Promise<AnnotationEvent[]> {
  if (sharedView()) return [];
  const enabled = (dashboard.annotations?.list ?? []).filter((a) => a.enable !== false && a.target);
  // One failing annotation query loses only its own events, as Scenes' layers fail one by one.
  const all = await Promise.allSettled(enabled.map(async (a) => {
    const ds = await getDataSourceSrv().get(a.datasource as string);
    const prepare = ds.annotations?.prepareQuery as ((anno: unknown) => Record<string, unknown> | undefined) | undefined;
    const query = prepare ? prepare(a) : a.target;
    if (!query) return [];
    const request = { requestId: `anno-${a.name}`, interval: '1m', intervalMs: 60_000, maxDataPoints: 1000, range, scopedVars: {},
      timezone: 'browser', app: 'dashboard', startTime: Date.now(), targets: [{ ...query, refId: 'Anno' }] };
    const response = await new Promise<{ data: grafanaData.DataFrame[] }>((resolve, reject) =>
      ds.query(request as never).subscribe({ next: resolve as never, error: reject }));
    return response.data.flatMap((frame) => {
      const field = (name: string) => frame.fields.find((f) => f.name.toLowerCase() === name);
      const time = field('time') ?? frame.fields.find((f) => f.type === 'time');
      const text = field('text') ?? frame.fields.find((f) => f.type === 'string');
      if (!time || !text) return [];
      const title = field('title'), tags = field('tags');
      return Array.from(time.values as number[]).map((t, i) => ({
        time: t, title: String(title?.values[i] ?? ''), text: String(text.values[i] ?? ''),
        tags: String(tags?.values[i] ?? '').split(',').filter((x) => x), color: a.iconColor ?? 'red',
      }));
    });
  }));
  for (const failed of all.filter((r) => r.status === 'rejected')) console.warn(`annotations: ${(failed as PromiseRejectedResult).reason}`);
  return all.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
}

/**
 * `$name` / `${name}` from `?var-name=…` or the variable's current value, through the page's template service
 * (what a plugin's `getTemplateSrv()` reads too), several values comma separated.
 */
function variableReplacer(dashboard: Dashboard, params: Record<string, string>): (s: string) => string {
  const values = new Map<string, string[]>();
  for (const v of dashboard.templating?.list ?? []) {
    const current = v.current?.value;
    const fromUrl = params[`var-${v.name}`];
    values.set(v.name, fromUrl !== undefined ? [fromUrl] : Array.isArray(current) ? current : [current ?? '']);
  }
  templateSrv.setDashboardValues(values);
  return (s: string) => templateSrv.replace(s, undefined, 'csv');
}

/** The values a repeated panel is drawn for (its variable's current values), or one `null` when not repeated. */
function repeatValues(dashboard: Dashboard, params: Record<string, string>, p: Panel): (string | null)[] {
  if (!p.repeat) return [null];
  const v = dashboard.templating?.list.find((x) => x.name === p.repeat);
  const fromUrl = params[`var-${p.repeat}`];
  const current = fromUrl !== undefined ? fromUrl.split(',') : v?.current?.value;
  const values = Array.isArray(current) ? current : current !== undefined ? [current] : [];
  return values.length > 0 ? values : [null];
}

const CELL = 30; // Grafana's grid cell height
const MARGIN = 8;
const HEADER = 28;

function parseRange(from: string, to: string): TimeRange {
  const f = dateMath.parse(/^\d+$/.test(from) ? dateTime(Number(from)) : from, false);
  const t = dateMath.parse(/^\d+$/.test(to) ? dateTime(Number(to)) : to, true);
  return { from: f ?? dateTime(), to: t ?? dateTime(), raw: { from, to } };
}

/**
 * The panel `?viewPanel=` names: `panel-<id>`, the key Scenes writes (`getViewPanelUrl`), or the bare id, which
 * pre-Scenes Grafana wrote and Scenes' `findVizPanelByKey` still accepts by falling back to `panel-<id>`
 * (grafana/grafana `public/app/features/dashboard-scene/utils/utils.ts`).
 */
function viewPanelId(value: string | undefined): number | null {
  if (!value) return null;
  const id = parseInt(value.startsWith('panel-') ? value.slice('panel-'.length) : value, 10);
  return Number.isNaN(id) ? null : id;
}

function search(): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(locationService.getLocation().search));
}

/**
 * Grafana's notifications (grafana/grafana `public/app/core/components/AppNotifications/AppNotificationList.tsx`):
 * `alertSuccess`, `alertWarning` and `alertError` on the app events, each `[title, text?]`, shown as an
 * `Alert` (`data-testid="data-testid Alert <severity>"`, `selectors.components.Alert.alertV2`), errors as
 * `role=alert`, the rest as `role=status`. They stay, for a test to read.
 */
function Notifications() {
  const [shown, setShown] = React.useState<{ severity: string; title: string; text: string }[]>([]);
  React.useEffect(() => {
    const events = getAppEvents() as unknown as { on(e: unknown, h: (p: unknown) => void): void; off(e: unknown, h: (p: unknown) => void): void };
    const handlers = (['success', 'warning', 'error'] as const).map((severity) => {
      const event = grafanaData.AppEvents[`alert${severity[0].toUpperCase()}${severity.slice(1)}` as 'alertSuccess'];
      const handler = (payload: unknown) => {
        const [title, text] = Array.isArray(payload) ? payload.map(String) : [String(payload)];
        setShown((s) => [...s, { severity, title: title ?? '', text: text ?? '' }]);
      };
      events.on(event, handler);
      return () => events.off(event, handler);
    });
    return () => handlers.forEach((off) => off());
  }, []);
  return React.createElement('div', { style: { position: 'fixed', top: 8, right: 8, zIndex: 1000 } }, shown.map((n, i) =>
    React.createElement('div', { key: i, role: n.severity === 'error' ? 'alert' : 'status', 'data-testid': `data-testid Alert ${n.severity}` },
      React.createElement('strong', null, n.title), n.text ? React.createElement('div', null, n.text) : null)));
}

/**
 * Grafana's ThemeProvider (grafana/grafana `public/app/core/utils/ConfigProvider.tsx`): the theme in
 * `ThemeContext` (what `useTheme2()` reads), replaced, and `config.theme2` with it, on every
 * `ThemeChangedEvent` on the app events.
 */
function ThemeProvider(props: { children: React.ReactNode }) {
  const [theme, setTheme] = React.useState<GrafanaTheme2>(config.theme2);
  React.useEffect(() => {
    const sub = getAppEvents().subscribe(ThemeChangedEvent, (event) => {
      config.theme2 = event.payload;
      setTheme(event.payload);
    });
    return () => sub.unsubscribe();
  }, []);
  React.useEffect(() => {
    document.body.classList.toggle('light', theme.isLight);
  }, [theme]);
  return React.createElement(ThemeContext.Provider, { value: theme }, props.children);
}

/** What Grafana's `changeTheme` (`public/app/core/services/theme.ts`) does for the page: publish the new theme. */
function changeTheme(mode: 'light' | 'dark') {
  getAppEvents().publish(new ThemeChangedEvent(getThemeById(mode)));
}

const pluginCache = new Map<string, Promise<grafanaData.PanelPlugin>>();
/**
 * The dashboard scene's query controller (grafana/scenes `packages/scenes/src/behaviors/SceneQueryController.ts`):
 * running work (`queryStarted` / `queryCompleted` of an entry) counted in `window.__grafanaRunningQueryCount`,
 * which Grafana's image renderer waits on; a dashboard scene carries it in its `$behaviors` and sets itself
 * as `window.__grafanaSceneContext` when activated (`DashboardScene._activationHandler`), as every dashboard
 * page of Grafana 12 and 13 does.
 */
class QueryController {
  readonly isQueryController = true;
  private running = new Set<object>();
  queryStarted(entry: object) {
    this.running.add(entry);
    this.count(1);
  }
  queryCompleted(entry: object) {
    if (!this.running.delete(entry)) return;
    this.count(-1);
  }
  private count(by: number) {
    const w = window as unknown as { __grafanaRunningQueryCount?: number };
    w.__grafanaRunningQueryCount = (w.__grafanaRunningQueryCount ?? 0) + by;
  }
}
const queryController = new QueryController();

/** A panel plugin's module loaded as VizPanel loads it: counted as running work (`VizPanel/loadPlugin/<id>`, scenes `VizPanel.tsx`). */
function loadPanelPlugin(type: string): Promise<grafanaData.PanelPlugin> {
  const entry = { type: `VizPanel/loadPlugin/${type}`, origin: scene };
  queryController.queryStarted(entry);
  const loaded = loadPanelPluginOnce(type);
  loaded.finally(() => queryController.queryCompleted(entry)).catch(() => {});
  return loaded;
}

/**
 * grafana/grafana `public/app/features/plugins/importPanelPlugin.ts`: a panel that is not in the boot
 * data (not installed, or refused at load) is "Panel plugin not found"; a loaded one gets its meta
 * (`plugin.meta = meta`, `baseUrl` included) before it renders.
 */
function loadPanelPluginOnce(type: string): Promise<grafanaData.PanelPlugin> {
  const meta = (config as unknown as { panels: Record<string, grafanaData.PanelPluginMeta> }).panels[type];
  if (!meta) return Promise.reject(new Error(`Panel plugin not found: ${type}`));
  if (!pluginCache.has(type)) {
    pluginCache.set(type, System.import(`/${meta.module}`).then((m) => {
      const plugin = (m.plugin ?? (m.default as Record<string, unknown>)?.plugin) as grafanaData.PanelPlugin | undefined;
      if (!plugin || !plugin.panel) throw new Error(`${meta.module} does not export a PanelPlugin`);
      plugin.meta = meta;
      return plugin;
    }));
  }
  return pluginCache.get(type)!;
}

/**
 * A plugin panel, re-rendered only when its props change, as Grafana's PanelStateWrapper (a
 * PureComponent) is: a theme change reaches it through ThemeContext, not through its parent.
 */
const PluginPanel = React.memo(function PluginPanel(props: { panel: Panel; width: number; height: number; timeRange: TimeRange; eventBus: EventBusSrv; renderCounter: number; replaceVariables: (s: string) => string; onChangeTimeRange: (r: { from: number; to: number }) => void }) {
  const [plugin, setPlugin] = React.useState<grafanaData.PanelPlugin | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    loadPanelPlugin(props.panel.type).then(setPlugin, (e) => setError(String(e)));
  }, [props.panel.type]);
  const onInstanceStateChange = React.useCallback((state: unknown) => {
    const all = ((window as unknown as Record<string, unknown>).__instanceState ??= {}) as Record<number, unknown>;
    all[props.panel.id] = state;
  }, [props.panel.id]);
  if (error) return React.createElement('div', { role: 'alert', 'data-testid': 'panel-load-error' }, error);
  if (!plugin || !plugin.panel) return React.createElement('div', null, 'Loading plugin…');
  const panelProps: PanelProps = {
    id: props.panel.id,
    data: { state: LoadingState.Done, series: [], timeRange: props.timeRange },
    timeRange: props.timeRange,
    timeZone: 'browser',
    options: exposeOptions(props.panel.id, optionsWithDefaults(plugin, props.panel.options)),
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
    // Grafana hands a panel's instance state to its option editors (`context.instanceState`).
    onInstanceStateChange,
  } as unknown as PanelProps;
  return React.createElement(plugin.panel as React.ComponentType<PanelProps>, panelProps);
});

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `saved` merged over `defaults`, objects deeply, arrays replaced (lodash `mergeWith` as Grafana calls it). */
function mergeOver(defaults: Record<string, unknown>, saved: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(saved)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeOver(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * grafana/grafana `public/app/features/dashboard/state/getPanelOptionsWithDefaults.ts`: the plugin's
 * option defaults (`PanelPlugin.defaults`, from its option editors' `defaultValue`) under the saved
 * options, so a panel added with `"options": {}` still gets every default.
 */
function optionsWithDefaults(plugin: grafanaData.PanelPlugin, saved: Record<string, unknown> | undefined): Record<string, unknown> {
  return mergeOver((plugin.defaults ?? {}) as Record<string, unknown>, saved ?? {});
}

/** The options a plugin panel was given, for tests (`window.__panelOptions[id]`). */
function exposeOptions(id: number, options: Record<string, unknown>): Record<string, unknown> {
  const all = ((window as unknown as Record<string, unknown>).__panelOptions ??= {}) as Record<number, unknown>;
  all[id] = options;
  return options;
}

/**
 * A data source reference as Grafana resolves it: `{uid}` (variables replaced), a plain string (a
 * name, or a uid, as older dashboards have it), or none (the default data source).
 */
function datasourceUid(ref: DatasourceRef | undefined, replace: (s: string) => string): string | undefined {
  const all = (config as unknown as { datasources: Record<string, { uid: string; isDefault?: boolean }> }).datasources ?? {};
  const key = typeof ref === 'string' ? replace(ref) : ref?.uid ? replace(ref.uid) : undefined;
  if (key === undefined) return Object.values(all).find((d) => d.isDefault)?.uid;
  return all[key]?.uid ?? key;
}

/** A plain chart of a raw panel's PromQL through the datasource proxy, as Grafana's timeseries would fetch it. */
function RawPanel(props: { panel: Panel; width: number; height: number; timeRange: TimeRange; renderCounter: number; replaceVariables: (s: string) => string; annotations?: AnnotationEvent[] }) {
  const [series, setSeries] = React.useState<{ name: string; points: [number, number][] }[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const from = props.timeRange.from.valueOf();
  const to = props.timeRange.to.valueOf();
  React.useEffect(() => {
    const step = Math.max(15, Math.round((to - from) / 1000 / Math.max(props.width, 100)));
    Promise.all((props.panel.targets ?? []).filter((t) => !t.hide).map(async (t) => {
      const uid = datasourceUid(t.datasource ?? props.panel.datasource, props.replaceVariables);
      // The Prometheus data source's own interval variables, as it interpolates them at query time.
      const expr = props.replaceVariables(t.expr).replace(/\$__rate_interval|\$__interval|\$\{__rate_interval\}|\$\{__interval\}/g, `${4 * step}s`);
      const body = new URLSearchParams({ query: expr, start: String(from / 1000), end: String(to / 1000), step: String(step) });
      const r = await fetch(`/api/datasources/proxy/uid/${uid}/api/v1/query_range`, { method: 'POST', body });
      const json = await r.json();
      if (json.status !== 'success') throw new Error(json.error ?? `HTTP ${r.status}`);
      return (json.data.result as { metric: Record<string, string>; values: [number, string][] }[]).map((s) => ({
        name: t.legendFormat || t.refId,
        points: s.values.map(([ts, v]) => [ts * 1000, Number(v)] as [number, number]),
      }));
    })).then((all) => setSeries(all.flat()), (e) => setError(String(e)));
  }, [from, to, props.renderCounter, props.panel.id, props.width, props.replaceVariables]);
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
  // Annotation markers as a time series draws them: a line at the event's time, its text on hover and focus.
  const markers = (props.annotations ?? []).filter((a) => a.time >= from && a.time <= to).map((a, i) => {
    const x = ((a.time - from) / (to - from)) * w;
    return React.createElement('g', { key: `a${i}`, 'data-testid': 'annotation-marker', tabIndex: 0, 'aria-label': `${a.title}: ${a.text}` },
      React.createElement('title', null, `${a.title}\n${a.text}`),
      React.createElement('line', { x1: x, x2: x, y1: 0, y2: h, stroke: a.color, strokeDasharray: '3 2' }),
      React.createElement('rect', { x: x - 3, y: h - 6, width: 6, height: 6, fill: a.color }));
  });
  return React.createElement('div', { 'data-testid': `raw-panel-series-${props.panel.id}` },
    React.createElement('svg', { width: w, height: h }, paths, markers),
    React.createElement('div', { style: { fontSize: 11, opacity: 0.7 } }, series.map((s) => s.name).join(' · ') || 'No data'));
}

/** The dashboard scene as the renderer and plugins find it (`window.__grafanaSceneContext`): its behaviours. */
const scene = { state: { $behaviors: [queryController] } };

function App(props: { dashboard: Dashboard }) {
  const { dashboard } = props;
  const [params, setParams] = React.useState(search());
  const [renderCounter, setRenderCounter] = React.useState(0);
  // The scene's own events (RefreshEvent goes here, as in Scenes); panels get the app events.
  const sceneEvents = React.useMemo(() => new EventBusSrv(), []);
  const theme = React.useContext(ThemeContext);
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
  // A refresh as Scenes does it (grafana/scenes `packages/scenes/src/core/SceneTimeRange.tsx`
  // `onRefresh`): the range evaluated again into a new value (equal when absolute), which VizPanel
  // hands a skipDataQuery panel as its `timeRange` (`VizPanel.tsx` `getTimeRange`). Its RefreshEvent
  // is published up the scene graph, which a panel's `eventBus` (the cursor-sync bus or the app
  // events, `VizPanel.buildPanelContext`) never sees, and `_renderCounter` stays. The raw panels
  // here are the host's own stand-ins and refetch on the counter.
  const refresh = React.useCallback(() => {
    setTimeRange(parseRange(from, to));
    setRenderCounter((n) => n + 1);
    sceneEvents.publish(new RefreshEvent());
  }, [from, to, sceneEvents]);
  // Auto-refresh as the dashboard asks (e.g. 30s), unless the URL turns it off.
  React.useEffect(() => {
    const every = params.refresh ?? dashboard.refresh;
    const ms = every ? grafanaData.rangeUtil.intervalToMs(every) : 0;
    if (!ms) return;
    const id = window.setInterval(refresh, ms);
    return () => window.clearInterval(id);
  }, [params.refresh, dashboard.refresh, refresh]);

  const [annotations, setAnnotations] = React.useState<AnnotationEvent[]>([]);
  React.useEffect(() => {
    // A newer range's answer must not be overwritten by an older one's.
    let live = true;
    annotationEvents(dashboard, timeRange).then((events) => live && setAnnotations(events));
    return () => { live = false; };
  }, [dashboard, timeRange, renderCounter]);
  const onChangeTimeRange = React.useCallback((r: { from: number; to: number }) => locationService.partial({ from: String(r.from), to: String(r.to) }), []);
  const replaceVariables = React.useMemo(() => variableReplacer(dashboard, params), [dashboard, params]);
  // `/d-solo/<uid>?panelId=N` (what Grafana's image renderer, alert screenshots and reports capture):
  // that panel alone, filling the page, no dashboard chrome (grafana/grafana
  // `public/app/features/dashboard-scene/solo/SoloPanelPage.tsx`; `SoloPanelContext.tsx` matches a
  // bare number as `panel-N`).
  const solo = location.pathname.startsWith('/d-solo/');
  const viewPanel = viewPanelId(solo ? params.panelId : params.viewPanel);
  const colWidth = (width - MARGIN) / 24;
  const toolbar = React.createElement('div', { style: { display: 'flex', gap: 8, alignItems: 'center', padding: '6px 8px' } },
    React.createElement('strong', { 'data-testid': 'dashboard-title' }, dashboard.title),
    viewPanel !== null && React.createElement('button', { 'data-testid': 'back-to-dashboard', onClick: () => locationService.partial({ viewPanel: null }) }, '← Back to dashboard'),
    React.createElement('span', { style: { flex: 1 } }),
    React.createElement('select', {
      'aria-label': 'Time range', value: from.startsWith('now') ? from : 'custom',
      onChange: (e: React.ChangeEvent<HTMLSelectElement>) => locationService.partial({ from: e.target.value, to: 'now' }),
    }, ['now-15m', 'now-1h', 'now-2h', 'now-3h', 'now-6h', 'now-24h', 'custom'].map((v) => React.createElement('option', { key: v, value: v }, v))),
    React.createElement('button', { 'data-testid': 'toggle-theme', onClick: () => changeTheme(config.theme2.isLight ? 'dark' : 'light') }, 'Theme'),
    React.createElement('button', { 'data-testid': 'refresh', onClick: refresh }, 'Refresh'));

  // Rows open (their panels laid out after them) unless collapsed, whose panels only `viewPanel`
  // reaches; a repeated panel once per value of its variable, the first keeping the panel's id.
  const [opened, setOpened] = React.useState<Set<number>>(new Set());
  const everyPanel = dashboard.panels.flatMap((p) => (p.type === 'row' ? [p, ...(p.panels ?? [])] : [p]));
  const shown = viewPanel !== null
    ? everyPanel.filter((p) => p.id === viewPanel && p.type !== 'row')
    : solo ? []
    : dashboard.panels.flatMap((p) => (p.type === 'row' && p.collapsed && opened.has(p.id) ? [p, ...(p.panels ?? [])] : [p]));
  const repeated = shown.flatMap((p) => repeatValues(dashboard, params, p).slice(0, viewPanel !== null ? 1 : undefined).map((value, i) => ({ p, value, i })));
  const body = repeated.map(({ p, value, i }) => {
    const full = viewPanel !== null;
    const x = p.gridPos.x + (full ? 0 : i * p.gridPos.w);
    const w = solo ? width : full ? width - 2 * MARGIN : p.gridPos.w * colWidth - MARGIN;
    const h = solo ? window.innerHeight : full ? window.innerHeight - 60 : p.type === 'row' ? HEADER : p.gridPos.h * CELL + (p.gridPos.h - 1) * MARGIN;
    const style: React.CSSProperties = solo
      ? { position: 'fixed', left: 0, top: 0, width: w, height: h }
      : full
      ? { position: 'relative', margin: MARGIN, width: w, height: h }
      : { position: 'absolute', left: MARGIN + (x % 24) * colWidth, top: p.gridPos.y * (CELL + MARGIN), width: w, height: h };
    const inner = { width: Math.floor(w - 2 * MARGIN), height: Math.floor(h - HEADER - MARGIN) };
    const scoped = value === null ? replaceVariables : (t: string) => replaceVariables(t.replace(new RegExp(`\\$\\{?${p.repeat}\\}?`, 'g'), value));
    const key = i === 0 ? `${p.id}` : `${p.id}-clone-${i}`;
    if (p.type === 'row') {
      const toggle = () => setOpened((o) => { const n = new Set(o); if (n.has(p.id)) n.delete(p.id); else n.add(p.id); return n; });
      return React.createElement('button', {
        key, 'data-testid': `row-${p.id}`, 'aria-expanded': !p.collapsed || opened.has(p.id), onClick: p.collapsed ? toggle : undefined,
        style: { ...style, textAlign: 'left', background: 'none', border: 'none', color: 'inherit', fontWeight: 600 },
      }, `${p.collapsed && !opened.has(p.id) ? '▸' : '▾'} ${p.title}`);
    }
    const content = p.type === 'timeseries' || p.type === 'graph'
      ? React.createElement(RawPanel, { panel: p, ...inner, timeRange, renderCounter, replaceVariables: scoped, annotations })
      : p.type === 'state-timeline'
        ? sharedView()
          ? React.createElement('p', { 'data-testid': `state-timeline-${p.id}` }, 'The dev host draws a State timeline on a dashboard only.')
          : React.createElement(StateTimelinePanel, { panel: p as never, ...inner, timeRange, renderCounter, replaceVariables: scoped })
      : p.type === 'text'
        ? React.createElement('div', { 'data-testid': `text-panel-${p.id}` }, String(p.options?.content ?? ''))
        : React.createElement(PluginPanel, {
            panel: p, ...inner, timeRange, eventBus: getAppEvents() as unknown as EventBusSrv, renderCounter: 0, replaceVariables,
            onChangeTimeRange,
          });
    return React.createElement('section', {
      key, 'data-testid': `panel-${key}`, 'aria-label': scoped(p.title),
      style: { ...style, boxSizing: 'border-box', border: `1px solid ${theme.colors.border.weak}`, borderRadius: 4, background: theme.colors.background.primary, padding: MARGIN },
    },
      React.createElement('h2', { style: { margin: 0, height: HEADER - 8, fontSize: 13, fontWeight: 500 } }, scoped(p.title)),
      content);
  });
  if (solo) {
    return body.length > 0 ? React.createElement('main', null, body) : React.createElement('div', { role: 'alert', 'data-testid': 'panel-not-found' }, 'Panel not found');
  }
  return React.createElement('div', null, toolbar,
    React.createElement('main', { style: { position: 'relative', minHeight: '100vh' } }, body));
}

/**
 * Grafana's plugin page (`/plugins/<id>`): the settings DTO from `/api/plugins/<id>/settings`, the app's
 * module.js through SystemJS, `plugin.init(meta)` and `plugin.meta = meta` as `importAppPlugin` does, then
 * the chosen config page's `body` with `{ plugin, query }`.
 */
async function appPage(render: (node: React.ReactNode) => void, id: string) {
  const r = await fetch(`/api/plugins/${id}/settings`);
  if (!r.ok) {
    render(React.createElement('div', { role: 'alert' }, `Plugin ${id} not found`));
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
  render(React.createElement('main', { style: { padding: 16 } },
    React.createElement('h1', { style: { fontSize: 20, fontWeight: 500 } }, meta.name),
    React.createElement('nav', { 'aria-label': 'Plugin pages', style: { display: 'flex', gap: 12, marginBottom: 12 } },
      pages.map((p) => React.createElement('a', { key: p.id, href: `?page=${p.id}`, 'aria-current': p === page ? 'page' : undefined }, p.title)),
      React.createElement('button', { 'data-testid': 'toggle-theme', onClick: () => changeTheme(config.theme2.isLight ? 'dark' : 'light') }, 'Theme')),
    page ? React.createElement(page.body, { plugin, query }) : React.createElement('p', null, 'This app has no config pages.')));
}

/**
 * Where a dashboard comes from, by the page's path, as Grafana's routes have it: `/d/<uid>`
 * (`/api/dashboards/uid/<uid>`), a public dashboard `/public-dashboards/<token>`
 * (`/api/public/dashboards/<token>`) and a snapshot `/dashboard/snapshot/<key>` (`/api/snapshots/<key>`).
 */
function dashboardApi(path: string): string | null {
  const parts = path.split('/');
  if (parts[1] === 'd' || parts[1] === 'd-solo') return `/api/dashboards/uid/${parts[2] ?? ''}`;
  if (parts[1] === 'public-dashboards') return `/api/public/dashboards/${parts[2] ?? ''}`;
  if (parts[1] === 'dashboard' && parts[2] === 'snapshot') return `/api/snapshots/${parts[3] ?? ''}`;
  return null;
}

interface ExplorePane { datasource?: string; queries?: { refId: string; expr: string; datasource?: DatasourceRef }[]; range?: { from: string; to: string } }

/**
 * Grafana's Explore as far as a link into it shows: `/explore?schemaVersion=1&panes=<json>` (grafana/grafana
 * `public/app/features/explore/hooks/useStateSync`), each pane's queries run against its data source
 * over its range, drawn as the raw panels are.
 */
function ExplorePage() {
  const params = search();
  let panes: Record<string, ExplorePane> = {};
  try {
    panes = JSON.parse(params.panes ?? '{}');
  } catch {
    return React.createElement('div', { role: 'alert' }, 'Explore: panes is not JSON');
  }
  const sections = Object.entries(panes).map(([id, pane]) => {
    const range = parseRange(pane.range?.from ?? 'now-1h', pane.range?.to ?? 'now');
    return React.createElement('section', { key: id, 'data-testid': `explore-pane-${id}`, 'data-datasource': pane.datasource ?? '' },
      (pane.queries ?? []).map((q) => React.createElement('div', { key: q.refId, 'data-testid': `explore-query-${q.refId}` },
        React.createElement('code', { 'data-testid': `explore-expr-${q.refId}` }, q.expr),
        React.createElement(RawPanel, {
          panel: { id: q.refId.charCodeAt(0), type: 'timeseries', title: q.refId, gridPos: { x: 0, y: 0, w: 24, h: 6 }, targets: [q], datasource: pane.datasource },
          width: 800, height: 160, timeRange: range, renderCounter: 0, replaceVariables: (t: string) => t,
        }))));
  });
  return React.createElement('main', { style: { padding: 16 } }, React.createElement('h1', { style: { fontSize: 18 } }, 'Explore'), sections);
}

/**
 * The dashboard of an answer of the legacy API. A dashboard stored as schema v2 is refused there with
 * 406; Grafana 13's frontend then reads it through the resource API, asking for v1 first and taking the
 * server's conversion (public/app/features/dashboard/api/UnifiedDashboardAPI.ts), which this page draws.
 */
async function dashboardFrom(r: Response): Promise<Dashboard | null> {
  if (r.ok) return ((await r.json()) as { dashboard?: Dashboard }).dashboard ?? null;
  if (r.status !== 406) return null;
  const uid = location.pathname.split('/')[2] ?? '';
  const namespace = (config as unknown as { namespace?: string }).namespace ?? 'default';
  const v1 = await fetch(`/apis/dashboard.grafana.app/v1beta1/namespaces/${namespace}/dashboards/${uid}`);
  if (!v1.ok) return null;
  const resource = (await v1.json()) as { spec?: Dashboard; status?: { conversion?: { failed?: boolean } } };
  return resource.status?.conversion?.failed ? null : resource.spec ?? null;
}

async function main() {
  const root = createRoot(document.getElementById('root')!);
  const render = (node: React.ReactNode) => root.render(React.createElement(ThemeProvider, null, node, React.createElement(Notifications)));
  if (location.pathname.startsWith('/plugins/')) {
    await appPage(render, location.pathname.split('/')[2] ?? '');
    return;
  }
  if (location.pathname.startsWith('/connections/datasources/edit/')) {
    render(React.createElement(DatasourceSettingsPage, { uid: location.pathname.split('/')[4] ?? '' }));
    return;
  }
  if (location.pathname === '/explore') {
    render(React.createElement(ExplorePage));
    return;
  }
  const api = dashboardApi(location.pathname);
  const r = api ? await fetch(api) : null;
  const dashboard = r ? await dashboardFrom(r) : null;
  if (!dashboard) {
    render(React.createElement('div', { role: 'alert' }, `Dashboard not found: ${location.pathname}`));
    return;
  }
  document.title = `${dashboard.title} · Codex Flow dev host`;
  (window as unknown as { __grafanaSceneContext?: unknown }).__grafanaSceneContext = scene;
  render(React.createElement(App, { dashboard }));
}

main();
