//! The rules as the ruler really runs them: read from its rules API (Prometheus, Mimir under its
//! `/prometheus` prefix with the tenant header, vmalert), filtered to the configured groups, with
//! the ruler's own view of each rule (health, last error, last evaluation, live alerts) kept beside
//! it. `wire` reads the answer, `phase` places each group's ticks, `cache` shares one reading among
//! concurrent requests for about a minute.

pub mod cache;
pub mod phase;
pub mod wire;

use std::collections::BTreeMap;

use codexflow_core::alerting::RuleTiming;
use codexflow_core::limits::MAX_RULES;
use regex::Regex;

use crate::rules::{Group, Rule, RuleSet};
use wire::RulerGroup;

/// Which of the ruler's groups are the pipeline's, and where the rules API is.
#[derive(Debug, Clone)]
pub struct RulerConfig {
    /// Base URL of the rules API (`/api/v1/rules` is appended).
    pub url: String,
    /// The `ruleGroups` pattern as written, for messages.
    pub groups_text: String,
    /// Anchored: matched against the whole group name, as PromQL's `=~` matches.
    pub groups: Regex,
    pub files_text: Option<String>,
    pub files: Option<Regex>,
}

impl RulerConfig {
    /// Compiles the group and file patterns; the error says which pattern is wrong and how.
    pub fn new(url: String, groups_text: &str, files_text: Option<&str>) -> Result<RulerConfig, (bool, String)> {
        let anchored = |text: &str| Regex::new(&format!("^(?:{text})$")).map_err(|e| e.to_string());
        let groups = anchored(groups_text).map_err(|e| (true, e))?;
        let files = files_text.map(anchored).transpose().map_err(|e| (false, e))?;
        Ok(RulerConfig {
            url,
            groups_text: groups_text.to_string(),
            groups,
            files_text: files_text.map(str::to_string),
            files,
        })
    }

    /// The names to send as `rule_group[]` when the pattern is a plain list of names (`a|b`); a
    /// real regular expression is filtered here only.
    pub fn literal_groups(&self) -> Vec<String> {
        literal_alternatives(&self.groups_text)
    }

    pub fn literal_files(&self) -> Vec<String> {
        self.files_text.as_deref().map(literal_alternatives).unwrap_or_default()
    }

    fn selects(&self, group: &RulerGroup) -> bool {
        self.groups.is_match(&group.name) && self.files.as_ref().is_none_or(|f| f.is_match(&group.file))
    }
}

/// `a|b|c` as names when no alternative uses regular-expression syntax (a `.` is taken literally:
/// a name with dots matches itself as a pattern too).
fn literal_alternatives(text: &str) -> Vec<String> {
    let literal = |s: &str| !s.is_empty() && !s.chars().any(|c| "\\^$*+?()[]{}".contains(c));
    let parts: Vec<&str> = text.split('|').collect();
    if parts.iter().all(|p| literal(p)) {
        parts.into_iter().map(str::to_string).collect()
    } else {
        Vec::new()
    }
}

/// The configured groups of a rules answer as a [`RuleSet`] (stages not yet decided), or why there
/// are none. `now` marks groups the ruler has stopped evaluating.
pub fn select(config: &RulerConfig, answer: &[RulerGroup], now: i64) -> Result<RuleSet, String> {
    let mut set = RuleSet::default();
    for g in answer.iter().filter(|g| config.selects(g)) {
        let (phase_ms, phase) = phase::place(g);
        let index = set.groups.len();
        set.groups.push(Group {
            name: g.name.clone(),
            file: g.file.clone(),
            interval_ms: Some(g.interval_ms),
            phase_ms,
            phase,
            last_evaluation: g.last_evaluation,
            evaluation_time_ms: g.evaluation_time_ms,
        });
        let stale_for =
            g.last_evaluation.map(|last| now.saturating_sub(last)).filter(|&age| age > g.interval_ms.saturating_mul(2));
        for r in &g.rules {
            if set.rules.len() >= MAX_RULES {
                return Err(format!("the configured groups hold more than the {MAX_RULES} alerting rules this panel evaluates; narrow jsonData.ruleGroups"));
            }
            let timing = RuleTiming { hold_ms: r.hold_ms, keep_firing_for_ms: r.keep_firing_for_ms };
            let mut rule =
                Rule::new(r.name.clone(), index, r.query.clone(), timing, r.labels.clone(), r.annotations.clone());
            rule.query =
                rule.query.map_err(|e| format!("the ruler runs it, but this panel cannot read its expression: {e}"));
            rule.ruler = Some(codexflow_core::api::RulerStatus { stale_for_ms: stale_for, ..r.status.clone() });
            rule.ruler_alerts = r.alerts.clone();
            set.rules.push(rule);
        }
    }
    if set.groups.is_empty() {
        let mut names: Vec<&str> = answer.iter().map(|g| g.name.as_str()).collect();
        names.dedup();
        let has = match names.len() {
            0 => "it has no alerting rule groups".to_string(),
            n if n <= 8 => format!("it has {}", names.join(", ")),
            n => format!("it has {} and {} more", names[..8].join(", "), n - 8),
        };
        let files = config.files_text.as_deref().map(|f| format!(" in files matching {f:?}")).unwrap_or_default();
        return Err(format!(
            "the ruler at {} has no group matching {:?}{files}: {has}",
            config.url, config.groups_text
        ));
    }
    if set.rules.is_empty() {
        return Err(format!("the ruler's groups matching {:?} hold no alerting rules", config.groups_text));
    }
    Ok(set)
}

/// What the overlay needs of the ruler's rule of the same name: its group's interval (one
/// evaluation per window) and its static label names (left out when matching alerts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub interval_ms: i64,
    pub label_keys: Vec<String>,
}

/// The ruler's view of the rules of another source (YAML, built in): each rule that the ruler runs
/// under the same alert name in the configured groups gets the ruler's status.
pub fn attach(set: &mut RuleSet, config: &RulerConfig, answer: &[RulerGroup], now: i64) -> BTreeMap<usize, Deployed> {
    let mut deployed_rules = BTreeMap::new();
    for (i, rule) in set.rules.iter_mut().enumerate() {
        let deployed = answer
            .iter()
            .filter(|g| config.selects(g))
            .find_map(|g| g.rules.iter().find(|r| r.name == rule.name).map(|r| (g, r)));
        if let Some((g, r)) = deployed {
            let stale_for = g
                .last_evaluation
                .map(|last| now.saturating_sub(last))
                .filter(|&age| age > g.interval_ms.saturating_mul(2));
            rule.ruler = Some(codexflow_core::api::RulerStatus { stale_for_ms: stale_for, ..r.status.clone() });
            rule.ruler_alerts = r.alerts.clone();
            deployed_rules
                .insert(i, Deployed { interval_ms: g.interval_ms, label_keys: r.labels.keys().cloned().collect() });
        }
    }
    deployed_rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, file: &str) -> RulerGroup {
        RulerGroup {
            name: name.into(),
            file: file.into(),
            interval_ms: 30_000,
            last_evaluation: Some(1_000_000),
            rules: vec![wire::RulerRule {
                name: format!("{name}-A"),
                query: "up == 0".into(),
                ..wire::RulerRule::default()
            }],
            ..RulerGroup::default()
        }
    }

    #[test]
    fn groups_by_whole_name_and_file() {
        let config = RulerConfig::new("http://r".into(), "codex.*|team", Some("/etc/.*")).unwrap();
        let answer = [
            group("codex-a", "/etc/a.yml"),
            group("codex-b", "/tmp/b.yml"),
            group("team", "/etc/t.yml"),
            group("teams", "/etc/t.yml"),
        ];
        let set = select(&config, &answer, 1_000_000).unwrap();
        assert_eq!(set.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["codex-a", "team"]);
        assert_eq!(set.rules.iter().map(|r| r.group).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(set.groups[0].interval_ms, Some(30_000));
    }

    #[test]
    fn no_matching_group_says_what_the_ruler_has() {
        let config = RulerConfig::new("http://r".into(), "codex-pipeline-observability.rules", None).unwrap();
        let e = select(&config, &[group("other", "f")], 0).unwrap_err();
        assert_eq!(
            e,
            "the ruler at http://r has no group matching \"codex-pipeline-observability.rules\": it has other"
        );
        assert!(select(&config, &[], 0).unwrap_err().ends_with("it has no alerting rule groups"));
    }

    #[test]
    fn a_rule_the_panel_cannot_read_is_kept_with_its_reason() {
        let config = RulerConfig::new("http://r".into(), "g", None).unwrap();
        let mut g = group("g", "f");
        g.rules[0].query = "sum(".into();
        let set = select(&config, &[g], 1_000_000).unwrap();
        assert!(set.rules[0].query.as_ref().unwrap_err().starts_with("the ruler runs it, but"));
    }

    #[test]
    fn a_group_left_unevaluated_is_marked_stale() {
        let config = RulerConfig::new("http://r".into(), "g", None).unwrap();
        let set = select(&config, &[group("g", "f")], 1_000_000 + 600_000).unwrap();
        assert_eq!(set.rules[0].ruler.as_ref().unwrap().stale_for_ms, Some(600_000));
        let fresh = select(&config, &[group("g", "f")], 1_000_000 + 30_000).unwrap();
        assert_eq!(fresh.rules[0].ruler.as_ref().unwrap().stale_for_ms, None);
    }

    #[test]
    fn plain_names_are_sent_as_filters_patterns_are_not() {
        let c = |g: &str| RulerConfig::new("u".into(), g, None).unwrap().literal_groups();
        assert_eq!(c("codex-pipeline-observability.rules"), ["codex-pipeline-observability.rules"]);
        assert_eq!(c("a|b"), ["a", "b"]);
        assert!(c("codex.*").is_empty());
        assert!(c("a|").is_empty());
        assert!(RulerConfig::new("u".into(), "(", None).unwrap_err().0, "the groups pattern is wrong");
        assert!(!RulerConfig::new("u".into(), "a", Some("[")).unwrap_err().0, "the files pattern is wrong");
    }
}
