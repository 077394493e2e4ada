// The dev host's data source settings page (`/connections/datasources/edit/<uid>`), as Grafana's
// (grafana/grafana `public/app/features/datasources/components/EditDataSource.tsx`, `state/actions.ts`
// `updateDataSource` and `testDataSource`): the settings from `GET /api/datasources/uid/<uid>`, the name,
// the plugin's own `ConfigEditor` with `options`/`onOptionsChange`; "Save & test" `PUT`s them, takes the
// stored settings back (secrets only as `secureJsonFields`), reloads the data source service and calls the
// data source's `testDatasource()` (for a backend data source `GET …/health`); a provisioned (read-only)
// data source says it cannot be changed here and offers the test alone. Test tooling, not product.
import * as React from 'react';
import type { DataSourceSettings } from '@grafana/data';
import { getDataSourceSrv } from '@grafana/runtime';

declare const System: { import(id: string): Promise<Record<string, unknown>> };

type Editor = React.ComponentType<{ options: DataSourceSettings; onOptionsChange: (o: DataSourceSettings) => void }>;

const h = React.createElement;

export function DatasourceSettingsPage(props: { uid: string }) {
  const [options, setOptions] = React.useState<DataSourceSettings | null>(null);
  const [Editor, setEditor] = React.useState<{ c: Editor } | null>(null);
  const [result, setResult] = React.useState<{ status: 'success' | 'error'; message: string } | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    (async () => {
      const r = await fetch(`/api/datasources/uid/${props.uid}`);
      const body = await r.json();
      if (!r.ok) throw new Error(body.message ?? `HTTP ${r.status}`);
      const settings = getDataSourceSrv().getInstanceSettings(props.uid);
      const module = (settings?.meta as { module?: string } | undefined)?.module;
      if (!module) throw new Error(`no plugin for data sources of type ${body.type}`);
      const { plugin } = (await System.import(`/${module}`)) as { plugin: { components: { ConfigEditor?: Editor } } };
      setOptions(body);
      setEditor({ c: plugin.components.ConfigEditor ?? (() => null) });
    })().catch((e) => setError(String(e)));
  }, [props.uid]);
  if (error) return h('div', { role: 'alert' }, error);
  if (!options || !Editor) return h('div', null, 'Loading…');

  const test = async () => {
    getDataSourceSrv().reload();
    const ds = await getDataSourceSrv().get(props.uid);
    try {
      const r = (await ds.testDatasource()) as { status?: string; message?: string };
      setResult({ status: r.status === 'success' ? 'success' : 'error', message: r.message ?? '' });
    } catch (e) {
      const err = e as { message?: string; data?: { message?: string } };
      setResult({ status: 'error', message: err.data?.message ?? err.message ?? String(e) });
    }
  };
  const saveAndTest = async () => {
    setResult(null);
    const r = await fetch(`/api/datasources/uid/${props.uid}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(options) });
    const body = await r.json();
    if (!r.ok) {
      setResult({ status: 'error', message: body.message ?? `HTTP ${r.status}` });
      return;
    }
    setOptions(body.datasource);
    await test();
  };
  const readOnly = (options as unknown as { readOnly?: boolean }).readOnly === true;
  return h('main', { style: { padding: 16, maxWidth: 900 }, 'data-testid': 'datasource-settings-page' },
    h('h1', { style: { fontSize: 20, fontWeight: 500 } }, options.name),
    readOnly && h('div', { role: 'status', 'data-testid': 'datasource-read-only' },
      'This data source was added by config and cannot be modified using the UI. Please contact your server admin to update this data source.'),
    h('label', { style: { display: 'flex', gap: 8, margin: '8px 0' } }, 'Name',
      h('input', { value: options.name, disabled: readOnly, onChange: (e: React.ChangeEvent<HTMLInputElement>) => setOptions({ ...options, name: e.target.value }) })),
    h('fieldset', { disabled: readOnly, style: { border: 'none', padding: 0 } }, h(Editor.c, { options, onOptionsChange: setOptions })),
    h('div', { style: { display: 'flex', gap: 8, marginTop: 12 } },
      readOnly
        ? h('button', { type: 'button', 'data-testid': 'datasource-test', onClick: test }, 'Test')
        : h('button', { type: 'button', 'data-testid': 'datasource-save-and-test', onClick: saveAndTest }, 'Save & test')),
    result && h('div', { role: 'alert', 'data-testid': 'datasource-test-result', 'data-status': result.status }, result.message));
}
