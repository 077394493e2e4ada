// The Codex Flow app's module.js: Grafana loads it for every app plugin. It registers the app; the
// backend (gpx_codexflow) and the nested flow panel do the work. Settings come from provisioning
// (provisioning/plugins/apps.yaml); the in-Grafana config page is still to come (issue 4).
import { AppPlugin } from '@grafana/data';

export const plugin = new AppPlugin<Record<string, unknown>>();
