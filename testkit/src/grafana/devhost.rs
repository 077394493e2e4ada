//! A small HTTP server that plays Grafana's HTTP side for the real plugin package.
//!
//! Faithful to Grafana where the plugin can tell the difference:
//! * `GET public/plugins/<app id>/<path>` serves `dist/<path>`, so the nested panel is at
//!   `public/plugins/<app id>/panel/module.js` as in Grafana 12; the older layout
//!   `public/plugins/<panel id>/…` is served too, so the panel must find its `.wasm`
//!   from its own module URI either way;
//! * `/api/plugins/<app id>/resources/<path>` becomes a pluginv2 `CallResource` (path without a
//!   leading slash, URL with the query) carrying the app's settings in `PluginContext`;
//! * `/api/datasources/proxy/uid/<uid>/<path>` forwards to the datasource's URL, as Grafana's proxy does;
//! * `/api/dashboards/uid/<uid>` answers `{dashboard, meta}` from the provisioned dashboard files;
//! * `/api/datasources` and `/api/datasources/uid/<uid>[/health]` add, read, update and test data
//!   sources ([`super::datasources`]), `/connections/datasources/edit/<uid>` is their settings page;
//! * `GET /api/plugins/<app id>/settings` answers the plugin's settings DTO (`jsonData`,
//!   `secureJsonFields` for secrets whose stored value is non-empty, never their values) and
//!   `POST` updates them as Grafana's `UpdatePluginSetting` does: `jsonData`, `enabled` and `pinned`
//!   replaced, each `secureJsonData` key sent overwrites the stored one (an empty string clears it),
//!   keys not sent are kept; later `CallResource`s carry the new settings;
//! * `GET /api/plugins/<app id>/health` runs `CheckHealth` and answers `{status, message, details}`,
//!   400 unless the status is OK;
//! * `/plugins/<app id>` serves the page that renders the app's config page (`AppPlugin.configPages`);
//! * only the plugins Grafana would load are served ([`super::plugins`]): a refused one has no
//!   settings, resources or assets (404 "Plugin not found") and is missing from the boot data;
//! * the page gets Grafana's boot data from the server, as `pkg/api/index.go` renders it into
//!   `public/views/index.html`: the user, `?theme=`, the loaded panels with `module` and `baseUrl`,
//!   and the page and SystemJS of the Grafana version played (`DevHost::version`, or `?grafanaVersion=`):
//!   React 18 and `@grafana/*` 12.4 before 13, React 19 and `@grafana/*` 13.2 from 13 ([`super::boot`]);
//! * sessions and orgs as [`super::session`] describes: API calls need a live session and act in
//!   the caller's org, whose app settings they carry.
//!
//! Not reproduced: other users, logging in, permissions, the database, Grafana's UI.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::grafana::alerting::{self, RuleState};
use crate::grafana::annotations::Annotations;
use crate::grafana::boot;
use crate::grafana::dashboard_v2;
use crate::grafana::datasources::Datasources;
use crate::grafana::ds_query;
use crate::grafana::plugin_host::{AppSettings, HostError, PluginProcess, APP_ID};
use crate::grafana::plugins::{self, FoundPlugin, LoadingConfig};
use crate::grafana::provisioning::Provisioning;
use crate::grafana::session::{Denied, Sessions, MEMBER_ORGS};
use crate::grafana::short_urls::ShortUrls;
use crate::http::{read_request, write_response};
use grafana_plugin_sdk::pluginv2;

pub const PANEL_ID: &str = "proompteng-codexflow-panel";
pub use codexflow_core::datasource::DATASOURCE_ID;
/// Largest request body accepted (Grafana's own limit is larger; ours only carries small JSON).
const MAX_BODY: usize = 8 << 20;

/// What the host serves and forwards to.
pub struct DevHost {
    pub dist: PathBuf,
    /// Files of the harness pages (index.html, `grafana-<major>/host.js`, SystemJS and its AMD extra).
    pub harness: PathBuf,
    /// Apps, datasources and dashboards, as read from the provisioning directories.
    pub provisioning: Provisioning,
    pub plugin: Arc<PluginProcess>,
    /// Which unsigned plugins may load (`grafana.ini` / `GF_*`).
    pub loading: LoadingConfig,
    /// The Grafana version played (`boot::PLAYED_VERSIONS`) where a page does not ask for another.
    pub version: String,
    /// Evaluate the provisioned alert rules at each multiple of their interval on the wall clock, as
    /// Grafana's scheduler does; off, they are evaluated only when replayed (deterministic tests).
    pub alert_scheduler: bool,
}

/// The app's stored settings: what Grafana keeps in its `plugin_setting` table.
#[derive(Debug, Clone)]
struct StoredSettings {
    enabled: bool,
    pinned: bool,
    /// Whether a row exists (provisioned or saved once); an app never saved has none.
    saved: bool,
    settings: AppSettings,
}

impl StoredSettings {
    /// What a `PluginContext` carries: the stored settings whether or not the app is enabled, and
    /// for an app never saved nothing (`plugin_host` then sends empty `jsonData`), as Grafana's
    /// `plugincontext.Provider.appInstanceSettings` does; Grafana checks `enabled` on no resource call.
    fn instance_settings(&self) -> Option<AppSettings> {
        self.saved.then(|| self.settings.clone())
    }
}

/// The body of `POST /api/plugins/<id>/settings` (Grafana's `UpdatePluginSettingCmd`).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SettingsUpdate {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    json_data: Option<serde_json::Value>,
    #[serde(default)]
    secure_json_data: Option<HashMap<String, String>>,
}

struct Shared {
    host: DevHost,
    /// The app's settings per org (org 1 as provisioned; the others never saved).
    stored: RwLock<HashMap<i64, StoredSettings>>,
    sessions: Sessions,
    /// The plugins of `dist/` Grafana would load.
    loaded: Vec<FoundPlugin>,
    /// Org 1's data sources: the provisioned ones and those added since.
    datasources: Datasources,
    /// Each provisioned alert rule's instances, by rule uid ([`alerting`]).
    alert_states: tokio::sync::Mutex<HashMap<String, RuleState>>,
    /// Every org's annotations ([`super::annotations`]).
    annotations: Annotations,
    short_urls: ShortUrls,
}

/// A running host; the listener stops when this is dropped.
pub struct RunningHost {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DevHost {
    /// Serves on `addr` (e.g. `127.0.0.1:0`) in the background.
    /// The repository's `dist/` and built page (`target/harness`), loading unsigned plugins as the
    /// demo's `grafana.ini` allows: what the demo and the browser tests of it serve.
    pub fn demo(root: &Path, provisioning: Provisioning, plugin: Arc<PluginProcess>) -> DevHost {
        DevHost {
            dist: root.join("dist"),
            harness: root.join("target/harness"),
            provisioning,
            plugin,
            loading: LoadingConfig::demo(root),
            version: boot::DEFAULT_VERSION.to_string(),
            alert_scheduler: true,
        }
    }

    pub async fn start(self, addr: &str) -> std::io::Result<RunningHost> {
        let listener = TcpListener::bind(addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let _ = rustls::crypto::ring::default_provider().install_default();
        let never_saved = StoredSettings {
            enabled: false,
            pinned: false,
            saved: false,
            settings: AppSettings { json_data: serde_json::json!({}), secure_json_data: HashMap::new() },
        };
        let stored: HashMap<i64, StoredSettings> = MEMBER_ORGS
            .iter()
            .map(|&org| {
                let app = self.provisioning.apps.iter().find(|a| a.app_type == APP_ID && a.org_id == org);
                let settings = app.map_or_else(
                    || never_saved.clone(),
                    |app| StoredSettings {
                        enabled: app.enabled,
                        pinned: app.enabled,
                        saved: true,
                        settings: app.settings.clone(),
                    },
                );
                (org, settings)
            })
            .collect();
        let (loaded, refused) = plugins::load(&self.dist, &self.loading);
        for r in &refused {
            // Grafana logs the refusal and goes on without the plugin.
            eprintln!("dev host: not loading a plugin: {r}");
        }
        let datasources = Datasources::from_provisioning(&self.provisioning);
        let host = Arc::new(Shared {
            host: self,
            stored: RwLock::new(stored),
            sessions: Sessions::default(),
            loaded,
            datasources,
            alert_states: Default::default(),
            annotations: Annotations::default(),
            short_urls: ShortUrls::default(),
        });
        let http = reqwest::Client::new();
        let scheduled = host.clone();
        let task = tokio::spawn(async move {
            let serving = async {
                while let Ok((conn, _)) = listener.accept().await {
                    let _ = conn.set_nodelay(true);
                    let (host, http) = (host.clone(), http.clone());
                    tokio::spawn(async move {
                        let _ = host.serve(conn, &http).await;
                    });
                }
            };
            // Serving ends the task; the scheduler never ends on its own.
            tokio::select! {
                _ = serving => {}
                _ = scheduled.alert_scheduler() => {}
            }
        });
        Ok(RunningHost { url, task })
    }
}

impl Shared {
    /// The settings a `PluginContext` in `org` carries now ([`StoredSettings::instance_settings`]).
    fn current(&self, org: i64) -> Option<AppSettings> {
        self.stored.read().unwrap_or_else(|p| p.into_inner()).get(&org).and_then(StoredSettings::instance_settings)
    }

    async fn serve(&self, conn: TcpStream, http: &reqwest::Client) -> std::io::Result<()> {
        let mut conn = BufReader::new(conn);
        let mut head_only = false;
        let mut response = match read_request(&mut conn, MAX_BODY).await {
            Ok(None) => return Ok(()),
            Ok(Some(r)) => {
                head_only = r.method == "HEAD";
                let caller = Caller {
                    host: r.header("host").unwrap_or("127.0.0.1").to_string(),
                    content_type: r.header("content-type").unwrap_or("").to_string(),
                    cookie: r.header("cookie").unwrap_or("").to_string(),
                    org_header: r.header("x-grafana-org-id").map(str::to_string),
                };
                self.route(&r.method, &r.target, &caller, r.body, http).await
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Response::text(413, "request body too large"),
            Err(e) => return Err(e),
        };
        // A response to HEAD has no body, whatever answered it.
        if head_only {
            response.body.clear();
        }
        let mut headers: Vec<(&str, &str)> = vec![("Cache-Control", "no-store")];
        headers.extend(response.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let stream = conn.get_mut();
        write_response(stream, response.status, &headers, &response.body, true).await?;
        stream.shutdown().await
    }

    fn is_loaded(&self, id: &str) -> bool {
        self.loaded.iter().any(|p| p.id == id)
    }

    async fn route(
        &self,
        method: &str,
        target: &str,
        caller: &Caller,
        body: Vec<u8>,
        http: &reqwest::Client,
    ) -> Response {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = path.trim_start_matches('/');
        // Grafana's plugin routes and assets answer only for registered plugins.
        for id in [APP_ID, PANEL_ID, DATASOURCE_ID] {
            let of_plugin =
                path.starts_with(&format!("api/plugins/{id}/")) || path.starts_with(&format!("public/plugins/{id}/"));
            if of_plugin && !self.is_loaded(id) {
                return Response::json(404, &serde_json::json!({ "message": "Plugin not found" }));
            }
        }
        if let Some(answer) = self.session_route(method, path, caller) {
            return answer;
        }
        if !path.starts_with("api/") && !path.starts_with("apis/") {
            return self.page_or_asset(method, path, query, caller);
        }
        // Every other API call needs a live session and acts in the caller's org; a public
        // dashboard, a snapshot and the health endpoint need none.
        let open = ["api/health", "api/public/", "api/snapshots/"].iter().any(|p| path.starts_with(p));
        let org = if open {
            1
        } else {
            match self.sessions.authorize(&caller.cookie, caller.org_header.as_deref()) {
                Ok(org) => org,
                Err(denied) => return denied_response(&denied),
            }
        };
        let call = ApiCall { method, path, query, body, org };
        if let Some(answer) = self.app_api(&call).await {
            return answer;
        }
        if path == "api/ds/query" {
            return self.ds_query(&call).await;
        }
        if let Some(answer) = self.datasources_api(&call).await {
            return answer;
        }
        if let Some(answer) = self.alerting_api(&call).await {
            return answer;
        }
        if path == "api/annotations" {
            return self.annotations_api(&call);
        }
        if path == "api/short-urls" && method == "POST" {
            let (status, body) = self.short_urls.create(org, &call.body, &app_url(caller));
            return Response::json(status, &body);
        }
        if let Some(rest) = path.strip_prefix("api/datasources/proxy/uid/") {
            return self.proxy(&call, rest, &caller.content_type, http).await;
        }
        if let Some(answer) = self.dashboard_v2_api(path, org) {
            return answer;
        }
        if let Some(answer) = self.dashboard_api(path) {
            return answer;
        }
        if path == "api/health" {
            return Response::json(200, &serde_json::json!({ "database": "ok", "version": "dev-host" }));
        }
        Response::json(404, &serde_json::json!({ "message": "Not found" }))
    }

    /// `POST /api/ds/query` for the Codex Flow data source (`super::ds_query`): its queries to the
    /// plugin's `QueryData` with the data source's provisioned settings. Other data sources are
    /// reached through the proxy here, as the dev host draws their panels.
    async fn ds_query(&self, call: &ApiCall<'_>) -> Response {
        let message = |status: u16, m: &str| Response::json(status, &serde_json::json!({ "message": m }));
        if call.method != "POST" {
            return message(405, "Method not allowed");
        }
        let parsed = match ds_query::parse(&call.body, super::session::now_ms()) {
            Ok(p) => p,
            Err(e) => return message(400, &e),
        };
        let Some((kind, instance)) = self.datasources.instance(&parsed.datasource_uid) else {
            return message(404, "Data source not found");
        };
        if kind != DATASOURCE_ID {
            return message(400, "the dev host plays /api/ds/query for the Codex Flow data source only");
        }
        if !self.loaded.iter().any(|p| p.id == DATASOURCE_ID) {
            return message(404, "Plugin not found");
        }
        match self.host.plugin.query_data(&instance, parsed.queries, HashMap::new()).await {
            Ok(answer) => {
                let (status, body) = ds_query::answer(&answer);
                Response::json(status, &body)
            }
            Err(e) => message(500, &format!("Query data error: {e}")),
        }
    }

    /// The app's resources, settings and health, in the call's org.
    async fn app_api(&self, call: &ApiCall<'_>) -> Option<Response> {
        let (path, org) = (call.path, call.org);
        if let Some(rest) = path.strip_prefix(&format!("api/plugins/{APP_ID}/resources")) {
            // Grafana hands the plugin what follows `resources/`, without the slash, and the query with it.
            let rest = rest.trim_start_matches('/');
            // From 13 Grafana passes only these methods on; HEAD and the rest get 405 with `Allow`
            // (grafana/grafana `pkg/api/plugin_resource.go`, `validateResourceMethod`).
            const ALLOWED: [&str; 5] = ["DELETE", "GET", "PATCH", "POST", "PUT"];
            if boot::at_least(&self.host.version, 13) && !ALLOWED.contains(&call.method) {
                let mut refused = Response::json(405, &serde_json::json!({ "message": "Method not allowed" }));
                refused.headers.push(("Allow".into(), ALLOWED.join(", ")));
                return Some(refused);
            }
            let url = if call.query.is_empty() { rest.to_string() } else { format!("{rest}?{}", call.query) };
            let settings = self.current(org);
            return Some(
                match self.host.plugin.call_resource_as(org, settings.as_ref(), call.method, &url, &call.body).await {
                    Ok(r) => {
                        let mut out = Response { status: r.status as u16, headers: Vec::new(), body: r.body };
                        for (k, vs) in r.headers {
                            for v in vs {
                                out.headers.push((k.clone(), v));
                            }
                        }
                        out
                    }
                    // Grafana answers a failed plugin call with 500 and a JSON message.
                    Err(e) => {
                        Response::json(500, &serde_json::json!({ "message": format!("plugin unavailable: {e}") }))
                    }
                },
            );
        }
        if path == format!("api/plugins/{APP_ID}/settings") {
            return Some(match call.method {
                "GET" => self.settings_dto(org),
                "POST" => self.update_settings(org, &call.body),
                _ => Response::json(405, &serde_json::json!({ "message": "Method not allowed" })),
            });
        }
        if path == format!("api/plugins/{APP_ID}/health") {
            return Some(self.health(org).await);
        }
        None
    }

    /// `GET /api/plugins/<app>/health`: CheckHealth, answered as Grafana's handler does.
    async fn health(&self, org: i64) -> Response {
        let settings = self.current(org);
        health_response(self.host.plugin.check_health_as(org, settings.as_ref()).await)
    }

    /// `/api/annotations`: the org's annotations ([`super::annotations`]); a `dashboardUID` must
    /// name a dashboard the host serves.
    fn annotations_api(&self, call: &ApiCall<'_>) -> Response {
        let (status, body) = match call.method {
            "GET" => {
                let dashboards = &self.host.provisioning.dashboards;
                let exists = |uid: &str| dashboards.iter().any(|d| d["uid"] == uid);
                let with_user_uid = boot::at_least(&self.host.version, 13);
                self.annotations.find(call.org, call.query, &exists, with_user_uid)
            }
            "POST" => self.annotations.add(call.org, &call.body, super::session::now_ms()),
            _ => (405, serde_json::json!({ "message": "Method not allowed" })),
        };
        Response::json(status, &body)
    }

    /// `/api/datasources…`: the data source store ([`super::datasources`]); `…/health` is the
    /// data source's CheckHealth with its stored settings.
    async fn datasources_api(&self, call: &ApiCall<'_>) -> Option<Response> {
        let (status, body) = match (call.method, call.path) {
            ("POST", "api/datasources") => self.datasources.add(&call.body),
            (method, path) => {
                let rest = path.strip_prefix("api/datasources/uid/")?;
                match (method, rest.strip_suffix("/health")) {
                    ("GET", Some(uid)) => {
                        let Some((kind, instance)) = self.datasources.instance(uid) else {
                            return Some(Response::json(
                                404,
                                &serde_json::json!({ "message": "Data source not found" }),
                            ));
                        };
                        if kind != DATASOURCE_ID || !self.is_loaded(DATASOURCE_ID) {
                            let m = "the dev host runs the health check of the Codex Flow data source only";
                            return Some(Response::json(400, &serde_json::json!({ "message": m })));
                        }
                        return Some(health_response(self.host.plugin.check_datasource_health(&instance).await));
                    }
                    ("GET", None) => self.datasources.get(rest),
                    ("PUT", None) => self.datasources.update(rest, &call.body),
                    _ => (405, serde_json::json!({ "message": "Method not allowed" })),
                }
            }
        };
        Some(Response::json(status, &body))
    }

    /// Grafana-managed alerting: the rules API (`GET /api/prometheus/grafana/api/v1/rules`), and
    /// the host's control `POST /api/devhost/alerting/replay?from=<ms>&to=<ms>`, which evaluates every
    /// provisioned rule at each multiple of its group's interval in the range, in order, as the
    /// scheduler would have (at most [`alerting::MAX_REPLAY_TICKS`] a group).
    async fn alerting_api(&self, call: &ApiCall<'_>) -> Option<Response> {
        match (call.method, call.path) {
            ("GET", "api/prometheus/grafana/api/v1/rules") => {}
            ("POST", "api/devhost/alerting/replay") => {
                if self.host.alert_scheduler {
                    let m = "the scheduler is evaluating on the wall clock; a replay would interleave with it";
                    return Some(Response::json(409, &serde_json::json!({ "message": m })));
                }
                let param = |name: &str| {
                    call.query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))?.parse::<i64>().ok())
                };
                let (Some(from), Some(to)) = (param("from"), param("to")) else {
                    return Some(Response::json(
                        400,
                        &serde_json::json!({ "message": "from and to (epoch ms) are needed" }),
                    ));
                };
                if let Err(e) = self.evaluate_rules(from, to).await {
                    return Some(Response::json(400, &serde_json::json!({ "message": e })));
                }
            }
            _ => return None,
        }
        let states = self.alert_states.lock().await;
        Some(Response::json(200, &alerting::rules_api(&self.host.provisioning.alert_groups, &states)))
    }

    /// The scheduler, when on: every 10 s (Grafana's base interval), the rules whose interval
    /// divides the tick just reached.
    async fn alert_scheduler(&self) {
        if !self.host.alert_scheduler || self.host.provisioning.alert_groups.is_empty() {
            // Nothing to schedule: never done, so serving alone ends the host's task.
            return std::future::pending().await;
        }
        const BASE_MS: i64 = 10_000;
        loop {
            let now = super::session::now_ms();
            let next = now.div_euclid(BASE_MS).saturating_add(1).saturating_mul(BASE_MS);
            tokio::time::sleep(std::time::Duration::from_millis(u64::try_from(next - now).unwrap_or(0))).await;
            if let Err(e) = self.evaluate_rules(next, next).await {
                eprintln!("dev host: alert rules at {next}: {e}");
            }
        }
    }

    /// Every provisioned rule evaluated at each multiple of its group's interval in `[from, to]`, in
    /// time order; each evaluation's queries run without holding the states, which only its outcome
    /// updates. Nothing is evaluated when any group would pass the bound.
    async fn evaluate_rules(&self, from: i64, to: i64) -> Result<(), String> {
        let mut plan = Vec::new();
        for group in &self.host.provisioning.alert_groups {
            let every = alerting::duration_ms(&group.interval)
                .filter(|ms| *ms > 0)
                .ok_or_else(|| format!("group {}: interval {:?} is no duration", group.name, group.interval))?;
            let first =
                from.div_euclid(every).saturating_add(i64::from(from.rem_euclid(every) != 0)).saturating_mul(every);
            let ticks = to.saturating_sub(first).div_euclid(every).saturating_add(1).max(0);
            if ticks > alerting::MAX_REPLAY_TICKS {
                return Err(format!(
                    "group {}: {ticks} evaluations; at most {}",
                    group.name,
                    alerting::MAX_REPLAY_TICKS
                ));
            }
            plan.extend((0..ticks).map(|k| (first.saturating_add(k.saturating_mul(every)), group)));
        }
        plan.sort_by_key(|(at, _)| *at);
        for (at, group) in plan {
            for rule in &group.rules {
                let outcome =
                    alerting::evaluate(&self.host.plugin, |uid| self.datasources.instance(uid).map(|d| d.1), rule, at)
                        .await;
                self.alert_states.lock().await.entry(rule.uid.clone()).or_default().apply(rule, at, outcome);
            }
        }
        Ok(())
    }

    /// `/api/datasources/proxy/uid/<uid>/…` forwarded to the provisioned data source, as Grafana's proxy does.
    async fn proxy(&self, call: &ApiCall<'_>, rest: &str, content_type: &str, http: &reqwest::Client) -> Response {
        let (uid, sub) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(base) = self.host.provisioning.datasources.get(uid) else {
            return Response::json(404, &serde_json::json!({ "message": "Data source not found" }));
        };
        let url = if call.query.is_empty() { format!("{base}/{sub}") } else { format!("{base}/{sub}?{}", call.query) };
        let mut req = http.request(call.method.parse().unwrap_or(reqwest::Method::GET), url).body(call.body.clone());
        if !content_type.is_empty() {
            req = req.header("content-type", content_type);
        }
        match req.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let bytes = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                Response { status, headers: vec![("Content-Type".into(), "application/json".into())], body: bytes }
            }
            Err(e) => Response::json(502, &serde_json::json!({ "message": format!("bad gateway: {e}") })),
        }
    }

    /// A dashboard by uid; every provisioned dashboard is also shared publicly (its uid as the access
    /// token) and as a snapshot (its uid as the key), so the panel can be seen where no app resource
    /// can be called.
    fn dashboard_api(&self, path: &str) -> Option<Response> {
        let dashboard_api = [
            ("api/dashboards/uid/", serde_json::json!({ "provisioned": true, "slug": "codex-pipeline-observability" })),
            ("api/public/dashboards/", serde_json::json!({ "publicDashboardEnabled": true })),
            ("api/snapshots/", serde_json::json!({ "isSnapshot": true })),
        ];
        let (uid, meta) =
            dashboard_api.into_iter().find_map(|(prefix, meta)| path.strip_prefix(prefix).map(|uid| (uid, meta)))?;
        Some(match self.host.provisioning.dashboards.iter().find(|d| d["uid"] == uid) {
            Some(d) => Response::json(200, &serde_json::json!({ "dashboard": d, "meta": meta })),
            None => Response::json(404, &serde_json::json!({ "message": "Dashboard not found" })),
        })
    }

    /// What Grafana 13 answers for a dashboard stored as schema v2 (`super::dashboard_v2`): the legacy
    /// API's 406, and the resource API in each version played (`dashboard_v2::resource`), in the org's
    /// namespace.
    fn dashboard_v2_api(&self, path: &str, org: i64) -> Option<Response> {
        let provisioning = &self.host.provisioning;
        let stored_as_v2 = |uid: &str| provisioning.stored_as_v2.iter().any(|u| u == uid);
        let stored = dashboard_v2::stored_version(&self.host.version);
        if let Some(uid) = path.strip_prefix("api/dashboards/uid/") {
            return stored_as_v2(uid).then(|| Response::json(406, &dashboard_v2::legacy_refusal(uid, org, stored)));
        }
        let rest = path.strip_prefix("apis/dashboard.grafana.app/")?;
        let parts: Vec<&str> = rest.split('/').collect();
        let not_found =
            || Response::json(404, &serde_json::json!({ "message": "dashboards.dashboard.grafana.app not found" }));
        let [version, "namespaces", ns, "dashboards", uid] = parts.as_slice() else { return Some(not_found()) };
        if *ns != dashboard_v2::namespace(org) {
            return Some(not_found());
        }
        // A v1-stored dashboard is served by the legacy API here; the resource API is played for v2 only.
        let v2 = provisioning.dashboards.iter().find(|d| d["uid"] == *uid).filter(|_| stored_as_v2(uid));
        let Some(d) = v2 else { return Some(not_found()) };
        Some(match dashboard_v2::resource(d, version, org, stored) {
            Some(r) => Response::json(200, &r),
            None => not_found(),
        })
    }

    /// Pages (dashboards, public dashboards, snapshots, plugin pages, Explore) and static files.
    fn page_or_asset(&self, method: &str, path: &str, query: &str, caller: &Caller) -> Response {
        if method != "GET" && method != "HEAD" {
            return Response::text(405, "method not allowed");
        }
        if let Some(rest) = path.strip_prefix(&format!("public/plugins/{APP_ID}/")) {
            return file(&self.host.dist, rest);
        }
        if let Some(rest) = path.strip_prefix(&format!("public/plugins/{PANEL_ID}/")) {
            return file(&self.host.dist.join("panel"), rest);
        }
        if let Some(rest) = path.strip_prefix(&format!("public/plugins/{DATASOURCE_ID}/")) {
            return file(&self.host.dist.join("datasource"), rest);
        }
        if let Some(rest) = path.strip_prefix("public/harness/") {
            return file(&self.host.harness, rest);
        }
        if path == "favicon.ico" {
            return file(&self.host.harness, "favicon.svg");
        }
        if path.is_empty() {
            return Response {
                status: 302,
                headers: vec![("Location".into(), "/d/codex-pipeline-observability".into())],
                body: Vec::new(),
            };
        }
        if let Some(uid) = path.strip_prefix("goto/") {
            // Signed in only, as Grafana's `reqSignedIn` on the route; the uid looked up in the user's org.
            let org = match self.sessions.authorize(&caller.cookie, None) {
                Ok(org) => org,
                Err(denied) => return denied_response(&denied),
            };
            let root = app_url(caller);
            let (status, to) = match self.short_urls.target(org, uid) {
                Some(path) => (302, format!("{root}{path}")),
                None => (308, root),
            };
            return Response { status, headers: vec![("Location".into(), to)], body: Vec::new() };
        }
        if let Some(token) = path.strip_prefix("public-dashboards/") {
            return self.index(query, Some(token), caller);
        }
        if path.starts_with("d/")
            || path.starts_with("d-solo/")
            || path.starts_with("plugins/")
            || path.starts_with("dashboard/snapshot/")
            || path == "explore"
            || path.starts_with("connections/datasources/edit/")
        {
            return self.index(query, None, caller);
        }
        Response::text(404, "not found")
    }

    /// The session's own routes (Grafana's `pkg/api/user_token.go`, `pkg/api/login.go`,
    /// `pkg/api/user.go`) and the host's control to expire a session ([`super::session`]).
    fn session_route(&self, method: &str, path: &str, caller: &Caller) -> Option<Response> {
        let cookie = caller.cookie.as_str();
        let answer = match (method, path) {
            ("POST", "api/user/auth-tokens/rotate") => match self.sessions.rotate(cookie) {
                Some(set) => Response::json(200, &serde_json::json!({ "message": "Token rotated" })).with_cookies(set),
                None => denied_response(&Denied::NoSession),
            },
            ("GET", "api/login/ping") => match self.sessions.authorize(cookie, None) {
                Ok(_) => Response::json(200, &serde_json::json!({ "message": "Logged in" })),
                Err(d) => denied_response(&d),
            },
            ("POST", "api/devhost/expire-session") => match self.sessions.expire(cookie) {
                Some(set) => {
                    Response::json(200, &serde_json::json!({ "message": "session expired (dev host control)" }))
                        .with_cookies(set)
                }
                None => denied_response(&Denied::NoSession),
            },
            ("GET", "api/devhost/rotations") => Response::json(
                200,
                &serde_json::json!({ "rotations": self.sessions.rotations.load(std::sync::atomic::Ordering::Relaxed) }),
            ),
            ("POST", p) if p.starts_with("api/user/using/") => match p["api/user/using/".len()..].parse::<i64>() {
                Ok(org) => match self.sessions.use_org(cookie, org) {
                    Ok(()) => Response::json(200, &serde_json::json!({ "message": "Active organization changed" })),
                    Err(d) => denied_response(&d),
                },
                Err(_) => Response::json(400, &serde_json::json!({ "message": "id is invalid" })),
            },
            _ => return None,
        };
        Some(answer)
    }

    /// Grafana's index page, with its boot data filled in on the server for the caller's session
    /// (started here when there is none; `?orgId=` switches its org).
    fn index(&self, query: &str, public_token: Option<&str>, caller: &Caller) -> Response {
        let Ok(template) = std::fs::read_to_string(self.host.harness.join("index.html")) else {
            return Response::text(500, "the harness page is not built (node testkit/src/grafana/page/build.mjs)");
        };
        let org = query.split('&').find_map(|kv| kv.strip_prefix("orgId=")).and_then(|v| v.parse::<i64>().ok());
        let (session, cookies) = match public_token {
            // A public dashboard's viewer is anonymous: no session.
            Some(_) => (None, Vec::new()),
            None => {
                let (session, cookies) = self.sessions.page(&caller.cookie, org);
                (Some(session), cookies)
            }
        };
        let page = boot::Page {
            app_url: app_url(caller),
            public_token: public_token.map(str::to_string),
            org_id: session.map_or(1, |s| s.org_id),
            ..boot::Page::from_query(query, &self.host.version)
        };
        let html = template
            .replace(
                "/*BOOT_DATA*/",
                &boot::boot_data(&page, &self.loaded, &self.host.dist, &self.datasources.metas()).to_string(),
            )
            .replace("__SYSTEMJS__", page.systemjs_dir())
            .replace("__PAGE__", page.page_dir());
        Response {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: html.into_bytes(),
        }
        .with_cookies(cookies)
    }

    /// Grafana's `PluginSetting` DTO: the plugin's `plugin.json` facts plus the org's settings.
    fn settings_dto(&self, org: i64) -> Response {
        let meta: serde_json::Value = std::fs::read(self.host.dist.join("plugin.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| serde_json::json!({ "id": APP_ID, "type": "app" }));
        let Some(stored) = self.stored.read().unwrap_or_else(|p| p.into_inner()).get(&org).cloned() else {
            return Response::json(404, &serde_json::json!({ "message": "Plugin not found" }));
        };
        let secure_json_fields: serde_json::Map<String, serde_json::Value> = stored
            .settings
            .secure_json_data
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, _)| (k.clone(), serde_json::Value::Bool(true)))
            .collect();
        Response::json(
            200,
            &serde_json::json!({
                "name": meta["name"], "type": meta["type"], "id": meta["id"], "info": meta["info"],
                "includes": meta["includes"], "dependencies": meta["dependencies"],
                "enabled": stored.enabled, "pinned": stored.pinned, "autoEnabled": false,
                "module": format!("public/plugins/{APP_ID}/module.js"), "baseUrl": format!("public/plugins/{APP_ID}"),
                "jsonData": stored.settings.json_data, "secureJsonFields": secure_json_fields,
                "defaultNavUrl": "", "hasUpdate": false, "state": "", "signature": "unsigned",
                "signatureType": "", "signatureOrg": "", "latestVersion": "",
            }),
        )
    }

    fn update_settings(&self, org: i64, body: &[u8]) -> Response {
        let update: SettingsUpdate = match serde_json::from_slice(body) {
            Ok(u) => u,
            Err(e) => {
                return Response::json(
                    400,
                    &serde_json::json!({ "message": "bad request data", "error": e.to_string() }),
                )
            }
        };
        let mut all = self.stored.write().unwrap_or_else(|p| p.into_inner());
        let Some(stored) = all.get_mut(&org) else {
            return Response::json(404, &serde_json::json!({ "message": "Plugin not found" }));
        };
        stored.enabled = update.enabled;
        stored.pinned = update.pinned;
        stored.settings.json_data = update.json_data.unwrap_or(serde_json::Value::Null);
        stored.saved = true;
        for (k, v) in update.secure_json_data.unwrap_or_default() {
            stored.settings.secure_json_data.insert(k, v);
        }
        Response::json(200, &serde_json::json!({ "message": "Plugin settings updated" }))
    }
}

/// An API call once its session is checked.
struct ApiCall<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    body: Vec<u8>,
    org: i64,
}

/// What the host reads of a request besides its method, target and body.
struct Caller {
    /// The `Host` header: the dev host's root URL is the one the browser reached.
    host: String,
    content_type: String,
    cookie: String,
    org_header: Option<String>,
}

/// A plugin's CheckHealth answered as Grafana's handlers answer it (`pkg/api/plugins.go`,
/// `CheckHealth` and `CheckDatasourceHealthWithUID`): the status by the enum's name, as
/// `resp.Status.String()` spells it, the details when JSON, 400 when not OK.
fn health_response(answer: Result<pluginv2::CheckHealthResponse, HostError>) -> Response {
    let r = match answer {
        Ok(r) => r,
        Err(e) => {
            return Response::json(503, &serde_json::json!({ "message": format!("Plugin health check failed: {e}") }))
        }
    };
    let mut payload = serde_json::json!({ "status": r.status().as_str_name(), "message": r.message });
    if !r.json_details.is_empty() {
        match serde_json::from_slice::<serde_json::Value>(&r.json_details) {
            Ok(details) => payload["details"] = details,
            Err(_) => {
                return Response::json(
                    500,
                    &serde_json::json!({ "message": "Failed to unmarshal detailed response from backend plugin" }),
                )
            }
        }
    }
    let ok = r.status() == pluginv2::check_health_response::HealthStatus::Ok;
    Response::json(if ok { 200 } else { 400 }, &payload)
}

/// Grafana's root URL (`cfg.AppURL`, ending in `/`): here, where the browser reached the host.
fn app_url(caller: &Caller) -> String {
    format!("http://{}/", caller.host)
}

fn denied_response(denied: &Denied) -> Response {
    let (status, body) = denied.answer();
    Response::json(status, &body)
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn with_cookies(mut self, cookies: Vec<String>) -> Response {
        self.headers.extend(cookies.into_iter().map(|c| ("Set-Cookie".to_string(), c)));
        self
    }

    fn text(status: u16, text: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
        }
    }

    fn json(status: u16, value: &serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }
}

/// A file under `root`, refusing anything that climbs out of it.
fn file(root: &Path, rel: &str) -> Response {
    let rel = Path::new(rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Response::text(400, "bad path");
    }
    let path = root.join(rel);
    match std::fs::read(&path) {
        Ok(body) => {
            let content_type = match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
                "js" | "mjs" => "text/javascript; charset=utf-8",
                "wasm" => "application/wasm",
                "json" | "map" => "application/json",
                "svg" => "image/svg+xml",
                "html" => "text/html; charset=utf-8",
                "css" => "text/css",
                "png" => "image/png",
                "md" => "text/markdown",
                _ => "application/octet-stream",
            };
            Response { status: 200, headers: vec![("Content-Type".into(), content_type.into())], body }
        }
        Err(_) => Response::text(404, "not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disabled_app_still_gets_its_settings_and_a_never_saved_one_none() {
        let settings = AppSettings {
            json_data: serde_json::json!({"prometheusUrl": "http://p"}),
            secure_json_data: HashMap::new(),
        };
        let disabled = StoredSettings { enabled: false, pinned: false, saved: true, settings: settings.clone() };
        assert_eq!(disabled.instance_settings().map(|s| s.json_data), Some(settings.json_data.clone()));
        let never = StoredSettings { enabled: false, pinned: false, saved: false, settings };
        assert!(never.instance_settings().is_none());
    }
}
