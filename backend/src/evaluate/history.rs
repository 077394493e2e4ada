//! The pipeline over the range, tick by tick: each backlog stage's queue insight read as of every
//! tick (the insight window up to it, from the same series the insight now reads,
//! `super::queue`), and from those and the stages' statuses then, each stage's data age, the
//! clients' freshness and the bottleneck at every tick. Ranges of more than [`MAX_HISTORY_TICKS`]
//! ticks and pipelines of more than [`MAX_HISTORY_STAGES`] stages are not read tick by tick, nor a
//! stage whose insight series do not reach over the range (an own query of more than
//! `MAX_POINTS_PER_QUERY` points).
//!
//! [`MAX_HISTORY_TICKS`]: codexflow_core::limits::MAX_HISTORY_TICKS
//! [`MAX_HISTORY_STAGES`]: codexflow_core::limits::MAX_HISTORY_STAGES

use codexflow_core::api::EvaluateResponse;
use codexflow_core::bottleneck::{Bottleneck, BottleneckRun};
use codexflow_core::pipeline::PipelineSpec;
use codexflow_core::queue::QueueInsight;
use codexflow_core::Ticks;

use super::queue::QueueSeries;
use crate::moment::StageAt;

/// Each backlog stage's insight as of every tick of `window` (`[stage][tick]`; `None` for a stage
/// without a queue, or whose series do not reach over the range).
pub fn insights(series: &[Option<QueueSeries>], window: &Ticks) -> Vec<Option<Vec<QueueInsight>>> {
    series
        .iter()
        .map(|s| {
            let s = s.as_ref().filter(|s| s.covers(window))?;
            Some(window.iter().map(|t| s.at(t)).collect())
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

/// Stage `id`'s part in `bottleneck` from `t` on, pushed when it differs from the last (a run
/// from the same instant, now at the last tick, is replaced).
fn push_part(runs: &mut Vec<(i64, bool, String)>, t: i64, bottleneck: Option<&Bottleneck>, id: &str) {
    let (cause, why) = bottleneck.and_then(|b| b.part_of(id)).unwrap_or_default();
    match runs.last_mut() {
        Some((_, c, w)) if (*c, w.as_str()) == (cause, why) => {}
        Some((from, c, w)) if *from == t => (*c, *w) = (cause, why.to_string()),
        _ => runs.push((t, cause, why.to_string())),
    }
}

/// The bottleneck from `from` on, pushed as `push_part` pushes a stage's part.
fn push_run(runs: &mut Vec<BottleneckRun>, from: i64, bottleneck: Option<Bottleneck>) {
    match runs.last_mut() {
        Some(r) if r.bottleneck == bottleneck => {}
        Some(r) if r.from == from => r.bottleneck = bottleneck,
        _ => runs.push(BottleneckRun { from, bottleneck }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::plan::{plan, Plan};
    use crate::evaluate::queue::{own_ticks, series, QueueFetched};
    use crate::rules::RuleSet;
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

    /// The Kafka consumer keeps up for 12 minutes, then stops while 10 messages a second still
    /// arrive; NATS and Jangar keep up throughout.
    #[test]
    fn the_age_freshness_and_bottleneck_at_every_tick() {
        let pipeline = crate::defaults::pipeline();
        let p = plan_of(30);
        let window_ms = 10 * M;
        let t = own_ticks(&p, window_ms, true);
        assert_eq!((t.first, t.last()), (DAY - window_ms, Some(DAY + 30 * M)), "the range and a window before it");
        let series_of = |f: &dyn Fn(i64) -> f64| {
            Some(Ok(vec![RangeSeries::new(&[], &t.iter().map(|x| (x, f(x))).collect::<Vec<_>>())]))
        };
        let secs = |x: i64| ((x - (DAY - 10 * M)) / S) as f64;
        let stop = DAY + 12 * M;
        let position = |x: i64| 10.0 * secs(x.min(stop));
        let backlog = |x: i64| 10.0 * secs(x) - position(x);
        let fetched = |b: &dyn Fn(i64) -> f64, p: &dyn Fn(i64) -> f64| QueueFetched {
            ticks: t,
            backlog: series_of(b),
            from_headline: None,
            position: series_of(p),
        };
        let fetched = [fetched(&backlog, &position), fetched(&|_| 0.0, &secs), fetched(&|_| 0.0, &secs)];
        let rules = RuleSet::default();
        let stage_series: Vec<_> = pipeline
            .stages
            .iter()
            .zip(fetched.iter().map(Some).chain([None]))
            .map(|(spec, f)| Some(series(spec.queue.as_ref()?, f?, &[], &rules, window_ms)))
            .collect();
        let insights = insights(&stage_series, &p.window);
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
        // Series that reach only the last window are not read tick by tick.
        let short = QueueFetched { ticks: own_ticks(&p, window_ms, false), ..fetched[0].clone() };
        let only_now = series(pipeline.stages[0].queue.as_ref().unwrap(), &short, &[], &rules, window_ms);
        assert_eq!(super::insights(&[Some(only_now)], &p.window), [None]);
    }
}
