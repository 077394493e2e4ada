//! The demo: a real Prometheus holding the Codex pipeline's recent history, the
//! plugin binary started as Grafana starts it, and the health it serves, printed.
//!
//! Usage: codexflow-demo --plugin <path to gpx_codexflow> [--watch]

use std::path::PathBuf;
use std::time::Duration;

use codexflow_core::api::EvaluateResponse;
use codexflow_core::format::{headline, utc_clock};
use codexflow_core::{AlertState, StageStatus};
use codexflow_testkit::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::PrometheusServer;
use codexflow_testkit::scenario::openmetrics_of;
use codexflow_testkit::stories::{lag_spikes_until_now, MINUTE};

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
            paint(worst, match worst { StageStatus::Ok => "▁", StageStatus::Nodata => "░", StageStatus::Warning => "▅", StageStatus::Critical => "█" })
        })
        .collect()
}

fn print(answer: &EvaluateResponse) {
    println!("\n  Codex pipeline, {} → {} UTC, ticks every {} s\n", utc_clock(answer.from), utc_clock(answer.to), answer.interval_ms / 1000);
    println!("  {:<20} {:<9} {:<18} {}", "STAGE", "STATUS", "NOW", "WHY");
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
    println!("\n  {:<20} {}", "EDGE", "THROUGHPUT");
    for e in &answer.edges {
        println!("  {:<20} {}", format!("{} → {}", e.from, e.to), headline("", e.rate, &e.unit));
    }
    println!("\n  State over the window (▁ ok  ░ no data  ▅ warning  █ critical)");
    for s in &answer.stages {
        println!("  {:<20} {}", s.name, strip(&s.status_timeline, 72));
    }
    println!("\n  {:<32} {:<9} {}", "ALERT", "STATE", "SINCE");
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

    // The story is 3 h long; put "now" 122 minutes in, while Kafka lag and NATS pending are both past 1,000.
    // "Now" is 122 minutes into the 3 h story, while Kafka lag and NATS pending are both past 1,000.
    let story = lag_spikes_until_now(122);
    eprintln!("starting Prometheus with {} series of history…", story.series.len());
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "")?;
    eprintln!("Prometheus ready at {}", prom.url);
    let plugin = PluginProcess::start(&plugin_path).await?;
    eprintln!("plugin {} answered the go-plugin handshake at {}", plugin_path.display(), plugin.address);

    let settings = AppSettings { json_data: serde_json::json!({ "prometheusUrl": prom.url }), secure_json_data: Default::default() };
    let health = plugin.check_health(Some(&settings)).await?;
    eprintln!("CheckHealth: {}", health.message);

    loop {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
        let body = serde_json::json!({ "from": now - 2 * 60 * MINUTE, "to": now }).to_string();
        let response = plugin.call_resource(Some(&settings), "POST", "v1/evaluate", body.as_bytes()).await?;
        if response.status != 200 {
            return Err(format!("v1/evaluate answered {}: {}", response.status, String::from_utf8_lossy(&response.body)).into());
        }
        print(&serde_json::from_slice(&response.body)?);
        if !watch {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    Ok(())
}
