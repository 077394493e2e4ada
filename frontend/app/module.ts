// The Codex Flow app's module.js: Grafana loads it for every app plugin. It registers the app and its
// config page; the page itself is Rust compiled to WebAssembly (frontend/config), handed its DOM node,
// the plugin's settings meta and the theme here. The backend (gpx_codexflow) and the nested flow panel
// do the rest.
import * as React from 'react';
import { AppPlugin, ThemeContext, type AppPluginMeta, type PluginConfigPageProps } from '@grafana/data';
// AMD's "module" dependency: SystemJS sets its `uri` to this file's URL (public/plugins/<app id>/module.js).
import * as amd from 'module';
import init, { mount_config } from '../pkg-config/codexflow_config.js';
import { hostRequest, themeColors, useWasmMount, wasmLoader } from '../wasm-host.ts';

const loadWasm = wasmLoader(init, 'codexflow_config_bg.wasm', (amd as { uri?: string }).uri);

function ConfigPage(props: PluginConfigPageProps<AppPluginMeta>) {
  const { meta } = props.plugin;
  // Grafana's theme as its own components follow it (`useTheme2()` reads this context; Grafana's
  // ThemeProvider updates it on ThemeChangedEvent).
  const theme = React.useContext(ThemeContext);
  const json = JSON.stringify({
    pluginId: meta.id,
    // backendSrv resolves /api/... against Grafana's base, sub-path included.
    apiBase: '',
    meta: { enabled: meta.enabled ?? false, pinned: meta.pinned ?? false, jsonData: meta.jsonData ?? {}, secureJsonFields: meta.secureJsonFields ?? {} },
    theme: themeColors(theme),
  });
  // After a save, Grafana's copy of the meta is updated in place, so the page shown again later
  // (another tab, back navigation) starts from the saved settings, not the ones it was opened with.
  const { host, failure } = useWasmMount(
    // Before Grafana 11.1 the AMD module has no `uri`; the app's settings meta has its `baseUrl`.
    () => loadWasm(() => meta.baseUrl),
    (element, first) => mount_config(element, first, hostRequest, (saved: string) => Object.assign(meta, JSON.parse(saved))),
    json,
    'config page',
  );
  if (failure) {
    return React.createElement('div', { role: 'alert' }, failure);
  }
  return React.createElement('div', { ref: host, 'data-testid': 'codexflow-config' });
}

export const plugin = new AppPlugin<Record<string, unknown>>().addConfigPage({
  title: 'Configuration',
  icon: 'cog',
  body: ConfigPage,
  id: 'configuration',
});
