//! Alerting rules as the panel evaluates them: from a rule file (`yaml`), built in, or read from the
//! ruler (`crate::ruler`), grouped as the ruler groups them, each mapped to a stage (`stage`).
//!
//! Nothing is dropped on the way: a rule whose expression this backend cannot read, or whose group
//! it cannot tick, is kept with the reason (`Rule::query` is an `Err`) and shown as an error.

pub mod stage;
pub mod yaml;

use std::collections::BTreeMap;

use codexflow_core::alerting::RuleTiming;
use codexflow_core::api::{GroupSummary, PhaseSource, RuleInfo, RuleSummary, RulerAlert, RulerStatus, StageSource};
use codexflow_core::duration::format_duration;

use crate::promql::Query;

pub use yaml::{RuleError, DEFAULT_STAGE_OF};

/// A rule group: the unit a ruler evaluates together, at one interval and one phase.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    pub name: String,
    /// The rule file (or Mimir namespace); empty for built-in rules and `rulesYaml`.
    pub file: String,
    /// The group's own interval; `None` takes the request's or the app's.
    pub interval_ms: Option<i64>,
    /// Where its ticks sit within the interval (`crate::ruler::phase`).
    pub phase_ms: i64,
    pub phase: PhaseSource,
    pub last_evaluation: Option<i64>,
    pub evaluation_time_ms: Option<f64>,
}

impl Group {
    /// A group with no ruler state: epoch-aligned ticks.
    pub fn named(name: &str, interval_ms: Option<i64>) -> Group {
        Group { name: name.to_string(), interval_ms, ..Group::default() }
    }

    /// The group as the answers describe it, at the interval it is evaluated at.
    pub fn summary(&self, default_interval_ms: i64) -> GroupSummary {
        let interval_ms = self.interval_ms.unwrap_or(default_interval_ms);
        GroupSummary {
            name: self.name.clone(),
            file: self.file.clone(),
            interval_ms,
            phase_ms: self.phase_ms.rem_euclid(interval_ms.max(1)),
            phase: self.phase,
            last_evaluation: self.last_evaluation,
            evaluation_time_ms: self.evaluation_time_ms,
        }
    }
}

/// One alerting rule and the stage it speaks for.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    /// Index of its group in [`RuleSet::groups`].
    pub group: usize,
    /// The expression, or why this backend cannot evaluate it (the rule is still listed).
    pub query: Result<Query, String>,
    /// The expression as written.
    pub expr: String,
    pub timing: RuleTiming,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub severity: String,
    /// The stage the rule speaks for, decided by [`stage::assign`]; `None` is unassigned.
    pub stage: Option<String>,
    pub stage_source: StageSource,
    pub stage_why: String,
    /// What the ruler reports about this rule (ruler source, or a ruler running a rule of this name).
    pub ruler: Option<RulerStatus>,
    /// The ruler's live alerts of the rule.
    pub ruler_alerts: Vec<RulerAlert>,
}

impl Rule {
    /// A rule of `group` with no stage decided yet.
    pub fn new(
        name: String,
        group: usize,
        expr: String,
        timing: RuleTiming,
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
    ) -> Rule {
        let query = Query::parse(&expr);
        let severity = labels.get("severity").cloned().unwrap_or_default();
        Rule {
            name,
            group,
            query,
            expr,
            timing,
            labels,
            annotations,
            severity,
            stage: None,
            stage_source: StageSource::Unassigned,
            stage_why: String::new(),
            ruler: None,
            ruler_alerts: Vec::new(),
        }
    }

    /// The vector selectors the rule reads (none when its expression is unreadable).
    pub fn selectors(&self) -> &[String] {
        self.query.as_ref().map_or(&[], |q| q.selectors.as_slice())
    }

    /// What the panel needs to explain this rule's alerts (`EvaluateResponse.rules`).
    pub fn summary(&self, groups: &[Group]) -> RuleSummary {
        let (op, threshold) =
            self.query.as_ref().ok().and_then(Query::threshold).map_or((None, None), |(op, t)| (Some(op), Some(t)));
        let ruler = self.ruler.clone();
        RuleSummary {
            name: self.name.clone(),
            group: groups.get(self.group).map(|g| g.name.clone()).unwrap_or_default(),
            group_index: self.group,
            stage: self.stage.clone(),
            stage_source: self.stage_source,
            severity: self.severity.clone(),
            for_ms: self.timing.hold_ms,
            keep_firing_for_ms: self.timing.keep_firing_for_ms,
            op,
            threshold,
            value_name: self.annotations.get("value_name").cloned(),
            summary: self.annotations.get("summary").cloned(),
            ruler,
        }
    }

    /// The rule as `GET v1/rules` shows it.
    pub fn info(&self, groups: &[Group]) -> RuleInfo {
        let group = groups.get(self.group);
        RuleInfo {
            name: self.name.clone(),
            group: group.map(|g| g.name.clone()).unwrap_or_default(),
            file: group.map(|g| g.file.clone()).unwrap_or_default(),
            stage: self.stage.clone(),
            stage_source: self.stage_source,
            stage_why: self.stage_why.clone(),
            expr: self.expr.clone(),
            for_: format_duration(self.timing.hold_ms),
            keep_firing_for: format_duration(self.timing.keep_firing_for_ms),
            severity: self.severity.clone(),
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            selectors: self.selectors().to_vec(),
            error: self.query.as_ref().err().cloned(),
            ruler: self.ruler.clone(),
            ruler_alerts: self.ruler_alerts.clone(),
        }
    }
}

/// The rules in force and their groups.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub groups: Vec<Group>,
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// Parses a rule file (`rulesYaml`, the built-in rules); see [`yaml`].
    pub fn parse(text: &str) -> Result<RuleSet, RuleError> {
        yaml::parse(text)
    }

    pub fn summaries(&self) -> Vec<RuleSummary> {
        self.rules.iter().map(|r| r.summary(&self.groups)).collect()
    }

    pub fn infos(&self) -> Vec<RuleInfo> {
        self.rules.iter().map(|r| r.info(&self.groups)).collect()
    }

    pub fn group_summaries(&self, default_interval_ms: i64) -> Vec<GroupSummary> {
        self.groups.iter().map(|g| g.summary(default_interval_ms)).collect()
    }
}
