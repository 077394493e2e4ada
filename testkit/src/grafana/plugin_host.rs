//! Plays Grafana's part towards a backend plugin binary.
//!
//! What Grafana does and we do too (see `../shared/reference/grafana-plugin-contracts.md`):
//! start the executable with `grafana_plugin_type=datasource` (the value Grafana
//! also uses for apps), `PLUGIN_PROTOCOL_VERSIONS=2` and a port range; read one
//! handshake line `1|2|tcp|127.0.0.1:PORT|grpc` from stdout; speak pluginv2
//! gRPC to that address; send `PluginContext` with the app's instance settings
//! (jsonData as JSON bytes, secrets decrypted); give `CallResource` the path
//! after `/resources/` without a leading slash and the URL with its query.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use grafana_plugin_sdk::pluginv2;
use thiserror::Error;

use crate::grafana::session::now_ms;

pub const APP_ID: &str = "proompteng-codexflow-app";

/// The largest gRPC message Grafana's side takes and sends: go-plugin dials with
/// `MaxCallRecvMsgSize(math.MaxInt32)` and `MaxCallSendMsgSize(math.MaxInt32)`
/// (hashicorp/go-plugin `grpc_client.go`, `dialGRPCConn`), not gRPC's 4 MiB default.
pub const GO_PLUGIN_MAX_MESSAGE: usize = i32::MAX as usize;

#[derive(Debug, Error)]
pub enum HostError {
    #[error("cannot start {path}: {source}")]
    Spawn { path: String, source: std::io::Error },
    #[error("bad handshake line {0:?}; expected 1|2|tcp|127.0.0.1:PORT|grpc")]
    Handshake(String),
    #[error("plugin exited or printed nothing within {0:?}; stderr: {1}")]
    NoHandshake(Duration, String),
    #[error("gRPC: {0}")]
    Grpc(String),
}

/// The app's settings as Grafana would hold them for one organisation.
#[derive(Debug, Clone, Default)]
pub struct AppSettings {
    pub json_data: serde_json::Value,
    pub secure_json_data: HashMap<String, String>,
}

/// Rounds of upstream requests one call may wait on one after another, each within the settings'
/// timeout: the rules in force, the fetch (the Alertmanager beside it), a failed batch asked part by
/// part, and each look-back for the start of an alert that fires at the window's edge.
pub const UPSTREAM_ROUNDS: u32 = 3 + codexflow_core::limits::ACTIVE_AT_LOOKBACK_MS.len() as u32;
/// What the plugin's own work (a debug build on two busy cores) may add to those rounds: far below
/// the minutes a stall takes, and no measure of speed.
pub const WORK_MARGIN: Duration = Duration::from_secs(60);

impl AppSettings {
    /// The longest a call with these settings may take by the plugin's construction: every round of
    /// upstream requests at the settings' timeout (or the default), and the margin for its own work.
    /// A call past it has stalled; tests of "never stalls" wait this long and no longer.
    pub fn stall_bound(&self) -> Duration {
        let timeout = self.json_data.get("timeout").and_then(serde_json::Value::as_str);
        let timeout_ms = timeout.and_then(|t| codexflow_core::duration::parse_duration(t).ok());
        let timeout_ms = u64::try_from(timeout_ms.unwrap_or(codexflow_core::limits::DEFAULT_TIMEOUT.ms)).unwrap_or(0);
        Duration::from_millis(timeout_ms) * UPSTREAM_ROUNDS + WORK_MARGIN
    }
}

/// A resource call's answer, headers lower-cased.
#[derive(Debug, Clone)]
pub struct ResourceResponse {
    pub status: i32,
    pub headers: HashMap<String, Vec<String>>,
    pub body: Vec<u8>,
}

impl ResourceResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A running plugin process, killed on drop.
pub struct PluginProcess {
    child: Child,
    pub address: String,
    stderr: Arc<Mutex<String>>,
    channel: tonic::transport::Channel,
}

impl PluginProcess {
    /// Starts the executable as Grafana does and connects to it.
    pub async fn start(executable: &Path) -> Result<PluginProcess, HostError> {
        Self::start_with(executable, &[]).await
    }

    /// Starts `program args…` with Grafana's environment, e.g. `qemu-aarch64 … gpx_codexflow_linux_arm64`.
    pub async fn start_with(program: &Path, args: &[&str]) -> Result<PluginProcess, HostError> {
        Self::start_with_env(program, args, &[]).await
    }

    /// Like [`PluginProcess::start_with`], with more environment (`RUST_LOG`, a port range).
    pub async fn start_with_env(
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<PluginProcess, HostError> {
        let executable = program;
        let mut child = Command::new(executable)
            .args(args)
            .env("grafana_plugin_type", "datasource")
            .env("PLUGIN_PROTOCOL_VERSIONS", "2")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .envs(env.iter().copied())
            .env("GF_VERSION", "12.2.0")
            .env("GF_EDITION", "oss")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| HostError::Spawn { path: executable.display().to_string(), source })?;

        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut err) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock().unwrap_or_else(|p| p.into_inner()).push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        // The handshake is the first stdout line; go-plugin keeps reading stdout after it, so do we.
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().ok_or_else(|| HostError::Handshake("no stdout".into()))?;
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            for _ in lines {}
        });
        let wait = Duration::from_secs(30);
        let line = match rx.recv_timeout(wait) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                let text = stderr.lock().unwrap_or_else(|p| p.into_inner()).clone();
                return Err(HostError::NoHandshake(wait, text));
            }
        };
        let address = parse_handshake(&line)?;
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| HostError::Grpc(e.to_string()))?
            .connect_timeout(Duration::from_secs(10));
        let channel = endpoint.connect().await.map_err(|e| HostError::Grpc(e.to_string()))?;
        Ok(PluginProcess { child, address, stderr, channel })
    }

    /// The process id, for reading its memory from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now and at its peak, in KiB (`VmRSS`, `VmHWM` of `/proc/<pid>/status`).
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// What the plugin logged to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `GET|POST /api/plugins/<app>/resources/<path_and_query>` as Grafana forwards it, in org 1.
    pub async fn call_resource(
        &self,
        settings: Option<&AppSettings>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<ResourceResponse, HostError> {
        self.call_resource_as(1, settings, method, path_and_query, body).await
    }

    /// `POST v1/evaluate` with `settings` over `[from, to]` at `interval_ms`: the answer, or a panic
    /// with what the plugin said instead.
    pub async fn evaluate(
        &self,
        settings: &AppSettings,
        from: i64,
        to: i64,
        interval_ms: Option<i64>,
    ) -> codexflow_core::api::EvaluateResponse {
        let request = codexflow_core::api::EvaluateRequest { from, to, interval_ms, encoding: Default::default() };
        let body = serde_json::to_vec(&request).expect("a request");
        let r = self.call_resource(Some(settings), "POST", "v1/evaluate", &body).await.expect("CallResource");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        serde_json::from_slice(&r.body).expect("an evaluation")
    }

    /// [`PluginProcess::call_resource`] in `org_id`.
    pub async fn call_resource_as(
        &self,
        org_id: i64,
        settings: Option<&AppSettings>,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> Result<ResourceResponse, HostError> {
        let path = path_and_query.split('?').next().unwrap_or("").to_string();
        let mut headers = HashMap::new();
        headers.insert("Content-Type".to_string(), pluginv2::StringList { values: vec!["application/json".into()] });
        headers.insert("Accept".to_string(), pluginv2::StringList { values: vec!["application/json".into()] });
        let request = pluginv2::CallResourceRequest {
            plugin_context: Some(plugin_context(org_id, settings)),
            path,
            method: method.to_string(),
            url: path_and_query.to_string(),
            headers,
            body: body.to_vec().into(),
        };
        let mut client = pluginv2::resource_client::ResourceClient::new(self.channel.clone())
            .max_decoding_message_size(GO_PLUGIN_MAX_MESSAGE)
            .max_encoding_message_size(GO_PLUGIN_MAX_MESSAGE);
        let mut stream = client.call_resource(request).await.map_err(|e| HostError::Grpc(e.to_string()))?.into_inner();
        // The first message carries status and headers; further messages only add to the body.
        let mut out: Option<ResourceResponse> = None;
        while let Some(msg) = stream.message().await.map_err(|e| HostError::Grpc(e.to_string()))? {
            match out.as_mut() {
                None => {
                    out = Some(ResourceResponse {
                        status: msg.code,
                        headers: msg.headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v.values)).collect(),
                        body: msg.body.to_vec(),
                    })
                }
                Some(r) => r.body.extend_from_slice(&msg.body),
            }
        }
        out.ok_or_else(|| HostError::Grpc("empty CallResource stream".into()))
    }

    /// `CheckHealth`, as Grafana's "Save & test" / health endpoint calls it.
    pub async fn check_health(
        &self,
        settings: Option<&AppSettings>,
    ) -> Result<pluginv2::CheckHealthResponse, HostError> {
        self.check_health_as(1, settings).await
    }

    /// [`PluginProcess::check_health`] in `org_id`.
    pub async fn check_health_as(
        &self,
        org_id: i64,
        settings: Option<&AppSettings>,
    ) -> Result<pluginv2::CheckHealthResponse, HostError> {
        let mut client = self.diagnostics();
        let request = pluginv2::CheckHealthRequest {
            plugin_context: Some(plugin_context(org_id, settings)),
            ..Default::default()
        };
        client.check_health(request).await.map(|r| r.into_inner()).map_err(|e| HostError::Grpc(e.to_string()))
    }
}

/// A data source instance as Grafana stores it: what `ModelToInstanceSettings` hands a plugin.
#[derive(Debug, Clone)]
pub struct DataSourceInstance {
    pub id: i64,
    pub uid: String,
    pub name: String,
    pub settings: AppSettings,
}

impl PluginProcess {
    /// A client of the plugin's diagnostics service, with go-plugin's message limits.
    fn diagnostics(&self) -> pluginv2::diagnostics_client::DiagnosticsClient<tonic::transport::Channel> {
        pluginv2::diagnostics_client::DiagnosticsClient::new(self.channel.clone())
            .max_decoding_message_size(GO_PLUGIN_MAX_MESSAGE)
            .max_encoding_message_size(GO_PLUGIN_MAX_MESSAGE)
    }

    /// `QueryData` as `/api/ds/query` sends it (grafana/grafana `pkg/services/query/query.go`): the
    /// data source instance in the plugin context, every query with the request's range, and the
    /// headers a caller adds (alerting: `FromAlert: true`).
    pub async fn query_data(
        &self,
        datasource: &DataSourceInstance,
        queries: Vec<pluginv2::DataQuery>,
        headers: HashMap<String, String>,
    ) -> Result<pluginv2::QueryDataResponse, HostError> {
        let mut client = pluginv2::data_client::DataClient::new(self.channel.clone())
            .max_decoding_message_size(GO_PLUGIN_MAX_MESSAGE)
            .max_encoding_message_size(GO_PLUGIN_MAX_MESSAGE);
        let request =
            pluginv2::QueryDataRequest { plugin_context: Some(datasource_context(datasource)), headers, queries };
        client.query_data(request).await.map(|r| r.into_inner()).map_err(|e| HostError::Grpc(e.to_string()))
    }

    /// "Save & test" on a data source's settings page: `CheckHealth` with its instance settings.
    pub async fn check_datasource_health(
        &self,
        datasource: &DataSourceInstance,
    ) -> Result<pluginv2::CheckHealthResponse, HostError> {
        let mut client = self.diagnostics();
        let request =
            pluginv2::CheckHealthRequest { plugin_context: Some(datasource_context(datasource)), ..Default::default() };
        client.check_health(request).await.map(|r| r.into_inner()).map_err(|e| HostError::Grpc(e.to_string()))
    }
}

/// The signed-in admin Grafana names in a `PluginContext`.
fn admin() -> pluginv2::User {
    pluginv2::User {
        login: "admin".into(),
        name: "admin".into(),
        email: "admin@localhost".into(),
        role: "Admin".into(),
    }
}

/// Grafana's `PluginContext` for a data source instance in org 1 (grafana/grafana
/// `pkg/services/datasources/...`, `ModelToInstanceSettings`; the SDK's `convert_to_protobuf.go`).
fn datasource_context(ds: &DataSourceInstance) -> pluginv2::PluginContext {
    let updated = now_ms();
    pluginv2::PluginContext {
        org_id: 1,
        plugin_id: codexflow_core::datasource::DATASOURCE_ID.to_string(),
        user: Some(admin()),
        data_source_instance_settings: Some(pluginv2::DataSourceInstanceSettings {
            id: ds.id,
            uid: ds.uid.clone(),
            name: ds.name.clone(),
            json_data: serde_json::to_vec(&ds.settings.json_data).unwrap_or_default(),
            decrypted_secure_json_data: ds.settings.secure_json_data.clone(),
            last_updated_ms: updated,
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl Drop for PluginProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses go-plugin's handshake: core protocol 1, app protocol 2, tcp, grpc.
pub fn parse_handshake(line: &str) -> Result<String, HostError> {
    let parts: Vec<&str> = line.trim().split('|').collect();
    match parts.as_slice() {
        ["1", "2", "tcp", addr, "grpc"] if addr.parse::<std::net::SocketAddr>().is_ok() => Ok(addr.to_string()),
        _ => Err(HostError::Handshake(line.to_string())),
    }
}

/// Grafana's `PluginContext` for the app in `org_id`, with a signed-in admin.
fn plugin_context(org_id: i64, settings: Option<&AppSettings>) -> pluginv2::PluginContext {
    let updated = now_ms();
    pluginv2::PluginContext {
        org_id,
        plugin_id: APP_ID.to_string(),
        user: Some(admin()),
        // Grafana always sends an app its instance settings, enabled or not: the stored ones, or for an
        // app never saved empty `jsonData` bytes and no secrets (grafana/grafana
        // pkg/services/pluginsintegration/plugincontext/plugincontext.go, `appInstanceSettings`).
        app_instance_settings: Some(match settings {
            Some(s) => pluginv2::AppInstanceSettings {
                json_data: serde_json::to_vec(&s.json_data).unwrap_or_default(),
                decrypted_secure_json_data: s.secure_json_data.clone(),
                last_updated_ms: updated,
            },
            None => pluginv2::AppInstanceSettings {
                json_data: Vec::new(),
                decrypted_secure_json_data: Default::default(),
                last_updated_ms: 0,
            },
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_lines() {
        assert_eq!(parse_handshake("1|2|tcp|127.0.0.1:1234|grpc\n").unwrap(), "127.0.0.1:1234");
        for bad in [
            "",
            "1|1|tcp|127.0.0.1:1|grpc",
            "1|2|unix|/tmp/x|grpc",
            "1|2|tcp|nohost|grpc",
            "1|2|tcp|127.0.0.1:1|netrpc",
        ] {
            assert!(parse_handshake(bad).is_err(), "{bad}");
        }
    }
}
