//! The backend against the oracle: for every scenario and rule set, every tick
//! of `v1/evaluate` must be what `promtool test rules` (Prometheus' own rule
//! engine, fed the same series) reports.
//!
//! Needs `prometheus` and `promtool` (scripts/setup.sh installs them) and the
//! built plugin binary (`cargo test --workspace` builds it).

use std::path::Path;

use codexflow_core::api::{EvaluateRequest, EvaluateResponse};
use codexflow_testkit::oracle::{rule_expectations, test_file, test_group};

use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::{promtool, scratch_dir, PrometheusServer};
use codexflow_testkit::scenario::{openmetrics_of, Scenario};
use codexflow_testkit::stories::{base_days_ago, oracle_scenarios, MINUTE};
use serde_json::json;

const DEFAULT_RULES: &str = include_str!("../../provisioning/rules/codex-pipeline-observability.rules.yaml");
const CUSTOM_THRESHOLDS: &str = include_str!("rules/custom-thresholds.rules.yaml");
const BY_LABELS: &str = include_str!("rules/by-labels.rules.yaml");
const MULTI_INTERVAL: &str = include_str!("rules/multi-interval.rules.yaml");

async fn evaluate(plugin: &PluginProcess, settings: &AppSettings, from: i64, to: i64, interval_ms: i64) -> EvaluateResponse {
    let body = serde_json::to_vec(&EvaluateRequest { from, to, interval_ms: Some(interval_ms) }).unwrap();
    let response = plugin.call_resource(Some(settings), "POST", "v1/evaluate", &body).await.expect("CallResource");
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    serde_json::from_slice(&response.body).expect("evaluate answer parses as the shared type")
}

/// Evaluates each scenario over its whole span and over a window starting mid-story
/// (so the lookback must reconstruct state), then lets promtool check every tick.
async fn check_rule_set(plugin: &PluginProcess, prom: &PrometheusServer, scenarios: &[Scenario], name: &str, rules_yaml: &str, use_default: bool, interval_ms: i64) {
    check_group(plugin, prom, scenarios, name, rules_yaml, rules_yaml, !use_default, interval_ms, interval_ms).await;
}

/// One group of `all_rules` (the rules in force), checked at its own interval `group_interval_ms`
/// against promtool running `group_rules` (that group alone: promtool evaluates every group of a
/// file at the file's one `evaluation_interval`). `interval_ms` is the request's.
#[allow(clippy::too_many_arguments)]
async fn check_group(
    plugin: &PluginProcess,
    prom: &PrometheusServer,
    scenarios: &[Scenario],
    name: &str,
    all_rules: &str,
    group_rules: &str,
    send_rules: bool,
    interval_ms: i64,
    group_interval_ms: i64,
) {
    let mut json_data = json!({ "prometheusUrl": prom.url, "evaluationInterval": "1m" });
    if send_rules {
        json_data["rulesYaml"] = json!(all_rules);
    }
    let settings = AppSettings { json_data, secure_json_data: Default::default() };
    let expectations = rule_expectations(group_rules);
    let mut groups = Vec::new();
    let mut ticks = 0;
    let mut active = 0;
    for sc in scenarios {
        for (from, to) in [(sc.start, sc.end()), (sc.start + 37 * MINUTE + 1, sc.end() - 13 * MINUTE)] {
            let answer = evaluate(plugin, &settings, from, to, interval_ms).await;
            let names: std::collections::BTreeSet<_> = answer.alerts.iter().map(|a| a.name.clone()).collect();
            assert!(expectations.iter().all(|e| names.contains(&e.name)), "{name}: every rule has alerts: {names:?}");
            let group_ticks = (from..=to).filter(|t| t % group_interval_ms == 0).count();
            for a in answer.alerts.iter().filter(|a| expectations.iter().any(|e| e.name == a.name)) {
                assert_eq!(a.timeline.len(), group_ticks, "{}: one timeline entry per tick of its group", a.name);
                active += a.timeline.iter().filter(|p| p.state != codexflow_core::AlertState::Inactive).count();
                ticks += a.timeline.len();
            }
            groups.push(test_group(sc, &answer, &expectations, group_interval_ms));
        }
    }
    // A test that never sees an alert proves nothing about the state machine.
    assert!(active > 20, "{name}: only {active} pending/firing alert-ticks in the scenarios");

    let dir = scratch_dir(&format!("codexflow-oracle-{name}"));
    std::fs::write(dir.join("rules.yaml"), group_rules).unwrap();
    std::fs::write(dir.join("test.yaml"), test_file("rules.yaml", group_interval_ms, &groups)).unwrap();
    let result = promtool(&["test", "rules", "test.yaml"], Some(&dir));
    match result {
        Ok(out) => {
            assert!(out.contains("SUCCESS"), "{out}");
            eprintln!("{name}: promtool agrees on {ticks} alert-ticks ({active} pending/firing)");
            let _ = std::fs::remove_dir_all(&dir);
        }
        Err(e) => panic!("{name}: promtool disagrees with the backend (files kept in {}):\n{}", dir.display(), truncate(&e.to_string())),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(6000).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tick_matches_promtool() {
    let binary = std::path::PathBuf::from(env!("CARGO_BIN_EXE_gpx_codexflow"));
    assert!(Path::new(&binary).exists(), "plugin binary {} missing: build the workspace first", binary.display());
    let scenarios = oracle_scenarios(base_days_ago(7));
    let prom = PrometheusServer::start(&openmetrics_of(&scenarios), "").expect("Prometheus starts with the backfill");
    let plugin = PluginProcess::start(&binary).await.expect("plugin starts and hands shakes");

    check_rule_set(&plugin, &prom, &scenarios, "default", DEFAULT_RULES, true, MINUTE).await;
    check_rule_set(&plugin, &prom, &scenarios, "custom-thresholds", CUSTOM_THRESHOLDS, false, 30_000).await;
    check_rule_set(&plugin, &prom, &scenarios, "by-labels", BY_LABELS, false, MINUTE).await;
    // Two groups at 30 s and 2 m in one file, asked for at 1 m: each group at its own ticks.
    let (fast, slow) = MULTI_INTERVAL.split_once("  - name: slow").expect("two groups");
    let slow = format!("groups:\n  - name: slow{slow}");
    check_group(&plugin, &prom, &scenarios, "multi-interval-fast", MULTI_INTERVAL, fast, true, MINUTE, 30_000).await;
    check_group(&plugin, &prom, &scenarios, "multi-interval-slow", MULTI_INTERVAL, &slow, true, MINUTE, 2 * MINUTE).await;
}
