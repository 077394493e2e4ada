// The flow panel's module.js: registers a real @grafana/data PanelPlugin and hands the DOM node, props,
// theme and navigation to the Rust/WebAssembly panel. Everything else is Rust (frontend/panel).
import * as React from 'react';
import { PanelPlugin, ThemeContext, type PanelProps } from '@grafana/data';
import { config, locationService } from '@grafana/runtime';
// AMD's "module" dependency: SystemJS sets its `uri` to this file's URL, wherever Grafana serves the
// nested plugin from (public/plugins/<app>/panel/ in Grafana 12, public/plugins/<panel id>/ before).
import * as amd from 'module';
import init, { mount } from './pkg/codexflow_panel.js';
import { hostRequest, themeColors, useWasmMount, wasmLoader } from './wasm-host.ts';
import { copyMomentLink, momentParam, notify } from './share.ts';
import { diagramPng, diagramSvg, download, fileName, type Caption } from './diagram-image.ts';
import { holdUntilDrawn } from './render-hold.ts';
import { evidence, findRawPanels, foundMapping, type Found } from './raw-panels.ts';
import { dashboardUid } from './dashboard-model.ts';
import { StagePanelsEditor } from './stage-panels-editor.ts';

const APP_ID = 'proompteng-codexflow-app';

interface Options {
  stagePanels: string;
  showSparklines: boolean;
  showEdgeRates: boolean;
  direction: 'lr' | 'tb';
  interval: string;
  changeTags: string;
}

/** The options' defaults: the editors' `defaultValue`, which Grafana applies, and what the panel gets for an option a saved panel lacks. */
const DEFAULTS: Options = { stagePanels: '', showSparklines: true, showEdgeRates: true, direction: 'lr', interval: '', changeTags: '' };

const loadWasm = wasmLoader(init, 'codexflow_panel_bg.wasm', (amd as { uri?: string }).uri);
// Before Grafana 11.1 the AMD module has no `uri`: Grafana's own meta for this panel says where it is
// served from (`importPanelPlugin` sets `plugin.meta`, from `config.panels[id]`).
const PANEL_ID = 'proompteng-codexflow-panel';
const panelBaseUrl = () => plugin.meta?.baseUrl || (config as unknown as { panels?: Record<string, { baseUrl?: string }> }).panels?.[PANEL_ID]?.baseUrl;

/**
 * Public dashboards and snapshots: the app's resources answer signed-in users only, and a snapshot
 * keeps no data for a panel without queries. Grafana's own alert-state worker skips its calls on
 * `config.publicDashboardAccessToken` the same way (`UnifiedAlertStatesWorker.ts`).
 */
function unavailableHere(): string | null {
  const publicToken = (config as unknown as { publicDashboardAccessToken?: string }).publicDashboardAccessToken;
  if (publicToken) return 'a public dashboard';
  if (locationService.getLocation().pathname.includes('/dashboard/snapshot/')) return 'a snapshot';
  return null;
}

function Unavailable(props: { where: string; width: number; height: number }) {
  return React.createElement('div', {
    role: 'note', 'data-testid': 'codex-flow-unavailable',
    style: { width: props.width, height: props.height, boxSizing: 'border-box', padding: 12, display: 'flex', alignItems: 'center', justifyContent: 'center', textAlign: 'center', opacity: 0.85 },
  }, `Codex Flow shows the pipeline live to signed-in Grafana users: its health comes from the app's backend, which ${props.where} cannot reach. Open the dashboard in Grafana to see it.`);
}

function FlowPanel(props: PanelProps<Options>) {
  const where = unavailableHere();
  if (where) return React.createElement(Unavailable, { where, width: props.width, height: props.height });
  return React.createElement(LiveFlowPanel, props);
}

function LiveFlowPanel(props: PanelProps<Options>) {

  // A refresh (button or auto-refresh) reaches a panel without queries as a new `timeRange` object,
  // equal in value when the range is absolute: Scenes' SceneTimeRange.onRefresh sets a new value
  // and VizPanel hands it to skipDataQuery panels (its RefreshEvent goes up the scene, not to the
  // panel's eventBus); the older PanelStateWrapper.onRefresh sets `data.timeRange` anew. Counting
  // new objects covers both; a resize or an options change keeps the object.
  const refreshes = React.useRef({ range: props.timeRange, count: 0 });
  if (refreshes.current.range !== props.timeRange) {
    refreshes.current = { range: props.timeRange, count: refreshes.current.count + 1 };
  }
  const refresh = refreshes.current.count;

  // Grafana's theme as its own panels follow it (`useTheme2()` reads this context; Grafana's
  // ThemeProvider updates it on ThemeChangedEvent), not `config.theme2` read once.
  const theme = React.useContext(ThemeContext);
  const { options, replaceVariables } = props;
  const resourceUrl = `/api/plugins/${APP_ID}/resources`;

  // The dashboard's raw panels per stage, found once per mount by what they query.
  const [found, setFound] = React.useState<Found | null>(null);
  const [foundFailure, setFoundFailure] = React.useState<string | null>(null);
  React.useEffect(() => {
    let cancelled = false;
    findRawPanels(props.id, locationService.getLocation().pathname, replaceVariables, resourceUrl).then(
      (f) => { if (!cancelled) setFound(f); },
      (e: unknown) => {
        // backendSrv rejects with `{status, statusText, data: {message}}`, not an Error.
        const f = e as { message?: unknown; statusText?: unknown; status?: unknown; data?: { message?: unknown } };
        const why = [f?.data?.message, f?.message, f?.statusText].find((w) => typeof w === 'string' && w !== '') ?? (typeof f?.status === 'number' ? `HTTP ${f.status}` : String(e));
        if (!cancelled) setFoundFailure(`The dashboard's panels could not be read: ${why}`);
      },
    );
    return () => { cancelled = true; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.id]);
  // The options editor shows what was found (Grafana hands a panel's instance state to its editors).
  const { onInstanceStateChange } = props as PanelProps<Options> & { onInstanceStateChange?: (s: unknown) => void };
  React.useEffect(() => { if (found) onInstanceStateChange?.({ rawPanels: found }); }, [found, onInstanceStateChange]);
  const from = props.timeRange.from.valueOf();
  const to = props.timeRange.to.valueOf();
  // What sharing a moment reads when it happens: the window (a link names it, made absolute), the
  // titles and the dashboard's time zone (an image's caption).
  const now = React.useRef({ range: { from, to }, title: '', timeZone: props.timeZone });
  now.current = { range: { from, to }, title: [found?.dashboardTitle, props.title].filter((t) => t).join(' · '), timeZone: props.timeZone };

  // The drill-down asks for titles and Explore links when it draws (see raw-panels.ts `evidence`).
  const evidenceRef = React.useRef<ReturnType<typeof evidence> | null>(null);
  evidenceRef.current = evidence(found, foundFailure, from, to);

  // The panel's `HostProps`, as the list it reads (frontend/panel/src/options.rs): a list costs the
  // budgeted .wasm less to read than an object. Grafana fills in the options' defaults; so does this,
  // for an option a saved panel lacks.
  const json = JSON.stringify([
    props.id,
    props.width,
    props.height,
    from,
    to,
    refresh,
    // backendSrv resolves /api/... against Grafana's base, sub-path included.
    resourceUrl,
    [
      // What was found on the dashboard, then the option: a stage listed in both takes the option's panels.
      [foundMapping(found), replaceVariables(options.stagePanels ?? DEFAULTS.stagePanels)].filter((m) => m.trim()).join('; '),
      options.showSparklines ?? DEFAULTS.showSparklines,
      options.showEdgeRates ?? DEFAULTS.showEdgeRates,
      options.direction ?? DEFAULTS.direction,
      replaceVariables(options.interval ?? DEFAULTS.interval),
      replaceVariables(options.changeTags ?? DEFAULTS.changeTags),
    ],
    themeColors(theme),
    props.timeZone ?? '',
    // Whose annotations are the dashboard's own changes (none on a dashboard not saved yet).
    dashboardUid(locationService.getLocation().pathname),
  ]);

  const { host, failure } = useWasmMount(
    () => loadWasm(panelBaseUrl),
    (element, first) => {
      const navigate = (panelId: number) => {
        locationService.partial({ viewPanel: panelId });
        return true;
      };
      return mount(element, first, navigate, hostRequest, (kind: string, key: string) => evidenceRef.current?.(kind, key),
        momentParam, (what: string, at?: number) => shareMoment(element, what, at, now.current));
    },
    json,
    'panel',
  );

  // Grafana's image renderer waits until the panel has drawn (render-hold.ts).
  React.useEffect(() => (host.current && !failure ? holdUntilDrawn(host.current) : undefined), [host, failure]);

  if (failure) {
    return React.createElement('div', { role: 'alert', style: { padding: 8 } }, failure);
  }
  return React.createElement('div', { ref: host, style: { width: props.width, height: props.height } });
}

/**
 * A moment shared from the panel's buttons: `link` copies a link to it, `svg` and `png` download the
 * diagram as shown (`diagram-image.ts`), `at` being the instant travelled to, if any.
 */
function shareMoment(
  element: HTMLElement,
  what: string,
  at: number | undefined,
  now: { range: { from: number; to: number }; title: string; timeZone: string },
) {
  if (what === 'link') {
    copyMomentLink(now.range);
    return;
  }
  const failed = (e: unknown) => notify('error', ['Could not export the diagram', String(e)]);
  try {
    const root = element.querySelector<HTMLElement>('.cf-root');
    if (!root || (what !== 'svg' && what !== 'png')) return;
    const caption: Caption = { title: now.title || 'Codex Flow', at: at ?? now.range.to, timeZone: now.timeZone };
    const image = diagramSvg(root, caption);
    const saved = what === 'svg' ? Promise.resolve(new Blob([image.svg], { type: 'image/svg+xml' })) : diagramPng(image);
    saved.then((blob) => download(blob, fileName(caption, what)), failed);
  } catch (e) {
    failed(e);
  }
}

export const plugin = new PanelPlugin<Options>(FlowPanel).setPanelOptions((builder) =>
  builder
    .addCustomEditor({
      id: 'stagePanels',
      path: 'stagePanels',
      name: 'Raw panels per stage',
      description: 'Empty: found on this dashboard by what the panels query. To choose a stage\'s panels yourself: stage=panelId,panelId; … (template variables allowed); other stages stay automatic.',
      defaultValue: DEFAULTS.stagePanels,
      editor: StagePanelsEditor,
    })
    .addBooleanSwitch({ path: 'showSparklines', name: 'Sparklines', defaultValue: DEFAULTS.showSparklines })
    .addBooleanSwitch({ path: 'showEdgeRates', name: 'Edge throughput', defaultValue: DEFAULTS.showEdgeRates })
    .addRadio({
      path: 'direction',
      name: 'Layout direction',
      defaultValue: DEFAULTS.direction,
      settings: {
        options: [
          { value: 'lr', label: 'Left to right' },
          { value: 'tb', label: 'Top to bottom' },
        ],
      },
    })
    .addTextInput({
      path: 'interval',
      name: 'Evaluation interval',
      description: 'Prometheus duration such as 30s; empty uses the app setting',
      defaultValue: DEFAULTS.interval,
    })
    .addTextInput({
      path: 'changeTags',
      name: 'Change annotation tags',
      description: 'This dashboard\'s annotations are drawn on the strips and charts as changes; also those of the organisation with any of these tags (comma-separated, such as deploy, config)',
      defaultValue: DEFAULTS.changeTags,
    })
);
