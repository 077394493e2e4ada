//! The dev host: a real Prometheus with the pipeline's recent history, the plugin binary started as
//! Grafana starts it, and the dashboard served at http://127.0.0.1:<port> the way Grafana serves
//! plugins and provisioned dashboards. Ctrl-C stops everything.
//!
//! Usage: codexflow-devhost --plugin <gpx_codexflow> [--port 3000] [--root <repo>] [--rules <yaml>]

use std::path::PathBuf;
use std::sync::Arc;

use codexflow_testkit::devhost::DevHost;
use codexflow_testkit::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::PrometheusServer;
use codexflow_testkit::scenario::openmetrics_of;
use codexflow_testkit::stories::lag_spikes_until_now;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let plugin_path = PathBuf::from(arg(&args, "--plugin").ok_or("usage: codexflow-devhost --plugin <gpx_codexflow> [--port 3000]")?);
    let port = arg(&args, "--port").unwrap_or_else(|| "3000".into());
    let root = PathBuf::from(arg(&args, "--root").unwrap_or_else(|| ".".into()));
    let rules = arg(&args, "--rules").map(std::fs::read_to_string).transpose()?;

    let story = lag_spikes_until_now(122);
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "")?;
    eprintln!("Prometheus ready at {}", prom.url);
    let plugin = Arc::new(PluginProcess::start(&plugin_path).await?);
    let mut json = serde_json::json!({ "prometheusUrl": prom.url });
    if let Some(r) = rules {
        json["rulesYaml"] = r.into();
    }
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("provisioning/dashboards/codex-pipeline-observability.json"))?)?;
    let host = DevHost {
        dist: root.join("dist"),
        harness: root.join("target/harness"),
        dashboards: vec![dashboard],
        plugin,
        app_settings: AppSettings { json_data: json, secure_json_data: Default::default() },
        datasources: [("codex-prometheus".to_string(), prom.url.clone())].into(),
    }
    .start(&format!("127.0.0.1:{port}"))
    .await?;
    println!("Codex Flow dev host: {}/d/codex-pipeline-observability", host.url);
    // Ctrl-C or a plain `kill`: either way return normally, so Prometheus and the plugin are stopped
    // by their Drop impls instead of being left behind.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    eprintln!("stopping Prometheus and the plugin");
    drop(host);
    drop(prom);
    Ok(())
}
