//! The answer of `v1/evaluate`, put together from what the upstream said: alerts per rule, which
//! rules can never fire for missing series, each stage's status now and at every tick with the
//! line that explains it, and the headline and edge series. Pure: no I/O, tested on hand-made
//! [`Fetched`] values.

use std::collections::HashMap;

use codexflow_core::api::{
    AlertTimeline, EdgeHealth, EvaluateRequest, EvaluateResponse, Headline, Point, RuleSummary, StageHealth,
    TimelinePoint,
};
use codexflow_core::compact::Encoding;
use codexflow_core::pipeline::StageSpec;
use codexflow_core::reason::{alert_contribution, stage_reason, UtcClock};
use codexflow_core::status::{fold_alert_into, raise_to, StageStatus};
use codexflow_core::{AlertState, Ticks};

use super::alerts::{alerts_of, errored};
use super::fetch::{Fetched, RuleSeries};
use super::overlay;
use super::plan::Plan;
use super::queue;
use super::silences;
use crate::budget::Budget;
use crate::prom::PromError;
use crate::rules_in_force::InForce;
use crate::series::{summed_points_at, Labels, RangeSeries};
use crate::settings::Settings;

pub fn assemble(
    settings: &Settings,
    rules: &InForce,
    req: &EvaluateRequest,
    plan: &Plan,
    fetched: Fetched,
    budget: &Budget,
) -> EvaluateResponse {
    let summaries: Vec<RuleSummary> = rules.set.summaries();
    let mut alerts =
        rule_alerts(rules, &summaries, plan, fetched.presence.as_deref().ok(), fetched.rules, fetched.ruler, budget);
    let alertmanager = silences::annotate(&mut alerts, settings.alertmanager_url.as_deref(), fetched.alertmanager);
    let series: Vec<_> = settings
        .pipeline
        .stages
        .iter()
        .zip(&fetched.queues)
        .map(|(spec, fetched_queue)| {
            spec.queue
                .as_ref()
                .zip(fetched_queue.as_ref())
                .map(|(q, f)| queue::series(q, f, &fetched.headlines, &rules.set, settings.queue_window_ms))
        })
        .collect();
    let insights: Vec<_> = series.iter().map(|s| s.as_ref().map(|s| s.now(plan))).collect();
    let stages: Vec<StageHealth> = settings
        .pipeline
        .stages
        .iter()
        .zip(fetched.headlines)
        .zip(insights)
        .map(|((spec, headline), queue)| StageHealth {
            queue,
            ..stage_health(spec, &alerts, &summaries, plan, headline)
        })
        .collect();
    let now = crate::moment::now(&stages);
    let freshness = crate::freshness::freshness(&settings.pipeline, &now);
    let bottleneck = crate::bottleneck::bottleneck(&settings.pipeline, &now);
    let edges = settings
        .pipeline
        .edges
        .iter()
        .zip(fetched.edges)
        .map(|(spec, result)| {
            let (rate, series, error) = graph_parts(plan, result);
            EdgeHealth {
                from: spec.from.clone(),
                to: spec.to.clone(),
                label: spec.label.clone(),
                rate,
                unit: spec.unit.clone(),
                series,
                series_values: None,
                error,
            }
        })
        .collect();
    let history =
        queue::tick_by_tick(plan, &settings.pipeline).then(|| super::history::insights(&series, &plan.window));
    let mut answer = EvaluateResponse {
        from: req.from,
        to: req.to,
        interval_ms: plan.interval,
        ticks: plan.window.iter().collect(),
        stages,
        edges,
        source: rules.note.clone(),
        groups: rules.set.group_summaries(plan.interval),
        rules: summaries,
        alerts,
        alertmanager,
        encoding: Encoding::PerTick,
        spark: None,
        freshness,
        bottleneck,
        bottleneck_runs: Vec::new(),
    };
    if let Some(insights) = history {
        super::history::fill(&mut answer, &settings.pipeline, &insights);
    }
    super::history::end_with_now(&mut answer);
    answer
}

/// Every rule's alerts, marked `nodata` where the rule's inputs do not exist, with the ruler's view
/// where it runs the rule, each with its reason now.
fn rule_alerts(
    rules: &InForce,
    summaries: &[RuleSummary],
    plan: &Plan,
    presence: Option<&[Labels]>,
    results: Vec<Result<RuleSeries, PromError>>,
    ruler: Vec<Option<Result<Vec<RangeSeries>, PromError>>>,
    budget: &Budget,
) -> Vec<AlertTimeline> {
    // If the existence check itself failed, every selector gets the benefit of the doubt: the
    // rules' own queries report the failure.
    let present: HashMap<&str, bool> = presence.map_or_else(HashMap::new, |series| {
        rules.set.rules.iter().filter_map(|r| r.query.as_ref().ok()).flat_map(|q| q.selectors_present(series)).collect()
    });
    let is_present = |s: &str| present.get(s).copied().unwrap_or(true);
    let mut alerts = Vec::new();
    let mut ruler = ruler.into_iter();
    for (index, (rule, result)) in rules.set.rules.iter().zip(results).enumerate() {
        let group = plan.groups.get(rule.group).and_then(|g| g.as_ref().ok());
        let window = group.map_or(Ticks { first: plan.last_tick, step: plan.interval, count: 0 }, |g| g.window);
        let last_tick = group.map_or(plan.last_tick, |g| g.last_tick);
        let missing: Option<Vec<String>> = rule
            .query
            .as_ref()
            .ok()
            .filter(|q| !q.can_have_data(&is_present))
            .map(|q| q.selectors.iter().filter(|s| !is_present(s)).cloned().collect());
        let evaluated = result
            .map_err(|e| e.to_string())
            .and_then(|rs| alerts_of(rule, index, &rs.series, rs.eval, &window, budget));
        let first_of_rule = alerts.len();
        match evaluated {
            Ok(evaluated) => alerts.extend(evaluated.into_iter().map(|mut a| {
                if let Some(missing) = &missing {
                    a.nodata = true;
                    a.missing_series = missing.clone();
                }
                a
            })),
            Err(e) => alerts.push(errored(rule, index, e, last_tick)),
        }
        if let (Some(Some(Ok(series))), Some(deployed)) = (ruler.next(), rules.deployed.get(&index)) {
            let mut of_rule: Vec<AlertTimeline> = alerts.split_off(first_of_rule);
            overlay::apply(&mut of_rule, index, rule, &deployed.label_keys, &series, &window);
            alerts.extend(of_rule);
        }
    }
    for a in &mut alerts {
        a.reason = summaries.get(a.rule).and_then(|rule| alert_contribution(rule, a, None, &UtcClock).1);
    }
    alerts
}

/// An alert's state at each of `ticks`: that of its latest tick at or before (inactive before its
/// first), so groups ticking at other intervals and phases fold into the stage's timeline.
fn states_on(timeline: &[TimelinePoint], ticks: &Ticks) -> Vec<AlertState> {
    let mut out = Vec::with_capacity(ticks.count);
    let mut j = 0;
    let mut current = AlertState::Inactive;
    for t in ticks.iter() {
        while let Some(p) = timeline.get(j).filter(|p| p.t <= t) {
            current = p.state;
            j += 1;
        }
        out.push(current);
    }
    out
}

/// A stage: the worst of its alerts now and at every tick, the line of its worst contributor, its headline.
fn stage_health(
    spec: &StageSpec,
    alerts: &[AlertTimeline],
    summaries: &[RuleSummary],
    plan: &Plan,
    headline: Result<Vec<RangeSeries>, PromError>,
) -> StageHealth {
    let mut timeline = vec![StageStatus::Ok; plan.window.count];
    let mut missing_series: Vec<String> = Vec::new();
    let mut contributions = Vec::new();
    let mut held_back = Vec::new();
    for a in alerts.iter().filter(|a| a.stage.as_deref() == Some(spec.id.as_str())) {
        let Some(rule) = summaries.get(a.rule) else { continue };
        if a.error.is_some() || a.nodata {
            raise_to(&mut timeline, StageStatus::Nodata);
            for m in &a.missing_series {
                if !missing_series.contains(m) {
                    missing_series.push(m.clone());
                }
            }
        } else {
            fold_alert_into(&mut timeline, states_on(&a.timeline, &plan.window), &a.severity);
        }
        contributions.push(alert_contribution(rule, a, None, &UtcClock));
        held_back.push(a.held_back.is_some());
    }
    let status = contributions.iter().map(|(s, _)| *s).max().unwrap_or_default();
    // Someone is on it: every alert that makes the status is held back by the Alertmanager.
    let suppressed = status >= StageStatus::Warning
        && contributions.iter().zip(&held_back).filter(|((s, _), _)| *s == status).all(|(_, held)| *held);
    let (value, series, error) = graph_parts(plan, headline);
    StageHealth {
        id: spec.id.clone(),
        name: spec.name.clone(),
        status,
        reason: stage_reason(contributions),
        headline: Headline { label: spec.headline.label.clone(), unit: spec.headline.unit.clone(), value, error },
        series,
        status_timeline: timeline,
        status_runs: None,
        series_values: None,
        missing_series,
        queue: None,
        suppressed,
        bottleneck_runs: Vec::new(),
        age_timeline: Vec::new(),
    }
}

/// A graphed series as dense points (summed across series), its value at the last tick, or the error.
fn graph_parts(plan: &Plan, result: Result<Vec<RangeSeries>, PromError>) -> (Option<f64>, Vec<Point>, Option<String>) {
    match result {
        Err(e) => (None, Vec::new(), Some(e.to_string())),
        Ok(series) => {
            let points = summed_points_at(&plan.spark_instants(), &series);
            let value = points.last().filter(|p| p.t == plan.last_tick).and_then(|p| p.v);
            (value, points, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::plan::plan;
    use crate::rules_in_force::decide;
    use codexflow_core::reason::stage_reason_at;
    use serde_json::json;

    const M: i64 = 60_000;
    /// 2026-11-27 12:00 UTC.
    const T0: i64 = 1_795_737_600_000 + 12 * 3_600_000;

    /// Two rules on kafka (one critical), one on nats, and the default pipeline.
    fn settings() -> Settings {
        let rules = "groups:\n- name: g\n  rules:\n  - alert: LagHigh\n    expr: sum(lag) > 1000\n    for: 2m\n    labels: {stage: kafka, severity: warning}\n    annotations: {value_name: lag}\n  - alert: LagCritical\n    expr: sum(lag) > 5000\n    labels: {stage: kafka, severity: critical}\n  - alert: Pending\n    expr: sum(pending) > 10 and sum(rate(seq[5m])) > 0\n    labels: {stage: nats}\n";
        Settings::from_grafana(&json!({"prometheusUrl": "http://p", "rulesYaml": rules}), &Default::default()).unwrap()
    }

    /// The upstream's answers: `lag` per tick of the first rule (kept where over 1,000), the second
    /// rule quiet, the third failing; a headline for kafka; one failing edge.
    fn fetched(p: &Plan, lag: &[f64], presence: Vec<Labels>) -> Fetched {
        let lag_series = |eval: Ticks| {
            vec![RangeSeries::new(
                &[],
                &eval
                    .iter()
                    .zip(lag.iter().cycle())
                    .map(|(t, v)| (t, *v))
                    .filter(|(_, v)| *v > 1000.0)
                    .collect::<Vec<_>>(),
            )]
        };
        Fetched {
            presence: Ok(presence),
            rules: vec![
                Ok(RuleSeries { eval: ticks(p, 0), series: lag_series(ticks(p, 0)) }),
                Ok(RuleSeries { eval: ticks(p, 1), series: Vec::new() }),
                Err(PromError::Timeout { url: "http://p/api/v1/query_range".into(), timeout_ms: 1000 }),
            ],
            headlines: vec![
                Ok(vec![RangeSeries::new(&[], &[(p.last_tick, 1532.0)])]),
                Ok(Vec::new()),
                Ok(Vec::new()),
                Ok(Vec::new()),
            ],
            edges: vec![
                Ok(Vec::new()),
                Ok(Vec::new()),
                Err(PromError::Query { kind: "bad_data".into(), message: "no".into() }),
            ],
            ruler: vec![None, None, None],
            queues: vec![None; 4],
            alertmanager: None,
        }
    }

    /// The settings' rules, as in force when no ruler answers.
    fn in_force(s: &Settings) -> InForce {
        decide(s, Err(&"no ruler here".to_string()), T0)
    }

    fn assemble_with(s: &Settings, req: &EvaluateRequest, p: &Plan, f: Fetched) -> EvaluateResponse {
        assemble(s, &in_force(s), req, p, f, &Budget::default())
    }

    /// The ticks rule `i` is evaluated at.
    fn ticks(p: &Plan, i: usize) -> Ticks {
        *p.rules[i].as_ref().unwrap()
    }

    fn labels(name: &str) -> Labels {
        [("__name__".to_string(), name.to_string())].into()
    }

    #[test]
    fn stages_fold_their_alerts_and_the_worst_one_speaks() {
        let s = settings();
        let req = EvaluateRequest { from: T0, to: T0 + 9 * M, interval_ms: None, encoding: Default::default() };
        let p = plan(&req, M, &in_force(&s).set).unwrap();
        // Lag 1,532 from 12:05: pending at 12:05 and 12:06, firing from 12:07.
        let lag: Vec<f64> = ticks(&p, 0).iter().map(|t| if t >= T0 + 5 * M { 1532.0 } else { 0.0 }).collect();
        let answer =
            assemble_with(&s, &req, &p, fetched(&p, &lag, vec![labels("lag"), labels("pending"), labels("seq")]));

        let kafka = &answer.stages[0];
        assert_eq!(kafka.status, StageStatus::Warning);
        let mut expected = vec![StageStatus::Ok; 7];
        expected.extend([StageStatus::Warning; 3]);
        assert_eq!(kafka.status_timeline, expected);
        assert_eq!(kafka.reason.as_deref(), Some("lag 1,532 > 1,000 for 4m, since 12:05 UTC"));
        assert_eq!(kafka.headline.value, Some(1532.0));
        // The panel's time travel at the last tick writes the very same line.
        let last = answer.ticks.last().copied();
        assert_eq!(stage_reason_at(&answer.rules, &answer.alerts, Some("kafka"), last, &UtcClock), kafka.reason);
        assert_eq!(
            stage_reason_at(&answer.rules, &answer.alerts, Some("kafka"), Some(answer.ticks[5]), &UtcClock).as_deref(),
            Some("pending: lag 1,532 > 1,000 for 0s of 2m, since 12:05 UTC")
        );

        // A rule whose query failed makes its stage nodata with the error as the reason.
        let nats = &answer.stages[1];
        assert_eq!(nats.status, StageStatus::Nodata);
        assert!(nats.status_timeline.iter().all(|s| *s == StageStatus::Nodata));
        assert!(
            nats.reason
                .as_deref()
                .unwrap()
                .starts_with("Pending could not be evaluated: http://p/api/v1/query_range did not answer"),
            "{:?}",
            nats.reason
        );
        assert_eq!(answer.stages[2].status, StageStatus::Ok, "a stage without rules is ok");
        assert_eq!(answer.edges[2].error.as_deref(), Some("the upstream rejected the query (bad_data): no"));
        assert_eq!(answer.alerts.iter().map(|a| a.rule).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(answer.alerts[0].state, AlertState::Firing);
    }

    #[test]
    fn rules_whose_series_do_not_exist_are_nodata_and_say_which() {
        let s = settings();
        let req = EvaluateRequest { from: T0, to: T0 + 9 * M, interval_ms: None, encoding: Default::default() };
        let p = plan(&req, M, &in_force(&s).set).unwrap();
        let mut f = fetched(&p, &[0.0], vec![labels("pending")]);
        f.rules[2] = Ok(RuleSeries { eval: ticks(&p, 2), series: Vec::new() });
        let answer = assemble_with(&s, &req, &p, f);
        let lag_alerts: Vec<_> = answer.alerts.iter().filter(|a| a.rule < 2).collect();
        assert!(lag_alerts.iter().all(|a| a.nodata && a.missing_series == ["lag"]), "{lag_alerts:?}");
        let nats_alert = answer.alerts.iter().find(|a| a.rule == 2).unwrap();
        assert!(nats_alert.nodata, "`and` needs both sides");
        assert_eq!(nats_alert.missing_series, ["seq"]);
        assert_eq!(answer.stages[0].status, StageStatus::Nodata);
        assert_eq!(answer.stages[0].missing_series, ["lag"]);
        assert_eq!(answer.stages[0].reason.as_deref(), Some("no data: lag has no series, so LagHigh can never fire"));
        // The existence check failing gives every selector the benefit of the doubt.
        let mut f = fetched(&p, &[0.0], Vec::new());
        f.presence = Err(PromError::Timeout { url: "x".into(), timeout_ms: 1 });
        let answer = assemble_with(&s, &req, &p, f);
        assert!(answer.alerts.iter().all(|a| !a.nodata));
    }

    #[test]
    fn alerts_on_other_ticks_fold_in_by_time() {
        // A group ticking every 15 s at phase 5 s: its state at a one-minute tick is that of its
        // latest tick at or before it; before its first tick, inactive.
        let timeline: Vec<TimelinePoint> =
            [(65_000, AlertState::Pending), (80_000, AlertState::Firing), (125_000, AlertState::Inactive)]
                .iter()
                .map(|&(t, s)| TimelinePoint::new(t, s, None, None))
                .collect();
        let panel = Ticks { first: 0, step: M, count: 4 };
        assert_eq!(
            states_on(&timeline, &panel),
            [AlertState::Inactive, AlertState::Inactive, AlertState::Firing, AlertState::Inactive]
        );
    }

    #[test]
    fn the_answer_says_where_the_rules_came_from_and_each_groups_ticks() {
        let s = settings();
        let req = EvaluateRequest { from: T0, to: T0 + 9 * M, interval_ms: None, encoding: Default::default() };
        let f = in_force(&s);
        let p = plan(&req, M, &f.set).unwrap();
        let answer = assemble_with(&s, &req, &p, fetched(&p, &[0.0], vec![labels("lag")]));
        assert_eq!(answer.source.source, codexflow_core::api::RulesSource::Yaml);
        assert_eq!(answer.groups.len(), 1);
        assert_eq!((answer.groups[0].interval_ms, answer.groups[0].phase_ms), (M, 0));
        assert!(answer.rules.iter().all(|r| r.group == "g" && r.group_index == 0));
    }
}
