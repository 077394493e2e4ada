//! End-to-end figures for issue 2, against a real Prometheus holding 25 h of the looping story:
//!
//! 1. `v1/evaluate` over 24 h at 1 m ticks with the default rules, called through the plugin binary
//!    as Grafana does, against the slowest single upstream `query_range` of the same window that
//!    the evaluation issues (rules at 1 m, headlines and edges at the sparkline step), timed in the
//!    same run. Each run shifts the window by one minute so no answer is reused. Target: ≤ 1.2×.
//! 2. 100 concurrent identical `v1/evaluate` calls: upstream requests counted by a proxy on the wire.
//!    Target: the number of distinct queries, and no errors.
//!
//! Run: cargo bench -p codexflow-backend --bench evaluate_e2e

use std::time::{Duration, Instant};

use codexflow_backend::defaults;
use codexflow_backend::evaluate::plan::lookback_ms;
use codexflow_core::limits::SPARKLINE_POINTS;
use codexflow_core::api::EvaluateResponse;
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::PrometheusServer;
use codexflow_testkit::scenario::openmetrics_of;
use codexflow_testkit::stories::{base_days_ago, looping, MINUTE};
use codexflow_testkit::upstreams::CountingProxy;

const RUNS: i64 = 15;
const DAY: i64 = 24 * 60 * MINUTE;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn time_query_range(http: &reqwest::Client, url: &str, expr: &str, start: i64, end: i64, step: i64) -> Duration {
    let s = |ms: i64| format!("{}", ms as f64 / 1000.0);
    let started = Instant::now();
    let r = http
        .post(format!("{url}/api/v1/query_range"))
        .form(&[("query", expr.to_string()), ("start", s(start)), ("end", s(end)), ("step", s(step))])
        .send()
        .await
        .expect("query_range");
    assert!(r.status().is_success());
    let _ = r.bytes().await.expect("body");
    started.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo test --benches` runs bench targets with --test-ish flags; only do the work under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = base_days_ago(3);
    let story = looping(base, DAY + 2 * 60 * MINUTE);
    eprintln!("backfilling {} series × {} samples…", story.series.len(), story.steps);
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "").expect("prometheus");
    let plugin = PluginProcess::start(std::path::Path::new(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin");
    let http = reqwest::Client::new();
    let settings = AppSettings { json_data: serde_json::json!({ "prometheusUrl": prom.url }), secure_json_data: Default::default() };
    let rules = defaults::rules();
    let pipeline = defaults::pipeline();

    // Warm-up: Prometheus' caches and the plugin's connection pool, as in steady operation.
    for k in 0..3 {
        let (from, to) = (base + 2 * 60 * MINUTE - (k + 1) * MINUTE, base + 2 * 60 * MINUTE + DAY - (k + 1) * MINUTE);
        let body = serde_json::json!({ "from": from, "to": to, "intervalMs": MINUTE }).to_string();
        let _ = plugin.call_resource(Some(&settings), "POST", "v1/evaluate", body.as_bytes()).await.expect("warm-up");
    }

    let (mut backend_ms, mut slowest_ms, mut ratios, mut sum_ms) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        let from = base + 2 * 60 * MINUTE + run * MINUTE;
        let to = from + DAY;
        let body = serde_json::json!({ "from": from, "to": to, "intervalMs": MINUTE }).to_string();
        let started = Instant::now();
        let r = plugin.call_resource(Some(&settings), "POST", "v1/evaluate", body.as_bytes()).await.expect("evaluate");
        let backend = started.elapsed();
        assert_eq!(r.status, 200);
        let answer: EvaluateResponse = serde_json::from_slice(&r.body).expect("answer");
        assert!(answer.alerts.iter().all(|a| a.error.is_none()));
        assert_eq!(answer.ticks.len(), 1441);

        // The same window's range queries, one at a time, straight to Prometheus.
        let (mut slowest, mut sum) = (Duration::ZERO, Duration::ZERO);
        for rule in &rules.rules {
            let start = (from - lookback_ms(rule.timing, MINUTE)).div_euclid(MINUTE) * MINUTE + MINUTE;
            let took = time_query_range(&http, &prom.url, &rule.expr, start, to / MINUTE * MINUTE, MINUTE).await;
            slowest = slowest.max(took);
            sum += took;
        }
        let spark_step = MINUTE * (1441usize.div_ceil(SPARKLINE_POINTS)) as i64;
        let graphs = pipeline.stages.iter().map(|s| s.headline.expr.clone()).chain(pipeline.edges.iter().map(|e| e.rate_expr.clone()));
        for expr in graphs {
            let took = time_query_range(&http, &prom.url, &expr, from, to, spark_step).await;
            slowest = slowest.max(took);
            sum += took;
        }
        sum_ms.push(sum.as_secs_f64() * 1000.0);
        backend_ms.push(backend.as_secs_f64() * 1000.0);
        slowest_ms.push(slowest.as_secs_f64() * 1000.0);
        ratios.push(backend.as_secs_f64() / slowest.as_secs_f64());
    }
    println!(
        "v1/evaluate 24h@1m, default rules: backend median {:.1} ms, slowest single query_range median {:.1} ms (all its range queries one after another: {:.1} ms), ratio median {:.2}x (min {:.2}x, max {:.2}x) over {RUNS} runs; target <= 1.2x",
        median(backend_ms),
        median(slowest_ms),
        median(sum_ms),
        median(ratios.clone()),
        ratios.iter().cloned().fold(f64::MAX, f64::min),
        ratios.iter().cloned().fold(0.0, f64::max)
    );

    // 100 concurrent identical evaluations through a counting proxy.
    let proxy = CountingProxy::start(&prom.url).await.expect("proxy");
    let via_proxy = AppSettings { json_data: serde_json::json!({ "prometheusUrl": proxy.url }), secure_json_data: Default::default() };
    let plugin = std::sync::Arc::new(plugin);
    let via_proxy = std::sync::Arc::new(via_proxy);
    let body = serde_json::json!({ "from": base + 3 * 60 * MINUTE, "to": base + 3 * 60 * MINUTE + DAY, "intervalMs": MINUTE }).to_string();
    let started = Instant::now();
    let calls = (0..100).map(|_| {
        let (plugin, s, body) = (plugin.clone(), via_proxy.clone(), body.clone());
        tokio::spawn(async move { plugin.call_resource(Some(&s), "POST", "v1/evaluate", body.as_bytes()).await })
    });
    let results = futures_util::future::join_all(calls).await;
    let elapsed = started.elapsed();
    let errors = results
        .into_iter()
        .filter(|r| match r {
            Ok(Ok(resp)) => resp.status != 200 || serde_json::from_slice::<EvaluateResponse>(&resp.body).map_or(true, |a| a.alerts.iter().any(|a| a.error.is_some())),
            _ => true,
        })
        .count();
    let requests = proxy.requests();
    let distinct: std::collections::HashSet<_> = requests.iter().collect();
    println!(
        "100 concurrent identical v1/evaluate (24h@1m): {} upstream requests for {} distinct queries, {errors} errors, {:.0} ms wall",
        requests.len(),
        distinct.len(),
        elapsed.as_secs_f64() * 1000.0
    );
}
