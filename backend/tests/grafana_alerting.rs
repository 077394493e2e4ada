//! The provisioned Grafana-managed alert rule on the whole pipeline (`provisioning/alerting/`), end to
//! end in the dev host: each evaluation a `QueryData` of the Codex Flow data source as Grafana's
//! alerting engine sends it (server side, `FromAlert`, its own `intervalMs`), reduced and compared as
//! the rule says, the instance through Pending and Alerting, listed by Grafana's rules API. Held to
//! `v1/evaluate`: the rule fires exactly 5 minutes after the first minute the pipeline's worst status
//! (the worst stage's at the last tick up to that minute) reached warning.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codexflow_core::api::{EvaluateRequest, EvaluateResponse};
use codexflow_core::StageStatus;
use codexflow_testkit::grafana::alerting;
use codexflow_testkit::grafana::devhost::DevHost;
use codexflow_testkit::grafana::plugin_host::PluginProcess;
use codexflow_testkit::grafana::provisioning::{env_with_prometheus, Provisioning};
use codexflow_testkit::prometheus::PrometheusServer;
use codexflow_testkit::scenario::openmetrics_of;
use codexflow_testkit::stories::{lag_spikes_until_now, MINUTE};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The session cookies a page load sets, as one `Cookie` header.
async fn session(http: &reqwest::Client, url: &str) -> String {
    let page = http.get(format!("{url}/d/codex-pipeline-observability")).send().await.expect("the page");
    page.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_rule_fires_five_minutes_after_the_pipeline_turns_unhealthy() {
    let root = root();
    // "Now" is 122 minutes into the story: Kafka lag has been past 1,000 for a while.
    let story = lag_spikes_until_now(122);
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "").expect("prometheus");
    let plugin = Arc::new(PluginProcess::start(Path::new(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin"));
    let provisioning = Provisioning::read(&[root.join("provisioning")], &env_with_prometheus(&prom.url)).unwrap();
    assert_eq!(provisioning.alert_groups.len(), 1, "the repository provisions one rule group");
    // The data source's provisioned settings: what its `v1/evaluate` answers with is the truth.
    let ds = provisioning.datasource_settings["codexflow"].clone();
    let host = DevHost { alert_scheduler: false, ..DevHost::demo(&root, provisioning, plugin.clone()) }
        .start("127.0.0.1:0")
        .await
        .expect("dev host");
    let http = reqwest::Client::new();
    let cookie = session(&http, &host.url).await;

    // The truth: the pipeline's worst status at every tick of the story's last two hours.
    let to = story.end() / MINUTE * MINUTE;
    let from = to - 120 * MINUTE;
    let body = serde_json::to_vec(&EvaluateRequest {
        from: from - 10 * MINUTE,
        to,
        interval_ms: None,
        encoding: Default::default(),
    })
    .unwrap();
    let r = plugin.call_resource(Some(&ds), "POST", "v1/evaluate", &body).await.expect("v1/evaluate");
    let truth: EvaluateResponse = serde_json::from_slice(&r.body).expect("an answer");
    let worst_at = |t: i64| {
        let i = truth.ticks.iter().rposition(|&tick| tick <= t).expect("a tick before");
        truth.stages.iter().map(|s| s.status_timeline[i]).max().unwrap_or(StageStatus::Ok)
    };
    // The minute the pipeline last turned unhealthy, and so when a 5m rule fires.
    let minutes: Vec<i64> = (0..=120).map(|k| from + k * MINUTE).collect();
    let unhealthy = |t: i64| worst_at(t) >= StageStatus::Warning;
    assert!(unhealthy(to), "the story ends unhealthy");
    let since = *minutes.iter().rev().take_while(|&&t| unhealthy(t)).last().expect("an unhealthy minute");
    assert!(since > from && to - since >= 5 * MINUTE, "the story turns unhealthy inside the window, for 5m or more");

    // Replayed as the scheduler would have evaluated it, minute by minute.
    let call = |method: reqwest::Method, path: String| {
        let request = http.request(method, format!("{}{path}", host.url)).header("Cookie", &cookie);
        async move {
            let r = request.send().await.expect("the dev host answers");
            (r.status().as_u16(), r.bytes().await.expect("a body"))
        }
    };
    let (status, _) = call(reqwest::Method::POST, format!("/api/devhost/alerting/replay?from={from}&to={to}")).await;
    assert_eq!(status, 200);
    let (_, listed) = call(reqwest::Method::GET, "/api/prometheus/grafana/api/v1/rules".into()).await;
    let rules: Value = serde_json::from_slice(&listed).expect("JSON");
    let rule = &rules["data"]["groups"][0]["rules"][0];
    assert_eq!(rule["name"], "Codex pipeline unhealthy");
    assert_eq!((rule["state"].as_str(), rule["health"].as_str()), (Some("firing"), Some("ok")), "{rule}");
    let alert = &rule["alerts"][0];
    assert_eq!(alert["state"], "Alerting");
    let fired = alerting::rfc3339(since + 5 * MINUTE);
    assert_eq!(alert["activeAt"].as_str(), Some(fired.as_str()), "fired 5m after {since}: {alert}");
    assert_eq!(alert["labels"]["team"], "codex");
    assert_eq!(alert["value"], "[ var='B' labels={} value=2 ]", "the worst status, warning");
    assert_eq!(rule["lastEvaluation"].as_str(), Some(alerting::rfc3339(to).as_str()));

    // A replay past its bound is refused, not run.
    let (status, _) = call(reqwest::Method::POST, format!("/api/devhost/alerting/replay?from=0&to={to}")).await;
    assert_eq!(status, 400);
}
