//! Rule files in Prometheus rule-group YAML (the Mimir ruler's format too): `rulesYaml` and the
//! built-in rules.
//!
//! Parsing is strict where Prometheus is strict (unknown rule keys, bad durations, bad PromQL),
//! because a typo such as `fro: 15m` that we accepted silently would evaluate a different rule
//! than the ruler does. A rule Prometheus would load is never refused here: one without a
//! `stage` label is mapped or left unassigned later (`super::stage`), never an error.

use std::collections::BTreeMap;

use codexflow_core::alerting::RuleTiming;
use codexflow_core::duration::parse_duration;
use codexflow_core::limits::{MAX_RULES, MAX_RULES_YAML_BYTES, MAX_YAML_DEPTH};
use serde::Deserialize;
use thiserror::Error;

use super::{Group, Rule, RuleSet};
use crate::promql::Query;

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
    #[error("group {group:?}: {message}")]
    Group { group: String, message: String },
    #[error("group {group:?}, rule {index}: {message}")]
    Rule { group: String, index: usize, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileYaml {
    groups: Vec<GroupYaml>,
}

/// Groups may carry ruler-specific keys (`limit`, `query_offset`, Mimir's `source_tenants`);
/// `interval` sets the group's ticks, the others are accepted and not used.
#[derive(Deserialize)]
struct GroupYaml {
    name: String,
    #[serde(default)]
    interval: Option<ScalarYaml>,
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

/// Parses a rule file: its groups (with their `interval`) and its alerting rules.
pub fn parse(yaml: &str) -> Result<RuleSet, RuleError> {
    check_yaml_shape(yaml)?;
    let file: FileYaml = serde_yaml_ng::from_str(yaml).map_err(|e| RuleError::Yaml(e.to_string()))?;
    let mut set = RuleSet::default();
    for group in file.groups {
        let interval_ms = match &group.interval {
            None => None,
            Some(v) => match parse_duration(&v.text()) {
                Ok(0) => None,
                Ok(ms) => Some(ms),
                Err(e) => {
                    return Err(RuleError::Group { group: group.name.clone(), message: format!("`interval`: {e}") })
                }
            },
        };
        if set.groups.iter().any(|g| g.name == group.name) {
            return Err(RuleError::Group {
                group: group.name.clone(),
                message: "a group of this name is already in the file".into(),
            });
        }
        let index = set.groups.len();
        for (i, raw) in group.rules.into_iter().enumerate() {
            if let Some(rule) = rule_of(&group.name, index, i, raw)? {
                set.rules.push(rule);
            }
            if set.rules.len() > MAX_RULES {
                return Err(RuleError::Yaml(format!("more alerting rules than the {MAX_RULES} allowed")));
            }
        }
        set.groups.push(Group::named(&group.name, interval_ms));
    }
    if set.rules.is_empty() {
        return Err(RuleError::Empty);
    }
    Ok(set)
}

/// Bounds a rule file before it is parsed: its bytes and how deep its flow collections (`[…]`,
/// `{…}`) nest, outside quotes and comments. A linear scan; block nesting is bounded by the size
/// (each level costs indentation) and by the YAML reader's own recursion limit.
fn check_yaml_shape(yaml: &str) -> Result<(), RuleError> {
    if yaml.len() > MAX_RULES_YAML_BYTES {
        return Err(RuleError::Yaml(format!(
            "the rules are {} bytes, more than the {} KiB allowed",
            yaml.len(),
            MAX_RULES_YAML_BYTES >> 10
        )));
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
        return Err(RuleError::Yaml(format!(
            "the rules nest [ and {{ {deepest} deep, more than the {MAX_YAML_DEPTH} allowed"
        )));
    }
    Ok(())
}

/// Rule number `index` of group `group_name` (at `group` in the set): an alerting rule, or `None`
/// for a recording rule (those feed other rules inside the ruler and raise no alerts).
fn rule_of(group_name: &str, group: usize, index: usize, raw: RuleYaml) -> Result<Option<Rule>, RuleError> {
    let fail = |message: String| RuleError::Rule { group: group_name.to_string(), index, message };
    let name = match (raw.alert, raw.record) {
        (Some(_), Some(_)) => return Err(fail("has both `alert` and `record`".into())),
        (None, None) => return Err(fail("needs `alert` or `record`".into())),
        (None, Some(_)) => return Ok(None),
        (Some(name), None) => name,
    };
    let fail = |message: String| RuleError::Rule {
        group: group_name.to_string(),
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
    let expr = raw.expr.text();
    Query::parse(&expr).map_err(|e| fail(format!("`expr`: {e}")))?;
    if let Some((k, _)) = raw.labels.iter().find(|(_, v)| v.contains("{{")) {
        return Err(fail(format!(
            "label {k} uses a template; label templates are not supported (annotations may use them)"
        )));
    }
    if let Some(k) = raw.labels.keys().find(|k| !is_label_name(k)) {
        return Err(fail(format!("invalid label name {k:?}")));
    }
    Ok(Some(Rule::new(name, group, expr, timing, raw.labels, raw.annotations)))
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
    fn the_shipped_rules_parse_with_their_timing() {
        let set = crate::defaults::rules();
        let names: Vec<_> = set.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, DEFAULT_STAGE_OF.map(|(n, _)| n));
        assert_eq!(set.groups.len(), 1);
        assert_eq!(set.groups[0].name, "codex-pipeline-observability.rules");
        assert_eq!(set.rules[0].timing.hold_ms, 15 * 60_000);
        assert_eq!(set.rules[2].timing.hold_ms, 10 * 60_000);
        assert!(set.rules.iter().all(|r| r.severity == "warning" && r.query.is_ok()));
    }

    #[test]
    fn groups_keep_their_interval_and_recording_rules_are_skipped() {
        let set = parse(
            "groups:\n- name: g\n  interval: 30s\n  rules:\n  - record: x:sum\n    expr: sum(x)\n  - alert: A\n    expr: x > 1\n    for: 0\n    keep_firing_for: 5m\n    labels: {stage: nats, severity: critical}\n- name: h\n  rules:\n  - alert: B\n    expr: y > 1\n",
        )
        .unwrap();
        assert_eq!(set.rules.len(), 2);
        assert_eq!((set.groups[0].interval_ms, set.groups[1].interval_ms), (Some(30_000), None));
        let r = &set.rules[0];
        assert_eq!((r.group, r.labels.get("stage").map(String::as_str)), (0, Some("nats")));
        assert_eq!(r.timing, RuleTiming { hold_ms: 0, keep_firing_for_ms: 300_000 });
        assert_eq!(r.severity, "critical");
        assert_eq!(set.rules[1].group, 1);
    }

    #[test]
    fn a_rule_without_a_stage_label_is_a_rule_like_any_other() {
        let set = parse(
            "groups:\n- name: team\n  rules:\n  - alert: DiskFull\n    expr: node_filesystem_avail_bytes < 1e9\n",
        )
        .unwrap();
        assert_eq!(set.rules[0].stage, None);
        assert!(set.rules[0].query.is_ok());
    }

    #[test]
    fn huge_or_deeply_nested_rule_files_are_refused_before_parsing() {
        let deep = format!("groups: {}{}", "[".repeat(50_000), "]".repeat(50_000));
        assert!(parse(&deep).unwrap_err().to_string().contains("nest [ and { 50000 deep"));
        let big = format!("# {}\ngroups: []", "x".repeat(MAX_RULES_YAML_BYTES));
        assert!(parse(&big).unwrap_err().to_string().contains("KiB allowed"));
        let many: String = (0..=MAX_RULES).map(|i| format!("  - alert: A{i}\n    expr: up == 0\n")).collect();
        assert!(parse(&format!("groups:\n- name: g\n  rules:\n{many}"))
            .unwrap_err()
            .to_string()
            .contains("1000 allowed"));
        // Brackets in quotes and comments do not count.
        assert!(check_yaml_shape(
            "a: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['  # {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"
        )
        .is_ok());
    }

    #[test]
    fn mistakes_are_reported_with_their_place() {
        let cases = [
            ("nope", "not a rule file"),
            ("groups: []", "no alerting rules"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    fro: 5m\n", "fro"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(x\n", "`expr`"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    for: 5 minutes\n", "`for`"),
            ("groups:\n- name: g\n  interval: often\n  rules:\n  - alert: A\n    expr: x\n", "group \"g\": `interval`"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n- name: g\n  rules:\n  - alert: B\n    expr: x\n", "already in the file"),
            ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    labels: {stage: '{{ $labels.x }}'}\n", "template"),
            ("groups:\n- name: g\n  rules:\n  - expr: x\n", "needs `alert` or `record`"),
        ];
        for (yaml, needle) in cases {
            let err = parse(yaml).expect_err(yaml).to_string();
            assert!(err.contains(needle), "{yaml:?} gave {err:?}, expected it to mention {needle:?}");
        }
    }
}
