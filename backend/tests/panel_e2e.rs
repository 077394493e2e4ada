//! The flow panel end to end: a real Prometheus with the lag-spike story, the real plugin binary,
//! the dev host serving `dist/` as Grafana serves plugins, and headless Chromium driven by
//! `tests/e2e/panel.e2e.mjs` (Playwright). Needs `scripts/build-frontend.sh` and the harness build first;
//! `scripts/test.sh` does both.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codexflow_testkit::browser::{assert_built, assert_script_passes};
use codexflow_testkit::grafana::boot::PLAYED_VERSIONS;
use codexflow_testkit::grafana::devhost::{DevHost, DATASOURCE_ID, PANEL_ID};
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess, APP_ID};
use codexflow_testkit::grafana::plugins::LoadingConfig;
use codexflow_testkit::grafana::provisioning::{env_with_prometheus, ProvisionedApp, Provisioning};
use codexflow_testkit::prometheus::PrometheusServer;
use codexflow_testkit::scenario::openmetrics_of;
use codexflow_testkit::stories::lag_spikes_until_now;

/// The runbook rules plus a critical one (with a team's annotations: summary, description, runbook,
/// owner), so the story has a critical stage to click, and a team's
/// group of rules no stage can be decided for (a watchdog that always fires, a disk rule whose
/// metric is absent): they must be evaluated and shown among the other alerts, none lost.
const RULES: &str = concat!(
    include_str!("../../provisioning/rules/codex-pipeline-observability.rules.yaml"),
    r#"      - alert: CodexKafkaCompletionsLagCritical
        expr: sum(kafka_consumergroup_lag{consumergroup="jangar-codex-completions", topic="argo.workflows.completions"}) > 1500
        for: 5m
        labels:
          severity: critical
          stage: kafka
          team: data-platform
        annotations:
          summary: 'Kafka completions lag is {{ $value | humanize }} messages'
          description: "Consumer group jangar-codex-completions is {{ $value }} messages behind.\nDrain it before the topic's retention."
          runbook_url: https://runbooks.example/codex#kafka-lag
  - name: team-extras
    rules:
      - alert: Watchdog
        expr: vector(1)
        labels:
          severity: none
      - alert: DiskAlmostFull
        expr: node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1
        for: 5m
        labels:
          severity: critical
"#
);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_in_chromium_against_the_real_backend() {
    let root = root();
    assert_built(&root);
    // "Now" is 122 minutes into the story: Kafka lag past 1,500 (critical) and NATS behind (warning).
    let story = lag_spikes_until_now(122);
    let prom = PrometheusServer::start(&openmetrics_of(std::slice::from_ref(&story)), "").expect("prometheus");
    let plugin = Arc::new(PluginProcess::start(Path::new(env!("CARGO_BIN_EXE_gpx_codexflow"))).await.expect("plugin"));
    // The repository's provisioning (dashboard, datasource, app), with this story's rules for the app.
    // The repository's provisioning, and dashboards shaped like teams' own (tests/fixtures/provisioning).
    let dirs = [root.join("provisioning"), root.join("tests/fixtures/provisioning")];
    let mut provisioning = Provisioning::read(&dirs, &env_with_prometheus(&prom.url)).unwrap();
    // The team's dashboard once more, stored as schema v2, as Grafana 13 stores it once saved from its
    // editor: the legacy dashboard API refuses it with 406 (testkit/src/grafana/dashboard_v2.rs).
    let mut team_v2 =
        provisioning.dashboards.iter().find(|d| d["uid"] == "team-codex").expect("the team's dashboard").clone();
    team_v2["uid"] = serde_json::json!("team-codex-v2");
    provisioning.dashboards.push(team_v2);
    provisioning.stored_as_v2.push("team-codex-v2".into());
    let settings = AppSettings {
        json_data: serde_json::json!({ "prometheusUrl": prom.url, "rulesYaml": RULES }),
        secure_json_data: Default::default(),
    };
    // The data source in step with the app, as provisioning/datasources/codexflow.yaml asks.
    provisioning.datasource_settings.insert("codexflow".into(), settings.clone());
    provisioning.apps = vec![ProvisionedApp { app_type: APP_ID.into(), org_id: 1, enabled: true, settings }];
    // The same script under each Grafana the host plays (12.4 with React 18, 13.2 with React 19).
    for version in PLAYED_VERSIONS {
        let host = DevHost {
            dist: root.join("dist"),
            harness: root.join("target/harness"),
            provisioning: provisioning.clone(),
            plugin: plugin.clone(),
            loading: LoadingConfig::allowing(&[APP_ID, PANEL_ID, DATASOURCE_ID]),
            version: version.into(),
            alert_scheduler: false,
        }
        .start("127.0.0.1:0")
        .await
        .expect("dev host");
        // The README's old advice: only the app's id allowed to load unsigned.
        let refusing = DevHost {
            dist: root.join("dist"),
            harness: root.join("target/harness"),
            provisioning: provisioning.clone(),
            plugin: plugin.clone(),
            loading: LoadingConfig::allowing(&[APP_ID]),
            version: version.into(),
            alert_scheduler: false,
        }
        .start("127.0.0.1:0")
        .await
        .expect("refusing dev host");

        let script = "tests/e2e/panel.e2e.mjs";
        let shots = assert_script_passes(&root, version, &host.url, script, &[&refusing.url], &plugin).await;
        assert!(shots.join("drilldown.png").exists());
    }
}
