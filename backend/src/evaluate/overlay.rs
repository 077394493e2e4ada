//! The ruler's own view beside ours, tick by tick: what the `ALERTS` series it wrote say each of a
//! rule's alerts was at each of our ticks, whether that agrees with our state, and which
//! disagreements are only the ruler seeing a change one tick later.
//!
//! Which of the ruler's evaluations speaks for tick `t` depends on whether our ticks are the ruler's:
//! * They are (the rules came from the ruler, so a group ticks at the ruler's phase): the
//!   evaluation *for* `t`, the one sample in `[t, t + interval)`. Prometheus and Mimir write it at
//!   `t` itself; vmalert 1.79 queries at `t` (aligned) but stamps `ALERTS` with its wall clock,
//!   truncated to the second, anywhere in that interval (`AlertingRule.Exec`,
//!   `toTimeSeries(lastExecTime.Unix())` in app/vmalert/alerting.go). Read as
//!   `last_over_time(ALERTS{…}[interval])` at `t + interval − 1ms`, mapped back to `t`.
//! * They are not (YAML or built-in rules on the epoch's ticks): the ruler's latest evaluation at or
//!   before `t`, `last_over_time(ALERTS{…}[interval − 1ms])` at `t`.
//!
//! Either window holds exactly one of the ruler's evaluations. Range selectors skip the
//! stale marker Prometheus writes when an alert resolves, so a resolved alert has no sample there
//! and reads as inactive, as it should. Alerts are matched on their labels without the static rule
//! labels (the deployed rule's may differ from ours), `alertstate`, and vmalert's `alertgroup`.

use std::collections::BTreeMap;

use codexflow_core::alerting::AlertState;
use codexflow_core::api::{AlertTimeline, TimelinePoint};
use codexflow_core::Ticks;

use crate::rules::Rule;
use crate::series::RangeSeries;
use crate::upstream::{Ask, Purpose};

/// An alert's identity for matching, and labels as the ruler stored them.
type Identity = BTreeMap<String, String>;

/// Labels that say how the ruler stored an alert, not which alert it is.
const STORAGE_LABELS: [&str; 3] = ["__name__", "alertstate", "alertgroup"];

/// The ask for the `ALERTS` series the ruler wrote for alert `name` at `window`'s ticks (read
/// ahead of them, [`reading`]), and how far ahead ([`at_our_ticks`] maps them back).
/// `rulers_ticks`: whether `window` ticks at the ruler's own phase. `None`: no ticks to read.
pub fn ask(name: &str, ruler_interval_ms: i64, rulers_ticks: bool, window: &Ticks, rule: usize) -> Option<(Ask, i64)> {
    if window.count == 0 {
        return None;
    }
    let quoted = serde_json::to_string(name).unwrap_or_else(|_| "\"\"".to_string());
    let (range, ahead) = reading(ruler_interval_ms, rulers_ticks);
    let expr = format!("last_over_time(ALERTS{{alertname={quoted}}}[{range}ms])");
    let ticks = Ticks { first: window.first.saturating_add(ahead), ..*window };
    Some((Ask::new(&expr, ticks, Purpose::Ruler(rule)), ahead))
}

/// The ruler's series read `ahead` of our ticks, with their samples on our ticks.
pub fn at_our_ticks(mut series: Vec<RangeSeries>, ahead: i64) -> Vec<RangeSeries> {
    for s in &mut series {
        for sample in &mut s.samples {
            sample.0 = sample.0.saturating_sub(ahead);
        }
    }
    series
}

/// The range of the `last_over_time` and how far after each tick it is read (ms).
fn reading(interval_ms: i64, rulers_ticks: bool) -> (i64, i64) {
    let interval = interval_ms.max(2);
    if rulers_ticks {
        (interval, interval - 1)
    } else {
        (interval - 1, 0)
    }
}

/// The identity of an alert for matching: its labels without the static rule labels of either side
/// and the storage labels.
fn key(labels: impl IntoIterator<Item = (String, String)>, static_keys: &[&str]) -> BTreeMap<String, String> {
    labels
        .into_iter()
        .filter(|(k, _)| !STORAGE_LABELS.contains(&k.as_str()) && !static_keys.contains(&k.as_str()))
        .collect()
}

/// Puts the ruler's state on every point of `rule`'s alerts (indices `alerts[range]`), adding an
/// alert for each label set the ruler had and we did not. `deployed_labels`: the static labels of
/// the ruler's rule.
pub fn apply(
    alerts: &mut Vec<AlertTimeline>,
    rule_index: usize,
    rule: &Rule,
    deployed_labels: &[String],
    series: &[RangeSeries],
    window: &Ticks,
) {
    let mut static_keys: Vec<&str> = rule.labels.keys().map(String::as_str).collect();
    static_keys.extend(deployed_labels.iter().map(String::as_str));
    // The ruler's state per alert identity and tick index: firing over pending where both appear.
    let mut ruler: BTreeMap<Identity, (Vec<AlertState>, Identity)> = BTreeMap::new();
    for s in series {
        let state = match s.labels.get("alertstate").map(String::as_str) {
            Some("firing") => AlertState::Firing,
            Some("pending") => AlertState::Pending,
            _ => continue,
        };
        let labels: BTreeMap<String, String> = s
            .labels
            .iter()
            .filter(|(k, _)| !STORAGE_LABELS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let entry = ruler
            .entry(key(labels.clone(), &static_keys))
            .or_insert_with(|| (vec![AlertState::Inactive; window.count], labels));
        for &(t, _) in &s.samples {
            if let Some(i) = window.index_of(t) {
                entry.0[i] = entry.0[i].max(state);
            }
        }
    }
    let mut matched = std::collections::BTreeSet::new();
    for a in alerts.iter_mut().filter(|a| a.rule == rule_index && a.error.is_none()) {
        let k = key(a.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())), &static_keys);
        let states = ruler.get(&k).map(|(s, _)| s.as_slice());
        if states.is_some() {
            matched.insert(k);
        }
        set_ruler(&mut a.timeline, window, states);
    }
    // What the ruler had and these rules did not: our state there is inactive throughout.
    for (k, (states, labels)) in &ruler {
        if matched.contains(k) {
            continue;
        }
        let mut labels = labels.clone();
        labels.extend(rule.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        labels.insert("alertname".into(), rule.name.clone());
        let mut timeline: Vec<TimelinePoint> =
            window.iter().map(|t| TimelinePoint::new(t, AlertState::Inactive, None, None)).collect();
        set_ruler(&mut timeline, window, Some(states));
        alerts.push(AlertTimeline {
            name: rule.name.clone(),
            rule: rule_index,
            stage: rule.stage.clone(),
            severity: rule.severity.clone(),
            labels: labels.into(),
            at: window.last().unwrap_or(window.first),
            timeline,
            ..AlertTimeline::default()
        });
    }
}

/// The ruler's states (inactive where it wrote nothing) on a timeline, with agreement and lateness.
fn set_ruler(timeline: &mut [TimelinePoint], window: &Ticks, states: Option<&[AlertState]>) {
    for p in timeline.iter_mut() {
        let ruler =
            window.index_of(p.t).map(|i| states.and_then(|s| s.get(i).copied()).unwrap_or(AlertState::Inactive));
        p.ruler = ruler;
        p.agrees = ruler.map(|r| r == p.state);
        p.late = false;
    }
    mark_late(timeline);
}

/// A disagreement where the ruler shows at a tick what we showed the tick before is the ruler
/// seeing a change one evaluation later than we do (a sample that reached it after it evaluated,
/// or vmalert measuring `for` on its wall clock): `late`. Only ticks next to one of our changes can
/// be late; a state the ruler holds against ours for longer never is.
pub fn mark_late(timeline: &mut [TimelinePoint]) {
    for i in 1..timeline.len() {
        let before = timeline[i - 1].state;
        let p = &mut timeline[i];
        p.late = p.agrees == Some(false) && p.ruler == Some(before);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlertState::*;

    const M: i64 = 60_000;

    fn rule() -> Rule {
        crate::rules::RuleSet::parse(
            "groups:\n- name: g\n  rules:\n  - alert: Lag\n    expr: lag > 10\n    labels: {severity: warning}\n",
        )
        .unwrap()
        .rules
        .remove(0)
    }

    fn ours(states: &[AlertState], topic: &str) -> AlertTimeline {
        AlertTimeline {
            name: "Lag".into(),
            labels: [("alertname", "Lag"), ("severity", "warning"), ("topic", topic)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
                .into(),
            timeline: states
                .iter()
                .enumerate()
                .map(|(i, &s)| TimelinePoint::new(i as i64 * M, s, None, None))
                .collect(),
            ..AlertTimeline::default()
        }
    }

    fn alerts_series(topic: &str, state: &str, ticks: &[i64]) -> RangeSeries {
        RangeSeries::new(
            &[("alertname", "Lag"), ("alertstate", state), ("topic", topic), ("severity", "page"), ("alertgroup", "g")],
            &ticks.iter().map(|&i| (i * M, 1.0)).collect::<Vec<_>>(),
        )
    }

    fn marks(a: &AlertTimeline) -> String {
        a.timeline
            .iter()
            .map(|p| match (p.agrees, p.late) {
                (None, _) => '?',
                (Some(true), _) => '=',
                (Some(false), true) => 'l',
                (Some(false), false) => 'X',
            })
            .collect()
    }

    #[test]
    fn on_the_rulers_ticks_the_evaluation_for_the_tick_is_read_otherwise_the_last_before() {
        // [t + 30 s − 1 ms − 30 s, t + 30 s − 1 ms] holds the sample stamped t (Prometheus) and
        // one stamped up to 29 s later (vmalert's wall clock), never the next tick's.
        assert_eq!(reading(30_000, true), (30_000, 29_999));
        assert_eq!(reading(30_000, false), (29_999, 0));
        assert_eq!(reading(0, true), (2, 1));
    }

    #[test]
    fn agreement_lateness_and_disagreement_tick_by_tick() {
        let window = Ticks { first: 0, step: M, count: 6 };
        let mut alerts = vec![ours(&[Inactive, Pending, Firing, Firing, Firing, Inactive], "a")];
        // The ruler goes pending and firing a tick after us, then resolves a tick after us: late each time.
        let series = [alerts_series("a", "pending", &[2]), alerts_series("a", "firing", &[3, 4, 5])];
        apply(&mut alerts, 0, &rule(), &["severity".to_string()], &series, &window);
        assert_eq!(alerts.len(), 1, "matched despite the deployed rule's other severity and vmalert's alertgroup");
        let ruler: Vec<_> = alerts[0].timeline.iter().map(|p| p.ruler.unwrap()).collect();
        assert_eq!(ruler, [Inactive, Inactive, Pending, Firing, Firing, Firing]);
        assert_eq!(marks(&alerts[0]), "=ll==l");
    }

    #[test]
    fn a_state_held_against_ours_is_late_only_at_our_change() {
        let mut t: Vec<TimelinePoint> = [Inactive, Firing, Firing, Firing]
            .iter()
            .enumerate()
            .map(|(i, &s)| TimelinePoint::new(i as i64, s, None, None))
            .collect();
        for p in &mut t {
            p.ruler = Some(Inactive);
            p.agrees = Some(p.ruler == Some(p.state));
        }
        mark_late(&mut t);
        assert_eq!(t.iter().map(|p| p.late).collect::<Vec<_>>(), [false, true, false, false]);
    }

    #[test]
    fn what_only_the_ruler_had_is_added_inactive_on_our_side() {
        let window = Ticks { first: 0, step: M, count: 3 };
        let mut alerts = vec![ours(&[Inactive, Inactive, Inactive], "a")];
        apply(&mut alerts, 0, &rule(), &[], &[alerts_series("b", "firing", &[0, 1, 2])], &window);
        assert_eq!(alerts.len(), 2);
        assert_eq!(marks(&alerts[0]), "===");
        assert_eq!(alerts[1].labels.get("topic"), Some("b"));
        assert_eq!(alerts[1].labels.get("alertgroup"), None);
        assert_eq!(marks(&alerts[1]), "XXX");
        assert!(alerts[1].timeline.iter().all(|p| p.state == Inactive && p.ruler == Some(Firing)));
    }

    #[test]
    fn points_off_the_rulers_ticks_have_no_ruler_state() {
        let window = Ticks { first: 0, step: M, count: 2 };
        let mut a = ours(&[Inactive, Inactive, Inactive], "a");
        set_ruler(&mut a.timeline, &window, None);
        assert_eq!(marks(&a), "==?");
    }
}
