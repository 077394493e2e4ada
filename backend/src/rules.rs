//! Alerting rules in Prometheus rule-group YAML (the Mimir ruler's format too).
//!
//! Parsing is strict where Prometheus is strict (unknown rule keys, bad
//! durations, bad PromQL), because a typo such as `fro: 15m` that we accepted
//! silently would evaluate a different rule than the ruler does.

use std::collections::BTreeMap;

use codexflow_core::alerting::RuleTiming;
use codexflow_core::duration::{format_duration, parse_duration};
use serde::Deserialize;
use thiserror::Error;

use crate::promql::{self, Query};

/// The stage of each runbook alert, for rule files that carry no `stage` label
/// (the rules as deployed upstream do not).
pub const DEFAULT_STAGE_OF: [(&str, &str); 4] = [
    ("CodexKafkaCompletionsLagHigh", "kafka"),
    ("CodexNatsAgentCommsLagHigh", "nats"),
    ("CodexJangarAgentCommsStalled", "jangar"),
    ("CodexJangarSseErrorRate", "sse"),
];

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RuleError {
    #[error("not a rule file: {0}")]
    Yaml(String),
    #[error("no alerting rules found (a file needs `groups:` with at least one `alert:` rule)")]
    Empty,
    #[error("group {group:?}, rule {index}: {message}")]
    Rule { group: String, index: usize, message: String },
}

/// How a rule's stage was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageSource {
    Label,
    Default,
}

impl StageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            StageSource::Label => "label",
            StageSource::Default => "default",
        }
    }
}

/// One alerting rule, parsed and mapped to a stage.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub group: String,
    pub query: Query,
    pub timing: RuleTiming,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub stage: String,
    pub stage_source: StageSource,
    pub severity: String,
}

/// The rules in force.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileYaml {
    groups: Vec<GroupYaml>,
}

/// Groups may carry ruler-specific keys (`interval`, `limit`, Mimir's `source_tenants`);
/// ticks come from our own interval, so those are accepted and not used.
#[derive(Deserialize)]
struct GroupYaml {
    name: String,
    #[serde(default)]
    rules: Vec<RuleYaml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleYaml {
    #[serde(default)]
    alert: Option<String>,
    #[serde(default)]
    record: Option<String>,
    expr: ScalarYaml,
    #[serde(default, rename = "for")]
    for_: Option<ScalarYaml>,
    #[serde(default)]
    keep_firing_for: Option<ScalarYaml>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// YAML scalars that Prometheus reads as strings (`for: 0`, `expr: 1`).
#[derive(Deserialize)]
#[serde(untagged)]
enum ScalarYaml {
    Str(String),
    Int(i64),
    Float(f64),
}

impl ScalarYaml {
    fn text(&self) -> String {
        match self {
            ScalarYaml::Str(s) => s.clone(),
            ScalarYaml::Int(i) => i.to_string(),
            ScalarYaml::Float(f) => f.to_string(),
        }
    }
}

impl RuleSet {
    pub fn parse(yaml: &str) -> Result<RuleSet, RuleError> {
        let file: FileYaml = serde_yaml_ng::from_str(yaml).map_err(|e| RuleError::Yaml(e.to_string()))?;
        let mut rules = Vec::new();
        for group in file.groups {
            for (index, raw) in group.rules.into_iter().enumerate() {
                let fail = |message: String| RuleError::Rule { group: group.name.clone(), index, message };
                let name = match (raw.alert, raw.record) {
                    (Some(_), Some(_)) => return Err(fail("has both `alert` and `record`".into())),
                    (None, None) => return Err(fail("needs `alert` or `record`".into())),
                    // Recording rules feed other rules inside the ruler; they raise no alerts.
                    (None, Some(_)) => continue,
                    (Some(name), None) => name,
                };
                let fail = |message: String| RuleError::Rule {
                    group: group.name.clone(),
                    index,
                    message: format!("alert {name}: {message}"),
                };
                if name.trim().is_empty() {
                    return Err(fail("the alert name is empty".into()));
                }
                let duration = |v: &Option<ScalarYaml>, key: &str| -> Result<i64, RuleError> {
                    match v {
                        None => Ok(0),
                        Some(v) => parse_duration(&v.text()).map_err(|e| fail(format!("`{key}`: {e}"))),
                    }
                };
                let timing = RuleTiming {
                    hold_ms: duration(&raw.for_, "for")?,
                    keep_firing_for_ms: duration(&raw.keep_firing_for, "keep_firing_for")?,
                };
                let query = promql::Query::parse(&raw.expr.text()).map_err(|e| fail(format!("`expr`: {e}")))?;
                if let Some((k, _)) = raw.labels.iter().find(|(_, v)| v.contains("{{")) {
                    return Err(fail(format!(
                        "label {k} uses a template; label templates are not supported (annotations may use them)"
                    )));
                }
                if let Some(k) = raw.labels.keys().find(|k| !is_label_name(k)) {
                    return Err(fail(format!("invalid label name {k:?}")));
                }
                let (stage, stage_source) = match raw.labels.get("stage") {
                    Some(stage) => (stage.clone(), StageSource::Label),
                    None => match DEFAULT_STAGE_OF.iter().find(|(alert, _)| *alert == name) {
                        Some((_, stage)) => (stage.to_string(), StageSource::Default),
                        None => {
                            return Err(fail(
                                "has no `stage` label and is not one of the runbook alerts; add labels: {stage: <stage id>}"
                                    .into(),
                            ))
                        }
                    },
                };
                let severity = raw.labels.get("severity").cloned().unwrap_or_default();
                rules.push(Rule {
                    name,
                    group: group.name.clone(),
                    query,
                    timing,
                    labels: raw.labels,
                    annotations: raw.annotations,
                    stage,
                    stage_source,
                    severity,
                });
            }
        }
        if rules.is_empty() {
            return Err(RuleError::Empty);
        }
        Ok(RuleSet { rules })
    }
}

impl Rule {
    /// The rule as `GET v1/rules` shows it.
    pub fn info(&self) -> codexflow_core::api::RuleInfo {
        codexflow_core::api::RuleInfo {
            name: self.name.clone(),
            group: self.group.clone(),
            stage: self.stage.clone(),
            stage_source: self.stage_source.as_str().to_string(),
            expr: self.query.text.clone(),
            for_: format_duration(self.timing.hold_ms),
            keep_firing_for: format_duration(self.timing.keep_firing_for_ms),
            severity: self.severity.clone(),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            selectors: self.query.selectors.clone(),
        }
    }
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse_and_map_by_default() {
        let set = crate::defaults::rules();
        let got: Vec<_> = set.rules.iter().map(|r| (r.name.as_str(), r.stage.as_str(), r.stage_source)).collect();
        assert_eq!(
            got,
            [
                ("CodexKafkaCompletionsLagHigh", "kafka", StageSource::Default),
                ("CodexNatsAgentCommsLagHigh", "nats", StageSource::Default),
                ("CodexJangarAgentCommsStalled", "jangar", StageSource::Default),
                ("CodexJangarSseErrorRate", "sse", StageSource::Default),
            ]
        );
        assert_eq!(set.rules[0].timing.hold_ms, 15 * 60_000);
        assert_eq!(set.rules[2].timing.hold_ms, 10 * 60_000);
        assert!(set.rules.iter().all(|r| r.severity == "warning"));
    }

    #[test]
    fn stage_label_wins_and_recording_rules_are_skipped() {
        let set = RuleSet::parse(
            "groups:\n- name: g\n  interval: 30s\n  rules:\n  - record: x:sum\n    expr: sum(x)\n  - alert: CodexKafkaCompletionsLagHigh\n    expr: x > 1\n    for: 0\n    keep_firing_for: 5m\n    labels: {stage: nats, severity: critical}\n",
        )
        .unwrap();
        assert_eq!(set.rules.len(), 1);
        let r = &set.rules[0];
        assert_eq!((r.stage.as_str(), r.stage_source), ("nats", StageSource::Label));
        assert_eq!(r.timing, RuleTiming { hold_ms: 0, keep_firing_for_ms: 300_000 });
        assert_eq!(r.severity, "critical");
    }

    #[test]
    fn mistakes_are_reported_with_their_place() {
        let cases = [
            ("nope", "not a rule file"),
            ("groups: []", "no alerting rules"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    fro: 5m\n", "fro"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(x\n", "`expr`"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    for: 5 minutes\n", "`for`"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n", "no `stage` label"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    labels: {stage: '{{ $labels.x }}'}\n", "template"),
            ("groups:\n- name: g\n  rules:\n  - expr: x\n", "needs `alert` or `record`"),
        ];
        for (yaml, needle) in cases {
            let err = RuleSet::parse(yaml).expect_err(yaml).to_string();
            assert!(err.contains(needle), "{yaml:?} gave {err:?}, expected it to mention {needle:?}");
        }
    }
}
