// The dev host's template service: what `getTemplateSrv().replace` does for a plugin in a Grafana 12/13
// dashboard, where Grafana's TemplateSrv hands the string to Scenes' interpolation
// (grafana/scenes `packages/scenes/src/variables/interpolation/sceneInterpolator.ts`, `formatValue`):
// `$name`, `${name}` and `${name:format}`; a query's scoped variables before the dashboard's; a format
// named inline before the one the caller passes; with none, Scenes' default, `glob` (`{a,b}` for
// several values); a name that is no variable left as written. Formats played: `csv`, `pipe`, `raw`,
// `glob`. Test tooling, not product.
import type { ScopedVars, TimeRange } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';

type Values = string[];

const FORMATS: Record<string, (v: Values) => string> = {
  csv: (v) => v.join(','),
  pipe: (v) => v.join('|'),
  raw: (v) => v.join(','),
  glob: (v) => (v.length > 1 ? `{${v.join(',')}}` : v.join('')),
};

/** `$name`, `${name}`, `${name:format}`: the name, then the inline format. */
const VARIABLE = /\$(\w+)|\$\{(\w+)(?::([^}]+))?\}/g;

function valuesOf(value: unknown): Values {
  return Array.isArray(value) ? value.map(String) : [String(value ?? '')];
}

export class DevTemplateSrv implements TemplateSrv {
  /** The dashboard's variables: name → current values (from `?var-name=` or the saved `current`). */
  private dashboard = new Map<string, Values>();

  setDashboardValues(values: Map<string, Values>) {
    this.dashboard = values;
  }

  getVariables() {
    return [];
  }

  containsTemplate(target?: string): boolean {
    if (!target) return false;
    VARIABLE.lastIndex = 0;
    return VARIABLE.test(target);
  }

  updateTimeRange(_timeRange: TimeRange) {}

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    if (!target) return target ?? '';
    return target.replace(VARIABLE, (all, bare: string | undefined, braced: string | undefined, inline: string | undefined) => {
      const name = bare ?? braced ?? '';
      const scoped = scopedVars?.[name];
      const values = scoped !== undefined ? valuesOf(scoped.value) : this.dashboard.get(name);
      if (values === undefined) return all;
      const chosen = inline ?? (typeof format === 'string' ? format : undefined) ?? 'glob';
      if (typeof format === 'function' && inline === undefined) return String(format(values.length === 1 ? values[0] : values));
      const formatter = FORMATS[chosen.split(':')[0]] ?? FORMATS.glob;
      return formatter(values);
    });
  }
}
