// The dev host's stand-in for Grafana's State timeline panel, drawn from a data source's frames as the
// real one reads them: the panel's queries through its data source (`getDataSourceSrv().get`, then
// `query`), the frames through `applyFieldOverrides` with the panel's field config (value mappings,
// thresholds), a row per number field named by `getFieldDisplayName`, and runs of equal values merged
// into one box with the value's display text and colour (grafana/grafana
// `public/app/plugins/panel/state-timeline/`, `prepareTimelineFields` with `mergeValues` on, its default).
// Test tooling, not product: no tooltip, legend or zoom.
import * as React from 'react';
import { applyFieldOverrides, FieldType, getFieldDisplayName, ThemeContext, type DataFrame, type DataQuery, type TimeRange } from '@grafana/data';
import { getDataSourceSrv } from '@grafana/runtime';

interface Props {
  panel: { id: number; targets?: DataQuery[]; datasource?: unknown; fieldConfig?: { defaults: Record<string, unknown>; overrides: unknown[] } };
  width: number;
  height: number;
  timeRange: TimeRange;
  renderCounter: number;
  replaceVariables: (s: string) => string;
}

interface Run { from: number; to: number; text: string; color: string }

/** Runs of equal values of one field: each from its first time to the next run's. */
function runs(times: number[], values: unknown[], display: (v: unknown) => { text: string; color?: string }, end: number): Run[] {
  const out: Run[] = [];
  values.forEach((v, i) => {
    const shown = display(v);
    const last = out[out.length - 1];
    if (last && last.text === shown.text && last.color === (shown.color ?? 'transparent')) return;
    if (last) last.to = times[i];
    out.push({ from: times[i], to: end, text: shown.text, color: shown.color ?? 'transparent' });
  });
  return out;
}

export function StateTimelinePanel(props: Props) {
  const theme = React.useContext(ThemeContext);
  const [frames, setFrames] = React.useState<DataFrame[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const from = props.timeRange.from.valueOf();
  const to = props.timeRange.to.valueOf();
  React.useEffect(() => {
    let live = true;
    (async () => {
      const ds = await getDataSourceSrv().get(props.panel.datasource as string);
      const intervalMs = Math.max(1000, Math.round((to - from) / Math.max(props.width, 100)));
      const request = {
        requestId: `state-timeline-${props.panel.id}`, interval: `${intervalMs}ms`, intervalMs, maxDataPoints: props.width,
        range: props.timeRange, scopedVars: {}, timezone: 'browser', app: 'dashboard', startTime: Date.now(),
        targets: props.panel.targets ?? [],
      };
      const response = await new Promise<{ data: DataFrame[]; errors?: { message?: string }[] }>((resolve, reject) =>
        ds.query(request as never).subscribe({ next: resolve as never, error: reject }));
      if (response.errors?.length) throw new Error(response.errors.map((e) => e.message).join('; '));
      if (live) setFrames(response.data);
    })().catch((e) => live && setError(String(e)));
    return () => { live = false; };
    // The queries as the panel has them now: a changed target or data source is a new request.
  }, [from, to, props.renderCounter, props.panel.id, props.width, JSON.stringify([props.panel.targets, props.panel.datasource])]);
  if (error) return React.createElement('div', { role: 'alert' }, error);
  if (!frames) return React.createElement('div', null, 'Loading…');
  const applied = applyFieldOverrides({
    data: frames, fieldConfig: (props.panel.fieldConfig ?? { defaults: {}, overrides: [] }) as never,
    replaceVariables: props.replaceVariables as never, theme, timeZone: 'browser',
  });
  const labelWidth = 140;
  const span = Math.max(to - from, 1);
  const w = Math.max(props.width - labelWidth, 10);
  const rows = applied.flatMap((frame) => {
    const time = frame.fields.find((f) => f.type === FieldType.time);
    if (!time) return [];
    return frame.fields.filter((f) => f.type === FieldType.number && f.display).map((field) => {
      const name = getFieldDisplayName(field, frame, applied);
      const boxes = runs(Array.from(time.values as number[]), Array.from(field.values), (v) => field.display!(v), to);
      return React.createElement('div', { key: `${frame.name}-${field.name}`, 'data-testid': 'state-timeline-row', 'data-name': name, style: { display: 'flex', height: 22, alignItems: 'center' } },
        React.createElement('span', { style: { width: labelWidth, fontSize: 12, overflow: 'hidden', whiteSpace: 'nowrap' } }, name),
        React.createElement('div', { style: { position: 'relative', width: w, height: 20 } },
          boxes.map((b, i) => React.createElement('div', {
            key: i, 'data-testid': 'state-timeline-run', 'data-text': b.text, 'data-from': b.from, title: `${name}: ${b.text}`,
            style: {
              position: 'absolute', left: ((Math.max(b.from, from) - from) / span) * w, width: Math.max(((Math.min(b.to, to) - Math.max(b.from, from)) / span) * w, 1),
              top: 0, bottom: 0, background: b.color, fontSize: 11, overflow: 'hidden', color: theme.colors.getContrastText(b.color),
            },
          }, b.text))));
    });
  });
  return React.createElement('div', { 'data-testid': `state-timeline-${props.panel.id}`, style: { padding: 4 } },
    rows.length ? rows : React.createElement('p', null, 'No data'));
}
