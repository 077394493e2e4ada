//! `v1/evaluate`: the pipeline's health over a window, tick by tick.
//!
//! Each rule's own PromQL runs upstream as a range query whose steps are the
//! evaluation ticks, starting early enough (`for` + `keep_firing_for` + two
//! ticks) that the state at the first tick is already what a ruler that has
//! always been running would report. The results then go through the same
//! state machine Prometheus uses. All upstream queries of one evaluation run
//! concurrently; a failing one degrades its stage only.

use std::collections::{BTreeMap, HashMap, HashSet};

use codexflow_core::alerting::{run_alert, AlertState, Observation, RuleTiming, TickState, Ticks};
use codexflow_core::api::{AlertTimeline, EdgeHealth, EvaluateRequest, EvaluateResponse, Headline, Point, StageHealth, TimelinePoint};
use codexflow_core::status::{alert_status, fold_alert_into, raise_to, StageStatus};
use futures_util::future::join_all;

use crate::prom::{PromClient, PromError, RangeSeries};
use crate::reason;
use crate::rules::Rule;
use crate::settings::Settings;

/// Most ticks one request may ask for (7 days at 15 s is 40,320).
pub const MAX_TICKS: usize = 100_000;
/// Points in a sparkline; longer windows use a coarser step.
pub const SPARKLINE_POINTS: usize = 240;
/// Prometheus' default lookback for instant vectors: a series is "there" this long after its last sample.
const STALENESS_MS: i64 = 5 * 60_000;

/// A request that cannot be served as asked.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct BadRequest {
    pub field: String,
    pub message: String,
}

/// Checks the request and works out its ticks.
pub fn plan(req: &EvaluateRequest, default_interval_ms: i64) -> Result<(i64, Ticks), BadRequest> {
    let bad = |field: &str, message: String| BadRequest { field: field.into(), message };
    let interval = req.interval_ms.unwrap_or(default_interval_ms);
    if interval < 1_000 {
        return Err(bad("intervalMs", format!("must be at least 1000 (1s), got {interval}")));
    }
    if req.from < 0 || req.to < 0 {
        return Err(bad("from", "from and to are epoch milliseconds and cannot be negative".into()));
    }
    if req.from > req.to {
        return Err(bad("from", format!("from ({}) is after to ({})", req.from, req.to)));
    }
    let ticks = Ticks::covering(req.from, req.to, interval);
    if ticks.count > MAX_TICKS {
        return Err(bad(
            "to",
            format!("{} ticks of {interval} ms exceed the limit of {MAX_TICKS}; widen intervalMs or narrow the window", ticks.count),
        ));
    }
    Ok((interval, ticks))
}

/// What one rule's evaluation produced.
struct RuleOutcome {
    alerts: Vec<AlertTimeline>,
    nodata_missing: Option<Vec<String>>,
    error: Option<String>,
}

pub async fn evaluate(settings: &Settings, client: &PromClient, req: &EvaluateRequest) -> Result<EvaluateResponse, BadRequest> {
    let (interval, ticks) = plan(req, settings.interval_ms)?;
    // Where the latest state is read: the last tick of the window, or the last tick before it if it has none.
    let last_tick = ticks.last().unwrap_or(req.to.div_euclid(interval) * interval);

    // One existence check for every selector of every rule: a single series call, sorted out locally.
    let lookback_max = settings.rules.rules.iter().map(|r| lookback_ms(r.timing, interval)).max().unwrap_or(0);
    let presence_from = last_tick.min(ticks.first) - lookback_max - STALENESS_MS;
    let selectors: Vec<String> = {
        let mut seen = HashSet::new();
        settings.rules.rules.iter().flat_map(|r| r.query.selectors.iter()).filter(|s| seen.insert(s.as_str())).cloned().collect()
    };
    let presence_check = client.series(&selectors, presence_from, req.to);
    let rule_queries = join_all(settings.rules.rules.iter().map(|rule| evaluate_rule(client, rule, interval, &ticks, last_tick)));
    let spark = sparkline_ticks(&ticks, last_tick);
    let headlines = join_all(settings.pipeline.stages.iter().map(|s| graph(client, &s.headline.expr, spark)));
    let edges = join_all(settings.pipeline.edges.iter().map(|e| graph(client, &e.rate_expr, spark)));
    let (presence, rule_results, headlines, edge_series) = tokio::join!(presence_check, rule_queries, headlines, edges);

    // If the check itself failed, every selector gets the benefit of the doubt: the rules' own queries report the failure.
    let present: HashMap<&str, bool> = match &presence {
        Ok(series) => settings.rules.rules.iter().flat_map(|r| r.query.selectors_present(series)).collect(),
        Err(_) => HashMap::new(),
    };

    let outcomes: Vec<RuleOutcome> = settings
        .rules
        .rules
        .iter()
        .zip(rule_results)
        .map(|(rule, result)| {
            let is_present = |s: &str| present.get(s).copied().unwrap_or(true);
            let nodata_missing = (!rule.query.can_have_data(&is_present)).then(|| {
                rule.query.selectors.iter().filter(|s| !is_present(s)).cloned().collect::<Vec<_>>()
            });
            match result {
                Ok(alerts) => RuleOutcome { alerts, nodata_missing, error: None },
                Err(e) => RuleOutcome { alerts: vec![errored_alert(rule, &e)], nodata_missing, error: Some(e.to_string()) },
            }
        })
        .collect();

    let stages = settings
        .pipeline
        .stages
        .iter()
        .zip(headlines)
        .map(|(spec, headline)| {
            let mut timeline = vec![StageStatus::Ok; ticks.count];
            let mut status = StageStatus::Ok;
            let mut reasons: Vec<(StageStatus, String)> = Vec::new();
            let mut missing_series = Vec::new();
            for (rule, outcome) in settings.rules.rules.iter().zip(&outcomes).filter(|(r, _)| r.stage == spec.id) {
                for alert in &outcome.alerts {
                    fold_alert_into(&mut timeline, alert.timeline.iter().map(|p| p.state), &alert.severity);
                    let s = alert_status(alert.state, &alert.severity);
                    status = status.max(s);
                    if let Some(r) = &alert.reason {
                        reasons.push((s, r.clone()));
                    }
                }
                let blind = match (&outcome.error, &outcome.nodata_missing) {
                    (Some(e), _) => Some(reason::error_reason(rule, e)),
                    (None, Some(missing)) => {
                        missing_series.extend(missing.iter().filter(|m| !missing_series.contains(*m)).cloned().collect::<Vec<_>>());
                        Some(reason::nodata_reason(rule, missing))
                    }
                    (None, None) => None,
                };
                if let Some(r) = blind {
                    raise_to(&mut timeline, StageStatus::Nodata);
                    status = status.max(StageStatus::Nodata);
                    reasons.push((StageStatus::Nodata, r));
                }
            }
            // The reason shown is that of the worst contributor; for an `ok` stage, a pending alert's if any.
            reasons.sort_by_key(|r| std::cmp::Reverse(r.0));
            let reason = reasons.into_iter().next().map(|(_, r)| r);
            let (value, series, error) = headline_parts(headline, last_tick);
            StageHealth {
                id: spec.id.clone(),
                name: spec.name.clone(),
                status,
                reason,
                headline: Headline { label: spec.headline.label.clone(), unit: spec.headline.unit.clone(), value, error },
                series,
                status_timeline: timeline,
                missing_series,
            }
        })
        .collect();

    let edges = settings
        .pipeline
        .edges
        .iter()
        .zip(edge_series)
        .map(|(spec, result)| {
            let (rate, series, error) = headline_parts(result, last_tick);
            EdgeHealth { from: spec.from.clone(), to: spec.to.clone(), label: spec.label.clone(), rate, unit: spec.unit.clone(), series, error }
        })
        .collect();

    Ok(EvaluateResponse {
        from: req.from,
        to: req.to,
        interval_ms: interval,
        ticks: ticks.iter().collect(),
        stages,
        edges,
        alerts: outcomes.into_iter().flat_map(|o| o.alerts).collect(),
    })
}

/// How far before the first tick a rule must be evaluated for its state there to be exact.
///
/// A firing alert at tick `t` needs its condition to have held since `t - for`,
/// and `keep_firing_for` can stretch that back further; two extra ticks cover
/// the strict `<` in the keep-firing check and a tick that lands on the bound.
pub fn lookback_ms(timing: RuleTiming, interval: i64) -> i64 {
    timing.hold_ms + timing.keep_firing_for_ms + 2 * interval
}

/// How much further back to look, step by step, when an episode began at the edge of what was looked at.
const EXTENSIONS_MS: [i64; 3] = [3_600_000, 4 * 3_600_000, 24 * 3_600_000];

/// Evaluates one rule over the window.
///
/// The base lookback makes every state exact. An alert's `activeAt` is exact
/// too unless its episode began so close to the first evaluated tick that
/// earlier history could belong to it (at that tick, or within
/// `keep_firing_for` of it); then we look further back, up to a day, and run
/// the machine again. Only rules active at the edge pay for that.
async fn evaluate_rule(client: &PromClient, rule: &Rule, interval: i64, window: &Ticks, last_tick: i64) -> Result<Vec<AlertTimeline>, PromError> {
    let mut eval = eval_ticks(rule, interval, window, last_tick);
    let mut series = client.query_range(&rule.query.text, eval.first, last_tick, interval).await?;
    let mut alerts = alerts_of(rule, &series, eval, window);
    for extra in EXTENSIONS_MS {
        if !alerts.iter().any(|a| a.active_at_is_bound) {
            break;
        }
        let extra_ticks = (extra + interval - 1) / interval;
        let first = eval.first - extra_ticks * interval;
        let earlier = client.query_range(&rule.query.text, first, eval.first - interval, interval).await?;
        series = prepend(earlier, series);
        eval = Ticks { first, step: interval, count: eval.count + extra_ticks as usize };
        alerts = alerts_of(rule, &series, eval, window);
    }
    Ok(alerts)
}

/// Joins earlier samples in front of later ones, series by series.
fn prepend(earlier: Vec<RangeSeries>, later: Vec<RangeSeries>) -> Vec<RangeSeries> {
    let mut by_labels: BTreeMap<_, Vec<(i64, f64)>> = earlier.into_iter().map(|s| (s.labels, s.samples)).collect();
    for s in later {
        by_labels.entry(s.labels).or_default().extend(s.samples);
    }
    by_labels.into_iter().map(|(labels, samples)| RangeSeries { labels, samples }).collect()
}

/// The ticks a rule is evaluated at: the window's, preceded by its lookback.
fn eval_ticks(rule: &Rule, interval: i64, window: &Ticks, last_tick: i64) -> Ticks {
    let first_wanted = if window.count > 0 { window.first } else { last_tick };
    Ticks::covering(first_wanted - lookback_ms(rule.timing, interval), last_tick, interval)
}

/// Turns one rule's range-query result into alerts, one per label set, over the window's ticks.
pub fn alerts_of(rule: &Rule, series: &[RangeSeries], eval: Ticks, window: &Ticks) -> Vec<AlertTimeline> {
    // Label sets as Prometheus builds them: result labels without __name__, rule labels on top, alertname.
    let mut by_key: BTreeMap<BTreeMap<String, String>, Vec<usize>> = BTreeMap::new();
    for (i, s) in series.iter().enumerate() {
        let mut labels = s.labels.clone();
        labels.remove("__name__");
        labels.extend(rule.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        labels.insert("alertname".into(), rule.name.clone());
        by_key.entry(labels).or_default().push(i);
    }
    // Dense per-tick values for each series.
    let dense: Vec<Vec<Option<f64>>> = series
        .iter()
        .map(|s| {
            let mut values = vec![None; eval.count];
            for &(t, v) in &s.samples {
                if let Some(i) = eval.index_of(t) {
                    values[i] = Some(v);
                }
            }
            values
        })
        .collect();
    // Two series collapsing onto one label set at the same tick make Prometheus fail the whole evaluation.
    let mut failed = vec![false; eval.count];
    for members in by_key.values().filter(|m| m.len() > 1) {
        for (i, slot) in failed.iter_mut().enumerate() {
            *slot |= members.iter().filter(|&&m| dense[m][i].is_some()).count() > 1;
        }
    }

    let offset = if window.count > 0 { eval.index_of(window.first).unwrap_or(0) } else { eval.count };
    let mut states: Vec<TickState> = Vec::with_capacity(eval.count);
    let mut alerts = Vec::new();
    for (labels, members) in by_key {
        let value_at = |i: usize| members.iter().find_map(|&m| dense[m][i]);
        run_alert(
            rule.timing,
            &eval,
            |i| {
                if failed[i] {
                    Observation::EvalFailed
                } else if value_at(i).is_some() {
                    Observation::Sample
                } else {
                    Observation::Absent
                }
            },
            &mut states,
        );
        let visible = &states[offset..];
        let has_samples_in_window = (offset..eval.count).any(|i| value_at(i).is_some());
        let Some(last) = states.last().copied() else { continue };
        if !has_samples_in_window && visible.iter().all(|s| s.state == AlertState::Inactive) && last.state == AlertState::Inactive {
            continue;
        }
        let timeline = visible
            .iter()
            .enumerate()
            .map(|(j, s)| TimelinePoint { t: window.at(j), state: s.state, value: value_at(offset + j), active_at: s.active_at })
            .collect();
        alerts.push(finish_alert(rule, labels, timeline, last, value_at(eval.count - 1), eval));
    }
    if alerts.is_empty() {
        // A rule that never triggered still shows up, so the panel can list it as inactive.
        let mut labels = rule.labels.clone();
        labels.insert("alertname".into(), rule.name.clone());
        let timeline =
            window.iter().map(|t| TimelinePoint { t, state: AlertState::Inactive, value: None, active_at: None }).collect();
        alerts.push(finish_alert(rule, labels, timeline, TickState::INACTIVE, None, eval));
    }
    alerts
}

fn finish_alert(
    rule: &Rule,
    labels: BTreeMap<String, String>,
    timeline: Vec<TimelinePoint>,
    last: TickState,
    last_value: Option<f64>,
    eval: Ticks,
) -> AlertTimeline {
    let last_t = eval.last().unwrap_or(0);
    // History before the first evaluated tick could belong to an episode that began
    // at that tick, or (through keep_firing_for) within keep_firing_for after it.
    let edge = eval.first + rule.timing.keep_firing_for_ms;
    let bound = timeline.iter().filter_map(|p| p.active_at).chain(last.active_at).any(|at| at <= edge);
    let reason = last.active_at.and_then(|at| reason::alert_reason(rule, last.state, last_value, at, last_t, at <= edge));
    AlertTimeline {
        name: rule.name.clone(),
        stage: rule.stage.clone(),
        severity: rule.severity.clone(),
        labels: labels.into(),
        state: last.state,
        active_at: last.active_at,
        active_at_is_bound: bound,
        reason,
        error: None,
        nodata: false,
        timeline,
    }
}

fn errored_alert(rule: &Rule, e: &PromError) -> AlertTimeline {
    let mut labels = rule.labels.clone();
    labels.insert("alertname".into(), rule.name.clone());
    AlertTimeline {
        name: rule.name.clone(),
        stage: rule.stage.clone(),
        severity: rule.severity.clone(),
        labels: labels.into(),
        state: AlertState::Inactive,
        active_at: None,
        active_at_is_bound: false,
        reason: Some(reason::error_reason(rule, &e.to_string())),
        error: Some(e.to_string()),
        nodata: false,
        timeline: Vec::new(),
    }
}

/// Sparkline ticks: a whole multiple of the interval, ending on the last tick.
fn sparkline_ticks(window: &Ticks, last_tick: i64) -> Ticks {
    if window.count == 0 {
        return Ticks { first: last_tick, step: window.step, count: 1 };
    }
    let stride = window.count.div_ceil(SPARKLINE_POINTS).max(1) as i64;
    let step = window.step * stride;
    let count = ((last_tick - window.first) / step + 1) as usize;
    Ticks { first: last_tick - (count as i64 - 1) * step, step, count }
}

async fn graph(client: &PromClient, expr: &str, ticks: Ticks) -> Result<(Ticks, Vec<RangeSeries>), PromError> {
    let last = ticks.at(ticks.count - 1);
    client.query_range(expr, ticks.first, last, ticks.step).await.map(|s| (ticks, s))
}

/// One point per tick, `v` from the sample at that tick or null where there is none.
pub fn dense_points(ticks: &Ticks, samples: &[(i64, f64)]) -> Vec<Point> {
    let mut points: Vec<Point> = ticks.iter().map(|t| Point { t, v: None }).collect();
    for &(t, v) in samples {
        if let Some(i) = ticks.index_of(t) {
            points[i].v = Some(v);
        }
    }
    points
}

/// The graphed series as dense points (summed across series), its value at the last tick, or the error.
fn headline_parts(result: Result<(Ticks, Vec<RangeSeries>), PromError>, last_tick: i64) -> (Option<f64>, Vec<codexflow_core::api::Point>, Option<String>) {
    match result {
        Err(e) => (None, Vec::new(), Some(e.to_string())),
        Ok((ticks, series)) => {
            // Summed across series: a headline query that is not aggregated still gives one number.
            let mut points = dense_points(&ticks, &[]);
            for s in &series {
                for (total, p) in points.iter_mut().zip(dense_points(&ticks, &s.samples)) {
                    if let Some(v) = p.v {
                        total.v = Some(total.v.unwrap_or(0.0) + v);
                    }
                }
            }
            let value = points.last().filter(|p| p.t == last_tick).and_then(|p| p.v);
            (value, points, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    #[test]
    fn plan_rejects_bad_windows_with_the_field() {
        let req = |from, to, interval_ms| EvaluateRequest { from, to, interval_ms };
        assert_eq!(plan(&req(10, 5, None), M).unwrap_err().field, "from");
        assert_eq!(plan(&req(0, 5, Some(10)), M).unwrap_err().field, "intervalMs");
        assert_eq!(plan(&req(-5, 5, None), M).unwrap_err().field, "from");
        assert_eq!(plan(&req(0, 30 * 86_400_000, Some(15_000)), M).unwrap_err().field, "to");
        let (interval, ticks) = plan(&req(M + 1, 10 * M, None), M).unwrap();
        assert_eq!((interval, ticks.first, ticks.count), (M, 2 * M, 9));
    }

    #[test]
    fn lookback_covers_for_and_keep_firing_for() {
        assert_eq!(lookback_ms(RuleTiming { hold_ms: 15 * M, keep_firing_for_ms: 5 * M }, M), 22 * M);
    }

    #[test]
    fn sparklines_end_on_the_last_tick() {
        let w = Ticks { first: 0, step: M, count: 1440 };
        let s = sparkline_ticks(&w, w.at(1439));
        assert_eq!(s.at(s.count - 1), w.at(1439));
        assert!(s.count <= SPARKLINE_POINTS && s.first >= 0 && s.step % M == 0);
        let empty = sparkline_ticks(&Ticks { first: 0, step: M, count: 0 }, 5 * M);
        assert_eq!((empty.first, empty.count), (5 * M, 1));
    }

    fn rule(yaml_rule: &str) -> Rule {
        crate::rules::RuleSet::parse(&format!("groups:\n- name: g\n  rules:\n{yaml_rule}")).unwrap().rules.remove(0)
    }

    fn series(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> RangeSeries {
        RangeSeries {
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            samples: samples.to_vec(),
        }
    }

    #[test]
    fn one_alert_per_label_set_with_lookback_trimmed() {
        let r = rule("  - alert: Lag\n    expr: lag > 10\n    for: 2m\n    labels: {stage: kafka, severity: critical}\n");
        let eval = Ticks { first: 0, step: M, count: 6 };
        let window = Ticks { first: 2 * M, step: M, count: 4 };
        let a = series(&[("__name__", "lag"), ("topic", "a")], &[(0, 11.0), (M, 12.0), (2 * M, 13.0), (3 * M, 14.0)]);
        let b = series(&[("topic", "b")], &[(4 * M, 20.0)]);
        let got = alerts_of(&r, &[a, b], eval, &window);
        assert_eq!(got.len(), 2);
        let states: Vec<_> = got[0].timeline.iter().map(|p| p.state).collect();
        assert_eq!(states, [AlertState::Firing, AlertState::Firing, AlertState::Inactive, AlertState::Inactive]);
        assert_eq!(got[0].labels.get("topic"), Some("a"));
        assert_eq!(got[0].labels.get("alertname"), Some("Lag"));
        assert_eq!(got[0].labels.get("__name__"), None);
        assert_eq!(got[0].timeline[0].active_at, Some(0));
        assert_eq!(got[1].timeline[2].state, AlertState::Pending);
        assert_eq!(got[1].timeline[2].value, Some(20.0));
        assert_eq!(got[1].timeline[3].state, AlertState::Inactive);
    }

    #[test]
    fn a_quiet_rule_still_has_one_inactive_timeline() {
        let r = rule("  - alert: Quiet\n    expr: x > 1\n    labels: {stage: kafka}\n");
        let eval = Ticks { first: 0, step: M, count: 3 };
        let got = alerts_of(&r, &[], eval, &eval);
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
        let a = series(&[("__name__", "a")], &[(0, 1.0), (M, 1.0), (2 * M, 1.0)]);
        let b = series(&[("__name__", "b")], &[(M, 1.0)]);
        let got = alerts_of(&r, &[a, b], eval, &eval);
        assert_eq!(got.len(), 1);
        let states: Vec<_> = got[0].timeline.iter().map(|p| p.state).collect();
        assert_eq!(states, [AlertState::Pending, AlertState::Pending, AlertState::Firing]);
    }
}
