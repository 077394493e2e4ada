//! One rule's range-query result turned into alerts, one per label set, through Prometheus' state
//! machine (`core::alerting`). Pure: series in, timelines out.

use std::collections::BTreeMap;

use codexflow_core::alerting::{run_alert, AlertState, Observation, TickState};
use codexflow_core::api::{AlertTimeline, TimelinePoint};
use codexflow_core::Ticks;

use codexflow_core::limits::MAX_ALERTS_PER_RULE;

use super::annotations::{annotate, Annotated};
use crate::budget::Budget;
use crate::rules::Rule;
use crate::series::{dense_values, RangeSeries};

/// The alerts of rule number `index` over `window`, evaluated at `eval` (the window and its lookback),
/// or why they are not: more label sets than a rule may have, or more ticks × series than `budget`
/// lets this call hold.
pub fn alerts_of(
    rule: &Rule,
    index: usize,
    series: &[RangeSeries],
    eval: Ticks,
    window: &Ticks,
    budget: &Budget,
) -> Result<Vec<AlertTimeline>, String> {
    // Label sets as Prometheus builds them: result labels without __name__, rule labels on top, alertname.
    let mut by_key: BTreeMap<BTreeMap<String, String>, Vec<usize>> = BTreeMap::new();
    for (i, s) in series.iter().enumerate() {
        let mut labels = s.labels.clone();
        labels.remove("__name__");
        labels.extend(rule.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        labels.insert("alertname".into(), rule.name.clone());
        by_key.entry(labels).or_default().push(i);
    }
    if by_key.len() > MAX_ALERTS_PER_RULE {
        return Err(format!("it returned {} label sets, more than the {MAX_ALERTS_PER_RULE} one rule may have here; aggregate it (sum by …)", by_key.len()));
    }
    // The per-tick values of every series, and the timelines of every alert, are held at once.
    let held = series.len().saturating_add(by_key.len()).saturating_mul(eval.count);
    budget.hold(held).map_err(|e| e.to_string())?;
    let dense: Vec<Vec<Option<f64>>> = series.iter().map(|s| dense_values(&eval, &s.samples)).collect();
    let failed = collisions(&by_key, &dense, eval.count);

    let offset = if window.count > 0 { eval.index_of(window.first).unwrap_or(0) } else { eval.count };
    let mut states: Vec<TickState> = Vec::with_capacity(eval.count);
    let mut alerts = Vec::new();
    for (labels, members) in by_key {
        let value_at = |i: usize| members.iter().find_map(|&m| dense[m][i]);
        let observe = |i: usize| match (failed[i], value_at(i)) {
            (true, _) => Observation::EvalFailed,
            (false, Some(_)) => Observation::Sample,
            (false, None) => Observation::Absent,
        };
        run_alert(rule.timing, &eval, observe, &mut states);
        let Some(last) = states.last().copied() else { continue };
        let visible = &states[offset..];
        let seen_in_window = (offset..eval.count).any(|i| value_at(i).is_some());
        if !seen_in_window
            && last.state == AlertState::Inactive
            && visible.iter().all(|s| s.state == AlertState::Inactive)
        {
            continue;
        }
        let timeline = visible
            .iter()
            .enumerate()
            .map(|(j, s)| TimelinePoint::new(window.at(j), s.state, value_at(offset + j), s.active_at))
            .collect();
        // The latest sample in the window, with the labels of the series that gave it.
        let latest = (offset..eval.count)
            .rev()
            .find_map(|i| members.iter().find_map(|&m| dense[m][i].map(|v| (&series[m].labels, eval.at(i), v))));
        alerts.push(finish(rule, index, labels, timeline, last, eval, annotate(rule, latest)));
    }
    if alerts.is_empty() {
        // A rule that never triggered still shows up, so the panel can list it as inactive.
        let timeline = window.iter().map(|t| TimelinePoint::new(t, AlertState::Inactive, None, None)).collect();
        let annotated = annotate(rule, None);
        alerts.push(finish(rule, index, rule_labels(rule), timeline, TickState::INACTIVE, eval, annotated));
    }
    Ok(alerts)
}

/// Ticks at which two series collapse onto one label set: Prometheus fails the whole evaluation there.
fn collisions(
    by_key: &BTreeMap<BTreeMap<String, String>, Vec<usize>>,
    dense: &[Vec<Option<f64>>],
    count: usize,
) -> Vec<bool> {
    let mut failed = vec![false; count];
    for members in by_key.values().filter(|m| m.len() > 1) {
        for (i, slot) in failed.iter_mut().enumerate() {
            *slot |= members.iter().filter(|&&m| dense[m][i].is_some()).count() > 1;
        }
    }
    failed
}

/// Whether history before `eval.first` could change these alerts: some label set has a sample at the
/// first tick, or within `keep_firing_for` after it (an episode kept firing from before could
/// continue there). Cheap and conservative: looking further back is only ever needed when this holds.
pub fn active_at_edge(rule: &Rule, series: &[RangeSeries], eval: Ticks) -> bool {
    let edge = eval.first.saturating_add(rule.timing.keep_firing_for_ms);
    series.iter().any(|s| s.samples.iter().any(|&(t, _)| t >= eval.first && t <= edge && eval.index_of(t).is_some()))
}

fn rule_labels(rule: &Rule) -> BTreeMap<String, String> {
    let mut labels = rule.labels.clone();
    labels.insert("alertname".into(), rule.name.clone());
    labels
}

fn finish(
    rule: &Rule,
    index: usize,
    labels: BTreeMap<String, String>,
    timeline: Vec<TimelinePoint>,
    last: TickState,
    eval: Ticks,
    annotated: Annotated,
) -> AlertTimeline {
    // History before the first evaluated tick could belong to an episode that began
    // at that tick, or (through keep_firing_for) within keep_firing_for after it.
    let edge = eval.first.saturating_add(rule.timing.keep_firing_for_ms);
    let bound = timeline.iter().filter_map(|p| p.active_at).chain(last.active_at).any(|at| at <= edge);
    AlertTimeline {
        name: rule.name.clone(),
        rule: index,
        stage: rule.stage.clone(),
        severity: rule.severity.clone(),
        labels: labels.into(),
        at: eval.last().unwrap_or(eval.first),
        state: last.state,
        active_at: last.active_at,
        active_at_is_bound: bound,
        timeline,
        annotations: annotated.annotations,
        annotations_at: annotated.at,
        runbook: annotated.runbook,
        ..AlertTimeline::default()
    }
}

/// The one alert of a rule that could not be evaluated at all.
pub fn errored(rule: &Rule, index: usize, error: String, at: i64) -> AlertTimeline {
    let Annotated { annotations, runbook, .. } = annotate(rule, None);
    AlertTimeline {
        name: rule.name.clone(),
        rule: index,
        stage: rule.stage.clone(),
        severity: rule.severity.clone(),
        labels: rule_labels(rule).into(),
        at,
        error: Some(error),
        annotations,
        runbook,
        ..AlertTimeline::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn rule(yaml_rule: &str) -> Rule {
        crate::rules::RuleSet::parse(&format!("groups:\n- name: g\n  rules:\n{yaml_rule}")).unwrap().rules.remove(0)
    }

    #[test]
    fn one_alert_per_label_set_with_lookback_trimmed() {
        let r =
            rule("  - alert: Lag\n    expr: lag > 10\n    for: 2m\n    labels: {stage: kafka, severity: critical}\n");
        let eval = Ticks { first: 0, step: M, count: 6 };
        let window = Ticks { first: 2 * M, step: M, count: 4 };
        let a = RangeSeries::new(
            &[("__name__", "lag"), ("topic", "a")],
            &[(0, 11.0), (M, 12.0), (2 * M, 13.0), (3 * M, 14.0)],
        );
        let b = RangeSeries::new(&[("topic", "b")], &[(4 * M, 20.0)]);
        let got = alerts_of(&r, 3, &[a, b], eval, &window, &Budget::default()).unwrap();
        assert_eq!(got.len(), 2);
        let states: Vec<_> = got[0].timeline.iter().map(|p| p.state).collect();
        assert_eq!(states, [AlertState::Firing, AlertState::Firing, AlertState::Inactive, AlertState::Inactive]);
        assert_eq!(got[0].labels.get("topic"), Some("a"));
        assert_eq!(got[0].labels.get("alertname"), Some("Lag"));
        assert_eq!(got[0].labels.get("__name__"), None);
        assert_eq!(got[0].timeline[0].active_at, Some(0));
        assert_eq!((got[0].rule, got[0].at), (3, 5 * M));
        assert_eq!(got[1].timeline[2].state, AlertState::Pending);
        assert_eq!(got[1].timeline[2].value, Some(20.0));
        assert_eq!(got[1].timeline[3].state, AlertState::Inactive);
    }

    #[test]
    fn a_quiet_rule_still_has_one_inactive_timeline() {
        let r = rule("  - alert: Quiet\n    expr: x > 1\n    labels: {stage: kafka}\n");
        let eval = Ticks { first: 0, step: M, count: 3 };
        let got = alerts_of(&r, 0, &[], eval, &eval, &Budget::default()).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].timeline.len(), 3);
        assert!(got[0].timeline.iter().all(|p| p.state == AlertState::Inactive && p.value.is_none()));
    }

    #[test]
    fn colliding_label_sets_fail_the_evaluation_like_prometheus() {
        // Same labels once __name__ is dropped: where both have a sample the whole evaluation fails
        // and nothing changes, so the pending alert cannot fire at 1m and fires at 2m instead.
        let r = rule("  - alert: Dup\n    expr: '{__name__=~\"a|b\"} > 0'\n    for: 1m\n    labels: {stage: kafka}\n");
        let eval = Ticks { first: 0, step: M, count: 3 };
        let a = RangeSeries::new(&[("__name__", "a")], &[(0, 1.0), (M, 1.0), (2 * M, 1.0)]);
        let b = RangeSeries::new(&[("__name__", "b")], &[(M, 1.0)]);
        let got = alerts_of(&r, 0, &[a, b], eval, &eval, &Budget::default()).unwrap();
        assert_eq!(got.len(), 1);
        let states: Vec<_> = got[0].timeline.iter().map(|p| p.state).collect();
        assert_eq!(states, [AlertState::Pending, AlertState::Pending, AlertState::Firing]);
    }

    #[test]
    fn too_many_label_sets_or_samples_are_refused_not_allocated() {
        let r = rule("  - alert: Many\n    expr: x > 1\n    labels: {stage: kafka}\n");
        let eval = Ticks { first: 0, step: M, count: 10 };
        let many: Vec<RangeSeries> =
            (0..=MAX_ALERTS_PER_RULE).map(|i| RangeSeries::new(&[("i", &i.to_string())], &[(0, 2.0)])).collect();
        assert!(alerts_of(&r, 0, &many, eval, &eval, &Budget::default()).unwrap_err().contains("label sets"));
        static POOL: crate::budget::Pool = crate::budget::Pool::new(usize::MAX);
        let small = Budget::new(10, 15, &POOL);
        let two = [RangeSeries::new(&[("i", "a")], &[(0, 2.0)])];
        assert!(alerts_of(&r, 0, &two, eval, &eval, &small).unwrap_err().contains("million samples"));
    }

    #[test]
    fn the_edge_is_active_only_with_samples_at_its_start() {
        let r = rule("  - alert: K\n    expr: x > 1\n    keep_firing_for: 2m\n    labels: {stage: kafka}\n");
        let eval = Ticks { first: 10 * M, step: M, count: 10 };
        assert!(active_at_edge(&r, &[RangeSeries::new(&[], &[(10 * M, 1.0)])], eval));
        assert!(active_at_edge(&r, &[RangeSeries::new(&[], &[(12 * M, 1.0)])], eval), "within keep_firing_for");
        assert!(!active_at_edge(&r, &[RangeSeries::new(&[], &[(13 * M, 1.0)])], eval));
        assert!(!active_at_edge(&r, &[], eval));
    }
}
