// The flow panel's module.js: registers a real @grafana/data PanelPlugin and hands the DOM node, props,
// theme and navigation to the Rust/WebAssembly panel. Everything else is Rust (frontend/panel).
import * as React from 'react';
import { PanelPlugin, type PanelProps } from '@grafana/data';
import { config, locationService, RefreshEvent } from '@grafana/runtime';
// AMD's "module" dependency: SystemJS sets its `uri` to this file's URL, wherever Grafana serves the
// nested plugin from (public/plugins/<app>/panel/ in Grafana 12, public/plugins/<panel id>/ before).
import * as amd from 'module';
import init, { mount, type PanelHandle } from './pkg/codexflow_panel.js';
import { hostRequest, themeColors, wasmLoader } from './wasm-host.ts';

const APP_ID = 'proompteng-codexflow-app';

interface Options {
  stagePanels: string;
  showSparklines: boolean;
  showEdgeRates: boolean;
  direction: 'lr' | 'tb';
  interval: string;
}

const loadWasm = wasmLoader(init, 'codexflow_panel_bg.wasm', (amd as { uri: string }).uri);

function FlowPanel(props: PanelProps<Options>) {
  const host = React.useRef<HTMLDivElement>(null);
  const handle = React.useRef<PanelHandle | null>(null);
  const [refresh, setRefresh] = React.useState(0);
  const [failure, setFailure] = React.useState<string | null>(null);

  // Follow the dashboard's refresh button and auto-refresh (a panel without queries gets RefreshEvent).
  React.useEffect(() => {
    const sub = props.eventBus.getStream(RefreshEvent).subscribe(() => setRefresh((n) => n + 1));
    return () => sub.unsubscribe();
  }, [props.eventBus]);

  const { options, replaceVariables } = props;
  const json = JSON.stringify({
    panelId: props.id,
    width: props.width,
    height: props.height,
    from: props.timeRange.from.valueOf(),
    to: props.timeRange.to.valueOf(),
    refresh,
    // backendSrv resolves /api/... against Grafana's base, sub-path included.
    resourceUrl: `/api/plugins/${APP_ID}/resources`,
    options: {
      ...options,
      stagePanels: replaceVariables(options.stagePanels ?? ''),
      interval: replaceVariables(options.interval ?? ''),
    },
    theme: themeColors(config.theme2),
    timeZone: props.timeZone,
  });

  // The props of the latest render: the mount below happens once the .wasm has loaded, by when
  // Grafana may have rendered again (a resize, a new time range) and those props must not be lost.
  const latest = React.useRef(json);
  latest.current = json;

  React.useEffect(() => {
    let cancelled = false;
    loadWasm()
      .then(() => {
        if (!cancelled && host.current && !handle.current) {
          const navigate = (panelId: number) => {
            locationService.partial({ viewPanel: panelId });
            return true;
          };
          handle.current = mount(host.current, latest.current, navigate, hostRequest);
        }
      })
      .catch((e: unknown) => setFailure(`The Codex Flow panel could not load its WebAssembly: ${String(e)}`));
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

  if (failure) {
    return React.createElement('div', { role: 'alert', style: { padding: 8 } }, failure);
  }
  return React.createElement('div', { ref: host, style: { width: props.width, height: props.height } });
}

export const plugin = new PanelPlugin<Options>(FlowPanel).setPanelOptions((builder) =>
  builder
    .addTextInput({
      path: 'stagePanels',
      name: 'Raw panels per stage',
      description: 'Which dashboard panels open from each stage: stage=panelId,panelId; … (template variables allowed)',
      defaultValue: 'kafka=1,2; nats=3,4,5; jangar=6,7; sse=8,9',
    })
    .addBooleanSwitch({ path: 'showSparklines', name: 'Sparklines', defaultValue: true })
    .addBooleanSwitch({ path: 'showEdgeRates', name: 'Edge throughput', defaultValue: true })
    .addRadio({
      path: 'direction',
      name: 'Layout direction',
      defaultValue: 'lr',
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
      defaultValue: '',
    })
);
