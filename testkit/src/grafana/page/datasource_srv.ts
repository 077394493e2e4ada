// The dev host's data source service: what `getDataSourceSrv()` gives a plugin, following grafana/grafana
// `public/app/features/plugins/datasource_srv.ts` (`getInstanceSettings` by uid, by name, `${variable}`
// replaced, none = the default; `get` loads the data source plugin's module.js through SystemJS,
// `importDataSourcePlugin`, and builds `new plugin.DataSourceClass(instanceSettings)` once per uid) over
// the boot data's `datasources`. Test tooling, not product.
import type { DataSourceApi, DataSourceInstanceSettings, DataSourceRef, ScopedVars } from '@grafana/data';
import { config, getTemplateSrv, type DataSourceSrv } from '@grafana/runtime';

declare const System: { import(id: string): Promise<Record<string, unknown>> };

type Boot = { uid: string; name: string; type: string; isDefault?: boolean; meta: { module?: string; baseUrl?: string } };

export class DevDataSourceSrv implements DataSourceSrv {
  private instances = new Map<string, Promise<DataSourceApi>>();

  private all(): Boot[] {
    return Object.values((config as unknown as { datasources: Record<string, Boot> }).datasources ?? {});
  }

  getInstanceSettings(ref?: DataSourceRef | string | null, scopedVars?: ScopedVars): DataSourceInstanceSettings | undefined {
    const raw = typeof ref === 'string' ? ref : ref?.uid;
    const key = raw ? getTemplateSrv().replace(raw, scopedVars) : undefined;
    const found = key === undefined ? this.all().find((d) => d.isDefault) : this.all().find((d) => d.uid === key || d.name === key);
    if (!found) return undefined;
    return { ...found, id: 0, access: 'proxy', jsonData: {}, readOnly: true } as unknown as DataSourceInstanceSettings;
  }

  getList(): DataSourceInstanceSettings[] {
    return this.all().map((d) => this.getInstanceSettings(d.uid)).filter((d): d is DataSourceInstanceSettings => d !== undefined);
  }

  get(ref?: DataSourceRef | string | null, scopedVars?: ScopedVars): Promise<DataSourceApi> {
    const settings = this.getInstanceSettings(ref, scopedVars);
    if (!settings) return Promise.reject(new Error(`Datasource ${JSON.stringify(ref)} was not found`));
    let instance = this.instances.get(settings.uid);
    if (!instance) {
      const module = (settings.meta as { module?: string }).module;
      instance = module
        ? System.import(`/${module}`).then((exports) => {
          const plugin = exports.plugin as { DataSourceClass: new (s: DataSourceInstanceSettings) => DataSourceApi };
          return new plugin.DataSourceClass(settings);
        })
        : Promise.reject(new Error(`the dev host loads no plugin for data sources of type ${settings.type}`));
      this.instances.set(settings.uid, instance);
    }
    return instance;
  }

  reload() {
    this.instances.clear();
  }

  registerRuntimeDataSource() {}
}
