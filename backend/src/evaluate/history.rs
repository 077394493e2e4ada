//! The pipeline over the window: each backlog stage's queue insight read as of every tick (the
//! samples in the insight window up to the tick, as the insight now reads the window up to `to`),
//! and from those and the stages' statuses then, each stage's data age, the clients' freshness and
//! the bottleneck at every tick. One query per backlog and per position, over the window and the
//! insight window before it, at the insight's step (coarser when that would exceed
//! [`MAX_POINTS_PER_QUERY`]); windows and pipelines beyond [`MAX_HISTORY_TICKS`] and
//! [`MAX_HISTORY_STAGES`] are not read tick by tick.

use codexflow_core::api::EvaluateResponse;
use codexflow_core::bottleneck::{Bottleneck, BottleneckRun};
use codexflow_core::limits::{MAX_HISTORY_STAGES, MAX_HISTORY_TICKS, MAX_POINTS_PER_QUERY, QUEUE_STEPS};
use codexflow_core::pipeline::PipelineSpec;
use codexflow_core::queue::QueueInsight;
use codexflow_core::Ticks;

use super::plan::Plan;
use super::queue::{samples, threshold};
use crate::insight::{queue_insight, QueueInputs, Sample};
use crate::moment::StageAt;
use crate::rules::RuleSet;
use crate::upstream::{answer_at, Answer, Ask, Purpose};

/// The ticks the history queries read: from an insight window before the window's first tick to
/// its last, on the insight's step (at least a second, coarsened to stay within one query's
/// points), on absolute time so viewers share them. `None` when the window is not read tick by tick.
pub fn ticks(plan: &Plan, stages: usize, window_ms: i64) -> Option<Ticks> {
    let (first, last) = (plan.window.first, plan.window.last()?);
    if plan.window.count > MAX_HISTORY_TICKS || stages > MAX_HISTORY_STAGES || window_ms <= 0 {
        return None;
    }
    let start = first.checked_sub(window_ms)?;
    let span = last.checked_sub(start)?;
    let fine = (window_ms / QUEUE_STEPS).max(1_000);
    let step = fine.max(span / (MAX_POINTS_PER_QUERY - 1) + 1);
    let (from, to) = (start.div_euclid(step) * step, last.div_euclid(step) * step);
    Some(Ticks::between(from, to, step))
}

/// A backlog stage's history asks: the indices of its backlog's and its position's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageAsks {
    backlog: usize,
    position: Option<usize>,
}

/// The history's asks, pushed onto `asks`: per stage (`None` for one without a queue).
pub fn asks(pipeline: &PipelineSpec, ticks: Ticks, asks: &mut Vec<Ask>) -> Vec<Option<StageAsks>> {
    let mut push = |expr: &str, stage: usize| {
        asks.push(Ask::new(expr, ticks, Purpose::Queue(stage)));
        asks.len() - 1
    };
    pipeline
        .stages
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let queue = stage.queue.as_ref()?;
            let backlog = push(&queue.backlog, i);
            let position = (!queue.position.trim().is_empty()).then(|| push(&queue.position, i));
            Some(StageAsks { backlog, position })
        })
        .collect()
}

/// What the upstream said for the history: its ticks, and per stage its backlog and position.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryFetched {
    pub ticks: Ticks,
    pub stages: Vec<Option<(Answer, Option<Answer>)>>,
}

pub fn fetched(ticks: Ticks, stages: Vec<Option<StageAsks>>, answers: &[Answer]) -> HistoryFetched {
    let stages = stages
        .into_iter()
        .map(|s| s.map(|s| (answer_at(answers, s.backlog), s.position.map(|p| answer_at(answers, p)))))
        .collect();
    HistoryFetched { ticks, stages }
}

/// The samples of `all` (in time order) in `[t - window_ms, t]`, as the insight's own ticks read
/// the window up to `to`.
fn within(all: &[Sample], t: i64, window_ms: i64) -> &[Sample] {
    let start = all.partition_point(|s| s.0 < t.saturating_sub(window_ms));
    let end = all.partition_point(|s| s.0 <= t);
    all.get(start..end.max(start)).unwrap_or_default()
}

/// Each backlog stage's insight as of every tick of `window` (`[stage][tick]`, `None` for a stage
/// without a queue).
pub fn insights(
    pipeline: &PipelineSpec,
    fetched: &HistoryFetched,
    rules: &RuleSet,
    window: &Ticks,
    window_ms: i64,
) -> Vec<Option<Vec<QueueInsight>>> {
    pipeline
        .stages
        .iter()
        .zip(&fetched.stages)
        .map(|(spec, answers)| {
            let (queue, (backlog, position)) = spec.queue.as_ref().zip(answers.as_ref())?;
            let mut missing = Vec::new();
            let backlog =
                samples("the backlog", &queue.backlog, &fetched.ticks, backlog.as_deref()).unwrap_or_else(|why| {
                    missing.push(why);
                    Vec::new()
                });
            let position = match position {
                None => {
                    missing.push("the consumer's position: the pipeline names no query for it".to_string());
                    None
                }
                Some(p) => samples("the consumer's position", &queue.position, &fetched.ticks, p.as_deref())
                    .map_err(|why| missing.push(why))
                    .ok(),
            };
            let threshold = threshold(queue, rules).unwrap_or_else(|why| {
                missing.push(why);
                None
            });
            let at = |t: i64| {
                let inputs = QueueInputs {
                    backlog: within(&backlog, t, window_ms),
                    position: position.as_deref().map(|p| within(p, t, window_ms)),
                    position_is_counter: queue.position_is_counter,
                    threshold,
                    now: t,
                    window_ms,
                    step_ms: fetched.ticks.step,
                };
                queue_insight(&inputs, missing.clone())
            };
            Some(window.iter().map(at).collect())
        })
        .collect()
}

/// Fills `answer`'s series over the window from each stage's insights at its ticks: every backlog
/// stage's data age, the clients' freshness (`freshness.timeline`, `lines`), the bottleneck
/// (`bottleneckRuns`, and each stage's part in `stages[].bottleneckRuns`).
pub fn fill(answer: &mut EvaluateResponse, pipeline: &PipelineSpec, insights: &[Option<Vec<QueueInsight>>]) {
    let ticks = answer.ticks.clone();
    let n = answer.stages.len().min(insights.len());
    for (stage, insight) in answer.stages.iter_mut().zip(insights) {
        if let Some(per_tick) = insight {
            stage.age_timeline = per_tick.iter().map(|q| q.age_ms).collect();
        }
    }
    let mut runs: Vec<BottleneckRun> = Vec::new();
    let mut parts: Vec<Vec<(i64, bool, String)>> = vec![Vec::new(); n];
    for (i, &t) in ticks.iter().enumerate() {
        let states: Vec<StageAt> = answer.stages[..n]
            .iter()
            .zip(insights)
            .map(|(s, q)| StageAt {
                id: &s.id,
                name: &s.name,
                status: s.status_timeline.get(i).copied().unwrap_or_default(),
                queue: q.as_ref().and_then(|q| q.get(i)),
            })
            .collect();
        let freshness = crate::freshness::freshness(pipeline, &states);
        let bottleneck = crate::bottleneck::bottleneck(pipeline, &states);
        // One entry a tick; an estimate the pipeline cannot make (none now either) is empty.
        if let Some(now) = answer.freshness.as_mut() {
            let then = freshness.unwrap_or_default();
            now.timeline.push((then.age_ms, then.at_least));
            now.lines.push(then.line);
        }
        for (k, part) in parts.iter_mut().enumerate() {
            push_part(part, t, bottleneck.as_ref(), &answer.stages[k].id);
        }
        push_run(&mut runs, t, bottleneck);
    }
    for (stage, part) in answer.stages.iter_mut().zip(parts) {
        stage.bottleneck_runs = part;
    }
    answer.bottleneck_runs = runs;
}

/// Ends the bottleneck's runs with now (the response's `bottleneck`, from `to`), and drops the
/// runs of a stage that never plays a part.
pub fn end_with_now(answer: &mut EvaluateResponse) {
    let (to, now) = (answer.to, answer.bottleneck.clone());
    for stage in &mut answer.stages {
        push_part(&mut stage.bottleneck_runs, to, now.as_ref(), &stage.id);
        if stage.bottleneck_runs.iter().all(|(_, _, why)| why.is_empty()) {
            stage.bottleneck_runs = Vec::new();
        }
    }
    push_run(&mut answer.bottleneck_runs, to, now);
}

/// Stage `id`'s part in `bottleneck` from `t` on, pushed when it differs from the last.
fn push_part(runs: &mut Vec<(i64, bool, String)>, t: i64, bottleneck: Option<&Bottleneck>, id: &str) {
    let (cause, why) = bottleneck.and_then(|b| b.part_of(id)).unwrap_or_default();
    if runs.last().is_none_or(|(_, c, w)| (*c, w.as_str()) != (cause, why)) {
        runs.push((t, cause, why.to_string()));
    }
}

fn push_run(runs: &mut Vec<BottleneckRun>, from: i64, bottleneck: Option<Bottleneck>) {
    if runs.last().is_none_or(|r| r.bottleneck != bottleneck) {
        runs.push(BottleneckRun { from, bottleneck });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::plan::plan;
    use crate::series::RangeSeries;
    use codexflow_core::api::{EvaluateRequest, Freshness};
    use codexflow_core::bottleneck::BottleneckKind;
    use codexflow_core::StageStatus;

    const S: i64 = 1_000;
    const M: i64 = 60_000;
    const DAY: i64 = 100 * 86_400_000;

    fn plan_of(minutes: i64) -> Plan {
        let req = EvaluateRequest { from: DAY, to: DAY + minutes * M, interval_ms: None, encoding: Default::default() };
        plan(&req, M, &RuleSet::default()).unwrap()
    }

    #[test]
    fn the_window_and_the_insight_window_before_it_on_one_grid_within_bounds() {
        // Half an hour at 1m with a 10m insight window: 15 s steps from 10 minutes before it.
        let t = ticks(&plan_of(30), 4, 10 * M).unwrap();
        assert_eq!((t.first, t.step, t.last()), (DAY - 10 * M, 15 * S, Some(DAY + 30 * M)));
        // A 10 s window over 1,999 minutes: 1 s steps would be 120,000 points, so coarser.
        let long = ticks(&plan_of(1_999), 4, 10 * S).unwrap();
        assert!(long.count as i64 <= MAX_POINTS_PER_QUERY && long.step > S, "{long:?}");
        // Too many ticks, too many stages: not read tick by tick.
        assert_eq!(ticks(&plan_of(2_000), 4, 10 * M), None);
        assert_eq!(ticks(&plan_of(30), MAX_HISTORY_STAGES + 1, 10 * M), None);
    }

    #[test]
    fn samples_within_the_insight_window_up_to_a_tick() {
        let all: Vec<Sample> = (0..10).map(|i| (i * 10, i as f64)).collect();
        assert_eq!(within(&all, 50, 20), &all[3..6]);
        assert_eq!(within(&all, 55, 20), &all[4..6]);
        assert_eq!(within(&all, -5, 20), &[] as &[Sample]);
        assert_eq!(within(&all, i64::MIN, i64::MAX), &[] as &[Sample]);
    }

    /// The Kafka consumer keeps up for 12 minutes, then stops while 10 messages a second still
    /// arrive; NATS and Jangar keep up throughout.
    #[test]
    fn the_age_freshness_and_bottleneck_at_every_tick() {
        let pipeline = crate::defaults::pipeline();
        let p = plan_of(30);
        let window_ms = 10 * M;
        let t = ticks(&p, 4, window_ms).unwrap();
        let series =
            |f: &dyn Fn(i64) -> f64| vec![RangeSeries::new(&[], &t.iter().map(|x| (x, f(x))).collect::<Vec<_>>())];
        let secs = |x: i64| ((x - (DAY - 10 * M)) / S) as f64;
        let stop = DAY + 12 * M;
        let position = |x: i64| 10.0 * secs(x.min(stop));
        let backlog = |x: i64| 10.0 * secs(x) - position(x);
        let kafka = (Ok(series(&backlog)), Some(Ok(series(&position))));
        let healthy = || (Ok(series(&|_| 0.0)), Some(Ok(series(&|x| secs(x)))));
        let fetched = HistoryFetched { ticks: t, stages: vec![Some(kafka), Some(healthy()), Some(healthy()), None] };
        let insights = insights(&pipeline, &fetched, &RuleSet::default(), &p.window, window_ms);
        let mut answer = crate::datasource::frames::tests::answer(
            pipeline
                .stages
                .iter()
                .map(|s| {
                    let mut h = crate::datasource::frames::tests::stage(&s.id, &vec![StageStatus::Ok; p.window.count]);
                    h.name = s.name.clone();
                    h
                })
                .collect(),
        );
        answer.ticks = p.window.iter().collect();
        answer.freshness = Some(Freshness::default());
        fill(&mut answer, &pipeline, &insights);
        // Now (at `to`, the last tick here) is the last tick's bottleneck.
        answer.to = p.window.last().unwrap();
        answer.bottleneck = answer.bottleneck_runs.last().and_then(|r| r.bottleneck.clone());
        end_with_now(&mut answer);
        let at = |minute: i64| (minute * M / p.interval) as usize;
        let ages = &answer.stages[0].age_timeline;
        assert_eq!(ages.len(), p.window.count);
        // Caught up, then as old as the time since the stop, then older than the window.
        assert_eq!((ages[at(10)], ages[at(20)], ages[at(30)]), (Some(0), Some(8 * M), Some(10 * M)));
        let f = answer.freshness.as_ref().unwrap();
        assert_eq!((f.timeline.len(), f.lines.len()), (p.window.count, p.window.count));
        assert_eq!(f.timeline[at(20)], (Some(8 * M), false));
        assert_eq!(f.lines[at(20)], "Clients' data ≈ 8m old");
        assert_eq!(f.timeline[at(30)], (Some(10 * M), true));
        // No bottleneck while it keeps up; Kafka from the first tick its backlog grows.
        let runs = &answer.bottleneck_runs;
        assert_eq!((runs[0].from, runs[0].bottleneck.as_ref()), (DAY, None), "{runs:?}");
        let kafka_from = runs.iter().find(|r| r.bottleneck.as_ref().is_some_and(|b| b.stage == "kafka")).unwrap().from;
        assert_eq!(kafka_from, DAY + 13 * M, "the first tick after the stop");
        let last = runs.last().unwrap().bottleneck.as_ref().unwrap();
        assert_eq!((last.stage.as_str(), last.kind), ("kafka", BottleneckKind::Stuck));
        // Kafka's own runs say its part; the others play none.
        let part = &answer.stages[0].bottleneck_runs;
        assert_eq!(part.first().map(|r| (r.0, r.1, r.2.is_empty())), Some((DAY, false, true)));
        assert_eq!(part.last().map(|r| (r.1, r.2.as_str())), Some((true, last.why.as_str())));
        assert!(answer.stages[1..].iter().all(|s| s.bottleneck_runs.is_empty()));
    }
}
