//! The compact encoding of `v1/evaluate` (`"encoding": "runs"`, issue 11): what the per-tick form
//! repeats on every tick is sent once per run of equal ticks, and the sparkline instants every
//! graph shares are sent once for the answer.
//!
//! Why it is built this way: a day at 1 m of a 200-stage pipeline is 26.5 MB per tick and the panel
//! spends most of its time parsing it, yet a stage's status and an alert's state change a few times
//! a day, and every graph has its points at the same instants. [`compact`] takes a per-tick answer
//! apart into runs and [`expand`] puts it back together: exactly, but for an alert's values, which
//! are sent at the sparkline's resolution ([`AlertRuns::every`]; `expand(compact(a))` is `a` with
//! [`as_sent`] values, tested below and by the oracle test for every window it evaluates). The
//! per-tick form stays the default public contract for outside tools.
//!
//! [`expand`] reads what arrives over the network: every run is checked against the ticks it
//! claims, so a garbled answer is an error, never a panic or an unbounded allocation.

use serde::{Deserialize, Serialize};

use crate::alerting::AlertState;
use crate::api::{AlertTimeline, EpochMs, EvaluateResponse, Point, TimelinePoint};
use crate::limits::MAX_TICKS;
use crate::status::StageStatus;

/// How `v1/evaluate` sends its timelines and graphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Encoding {
    /// One entry per tick (`statusTimeline`, `timeline`, `series`): the default.
    #[default]
    PerTick,
    /// Runs of equal ticks (`statusRuns`, `runs`) and graph values at the answer's `spark` instants
    /// (`seriesValues`).
    Runs,
}

crate::by_name!(Encoding { PerTick = "perTick", Runs = "runs" });

impl Encoding {
    pub fn is_per_tick(&self) -> bool {
        *self == Encoding::PerTick
    }
}

/// A sample value as the wire carries it: a number, null (no sample), or `"NaN"`/`"+Inf"`/`"-Inf"`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sample(#[serde(with = "crate::value::opt")] pub Option<f64>);

/// A stage's status over the answer's ticks `t..=until`; on the wire `[t, until, status]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "(EpochMs, EpochMs, StageStatus)", into = "(EpochMs, EpochMs, StageStatus)")]
pub struct StatusRun {
    pub t: EpochMs,
    pub until: EpochMs,
    pub status: StageStatus,
}

/// An alert's timeline as runs on its own ticks, `step` apart; on the wire `[step, runs, values, every]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "AlertRunsWire", into = "AlertRunsWire")]
pub struct AlertRuns {
    pub step: i64,
    pub runs: Vec<AlertRun>,
    /// The values sent of the runs that have one (`valued`), oldest first: of each such run's ticks
    /// `0, every, 2·every, …` and of its last tick ([`sent`]).
    pub values: Vec<Sample>,
    /// How many ticks apart a valued run's values are sent: the sparkline's resolution, so a day of
    /// 200 firing alerts is not 0.46 MB of values nobody draws; 1 sends every value. A tick between
    /// takes the value of the latest sent tick before it (the panel says so when it travels in time);
    /// a run's first and last ticks, and so the alert's value now, are always its own.
    pub every: i64,
}

/// Ticks `t, t + step, …, until` of one alert that agree in everything but their value; on the wire
/// `[t, until, state, activeAt, ruler, agrees, late, valued]` (null where absent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "AlertRunWire", into = "AlertRunWire")]
pub struct AlertRun {
    pub t: EpochMs,
    pub until: EpochMs,
    pub state: AlertState,
    pub active_at: Option<EpochMs>,
    pub ruler: Option<AlertState>,
    pub agrees: Option<bool>,
    pub late: bool,
    /// Each tick of the run has a value, the next ones of `values`; otherwise none has.
    pub valued: bool,
}

type AlertRunsWire = (i64, Vec<AlertRun>, Vec<Sample>, i64);

impl From<AlertRunsWire> for AlertRuns {
    fn from((step, runs, values, every): AlertRunsWire) -> AlertRuns {
        AlertRuns { step, runs, values, every }
    }
}

impl From<AlertRuns> for AlertRunsWire {
    fn from(r: AlertRuns) -> AlertRunsWire {
        (r.step, r.runs, r.values, r.every)
    }
}

type AlertRunWire = (EpochMs, EpochMs, AlertState, Option<EpochMs>, Option<AlertState>, Option<bool>, bool, bool);

impl From<AlertRunWire> for AlertRun {
    fn from((t, until, state, active_at, ruler, agrees, late, valued): AlertRunWire) -> AlertRun {
        AlertRun { t, until, state, active_at, ruler, agrees, late, valued }
    }
}

impl From<AlertRun> for AlertRunWire {
    fn from(r: AlertRun) -> AlertRunWire {
        (r.t, r.until, r.state, r.active_at, r.ruler, r.agrees, r.late, r.valued)
    }
}

impl From<(EpochMs, EpochMs, StageStatus)> for StatusRun {
    fn from((t, until, status): (EpochMs, EpochMs, StageStatus)) -> StatusRun {
        StatusRun { t, until, status }
    }
}

impl From<StatusRun> for (EpochMs, EpochMs, StageStatus) {
    fn from(r: StatusRun) -> (EpochMs, EpochMs, StageStatus) {
        (r.t, r.until, r.status)
    }
}

/// Why a compact answer could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the compact evaluate answer is inconsistent: {0}")]
pub struct CompactError(String);

/// Fixed texts: the panel carries this code, and its bytes are budgeted (`scripts/check-sizes.mjs`).
fn bad<T>(what: &str) -> Result<T, CompactError> {
    Err(CompactError(what.to_string()))
}

/// `answer` in the compact form. Whatever does not fit it (a graph off the shared instants, an
/// alert's ticks not evenly spaced) stays per tick, which [`expand`] accepts too.
pub fn compact(mut answer: EvaluateResponse) -> EvaluateResponse {
    let spark: Vec<EpochMs> = answer
        .stages
        .iter()
        .map(|s| &s.series)
        .chain(answer.edges.iter().map(|e| &e.series))
        .find(|s| !s.is_empty())
        .map(|s| s.iter().map(|p| p.t).collect())
        .unwrap_or_default();
    let on_spark = |series: &[Point]| series.len() == spark.len() && series.iter().zip(&spark).all(|(p, t)| p.t == *t);
    for stage in &mut answer.stages {
        if stage.status_timeline.len() == answer.ticks.len() {
            stage.status_runs = Some(status_runs(&answer.ticks, &stage.status_timeline));
            stage.status_timeline = Vec::new();
        }
        if !stage.series.is_empty() && on_spark(&stage.series) {
            stage.series_values = Some(stage.series.drain(..).map(|p| Sample(p.v)).collect());
        }
    }
    for edge in &mut answer.edges {
        if !edge.series.is_empty() && on_spark(&edge.series) {
            edge.series_values = Some(edge.series.drain(..).map(|p| Sample(p.v)).collect());
        }
    }
    // Alert values at the sparkline's resolution: an alert's ticks per value are those in the
    // sparkline's spacing (1, every value, when nothing is graphed).
    let spacing = spark_spacing(&spark);
    for alert in &mut answer.alerts {
        if let Some(runs) = alert_runs(&alert.timeline, spacing) {
            alert.runs = Some(runs);
            alert.timeline = Vec::new();
        }
    }
    answer.spark = (!spark.is_empty()).then_some(spark);
    answer.encoding = Encoding::Runs;
    answer
}

/// The per-tick answer `answer` stands for; a per-tick answer is returned as it is.
pub fn expand(answer: EvaluateResponse) -> Result<EvaluateResponse, CompactError> {
    let mut answer = readable(answer)?;
    for alert in &mut answer.alerts {
        if let Some(runs) = alert.runs.take() {
            alert.timeline = timeline(&runs)?;
        }
    }
    answer.encoding = Encoding::PerTick;
    Ok(answer)
}

/// What the panel draws from: `answer` with statuses and graphs per tick, and every alert's runs
/// checked but kept as they are (read with [`AlertTimeline::point_at`] and the other accessors
/// below). Why: expanding the alerts of 200 stages over a day is 288,000 points, the largest single
/// cost between the answer's arrival and the paint, while a moment is found in a handful of runs.
pub fn readable(mut answer: EvaluateResponse) -> Result<EvaluateResponse, CompactError> {
    if answer.encoding.is_per_tick() {
        return Ok(answer);
    }
    let spark = answer.spark.take().unwrap_or_default();
    let points = |values: Vec<Sample>| -> Result<Vec<Point>, CompactError> {
        if values.len() != spark.len() {
            return bad("its values are not one per spark instant");
        }
        Ok(spark.iter().zip(values).map(|(&t, v)| Point { t, v: v.0 }).collect())
    };
    // One message shape for every part, so the panel carries one (its bytes are budgeted).
    let about = |what: &str, id: &str, e: CompactError| CompactError(format!("{what} {id}: {}", e.0));
    for stage in &mut answer.stages {
        if let Some(runs) = stage.status_runs.take() {
            stage.status_timeline = statuses(&answer.ticks, &runs).map_err(|e| about("stage", &stage.id, e))?;
        }
        if let Some(values) = stage.series_values.take() {
            stage.series = points(values).map_err(|e| about("stage", &stage.id, e))?;
        }
    }
    for edge in &mut answer.edges {
        if let Some(values) = edge.series_values.take() {
            edge.series = points(values).map_err(|e| about("edge from", &edge.from, e))?;
        }
    }
    for alert in &answer.alerts {
        if let Some(runs) = &alert.runs {
            check(runs).map_err(|e| about("alert", &alert.name, e))?;
        }
    }
    Ok(answer)
}

/// A run of equal values along a timeline: its first index, how many, and the value.
pub type Span<T> = (usize, usize, T);

/// The runs of equal values along `values`, in order. The one fold behind the answer's status runs
/// and the panel's strips (which fold the statuses per tick: drawing from the runs as sent cost the
/// panel 160 B gzip over its size budget).
pub fn spans<T: PartialEq + Copy>(values: &[T]) -> Vec<Span<T>> {
    let mut out: Vec<Span<T>> = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        match out.last_mut() {
            Some((_, len, last)) if *last == v => *len += 1,
            _ => out.push((i, 1, v)),
        }
    }
    out
}

/// The runs of equal statuses over `ticks` (`statuses` has one per tick).
pub fn status_runs(ticks: &[EpochMs], statuses: &[StageStatus]) -> Vec<StatusRun> {
    let n = ticks.len().min(statuses.len());
    spans(&statuses[..n])
        .into_iter()
        .map(|(i, len, status)| StatusRun { t: ticks[i], until: ticks[i + len - 1], status })
        .collect()
}

/// One status per tick of `ticks` from runs that cover each exactly once, in order.
pub fn statuses(ticks: &[EpochMs], runs: &[StatusRun]) -> Result<Vec<StageStatus>, CompactError> {
    let mut out = Vec::with_capacity(ticks.len());
    let mut run = runs.iter().peekable();
    for &t in ticks {
        while run.peek().is_some_and(|r| r.until < t) {
            run.next();
        }
        match run.peek() {
            Some(r) if r.t <= t => out.push(r.status),
            _ => return bad("a tick has no status run"),
        }
    }
    if runs.windows(2).any(|w| w[1].t <= w[0].until) || runs.iter().any(|r| r.until < r.t) {
        return bad("its runs overlap or go backwards");
    }
    Ok(out)
}

type RunKey = (AlertState, Option<EpochMs>, Option<AlertState>, Option<bool>, bool, bool);

fn key(p: &TimelinePoint) -> RunKey {
    (p.state, p.active_at, p.ruler, p.agrees, p.late, p.value.is_some())
}

/// The mean time between the sparkline instants `spark` (0 for fewer than two).
pub fn spark_spacing(spark: &[EpochMs]) -> i64 {
    match (spark.first(), spark.last()) {
        (Some(a), Some(b)) if spark.len() > 1 => b.saturating_sub(*a) / (spark.len() as i64 - 1),
        _ => 0,
    }
}

/// The runs of `timeline` with their values as many ticks apart as fit in `spacing` ms
/// ([`AlertRuns::every`]), or `None` when its ticks are not evenly spaced (then it stays per tick).
pub fn alert_runs(timeline: &[TimelinePoint], spacing: i64) -> Option<AlertRuns> {
    let step = match timeline {
        [a, b, ..] => b.t.checked_sub(a.t).filter(|s| *s > 0)?,
        _ => 1,
    };
    if timeline.windows(2).any(|w| w[1].t.checked_sub(w[0].t) != Some(step)) {
        return None;
    }
    let every = (spacing / step).max(1);
    let mut runs: Vec<AlertRun> = Vec::new();
    // Each point with its index in its run.
    let mut indexed: Vec<(usize, &TimelinePoint)> = Vec::with_capacity(timeline.len());
    for p in timeline {
        match runs.last_mut() {
            Some(run) if key(p) == (run.state, run.active_at, run.ruler, run.agrees, run.late, run.valued) => {
                run.until = p.t;
                indexed.push((indexed.last().map_or(0, |(i, _)| i + 1), p));
            }
            _ => {
                runs.push(AlertRun {
                    t: p.t,
                    until: p.t,
                    state: p.state,
                    active_at: p.active_at,
                    ruler: p.ruler,
                    agrees: p.agrees,
                    late: p.late,
                    valued: p.value.is_some(),
                });
                indexed.push((0, p));
            }
        }
    }
    // A run's last tick is the one before the next run's first (index 0), or the timeline's last.
    let values = indexed
        .iter()
        .enumerate()
        .filter(|(n, (i, p))| {
            p.value.is_some() && (*i as i64 % every == 0 || indexed.get(n + 1).is_none_or(|(next, _)| *next == 0))
        })
        .map(|(_, (_, p))| Sample(p.value))
        .collect();
    Some(AlertRuns { step, runs, values, every })
}

/// `timeline` with the values the compact answer keeps, `every` ticks apart (what expanding it
/// gives), worked out afresh from the contract in docs/api.md: in a run of equal ticks that have a
/// value, tick `i` shows that of the latest of the run's ticks `0, every, 2·every, …` at or before
/// it, and the run's last tick its own. For tests that hold a compact answer to the per-tick one.
pub fn as_sent(timeline: &mut [TimelinePoint], every: i64) {
    let every = usize::try_from(every).unwrap_or(1).max(1);
    let old = timeline.to_vec();
    let mut start = 0;
    for i in 0..old.len() {
        if i > 0 && key(&old[i]) != key(&old[i - 1]) {
            start = i;
        }
        let last = old.get(i + 1).is_none_or(|next| key(next) != key(&old[i]));
        let from = if last { i } else { start + (i - start) / every * every };
        timeline[i].value = old[from].value;
    }
}

/// How many values a valued run of `count` ticks sends, `every` ticks apart: those of its ticks
/// `0, every, …` and of its last.
pub fn sent(count: usize, every: i64) -> usize {
    let every = usize::try_from(every).unwrap_or(1).max(1);
    match count.checked_sub(1) {
        None => 0,
        Some(last) => last / every + 1 + usize::from(last % every != 0),
    }
}

/// Which of a valued run's sent values tick `i` of its `count` shows: its own on a sent tick,
/// otherwise the latest sent before it.
fn value_index(i: usize, count: usize, every: i64) -> usize {
    let every = usize::try_from(every).unwrap_or(1).max(1);
    if i + 1 >= count {
        sent(count, every as i64).saturating_sub(1)
    } else {
        i / every
    }
}

/// Checks that `runs` are on their ticks, in order, at most [`MAX_TICKS`] of them, with exactly one
/// value per valued tick: what [`timeline`] and the accessors below rely on.
pub fn check(runs: &AlertRuns) -> Result<(), CompactError> {
    if runs.step <= 0 || runs.every <= 0 {
        return bad("its step is not positive");
    }
    let (mut ticks, mut valued, mut last) = (0i64, 0usize, None::<EpochMs>);
    for run in &runs.runs {
        if last.is_some_and(|l| run.t <= l) {
            return bad("its runs overlap or go backwards");
        }
        let span = run.until.checked_sub(run.t).filter(|d| *d >= 0 && d % runs.step == 0);
        let Some(count) = span.map(|d| d / runs.step + 1) else {
            return bad("a run is not on its ticks");
        };
        // ticks ≤ MAX_TICKS before this, so the sum cannot overflow.
        ticks += count;
        if ticks > MAX_TICKS as i64 {
            return bad("more than 100,000 ticks (limits::MAX_TICKS)");
        }
        if run.valued {
            valued += sent(count as usize, runs.every);
        }
        last = Some(run.until);
    }
    if runs.values.len() != valued {
        return bad("its values are not one per valued tick");
    }
    Ok(())
}

/// Tick `i` of `run` (`i` < its count) with its value: `values` are the run's own, `every` apart.
fn point(run: &AlertRun, runs: &AlertRuns, i: i64, values: &[Sample]) -> TimelinePoint {
    let step = runs.step;
    let at = usize::try_from(i).ok().map(|i| value_index(i, ticks_of(run, step), runs.every));
    let value = if run.valued { at.and_then(|i| values.get(i)).and_then(|v| v.0) } else { None };
    // For checked runs i < count and step·(count-1) = until - t, so this is within run.t..=run.until.
    let t = run.t.saturating_add(i.saturating_mul(step));
    TimelinePoint {
        t,
        state: run.state,
        value,
        active_at: run.active_at,
        ruler: run.ruler,
        agrees: run.agrees,
        late: run.late,
    }
}

/// The per-tick timeline of `runs`, once [`check`]ed.
pub fn timeline(runs: &AlertRuns) -> Result<Vec<TimelinePoint>, CompactError> {
    check(runs)?;
    let mut out: Vec<TimelinePoint> = Vec::new();
    let mut offset = 0;
    for run in &runs.runs {
        let count = ticks_of(run, runs.step);
        let values = if run.valued { runs.values.get(offset..).unwrap_or_default() } else { &[][..] };
        out.extend((0..count).map(|i| point(run, runs, i as i64, values)));
        if run.valued {
            offset += sent(count, runs.every);
        }
    }
    Ok(out)
}

/// An alert's timeline read in whichever form it came (per tick, or checked runs): what the
/// reasons and the panel ask of it, each a binary search or a walk over runs.
impl AlertTimeline {
    /// Its latest tick at or before `t`.
    pub fn point_at(&self, t: EpochMs) -> Option<TimelinePoint> {
        let Some(runs) = &self.runs else {
            let i = self.timeline.partition_point(|p| p.t <= t);
            return i.checked_sub(1).and_then(|i| self.timeline.get(i)).copied();
        };
        let r = runs.runs.partition_point(|r| r.t <= t).checked_sub(1)?;
        let run = runs.runs.get(r)?;
        let i = t.min(run.until).checked_sub(run.t)?.checked_div(runs.step)?;
        Some(point(run, runs, i, runs.values.get(values_before(runs, r)..).unwrap_or_default()))
    }

    /// Its last tick.
    pub fn last_point(&self) -> Option<TimelinePoint> {
        match &self.runs {
            None => self.timeline.last().copied(),
            Some(runs) => runs.runs.last().and_then(|run| self.point_at(run.until)),
        }
    }

    /// The `active_at` of its first tick that has one.
    pub fn first_active_at(&self) -> Option<EpochMs> {
        match &self.runs {
            None => self.timeline.iter().find_map(|p| p.active_at),
            Some(runs) => runs.runs.iter().find_map(|r| r.active_at),
        }
    }

    /// The first tick of the stretch, ending at its tick at or before `t`, over which the ruler saw
    /// the state it sees there.
    pub fn ruler_since(&self, t: EpochMs) -> Option<EpochMs> {
        let ruler = self.point_at(t)?.ruler?;
        match &self.runs {
            None => {
                let i = self.timeline.partition_point(|p| p.t <= t);
                self.timeline.get(..i)?.iter().rev().take_while(|q| q.ruler == Some(ruler)).last().map(|q| q.t)
            }
            Some(runs) => {
                let r = runs.runs.partition_point(|r| r.t <= t);
                runs.runs.get(..r)?.iter().rev().take_while(|q| q.ruler == Some(ruler)).last().map(|q| q.t)
            }
        }
    }

    /// Every tick, per tick (for the one alert a drill-down draws).
    pub fn points(&self) -> Vec<TimelinePoint> {
        match &self.runs {
            None => self.timeline.clone(),
            Some(runs) => timeline(runs).unwrap_or_default(),
        }
    }
}

/// How far apart in time the alert values a compact answer sent are, at the widest (`None` when every
/// value was sent): what the panel says while it shows a moment in the past.
pub fn value_spacing(alerts: &[AlertTimeline]) -> Option<i64> {
    alerts.iter().filter_map(|a| a.runs.as_ref()).filter(|r| r.every > 1).map(|r| r.every.saturating_mul(r.step)).max()
}

/// How many ticks `run` has (0 for a run [`check`] refuses).
fn ticks_of(run: &AlertRun, step: i64) -> usize {
    run.until
        .checked_sub(run.t)
        .and_then(|d| d.checked_div(step))
        .and_then(|n| usize::try_from(n).ok())
        .map_or(0, |n| n.saturating_add(1))
}

/// How many of `runs`' values belong to the runs before run `r`.
fn values_before(runs: &AlertRuns, r: usize) -> usize {
    runs.runs
        .iter()
        .take(r)
        .filter(|run| run.valued)
        .fold(0usize, |n, run| n.saturating_add(sent(ticks_of(run, runs.step), runs.every)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{AlertTimeline, EdgeHealth, Headline, RulesSource, SourceNote, StageHealth};

    const M: i64 = 60_000;

    fn point(i: i64, state: AlertState, value: Option<f64>, active_at: Option<i64>) -> TimelinePoint {
        TimelinePoint::new(i * M, state, value, active_at)
    }

    fn answer() -> EvaluateResponse {
        let ticks: Vec<i64> = (0..10).map(|i| i * M).collect();
        let spark: Vec<Point> = [0, 5, 9].iter().map(|&i| Point { t: i * M, v: Some(i as f64 * 1.5) }).collect();
        let statuses = [
            StageStatus::Ok,
            StageStatus::Ok,
            StageStatus::Warning,
            StageStatus::Warning,
            StageStatus::Critical,
            StageStatus::Ok,
            StageStatus::Ok,
            StageStatus::Nodata,
            StageStatus::Ok,
            StageStatus::Ok,
        ];
        let mut firing: Vec<TimelinePoint> = (0..10).map(|i| point(i, AlertState::Inactive, None, None)).collect();
        for i in 2..5 {
            firing[i as usize] = point(
                i,
                if i < 4 { AlertState::Pending } else { AlertState::Firing },
                Some(1000.0 + i as f64),
                Some(2 * M),
            );
        }
        firing[5] = point(5, AlertState::Firing, None, Some(2 * M));
        firing[6].value = Some(f64::NAN);
        firing[7].ruler = Some(AlertState::Firing);
        firing[7].agrees = Some(false);
        firing[7].late = true;
        let stage = |id: &str, series: Vec<Point>| StageHealth {
            id: id.into(),
            name: id.into(),
            status: StageStatus::Ok,
            reason: None,
            headline: Headline { label: "lag".into(), unit: String::new(), value: Some(1.0), error: None },
            series,
            status_timeline: statuses.to_vec(),
            status_runs: None,
            series_values: None,
            missing_series: Vec::new(),
            queue: None,
            suppressed: false,
            bottleneck_runs: Vec::new(),
            age_timeline: Vec::new(),
        };
        // A graph off the shared instants (none here is, but a lying upstream could make one).
        let odd = vec![Point { t: 3 * M, v: None }];
        EvaluateResponse {
            from: 0,
            to: 9 * M,
            interval_ms: M,
            ticks,
            stages: vec![stage("kafka", spark.clone()), stage("nats", Vec::new()), stage("sse", odd)],
            edges: vec![EdgeHealth {
                from: "kafka".into(),
                to: "nats".into(),
                label: String::new(),
                rate: Some(2.0),
                unit: "msg/s".into(),
                series: spark,
                series_values: None,
                error: None,
            }],
            source: SourceNote { source: RulesSource::Builtin, why: "built in".into(), fallback: None },
            groups: Vec::new(),
            rules: Vec::new(),
            alerts: vec![
                AlertTimeline { name: "A".into(), timeline: firing, ..AlertTimeline::default() },
                AlertTimeline { name: "Quiet".into(), timeline: Vec::new(), ..AlertTimeline::default() },
                AlertTimeline {
                    name: "One".into(),
                    timeline: vec![point(3, AlertState::Firing, Some(f64::INFINITY), Some(0))],
                    ..AlertTimeline::default()
                },
                AlertTimeline {
                    name: "Uneven".into(),
                    timeline: vec![
                        point(0, AlertState::Inactive, None, None),
                        point(2, AlertState::Inactive, None, None),
                        point(3, AlertState::Inactive, None, None),
                    ],
                    ..AlertTimeline::default()
                },
            ],
            alertmanager: None,
            encoding: Encoding::PerTick,
            spark: None,
            freshness: None,
            bottleneck: None,
            bottleneck_runs: Vec::new(),
        }
    }

    fn wire_points(p: &[TimelinePoint]) -> String {
        serde_json::to_string(p).unwrap()
    }

    /// `a` with each alert's values as the compact answer carries them ([`as_sent`]), at the
    /// spacing `compact` picks: as many of the alert's ticks as the sparkline's mean spacing holds.
    fn sampled(a: &EvaluateResponse) -> EvaluateResponse {
        let spark: Vec<i64> = a
            .stages
            .iter()
            .map(|s| &s.series)
            .chain(a.edges.iter().map(|e| &e.series))
            .find(|s| !s.is_empty())
            .map(|s| s.iter().map(|p| p.t).collect())
            .unwrap_or_default();
        let spacing = if spark.len() > 1 { (spark[spark.len() - 1] - spark[0]) / (spark.len() as i64 - 1) } else { 0 };
        let mut out = a.clone();
        for alert in &mut out.alerts {
            let step = match alert.timeline[..] {
                [p, q, ..] => q.t - p.t,
                _ => 1,
            };
            as_sent(&mut alert.timeline, (spacing / step).max(1));
        }
        out
    }

    #[test]
    fn values_are_sent_every_so_many_ticks_and_at_each_runs_end() {
        assert_eq!((sent(0, 6), sent(1, 6), sent(6, 6), sent(7, 6), sent(60, 6), sent(5, 1)), (0, 1, 2, 2, 11, 5));
        // 60 ticks, every 6: ticks 0, 6, …, 54 and 59.
        assert_eq!([0, 5, 6, 53, 54, 58, 59].map(|i| value_index(i, 60, 6)), [0, 0, 1, 8, 9, 9, 10]);
        assert_eq!(value_index(3, 4, 0), 3, "a spacing below 1 sends every value");
    }

    /// Equality that treats NaN as equal to itself, through the wire.
    fn wire(a: &EvaluateResponse) -> String {
        serde_json::to_string(a).unwrap()
    }

    #[test]
    fn compact_then_expand_is_the_answer_itself_through_the_wire() {
        let a = answer();
        let sent = serde_json::to_string(&compact(a.clone())).unwrap();
        let back: EvaluateResponse = serde_json::from_str(&sent).unwrap();
        assert_eq!(back.encoding, Encoding::Runs);
        assert_eq!(wire(&expand(back).unwrap()), wire(&sampled(&a)));
    }

    #[test]
    fn a_day_of_an_alert_that_fired_once_is_a_few_runs() {
        let mut a = answer();
        a.ticks = (0..1440).map(|i| i * M).collect();
        a.stages.truncate(1);
        a.stages[0].status_timeline =
            (0..1440).map(|i| if (600..660).contains(&i) { StageStatus::Warning } else { StageStatus::Ok }).collect();
        a.alerts = vec![AlertTimeline {
            name: "A".into(),
            timeline: (0..1440)
                .map(|i| {
                    if (600..660).contains(&i) {
                        point(i, AlertState::Firing, Some(1200.0), Some(600 * M))
                    } else {
                        point(i, AlertState::Inactive, None, None)
                    }
                })
                .collect(),
            ..AlertTimeline::default()
        }];
        let c = compact(a.clone());
        assert_eq!(c.stages[0].status_runs.as_ref().map(Vec::len), Some(3));
        // The stage's graph's instants are 4.5 minutes apart on average: a value every 4 ticks of the
        // 60 firing ones (0, 4, …, 56) and the last.
        assert_eq!(c.alerts[0].runs.as_ref().map(|r| (r.runs.len(), r.values.len(), r.every)), Some((3, 16, 4)));
        assert_eq!(value_spacing(&c.alerts), Some(4 * M));
        assert_eq!(value_spacing(&a.alerts), None, "per tick, every value is there");
        // The answer's ticks stay a list (20 KB a day at 1 m); what repeats per tick is gone.
        let size = |a: &EvaluateResponse| serde_json::to_string(&(&a.stages, &a.alerts)).unwrap().len();
        let (per_tick, runs) = (size(&a), size(&c));
        assert!(runs * 20 < per_tick, "{runs} bytes compact vs {per_tick} per tick");
        assert_eq!(wire(&expand(c).unwrap()), wire(&sampled(&a)));
    }

    #[test]
    fn runs_are_what_changes() {
        let c = compact(answer());
        let kafka = &c.stages[0];
        assert!(kafka.status_timeline.is_empty() && kafka.series.is_empty());
        let runs = kafka.status_runs.as_ref().unwrap();
        assert_eq!(
            runs.iter().map(|r| (r.t / M, r.until / M, r.status)).collect::<Vec<_>>(),
            [
                (0, 1, StageStatus::Ok),
                (2, 3, StageStatus::Warning),
                (4, 4, StageStatus::Critical),
                (5, 6, StageStatus::Ok),
                (7, 7, StageStatus::Nodata),
                (8, 9, StageStatus::Ok)
            ]
        );
        assert_eq!(c.spark.as_deref(), Some(&[0, 5 * M, 9 * M][..]));
        assert_eq!(kafka.series_values.as_ref().map(Vec::len), Some(3));
        assert!(c.stages[1].series_values.is_none(), "an empty graph stays empty");
        assert_eq!(c.stages[2].series.len(), 1, "a graph off the shared instants stays per tick");
        let a = c.alerts[0].runs.as_ref().unwrap();
        assert_eq!(a.step, M);
        // inactive 0-1, pending 2-3 valued, firing 4 valued, firing 5 cleared, inactive NaN 6, inactive ruler-late 7, inactive 8-9
        assert_eq!(a.runs.len(), 7, "{:?}", a.runs);
        assert_eq!(a.values.len(), 4);
        assert!(c.alerts[1].runs.as_ref().is_some_and(|r| r.runs.is_empty()));
        assert!(c.alerts[3].runs.is_none() && c.alerts[3].timeline.len() == 3, "uneven ticks stay per tick");
    }

    /// Issue 11's size target: 200 stages over a day at 1 m in at most 1 MB (0.96 MB; with every
    /// value of every firing tick it was 1.31 MB, 0.46 MB of them values). The shape of
    /// `frontend/bench/panel-bench.mjs`' answer: a chain, 240-point graphs, one alert per stage that
    /// is warning or critical about a fifth of the day, with a value while it holds (as a threshold
    /// rule's alert has: none while inactive).
    #[test]
    fn two_hundred_stages_over_a_day_fit_in_a_megabyte() {
        let mut a = answer();
        let ticks: Vec<i64> = (0..1440).map(|i| i * M).collect();
        let status_at = |s: i64, i: i64| {
            if (i + s * 37) % 400 < 60 {
                StageStatus::Warning
            } else if (i + s * 11) % 700 < 30 {
                StageStatus::Critical
            } else {
                StageStatus::Ok
            }
        };
        let graph = |s: i64| -> Vec<Point> {
            (0..240).map(|i| Point { t: i * 6 * M, v: Some((200 + (i * (s + 3)) % 97 * 12) as f64) }).collect()
        };
        let template = a.stages[0].clone();
        a.stages = (0..200)
            .map(|s| StageHealth {
                id: format!("s{s}"),
                series: graph(s),
                status_timeline: ticks.iter().map(|t| status_at(s, t / M)).collect(),
                ..template.clone()
            })
            .collect();
        let edge = a.edges[0].clone();
        a.edges = (1..200)
            .map(|s| EdgeHealth { from: format!("s{}", s - 1), to: format!("s{s}"), series: graph(s), ..edge.clone() })
            .collect();
        a.alerts = (0..200)
            .map(|s| AlertTimeline {
                name: format!("Alert{s}"),
                timeline: ticks
                    .iter()
                    .map(|t| {
                        if status_at(s, t / M) == StageStatus::Ok {
                            point(t / M, AlertState::Inactive, None, None)
                        } else {
                            point(t / M, AlertState::Firing, Some(1532.25), Some(0))
                        }
                    })
                    .collect(),
                ..AlertTimeline::default()
            })
            .collect();
        a.ticks = ticks;
        let (per_tick, runs) = (wire(&a).len(), wire(&compact(a.clone())).len());
        eprintln!("200 stages, a day at 1 m: {per_tick} bytes per tick, {runs} compact");
        assert!(runs <= 1_000_000, "{runs} bytes compact ({per_tick} per tick)");
        assert_eq!(wire(&expand(compact(a.clone())).unwrap()), wire(&sampled(&a)));
    }

    /// The panel reads alerts from their runs (`readable`): every accessor must say what the per-tick
    /// timeline says, at every moment, between ticks and outside them too.
    #[test]
    fn runs_read_as_the_per_tick_timeline_does() {
        let mut a = answer();
        // The ruler's view over a stretch that spans runs of other states.
        for (i, p) in a.alerts[0].timeline.iter_mut().enumerate() {
            p.ruler = Some(if (3..8).contains(&i) { AlertState::Firing } else { AlertState::Inactive });
            p.agrees = Some(p.ruler == Some(p.state));
        }
        let c = readable(serde_json::from_str(&serde_json::to_string(&compact(a.clone())).unwrap()).unwrap()).unwrap();
        let a = sampled(&a);
        for (ours, theirs) in a.alerts.iter().zip(&c.alerts) {
            assert_eq!(theirs.runs.is_some(), ours.name != "Uneven", "{}", ours.name);
            assert_eq!(wire_points(&theirs.points()), wire_points(&ours.timeline), "{}", ours.name);
            assert_eq!(theirs.first_active_at(), ours.first_active_at());
            assert_eq!(
                wire_points(&theirs.last_point().into_iter().collect::<Vec<_>>()),
                wire_points(&ours.timeline.last().copied().into_iter().collect::<Vec<_>>())
            );
            for t in (-2..24).map(|h| h * M / 2 - 1) {
                let (p, q) = (ours.point_at(t), theirs.point_at(t));
                assert_eq!(
                    wire_points(&p.into_iter().collect::<Vec<_>>()),
                    wire_points(&q.into_iter().collect::<Vec<_>>()),
                    "{} at {t}",
                    ours.name
                );
                assert_eq!(ours.ruler_since(t), theirs.ruler_since(t), "{} at {t}", ours.name);
            }
        }
        assert_eq!(c.alerts[0].ruler_since(7 * M), Some(3 * M), "the ruler's firing began at tick 3");
        assert_eq!(c.alerts[0].point_at(4 * M + 59_999).map(|p| (p.t, p.value)), Some((4 * M, Some(1004.0))));
    }

    /// Garbled runs read through the accessors give nothing or a point of theirs, never a panic.
    #[test]
    fn unchecked_garbled_runs_never_panic() {
        let mut a = compact(answer()).alerts.remove(0);
        let good = a.runs.clone().unwrap();
        for (step, until, values) in [(0, 9 * M, 4), (-M, 0, 4), (M, i64::MAX, 0), (M, i64::MIN, 99), (7, 3, 1)] {
            let mut runs = good.clone();
            runs.step = step;
            runs.runs[0].until = until;
            runs.values.truncate(values);
            a.runs = Some(runs);
            for t in [i64::MIN, -1, 0, 5 * M, i64::MAX] {
                let _ = (a.point_at(t), a.ruler_since(t), a.last_point(), a.first_active_at());
            }
            assert!(check(a.runs.as_ref().unwrap()).is_err() || values == 4);
        }
    }

    #[test]
    fn a_per_tick_answer_expands_to_itself() {
        let a = answer();
        assert_eq!(wire(&expand(a.clone()).unwrap()), wire(&a));
    }

    #[test]
    fn garbled_compact_answers_are_errors() {
        let c = compact(answer());
        let mut gap = c.clone();
        gap.stages[0].status_runs.as_mut().unwrap().remove(2);
        assert!(expand(gap).unwrap_err().to_string().contains("stage kafka: a tick has no status run"));
        let mut overlap = c.clone();
        overlap.stages[0].status_runs.as_mut().unwrap()[1].t = 0;
        assert!(expand(overlap).is_err());
        let mut short = c.clone();
        short.edges[0].series_values.as_mut().unwrap().pop();
        assert!(expand(short)
            .unwrap_err()
            .to_string()
            .contains("edge from kafka: its values are not one per spark instant"));
        let mut huge = c.clone();
        huge.alerts[0].runs.as_mut().unwrap().runs[0].until = i64::MAX / M * M;
        assert!(expand(huge).is_err());
        assert_eq!(MAX_TICKS, 100_000, "the texts name it");
        let mut zero = c.clone();
        zero.alerts[0].runs.as_mut().unwrap().step = 0;
        assert!(expand(zero).is_err());
        let mut off = c.clone();
        off.alerts[0].runs.as_mut().unwrap().runs[0].until += 1;
        assert!(expand(off).is_err());
        let mut fewer = c.clone();
        fewer.alerts[0].runs.as_mut().unwrap().values.pop();
        assert!(expand(fewer).unwrap_err().to_string().contains("alert A: its values are not one per valued tick"));
        let mut more = c;
        more.alerts[0].runs.as_mut().unwrap().values.push(Sample(None));
        assert!(expand(more).unwrap_err().to_string().contains("not one per valued tick"));
    }
}
