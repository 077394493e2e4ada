// The Codex Flow app's module.js: Grafana loads it for every app plugin. It registers the app and its
// config page; the page itself is Rust compiled to WebAssembly (frontend/config), handed its DOM node,
// the plugin's settings meta and the theme here. The backend (gpx_codexflow) and the nested flow panel
// do the rest.
import * as React from 'react';
import { AppPlugin, type AppPluginMeta, type PluginConfigPageProps } from '@grafana/data';
import { config } from '@grafana/runtime';
// AMD's "module" dependency: SystemJS sets its `uri` to this file's URL (public/plugins/<app id>/module.js).
import * as amd from 'module';
import init, { mount_config, type ConfigHandle } from '../pkg-config/codexflow_config.js';
import { hostRequest, themeColors, wasmLoader } from '../wasm-host.ts';

const loadWasm = wasmLoader(init, 'codexflow_config_bg.wasm', (amd as { uri: string }).uri);

function ConfigPage(props: PluginConfigPageProps<AppPluginMeta>) {
  const host = React.useRef<HTMLDivElement>(null);
  const [failure, setFailure] = React.useState<string | null>(null);
  const { meta } = props.plugin;
  const json = JSON.stringify({
    pluginId: meta.id,
    // backendSrv resolves /api/... against Grafana's base, sub-path included.
    apiBase: '',
    meta: { enabled: meta.enabled ?? false, pinned: meta.pinned ?? false, jsonData: meta.jsonData ?? {}, secureJsonFields: meta.secureJsonFields ?? {} },
    theme: themeColors(config.theme2),
  });
  React.useEffect(() => {
    let cancelled = false;
    let handle: ConfigHandle | null = null;
    loadWasm()
      .then(() => {
        // After a save, Grafana's copy of the meta is updated in place, so the page shown again later
        // (another tab, back navigation) starts from the saved settings, not the ones it was opened with.
        if (!cancelled && host.current) handle = mount_config(host.current, json, hostRequest, (saved: string) => Object.assign(meta, JSON.parse(saved)));
      })
      .catch((e: unknown) => setFailure(`The Codex Flow config page could not load its WebAssembly: ${String(e)}`));
    return () => {
      cancelled = true;
      handle?.unmount();
      handle?.free();
    };
  }, [json]);
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
