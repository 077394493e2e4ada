//! A real Prometheus (Debian's 2.42) on a loopback port, with backfilled history.
//!
//! History goes in through `promtool tsdb create-blocks-from openmetrics`
//! before the server starts, so every sample is there from the first query;
//! readiness is `/-/ready`, never a sleep.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::daemon::{failed, free_port, scratch_dir, which, Daemon, DaemonError, Readiness};

/// A Prometheus process and its data directory, both gone on drop.
pub struct PrometheusServer {
    daemon: Daemon,
    pub url: String,
}

/// Runs promtool with `args`, failing with its output.
pub fn promtool(args: &[&str], cwd: Option<&Path>) -> Result<String, DaemonError> {
    let mut cmd = Command::new(which("promtool", "prometheus")?);
    cmd.args(args);
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let out = cmd.output().map_err(|e| failed("promtool", e))?;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        Err(failed(format!("promtool {}", args.join(" ")), text))
    }
}

/// What to start Prometheus with.
#[derive(Debug, Default, Clone)]
pub struct PromOptions<'a> {
    /// History to backfill (OpenMetrics, may be empty).
    pub openmetrics: &'a str,
    /// YAML list under `scrape_configs:` (may be empty).
    pub scrape_configs: &'a str,
    /// Contents of `--web.config.file` (e.g. `basic_auth_users`), if any.
    pub web_config: Option<&'a str>,
    /// Rule files (name, Prometheus rule-group YAML) the server evaluates itself, as a ruler.
    pub rule_files: &'a [(&'a str, &'a str)],
    /// `global.scrape_interval`; 15 s when `None`.
    pub scrape_interval: Option<&'a str>,
    /// More flags, e.g. `--web.route-prefix=/prometheus` (Mimir's path shape) or
    /// `--web.enable-remote-write-receiver` (for vmalert's state).
    pub args: &'a [&'a str],
    /// Alertmanagers (`host:port`) the rules' alerts are sent to (`alerting.alertmanagers`).
    pub alertmanagers: &'a [&'a str],
}

impl PrometheusServer {
    /// Backfills `openmetrics` (may be empty) and starts Prometheus with `scrape_configs` (YAML list, may be empty).
    pub fn start(openmetrics: &str, scrape_configs: &str) -> Result<PrometheusServer, DaemonError> {
        Self::start_with(&PromOptions { openmetrics, scrape_configs, ..PromOptions::default() })
    }

    pub fn start_with(options: &PromOptions) -> Result<PrometheusServer, DaemonError> {
        let PromOptions { openmetrics, scrape_configs, web_config, rule_files, scrape_interval, args, alertmanagers } =
            *options;
        let prometheus = which("prometheus", "prometheus")?;
        let dir = scratch_dir("codexflow-prom");
        let data = dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| failed("create data dir", e))?;
        if !openmetrics.trim().is_empty() {
            let input = dir.join("history.om");
            std::fs::write(&input, openmetrics).map_err(|e| failed("write history", e))?;
            let (input, data) = (input.display().to_string(), data.display().to_string());
            promtool(&["tsdb", "create-blocks-from", "openmetrics", &input, &data], None)?;
        }
        let config = dir.join("prometheus.yml");
        let scrape = if scrape_configs.trim().is_empty() { "[]".to_string() } else { format!("\n{scrape_configs}") };
        let mut rules = String::new();
        for (name, yaml) in rule_files {
            let path = dir.join(name);
            std::fs::write(&path, yaml).map_err(|e| failed("write rule file", e))?;
            rules.push_str(&format!("\n  - {}", path.display()));
        }
        let rules = if rules.is_empty() { " []".to_string() } else { rules };
        let interval = scrape_interval.unwrap_or("15s");
        let alerting = if alertmanagers.is_empty() {
            String::new()
        } else {
            let targets: Vec<String> = alertmanagers.iter().map(|a| format!("'{a}'")).collect();
            format!("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [{}]\n", targets.join(", "))
        };
        std::fs::write(&config, format!("global:\n  scrape_interval: {interval}\n  evaluation_interval: 1m\n{alerting}rule_files:{rules}\nscrape_configs: {scrape}\n"))
            .map_err(|e| failed("write config", e))?;
        let port = free_port().map_err(|e| failed("pick a port", e))?;
        let addr = format!("127.0.0.1:{port}");
        let mut command = Command::new(prometheus);
        if let Some(web) = web_config {
            let path = dir.join("web.yml");
            std::fs::write(&path, web).map_err(|e| failed("write web config", e))?;
            command.arg(format!("--web.config.file={}", path.display()));
        }
        command
            .args(args)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg("--storage.tsdb.retention.time=3650d")
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn");
        let prefix = args
            .iter()
            .find_map(|a| a.strip_prefix("--web.route-prefix="))
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        let ready_path = format!("{prefix}/-/ready");
        // Behind basic auth, a 401 to the anonymous probe also says it is up.
        let ready = |code: u16| code == 200 || (web_config.is_some() && code == 401);
        let readiness = Readiness { addr: &addr, path: &ready_path, ready: &ready, within: Duration::from_secs(60) };
        let daemon = Daemon::start("prometheus", command, dir, readiness)?;
        Ok(PrometheusServer { daemon, url: format!("http://{addr}") })
    }

    pub fn is_running(&mut self) -> bool {
        self.daemon.is_running()
    }

    /// The host:port Prometheus listens on.
    pub fn address(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

/// A minimal blocking HTTP/1.0 GET: status code and body, or None when nothing answers.
pub fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Some((code, body))
}
