//! The dev host with the live demo: the pipeline simulator scraped by a real Prometheus (with the
//! hour before backfilled), the plugin binary started as Grafana starts it, and the provisioned
//! dashboard and app config page served at http://127.0.0.1:<port> the way Grafana serves them.
//! Ctrl-C stops everything.
//!
//! Usage: codexflow-devhost --plugin <gpx_codexflow> [--port 3000] [--root <repo>]
//!        [--provisioning <dir>]... [--prometheus <url>] [--config <grafana.ini>]
//!        [--grafana-version 12.4.10|13.2.3]
//!
//! Provisioning directories are read in order (later ones override the app and datasources); the
//! default is the repository's `provisioning/` followed by the demo's `testkit/demo/provisioning/`.
//! With `--prometheus`, no simulator is started and that URL is `CODEXFLOW_PROMETHEUS_URL`.
//! `--config` (default `testkit/demo/grafana.ini`) and `GF_*` variables decide, as in Grafana,
//! which unsigned plugins load (`[plugins] allow_loading_unsigned_plugins`). `--grafana-version`
//! (default today's, `boot::DEFAULT_VERSION`) is the Grafana the pages play; `?grafanaVersion=` on a
//! page asks for another.

use std::path::PathBuf;
use std::sync::Arc;

use codexflow_testkit::grafana::boot;
use codexflow_testkit::grafana::devhost::DevHost;
use codexflow_testkit::grafana::plugin_host::PluginProcess;
use codexflow_testkit::grafana::plugins::LoadingConfig;
use codexflow_testkit::grafana::provisioning::{demo_dirs, env_with_prometheus, Provisioning};
use codexflow_testkit::simulator::{now_ms, story_json, LivePipeline, Story};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn args_named(args: &[String], name: &str) -> Vec<String> {
    args.windows(2).filter(|w| w[0] == name).map(|w| w[1].clone()).collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let plugin_path =
        PathBuf::from(arg(&args, "--plugin").ok_or("usage: codexflow-devhost --plugin <gpx_codexflow> [--port 3000]")?);
    let port = arg(&args, "--port").unwrap_or_else(|| "3000".into());
    let root = PathBuf::from(arg(&args, "--root").unwrap_or_else(|| ".".into()));
    let mut dirs: Vec<PathBuf> = args_named(&args, "--provisioning").into_iter().map(PathBuf::from).collect();
    if dirs.is_empty() {
        dirs = demo_dirs(&root);
    }

    let (live, prometheus_url) = match arg(&args, "--prometheus") {
        Some(url) => (None, url),
        None => {
            eprintln!("starting the pipeline simulator and Prometheus (backfilling the last hour)…");
            let live = LivePipeline::start(Story::demo(now_ms())).await?;
            let url = live.prometheus.url.clone();
            (Some(live), url)
        }
    };
    if let Some(l) = &live {
        eprintln!("simulator at http://{}/metrics, Prometheus at {}", l.simulator.addr, prometheus_url);
    }
    let provisioning = Provisioning::read(&dirs, &env_with_prometheus(&prometheus_url))?;
    let plugin = Arc::new(PluginProcess::start(&plugin_path).await?);
    let ini = PathBuf::from(
        arg(&args, "--config").unwrap_or_else(|| root.join("testkit/demo/grafana.ini").display().to_string()),
    );
    let loading =
        LoadingConfig::from_file_and_process_env(Some(&ini)).map_err(|e| format!("{}: {e}", ini.display()))?;
    let version = arg(&args, "--grafana-version").unwrap_or_else(|| boot::DEFAULT_VERSION.into());
    let host = DevHost {
        dist: root.join("dist"),
        harness: root.join("target/harness"),
        provisioning,
        plugin,
        loading,
        version,
        alert_scheduler: true,
    }
    .start(&format!("127.0.0.1:{port}"))
    .await?;
    println!("Codex Flow dev host: {}/d/codex-pipeline-observability", host.url);
    println!("App configuration:   {}/plugins/proompteng-codexflow-app", host.url);
    if let Some(l) = &live {
        let story = story_json(&l.simulator.story, now_ms());
        let period = story["loopSeconds"].as_f64().unwrap_or(0.0);
        println!("The simulator loops every {period:.0} s; now playing: {}", story["act"].as_str().unwrap_or("?"));
    }
    // Ctrl-C or a plain `kill`: either way return normally, so Prometheus and the plugin are stopped
    // by their Drop impls instead of being left behind.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    eprintln!("stopping the simulator, Prometheus and the plugin");
    drop(host);
    drop(live);
    Ok(())
}
