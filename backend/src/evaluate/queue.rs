//! Queue insight inside an evaluation: which series a backlog stage's insight reads (a query of its
//! own, or a headline's sparkline when that is the same expression and fine enough), and the
//! insight from what the upstream answered, now and as of every tick of the range
//! (`super::history`). The series are asked once and read both ways: now is their last insight
//! window, a tick the window up to it. The numbers come from the pure [`crate::insight`]; this
//! module only gathers its inputs and names what is missing.

use codexflow_core::api::Point;
use codexflow_core::limits::{
    MAX_HISTORY_EDGES, MAX_HISTORY_NAME_BYTES, MAX_HISTORY_STAGES, MAX_HISTORY_TICKS, MAX_POINTS_PER_QUERY,
    QUEUE_MIN_SPARK_POINTS, QUEUE_STEPS,
};
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

/// Whether the range is read tick by tick at all: not too many ticks, stages or edges, nor too
/// long a text of stage names, which each tick's words repeat ([`MAX_HISTORY_TICKS`],
/// [`MAX_HISTORY_STAGES`], [`MAX_HISTORY_EDGES`], [`MAX_HISTORY_NAME_BYTES`]).
pub fn tick_by_tick(plan: &Plan, pipeline: &PipelineSpec) -> bool {
    plan.window.count <= MAX_HISTORY_TICKS
        && pipeline.stages.len() <= MAX_HISTORY_STAGES
        && pipeline.edges.len() <= MAX_HISTORY_EDGES
        && pipeline.stages.iter().map(|s| s.name.len()).sum::<usize>() <= MAX_HISTORY_NAME_BYTES
}

/// The insight's own ticks, on its step ([`QUEUE_STEPS`] a window, at least a second) and on
/// absolute time so viewers share the queries, up to the request's `to` (insight is about now: not
/// the last evaluation tick, which may be an interval older): from an insight window before the
/// range's first tick when `history` and that fits one query ([`MAX_POINTS_PER_QUERY`]), else
/// the last window only.
pub(super) fn own_ticks(plan: &Plan, window_ms: i64, history: bool) -> Ticks {
    let step = (window_ms / QUEUE_STEPS).max(1_000);
    let end = plan.to.div_euclid(step) * step;
    let last_window =
        Ticks { first: end.saturating_sub(window_ms / step * step), step, count: (window_ms / step + 1) as usize };
    let from = plan.window.first.saturating_sub(window_ms).div_euclid(step) * step;
    match end.checked_sub(from).map(|span| span / step + 1) {
        Some(count) if history && count > last_window.count as i64 && count <= MAX_POINTS_PER_QUERY => {
            Ticks { first: from, step, count: count as usize }
        }
        _ => last_window,
    }
}

/// Whether the sparkline can be the insight's ticks: it ends at `to` itself and has at least
/// [`QUEUE_MIN_SPARK_POINTS`] steps in an insight window.
fn spark_is_fine(plan: &Plan, window_ms: i64) -> bool {
    let (spark, start) = (plan.spark, plan.last_tick.saturating_sub(window_ms));
    plan.last_tick == plan.to
        && spark.step > 0
        && spark.last() == Some(plan.last_tick)
        && spark.first <= start
        && spark.step <= window_ms / QUEUE_MIN_SPARK_POINTS
}

/// The ticks a stage's insight reads, and the stage whose headline is its backlog, if any (a
/// backlog may be another stage's headline: Jangar's is the NATS consumer's pending count).
fn source(
    queue: &QueueSpec,
    pipeline: &PipelineSpec,
    plan: &Plan,
    window_ms: i64,
    history: bool,
) -> (Ticks, Option<usize>) {
    let headline = pipeline.stages.iter().position(|s| s.headline.expr.trim() == queue.backlog.trim());
    match headline {
        Some(i) if spark_is_fine(plan, window_ms) => (plan.spark, Some(i)),
        _ => (own_ticks(plan, window_ms, history), None),
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
    let history = tick_by_tick(plan, pipeline);
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
            let (ticks, from_headline) = source(queue, pipeline, plan, window_ms, history);
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
fn samples(
    what: &str,
    expr: &str,
    ticks: &Ticks,
    result: Result<&[RangeSeries], &PromError>,
) -> Result<Vec<Sample>, String> {
    let series = result.map_err(|e| format!("{what}: {e}"))?;
    let out: Vec<Sample> =
        summed_points(ticks, series).into_iter().filter_map(|Point { t, v }| v.map(|v| (t, v))).collect();
    if out.is_empty() {
        return Err(no_samples(what, expr));
    }
    Ok(out)
}

fn no_samples(what: &str, expr: &str) -> String {
    format!("{what}: no samples of {expr} in the window")
}

/// The threshold of the alert the queue names: `N` of its `X > N` (or `>=`).
fn threshold(queue: &QueueSpec, rules: &RuleSet) -> Result<Option<f64>, String> {
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

/// One stage's insight inputs over everything its asks read, once: read as of now with
/// [`QueueSeries::now`], as of a tick with [`QueueSeries::at`].
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSeries<'a> {
    queue: &'a QueueSpec,
    ticks: Ticks,
    backlog: Vec<Sample>,
    position: Option<Vec<Sample>>,
    threshold: Option<f64>,
    missing: Vec<String>,
    window_ms: i64,
}

/// Stage `queue`'s series from what was fetched for it. `headlines` are every stage's headline
/// answers, one of which may be the backlog.
pub fn series<'a>(
    queue: &'a QueueSpec,
    fetched: &QueueFetched,
    headlines: &[Result<Vec<RangeSeries>, PromError>],
    rules: &RuleSet,
    window_ms: i64,
) -> QueueSeries<'a> {
    let mut missing = Vec::new();
    let ticks = fetched.ticks;
    let no_headline = PromError::Limit("the headline it reads was not fetched".to_string());
    let backlog_result = match (&fetched.backlog, fetched.from_headline.and_then(|i| headlines.get(i))) {
        (Some(own), _) => own.as_deref(),
        (None, Some(headline)) => headline.as_deref(),
        (None, None) => Err(&no_headline),
    };
    let backlog = samples("the backlog", &queue.backlog, &ticks, backlog_result).unwrap_or_else(|why| {
        missing.push(why);
        Vec::new()
    });
    let position = match &fetched.position {
        None => {
            missing.push("the consumer's position: the pipeline names no query for it".to_string());
            None
        }
        Some(result) => samples("the consumer's position", &queue.position, &ticks, result.as_deref())
            .map_err(|why| missing.push(why))
            .ok(),
    };
    let threshold = threshold(queue, rules).unwrap_or_else(|why| {
        missing.push(why);
        None
    });
    // The window as its steps read it: whole steps of the ticks' grid.
    let window_ms = window_ms / ticks.step.max(1) * ticks.step;
    QueueSeries { queue, ticks, backlog, position, threshold, missing, window_ms }
}

/// The samples of `all` (in time order) in `[t - window_ms, t]`.
fn within(all: &[Sample], t: i64, window_ms: i64) -> &[Sample] {
    let start = all.partition_point(|s| s.0 < t.saturating_sub(window_ms));
    let end = all.partition_point(|s| s.0 <= t);
    all.get(start..end.max(start)).unwrap_or_default()
}

impl QueueSeries<'_> {
    /// The insight now, over the last insight window of its ticks, worded, with what is missing
    /// named (a series with samples earlier in the range but none in the window among them).
    pub fn now(&self, plan: &Plan) -> QueueInsight {
        let t = self.ticks.last().unwrap_or(plan.to);
        let mut missing = self.missing.clone();
        let mut empty = |what: &str, expr: &str, all: &[Sample]| {
            if !all.is_empty() && within(all, t, self.window_ms).is_empty() {
                missing.push(no_samples(what, expr));
            }
        };
        empty("the backlog", &self.queue.backlog, &self.backlog);
        empty("the consumer's position", &self.queue.position, self.position.as_deref().unwrap_or_default());
        queue_insight(&self.inputs(t), missing).worded()
    }

    /// The insight as of tick `t`, over the insight window up to it, as far as the ticks reach
    /// back: the numbers only (what is missing is said of now, once).
    pub fn at(&self, t: i64) -> QueueInsight {
        queue_insight(&self.inputs(t), Vec::new())
    }

    fn inputs(&self, t: i64) -> QueueInputs<'_> {
        QueueInputs {
            backlog: within(&self.backlog, t, self.window_ms),
            position: self.position.as_deref().map(|p| within(p, t, self.window_ms)),
            position_is_counter: self.queue.position_is_counter,
            threshold: self.threshold,
            now: t,
            window_ms: self.window_ms,
            step_ms: self.ticks.step,
        }
    }

    /// Whether its ticks reach over the range, so it can be read as of each of its ticks: to the
    /// last tick's step (own ticks end on their grid, at most a step before it), and from no later
    /// than an insight window into it (a sparkline starts at the range, so the first ticks'
    /// windows hold what the range does).
    pub fn covers(&self, window: &Ticks) -> bool {
        let (Some(last), Some(end)) = (window.last(), self.ticks.last()) else { return false };
        self.ticks.first <= window.first.saturating_add(self.window_ms) && end > last.saturating_sub(self.ticks.step)
    }
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
        // An hour at 1m: the sparkline, 1 m apart, has ten steps in a 10 m window.
        let hour = plan_of(60);
        assert!(spark_is_fine(&hour, 10 * M));
        // Its own ticks are 15 s apart: over the hour and the window before it when read tick by
        // tick, else the last window only.
        let own = own_ticks(&hour, 10 * M, true);
        assert_eq!((own.first, own.step, own.last()), (DAY - 10 * M, 15_000, Some(DAY + 60 * M)));
        let own = own_ticks(&hour, 10 * M, false);
        assert_eq!((own.first, own.step, own.count, own.last()), (DAY + 50 * M, 15_000, 41, Some(DAY + 60 * M)));
        // A day at 1m has a sparkline point every 6m: too coarse. Five minutes do not cover the window.
        assert!(!spark_is_fine(&plan_of(1440), 10 * M));
        assert!(!spark_is_fine(&plan_of(5), 10 * M));
        // A 30 s window: 1 s steps, never closer; over a day that is more than one query holds, so
        // only the last window is read.
        let short = own_ticks(&hour, 30_000, false);
        assert_eq!((short.step, short.count), (1_000, 31));
        assert_eq!(own_ticks(&plan_of(1440), 30_000, true), own_ticks(&plan_of(1440), 30_000, false));
        assert!(!spark_is_fine(&hour, 30_000));
        // `to` between ticks (a live dashboard): the insight ends at `to`, on its own grid.
        let live = plan(
            &EvaluateRequest { from: DAY, to: DAY + 60 * M + 37_500, interval_ms: None, encoding: Default::default() },
            M,
            &RuleSet::default(),
        )
        .unwrap();
        assert!(!spark_is_fine(&live, 10 * M), "the sparkline ends 37.5 s earlier");
        assert_eq!(own_ticks(&live, 10 * M, true).last(), Some(DAY + 60 * M + 30_000));
    }

    #[test]
    fn a_backlog_that_is_a_headline_is_read_from_the_sparkline() {
        let p = plan_of(60);
        let pipeline = crate::defaults::pipeline();
        let same = stage(&pipeline.stages[1].headline.expr, "sum(offset)", "LagHigh");
        let spark = p.spark;
        assert_eq!(source(same.queue.as_ref().unwrap(), &pipeline, &p, 10 * M, true), (spark, Some(1)));
        let other = stage("sum(other)", "", "");
        assert_eq!(
            source(other.queue.as_ref().unwrap(), &pipeline, &p, 10 * M, true),
            (own_ticks(&p, 10 * M, true), None)
        );
        // The headline grows 2/s over the hour; the position moves 10/s.
        let fetched = QueueFetched {
            ticks: spark,
            backlog: None,
            from_headline: Some(1),
            position: Some(Ok(linear(&spark, |s| 10.0 * s as f64))),
        };
        let headlines = [Ok(Vec::new()), Ok(linear(&p.spark, |s| 100.0 + 2.0 * s as f64))];
        let i = series(same.queue.as_ref().unwrap(), &fetched, &headlines, &rules(), 10 * M).now(&p);
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
    fn own_ticks_off_the_interval_grid_still_cover_the_range() {
        // Ticks 10 s apart, insight steps of 15 s, `to` 20.5 s past the half hour: the last tick is
        // 5 s after the insight's last step, which still reads the window up to it.
        let req = EvaluateRequest {
            from: DAY,
            to: DAY + 30 * M + 20_500,
            interval_ms: Some(10_000),
            encoding: Default::default(),
        };
        let p = plan(&req, M, &RuleSet::default()).unwrap();
        let ticks = own_ticks(&p, 10 * M, true);
        assert_eq!((p.window.last(), ticks.last()), (Some(DAY + 30 * M + 20_000), Some(DAY + 30 * M + 15_000)));
        let s = stage("sum(backlog)", "", "");
        let fetched =
            QueueFetched { ticks, backlog: Some(Ok(linear(&ticks, |_| 5.0))), from_headline: None, position: None };
        assert!(series(s.queue.as_ref().unwrap(), &fetched, &[], &rules(), 10 * M).covers(&p.window));
        let last_window = QueueFetched { ticks: own_ticks(&p, 10 * M, false), ..fetched };
        assert!(!series(s.queue.as_ref().unwrap(), &last_window, &[], &rules(), 10 * M).covers(&p.window));
    }

    #[test]
    fn samples_within_the_insight_window_up_to_a_tick() {
        let all: Vec<Sample> = (0..10).map(|i| (i * 10, i as f64)).collect();
        assert_eq!(within(&all, 50, 20), &all[3..6]);
        assert_eq!(within(&all, 55, 20), &all[4..6]);
        assert_eq!(within(&all, -5, 20), &[] as &[Sample]);
        assert_eq!(within(&all, i64::MIN, i64::MAX), &[] as &[Sample]);
    }

    #[test]
    fn what_is_missing_is_named() {
        let p = plan_of(5);
        let ticks = own_ticks(&p, 10 * M, true);
        let err = PromError::Query { kind: "bad_data".into(), message: "boom".into() };
        let fetched =
            QueueFetched { ticks, backlog: Some(Ok(Vec::new())), from_headline: None, position: Some(Err(err)) };
        let s = stage("sum(backlog)", "sum(offset)", "Odd");
        let i = series(s.queue.as_ref().unwrap(), &fetched, &[], &rules(), 10 * M).now(&p);
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
        let i = series(gone.queue.as_ref().unwrap(), &fetched, &[], &rules(), 10 * M).now(&p);
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
