//! The backend against the oracle: for every scenario and rule set, every tick
//! of `v1/evaluate` must be what `promtool test rules` (Prometheus' own rule
//! engine, fed the same series) reports.
//!
//! Needs `prometheus` and `promtool` (scripts/setup.sh installs them) and the
//! built plugin binary (`cargo test --workspace` builds it).

use std::path::Path;

use codexflow_core::api::{EvaluateRequest, EvaluateResponse};
use codexflow_core::compact::{as_sent, expand, spark_spacing, Encoding};
use codexflow_testkit::oracle::{rule_expectations, test_file, test_group};

use codexflow_testkit::daemon::scratch_dir;
use codexflow_testkit::grafana::plugin_host::{AppSettings, PluginProcess};
use codexflow_testkit::prometheus::{promtool, PrometheusServer};
use codexflow_testkit::scenario::{openmetrics_of, Scenario};
use codexflow_testkit::stories::{base_days_ago, oracle_scenarios, MINUTE};
use serde_json::json;

const DEFAULT_RULES: &str = include_str!("../../provisioning/rules/codex-pipeline-observability.rules.yaml");
const CUSTOM_THRESHOLDS: &str = include_str!("rules/custom-thresholds.rules.yaml");
const BY_LABELS: &str = include_str!("rules/by-labels.rules.yaml");
const MULTI_INTERVAL: &str = include_str!("rules/multi-interval.rules.yaml");

/// The per-tick answer; the compact answer to the same request (`core::compact`) is checked to
/// expand to exactly it but for the alert values it sends at the sparkline's resolution, so every
/// window below also checks the panel's encoding.
async fn evaluate(
    plugin: &PluginProcess,
    settings: &AppSettings,
    from: i64,
    to: i64,
    interval_ms: i64,
) -> EvaluateResponse {
    let answer: EvaluateResponse =
        serde_json::from_slice(&evaluate_body(plugin, settings, from, to, interval_ms).await)
            .expect("evaluate answer parses as the shared type");
    let body =
        serde_json::to_vec(&EvaluateRequest { from, to, interval_ms: Some(interval_ms), encoding: Encoding::Runs })
            .unwrap();
    let response = plugin.call_resource(Some(settings), "POST", "v1/evaluate", &body).await.expect("CallResource");
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    let compact: EvaluateResponse = serde_json::from_slice(&response.body).expect("the compact answer parses");
    assert_eq!(compact.encoding, Encoding::Runs);
    // Alert values at the sparkline's resolution: as many of the alert's ticks apart as the
    // sparkline's mean spacing holds; everything else exactly the per-tick answer.
    let spacing = compact.spark.as_deref().map_or(0, spark_spacing);
    let mut expected = answer.clone();
    for (alert, sent) in expected.alerts.iter_mut().zip(&compact.alerts) {
        if let Some(runs) = &sent.runs {
            let every = (spacing / runs.step).max(1);
            assert_eq!(runs.every, every, "{} sends its values every {every} ticks", alert.name);
            as_sent(&mut alert.timeline, every);
        }
    }
    let expanded = expand(compact).expect("the compact answer expands");
    let parts = |a: &EvaluateResponse| serde_json::to_string(&(&a.ticks, &a.stages, &a.edges, &a.alerts)).unwrap();
    assert_eq!(parts(&expanded), parts(&expected), "compact {from}..{to} at {interval_ms} ms");
    answer
}

/// The answer as it went over the wire.
async fn evaluate_body(
    plugin: &PluginProcess,
    settings: &AppSettings,
    from: i64,
    to: i64,
    interval_ms: i64,
) -> Vec<u8> {
    let body =
        serde_json::to_vec(&EvaluateRequest { from, to, interval_ms: Some(interval_ms), encoding: Default::default() })
            .unwrap();
    let response = plugin.call_resource(Some(settings), "POST", "v1/evaluate", &body).await.expect("CallResource");
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    response.body
}

/// Evaluates each scenario over its whole span and over a window starting mid-story
/// (so the lookback must reconstruct state), then lets promtool check every tick.
async fn check_rule_set(
    plugin: &PluginProcess,
    prom: &PrometheusServer,
    scenarios: &[Scenario],
    name: &str,
    rules_yaml: &str,
    use_default: bool,
    interval_ms: i64,
) {
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
        Err(e) => panic!(
            "{name}: promtool disagrees with the backend (files kept in {}):\n{}",
            dir.display(),
            truncate(&e.to_string())
        ),
    }
}

/// Refreshes as a dashboard does, each evaluated with what the windows before it kept (the default
/// settle time; the backfill is days old, so every tick is settled): windows sliding forward over
/// each scenario, now and then one that starts earlier than the last (ticks asked before what is
/// kept). Every answer must equal a cold evaluation of the same window (`settleTime: 0s` keeps
/// nothing), tick for tick, and agree with promtool; some windows start mid-episode.
async fn check_sliding(
    plugin: &PluginProcess,
    prom: &PrometheusServer,
    scenarios: &[Scenario],
    name: &str,
    rules_yaml: Option<&str>,
    interval_ms: i64,
) {
    let mut json_data = json!({ "prometheusUrl": prom.url, "evaluationInterval": "1m" });
    if let Some(yaml) = rules_yaml {
        json_data["rulesYaml"] = json!(yaml);
    }
    let kept = AppSettings { json_data: json_data.clone(), secure_json_data: Default::default() };
    json_data["settleTime"] = json!("0s");
    let cold = AppSettings { json_data, secure_json_data: Default::default() };
    let rules = rules_yaml.unwrap_or(DEFAULT_RULES);
    let expectations = rule_expectations(rules);
    // Windows whose newest sparkline point is not on the spark ticks (asked in one batch, `evaluate::graphs`).
    let (mut groups, mut windows, mut mid_episode, mut last, mut newest_apart) = (Vec::new(), 0, 0, None, 0);
    for sc in scenarios {
        let mut from = sc.start + 11 * MINUTE + 22_000;
        let mut k = 0;
        while from + 90 * MINUTE <= sc.end() {
            let to = from + 90 * MINUTE;
            let refreshed_body = evaluate_body(plugin, &kept, from, to, interval_ms).await;
            let cold_body = evaluate_body(plugin, &cold, from, to, interval_ms).await;
            if refreshed_body != cold_body {
                let (a, b): (serde_json::Value, serde_json::Value) =
                    (serde_json::from_slice(&refreshed_body).unwrap(), serde_json::from_slice(&cold_body).unwrap());
                let differs: Vec<_> = a
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, v)| b.get(k.as_str()) != Some(v))
                    .map(|(k, _)| k.clone())
                    .collect();
                panic!(
                    "{name}, {} window {from}..{to}: the refreshed answer differs from a cold one in {differs:?}",
                    sc.name
                );
            }
            let refreshed: EvaluateResponse = serde_json::from_slice(&refreshed_body).unwrap();
            mid_episode += refreshed
                .alerts
                .iter()
                .filter(|a| a.timeline.first().is_some_and(|p| p.state != codexflow_core::AlertState::Inactive))
                .count();
            if windows % 2 == 0 {
                groups.push(test_group(sc, &refreshed, &expectations, interval_ms));
            }
            let spark = refreshed
                .stages
                .iter()
                .find(|s| s.id == "kafka")
                .map(|s| s.series.iter().map(|p| p.t).collect::<Vec<_>>())
                .unwrap_or_default();
            if let [.., a, b, c] = spark[..] {
                if c - b != b - a {
                    newest_apart += 1;
                    last = Some(refreshed);
                }
            }
            windows += 1;
            k += 1;
            from += if k % 3 == 0 { -5 * MINUTE } else { 17 * MINUTE };
        }
    }
    assert!(mid_episode > 0, "{name}: no window starts mid-episode");
    if interval_ms < MINUTE {
        assert!(newest_apart > 0, "{name}: some window's sparkline ends off its ticks");
        check_graphs(prom, &last.expect("a window whose sparkline ends off its ticks")).await;
    }
    let health = plugin.check_health(Some(&kept)).await.expect("CheckHealth");
    let details: codexflow_core::api::HealthDetails =
        serde_json::from_slice(&health.json_details).expect("health details");
    let settled = details.settled.expect("CheckHealth reports what is kept");
    assert!(settled.ticks_reused > settled.ticks_asked, "{name}: refreshes reused what was kept: {settled:?}");

    let dir = scratch_dir(&format!("codexflow-sliding-{name}"));
    std::fs::write(dir.join("rules.yaml"), rules).unwrap();
    std::fs::write(dir.join("test.yaml"), test_file("rules.yaml", interval_ms, &groups)).unwrap();
    match promtool(&["test", "rules", "test.yaml"], Some(&dir)) {
        Ok(out) => {
            assert!(out.contains("SUCCESS"), "{out}");
            eprintln!("{name}: {windows} refreshed windows equal cold ones ({mid_episode} alerts active at a window's start, {newest_apart} sparklines ending off their ticks); promtool agrees; {settled:?}");
            let _ = std::fs::remove_dir_all(&dir);
        }
        Err(e) => panic!(
            "{name}: promtool disagrees with a refreshed answer (files kept in {}):\n{}",
            dir.display(),
            truncate(&e.to_string())
        ),
    }
}

/// Every point of every stage's sparkline (all graphs asked in one query, `evaluate::graphs`,
/// partly kept from earlier windows), against Prometheus asked for each headline on its own there.
async fn check_graphs(prom: &PrometheusServer, answer: &EvaluateResponse) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let pipeline = codexflow_backend::defaults::pipeline();
    let mut checked = 0;
    for (stage, spec) in answer.stages.iter().zip(&pipeline.stages) {
        for point in &stage.series {
            let form =
                [("query", format!("sum({})", spec.headline.expr)), ("time", format!("{}", point.t as f64 / 1000.0))];
            let r = http.post(format!("{}/api/v1/query", prom.url)).form(&form).send().await.expect("instant query");
            assert!(r.status().is_success());
            let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON");
            let direct = v["data"]["result"][0]["value"][1].as_str().and_then(|s| s.parse::<f64>().ok());
            assert_eq!(point.v, direct, "{}: sparkline at {} is the headline asked on its own", stage.id, point.t);
            checked += 1;
        }
    }
    assert!(checked >= 400, "sparkline points checked: {checked}");
    assert_eq!(
        answer.stages.iter().find(|s| s.id == "kafka").and_then(|s| s.series.last()).map(|p| p.t),
        answer.ticks.last().copied(),
        "the sparkline ends on the last tick"
    );
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
    check_group(&plugin, &prom, &scenarios, "multi-interval-slow", MULTI_INTERVAL, &slow, true, MINUTE, 2 * MINUTE)
        .await;

    check_sliding(&plugin, &prom, &scenarios, "sliding-default", None, MINUTE).await;
    // At 15 s, 90 minutes are 361 ticks: sparklines every other tick, the newest on its own when odd.
    check_sliding(&plugin, &prom, &scenarios, "sliding-by-labels", Some(BY_LABELS), 15_000).await;
    check_values_apart(&plugin, &prom, &scenarios).await;
}

/// Each whole story with the rules evaluated every 5 s: so many ticks that the compact answer sends
/// its alert values several of the alerts' ticks apart (the windows above hold too few ticks for
/// that), and `evaluate` holds those to the per-tick answer's (`as_sent`).
async fn check_values_apart(plugin: &PluginProcess, prom: &PrometheusServer, scenarios: &[Scenario]) {
    let settings = AppSettings {
        json_data: json!({ "prometheusUrl": prom.url, "evaluationInterval": "5s" }),
        secure_json_data: Default::default(),
    };
    let mut valued_apart = 0;
    for sc in scenarios {
        let answer = evaluate(plugin, &settings, sc.start, sc.end(), 5_000).await;
        let spacing = spark_spacing(
            &answer
                .stages
                .iter()
                .find(|s| !s.series.is_empty())
                .map(|s| s.series.iter().map(|p| p.t).collect::<Vec<_>>())
                .unwrap_or_default(),
        );
        assert!(spacing >= 20_000, "{}: sparkline instants {spacing} ms apart, alert ticks 5 s", sc.name);
        valued_apart +=
            answer.alerts.iter().filter(|a| a.timeline.iter().filter(|p| p.value.is_some()).count() > 4).count();
    }
    assert!(valued_apart > 0, "some alert held long enough to have values sent apart");
}
