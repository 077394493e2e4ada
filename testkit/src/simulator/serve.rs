//! The simulator on the wire: its story served at `/metrics` and `/story` over HTTP, and paired with
//! a real Prometheus that scrapes it, the hour before backfilled from the same function of time.

use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::{Story, ACTS};
use crate::http::{read_request, write_response};

/// A running simulator; it stops serving when dropped.
pub struct Simulator {
    pub addr: String,
    pub story: Story,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Simulator {
    /// Serves `/metrics` (the exposition now) and `/story` (which act is playing, as JSON) on `addr`.
    pub async fn start(story: Story, addr: &str) -> std::io::Result<Simulator> {
        Simulator::serve(story, TcpListener::bind(addr).await?)
    }

    /// Like [`Simulator::start`], on a listener bound earlier: a test that starts its scrapers first
    /// and its story later keeps the address from the start.
    pub fn serve(story: Story, listener: TcpListener) -> std::io::Result<Simulator> {
        let bound = listener.local_addr()?.to_string();
        let shared = Arc::new(story);
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let _ = conn.set_nodelay(true);
                let story = shared.clone();
                tokio::spawn(async move {
                    let mut conn = BufReader::new(conn);
                    let Ok(Some(request)) = read_request(&mut conn, 0).await else { return };
                    let now = now_ms();
                    let (status, content_type, body) = match request.target.split('?').next().unwrap_or("") {
                        "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8", story.exposition(now)),
                        "/story" => (200, "application/json", story_json(&story, now).to_string()),
                        _ => (404, "text/plain", "not found: try /metrics or /story\n".to_string()),
                    };
                    let stream = conn.get_mut();
                    if write_response(stream, status, &[("Content-Type", content_type)], body.as_bytes(), true)
                        .await
                        .is_ok()
                    {
                        let _ = stream.shutdown().await;
                    }
                });
            }
        });
        Ok(Simulator { addr: bound, story, task })
    }
}

/// The scrape job Prometheus runs against the simulator.
pub const JOB: &str = "codex-pipeline";
/// How often Prometheus scrapes the simulator.
pub const SCRAPE_MS: i64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("simulator: {0}")]
    Simulator(#[from] std::io::Error),
    #[error(transparent)]
    Prometheus(#[from] crate::daemon::DaemonError),
    #[error("prometheus start-up task failed: {0}")]
    Join(String),
}

/// The simulator and a real Prometheus scraping it, with the hour before `now` backfilled.
pub struct LivePipeline {
    pub simulator: Simulator,
    pub prometheus: crate::prometheus::PrometheusServer,
}

impl LivePipeline {
    pub async fn start(story: Story) -> Result<LivePipeline, LiveError> {
        let simulator = Simulator::start(story, "127.0.0.1:0").await?;
        let now = now_ms() / SCRAPE_MS * SCRAPE_MS;
        // The backfill carries the labels the scrape adds, so history and live samples are one series.
        let history = story.history(now - 3_600_000, now, SCRAPE_MS, &[("instance", &simulator.addr), ("job", JOB)]);
        let openmetrics = crate::scenario::openmetrics_of(std::slice::from_ref(&history));
        let scrape = format!(
            "  - job_name: {JOB}\n    scrape_interval: {}s\n    static_configs:\n      - targets: ['{}']\n",
            SCRAPE_MS / 1000,
            simulator.addr
        );
        let prometheus =
            tokio::task::spawn_blocking(move || crate::prometheus::PrometheusServer::start(&openmetrics, &scrape))
                .await
                .map_err(|e| LiveError::Join(e.to_string()))??;
        Ok(LivePipeline { simulator, prometheus })
    }
}

/// Which act plays at `now_ms` and for how much longer.
pub fn story_json(story: &Story, now_ms: i64) -> serde_json::Value {
    let m = story.moment(now_ms);
    let act = &ACTS[m.act];
    serde_json::json!({
        "act": act.name,
        "breaks": act.breaks,
        "secondsIn": m.into,
        "secondsLeft": story.secs(act) - m.into,
        "loopSeconds": story.period(),
    })
}
