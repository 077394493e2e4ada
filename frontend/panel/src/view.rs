//! What the panel shows at a moment: "now" (the tick the answer's states describe) or a tick under
//! the pointer on the state strip (time travel). Reasons come from `core::reason`, the same text the
//! backend writes, in the dashboard's time zone. Pure: tested on the host.

use codexflow_core::api::{EvaluateResponse, Point, RulesSource, StageHealth};
use codexflow_core::compact::Span;
use codexflow_core::format::headline;
use codexflow_core::reason::{
    alert_contribution, ruler_note, stage_reason_at, stage_ruler_note_at, AlertMoment, Clock,
};
use codexflow_core::runbook;
use codexflow_core::status::alert_status;
use codexflow_core::{AlertState, StageStatus};

use crate::layout::EdgeInput;

/// An alert as the tooltip and drill-down list it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertView {
    pub name: String,
    pub labels: String,
    pub state: AlertState,
    pub since: Option<i64>,
    pub value: Option<f64>,
    pub reason: Option<String>,
    pub error: Option<String>,
    /// What the ruler itself says, when it disagrees, fails or has stopped.
    pub ruler: Option<String>,
    /// Who silenced it and until when, when the Alertmanager holds it back (now only).
    pub held_back: Option<String>,
    /// Its rule's `summary`, expanded with its latest sample (now, and while active: it may quote a
    /// value).
    pub summary: Option<String>,
    /// Who owns it ("team data · owner alice").
    pub owner: Option<String>,
    /// Whether it has a runbook link (opened from the drill-down).
    pub runbook: bool,
}

/// A stage at the moment looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct StageView {
    pub id: String,
    pub name: String,
    pub status: StageStatus,
    pub headline: String,
    pub reason: Option<String>,
    /// The ruler's word on the stage's alerts at this moment, when it has one.
    pub ruler: Option<String>,
    pub alerts: Vec<AlertView>,
    /// Queue insight's short line for the tile, and its full picture (at the last tick only: it is
    /// read there, so time travel to an earlier tick shows none).
    pub insight: Option<String>,
    /// One sentence a line.
    pub insight_details: String,
    /// Every alert that makes the status is silenced or inhibited in the Alertmanager (now only).
    pub suppressed: bool,
    /// Its part in the bottleneck now (`true`: the cause, `false`: a symptom) and the sentence why.
    pub flow: Option<(bool, String)>,
}

/// A stage's part in the bottleneck now: the run in force at `to` is its last (the panel does not
/// read `to`).
pub fn flow_now(runs: &[(i64, bool, String)]) -> Option<(bool, String)> {
    flow_at(runs, i64::MAX)
}

/// A stage's part in the bottleneck at `t`, from its runs.
pub fn flow_at(runs: &[(i64, bool, String)], t: i64) -> Option<(bool, String)> {
    codexflow_core::bottleneck::part_at(runs, t).map(|(cause, why)| (cause, why.to_string()))
}

/// Sentences one a line (what `join("\n")` does, without another instantiation of it).
pub fn lines(sentences: &[String]) -> String {
    let mut out = String::new();
    for s in sentences {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(s);
    }
    out
}

/// Which tick the pointer is on, `fraction` (0..=1) of the way along the strip.
pub fn tick_at_fraction(ticks: &[i64], fraction: f64) -> Option<usize> {
    if ticks.is_empty() || !fraction.is_finite() {
        return None;
    }
    let i = (fraction.clamp(0.0, 1.0) * ticks.len() as f64).floor() as usize;
    Some(i.min(ticks.len() - 1))
}

/// The value of a graphed series at `t`: the last point at or before it.
pub fn value_at(series: &[Point], t: i64) -> Option<f64> {
    let i = series.partition_point(|p| p.t <= t);
    i.checked_sub(1).and_then(|i| series[i].v)
}

/// Status of a stage at tick `at` (None = now).
pub fn status_at(stage: &StageHealth, at: Option<usize>) -> StageStatus {
    match at {
        None => stage.status,
        Some(i) => stage.status_timeline.get(i).copied().unwrap_or(stage.status),
    }
}

/// The moment tick `at` stands for (None = now).
pub fn moment(answer: &EvaluateResponse, at: Option<usize>) -> Option<i64> {
    at.and_then(|i| answer.ticks.get(i).copied())
}

/// Whether the rules shown are the ruler's own (so a disagreement is about data, not the rule).
pub fn from_ruler(answer: &EvaluateResponse) -> bool {
    answer.source.source == RulesSource::Ruler
}

/// The alerts of stage `stage` (`None`: the unassigned ones) at tick `at` (None = now), firing first.
pub fn alerts_at(
    answer: &EvaluateResponse,
    stage: Option<&str>,
    at: Option<usize>,
    clock: &dyn Clock,
) -> Vec<AlertView> {
    let t = moment(answer, at);
    let all: Vec<AlertView> = answer
        .alerts
        .iter()
        .filter(|a| a.stage.as_deref() == stage)
        .map(|a| {
            let m = AlertMoment::of(a, t);
            let rule = answer.rules.get(a.rule);
            let reason = rule.and_then(|rule| alert_contribution(rule, a, t, clock).1);
            let ruler = rule.and_then(|rule| ruler_note(rule, a, t, from_ruler(answer), clock));
            let now = t.is_none_or(|t| answer.ticks.last() == Some(&t));
            let held_back = a.held_back.clone().filter(|_| now);
            AlertView {
                name: a.name.clone(),
                labels: a.labels.distinguishing(),
                state: m.state,
                since: m.active_at,
                value: m.value,
                reason,
                error: a.error.clone(),
                ruler,
                held_back,
                // As Prometheus, an alert says something of itself only while it is active.
                summary: runbook::summary(a).filter(|_| now && m.state != AlertState::Inactive).map(str::to_string),
                owner: runbook::owner(a),
                runbook: a.runbook.is_some(),
            }
        })
        .collect();
    // Firing, then pending, then inactive, each in the answer's order: three passes instead of a
    // sort routine in the `.wasm`.
    let mut out = Vec::with_capacity(all.len());
    for state in [AlertState::Firing, AlertState::Pending, AlertState::Inactive] {
        out.extend(all.iter().filter(|a| a.state == state).cloned());
    }
    out
}

/// The worst status among the unassigned alerts at tick `at`: as a stage folds its alerts, an
/// error or a rule that can never fire (`nodata`) counts as no data.
pub fn others_status(answer: &EvaluateResponse, others: &[AlertView]) -> StageStatus {
    others
        .iter()
        .map(|o| {
            let alert = answer.alerts.iter().find(|a| a.name == o.name && a.stage.is_none());
            match (&o.error, alert) {
                (Some(_), _) => StageStatus::Nodata,
                (None, Some(a)) if a.nodata => StageStatus::Nodata.max(alert_status(o.state, &a.severity)),
                (None, a) => alert_status(o.state, a.map_or("", |a| a.severity.as_str())),
            }
        })
        .max()
        .unwrap_or_default()
}

/// Every stage at tick `at` (None = now).
pub fn stages_at(answer: &EvaluateResponse, at: Option<usize>, clock: &dyn Clock) -> Vec<StageView> {
    let t = moment(answer, at);
    let is_now = at.is_none_or(|i| i + 1 == answer.ticks.len());
    answer
        .stages
        .iter()
        .map(|s| {
            let value = match t {
                None => s.headline.value,
                Some(t) => value_at(&s.series, t),
            };
            StageView {
                id: s.id.clone(),
                name: s.name.clone(),
                status: status_at(s, at),
                headline: headline(&s.headline.label, value, &s.headline.unit),
                reason: stage_reason_at(&answer.rules, &answer.alerts, Some(&s.id), t, clock),
                ruler: stage_ruler_note_at(&answer.rules, &answer.alerts, Some(&s.id), t, from_ruler(answer), clock),
                alerts: alerts_at(answer, Some(&s.id), at, clock),
                insight: s.queue.as_ref().filter(|_| is_now).and_then(|q| q.line.clone()),
                insight_details: s.queue.as_ref().filter(|_| is_now).map(|q| lines(&q.details)).unwrap_or_default(),
                suppressed: is_now && s.suppressed,
                flow: if is_now {
                    flow_now(&s.bottleneck_runs)
                } else {
                    t.and_then(|t| flow_at(&s.bottleneck_runs, t))
                },
            }
        })
        .collect()
}

/// The answer's edges between stages it has, each keeping its index in the answer.
pub fn edge_inputs(answer: &EvaluateResponse) -> Vec<EdgeInput> {
    let index_of = |id: &str| answer.stages.iter().position(|s| s.id == id);
    answer
        .edges
        .iter()
        .enumerate()
        .filter_map(|(index, e)| Some(EdgeInput { index, from: index_of(&e.from)?, to: index_of(&e.to)? }))
        .collect()
}

/// Edge number `edge`'s rate at tick `at` (None = now), formatted with its unit.
pub fn edge_rate_at(answer: &EvaluateResponse, edge: usize, at: Option<usize>) -> Option<String> {
    let e = answer.edges.get(edge)?;
    let value = match moment(answer, at) {
        None => e.rate,
        Some(t) => value_at(&e.series, t),
    };
    Some(headline("", value, &e.unit))
}

/// Runs of equal values ([`codexflow_core::compact::spans`]) as one SVG path per value (in the
/// order each first appears): a rectangle `start..start+len` wide and `height` tall at row `y` for
/// each run. One element per value, not per run, because each element and attribute the panel sets
/// is a call out of the module: 200 stages' strips as rectangles were 12,000 `setAttribute` calls,
/// a third of the time from data to paint.
pub fn run_paths<T: PartialEq + Copy>(runs: &[Span<T>], y: u32, height: &str) -> Vec<(T, String)> {
    let mut out: Vec<(T, String)> = Vec::new();
    for &(start, len, v) in runs {
        let rect = format!("M{start} {y}h{len}v{height}h-{len}z");
        match out.iter_mut().find(|(o, _)| *o == v) {
            Some((_, d)) => d.push_str(&rect),
            None => out.push((v, rect)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{layout, Direction};
    use codexflow_core::reason::UtcClock;

    fn answer() -> EvaluateResponse {
        serde_json::from_str(include_str!("../tests/fixtures/evaluate.json")).unwrap()
    }

    #[test]
    fn now_is_the_last_tick() {
        let a = answer();
        let stages = stages_at(&a, None, &UtcClock);
        let kafka = &stages[0];
        assert_eq!(kafka.status, StageStatus::Critical);
        assert_eq!(kafka.headline, "lag 1.5K");
        assert_eq!(kafka.reason.as_deref(), Some("lag 1,532 > 1,000 for 2m, since 12:01 UTC"));
        assert_eq!(kafka.alerts[0].state, AlertState::Firing);
        assert_eq!(kafka.insight.as_deref(), Some("consumer stalled"));
        assert_eq!(stages[1].insight.as_deref(), Some("draining, ~4m"));
        assert!(
            stages[1].insight_details.lines().any(|l| l.starts_with("Not known: the consumer's position")),
            "{}",
            stages[1].insight_details
        );
        assert_eq!(stages[2].status, StageStatus::Nodata);
        assert_eq!(
            stages[2].reason.as_deref(),
            Some("no data: jangar_agent_comms_inserted_total has no series, so CodexJangarAgentCommsStalled can never fire")
        );
    }

    #[test]
    fn an_alert_says_its_summary_only_now_and_while_active() {
        let mut a = answer();
        for alert in &mut a.alerts {
            alert.annotations = codexflow_core::Labels::new([("summary".to_string(), "lag is high".to_string())]);
            alert.labels = codexflow_core::Labels::new([("team".to_string(), "data".to_string())]);
        }
        let now = alerts_at(&a, Some("kafka"), None, &UtcClock);
        assert!(now.iter().any(|v| v.state != AlertState::Inactive));
        for v in &now {
            assert_eq!(v.summary.is_some(), v.state != AlertState::Inactive, "{}", v.name);
            assert_eq!(v.owner.as_deref(), Some("team data"), "the owner always");
        }
        let then = alerts_at(&a, Some("kafka"), Some(0), &UtcClock);
        assert!(then.iter().all(|v| v.summary.is_none()), "not of a past tick: it quotes the latest value");
    }

    #[test]
    fn the_bottleneck_and_its_symptoms_are_marked_now_and_at_each_tick() {
        let mut a = answer();
        assert!(stages_at(&a, None, &UtcClock).iter().all(|s| s.flow.is_none()), "no runs: no part");
        // Kafka a symptom at the first tick, the cause from the second, and now (from `to`) NATS too.
        let why = |w: &str| w.to_string();
        a.stages[0].bottleneck_runs = vec![(a.ticks[0], false, why("after")), (a.ticks[1], true, why("cause"))];
        a.stages[1].bottleneck_runs = vec![(a.ticks[0], false, String::new()), (a.to, false, why("behind it"))];
        let at = |i: Option<usize>| stages_at(&a, i, &UtcClock).into_iter().map(|s| s.flow).collect::<Vec<_>>();
        assert_eq!(at(Some(0))[..2], [Some((false, why("after"))), None]);
        assert_eq!(at(Some(1))[..2], [Some((true, why("cause"))), None]);
        assert_eq!(at(None)[..3], [Some((true, why("cause"))), Some((false, why("behind it"))), None]);
        assert_eq!(at(None), at(Some(a.ticks.len() - 1)), "the last tick is now");
    }

    #[test]
    fn time_travel_speaks_as_now_does() {
        let a = answer();
        let last = a.ticks.len() - 1;
        assert_eq!(stages_at(&a, Some(last), &UtcClock), stages_at(&a, None, &UtcClock), "the last tick is now");
        let then = stages_at(&a, Some(0), &UtcClock);
        assert_eq!(then[0].status, StageStatus::Ok);
        assert_eq!(
            (then[0].insight.as_deref(), then[0].insight_details.as_str()),
            (None, ""),
            "insight is read at the last tick only"
        );
        assert_eq!(then[0].headline, "lag 210");
        assert_eq!(then[0].reason, None);
        let mid = stages_at(&a, Some(1), &UtcClock);
        assert_eq!(mid[0].alerts[0].state, AlertState::Pending);
        assert_eq!(
            mid[0].alerts[0].reason.as_deref(),
            Some("pending: lag 1,200 > 1,000 for 0s of 1m, since 12:01 UTC")
        );
        assert_eq!(edge_rate_at(&a, 0, Some(0)).as_deref(), Some("12 msg/s"));
        assert_eq!(edge_rate_at(&a, 0, None).as_deref(), Some("10.5 msg/s"));
        assert_eq!(edge_rate_at(&a, 9, None), None);
    }

    #[test]
    fn an_edge_the_diagram_cannot_draw_takes_no_label_from_the_others() {
        let mut a = answer();
        // The first edge names a stage the answer does not have: the others keep their own labels.
        a.edges[0].from = "gone".into();
        let inputs = edge_inputs(&a);
        assert_eq!(inputs.iter().map(|e| e.index).collect::<Vec<_>>(), [1, 2]);
        let geometry = layout(a.stages.len(), &inputs, 1200.0, 300.0, Direction::LeftToRight);
        let labels: Vec<_> = geometry.edges.iter().map(|g| edge_rate_at(&a, g.index, None)).collect();
        assert_eq!(labels, [Some("5 msg/s".to_string()), Some("— msg/s".to_string())]);
    }

    #[test]
    fn unassigned_alerts_and_the_rulers_word() {
        let mut a = answer();
        let mut other = a.alerts[0].clone();
        other.name = "DiskFull".into();
        other.stage = None;
        a.alerts.push(other);
        let others = alerts_at(&a, None, None, &UtcClock);
        assert_eq!(others.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["DiskFull"]);
        assert_eq!(others_status(&a, &others), StageStatus::Critical);
        // A rule that can never fire, beside one that fires harmlessly: no data, not ok.
        let mut quiet = a.clone();
        let disk = quiet.alerts.last_mut().unwrap();
        (disk.severity, disk.nodata) = ("none".into(), true);
        for p in &mut disk.timeline {
            p.state = AlertState::Inactive;
        }
        disk.state = AlertState::Inactive;
        assert_eq!(others_status(&quiet, &alerts_at(&quiet, None, None, &UtcClock)), StageStatus::Nodata);
        quiet.alerts.last_mut().unwrap().nodata = false;
        assert_eq!(others_status(&quiet, &alerts_at(&quiet, None, None, &UtcClock)), StageStatus::Ok);
        assert!(
            stages_at(&a, None, &UtcClock).iter().all(|s| s.alerts.iter().all(|x| x.name != "DiskFull")),
            "no stage lists it"
        );

        // The ruler saw the kafka alert inactive at the last two ticks: the stage says so, now and then.
        for p in a.alerts[0].timeline.iter_mut().rev().take(2) {
            (p.ruler, p.agrees) = (Some(AlertState::Inactive), Some(false));
        }
        let now = stages_at(&a, None, &UtcClock);
        assert_eq!(
            now[0].ruler.as_deref(),
            Some("the ruler reports inactive since 12:02 UTC; these rules say firing: the deployed rule differs from the panel's")
        );
        assert_eq!(now[0].alerts[0].ruler, now[0].ruler);
        assert_eq!(stages_at(&a, Some(0), &UtcClock)[0].ruler, None, "the ruler's view is unknown there");
    }

    #[test]
    fn pointer_positions_map_to_ticks() {
        let ticks = [0, 60, 120, 180];
        assert_eq!(tick_at_fraction(&ticks, 0.0), Some(0));
        assert_eq!(tick_at_fraction(&ticks, 0.49), Some(1));
        assert_eq!(tick_at_fraction(&ticks, 1.0), Some(3));
        assert_eq!(tick_at_fraction(&ticks, 7.0), Some(3));
        assert_eq!(tick_at_fraction(&ticks, f64::NAN), None);
        assert_eq!(tick_at_fraction(&[], 0.5), None);
    }

    #[test]
    fn values_and_runs() {
        let pts = [Point { t: 0, v: Some(1.0) }, Point { t: 10, v: None }, Point { t: 20, v: Some(3.0) }];
        assert_eq!(value_at(&pts, -1), None);
        assert_eq!(value_at(&pts, 5), Some(1.0));
        assert_eq!(value_at(&pts, 15), None);
        assert_eq!(value_at(&pts, 99), Some(3.0));
        use StageStatus::*;
        let paths = run_paths(&codexflow_core::compact::spans(&[Ok, Ok, Warning, Ok, Critical, Critical]), 1, "0.9");
        assert_eq!(
            paths,
            [
                (Ok, "M0 1h2v0.9h-2zM3 1h1v0.9h-1z".to_string()),
                (Warning, "M2 1h1v0.9h-1z".into()),
                (Critical, "M4 1h2v0.9h-2z".into())
            ]
        );
        assert!(run_paths::<StageStatus>(&[], 0, "1").is_empty());
    }
}
