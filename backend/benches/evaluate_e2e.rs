//! End-to-end cost of `v1/evaluate` (issue 11), against a real Prometheus holding the 25 h before
//! now of the looping story, the plugin binary called as Grafana calls it, every upstream request
//! logged on the wire by a proxy and then replayed one after another straight to Prometheus with
//! `stats=all` (samples read: `totalQueryableSamples`; time: the median of five replays of each):
//!
//! 1. Cold 24 h @ 1 m, default rules (`settleTime: 0s`: nothing kept): backend wall time against
//!    the sum of its own upstream requests run one after another; requests per evaluation.
//!    Each run shifts the window by a minute so no answer is shared. Target ≤ 1.05×.
//! 2. A refresh one minute later with what the first evaluation kept (the default 10 m settle):
//!    samples read and upstream time against the cold evaluation of that window. Target ≤ 5 %.
//! 3. 100 viewers of one dashboard, each refreshing a 24 h window every 10 s for 2 minutes, their
//!    windows a few seconds apart: upstream requests and samples read against one viewer doing the same.
//!
//! Run: cargo bench -p codexflow-backend --bench evaluate_e2e (`BENCH_PARTS=12` some parts only;
//! `BENCH_VERBOSE=1` each replayed request, `=full` whole queries, `=timeline` when each cold request
//! was asked and answered; `BENCH_WARM_SETTINGS=1` compiles each cold run's new settings first, as
//! a dashboard's settings are compiled once per version, so part 1 measures the evaluation alone)

use std::sync::Arc;
use std::time::{Duration, Instant};

use codexflow_core::api::EvaluateResponse;
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::PrometheusServer;
use codexflow_testkit::scenario::openmetrics_of;
use codexflow_testkit::simulator::now_ms;
use codexflow_testkit::stories::{looping, MINUTE};
use codexflow_testkit::upstreams::CountingProxy;

const RUNS: i64 = 9;
/// Replays of each logged request, its time the median.
const REPLAYS: usize = 5;
const DAY: i64 = 24 * 60 * MINUTE;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// What replaying requests one after another cost Prometheus.
#[derive(Debug, Default, Clone, Copy)]
struct Cost {
    requests: usize,
    samples: u64,
    ms: f64,
    /// Prometheus' own time for the queries (`stats.timings.execTotalTime`), without HTTP, the
    /// series and rules calls.
    engine_ms: f64,
}

/// Replays logged requests (`METHOD target body`) one after another against `prom`, with `stats=all`.
async fn replay(http: &reqwest::Client, prom: &str, logged: &[String]) -> Cost {
    let mut cost = Cost::default();
    for line in logged {
        let mut parts = line.splitn(3, ' ');
        let (method, target, body) =
            (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"), parts.next().unwrap_or(""));
        let queries = target.starts_with("/api/v1/query");
        let (target, body) = match (queries, method) {
            (true, "POST") => (target.to_string(), format!("{body}&stats=all")),
            (true, _) => {
                (format!("{target}{}stats=all", if target.contains('?') { '&' } else { '?' }), body.to_string())
            }
            _ => (target.to_string(), body.to_string()),
        };
        let request = http.request(method.parse().unwrap_or(reqwest::Method::GET), format!("{prom}{target}"));
        let request = if method == "POST" {
            request.header("Content-Type", "application/x-www-form-urlencoded").body(body.clone())
        } else {
            request
        };
        // Each request's time is the median of a few replays: one replay of a millisecond query
        // on shared cores varies by 2-3x, more than the differences measured.
        let mut times = Vec::with_capacity(REPLAYS);
        let mut engine = Vec::with_capacity(REPLAYS);
        let mut bytes = bytes::Bytes::new();
        for _ in 0..REPLAYS {
            let request = request.try_clone().expect("a form body clones");
            let started = Instant::now();
            let answer = request.send().await.expect("replay");
            bytes = answer.bytes().await.expect("replay body");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            if queries {
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                engine.push(v["data"]["stats"]["timings"]["execTotalTime"].as_f64().unwrap_or(0.0) * 1000.0);
            }
        }
        let ms = median(times);
        if queries {
            cost.engine_ms += median(engine);
        }
        cost.ms += ms;
        cost.requests += 1;
        if !queries && std::env::var_os("BENCH_VERBOSE").is_some() {
            eprintln!("  {:>8}         {ms:>6.2} ms  {method} {}", "", target.chars().take(120).collect::<String>());
        }
        if queries {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let samples = v["data"]["stats"]["samples"]["totalQueryableSamples"].as_u64().unwrap_or(0);
            cost.samples += samples;
            if let Some(verbose) = std::env::var_os("BENCH_VERBOSE") {
                // BENCH_VERBOSE=full prints each query whole, anything else its first 200 characters.
                let shown = if verbose == "full" { usize::MAX } else { 200 };
                eprintln!(
                    "  {samples:>8} samples {ms:>6.2} ms  {}",
                    codexflow_testkit::upstreams::percent_decode(&body).chars().take(shown).collect::<String>()
                );
            }
        }
    }
    cost
}

async fn evaluate(plugin: &PluginProcess, settings: &AppSettings, from: i64, to: i64) -> Duration {
    let body = serde_json::json!({ "from": from, "to": to, "intervalMs": MINUTE }).to_string();
    let started = Instant::now();
    let r = plugin.call_resource(Some(settings), "POST", "v1/evaluate", body.as_bytes()).await.expect("evaluate");
    let took = started.elapsed();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer: EvaluateResponse = serde_json::from_slice(&r.body).expect("answer");
    assert!(answer.alerts.iter().all(|a| a.error.is_none()), "no rule failed");
    took
}

fn settings(url: &str, settle: Option<&str>) -> AppSettings {
    let mut json_data = serde_json::json!({ "prometheusUrl": url });
    if let Some(s) = settle {
        json_data["settleTime"] = serde_json::json!(s);
    }
    AppSettings { json_data, secure_json_data: Default::default() }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --benches` runs bench targets with --test-ish flags; only do the work under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The 25 h before now, so a window ending now has its last ticks unsettled, as on a live dashboard
    // (the data ends when the bench starts; Prometheus' 5 m lookback carries the last values on).
    let end = now_ms().div_euclid(MINUTE) * MINUTE;
    let base = end - DAY - 60 * MINUTE;
    let story = looping(base, DAY + 60 * MINUTE);
    eprintln!("backfilling {} series × {} samples…", story.series.len(), story.steps);
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "").expect("prometheus");
    let plugin = Arc::new(
        PluginProcess::start(std::path::Path::new(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin"),
    );
    let http = reqwest::Client::new();
    let proxy = CountingProxy::start(&prom.url).await.expect("proxy");
    let cold = settings(&proxy.url, Some("0s"));
    // The same settings straight to Prometheus (another upstream: no answer shared with the proxy's).
    let cold_direct = settings(&prom.url, Some("0s"));
    let parts = std::env::var("BENCH_PARTS").unwrap_or_else(|_| "123".into());
    let kept = settings(&proxy.url, None);
    // Windows end now, as a dashboard's "Last 24 hours" does; window(k) ends k minutes earlier.
    let window = |k: i64| {
        let to = now_ms() - k * MINUTE;
        (to - DAY, to)
    };

    // Warm-up: Prometheus' caches and the plugin's connection pool, as in steady operation.
    for k in 0..3 {
        let (from, to) = window(100 + k);
        evaluate(&plugin, &cold, from, to).await;
    }

    // 1. Cold evaluations against their own requests replayed one after another.
    let (mut ratios, mut walls, mut sums, mut requests) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        if !parts.contains('1') {
            break;
        }
        let (from, to) = window(run + 10);
        // Through the proxy to learn what it asks; straight to Prometheus for its time. A timeout of
        // its own makes each run another upstream, so no answer of an earlier run is shared.
        let own = |s: &AppSettings| {
            let mut s = s.clone();
            s.json_data["timeout"] = serde_json::json!(format!("{}s", 20 + run));
            s
        };
        if std::env::var_os("BENCH_WARM_SETTINGS").is_some() {
            let _ = plugin.call_resource(Some(&own(&cold)), "GET", "v1/pipeline", b"").await;
            let _ = plugin.call_resource(Some(&own(&cold_direct)), "GET", "v1/pipeline", b"").await;
        }
        proxy.reset();
        let started = Instant::now();
        let proxied = evaluate(&plugin, &own(&cold), from, to).await;
        let logged = proxy.requests();
        if std::env::var_os("BENCH_VERBOSE").is_some_and(|v| v == "timeline") {
            // When each request reached the proxy and was answered, from the call's start: the gap
            // before the first is the plugin's own start (gRPC, settings, plan), after the last its
            // assembly and answer.
            let at = |t: Instant| t.duration_since(started).as_secs_f64() * 1000.0;
            for (line, (arrived, answered)) in logged.iter().zip(proxy.timeline()) {
                eprintln!(
                    "  {:>6.2} .. {:>6.2} ms  {}",
                    at(arrived),
                    at(answered),
                    line.chars().take(100).collect::<String>()
                );
            }
            eprintln!("  answered at {:.2} ms (through the proxy)", proxied.as_secs_f64() * 1000.0);
        }
        let wall = evaluate(&plugin, &own(&cold_direct), from, to).await.as_secs_f64() * 1000.0;
        let cost = replay(&http, &prom.url, &logged).await;
        ratios.push(wall / cost.ms);
        walls.push(wall);
        sums.push(cost.ms);
        requests.push(cost.requests as f64);
    }
    if !walls.is_empty() {
        println!(
        "cold v1/evaluate 24h@1m, default rules: backend median {:.1} ms, its {} upstream requests one after another {:.1} ms; ratio median {:.2}x (min {:.2}x, max {:.2}x) over {RUNS} runs; target <= 1.05x",
        median(walls),
        median(requests),
        median(sums),
        median(ratios.clone()),
        ratios.iter().cloned().fold(f64::MAX, f64::min),
        ratios.iter().cloned().fold(0.0, f64::max)
    );
    }

    // 2. A refresh one minute later, with what the first evaluation kept, against a cold one.
    let (from, to) = window(1);
    tokio::time::sleep(Duration::from_millis(codexflow_core::limits::SHARE_TTL_MS + 500)).await;
    proxy.reset();
    evaluate(&plugin, &kept, from, to).await;
    let first = replay(&http, &prom.url, &proxy.requests()).await;
    let (from, to) = (from + MINUTE, to + MINUTE);
    proxy.reset();
    let refresh_wall = evaluate(&plugin, &kept, from, to).await.as_secs_f64() * 1000.0;
    let refresh = replay(&http, &prom.url, &proxy.requests()).await;
    tokio::time::sleep(Duration::from_millis(codexflow_core::limits::SHARE_TTL_MS + 500)).await;
    proxy.reset();
    let cold_wall = evaluate(&plugin, &cold, from, to).await.as_secs_f64() * 1000.0;
    let cold_cost = replay(&http, &prom.url, &proxy.requests()).await;
    println!(
        "refresh one minute later (24h@1m, settle 10m): {} samples read in {} requests, {:.1} ms upstream ({:.2} ms of it Prometheus' query engine), {refresh_wall:.1} ms backend; cold: {} samples in {} requests, {:.1} ms upstream ({:.2} ms engine), {cold_wall:.1} ms backend; samples {:.2} %, upstream time {:.1} % of cold (target <= 5 %), engine time {:.1} %; the first evaluation read {} samples",
        refresh.samples,
        refresh.requests,
        refresh.ms,
        refresh.engine_ms,
        cold_cost.samples,
        cold_cost.requests,
        cold_cost.ms,
        cold_cost.engine_ms,
        100.0 * refresh.samples as f64 / cold_cost.samples.max(1) as f64,
        100.0 * refresh.ms / cold_cost.ms,
        100.0 * refresh.engine_ms / cold_cost.engine_ms.max(f64::MIN_POSITIVE),
        first.samples
    );

    // 3. Viewers refreshing every 10 s for 2 minutes, windows a few seconds apart (fresh settings: nothing kept yet).
    let viewer_secs: u64 = std::env::var("BENCH_VIEWER_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(120);
    for viewers in [1usize, 100].into_iter().filter(|_| parts.contains('3')) {
        // New settings (nothing kept yet) and an upstream of their own (a timeout of their own: no
        // answer shared with the runs before).
        let mut fresh = settings(&proxy.url, Some(if viewers == 1 { "10m0s" } else { "600s" }));
        fresh.json_data["timeout"] = serde_json::json!(format!("{}s", 40 + viewers % 60));
        proxy.reset();
        let started = Instant::now();
        let tasks = (0..viewers).map(|i| {
            let (plugin, s) = (plugin.clone(), fresh.clone());
            tokio::spawn(async move {
                // Viewer i opened the dashboard i × 0.7 s after the first, modulo the refresh interval.
                tokio::time::sleep(Duration::from_millis(700 * i as u64 % 10_000)).await;
                let mut errors = 0;
                let t0 = Instant::now();
                while t0.elapsed() < Duration::from_secs(viewer_secs) {
                    let to = now_ms() - (i as i64 % 7) * 1000;
                    let body = serde_json::json!({ "from": to - DAY, "to": to, "intervalMs": MINUTE }).to_string();
                    match plugin.call_resource(Some(&s), "POST", "v1/evaluate", body.as_bytes()).await {
                        Ok(r) if r.status == 200 => {}
                        other => {
                            if errors == 0 && i == 0 {
                                match other {
                                    Ok(r) => eprintln!(
                                        "viewer 0: {} {}",
                                        r.status,
                                        String::from_utf8_lossy(&r.body).chars().take(300).collect::<String>()
                                    ),
                                    Err(e) => eprintln!("viewer 0: {e}"),
                                }
                            }
                            errors += 1
                        }
                    }
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
                errors
            })
        });
        let errors: usize = futures_util::future::join_all(tasks).await.into_iter().map(|r| r.unwrap_or(1)).sum();
        let wall = started.elapsed();
        let logged = proxy.requests();
        let cost = replay(&http, &prom.url, &logged).await;
        println!(
            "{viewers} viewer(s), each refreshing 24h@1m every 10 s for {viewer_secs} s: {} upstream requests, {} samples read, {:.0} ms upstream (replayed), {errors} errors, {:.0} s wall",
            cost.requests,
            cost.samples,
            cost.ms,
            wall.as_secs_f64()
        );
    }
}
