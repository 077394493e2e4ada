// The Codex Flow data source's module.js: Grafana loads it for the data source nested in the app. Its
// queries go to the backend (gpx_codexflow's QueryData) through Grafana's `/api/ds/query`, as
// `DataSourceWithBackend` sends them; here are only the query editor and the settings page Grafana
// requires as React components, built from plain elements so they need nothing but React.
import * as React from 'react';
import {
  CustomVariableSupport,
  DataSourcePlugin,
  type DataQuery,
  type DataQueryRequest,
  type DataQueryResponse,
  type ScopedVars,
  type DataSourceInstanceSettings,
  type DataSourceJsonData,
  type DataSourcePluginOptionsEditorProps,
  type QueryEditorProps,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';
import type { Observable } from 'rxjs';

/** What a query asks (backend/src/datasource/query.rs reads it; docs/api.md, "The data source"). */
export interface FlowQuery extends DataQuery {
  queryType?: 'stageStatus' | 'pipelineStatus' | 'alerts' | 'queue' | 'stageChanges' | 'stages';
  /** Stage ids; none is every stage. */
  stages?: string[];
}

/** The settings the backend reads with the app's parser; the rest are set by provisioning. */
export interface FlowOptions extends DataSourceJsonData {
  prometheusUrl?: string;
  tenant?: string;
  evaluationInterval?: string;
  alertmanagerUrl?: string;
}

interface FlowSecrets {
  bearerToken?: string;
}

const QUERY_TYPES: Array<[NonNullable<FlowQuery['queryType']>, string]> = [
  ['stageStatus', 'Stage status: a row per stage'],
  ['pipelineStatus', 'Pipeline status: the worst stage'],
  ['alerts', 'Alerts: each alert’s state'],
  ['queue', 'Queue: backlog, rate, lag, drain'],
  ['stageChanges', 'Stage changes: as events'],
  ['stages', 'Stages: a list, for a variable'],
];

export class FlowDataSource extends DataSourceWithBackend<FlowQuery, FlowOptions> {
  constructor(settings: DataSourceInstanceSettings<FlowOptions>) {
    super(settings);
    // Grafana's standard annotation support runs the query through `query()` and reads the frame's
    // time, title, text and tags; an annotation always asks for the stages' changes.
    this.annotations = {
      getDefaultQuery: () => ({ queryType: 'stageChanges', stages: [] }),
      prepareQuery: (anno) => (anno.target ? { ...anno.target, queryType: 'stageChanges' } : undefined),
      QueryEditor: (props) => h(QueryEditor, { ...props, only: 'stageChanges' }),
    };
    this.variables = new StageVariable(this);
  }

  /** A new query shows every stage's status. */
  getDefaultQuery(): Partial<FlowQuery> {
    return { queryType: 'stageStatus', stages: [] };
  }

  /** `$stage` and other variables in stage ids, a multi-value one giving each of its values. */
  applyTemplateVariables(query: FlowQuery, scopedVars: ScopedVars): FlowQuery {
    const srv = getTemplateSrv();
    const stages = (query.stages ?? []).flatMap((s) => stageList(srv.replace(s, scopedVars, 'csv')));
    return { ...query, stages };
  }
}

/** A dashboard variable of the pipeline's stages: text the stage's name, value its id. */
class StageVariable extends CustomVariableSupport<FlowDataSource, FlowQuery> {
  constructor(private readonly ds: FlowDataSource) {
    super();
  }

  editor = () => h('p', { 'data-testid': 'codexflow-variable-editor' }, 'The pipeline’s stages: text is the name, value the id.');

  /** A saved variable needs a query, or Scenes lists nothing for it. */
  getDefaultQuery(): Partial<FlowQuery> {
    return { refId: 'stages', queryType: 'stages' };
  }

  query(request: DataQueryRequest<FlowQuery>): Observable<DataQueryResponse> {
    return this.ds.query({ ...request, targets: [{ refId: 'stages', queryType: 'stages' }] });
  }
}

const h = React.createElement;
const row = { display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' as const, margin: '4px 0' };

/** "kafka, nats" → ["kafka", "nats"]. */
function stageList(text: string): string[] {
  return text.split(/[\s,]+/).filter((s) => s.length > 0);
}

type EditorProps = QueryEditorProps<FlowDataSource, FlowQuery, FlowOptions> & {
  /** A query of this type alone (an annotation's): no type to choose. */
  only?: FlowQuery['queryType'];
};

export function QueryEditor(props: EditorProps) {
  const { query, onChange, onRunQuery, only } = props;
  const id = React.useId();
  const set = (patch: Partial<FlowQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  return h('div', { style: row, 'data-testid': 'codexflow-query-editor' },
    only ? null : h('label', { htmlFor: `${id}-type` }, 'Query'),
    only ? null : h('select', {
      id: `${id}-type`,
      value: query.queryType ?? 'stageStatus',
      onChange: (e: React.ChangeEvent<HTMLSelectElement>) => set({ queryType: e.target.value as FlowQuery['queryType'] }),
    }, ...QUERY_TYPES.map(([value, text]) => h('option', { key: value, value }, text))),
    h('label', { htmlFor: `${id}-stages` }, 'Stages'),
    h('input', {
      id: `${id}-stages`,
      defaultValue: (query.stages ?? []).join(', '),
      placeholder: 'every stage',
      'aria-describedby': `${id}-stages-help`,
      // Run on leaving the field or Enter, not on every key.
      onBlur: (e: React.FocusEvent<HTMLInputElement>) => set({ stages: stageList(e.target.value) }),
      onKeyDown: (e: React.KeyboardEvent<HTMLInputElement>) => {
        if (e.key === 'Enter') set({ stages: stageList(e.currentTarget.value) });
      },
    }),
    h('span', { id: `${id}-stages-help`, style: { opacity: 0.7 } }, 'stage ids, comma separated (kafka, nats, jangar, sse)'));
}

const FIELDS: Array<[keyof FlowOptions & string, string, string]> = [
  ['prometheusUrl', 'Prometheus URL', 'http://prometheus:9090 or Mimir’s /prometheus'],
  ['tenant', 'Tenant (X-Scope-OrgID)', 'Mimir only'],
  ['evaluationInterval', 'Evaluation interval', '1m, as the ruler evaluates'],
  ['alertmanagerUrl', 'Alertmanager URL', 'optional: silences'],
];

export function ConfigEditor(props: DataSourcePluginOptionsEditorProps<FlowOptions, FlowSecrets>) {
  const { options, onOptionsChange } = props;
  const id = React.useId();
  const jsonData = options.jsonData ?? {};
  const tokenSet = options.secureJsonFields?.bearerToken === true;
  return h('div', { 'data-testid': 'codexflow-datasource-settings' },
    ...FIELDS.map(([key, label, hint]) => h('div', { key, style: row },
      h('label', { htmlFor: `${id}-${key}`, style: { minWidth: 200 } }, label),
      h('input', {
        id: `${id}-${key}`,
        value: (jsonData[key] as string | undefined) ?? '',
        placeholder: hint,
        onChange: (e: React.ChangeEvent<HTMLInputElement>) =>
          onOptionsChange({ ...options, jsonData: { ...jsonData, [key]: e.target.value } }),
      }))),
    h('div', { style: row },
      h('label', { htmlFor: `${id}-token`, style: { minWidth: 200 } }, 'Bearer token'),
      tokenSet
        ? h('button', {
          type: 'button',
          onClick: () => onOptionsChange({ ...options, secureJsonFields: { ...options.secureJsonFields, bearerToken: false }, secureJsonData: { bearerToken: '' } }),
        }, 'Configured: reset')
        : h('input', {
          id: `${id}-token`,
          type: 'password',
          value: options.secureJsonData?.bearerToken ?? '',
          onChange: (e: React.ChangeEvent<HTMLInputElement>) => onOptionsChange({ ...options, secureJsonData: { bearerToken: e.target.value } }),
        })),
    h('p', { style: { opacity: 0.7 } },
      'Rules, the pipeline and the other settings are the app’s (docs/api.md, Settings); set them in this data source’s provisioning jsonData. Save & test checks them all.'));
}

export const plugin = new DataSourcePlugin<FlowDataSource, FlowQuery, FlowOptions, FlowSecrets>(FlowDataSource)
  .setQueryEditor(QueryEditor)
  .setConfigEditor(ConfigEditor);
