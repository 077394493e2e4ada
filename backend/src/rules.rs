//! Alerting rules in Prometheus rule-group YAML (the Mimir ruler's format too).
//!
//! Parsing is strict where Prometheus is strict (unknown rule keys, bad
//! durations, bad PromQL), because a typo such as `fro: 15m` that we accepted
//! silently would evaluate a different rule than the ruler does.

use std::collections::BTreeMap;

use codexflow_core::alerting::RuleTiming;
use codexflow_core::api::{RuleInfo, RuleSummary, StageSource};
use codexflow_core::duration::{format_duration, parse_duration};
use codexflow_core::limits::{MAX_RULES, MAX_RULES_YAML_BYTES, MAX_YAML_DEPTH};
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

/// One alerting rule, parsed and mapped to a stage.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub group: String,
    pub query: Query,
    pub timing: RuleTiming,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The stage the rule speaks for.
    pub stage: Option<String>,
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
        check_yaml_shape(yaml)?;
        let file: FileYaml = serde_yaml_ng::from_str(yaml).map_err(|e| RuleError::Yaml(e.to_string()))?;
        let mut rules = Vec::new();
        for group in file.groups {
            for (index, raw) in group.rules.into_iter().enumerate() {
                if let Some(rule) = rule_of(&group.name, index, raw)? {
                    rules.push(rule);
                }
            }
        }
        if rules.is_empty() {
            return Err(RuleError::Empty);
        }
        if rules.len() > MAX_RULES {
            return Err(RuleError::Yaml(format!("{} alerting rules, more than the {MAX_RULES} allowed", rules.len())));
        }
        Ok(RuleSet { rules })
    }
}

/// Bounds a rule file before it is parsed: its bytes and how deep its flow collections (`[…]`,
/// `{…}`) nest, outside quotes and comments. A linear scan; block nesting is bounded by the size
/// (each level costs indentation) and by the YAML reader's own recursion limit.
fn check_yaml_shape(yaml: &str) -> Result<(), RuleError> {
    if yaml.len() > MAX_RULES_YAML_BYTES {
        return Err(RuleError::Yaml(format!("the rules are {} bytes, more than the {} KiB allowed", yaml.len(), MAX_RULES_YAML_BYTES >> 10)));
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    for line in yaml.lines() {
        let mut quote: Option<char> = None;
        let mut previous = ' ';
        for c in line.chars() {
            match (quote, c) {
                (Some(q), _) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') if previous.is_whitespace() => break,
                (None, '[' | '{') => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
            previous = c;
        }
    }
    if deepest > MAX_YAML_DEPTH {
        return Err(RuleError::Yaml(format!("the rules nest [ and {{ {deepest} deep, more than the {MAX_YAML_DEPTH} allowed")));
    }
    Ok(())
}

/// Rule number `index` of `group`: an alerting rule, or `None` for a recording rule (those feed
/// other rules inside the ruler and raise no alerts).
fn rule_of(group: &str, index: usize, raw: RuleYaml) -> Result<Option<Rule>, RuleError> {
    let fail = |message: String| RuleError::Rule { group: group.to_string(), index, message };
    let name = match (raw.alert, raw.record) {
        (Some(_), Some(_)) => return Err(fail("has both `alert` and `record`".into())),
        (None, None) => return Err(fail("needs `alert` or `record`".into())),
        (None, Some(_)) => return Ok(None),
        (Some(name), None) => name,
    };
    let fail = |message: String| RuleError::Rule { group: group.to_string(), index, message: format!("alert {name}: {message}") };
    if name.trim().is_empty() {
        return Err(fail("the alert name is empty".into()));
    }
    let duration = |v: &Option<ScalarYaml>, key: &str| -> Result<i64, RuleError> {
        match v {
            None => Ok(0),
            Some(v) => parse_duration(&v.text()).map_err(|e| fail(format!("`{key}`: {e}"))),
        }
    };
    let timing = RuleTiming { hold_ms: duration(&raw.for_, "for")?, keep_firing_for_ms: duration(&raw.keep_firing_for, "keep_firing_for")? };
    let query = promql::Query::parse(&raw.expr.text()).map_err(|e| fail(format!("`expr`: {e}")))?;
    if let Some((k, _)) = raw.labels.iter().find(|(_, v)| v.contains("{{")) {
        return Err(fail(format!("label {k} uses a template; label templates are not supported (annotations may use them)")));
    }
    if let Some(k) = raw.labels.keys().find(|k| !is_label_name(k)) {
        return Err(fail(format!("invalid label name {k:?}")));
    }
    let (stage, stage_source) = stage_of(&name, &raw.labels).ok_or_else(|| {
        fail("has no `stage` label and is not one of the runbook alerts; add labels: {stage: <stage id>}".into())
    })?;
    let severity = raw.labels.get("severity").cloned().unwrap_or_default();
    Ok(Some(Rule {
        name,
        group: group.to_string(),
        query,
        timing,
        labels: raw.labels,
        annotations: raw.annotations,
        stage: Some(stage),
        stage_source,
        severity,
    }))
}

/// The stage of an alert: its `stage` label, else the built-in mapping of the runbook alerts.
fn stage_of(name: &str, labels: &BTreeMap<String, String>) -> Option<(String, StageSource)> {
    if let Some(stage) = labels.get("stage") {
        return Some((stage.clone(), StageSource::Label));
    }
    DEFAULT_STAGE_OF.iter().find(|(alert, _)| *alert == name).map(|(_, stage)| (stage.to_string(), StageSource::Default))
}

impl Rule {
    /// What the panel needs to explain this rule's alerts (`EvaluateResponse.rules`).
    pub fn summary(&self) -> RuleSummary {
        let (op, threshold) = self.query.threshold().map_or((None, None), |(op, t)| (Some(op), Some(t)));
        RuleSummary {
            name: self.name.clone(),
            group: self.group.clone(),
            stage: self.stage.clone(),
            severity: self.severity.clone(),
            for_ms: self.timing.hold_ms,
            keep_firing_for_ms: self.timing.keep_firing_for_ms,
            op,
            threshold,
            value_name: self.annotations.get("value_name").cloned(),
            summary: self.annotations.get("summary").cloned(),
        }
    }

    /// The rule as `GET v1/rules` shows it.
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            name: self.name.clone(),
            group: self.group.clone(),
            stage: self.stage.clone(),
            stage_source: self.stage_source,
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
        let got: Vec<_> = set.rules.iter().map(|r| (r.name.as_str(), r.stage.as_deref().unwrap_or(""), r.stage_source)).collect();
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
        assert_eq!((r.stage.as_deref(), r.stage_source), (Some("nats"), StageSource::Label));
        assert_eq!(r.timing, RuleTiming { hold_ms: 0, keep_firing_for_ms: 300_000 });
        assert_eq!(r.severity, "critical");
    }

    #[test]
    fn huge_or_deeply_nested_rule_files_are_refused_before_parsing() {
        let deep = format!("groups: {}{}", "[".repeat(50_000), "]".repeat(50_000));
        assert!(RuleSet::parse(&deep).unwrap_err().to_string().contains("nest [ and { 50000 deep"));
        let big = format!("# {}\ngroups: []", "x".repeat(MAX_RULES_YAML_BYTES));
        assert!(RuleSet::parse(&big).unwrap_err().to_string().contains("KiB allowed"));
        let many: String = (0..=MAX_RULES).map(|i| format!("  - alert: A{i}\n    expr: up == 0\n    labels: {{stage: kafka}}\n")).collect();
        assert!(RuleSet::parse(&format!("groups:\n- name: g\n  rules:\n{many}")).unwrap_err().to_string().contains("1000 allowed"));
        // Brackets in quotes and comments do not count.
        assert!(check_yaml_shape("a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['  # {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{").is_ok());
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
