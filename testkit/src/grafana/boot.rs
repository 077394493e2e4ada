//! Grafana's boot data: what its index page hands `@grafana/runtime`'s `config` before any plugin
//! loads. Grafana renders it on the server (grafana/grafana `pkg/api/index.go` `setIndexViewData`
//! into `public/views/index.html`, the settings from `pkg/api/frontendsettings.go`
//! `getFrontendSettings`), so only loaded plugins appear in `panels` and `apps`, each with the
//! `module` and `baseUrl` Grafana serves it from, and the theme follows `?theme=` as `index.go`'s
//! `getThemeForIndexData` lets it.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::grafana::plugins::FoundPlugin;
use crate::grafana::provisioning::DatasourceMeta;

/// The Grafana versions the host plays, one per page it has (`page_dir`): every browser test runs under
/// each. The newest is what the demo plays.
pub const PLAYED_VERSIONS: [&str; 2] = ["12.4.10", "13.2.3"];
/// The Grafana version a host plays unless told otherwise: today's release.
pub const DEFAULT_VERSION: &str = PLAYED_VERSIONS[1];

/// What a page request asks of the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub light: bool,
    /// Nested plugins under their own id (`public/plugins/<panel id>/`), as before Grafana 12.
    pub legacy_paths: bool,
    pub version: String,
    /// A public dashboard's access token: the viewer is not signed in, and Grafana's frontend
    /// settings carry `publicDashboardAccessToken` (grafana/grafana `pkg/api/index.go`).
    pub public_token: Option<String>,
    /// The session's current org.
    pub org_id: i64,
    /// `cfg.AppURL`, ending in `/` (`config.appUrl` in the frontend).
    pub app_url: String,
}

impl Page {
    /// A page of a host playing `played`, unless `?grafanaVersion=` asks for another.
    pub fn from_query(query: &str, played: &str) -> Page {
        let mut page = Page {
            light: false,
            legacy_paths: false,
            version: played.to_string(),
            public_token: None,
            org_id: 1,
            app_url: String::new(),
        };
        for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
            match k {
                "theme" => page.light = v == "light",
                "legacyPaths" => page.legacy_paths = !v.is_empty() && v != "0",
                "grafanaVersion" if version_parts(v).is_some() => page.version = v.to_string(),
                _ => {}
            }
        }
        page
    }

    /// The SystemJS that Grafana version bundles: 6.14 from 10.2, 6.15.1 (the first with the AMD
    /// `module.uri`) from 11.1.
    pub fn systemjs_dir(&self) -> &'static str {
        match version_parts(&self.version) {
            Some(v) if v < (11, 1, 0) => "systemjs-6.14.2",
            _ => "systemjs-6.15.1",
        }
    }

    /// The page built for that version's shared modules (`page/build.mjs`): React 19 and `@grafana/*`
    /// 13.2 from Grafana 13, React 18 and `@grafana/*` 12.4 before (10.4 to 12 differ for a plugin
    /// that uses only `react`, `@grafana/data` and `@grafana/runtime` in its SystemJS, `systemjs_dir`).
    pub fn page_dir(&self) -> &'static str {
        if at_least(&self.version, 13) {
            "grafana-13"
        } else {
            "grafana-12"
        }
    }
}

/// Whether `version` is Grafana `major` or later (a version that does not parse is not).
pub fn at_least(version: &str, major: u32) -> bool {
    version_parts(version).is_some_and(|(m, _, _)| m >= major)
}

fn version_parts(v: &str) -> Option<(u32, u32, u32)> {
    let mut it = v.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

/// Where Grafana serves a loaded plugin from: `public/plugins/<root id>/<path inside the package>`,
/// or under its own id with legacy paths.
fn base_url(plugin: &FoundPlugin, loaded: &[FoundPlugin], dist: &Path, page: &Page) -> String {
    let root = loaded.iter().find(|p| p.parent.is_none()).map_or(plugin.id.as_str(), |p| p.id.as_str());
    let rel = plugin.dir.strip_prefix(dist).ok().and_then(|r| r.to_str()).unwrap_or("").trim_matches('/').to_string();
    if plugin.parent.is_none() || page.legacy_paths || rel.is_empty() {
        format!("public/plugins/{}", plugin.id)
    } else {
        format!("public/plugins/{root}/{rel}")
    }
}

/// `window.grafanaBootData` for a page (`datasources` keyed by name, as `getFrontendSettings` has them).
pub fn boot_data(page: &Page, loaded: &[FoundPlugin], dist: &Path, datasources: &[DatasourceMeta]) -> Value {
    // A data source of a loaded plugin carries its plugin's meta, `module` and `baseUrl` included,
    // as `getFrontendSettings` (`getFSDataSources`) gives it; the built-in types only their id here.
    let ds: Map<String, Value> = datasources
        .iter()
        .map(|d| {
            let meta = match loaded.iter().find(|p| p.kind == "datasource" && p.id == d.kind) {
                Some(p) => {
                    let base = base_url(p, loaded, dist, page);
                    json!({ "id": p.id, "type": "datasource", "name": p.name, "module": format!("{base}/module.js"),
                            "baseUrl": base, "backend": true, "metrics": true, "alerting": true, "info": {} })
                }
                None => json!({ "id": d.kind }),
            };
            (
                d.name.clone(),
                json!({ "uid": d.uid, "name": d.name, "type": d.kind, "isDefault": d.is_default, "meta": meta }),
            )
        })
        .collect();
    let default_ds = datasources.iter().find(|d| d.is_default).map(|d| d.name.clone()).unwrap_or_default();
    let (mut panels, mut apps) = (Map::new(), Map::new());
    for p in loaded {
        let base = base_url(p, loaded, dist, page);
        let module = format!("{base}/module.js");
        match p.kind.as_str() {
            "panel" => {
                let meta = json!({ "id": p.id, "name": p.name, "type": "panel", "module": module, "baseUrl": base,
                                   "skipDataQuery": p.skip_data_query, "signature": "unsigned", "sort": 100, "info": {} });
                panels.insert(p.id.clone(), meta);
            }
            "app" => {
                apps.insert(
                    p.id.clone(),
                    json!({ "id": p.id, "path": module, "preload": false, "angular": { "detected": false } }),
                );
            }
            _ => {}
        }
    }
    let signed_in = page.public_token.is_none();
    json!({
        "user": { "id": if signed_in { 1 } else { 0 }, "login": if signed_in { "admin" } else { "" }, "orgId": page.org_id,
                  "orgRole": if signed_in { "Admin" } else { "" }, "isSignedIn": signed_in,
                  "theme": if page.light { "light" } else { "dark" }, "lightTheme": page.light, "timezone": "browser" },
        "settings": {
            "appSubUrl": "", "appUrl": page.app_url, "namespace": super::dashboard_v2::namespace(page.org_id), "buildInfo": { "version": page.version, "edition": "Open Source", "env": "production" },
            "featureToggles": feature_toggles(&page.version), "datasources": ds, "defaultDatasource": default_ds,
            "panels": panels, "apps": apps, "bootData": {},
            "publicDashboardAccessToken": page.public_token.clone().unwrap_or_default()
        },
        "navTree": [], "assets": {}
    })
}

/// The dashboard toggles on by default in the version played, listed as the boot data lists toggles: the
/// enabled ones only, as `name: true`, and `topnav` always (grafana/grafana `pkg/api/frontendsettings.go`,
/// `hs.Features.GetEnabled`; the defaults from `packages/grafana-data/src/types/featureToggles.gen.ts`).
/// From 13 dynamic dashboards (`dashboardNewLayouts`) are on, and `kubernetesDashboards` and
/// `dashboardScene` are no longer toggles.
fn feature_toggles(version: &str) -> Value {
    if at_least(version, 13) {
        json!({ "dashboardNewLayouts": true, "dashboardDefaultLayoutSelector": true, "topnav": true })
    } else {
        json!({ "kubernetesDashboards": true, "dashboardScene": true, "topnav": true })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::grafana::plugins::Signature;

    fn found(id: &str, kind: &str, dir: &str, parent: Option<&str>) -> FoundPlugin {
        FoundPlugin {
            id: id.into(),
            kind: kind.into(),
            name: id.into(),
            dir: PathBuf::from(dir),
            parent: parent.map(str::to_string),
            signature: Signature::Unsigned,
            skip_data_query: kind == "panel",
        }
    }

    #[test]
    fn the_nested_panel_is_served_under_its_app_or_its_own_id() {
        let loaded = [found("app", "app", "/d", None), found("panel", "panel", "/d/panel", Some("app"))];
        let boot = boot_data(&Page::from_query("", DEFAULT_VERSION), &loaded, Path::new("/d"), &[]);
        assert_eq!(boot["settings"]["panels"]["panel"]["module"], "public/plugins/app/panel/module.js");
        assert_eq!(boot["settings"]["panels"]["panel"]["baseUrl"], "public/plugins/app/panel");
        assert_eq!(boot["settings"]["apps"]["app"]["path"], "public/plugins/app/module.js");
        let legacy =
            boot_data(&Page::from_query("legacyPaths=1&theme=light", DEFAULT_VERSION), &loaded, Path::new("/d"), &[]);
        assert_eq!(legacy["settings"]["panels"]["panel"]["baseUrl"], "public/plugins/panel");
        assert_eq!(legacy["user"]["lightTheme"], true);
        assert_eq!(
            (legacy["user"]["isSignedIn"].clone(), legacy["settings"]["publicDashboardAccessToken"].clone()),
            (json!(true), json!(""))
        );
        let public = boot_data(
            &Page { public_token: Some("tok".into()), ..Page::from_query("", DEFAULT_VERSION) },
            &loaded,
            Path::new("/d"),
            &[],
        );
        assert_eq!(
            (public["user"]["isSignedIn"].clone(), public["settings"]["publicDashboardAccessToken"].clone()),
            (json!(false), json!("tok"))
        );
    }

    #[test]
    fn a_refused_panel_is_not_in_the_boot_data() {
        let boot =
            boot_data(&Page::from_query("", DEFAULT_VERSION), &[found("app", "app", "/d", None)], Path::new("/d"), &[]);
        assert_eq!(boot["settings"]["panels"], json!({}));
    }

    #[test]
    fn grafana_before_11_1_bundles_a_systemjs_without_module_uri() {
        let dir = |q: &str| Page::from_query(q, DEFAULT_VERSION).systemjs_dir();
        assert_eq!(dir(""), "systemjs-6.15.1");
        assert_eq!(dir("grafanaVersion=11.1.0"), "systemjs-6.15.1");
        assert_eq!(dir("grafanaVersion=11.0.9"), "systemjs-6.14.2");
        assert_eq!(dir("grafanaVersion=10.4.0"), "systemjs-6.14.2");
        assert_eq!(dir("grafanaVersion=nonsense"), "systemjs-6.15.1");
        assert_eq!(Page::from_query("grafanaVersion=10.4.0", DEFAULT_VERSION).version, "10.4.0");
    }

    #[test]
    fn grafana_13_pages_run_react_19_and_the_query_overrides_the_host() {
        let page = |q: &str, played: &str| Page::from_query(q, played).page_dir();
        assert_eq!(page("", "13.2.3"), "grafana-13");
        assert_eq!(page("", "12.4.10"), "grafana-12");
        assert_eq!(page("grafanaVersion=10.4.0", "13.2.3"), "grafana-12");
        assert_eq!(page("grafanaVersion=13.0.0", "12.4.10"), "grafana-13");
        assert_eq!(page("grafanaVersion=nonsense", "12.4.10"), "grafana-12");
    }
}
