//! A real Alertmanager (Debian's `prometheus-alertmanager` 0.25) on a loopback port: a ruler sends
//! it alerts, a test silences them through its API v2 as an on-call engineer would (`amtool`, the
//! UI), and the plugin reads its alerts and silences back.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::daemon::{failed, free_port, scratch_dir, DaemonError};
use crate::daemon::{Daemon, Readiness};
use crate::prometheus::http_get;

/// An Alertmanager process and its data directory, both gone on drop.
pub struct AlertmanagerServer {
    _daemon: Daemon,
    /// `http://127.0.0.1:<port>`: the base `/api/v2/...` is appended to.
    pub url: String,
    /// `127.0.0.1:<port>`, for a Prometheus' `alerting.alertmanagers` targets.
    pub addr: String,
}

/// Alerts grouped by name, sent nowhere: what is asserted is Alertmanager's own state.
const CONFIG: &str = "route:\n  receiver: nowhere\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: nowhere\n";

impl AlertmanagerServer {
    pub fn start() -> Result<AlertmanagerServer, DaemonError> {
        let binary = ["/usr/bin/prometheus-alertmanager", "/usr/bin/alertmanager"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or(DaemonError::Missing { binary: "prometheus-alertmanager", package: "prometheus-alertmanager" })?;
        let dir = scratch_dir("codexflow-am");
        let config = dir.join("alertmanager.yml");
        std::fs::write(&config, CONFIG).map_err(|e| failed("write alertmanager.yml", e))?;
        let port = free_port().map_err(|e| failed("pick a port", e))?;
        let addr = format!("127.0.0.1:{port}");
        let mut command = Command::new(binary);
        command
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            // One instance: no gossip port to collide with another test's.
            .arg("--cluster.listen-address=")
            .arg("--log.level=warn");
        let readiness =
            Readiness { addr: &addr, path: "/-/ready", ready: &|code| code == 200, within: Duration::from_secs(30) };
        let daemon = Daemon::start("alertmanager", command, dir, readiness)?;
        Ok(AlertmanagerServer { _daemon: daemon, url: format!("http://{addr}"), addr })
    }

    /// `POST /api/v2/silences`: silences alerts named `alertname` from now until `ends_at` (epoch ms),
    /// returning the silence's id.
    pub async fn silence(
        &self,
        alertname: &str,
        created_by: &str,
        comment: &str,
        ends_at: i64,
    ) -> Result<String, String> {
        let now = crate::simulator::now_ms();
        let body = serde_json::json!({
            "matchers": [{ "name": "alertname", "value": alertname, "isRegex": false, "isEqual": true }],
            "startsAt": rfc3339(now - 1_000),
            "endsAt": rfc3339(ends_at),
            "createdBy": created_by,
            "comment": comment,
        });
        // reqwest is built without a bundled crypto provider; ring is the workspace's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::Client::new()
            .post(format!("{}/api/v2/silences", self.url))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        let answer: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        match answer["silenceID"].as_str() {
            Some(id) if status.is_success() => Ok(id.to_string()),
            _ => Err(format!("HTTP {status}: {answer}")),
        }
    }

    /// `GET /api/v2/alerts`, as JSON.
    pub fn alerts(&self) -> serde_json::Value {
        http_get(&self.addr, "/api/v2/alerts")
            .and_then(|(_, body)| serde_json::from_str(&body).ok())
            .unwrap_or_default()
    }
}

/// Epoch ms as RFC 3339 in UTC, as Alertmanager reads times.
fn rfc3339(ms: i64) -> String {
    use codexflow_core::format::{utc_clock, utc_date};
    format!("{}T{}:{:02}.{:03}Z", utc_date(ms), utc_clock(ms), ms.div_euclid(1000).rem_euclid(60), ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_written_as_alertmanager_reads_them() {
        assert_eq!(super::rfc3339(1_796_158_800_500), "2026-12-01T21:00:00.500Z");
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
