//! The Alertmanager's word end to end: the pipeline simulator in its Kafka act, scraped by a real
//! Prometheus that runs the runbook's Kafka rule as a ruler and sends its alerts to a real
//! Alertmanager (Debian's 0.25); an on-call engineer's silence created through the Alertmanager's
//! API v2; the real plugin binary reading both, spoken to as Grafana does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use codexflow_core::api::{EvaluateResponse, StageHealth};
use codexflow_core::{AlertState, StageStatus};
use codexflow_testkit::alertmanager::AlertmanagerServer;
use codexflow_testkit::browser::{assert_built, assert_passes_on_each_demo_host};
use codexflow_testkit::daemon::{free_port, wait_until};
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess, APP_ID};
use codexflow_testkit::grafana::provisioning::{env_with_prometheus, Provisioning};
use codexflow_testkit::prometheus::{PromOptions, PrometheusServer};
use codexflow_testkit::simulator::{now_ms, Simulator, Story};
use serde_json::json;

const RULES: &str = r#"groups:
- name: codex-pipeline-observability.rules
  interval: 1s
  rules:
  - alert: CodexKafkaCompletionsLagHigh
    expr: sum(kafka_consumergroup_lag{consumergroup="jangar-codex-completions", topic="argo.workflows.completions"}) > 1000
    for: 2s
    labels:
      severity: warning
    annotations:
      value_name: lag
"#;

async fn evaluate(plugin: &PluginProcess, json_data: serde_json::Value) -> EvaluateResponse {
    let settings = AppSettings { json_data, secure_json_data: Default::default() };
    let to = now_ms();
    let body = json!({ "from": to - 20_000, "to": to, "intervalMs": 1_000 }).to_string();
    let r = plugin.call_resource(Some(&settings), "POST", "v1/evaluate", body.as_bytes()).await.expect("call");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    serde_json::from_slice(&r.body).expect("an evaluation")
}

fn kafka_stage(answer: &EvaluateResponse) -> &StageHealth {
    answer.stages.iter().find(|s| s.id == "kafka").expect("the kafka stage")
}

/// The pipeline in its Kafka act (stretched to six minutes, so it outlasts the browser run) with the ruler's alert silenced in a real Alertmanager.
struct Silenced {
    _simulator: Simulator,
    am: AlertmanagerServer,
    prom: PrometheusServer,
    /// The silence's id and end.
    id: String,
    ends_at: i64,
}

const AUTHOR: &str = "alice";
const COMMENT: &str = "draining after the deploy";

async fn silenced_kafka_alert() -> Silenced {
    let simulator = Simulator::start(Story::stretched_in_act(now_ms(), Some("kafka"), 20.0, 4.0), "127.0.0.1:0")
        .await
        .expect("simulator");
    let am = AlertmanagerServer::start().expect("alertmanager");
    let scrape = format!(
        "  - job_name: codex\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{}']\n",
        simulator.addr
    );
    let rule_files = [("codex.rules.yml", RULES)];
    let alertmanagers = [am.addr.as_str()];
    let prom = PrometheusServer::start_with(&PromOptions {
        scrape_configs: &scrape,
        rule_files: &rule_files,
        alertmanagers: &alertmanagers,
        ..PromOptions::default()
    })
    .expect("prometheus");
    let listed = |state: &str| {
        am.alerts()
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["labels"]["alertname"] == "CodexKafkaCompletionsLagHigh" && a["status"]["state"] == state)
    };
    assert!(
        wait_until(Duration::from_secs(40), || listed("active")),
        "the ruler's alert reached the Alertmanager: {}",
        am.alerts()
    );
    let ends_at = now_ms() / 1000 * 1000 + 2 * 3_600_000;
    let id = am.silence("CodexKafkaCompletionsLagHigh", AUTHOR, COMMENT, ends_at).await.expect("silence");
    assert!(wait_until(Duration::from_secs(10), || listed("suppressed")), "silenced: {}", am.alerts());
    Silenced { _simulator: simulator, am, prom, id, ends_at }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_made_in_the_alertmanager_shows_on_the_alert_and_calms_its_stage() {
    let Silenced { am, prom, id, ends_at, .. } = &silenced_kafka_alert().await;
    let (id, ends_at) = (id.clone(), *ends_at);
    let plugin = PluginProcess::start(&PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin");
    let settings = json!({ "prometheusUrl": prom.url, "alertmanagerUrl": am.url, "evaluationInterval": "1s" });
    let answer = evaluate(&plugin, settings).await;
    let note = answer.alertmanager.as_ref().expect("the Alertmanager's note");
    assert_eq!((note.error.as_deref(), note.silences), (None, 1), "{note:?}");
    let alert = answer.alerts.iter().find(|a| a.name == "CodexKafkaCompletionsLagHigh").expect("the alert");
    assert_eq!(alert.state, AlertState::Firing);
    let held = alert.suppressed.as_ref().expect("marked silenced");
    assert_eq!(held.silences.len(), 1);
    let silence = &held.silences[0];
    assert_eq!(
        (silence.id.as_str(), silence.created_by.as_str(), silence.comment.as_str(), silence.ends_at),
        (id.as_str(), AUTHOR, COMMENT, Some(ends_at))
    );
    let words = alert.held_back.as_deref().unwrap_or_default();
    assert!(
        words.starts_with("silenced by alice until ") && words.ends_with(" UTC: draining after the deploy"),
        "{words}"
    );
    let kafka = kafka_stage(&answer);
    assert_eq!((kafka.status, kafka.suppressed), (StageStatus::Warning, true), "the status stays, drawn calmer");

    // An Alertmanager that does not answer: a reason, nothing else changes.
    let closed = format!("http://127.0.0.1:{}", free_port().expect("port"));
    let answer =
        evaluate(&plugin, json!({ "prometheusUrl": prom.url, "alertmanagerUrl": closed, "evaluationInterval": "1s" }))
            .await;
    let note = answer.alertmanager.as_ref().expect("the Alertmanager's note");
    assert!(note.error.as_deref().is_some_and(|e| e.contains(&closed)), "{note:?}");
    let kafka = kafka_stage(&answer);
    assert_eq!((kafka.status, kafka.suppressed), (StageStatus::Warning, false));
    assert!(answer.alerts.iter().all(|a| a.suppressed.is_none() && a.held_back.is_none()));
}

/// The same silence in the browser: the repository's provisioned dashboard in the dev host, the app
/// pointed at the Prometheus (its own ruler) and the Alertmanager; `tests/e2e/silence.e2e.mjs`
/// checks the tile, the tooltip and the drill-down in both themes and takes their screenshots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_shows_in_the_panel_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    assert_built(&root);
    let live = silenced_kafka_alert().await;
    let mut provisioning =
        Provisioning::read(&[root.join("provisioning")], &env_with_prometheus(&live.prom.url)).expect("provisioning");
    let app = provisioning.apps.iter_mut().find(|a| a.app_type == APP_ID).expect("the provisioned app");
    app.settings.json_data =
        json!({ "prometheusUrl": live.prom.url, "alertmanagerUrl": live.am.url, "evaluationInterval": "1s" });
    let plugin = Arc::new(PluginProcess::start(Path::new(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin"));
    let script = "tests/e2e/silence.e2e.mjs";
    for shots in assert_passes_on_each_demo_host(&root, &provisioning, &plugin, script, &[AUTHOR, COMMENT]).await {
        for shot in ["tile", "tooltip", "drilldown"] {
            for theme in ["dark", "light"] {
                assert!(shots.join(format!("silenced-{shot}-{theme}.png")).exists());
            }
        }
    }
}
