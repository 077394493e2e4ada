//! Prometheus' alerting-rule state machine, one label set at a time.
//!
//! This mirrors `AlertingRule.Eval` in Prometheus' `rules/alerting.go` (the
//! version with `keep_firing_for`, 2.42 and later), tick by tick:
//!
//! * a tick at which the rule's expression returns a sample for the label set
//!   starts a `pending` alert whose `activeAt` is that tick, unless one is
//!   already pending or firing (then only the value changes);
//! * a pending alert fires at the first tick `t` with `t - activeAt >= for`
//!   (so `for: 0` fires at the tick it appears);
//! * a tick without a sample ends a pending alert at once and a firing one
//!   too, unless `keep_firing_for` is set: a firing alert then stays firing
//!   while `t - keepFiringSince < keep_firing_for`, where `keepFiringSince` is
//!   the first sample-less tick; a sample in between resets it;
//! * a tick at which the rule's evaluation fails changes nothing.
//!
//! Prometheus also keeps resolved alerts for 15 minutes to resend them to
//! Alertmanager; that retention never changes a reported state, so it is not
//! modelled here.

use serde::Serialize;

/// The state Prometheus reports for an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    #[default]
    Inactive,
    Pending,
    Firing,
}

crate::by_name!(AlertState { Inactive = "inactive", Pending = "pending", Firing = "firing" });

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// Evaluation ticks: `count` instants `first, first + step, …`, all multiples of `step` since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticks {
    pub first: i64,
    pub step: i64,
    pub count: usize,
}

impl Ticks {
    /// The multiples of `step` (ms, > 0) that lie in `[from, to]`. Safe at the 64-bit limits: the
    /// ticks are clamped, never wrapped.
    pub fn covering(from: i64, to: i64, step: i64) -> Ticks {
        let step = step.max(1);
        let below = from.div_euclid(step).saturating_mul(step);
        let first = if below == from { from } else { below.saturating_add(step) };
        let count = if to < first {
            0
        } else {
            ((i128::from(to) - i128::from(first)) / i128::from(step) + 1).min(usize::MAX as i128) as usize
        };
        Ticks { first, step, count }
    }

    /// The instants `phase + k × step` that lie in `[from, to]`: a ruler group's ticks, whose slot
    /// within the interval is `phase` (taken modulo `step`). Clamped like [`Ticks::covering`].
    pub fn covering_phase(from: i64, to: i64, step: i64, phase: i64) -> Ticks {
        let step = step.max(1);
        let phase = phase.rem_euclid(step);
        let shifted = Ticks::covering(from.saturating_sub(phase), to.saturating_sub(phase), step);
        Ticks { first: shifted.first.saturating_add(phase), ..shifted }
    }

    /// The tick at index `i`.
    pub fn at(&self, i: usize) -> i64 {
        self.first.saturating_add(self.step.saturating_mul(i64::try_from(i).unwrap_or(i64::MAX)))
    }

    /// The last tick, if there is one.
    pub fn last(&self) -> Option<i64> {
        self.count.checked_sub(1).map(|i| self.at(i))
    }

    /// Index of `t` when it is one of these ticks.
    pub fn index_of(&self, t: i64) -> Option<usize> {
        let offset = t.checked_sub(self.first)?;
        if offset < 0 || offset % self.step != 0 {
            return None;
        }
        let i = usize::try_from(offset / self.step).ok()?;
        (i < self.count).then_some(i)
    }

    /// Index of the last tick at or before `t`.
    pub fn index_at_or_before(&self, t: i64) -> Option<usize> {
        let offset = t.checked_sub(self.first)?;
        if self.count == 0 || offset < 0 {
            return None;
        }
        Some(usize::try_from(offset / self.step).unwrap_or(usize::MAX).min(self.count - 1))
    }

    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.count).map(move |i| self.at(i))
    }

    /// `first, first+step, …` up to `last` (none when `last < first`): a span of ticks given by its ends.
    pub fn between(first: i64, last: i64, step: i64) -> Ticks {
        let step = step.max(1);
        let count = if last < first { 0 } else { (i128::from(last) - i128::from(first)) / i128::from(step) + 1 };
        Ticks { first, step, count: count.min(usize::MAX as i128) as usize }
    }

    /// The last tick, or the first when there are none (where a span of ticks ends, for a query).
    pub fn end(&self) -> i64 {
        self.last().unwrap_or(self.first)
    }

    /// Whether `t` is one of these ticks.
    pub fn contains(&self, t: i64) -> bool {
        self.index_of(t).is_some()
    }

    /// Whether `other`'s ticks lie on this grid (the multiples of `step` at this phase, unbounded).
    pub fn aligned(&self, other: &Ticks) -> bool {
        let step = self.step.max(1);
        other.step.max(1) % step == 0 && other.first.saturating_sub(self.first).rem_euclid(step) == 0
    }

    /// Whether every tick of `other` is one of these ticks (an empty `other` is held by any).
    pub fn holds(&self, other: &Ticks) -> bool {
        match other.last() {
            None => true,
            Some(last) => self.aligned(other) && self.contains(other.first) && self.contains(last),
        }
    }

    /// These ticks widened to cover `other`'s ends, on this grid (for an `other` that is
    /// [`Ticks::aligned`]; another's last tick may fall between two of the result's).
    pub fn union(&self, other: &Ticks) -> Ticks {
        match (self.last(), other.last()) {
            (None, _) => Ticks { step: self.step, ..*other },
            (_, None) => *self,
            (Some(a), Some(b)) => {
                let first = if other.first < self.first {
                    let back =
                        self.first.saturating_sub(other.first).saturating_add(self.step.max(1) - 1) / self.step.max(1);
                    self.first.saturating_sub(back.saturating_mul(self.step))
                } else {
                    self.first
                };
                Ticks::between(first, a.max(b), self.step)
            }
        }
    }
}

/// A rule's `for` and `keep_firing_for`, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RuleTiming {
    pub hold_ms: i64,
    pub keep_firing_for_ms: i64,
}

/// What one rule evaluation said about one label set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// The expression returned a sample for this label set.
    Sample,
    /// It returned no sample for it.
    Absent,
    /// The evaluation failed as a whole; Prometheus leaves every alert of the rule as it was.
    EvalFailed,
}

/// The alert's state at one tick, with the start of its episode while pending or firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickState {
    pub state: AlertState,
    pub active_at: Option<i64>,
}

impl TickState {
    pub const INACTIVE: TickState = TickState { state: AlertState::Inactive, active_at: None };
}

/// One alert's state, advanced one evaluation at a time.
#[derive(Debug, Clone)]
pub struct AlertMachine {
    timing: RuleTiming,
    state: AlertState,
    active_at: i64,
    keep_firing_since: Option<i64>,
}

impl AlertMachine {
    pub fn new(timing: RuleTiming) -> Self {
        AlertMachine { timing, state: AlertState::Inactive, active_at: 0, keep_firing_since: None }
    }

    /// The state as last reported.
    pub fn current(&self) -> TickState {
        match self.state {
            AlertState::Inactive => TickState::INACTIVE,
            state => TickState { state, active_at: Some(self.active_at) },
        }
    }

    /// Evaluates the rule at `ts` for this label set.
    pub fn step(&mut self, ts: i64, observation: Observation) -> TickState {
        match observation {
            Observation::EvalFailed => {}
            Observation::Sample => {
                if self.state == AlertState::Inactive {
                    self.state = AlertState::Pending;
                    self.active_at = ts;
                }
                self.keep_firing_since = None;
                if self.state == AlertState::Pending && ts - self.active_at >= self.timing.hold_ms {
                    self.state = AlertState::Firing;
                }
            }
            Observation::Absent => {
                let mut keep_firing = false;
                if self.state == AlertState::Firing && self.timing.keep_firing_for_ms > 0 {
                    let since = *self.keep_firing_since.get_or_insert(ts);
                    keep_firing = ts - since < self.timing.keep_firing_for_ms;
                }
                if !keep_firing {
                    self.state = AlertState::Inactive;
                    self.keep_firing_since = None;
                }
            }
        }
        self.current()
    }
}

/// Runs the state machine over `ticks`, asking `observe` what the rule returned at each.
///
/// Writes one state per tick into `out` (cleared first), so callers evaluating
/// many series can reuse one buffer.
pub fn run_alert(
    timing: RuleTiming,
    ticks: &Ticks,
    mut observe: impl FnMut(usize) -> Observation,
    out: &mut Vec<TickState>,
) {
    out.clear();
    out.reserve(ticks.count);
    let mut machine = AlertMachine::new(timing);
    for i in 0..ticks.count {
        out.push(machine.step(ticks.at(i), observe(i)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlertState::*;

    const M: i64 = 60_000;

    #[test]
    fn phased_ticks_sit_in_their_slot() {
        let t = Ticks::covering_phase(0, 10 * M, M, 5_662);
        assert_eq!((t.first, t.count, t.last()), (5_662, 10, Some(9 * M + 5_662)));
        // A phase is taken within the interval, and a tick on either bound is kept.
        assert_eq!(Ticks::covering_phase(M + 5_662, 2 * M + 5_662, M, M + 5_662).count, 2);
        assert_eq!(Ticks::covering_phase(0, M, M, -1), Ticks { first: M - 1, step: M, count: 1 });
        assert_eq!(Ticks::covering_phase(i64::MAX - 5, i64::MAX, M, 7).count, 0);
    }

    #[test]
    fn spans_of_ticks_hold_join_and_contain() {
        let t = Ticks::between(10 * M, 20 * M, M);
        assert_eq!((t.count, t.end(), Ticks::between(5, 4, M).count), (11, 20 * M, 0));
        assert!(t.contains(12 * M) && !t.contains(12 * M + 1) && !t.contains(21 * M));
        // Held: on the grid and within the ends; a coarser step on the same grid is held too.
        assert!(t.holds(&Ticks::between(12 * M, 18 * M, 2 * M)));
        assert!(!t.holds(&Ticks::between(12 * M + 1, 18 * M, M)), "another phase");
        assert!(!t.holds(&Ticks::between(12 * M, 22 * M, M)), "past the end");
        assert!(t.holds(&Ticks { first: 7, step: M, count: 0 }), "nothing is held by anything");
        // Widened to cover another span's ends, on its own grid.
        assert_eq!(t.union(&Ticks::between(8 * M, 9 * M, M)), Ticks::between(8 * M, 20 * M, M));
        assert_eq!(t.union(&Ticks::between(15 * M, 25 * M, 5 * M)), Ticks::between(10 * M, 25 * M, M));
        assert!(Ticks::between(i64::MIN, i64::MAX, 1).count > 0, "clamped, never wrapped");
    }

    /// Runs a one-minute-tick scenario written as a string: `x` sample, `.` absent, `e` failed eval.
    fn run(script: &str, hold_m: i64, keep_m: i64) -> Vec<TickState> {
        let ticks = Ticks { first: 0, step: M, count: script.len() };
        let obs: Vec<Observation> = script
            .chars()
            .map(|c| match c {
                'x' => Observation::Sample,
                '.' => Observation::Absent,
                'e' => Observation::EvalFailed,
                _ => panic!("bad script char {c}"),
            })
            .collect();
        let mut out = Vec::new();
        run_alert(RuleTiming { hold_ms: hold_m * M, keep_firing_for_ms: keep_m * M }, &ticks, |i| obs[i], &mut out);
        out
    }

    fn states(out: &[TickState]) -> String {
        out.iter()
            .map(|s| match s.state {
                Inactive => '_',
                Pending => 'P',
                Firing => 'F',
            })
            .collect()
    }

    #[test]
    fn pending_then_firing_once_for_has_elapsed() {
        let out = run("xxxxx", 3, 0);
        assert_eq!(states(&out), "PPPFF");
        assert!(out.iter().all(|s| s.active_at == Some(0)));
    }

    #[test]
    fn for_zero_fires_at_once() {
        assert_eq!(states(&run(".x.x", 0, 0)), "_F_F");
    }

    #[test]
    fn a_gap_ends_pending_and_restarts_the_clock() {
        let out = run("xx.xxxx", 3, 0);
        assert_eq!(states(&out), "PP_PPPF");
        assert_eq!(out[3].active_at, Some(3 * M));
        assert_eq!(out[6].active_at, Some(3 * M));
    }

    #[test]
    fn a_gap_ends_firing_without_keep_firing_for() {
        assert_eq!(states(&run("xxxx.x", 1, 0)), "PFFF_P");
    }

    #[test]
    fn keep_firing_for_holds_a_firing_alert() {
        // Fires at 2m, absent from 4m: keeps firing while t - 4m < 3m, i.e. at 4m, 5m, 6m.
        assert_eq!(states(&run("xxxx.....", 2, 3)), "PPFFFFF__");
    }

    #[test]
    fn keep_firing_for_does_not_hold_a_pending_alert() {
        assert_eq!(states(&run("xx.x", 5, 10)), "PP_P");
    }

    #[test]
    fn a_sample_resets_keep_firing_since() {
        // Firing from 1m; absent 3m-4m (kept); back at 5m; absent again from 6m: a fresh 3m allowance.
        assert_eq!(states(&run("xxx..x....", 1, 3)), "PFFFFFFFF_");
    }

    #[test]
    fn active_at_survives_keep_firing() {
        let out = run("xxx..x", 1, 5);
        assert!(out.iter().all(|s| s.active_at == Some(0)));
    }

    #[test]
    fn failed_evaluation_changes_nothing() {
        // A failure on the tick that would have fired delays firing to the next one.
        assert_eq!(states(&run("xxeexx", 2, 0)), "PPPPFF");
        assert_eq!(states(&run("e.e", 0, 0)), "___");
        assert_eq!(states(&run("xxxe.", 1, 0)), "PFFF_");
    }

    #[test]
    fn ticks_cover_multiples_of_the_step() {
        let t = Ticks::covering(61_000, 300_000, M);
        assert_eq!(t, Ticks { first: 120_000, step: M, count: 4 });
        assert_eq!(t.last(), Some(300_000));
        assert_eq!(Ticks::covering(60_000, 60_000, M).count, 1);
        assert_eq!(Ticks::covering(61_000, 119_999, M).count, 0);
        assert_eq!(Ticks::covering(-90_000, 0, M), Ticks { first: -60_000, step: M, count: 2 });
        assert_eq!(t.index_of(180_000), Some(1));
        assert_eq!(t.index_of(180_001), None);
        assert_eq!(t.index_of(360_000), None);
        assert_eq!(t.index_at_or_before(200_000), Some(1));
        assert_eq!(t.index_at_or_before(10_000_000), Some(3));
        assert_eq!(t.index_at_or_before(0), None);
    }

    #[test]
    fn ticks_never_wrap_at_the_64_bit_limits() {
        let t = Ticks::covering(i64::MAX - 5, i64::MAX, 60_000);
        assert!(t.count <= 1, "clamped, never wrapped to a negative tick: {t:?}");
        assert!(t.first > 0);
        let t = Ticks::covering(i64::MIN, i64::MAX, i64::MAX);
        assert!(t.count >= 2);
        assert_eq!(t.index_of(i64::MIN), Some(0));
        assert_eq!(t.index_of(0), None);
        assert_eq!(Ticks { first: i64::MAX - 1, step: 1, count: 10 }.at(9), i64::MAX);
        assert_eq!(Ticks { first: 0, step: 1, count: 3 }.index_at_or_before(i64::MIN), None);
    }
}
