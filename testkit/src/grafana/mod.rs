//! Everything that plays Grafana, in one place, so a reader knows what only stands in for it and
//! never ships: the go-plugin/pluginv2 host that spawns the plugin binary (`plugin_host`), the HTTP
//! dev host (`devhost`) and the browser page it serves (`page/`, TypeScript built by
//! `page/build.mjs`), provisioning as Grafana reads it (`provisioning`), which plugins Grafana would
//! load (`plugins`), sessions and orgs (`session`), the data source store and its API
//! (`datasources`), annotations (`annotations`), Grafana-managed alert rules (`alerting`), the boot data (`boot`) and its Angular detector (`angular`), dashboards stored
//! as schema v2 (`dashboard_v2`). `docs/dev-host.md` names the Grafana source each behaviour follows.

pub mod alerting;
pub mod angular;
pub mod annotations;
pub mod boot;
pub mod dashboard_v2;
pub mod datasources;
pub mod devhost;
pub mod ds_query;
pub mod frames;
pub mod plugin_host;
pub mod plugins;
pub mod provisioning;
pub mod session;
pub mod short_urls;
