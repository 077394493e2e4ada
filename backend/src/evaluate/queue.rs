//! Queue insight inside an evaluation: which series a backlog stage's insight reads (a query of its
//! own, or a headline's sparkline when that is the same expression and fine enough), and the
//! insight itself from what the upstream answered. The numbers come from the pure
//! [`crate::insight`]; this module only gathers its inputs and names what is missing.

use codexflow_core::api::Point;
use codexflow_core::limits::{QUEUE_MIN_SPARK_POINTS, QUEUE_STEPS};
use codexflow_core::pipeline::{PipelineSpec, QueueSpec};
use codexflow_core::queue::QueueInsight;
use codexflow_core::Ticks;

use super::plan::Plan;

use crate::insight::{queue_insight, QueueInputs, Sample};
use crate::prom::PromError;
use crate::rules::RuleSet;
use crate::series::{summed_points, RangeSeries};
use crate::upstream::{answer_at, Answer, Ask, Purpose};

/// What the upstream said for one stage's insight.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueFetched {
    /// The insight's ticks.
    pub ticks: Ticks,
    /// The backlog over them; `None`: read from the headline of stage `from_headline`.
    pub backlog: Option<Result<Vec<RangeSeries>, PromError>>,
    pub from_headline: Option<usize>,
    /// The consumer's position; `None`: the spec names none.
    pub position: Option<Result<Vec<RangeSeries>, PromError>>,
}

/// The insight's own ticks: `window_ms` up to the request's `to` (on the step's grid, so viewers
/// share the queries), in [`QUEUE_STEPS`] steps of at least a second. Insight is about now: it
/// ends at `to`, not at the last evaluation tick, which may be an interval older.
fn own_ticks(plan: &Plan, window_ms: i64) -> Ticks {
    let step = (window_ms / QUEUE_STEPS).max(1_000);
    let count = window_ms / step + 1;
    let end = plan.to.div_euclid(step) * step;
    Ticks { first: end.saturating_sub((count - 1) * step), step, count: count as usize }
}

/// The sparkline's ticks within the window, when the sparkline ends at `to` itself and has enough
/// points in the window to read a trend from.
fn spark_ticks(plan: &Plan, window_ms: i64) -> Option<Ticks> {
    let (spark, start) = (plan.spark, plan.last_tick.saturating_sub(window_ms));
    if plan.last_tick != plan.to
        || spark.step <= 0
        || spark.last() != Some(plan.last_tick)
        || spark.first > start
        || spark.step > window_ms / QUEUE_MIN_SPARK_POINTS
    {
        return None;
    }
    let skipped = ((start - spark.first) as u64).div_ceil(spark.step as u64) as i64;
    let first = spark.first + skipped * spark.step;
    Some(Ticks { first, step: spark.step, count: ((plan.last_tick - first) / spark.step + 1) as usize })
}

/// The ticks a stage's insight reads, and the stage whose headline is its backlog, if any (a
/// backlog may be another stage's headline: Jangar's is the NATS consumer's pending count).
fn source(queue: &QueueSpec, pipeline: &PipelineSpec, plan: &Plan, window_ms: i64) -> (Ticks, Option<usize>) {
    let headline = pipeline.stages.iter().position(|s| s.headline.expr.trim() == queue.backlog.trim());
    match (spark_ticks(plan, window_ms), headline) {
        (Some(spark), Some(i)) => (spark, Some(i)),
        _ => (own_ticks(plan, window_ms), None),
    }
}

/// A backlog stage's asks: its insight's ticks, the stage whose headline is its backlog, and the
/// indices of its asks among an evaluation's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueAsks {
    ticks: Ticks,
    from_headline: Option<usize>,
    backlog: Option<usize>,
    position: Option<usize>,
}

/// Every backlog stage's insight asks, pushed onto `asks` (`None` for a stage without a queue).
pub fn asks(pipeline: &PipelineSpec, plan: &Plan, window_ms: i64, asks: &mut Vec<Ask>) -> Vec<Option<QueueAsks>> {
    let mut push = |expr: &str, ticks: Ticks, stage: usize| {
        asks.push(Ask::new(expr, ticks, Purpose::Queue(stage)));
        asks.len() - 1
    };
    pipeline
        .stages
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let queue = stage.queue.as_ref()?;
            let (ticks, from_headline) = source(queue, pipeline, plan, window_ms);
            let backlog = from_headline.is_none().then(|| push(&queue.backlog, ticks, i));
            let position = (!queue.position.trim().is_empty()).then(|| push(&queue.position, ticks, i));
            Some(QueueAsks { ticks, from_headline, backlog, position })
        })
        .collect()
}

/// What the upstream said for each stage's insight, from the answers to its asks.
pub fn fetched(queues: Vec<Option<QueueAsks>>, answers: &[Answer]) -> Vec<Option<QueueFetched>> {
    let answer = |i: Option<usize>| i.map(|i| answer_at(answers, i));
    queues
        .into_iter()
        .map(|q| {
            let q = q?;
            Some(QueueFetched {
                ticks: q.ticks,
                backlog: answer(q.backlog),
                from_headline: q.from_headline,
                position: answer(q.position),
            })
        })
        .collect()
}

/// Samples summed across series on `ticks`, or why there are none.
pub(super) fn samples(
    what: &str,
    expr: &str,
    ticks: &Ticks,
    result: Result<&[RangeSeries], &PromError>,
) -> Result<Vec<Sample>, String> {
    let series = result.map_err(|e| format!("{what}: {e}"))?;
    let out: Vec<Sample> =
        summed_points(ticks, series).into_iter().filter_map(|Point { t, v }| v.map(|v| (t, v))).collect();
    if out.is_empty() {
        return Err(format!("{what}: no samples of {expr} in the window"));
    }
    Ok(out)
}

/// The threshold of the alert the queue names: `N` of its `X > N` (or `>=`).
pub(super) fn threshold(queue: &QueueSpec, rules: &RuleSet) -> Result<Option<f64>, String> {
    if queue.alert.is_empty() {
        return Ok(None);
    }
    let rule = rules
        .rules
        .iter()
        .find(|r| r.name == queue.alert)
        .ok_or_else(|| format!("the threshold: alert {} is not among the rules in force", queue.alert))?;
    match rule.query.as_ref().ok().and_then(|q| q.threshold()) {
        Some((op, n)) if (op == ">" || op == ">=") && n.is_finite() => Ok(Some(n)),
        _ => Err(format!("the threshold: alert {} is not of the form `X > N`", queue.alert)),
    }
}

/// The stage's insight at the plan's last tick. `headlines` are every stage's headline answers,
/// one of which may be the backlog.
pub fn insight(
    queue: &QueueSpec,
    fetched: &QueueFetched,
    headlines: &[Result<Vec<RangeSeries>, PromError>],
    rules: &RuleSet,
    plan: &Plan,
) -> QueueInsight {
    let mut missing = Vec::new();
    let ticks = &fetched.ticks;
    let no_headline = PromError::Limit("the headline it reads was not fetched".to_string());
    let backlog_result = match (&fetched.backlog, fetched.from_headline.and_then(|i| headlines.get(i))) {
        (Some(own), _) => own.as_deref(),
        (None, Some(headline)) => headline.as_deref(),
        (None, None) => Err(&no_headline),
    };
    let backlog = samples("the backlog", &queue.backlog, ticks, backlog_result).unwrap_or_else(|why| {
        missing.push(why);
        Vec::new()
    });
    let position = match &fetched.position {
        None => {
            missing.push("the consumer's position: the pipeline names no query for it".to_string());
            None
        }
        Some(result) => samples("the consumer's position", &queue.position, ticks, result.as_deref())
            .map_err(|why| missing.push(why))
            .ok(),
    };
    let threshold = threshold(queue, rules).unwrap_or_else(|why| {
        missing.push(why);
        None
    });
    let inputs = QueueInputs {
        backlog: &backlog,
        position: position.as_deref(),
        position_is_counter: queue.position_is_counter,
        threshold,
        now: ticks.last().unwrap_or(plan.to),
        window_ms: ticks.last().map_or(0, |l| l - ticks.first),
        step_ms: ticks.step,
    };
    queue_insight(&inputs, missing).worded()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::plan::plan;
    use codexflow_core::api::EvaluateRequest;
    use codexflow_core::pipeline::StageSpec;
    use codexflow_core::queue::{ConsumerStatus, Trend};

    const M: i64 = 60_000;
    const DAY: i64 = 100 * 86_400_000;

    fn stage(backlog: &str, position: &str, alert: &str) -> StageSpec {
        // The kafka stage with another queue.
        let mut s = crate::defaults::pipeline().stages[0].clone();
        s.queue = Some(QueueSpec {
            backlog: backlog.into(),
            position: position.into(),
            position_is_counter: false,
            alert: alert.into(),
        });
        s
    }

    fn rules() -> RuleSet {
        RuleSet::parse("groups:\n- name: g\n  rules:\n  - alert: LagHigh\n    expr: sum(lag) > 1000\n  - alert: Odd\n    expr: sum(lag) < 5\n").unwrap()
    }

    fn linear(ticks: &Ticks, f: impl Fn(i64) -> f64) -> Vec<RangeSeries> {
        vec![RangeSeries::new(&[], &ticks.iter().map(|t| (t, f((t - ticks.first) / 1000))).collect::<Vec<_>>())]
    }

    fn plan_of(minutes: i64) -> Plan {
        plan(
            &EvaluateRequest { from: DAY, to: DAY + minutes * M, interval_ms: None, encoding: Default::default() },
            M,
            &RuleSet::default(),
        )
        .unwrap()
    }

    #[test]
    fn the_window_is_read_from_the_sparkline_when_it_is_fine_enough() {
        // An hour at 1m: the sparkline's last eleven points; its own ticks are 15 s apart.
        let hour = plan_of(60);
        let spark = spark_ticks(&hour, 10 * M).unwrap();
        assert_eq!((spark.first, spark.step, spark.count, spark.last()), (DAY + 50 * M, M, 11, Some(DAY + 60 * M)));
        let own = own_ticks(&hour, 10 * M);
        assert_eq!((own.first, own.step, own.count, own.last()), (DAY + 50 * M, 15_000, 41, Some(DAY + 60 * M)));
        // A day at 1m has a sparkline point every 6m: too coarse. Five minutes do not cover the window.
        assert!(spark_ticks(&plan_of(1440), 10 * M).is_none());
        assert!(spark_ticks(&plan_of(5), 10 * M).is_none());
        // A 30 s window: 1 s steps, never closer.
        let short = own_ticks(&hour, 30_000);
        assert_eq!((short.step, short.count), (1_000, 31));
        assert!(spark_ticks(&hour, 30_000).is_none());
        // `to` between ticks (a live dashboard): the insight ends at `to`, on its own grid.
        let live = plan(
            &EvaluateRequest { from: DAY, to: DAY + 60 * M + 37_500, interval_ms: None, encoding: Default::default() },
            M,
            &RuleSet::default(),
        )
        .unwrap();
        assert!(spark_ticks(&live, 10 * M).is_none(), "the sparkline ends 37.5 s earlier");
        assert_eq!(own_ticks(&live, 10 * M).last(), Some(DAY + 60 * M + 30_000));
    }

    #[test]
    fn a_backlog_that_is_a_headline_is_read_from_the_sparkline() {
        let p = plan_of(60);
        let pipeline = crate::defaults::pipeline();
        let same = stage(&pipeline.stages[1].headline.expr, "sum(offset)", "LagHigh");
        let spark = spark_ticks(&p, 10 * M).unwrap();
        assert_eq!(source(same.queue.as_ref().unwrap(), &pipeline, &p, 10 * M), (spark, Some(1)));
        let other = stage("sum(other)", "", "");
        assert_eq!(source(other.queue.as_ref().unwrap(), &pipeline, &p, 10 * M), (own_ticks(&p, 10 * M), None));
        // The headline grows 2/s over the hour; the position moves 10/s.
        let fetched = QueueFetched {
            ticks: spark,
            backlog: None,
            from_headline: Some(1),
            position: Some(Ok(linear(&spark, |s| 10.0 * s as f64))),
        };
        let headlines = [Ok(Vec::new()), Ok(linear(&p.spark, |s| 100.0 + 2.0 * s as f64))];
        let i = insight(same.queue.as_ref().unwrap(), &fetched, &headlines, &rules(), &p);
        assert_eq!(
            (i.trend, i.consumer, i.threshold, i.window_ms, i.step_ms),
            (Trend::Growing, ConsumerStatus::Warning, Some(1000.0), 10 * M, M)
        );
        assert!((i.rate_per_s.unwrap() - 2.0).abs() < 1e-9, "{:?}", i.rate_per_s);
        assert!(i.missing.is_empty(), "{:?}", i.missing);
        // The position now (6,000 past where it was at the window's start) is still below what
        // had been produced by then (a backlog of 6,100): its data is older than the window.
        assert_eq!((i.age_ms, i.age_is_bound), (Some(10 * M), true));
        assert_eq!(i.line.as_deref(), Some("growing +2/s · more than 10m old"), "the words travel with the numbers");
        assert_eq!(i.details, i.clone().details());
    }

    #[test]
    fn what_is_missing_is_named() {
        let p = plan_of(5);
        let ticks = own_ticks(&p, 10 * M);
        let err = PromError::Query { kind: "bad_data".into(), message: "boom".into() };
        let fetched =
            QueueFetched { ticks, backlog: Some(Ok(Vec::new())), from_headline: None, position: Some(Err(err)) };
        let s = stage("sum(backlog)", "sum(offset)", "Odd");
        let i = insight(s.queue.as_ref().unwrap(), &fetched, &[], &rules(), &p);
        assert_eq!((i.trend, i.consumer, i.backlog), (Trend::Unknown, ConsumerStatus::Unknown, None));
        assert_eq!(i.missing.len(), 3, "{:?}", i.missing);
        assert_eq!(i.missing[0], "the backlog: no samples of sum(backlog) in the window");
        assert!(
            i.missing[1].starts_with("the consumer's position: ") && i.missing[1].contains("boom"),
            "{}",
            i.missing[1]
        );
        assert_eq!(i.missing[2], "the threshold: alert Odd is not of the form `X > N`");
        let gone = stage("sum(backlog)", "", "Gone");
        let fetched =
            QueueFetched { ticks, backlog: Some(Ok(linear(&ticks, |_| 5.0))), from_headline: None, position: None };
        let i = insight(gone.queue.as_ref().unwrap(), &fetched, &[], &rules(), &p);
        assert_eq!(i.trend, Trend::Steady);
        assert_eq!(
            i.missing,
            [
                "the consumer's position: the pipeline names no query for it",
                "the threshold: alert Gone is not among the rules in force"
            ]
        );
    }
}
