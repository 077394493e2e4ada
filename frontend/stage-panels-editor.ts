// The options editor of "Raw panels per stage": the manual override as text, and below it what the
// automatic mapping found on this dashboard (the panel's instance state, which Grafana hands its
// option editors as `context.instanceState`), so an editor can check it at a glance.
import * as React from 'react';
import type { StandardEditorProps } from '@grafana/data';
import type { Found } from './raw-panels.ts';

/** One line per stage: "kafka → Consumer lag (#12), Ingest rate (#14)", or that none shows it. */
export function describeFound(found: Found): string[] {
  return found.stages.map((s) =>
    s.panels.length > 0 ? `${s.stage} → ${s.panels.map((p) => `${p.title || 'untitled'} (#${p.id})`).join(', ')}` : `${s.stage} → no panel on this dashboard (the drill-down offers Explore)`,
  );
}

export function StagePanelsEditor(props: StandardEditorProps<string>) {
  const found = (props.context.instanceState as { rawPanels?: Found } | undefined)?.rawPanels;
  const lines = found ? describeFound(found) : ['Open the dashboard to see what is found automatically.'];
  return React.createElement('div', { 'data-testid': 'codex-flow-stage-panels-editor' },
    React.createElement('input', {
      type: 'text', value: props.value ?? '', placeholder: 'automatic', 'aria-label': 'Raw panels per stage',
      style: { width: '100%' },
      onChange: (e: React.ChangeEvent<HTMLInputElement>) => props.onChange(e.target.value),
    }),
    React.createElement('ul', { style: { margin: '4px 0 0', paddingLeft: 16, fontSize: 12 }, 'aria-label': 'Found automatically' },
      lines.map((l) => React.createElement('li', { key: l }, l))));
}
