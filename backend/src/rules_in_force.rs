//! Which rules are in force for a request, and why: `jsonData.rulesSource` with its fallbacks, read
//! again from the ruler about once a minute (`ruler::cache`).
//!
//! * `yaml`: `rulesYaml`. `builtin`: the runbook's rules.
//! * `ruler`: the configured groups of the ruler's rules API; while it fails or holds none of them,
//!   `rulesYaml` if set, else the built-in rules, with what failed (`SourceNote::fallback`).
//! * `auto` (no `rulesSource`): `rulesYaml` when set, else the ruler when it has the groups, else the
//!   built-in rules; not having the groups is then no failure, just the reason.
//!
//! Whatever the source, the ruler's own view of each rule it runs (health, last error, live alerts)
//! is attached, so the panel shows it beside ours and the overlay can compare.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codexflow_core::api::{RulesSource, SourceNote};
use codexflow_core::limits::{RULER_ERROR_TTL_MS, RULER_TTL_MS};
use codexflow_core::settings::{JsonKey, RulesChoice};

use crate::prom::PromClient;
use crate::ruler::cache::Expiring;
use crate::ruler::wire::RulerGroup;
use crate::ruler::{attach, select, Deployed};
use crate::rules::{stage, RuleSet};
use crate::settings::Settings;

/// The rules a request evaluates.
#[derive(Debug)]
pub struct InForce {
    pub set: RuleSet,
    pub note: SourceNote,
    /// For each rule (by index) the ruler runs under its name, what the overlay needs of the
    /// deployed rule. Only these rules get a ruler overlay; for the others the ruler's view is unknown.
    pub deployed: BTreeMap<usize, Deployed>,
    /// Whether the ruler could be read (a failed reading is read again sooner).
    pub ruler_read: bool,
}

impl Expiring for InForce {
    fn ttl(&self) -> Duration {
        Duration::from_millis(if self.ruler_read { RULER_TTL_MS } else { RULER_ERROR_TTL_MS })
    }
}

/// Reads the ruler (through `client`'s sharing) and decides; never fails: a failure is the reason.
pub async fn read(settings: &Settings, ruler: &PromClient, now_ms: i64) -> InForce {
    let config = &settings.rules.ruler;
    let answer = ruler
        .rules(&config.literal_groups(), &config.literal_files())
        .await
        .map_err(|e| format!("the ruler's rules API failed: {e}"));
    decide(settings, answer.as_deref(), now_ms)
}

/// The decision, given the ruler's answer (or why there is none). Pure.
pub fn decide(settings: &Settings, answer: Result<&[RulerGroup], &String>, now_ms: i64) -> InForce {
    let rules = &settings.rules;
    let ruler_read = answer.is_ok();
    let from_ruler = answer.map_err(Clone::clone).and_then(|a| select(&rules.ruler, a, now_ms));
    let source_key = JsonKey::RulesSource.field();
    let fallback_set = || match &rules.yaml {
        Some(set) => (set.clone(), RulesSource::Yaml),
        None => (rules.builtin.clone(), RulesSource::Builtin),
    };
    let (mut set, source, why, fallback) = match (rules.choice, from_ruler) {
        (RulesChoice::Yaml, _) => (yaml_or_builtin(settings), RulesSource::Yaml, format!("{source_key} is yaml"), None),
        (RulesChoice::Builtin, _) => {
            (rules.builtin.clone(), RulesSource::Builtin, format!("{source_key} is builtin"), None)
        }
        (RulesChoice::Auto, _) if rules.yaml.is_some() => {
            (yaml_or_builtin(settings), RulesSource::Yaml, format!("{} is set", JsonKey::RulesYaml.field()), None)
        }
        (RulesChoice::Ruler | RulesChoice::Auto, Ok(set)) => {
            let why = format!("{} of the ruler's groups match {:?}", set.groups.len(), rules.ruler.groups_text);
            (set, RulesSource::Ruler, why, None)
        }
        (RulesChoice::Ruler, Err(e)) => {
            let (set, source) = fallback_set();
            (
                set,
                source,
                format!("{source_key} is ruler, but the ruler cannot be used: using the {} rules", source.as_str()),
                Some(e),
            )
        }
        (RulesChoice::Auto, Err(e)) => (
            rules.builtin.clone(),
            RulesSource::Builtin,
            format!("no {} and {e}: using the built-in rules", JsonKey::RulesYaml.field()),
            None,
        ),
    };
    let mut deployed = BTreeMap::new();
    if source == RulesSource::Ruler {
        stage::assign(&mut set, &settings.pipeline, &rules.stage_of);
        for (i, rule) in set.rules.iter().enumerate() {
            if let Some(interval_ms) = set.groups.get(rule.group).and_then(|g| g.interval_ms) {
                deployed.insert(i, Deployed { interval_ms, label_keys: rule.labels.keys().cloned().collect() });
            }
        }
    } else if let Ok(answer) = answer {
        deployed = attach(&mut set, &rules.ruler, answer, now_ms);
    }
    InForce { set, note: SourceNote { source, why, fallback }, deployed, ruler_read }
}

fn yaml_or_builtin(settings: &Settings) -> RuleSet {
    settings.rules.yaml.clone().unwrap_or_else(|| settings.rules.builtin.clone())
}

/// Every request's rules for these settings, shared for a minute.
#[derive(Default)]
pub struct InForceCache {
    cell: crate::ruler::cache::TtlCell<InForce>,
}

impl std::fmt::Debug for InForceCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InForceCache")
    }
}

impl InForceCache {
    pub async fn get(&self, settings: &Settings, ruler: &PromClient, now_ms: i64) -> Arc<InForce> {
        self.cell.get(Instant::now(), || read(settings, ruler, now_ms)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruler::wire::RulerRule;
    use codexflow_core::api::StageSource;
    use serde_json::json;

    fn settings(json: serde_json::Value) -> Settings {
        Settings::from_grafana(&json, &Default::default()).unwrap()
    }

    fn deployed(names: &[(&str, &str)]) -> Vec<RulerGroup> {
        vec![RulerGroup {
            name: "codex-pipeline-observability.rules".into(),
            file: "/etc/prometheus/rules/codex.yaml".into(),
            interval_ms: 30_000,
            rules: names
                .iter()
                .map(|(n, q)| RulerRule { name: n.to_string(), query: q.to_string(), ..RulerRule::default() })
                .collect(),
            ..RulerGroup::default()
        }]
    }

    #[test]
    fn auto_takes_the_ruler_when_it_has_the_groups_and_maps_every_rule() {
        let s = settings(json!({"prometheusUrl": "http://p"}));
        let answer = deployed(&[
            ("CodexKafkaCompletionsLagHigh", "sum(kafka_consumergroup_lag) > 1000"),
            ("DiskFull", "node_filesystem_avail_bytes < 1"),
        ]);
        let f = decide(&s, Ok(&answer), 0);
        assert_eq!((f.note.source, f.note.fallback.as_deref()), (RulesSource::Ruler, None));
        assert_eq!(f.note.why, "1 of the ruler's groups match \"codex-pipeline-observability.rules\"");
        let stages: Vec<_> = f.set.rules.iter().map(|r| (r.stage.as_deref(), r.stage_source)).collect();
        assert_eq!(stages, [(Some("kafka"), StageSource::Default), (None, StageSource::Unassigned)]);
        assert_eq!(f.deployed.values().map(|d| d.interval_ms).collect::<Vec<_>>(), [30_000, 30_000]);
    }

    #[test]
    fn without_the_groups_auto_is_builtin_and_ruler_falls_back_with_the_reason() {
        let auto = decide(&settings(json!({"prometheusUrl": "http://p"})), Ok(&[]), 0);
        assert_eq!((auto.note.source, auto.note.fallback.is_none()), (RulesSource::Builtin, true));
        assert!(auto.note.why.contains("has no group matching"), "{}", auto.note.why);
        let down = "the ruler's rules API failed: boom".to_string();
        let yaml = "groups:\n- name: mine\n  rules:\n  - alert: Mine\n    expr: up == 0\n";
        let ruler = decide(
            &settings(json!({"prometheusUrl": "http://p", "rulesSource": "ruler", "rulesYaml": yaml})),
            Err(&down),
            0,
        );
        assert_eq!((ruler.note.source, ruler.note.fallback.as_deref()), (RulesSource::Yaml, Some(down.as_str())));
        assert!(!ruler.ruler_read);
        let ruler = decide(&settings(json!({"prometheusUrl": "http://p", "rulesSource": "ruler"})), Err(&down), 0);
        assert_eq!(ruler.note.source, RulesSource::Builtin);
    }

    #[test]
    fn yaml_rules_get_the_rulers_view_of_the_deployed_rule_of_their_name() {
        let yaml = "groups:\n- name: mine\n  rules:\n  - alert: CodexKafkaCompletionsLagHigh\n    expr: sum(kafka_consumergroup_lag) > 5\n  - alert: NotDeployed\n    expr: up == 0\n";
        let s = settings(json!({"prometheusUrl": "http://p", "rulesYaml": yaml}));
        let f =
            decide(&s, Ok(&deployed(&[("CodexKafkaCompletionsLagHigh", "sum(kafka_consumergroup_lag) > 1000")])), 0);
        assert_eq!(f.note.source, RulesSource::Yaml);
        assert!(f.set.rules[0].ruler.is_some() && f.set.rules[1].ruler.is_none());
        assert_eq!(f.deployed.keys().copied().collect::<Vec<_>>(), [0]);
    }
}
