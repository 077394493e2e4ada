//! What the panel shows at a moment: "now" (the last tick) or a tick under the
//! pointer on the state strip (time travel). Pure: tested on the host.

use codexflow_core::api::{AlertTimeline, EvaluateResponse, Point, StageHealth};
use codexflow_core::format::{grouped, headline};
use codexflow_core::{AlertState, StageStatus};

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
}

/// A stage at the moment looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct StageView {
    pub id: String,
    pub name: String,
    pub status: StageStatus,
    pub headline: String,
    pub reason: Option<String>,
    pub alerts: Vec<AlertView>,
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

/// Status colour and label of a stage at tick `at` (None = now).
pub fn status_at(stage: &StageHealth, at: Option<usize>) -> StageStatus {
    match at {
        None => stage.status,
        Some(i) => stage.status_timeline.get(i).copied().unwrap_or(stage.status),
    }
}

fn label_text(a: &AlertTimeline) -> String {
    a.labels
        .iter()
        .filter(|(k, _)| !matches!(*k, "alertname" | "severity" | "stage"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The alerts of `stage_id` at tick `at` (None = now), firing first.
pub fn alerts_at(answer: &EvaluateResponse, stage_id: &str, at: Option<usize>, clock: &dyn Fn(i64) -> String) -> Vec<AlertView> {
    let mut out: Vec<AlertView> = answer
        .alerts
        .iter()
        .filter(|a| a.stage == stage_id)
        .map(|a| match at {
            None => AlertView {
                name: a.name.clone(),
                labels: label_text(a),
                state: a.state,
                since: a.active_at,
                value: a.timeline.last().and_then(|p| p.value),
                reason: a.reason.clone(),
                error: a.error.clone(),
            },
            Some(i) => {
                let p = a.timeline.get(i);
                let state = p.map_or(AlertState::Inactive, |p| p.state);
                let since = p.and_then(|p| p.active_at);
                let value = p.and_then(|p| p.value);
                let reason = (state != AlertState::Inactive).then(|| {
                    let mut text = format!("{} since {}", state.as_str(), since.map_or_else(|| "?".into(), clock));
                    if let Some(v) = value {
                        text.push_str(&format!(" (value {})", grouped(v)));
                    }
                    text
                });
                AlertView { name: a.name.clone(), labels: label_text(a), state, since, value, reason, error: a.error.clone() }
            }
        })
        .collect();
    out.sort_by(|a, b| b.state.cmp(&a.state));
    out
}

/// Every stage at tick `at` (None = now).
pub fn stages_at(answer: &EvaluateResponse, at: Option<usize>, clock: &dyn Fn(i64) -> String) -> Vec<StageView> {
    let t = at.and_then(|i| answer.ticks.get(i).copied());
    answer
        .stages
        .iter()
        .map(|s| {
            let status = status_at(s, at);
            let value = match t {
                None => s.headline.value,
                Some(t) => value_at(&s.series, t),
            };
            let alerts = alerts_at(answer, &s.id, at, clock);
            let reason = match at {
                None => s.reason.clone(),
                Some(_) => alerts.iter().find(|a| a.state == AlertState::Firing).and_then(|a| a.reason.clone()).or_else(|| {
                    (status == StageStatus::Nodata).then(|| s.reason.clone().unwrap_or_else(|| "no data".into()))
                }),
            };
            StageView {
                id: s.id.clone(),
                name: s.name.clone(),
                status,
                headline: headline(&s.headline.label, value, &s.headline.unit),
                reason,
                alerts,
            }
        })
        .collect()
}

/// The edge's rate at tick `at` (None = now), formatted with its unit.
pub fn edge_rate_at(answer: &EvaluateResponse, edge: usize, at: Option<usize>) -> Option<String> {
    let e = answer.edges.get(edge)?;
    let value = match at.and_then(|i| answer.ticks.get(i).copied()) {
        None => e.rate,
        Some(t) => value_at(&e.series, t),
    };
    Some(headline("", value, &e.unit))
}

/// Runs of equal values along a timeline: (first tick, length, value), for drawing few rectangles
/// (stage status on the strips, alert state in the drill-down).
pub fn runs<T: PartialEq + Copy>(timeline: &[T]) -> Vec<(usize, usize, T)> {
    let mut out: Vec<(usize, usize, T)> = Vec::new();
    for (i, s) in timeline.iter().enumerate() {
        match out.last_mut() {
            Some(last) if last.2 == *s => last.1 += 1,
            _ => out.push((i, 1, *s)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> EvaluateResponse {
        serde_json::from_str(include_str!("../tests/fixtures/evaluate.json")).unwrap()
    }

    fn clock(t: i64) -> String {
        codexflow_core::format::utc_clock(t)
    }

    #[test]
    fn now_is_the_last_tick() {
        let a = answer();
        let stages = stages_at(&a, None, &clock);
        let kafka = &stages[0];
        assert_eq!(kafka.status, StageStatus::Critical);
        assert_eq!(kafka.headline, "lag 1.5K");
        assert_eq!(kafka.reason.as_deref(), Some("lag 1,532 > 1,000 for 17m, since 12:03 UTC"));
        assert_eq!(kafka.alerts[0].state, AlertState::Firing);
        assert_eq!(stages[2].status, StageStatus::Nodata);
    }

    #[test]
    fn time_travel_shows_the_pipeline_as_it_was() {
        let a = answer();
        let then = stages_at(&a, Some(0), &clock);
        assert_eq!(then[0].status, StageStatus::Ok);
        assert_eq!(then[0].headline, "lag 210");
        assert_eq!(then[0].reason, None);
        let mid = stages_at(&a, Some(1), &clock);
        assert_eq!(mid[0].alerts[0].state, AlertState::Pending);
        assert_eq!(mid[0].alerts[0].reason.as_deref(), Some("pending since 12:01 (value 1,200)"));
        assert_eq!(edge_rate_at(&a, 0, Some(0)).as_deref(), Some("12 msg/s"));
        assert_eq!(edge_rate_at(&a, 0, None).as_deref(), Some("10.5 msg/s"));
        assert_eq!(edge_rate_at(&a, 9, None), None);
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
        assert_eq!(runs(&[Ok, Ok, Warning, Ok]), [(0, 2, Ok), (2, 1, Warning), (3, 1, Ok)]);
        assert!(runs::<StageStatus>(&[]).is_empty());
    }
}
