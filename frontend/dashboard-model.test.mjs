// Unit tests of frontend/dashboard-model.ts (pure): the module is compiled by esbuild, as rollup's
// TypeScript step would, and imported. Run: node --test frontend/dashboard-model.test.mjs
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { transformSync } from 'esbuild';

const source = readFileSync(new URL('./dashboard-model.ts', import.meta.url), 'utf8');
const { code } = transformSync(source, { loader: 'ts', format: 'esm' });
const m = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);

test('the uid of a dashboard, a solo panel and a sub-path; none elsewhere', () => {
  assert.equal(m.dashboardUid('/d/abc/pipeline'), 'abc');
  assert.equal(m.dashboardUid('/grafana/d/a%20b'), 'a b');
  assert.equal(m.dashboardUid('/d-solo/abc/pipeline'), 'abc');
  assert.equal(m.dashboardUid('/explore'), null);
  assert.equal(m.dashboardUid('/dashboard/new'), null);
});

test('v1: rows flattened in saved order, ids given as Grafana gives them at load', () => {
  const panels = m.flatPanels([
    { id: 1, title: 'a' },
    { type: 'row', id: 2, collapsed: true, panels: [{ id: 1, title: 'dup' }, { title: 'none' }] },
    { id: 0, title: 'zero' },
    { id: 9, title: 'nine' },
    { type: 'row', id: 3, panels: [] },
  ]);
  // The largest id is 9: the duplicate 1, the missing one and 0 get 10, 11, 12, in panelIterator's order.
  assert.deepEqual(panels.map((p) => [p.title, p.id]), [['a', 1], ['dup', 10], ['none', 11], ['zero', 12], ['nine', 9]]);
  // A panel that is not a row keeps what it holds out of the list (Grafana draws none of it), not out of the ids.
  assert.deepEqual(m.flatPanels([{ id: 2, panels: [{ id: 2 }] }, {}]).map((p) => p.id), [2, 4]);
  // What is read comes in the types it is read as.
  assert.deepEqual(m.flatPanels([{ id: 1, title: 5, targets: { expr: 'x' } }, { id: 2, targets: [null, { expr: 'y', hide: 'yes' }] }]), [
    { id: 1, type: undefined, title: '', targets: [], datasource: undefined },
    { id: 2, type: undefined, title: '', targets: [{ expr: 'y', hide: false, datasource: undefined }], datasource: undefined },
  ]);
  assert.deepEqual(m.flatPanels(undefined), []);
  assert.deepEqual(m.flatPanels('not a list'), []);
  assert.deepEqual(m.flatPanels([null, 3, { id: 4 }]).map((p) => p.id), [4]);
});

const query = (expr, extra = {}) => ({
  kind: 'PanelQuery',
  spec: { refId: 'A', hidden: false, query: { kind: 'DataQuery', group: 'prometheus', version: 'v0', datasource: { name: 'prom' }, spec: { expr } }, ...extra },
});
const panel = (id, title, queries) => ({
  kind: 'Panel',
  spec: { id, title, data: { kind: 'QueryGroup', spec: { queries, transformations: [], queryOptions: {} } }, vizConfig: { kind: 'VizConfig', group: 'timeseries', spec: {} } },
});
const item = (name) => ({ kind: 'GridLayoutItem', spec: { x: 0, y: 0, width: 12, height: 8, element: { kind: 'ElementReference', name } } });
const grid = (...names) => ({ kind: 'GridLayout', spec: { items: names.map(item) } });

test('v2: elements walked in layout order through rows, collapsed rows, tabs and auto grids', () => {
  const spec = {
    elements: {
      'panel-1': panel(1, 'Lag', [query('sum(kafka_consumergroup_lag)')]),
      'panel-2': panel(2, 'Hidden query', [query('up', { hidden: true }), query('sum(rate(x[5m]))')]),
      'panel-3': panel(3, 'In a tab', [query('jetstream_consumer_num_pending')]),
      'panel-4': { kind: 'LibraryPanel', spec: { id: 4, title: 'Shared', libraryPanel: { uid: 'lib', name: 'Shared' } } },
      'panel-5': panel(5, 'Nested row in a tab', [query('a')]),
      'panel-6': panel(6, 'Not placed', [query('b')]),
      'panel-7': {
        kind: 'Panel',
        // v2alpha1: the data source on the query's spec, the panel type as the viz kind.
        spec: { id: 7, title: 'alpha', data: { spec: { queries: [{ spec: { datasource: { type: 'prometheus', uid: 'p2' }, query: { kind: 'prometheus', spec: { expr: 'c' } } } }] } }, vizConfig: { kind: 'stat' } },
      },
    },
    layout: {
      kind: 'RowsLayout',
      spec: {
        rows: [
          { kind: 'RowsLayoutRow', spec: { title: 'Open', layout: grid('panel-1', 'panel-2') } },
          { kind: 'RowsLayoutRow', spec: { title: 'Collapsed', collapse: true, repeat: { mode: 'variable', value: 'team' }, layout: grid('panel-4') } },
          {
            kind: 'RowsLayoutRow',
            spec: {
              title: 'Tabs',
              layout: {
                kind: 'TabsLayout',
                spec: {
                  tabs: [
                    { kind: 'TabsLayoutTab', spec: { title: 't1', layout: { kind: 'AutoGridLayout', spec: { items: [{ kind: 'AutoGridLayoutItem', spec: { element: { kind: 'ElementReference', name: 'panel-3' } } }] } } } },
                    { kind: 'TabsLayoutTab', spec: { title: 't2', layout: { kind: 'RowsLayout', spec: { rows: [{ spec: { layout: grid('panel-5', 'panel-1', 'panel-7', 'missing') } }] } } } },
                  ],
                },
              },
            },
          },
        ],
      },
    },
  };
  assert.equal(m.isV2Spec(spec), true);
  assert.equal(m.isV2Spec({ panels: [] }), false);
  const panels = m.v2Panels(spec);
  assert.deepEqual(panels.map((p) => p.id), [1, 2, 4, 3, 5, 7], 'layout order, each element once, unplaced and missing ones left out');
  assert.deepEqual(panels[0].targets, [{ expr: 'sum(kafka_consumergroup_lag)', hide: false, datasource: { uid: 'prom', type: 'prometheus' } }]);
  assert.deepEqual(panels[1].targets.map((t) => t.hide), [true, false]);
  assert.deepEqual([panels[2].type, panels[2].targets], ['library-panel', []], 'a library panel: its queries are not in the model');
  assert.deepEqual([panels[5].type, panels[5].targets[0].datasource], ['stat', { type: 'prometheus', uid: 'p2' }]);
});

test('v2alpha1: rows inside a grid (GridLayoutRow) place their own items, collapsed or not', () => {
  const row = (collapsed, ...names) => ({ kind: 'GridLayoutRow', spec: { y: 0, title: 'r', collapsed, elements: grid(...names).spec.items } });
  const spec = {
    elements: { 'panel-1': panel(1, 'a', []), 'panel-2': panel(2, 'b', []), 'panel-3': panel(3, 'c', []) },
    layout: { kind: 'GridLayout', spec: { items: [...grid('panel-1').spec.items, row(true, 'panel-3'), row(false, 'panel-2'), { kind: 'GridLayoutRow', spec: { elements: 'x' } }] } },
  };
  assert.deepEqual(m.v2Panels(spec).map((p) => p.id), [1, 3, 2]);
});

test('v2: hostile or odd models give what they can, never a throw', () => {
  assert.deepEqual(m.v2Panels(null), []);
  assert.deepEqual(m.v2Panels({ elements: [], layout: 'x' }), []);
  let deep = grid('panel-1');
  for (let i = 0; i < 10_000; i++) deep = { kind: 'RowsLayout', spec: { rows: [{ spec: { layout: deep } }] } };
  assert.deepEqual(m.v2Panels({ elements: { 'panel-1': panel(1, 'a', []) }, layout: deep }), [], 'nesting past any editor is not followed');
  assert.deepEqual(m.v2Panels({ elements: { 'panel-1': { kind: 'Panel', spec: { id: 1, data: 'x' } } }, layout: grid('panel-1') })[0].targets, []);
});

test('a 406 of the legacy API leads to the stored version it names; any other failure to none', () => {
  // What backendSrv.fetch rejects with (public/app/core/services/backend_srv.ts): the status and the parsed body.
  const refusal = (status, message) => ({ status, statusText: 'x', data: { message }, config: {} });
  const message = 'dashboard api version not supported, use /apis/dashboard.grafana.app/v2/namespaces/org-2/dashboards/a%20b instead';
  assert.equal(m.storedDashboardUrl(refusal(406, message), 'org-2', 'a b'), '/apis/dashboard.grafana.app/v2/namespaces/org-2/dashboards/a%20b');
  assert.equal(m.storedDashboardUrl(refusal(406, 'no version here'), 'default', 'u'), '/apis/dashboard.grafana.app/v2beta1/namespaces/default/dashboards/u');
  assert.equal(m.storedDashboardUrl(refusal(403, message), 'default', 'u'), null);
  assert.equal(m.storedDashboardUrl(new Error('network'), 'default', 'u'), null);
  assert.equal(m.storedDashboardUrl(null, 'default', 'u'), null);
});
