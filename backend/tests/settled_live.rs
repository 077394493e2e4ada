//! What the settle time is for, against a real Prometheus: a sample that arrives late (scraped with
//! a timestamp a minute old) is seen by a refresh only where its tick was not yet settled when the
//! window was first evaluated. With a settle time longer than the lateness the refreshed answer
//! equals a cold one; with a shorter one it keeps what it saw at the settled ticks, as documented
//! (`jsonData.settleTime` in docs/api.md).
//!
//! Needs `prometheus` (scripts/setup.sh installs it) and the plugin binary.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use codexflow_core::api::{EvaluateRequest, EvaluateResponse};
use codexflow_core::AlertState;
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::{http_get, PromOptions, PrometheusServer};
use codexflow_testkit::simulator::now_ms;
use codexflow_testkit::upstreams::{Reply, Scripted};
use serde_json::json;

const RULES: &str = "groups:\n  - name: late\n    rules:\n      - alert: LateLag\n        expr: late_lag > 100\n        labels:\n          stage: kafka\n";
const STEP: i64 = 5_000;

async fn evaluate(plugin: &PluginProcess, settings: &AppSettings, from: i64, to: i64) -> (Vec<u8>, EvaluateResponse) {
    let body = serde_json::to_vec(&EvaluateRequest { from, to, interval_ms: Some(STEP), encoding: Default::default() })
        .unwrap();
    let response = plugin.call_resource(Some(settings), "POST", "v1/evaluate", &body).await.expect("CallResource");
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    let answer = serde_json::from_slice(&response.body).expect("answer");
    (response.body, answer)
}

fn settings(prom: &str, settle: &str) -> AppSettings {
    AppSettings {
        json_data: json!({ "prometheusUrl": prom, "rulesYaml": RULES, "evaluationInterval": "5s", "settleTime": settle }),
        secure_json_data: Default::default(),
    }
}

/// The ticks at which LateLag fires.
fn firing(answer: &EvaluateResponse) -> Vec<i64> {
    let Some(alert) = answer.alerts.iter().find(|a| a.name == "LateLag") else { return Vec::new() };
    answer.ticks.iter().zip(&alert.timeline).filter(|(_, p)| p.state == AlertState::Firing).map(|(t, _)| *t).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_later_than_the_settle_time_is_missed_only_where_its_tick_was_settled() {
    let exposition = Arc::new(Mutex::new(String::from("# TYPE late_heartbeat gauge\nlate_heartbeat 1\n")));
    let served = exposition.clone();
    let target = Scripted::start(move |_| Reply {
        status: 200,
        headers: vec![("Content-Type".into(), "text/plain; version=0.0.4".into())],
        body: served.lock().unwrap().clone().into_bytes(),
    })
    .await
    .expect("scrape target");
    let scrape = format!(
        "  - job_name: late\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{}']\n",
        target.url.trim_start_matches("http://")
    );
    let prom = PrometheusServer::start_with(&PromOptions {
        scrape_configs: &scrape,
        scrape_interval: Some("1s"),
        ..PromOptions::default()
    })
    .expect("prometheus");
    let plugin = PluginProcess::start(std::path::Path::new(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin");

    // One window, on 5 s ticks, ending now; evaluated first with nothing late in it.
    let to = now_ms().div_euclid(STEP) * STEP;
    let from = to - 3 * 60_000;
    // The short settle time leaves the late sample (a minute old) settled at some ticks however long a
    // busy machine takes to get here: up to 5 s of rounding and the first evaluation's own time.
    const SHORT_SETTLE_MS: i64 = 30_000;
    let (short, long, cold) = (settings(&prom.url, "30s"), settings(&prom.url, "2m"), settings(&prom.url, "0s"));
    let first_asked = now_ms();
    for s in [&short, &long, &cold] {
        assert!(firing(&evaluate(&plugin, s, from, to).await.1).is_empty(), "nothing fires before the late sample");
    }
    let short_answered = now_ms();

    // A sample stamped a minute before the window's end arrives now (a new series: Prometheus takes it).
    let late = to - 60_000;
    *exposition.lock().unwrap() = format!("# TYPE late_lag gauge\nlate_lag 500 {late}\n");
    let seen = || {
        http_get(prom.address(), "/api/v1/query?query=count(last_over_time(late_lag%5B10m%5D))")
            .is_some_and(|(_, body)| body.contains("\"value\":["))
    };
    let mut waited = Duration::ZERO;
    while !seen() {
        assert!(waited < Duration::from_secs(30), "Prometheus scraped the late sample");
        tokio::time::sleep(Duration::from_millis(250)).await;
        waited += Duration::from_millis(250);
    }

    // Identical queries share an answer for SHARE_TTL_MS: let those of the first evaluations expire.
    tokio::time::sleep(Duration::from_millis(codexflow_core::limits::SHARE_TTL_MS) + Duration::from_millis(500)).await;
    let (cold_body, cold_answer) = evaluate(&plugin, &cold, from, to).await;
    let expected: Vec<i64> = (late..=to).step_by(STEP as usize).collect();
    assert_eq!(firing(&cold_answer), expected, "a cold evaluation sees the late sample from its tick on");

    // Settled for two minutes: the late sample's ticks were not settled yet, so they were asked again.
    let (long_body, _) = evaluate(&plugin, &long, from, to).await;
    assert!(long_body == cold_body, "a settle time longer than the lateness gives the cold answer");

    // Settled for 30 s: the ticks up to 30 s before the first evaluation were kept without the sample.
    let (_, short_answer) = evaluate(&plugin, &short, from, to).await;
    let fires = firing(&short_answer);
    assert!(
        !fires.is_empty() && fires.len() < expected.len(),
        "the unsettled ticks see it, the settled ones do not: {fires:?}"
    );
    assert!(fires.iter().all(|t| expected.contains(t)) && fires.windows(2).all(|w| w[1] - w[0] == STEP), "{fires:?}");
    assert_eq!(fires.last(), Some(&to));
    // The missed ticks are exactly those settled by the first evaluation: up to its "now" less 30 s,
    // its "now" being between when it was asked and when the three first evaluations were answered.
    let (earliest, latest) = (first_asked - SHORT_SETTLE_MS, short_answered - SHORT_SETTLE_MS + STEP);
    assert!(fires[0] > late && fires[0] > earliest && fires[0] <= latest, "the missed ticks are the settled ones: firing from {} (late sample at {late}, settled up to between {earliest} and {latest})", fires[0]);
}
