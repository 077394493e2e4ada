//! The demo in a terminal: the pipeline simulator scraped by a real Prometheus (the last hour
//! backfilled), the plugin binary started as Grafana starts it with the demo's provisioned app
//! settings, and the health it serves, printed (every 15 s with `--watch`).
//!
//! Usage: codexflow-demo --plugin <path to gpx_codexflow> [--root <repo>] [--watch]

use std::path::PathBuf;
use std::time::Duration;

use codexflow_core::api::EvaluateResponse;
use codexflow_core::format::{headline, utc_clock};
use codexflow_core::{AlertState, StageStatus};
use codexflow_testkit::grafana::plugin_host::{PluginProcess, APP_ID};
use codexflow_testkit::grafana::provisioning::{demo_dirs, env_with_prometheus, Provisioning};
use codexflow_testkit::simulator::{now_ms, story_json, LivePipeline, Story};
use codexflow_testkit::stories::MINUTE;

fn paint(status: StageStatus, text: &str) -> String {
    let code = match status {
        StageStatus::Ok => "32",
        StageStatus::Nodata => "90",
        StageStatus::Warning => "33",
        StageStatus::Critical => "31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn strip(statuses: &[StageStatus], width: usize) -> String {
    let per = statuses.len().div_ceil(width.max(1)).max(1);
    statuses
        .chunks(per)
        .map(|c| {
            let worst = c.iter().copied().max().unwrap_or_default();
            paint(
                worst,
                match worst {
                    StageStatus::Ok => "▁",
                    StageStatus::Nodata => "░",
                    StageStatus::Warning => "▅",
                    StageStatus::Critical => "█",
                },
            )
        })
        .collect()
}

fn print(answer: &EvaluateResponse) {
    println!(
        "\n  Codex pipeline, {} → {} UTC, ticks every {} s\n",
        utc_clock(answer.from),
        utc_clock(answer.to),
        answer.interval_ms / 1000
    );
    println!("  {:<20} {:<9} {:<18} WHY", "STAGE", "STATUS", "NOW");
    for s in &answer.stages {
        let status = format!("{:<9}", s.status.as_str());
        println!(
            "  {:<20} {} {:<18} {}",
            s.name,
            paint(s.status, &status),
            headline(&s.headline.label, s.headline.value, &s.headline.unit),
            s.reason.as_deref().unwrap_or("")
        );
    }
    println!("\n  {:<20} THROUGHPUT", "EDGE");
    for e in &answer.edges {
        println!("  {:<20} {}", format!("{} → {}", e.from, e.to), headline("", e.rate, &e.unit));
    }
    println!("\n  State over the window (▁ ok  ░ no data  ▅ warning  █ critical)");
    for s in &answer.stages {
        println!("  {:<20} {}", s.name, strip(&s.status_timeline, 72));
    }
    println!("\n  {:<32} {:<9} SINCE", "ALERT", "STATE");
    for a in &answer.alerts {
        let since = a.active_at.map(|t| format!("{} UTC", utc_clock(t))).unwrap_or_default();
        let color = match a.state {
            AlertState::Firing => StageStatus::Warning,
            AlertState::Pending => StageStatus::Nodata,
            AlertState::Inactive => StageStatus::Ok,
        };
        println!("  {:<32} {} {}", a.name, paint(color, &format!("{:<9}", a.state.as_str())), since);
    }
    println!();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let plugin_path = args
        .iter()
        .position(|a| a == "--plugin")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .ok_or("usage: codexflow-demo --plugin <gpx_codexflow> [--watch]")?;
    let watch = args.iter().any(|a| a == "--watch");
    let root = PathBuf::from(
        args.iter().position(|a| a == "--root").and_then(|i| args.get(i + 1)).map_or(".", |s| s.as_str()),
    );

    eprintln!("starting the pipeline simulator and Prometheus (backfilling the last hour)…");
    let live = LivePipeline::start(Story::demo(now_ms())).await?;
    eprintln!("simulator at http://{}/metrics, Prometheus at {}", live.simulator.addr, live.prometheus.url);
    let provisioning = Provisioning::read(&demo_dirs(&root), &env_with_prometheus(&live.prometheus.url))?;
    let settings = provisioning.app(APP_ID).ok_or("the app is not provisioned")?.settings.clone();
    let plugin = PluginProcess::start(&plugin_path).await?;
    eprintln!("plugin {} answered the go-plugin handshake at {}", plugin_path.display(), plugin.address);

    let health = plugin.check_health(Some(&settings)).await?;
    eprintln!("CheckHealth: {}", health.message);

    loop {
        let now = now_ms();
        eprintln!("simulator now playing: {}", story_json(&live.simulator.story, now)["act"].as_str().unwrap_or("?"));
        let body = serde_json::json!({ "from": now - 60 * MINUTE, "to": now }).to_string();
        let response = plugin.call_resource(Some(&settings), "POST", "v1/evaluate", body.as_bytes()).await?;
        if response.status != 200 {
            return Err(format!(
                "v1/evaluate answered {}: {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            )
            .into());
        }
        print(&serde_json::from_slice(&response.body)?);
        if !watch {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(15)) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    Ok(())
}
