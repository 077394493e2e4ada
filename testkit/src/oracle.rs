//! Turns the backend's answer into a `promtool test rules` file: promtool is the oracle.
//!
//! For every tick of the answer and every rule, the generated test asserts
//! what a Prometheus ruler would report at that tick:
//! * `alert_rule_test`: exactly the firing alerts, with labels and annotations;
//! * `promql_expr_test` on `ALERTS{alertname=…}`: exactly the pending and firing
//!   alerts with their `alertstate`;
//! * `promql_expr_test` on `ALERTS_FOR_STATE{alertname=…}`: each active alert's `activeAt`.
//!
//! promtool evaluates from its time 0; the scenario's `start` is that 0, so a
//! tick `t` becomes `t - start` (a whole number of minutes, as ticks are aligned).

use std::collections::BTreeMap;
use std::fmt::Write;

use codexflow_core::api::EvaluateResponse;
use codexflow_core::AlertState;

use crate::scenario::Scenario;

/// A rule's name and static annotations, as the oracle must expect them.
#[derive(Debug, Clone)]
pub struct RuleExpectation {
    pub name: String,
    pub annotations: BTreeMap<String, String>,
}

/// Reads alert names and annotations from a rules YAML (only static annotations are supported).
pub fn rule_expectations(rules_yaml: &str) -> Vec<RuleExpectation> {
    #[derive(serde::Deserialize)]
    struct File {
        groups: Vec<Group>,
    }
    #[derive(serde::Deserialize)]
    struct Group {
        rules: Vec<Rule>,
    }
    #[derive(serde::Deserialize)]
    struct Rule {
        alert: Option<String>,
        #[serde(default)]
        annotations: BTreeMap<String, String>,
    }
    let file: File = serde_yaml_ng::from_str(rules_yaml).expect("rules YAML for the oracle parses");
    file.groups
        .into_iter()
        .flat_map(|g| g.rules)
        .filter_map(|r| {
            assert!(r.annotations.values().all(|v| !v.contains("{{")), "oracle rules must have static annotations");
            r.alert.map(|name| RuleExpectation { name, annotations: r.annotations })
        })
        .collect()
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn minutes(ms: i64) -> String {
    assert!(ms % 1000 == 0, "ticks are whole seconds");
    format!("{}s", ms / 1000)
}

fn label_text(name: &str, labels: &codexflow_core::Labels, extra: &[(&str, &str)]) -> String {
    let mut all: BTreeMap<&str, &str> = labels.iter().collect();
    all.extend(extra.iter().copied());
    let inner: Vec<String> = all.iter().map(|(k, v)| format!("{k}={}", quote(v))).collect();
    format!("{name}{{{}}}", inner.join(", "))
}

/// One promtool test group checking `answer` (evaluated over `scenario`'s data) tick by tick.
pub fn test_group(
    scenario: &Scenario,
    answer: &EvaluateResponse,
    rules: &[RuleExpectation],
    interval_ms: i64,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  # scenario {}: {} ticks from {} to {}",
        scenario.name,
        answer.ticks.len(),
        answer.from,
        answer.to
    );
    let _ = writeln!(out, "  - interval: {}", minutes(scenario.scrape_ms));
    let _ = writeln!(out, "    input_series:");
    for (series, values) in scenario.promtool_input() {
        let _ = writeln!(out, "      - series: {}\n        values: {}", quote(&series), quote(&values));
    }
    let mut alert_tests = String::new();
    let mut expr_tests = String::new();
    for rule in rules {
        let alerts: Vec<_> = answer.alerts.iter().filter(|a| a.name == rule.name).collect();
        assert!(alerts.iter().all(|a| a.error.is_none()), "rule {} errored: {:?}", rule.name, alerts[0].error);
        // Each rule at its own group's ticks, which all its alerts share; promtool's file evaluates
        // at multiples of `interval_ms` from the scenario's start.
        let ticks: Vec<i64> = alerts.first().map(|a| a.timeline.iter().map(|p| p.t).collect()).unwrap_or_default();
        assert!(
            alerts.iter().all(|a| a.timeline.iter().map(|p| p.t).eq(ticks.iter().copied())),
            "{}: its alerts share the ticks",
            rule.name
        );
        for (i, &t) in ticks.iter().enumerate() {
            let rel = t - scenario.start;
            assert!(rel >= 0, "tick before the scenario's start");
            assert_eq!(rel % interval_ms, 0, "{}: tick {t} is not on promtool's {interval_ms} ms ticks", rule.name);
            let _ = writeln!(alert_tests, "      - eval_time: {}\n        alertname: {}", minutes(rel), rule.name);
            let firing: Vec<_> = alerts.iter().filter(|a| a.timeline[i].state == AlertState::Firing).collect();
            if firing.is_empty() {
                let _ = writeln!(alert_tests, "        exp_alerts: []");
            } else {
                let _ = writeln!(alert_tests, "        exp_alerts:");
                for a in &firing {
                    let labels: Vec<String> = a
                        .labels
                        .iter()
                        .filter(|(k, _)| *k != "alertname")
                        .map(|(k, v)| format!("{k}: {}", quote(v)))
                        .collect();
                    let annotations: Vec<String> =
                        rule.annotations.iter().map(|(k, v)| format!("{k}: {}", quote(v))).collect();
                    let _ = writeln!(
                        alert_tests,
                        "          - exp_labels: {{{}}}\n            exp_annotations: {{{}}}",
                        labels.join(", "),
                        annotations.join(", ")
                    );
                }
            }

            let active: Vec<_> = alerts.iter().filter(|a| a.timeline[i].state != AlertState::Inactive).collect();
            let selector = format!("{{alertname={}}}", quote(&rule.name));
            let mut states = String::new();
            let mut since = String::new();
            for a in &active {
                let p = &a.timeline[i];
                let state = if p.state == AlertState::Firing { "firing" } else { "pending" };
                let _ = writeln!(
                    states,
                    "          - labels: {}\n            value: 1",
                    quote(&label_text("ALERTS", &a.labels, &[("alertstate", state)]))
                );
                let active_at = p.active_at.expect("an active alert has activeAt");
                let _ = writeln!(
                    since,
                    "          - labels: {}\n            value: {}",
                    quote(&label_text("ALERTS_FOR_STATE", &a.labels, &[])),
                    (active_at - scenario.start) / 1000
                );
            }
            for (metric, body) in [("ALERTS", states), ("ALERTS_FOR_STATE", since)] {
                let _ = writeln!(
                    expr_tests,
                    "      - expr: {}\n        eval_time: {}",
                    quote(&format!("{metric}{selector}")),
                    minutes(rel)
                );
                if body.is_empty() {
                    let _ = writeln!(expr_tests, "        exp_samples: []");
                } else {
                    let _ = write!(expr_tests, "        exp_samples:\n{body}");
                }
            }
        }
    }
    let _ = write!(out, "    alert_rule_test:\n{alert_tests}    promql_expr_test:\n{expr_tests}");
    out
}

/// A whole promtool test file over `rules_file` (relative to the test file).
pub fn test_file(rules_file: &str, interval_ms: i64, groups: &[String]) -> String {
    format!(
        "rule_files:\n  - {}\nevaluation_interval: {}\ntests:\n{}",
        quote(rules_file),
        minutes(interval_ms),
        groups.concat()
    )
}
