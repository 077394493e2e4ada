//! One-line explanations for a person on call reading a tile: why an alert is pending or firing,
//! why a rule can never fire, and which of a stage's alerts speaks for the stage.
//!
//! The backend writes these for "now" (in UTC, for outside tools) and the panel writes the same
//! text for any moment of time travel in the dashboard's time zone, so both must come from here.

use crate::alerting::AlertState;
use crate::api::{AlertTimeline, EpochMs, RuleHealth, RuleSummary};
use crate::duration::humanize_duration;
use crate::format::{grouped, utc_clock, utc_date};
use crate::status::{alert_status, StageStatus};

/// How a moment is written: a clock time, and a date with it for moments over a day ago.
pub trait Clock {
    fn time(&self, t: EpochMs) -> String;
    fn date_time(&self, t: EpochMs) -> String;
}

/// The backend's clock: UTC, said so (`12:03 UTC`, `2026-11-27 12:03 UTC`).
pub struct UtcClock;

impl Clock for UtcClock {
    fn time(&self, t: EpochMs) -> String {
        format!("{} UTC", utc_clock(t))
    }

    fn date_time(&self, t: EpochMs) -> String {
        format!("{} {} UTC", utc_date(t), utc_clock(t))
    }
}

/// An alert at one evaluation tick: what its timeline says there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertMoment {
    /// The tick.
    pub at: EpochMs,
    pub state: AlertState,
    pub active_at: Option<EpochMs>,
    /// The expression's value there; absent while `keep_firing_for` holds a cleared condition.
    pub value: Option<f64>,
    /// `active_at` is only an upper bound (the episode began before anything the backend looked at).
    pub bound: bool,
}

impl AlertMoment {
    /// The alert at the moment `at` (its latest tick at or before it), or "now" (the tick its `state`
    /// describes) for `None`. Before its first tick it is inactive at `at`. By time, not index: a
    /// group's ticks need not be the answer's.
    pub fn of(alert: &AlertTimeline, at: Option<EpochMs>) -> AlertMoment {
        // Only the episode at the edge of the lookback can carry a bound: the first one seen.
        let first_active = alert.first_active_at().or(alert.active_at);
        let bound = |active: Option<EpochMs>| alert.active_at_is_bound && active.is_some() && active == first_active;
        match at {
            None => {
                // The value now is the timeline's at the same tick (none when the window holds no tick).
                let value = alert.last_point().filter(|p| p.t == alert.at).and_then(|p| p.value);
                AlertMoment {
                    at: alert.at,
                    state: alert.state,
                    active_at: alert.active_at,
                    value,
                    bound: bound(alert.active_at),
                }
            }
            Some(t) => match alert.point_at(t) {
                Some(p) => AlertMoment {
                    at: p.t,
                    state: p.state,
                    active_at: p.active_at,
                    value: p.value,
                    bound: bound(p.active_at),
                },
                None => AlertMoment { at: t, state: AlertState::Inactive, active_at: None, value: None, bound: false },
            },
        }
    }
}

/// Why an alert is pending or firing: "lag 1,532 > 1,000 for 17m, since 12:03 UTC".
pub fn alert_reason(rule: &RuleSummary, m: &AlertMoment, clock: &dyn Clock) -> Option<String> {
    let active_at = m.active_at?;
    let what = match (&rule.op, rule.threshold, m.value) {
        (Some(op), Some(threshold), Some(v)) => {
            let name = rule.value_name.as_deref().unwrap_or("value");
            format!("{name} {} {op} {}", grouped(v), grouped(threshold))
        }
        _ => rule.summary.clone().unwrap_or_else(|| rule.name.clone()),
    };
    let since = since_text(active_at, m.at, m.bound, clock);
    let lasted = humanize_duration(m.at.saturating_sub(active_at));
    match m.state {
        AlertState::Inactive => None,
        AlertState::Pending => {
            Some(format!("pending: {what} for {lasted} of {}, {since}", humanize_duration(rule.for_ms)))
        }
        AlertState::Firing if m.value.is_none() => Some(format!(
            "{what}: condition cleared, still firing for keep_firing_for {}, {since}",
            humanize_duration(rule.keep_firing_for_ms)
        )),
        AlertState::Firing => Some(format!("{what} for {lasted}, {since}")),
    }
}

/// Why a rule can never fire: its inputs do not exist.
pub fn nodata_reason(rule_name: &str, missing: &[String]) -> String {
    let verb = if missing.len() == 1 { "has" } else { "have" };
    format!("no data: {} {verb} no series, so {rule_name} can never fire", missing.join(" and "))
}

/// Why a rule could not be evaluated.
pub fn error_reason(rule_name: &str, error: &str) -> String {
    format!("{rule_name} could not be evaluated: {error}")
}

/// What one alert says about its stage at a moment: the status it gives the stage and, when it has
/// something to say, the line explaining it. A rule that could not be evaluated or can never fire
/// makes its stage `nodata` whatever the moment; a pending alert explains an `ok` stage.
pub fn alert_contribution(
    rule: &RuleSummary,
    alert: &AlertTimeline,
    at: Option<EpochMs>,
    clock: &dyn Clock,
) -> (StageStatus, Option<String>) {
    if let Some(error) = &alert.error {
        return (StageStatus::Nodata, Some(error_reason(&rule.name, error)));
    }
    if alert.nodata {
        return (StageStatus::Nodata, Some(nodata_reason(&rule.name, &alert.missing_series)));
    }
    let m = AlertMoment::of(alert, at);
    (alert_status(m.state, &rule.severity), alert_reason(rule, &m, clock))
}

/// The line a stage shows: that of its worst contributor (the first of equals), if it has one.
pub fn stage_reason(contributions: impl IntoIterator<Item = (StageStatus, Option<String>)>) -> Option<String> {
    crate::status::worst_first(contributions.into_iter().filter_map(|(s, r)| Some((s, r?)))).map(|(_, r)| r)
}

/// The reason of stage `stage` (`None`: the unassigned alerts) at the moment `at` (None: now),
/// from the answer's alerts and rules.
pub fn stage_reason_at(
    rules: &[RuleSummary],
    alerts: &[AlertTimeline],
    stage: Option<&str>,
    at: Option<EpochMs>,
    clock: &dyn Clock,
) -> Option<String> {
    stage_reason(
        alerts
            .iter()
            .filter(|a| a.stage.as_deref() == stage)
            .filter_map(|a| Some(alert_contribution(rules.get(a.rule)?, a, at, clock))),
    )
}

/// What the ruler itself says about an alert at the moment `at` (None: now), when it matters to the
/// person reading: the rule is failing in the ruler, the ruler has stopped evaluating its group, or
/// the ruler's state disagrees with the one shown. `from_ruler`: the rule shown is the ruler's own
/// (so a disagreement means other data, not another rule).
pub fn ruler_note(
    rule: &RuleSummary,
    alert: &AlertTimeline,
    at: Option<EpochMs>,
    from_ruler: bool,
    clock: &dyn Clock,
) -> Option<String> {
    if let Some(ruler) = &rule.ruler {
        if ruler.health == RuleHealth::Err {
            let error = ruler.last_error.as_deref().unwrap_or("no error text");
            return Some(format!("the ruler cannot evaluate {}: {error}", rule.name));
        }
        if let Some(stale) = ruler.stale_for_ms {
            return Some(format!("the ruler has not evaluated group {} for {}", rule.group, humanize_duration(stale)));
        }
    }
    let t = at.unwrap_or(alert.at);
    let p = alert.point_at(t)?;
    let ruler_state = p.ruler?;
    if p.agrees != Some(false) || p.late {
        return None;
    }
    // The ruler's current state began where its run of that state began.
    let run_start = alert.ruler_since(t).unwrap_or(p.t);
    let since = since_text(run_start, p.t, false, clock);
    let ours = p.state.as_str();
    let cause = if from_ruler {
        "the ruler saw other data (samples that arrived late, or a restart of the ruler)"
    } else {
        "the deployed rule differs from the panel's"
    };
    Some(format!("the ruler reports {} {since}; these rules say {ours}: {cause}", ruler_state.as_str()))
}

/// The first ruler note among a stage's alerts at the moment `at`.
pub fn stage_ruler_note_at(
    rules: &[RuleSummary],
    alerts: &[AlertTimeline],
    stage: Option<&str>,
    at: Option<EpochMs>,
    from_ruler: bool,
    clock: &dyn Clock,
) -> Option<String> {
    alerts
        .iter()
        .filter(|a| a.stage.as_deref() == stage)
        .find_map(|a| ruler_note(rules.get(a.rule)?, a, at, from_ruler, clock))
}

fn since_text(active_at: EpochMs, at: EpochMs, bound: bool, clock: &dyn Clock) -> String {
    let text =
        if at.saturating_sub(active_at) >= 86_400_000 { clock.date_time(active_at) } else { clock.time(active_at) };
    if bound {
        format!("since before {text}")
    } else {
        format!("since {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TimelinePoint;

    const T: i64 = 1_795_737_600_000 + 12 * 3_600_000 + 3 * 60_000; // 2026-11-27 12:03 UTC
    const M: i64 = 60_000;

    fn lag_rule() -> RuleSummary {
        RuleSummary {
            name: "CodexKafkaCompletionsLagHigh".into(),
            severity: "warning".into(),
            for_ms: 15 * M,
            op: Some(">".into()),
            threshold: Some(1000.0),
            value_name: Some("lag".into()),
            ..RuleSummary::default()
        }
    }

    fn moment(state: AlertState, value: Option<f64>, active_at: i64, at: i64, bound: bool) -> AlertMoment {
        AlertMoment { at, state, active_at: Some(active_at), value, bound }
    }

    #[test]
    fn firing_reason_reads_like_the_runbook() {
        let text =
            alert_reason(&lag_rule(), &moment(AlertState::Firing, Some(1532.0), T, T + 17 * M, false), &UtcClock)
                .unwrap();
        assert_eq!(text, "lag 1,532 > 1,000 for 17m, since 12:03 UTC");
    }

    #[test]
    fn pending_summary_kept_firing_and_inactive() {
        let stall = RuleSummary {
            name: "CodexJangarAgentCommsStalled".into(),
            for_ms: 10 * M,
            summary: Some("agent-comms stream is advancing but Jangar inserts nothing".into()),
            ..RuleSummary::default()
        };
        let text =
            alert_reason(&stall, &moment(AlertState::Pending, Some(0.4), T, T + 3 * M, true), &UtcClock).unwrap();
        assert_eq!(
            text,
            "pending: agent-comms stream is advancing but Jangar inserts nothing for 3m of 10m, since before 12:03 UTC"
        );
        assert_eq!(alert_reason(&stall, &moment(AlertState::Inactive, None, T, T, false), &UtcClock), None);
        let sse =
            RuleSummary { name: "CodexJangarSseErrorRate".into(), keep_firing_for_ms: 5 * M, ..RuleSummary::default() };
        let kept = alert_reason(&sse, &moment(AlertState::Firing, None, T, T + 86_400_000, false), &UtcClock).unwrap();
        assert!(kept.contains("condition cleared") && kept.contains("2026-11-27 12:03 UTC"), "{kept}");
    }

    #[test]
    fn nodata_and_error_reasons() {
        assert_eq!(
            nodata_reason("CodexJangarAgentCommsStalled", &["jangar_agent_comms_inserted_total".into()]),
            "no data: jangar_agent_comms_inserted_total has no series, so CodexJangarAgentCommsStalled can never fire"
        );
        assert_eq!(error_reason("A", "boom"), "A could not be evaluated: boom");
    }

    fn alert(points: &[(AlertState, Option<f64>, Option<i64>)], bound: bool) -> AlertTimeline {
        let timeline: Vec<TimelinePoint> = points
            .iter()
            .enumerate()
            .map(|(i, &(state, value, active_at))| TimelinePoint::new(T + i as i64 * M, state, value, active_at))
            .collect();
        let last = timeline.last().copied().unwrap();
        AlertTimeline {
            name: "CodexKafkaCompletionsLagHigh".into(),
            stage: Some("kafka".into()),
            at: last.t,
            state: last.state,
            active_at: last.active_at,
            active_at_is_bound: bound,
            timeline,
            ..AlertTimeline::default()
        }
    }

    #[test]
    fn now_and_the_last_tick_say_the_same() {
        use AlertState::*;
        let a = alert(
            &[(Inactive, None, None), (Pending, Some(1200.0), Some(T + M)), (Firing, Some(1532.0), Some(T + M))],
            false,
        );
        let rules = [RuleSummary { for_ms: M, ..lag_rule() }];
        let alerts = [a];
        let kafka = Some("kafka");
        let now = stage_reason_at(&rules, &alerts, kafka, None, &UtcClock);
        let last = stage_reason_at(&rules, &alerts, kafka, Some(T + 2 * M), &UtcClock);
        assert_eq!(now.as_deref(), Some("lag 1,532 > 1,000 for 1m, since 12:04 UTC"));
        assert_eq!(now, last);
        // A moment between ticks reads the tick before it.
        let before = stage_reason_at(&rules, &alerts, kafka, Some(T + M + 30_000), &UtcClock);
        assert_eq!(before.as_deref(), Some("pending: lag 1,200 > 1,000 for 0s of 1m, since 12:04 UTC"));
        assert_eq!(stage_reason_at(&rules, &alerts, kafka, Some(T), &UtcClock), None);
        assert_eq!(stage_reason_at(&rules, &alerts, kafka, Some(T - M), &UtcClock), None);
        assert_eq!(stage_reason_at(&rules, &alerts, Some("nats"), None, &UtcClock), None);
    }

    #[test]
    fn only_the_episode_at_the_edge_is_bound() {
        use AlertState::*;
        let a = alert(
            &[(Firing, Some(2.0), Some(T - 90 * M)), (Inactive, None, None), (Pending, Some(2.0), Some(T + 2 * M))],
            true,
        );
        assert!(AlertMoment::of(&a, Some(T)).bound);
        assert!(!AlertMoment::of(&a, Some(T + 2 * M)).bound);
        assert!(!AlertMoment::of(&a, None).bound);
        assert_eq!(AlertMoment::of(&a, Some(T - 1)).state, Inactive);
        assert_eq!(AlertMoment::of(&a, Some(T + 9 * M)).state, Pending);
    }

    #[test]
    fn the_ruler_speaks_when_it_disagrees_fails_or_stops() {
        use crate::api::RulerStatus;
        use AlertState::*;
        let mut a = alert(&[(Inactive, None, None), (Inactive, None, None), (Inactive, None, None)], false);
        for (p, (ruler, agrees, late)) in
            a.timeline.iter_mut().zip([(Inactive, true, false), (Firing, false, true), (Firing, false, false)])
        {
            (p.ruler, p.agrees, p.late) = (Some(ruler), Some(agrees), late);
        }
        let rule = lag_rule();
        assert_eq!(ruler_note(&rule, &a, Some(T), false, &UtcClock), None);
        assert_eq!(ruler_note(&rule, &a, Some(T + M), false, &UtcClock), None, "a late tick is not a disagreement");
        assert_eq!(
            ruler_note(&rule, &a, None, false, &UtcClock).as_deref(),
            Some("the ruler reports firing since 12:04 UTC; these rules say inactive: the deployed rule differs from the panel's")
        );
        assert!(ruler_note(&rule, &a, None, true, &UtcClock).unwrap().contains("other data"));
        let failing = RuleSummary {
            ruler: Some(RulerStatus {
                health: RuleHealth::Err,
                last_error: Some("bad_data: boom".into()),
                ..RulerStatus::default()
            }),
            ..lag_rule()
        };
        assert_eq!(
            ruler_note(&failing, &a, Some(T), false, &UtcClock).as_deref(),
            Some("the ruler cannot evaluate CodexKafkaCompletionsLagHigh: bad_data: boom")
        );
        let stale = RuleSummary {
            group: "g".into(),
            ruler: Some(RulerStatus { stale_for_ms: Some(10 * M), ..RulerStatus::default() }),
            ..lag_rule()
        };
        assert_eq!(
            ruler_note(&stale, &a, Some(T), false, &UtcClock).as_deref(),
            Some("the ruler has not evaluated group g for 10m")
        );
        let unknown = alert(&[(Firing, Some(2.0), Some(T))], false);
        assert_eq!(ruler_note(&rule, &unknown, None, false, &UtcClock), None);
    }

    #[test]
    fn the_worst_contributor_speaks_first_among_equals() {
        use StageStatus::*;
        assert_eq!(
            stage_reason([
                (Ok, Some("p".into())),
                (Warning, Some("w1".into())),
                (Warning, Some("w2".into())),
                (Nodata, Some("n".into()))
            ])
            .as_deref(),
            Some("w1")
        );
        assert_eq!(stage_reason([(Critical, None), (Ok, Some("p".into()))]).as_deref(), Some("p"));
        assert_eq!(stage_reason(std::iter::empty()), None);
    }
}
