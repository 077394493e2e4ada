//! Which ticks a `v1/evaluate` request covers, and what each upstream query must span for the
//! answer at the first tick to be exact. Pure and bounded: every time and count from the request is
//! checked before any arithmetic, so no request can wrap a number or ask for an unbounded range.

use codexflow_core::alerting::RuleTiming;
use codexflow_core::api::EvaluateRequest;
use codexflow_core::duration::format_duration;
use codexflow_core::error::FieldError;
use codexflow_core::limits::{
    check_interval, within_dates, MAX_EPOCH_MS, MAX_RULE_HOLD_MS, MAX_TICKS, SPARKLINE_POINTS, STALENESS_MS,
};
use codexflow_core::Ticks;

use crate::rules::{Group, RuleSet};

/// What one evaluation asks of the upstream, and over which ticks it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The spacing of the stages' timelines: the request's `intervalMs`, else the app's interval.
    pub interval: i64,
    /// The window's ticks: the multiples of `interval` in `[from, to]`.
    pub window: Ticks,
    /// Where the latest state is read: the window's last tick, or the last tick before it if it has none.
    pub last_tick: i64,
    /// The request's `to`: "now" for what is read as of now rather than at a tick (queue insight).
    pub to: i64,
    /// Per group, its ticks in the window (its own interval and phase); or why it cannot be ticked.
    pub groups: Vec<Result<GroupTicks, String>>,
    /// Per rule (in rule order), the ticks it is evaluated at: its group's window preceded by its
    /// lookback; or why it is not evaluated (a `for` longer than this panel evaluates, its group).
    pub rules: Vec<Result<Ticks, String>>,
    /// Headline and edge series: every multiple of a whole multiple of the interval in the window
    /// (on absolute time, so a refresh a minute later reads the same ticks and `crate::upstream::settled`
    /// has them), and then the last tick ([`Plan::spark_instants`]).
    pub spark: Ticks,
    /// The span in which a rule's selectors must have series for it to be able to fire at all.
    pub presence: (i64, i64),
}

/// One group's ticks within the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupTicks {
    /// The group's ticks in `[from, to]`: `phase + k × interval`.
    pub window: Ticks,
    /// Its last tick at or before `to` (the window's last, or the one before the window).
    pub last_tick: i64,
}

/// Checks the request and works out its ticks.
pub fn plan(req: &EvaluateRequest, default_interval_ms: i64, set: &RuleSet) -> Result<Plan, FieldError> {
    let interval = check_interval("intervalMs", req.interval_ms.unwrap_or(default_interval_ms))?;
    for (field, t) in [("from", req.from), ("to", req.to)] {
        if !within_dates(t) {
            return Err(FieldError::new(
                field,
                format!("must be epoch milliseconds between 0 and {MAX_EPOCH_MS} (the year 9999), got {t}"),
            ));
        }
    }
    if req.from > req.to {
        return Err(FieldError::new("from", format!("from ({}) is after to ({})", req.from, req.to)));
    }
    let window = Ticks::covering(req.from, req.to, interval);
    if window.count > MAX_TICKS {
        return Err(FieldError::new(
            "to",
            format!(
                "{} ticks of {interval} ms exceed the limit of {MAX_TICKS}; widen intervalMs or narrow the window",
                window.count
            ),
        ));
    }
    let last_tick = window.last().unwrap_or(req.to.div_euclid(interval) * interval);
    let groups: Vec<Result<GroupTicks, String>> = set.groups.iter().map(|g| group_ticks(g, req, interval)).collect();
    let rules: Vec<Result<Ticks, String>> = set
        .rules
        .iter()
        .map(|r| {
            let group = groups.get(r.group).cloned().unwrap_or_else(|| Err("its group is unknown".to_string()))?;
            let timing = evaluable(r.timing)?;
            Ok(eval_ticks(timing, &group))
        })
        .collect();
    let earliest =
        rules.iter().filter_map(|t| t.as_ref().ok()).map(|t| t.first).min().unwrap_or(last_tick).min(window.first);
    Ok(Plan {
        interval,
        window,
        last_tick,
        to: req.to,
        spark: sparkline_ticks(&window, last_tick),
        presence: (earliest.saturating_sub(STALENESS_MS), req.to),
        groups,
        rules,
    })
}

/// A group's ticks in the window, at its own interval (else `interval`) and phase, within limits.
fn group_ticks(group: &Group, req: &EvaluateRequest, interval: i64) -> Result<GroupTicks, String> {
    let step = match group.interval_ms {
        None => interval,
        Some(ms) => check_interval("interval", ms).map_err(|e| {
            format!("its group {} is evaluated every {}: {}", group.name, format_duration(ms), e.message)
        })?,
    };
    let window = Ticks::covering_phase(req.from, req.to, step, group.phase_ms);
    if window.count > MAX_TICKS {
        return Err(format!(
            "its group {} ticks every {}: {} ticks over this window, more than the {MAX_TICKS} allowed; narrow the time range",
            group.name,
            format_duration(step),
            window.count
        ));
    }
    let phase = group.phase_ms.rem_euclid(step);
    let last_tick = window.last().unwrap_or_else(|| (req.to - phase).div_euclid(step) * step + phase);
    Ok(GroupTicks { window, last_tick })
}

/// A rule's timing if this panel evaluates it: `for` and `keep_firing_for` together within
/// [`MAX_RULE_HOLD_MS`] (Prometheus accepts longer; such a rule would need that much history per tick).
fn evaluable(timing: RuleTiming) -> Result<RuleTiming, String> {
    if timing.hold_ms.saturating_add(timing.keep_firing_for_ms) > MAX_RULE_HOLD_MS {
        return Err(format!(
            "its for ({}) and keep_firing_for ({}) together are longer than the {} this panel evaluates",
            format_duration(timing.hold_ms),
            format_duration(timing.keep_firing_for_ms),
            format_duration(MAX_RULE_HOLD_MS)
        ));
    }
    Ok(timing)
}

/// How far before the first tick a rule must be evaluated for its state there to be exact.
///
/// A firing alert at tick `t` needs its condition to have held since `t - for`,
/// and `keep_firing_for` can stretch that back further; two extra ticks cover
/// the strict `<` in the keep-firing check and a tick that lands on the bound.
pub fn lookback_ms(timing: RuleTiming, interval: i64) -> i64 {
    timing.hold_ms.saturating_add(timing.keep_firing_for_ms).saturating_add(interval.saturating_mul(2))
}

/// The ticks a rule is evaluated at: its group's window, preceded by its lookback.
fn eval_ticks(timing: RuleTiming, group: &GroupTicks) -> Ticks {
    let step = group.window.step;
    let first_wanted = if group.window.count > 0 { group.window.first } else { group.last_tick };
    Ticks::covering_phase(
        first_wanted.saturating_sub(lookback_ms(timing, step)),
        group.last_tick,
        step,
        group.last_tick,
    )
}

impl Plan {
    /// Where the sparklines have points: the spark ticks, then the last tick when it is not one of them.
    pub fn spark_instants(&self) -> Vec<i64> {
        let mut at: Vec<i64> = self.spark.iter().collect();
        if at.last().is_none_or(|&t| t < self.last_tick) {
            at.push(self.last_tick);
        }
        at
    }
}

/// Sparkline ticks: the multiples of a whole multiple of the interval (at most one point fewer than
/// [`SPARKLINE_POINTS`], the last tick comes after them) within the window. They stay where they are
/// as the window moves; ticks ending on the last tick would move with every refresh, and each
/// refresh would ask for all of them again.
fn sparkline_ticks(window: &Ticks, last_tick: i64) -> Ticks {
    if window.count == 0 {
        return Ticks { first: last_tick, step: window.step, count: 1 };
    }
    let stride = window.count.div_ceil(SPARKLINE_POINTS - 1).max(1) as i64;
    let step = window.step.saturating_mul(stride);
    let first = window.first.saturating_add(step - 1).div_euclid(step).saturating_mul(step);
    if first > last_tick {
        return Ticks { first: last_tick, step, count: 1 };
    }
    Ticks { first, step, count: ((last_tick - first) / step + 1) as usize }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn req(from: i64, to: i64, interval_ms: Option<i64>) -> EvaluateRequest {
        EvaluateRequest { from, to, interval_ms, encoding: Default::default() }
    }

    fn none() -> RuleSet {
        RuleSet::default()
    }

    #[test]
    fn bad_windows_are_refused_with_their_field() {
        assert_eq!(plan(&req(10, 5, None), M, &none()).unwrap_err().field, "from");
        assert_eq!(plan(&req(0, 5, Some(10)), M, &none()).unwrap_err().field, "intervalMs");
        assert_eq!(plan(&req(-5, 5, None), M, &none()).unwrap_err().field, "from");
        assert_eq!(plan(&req(0, 30 * 86_400_000, Some(15_000)), M, &none()).unwrap_err().field, "to");
        let p = plan(&req(M + 1, 10 * M, None), M, &none()).unwrap();
        assert_eq!((p.interval, p.window.first, p.window.count), (M, 2 * M, 9));
    }

    #[test]
    fn numbers_near_the_64_bit_limits_are_refused_not_wrapped() {
        let huge = [
            req(0, i64::MAX, None),
            req(i64::MAX - 1, i64::MAX, None),
            req(0, 1, Some(i64::MAX)),
            req(i64::MIN, 0, None),
            req(9_000_000_000_000_000, 9_000_000_000_000_001, Some(1_000)),
        ];
        for r in huge {
            assert!(plan(&r, M, &none()).is_err(), "{r:?}");
        }
    }

    #[test]
    fn rules_held_longer_than_a_week_are_not_evaluated_and_do_not_widen_the_presence_check() {
        let rules = RuleSet::parse(
            "groups:\n- name: g\n  rules:\n  - alert: Long\n    expr: x > 1\n    for: 10y\n    labels: {stage: kafka}\n  - alert: Short\n    expr: x > 1\n    for: 5m\n    labels: {stage: kafka}\n",
        )
        .unwrap();
        let p = plan(&req(100 * 86_400_000, 100 * 86_400_000 + M, None), M, &rules).unwrap();
        assert!(p.rules[0].as_ref().unwrap_err().contains("10y"), "{:?}", p.rules[0]);
        assert!(p.rules[1].is_ok());
        assert!(100 * 86_400_000 - p.presence.0 < 86_400_000, "the presence check spans the evaluated rules only");
    }

    #[test]
    fn each_group_ticks_at_its_own_interval_and_phase() {
        let mut rules = RuleSet::parse(
            "groups:\n- name: fast\n  interval: 15s\n  rules:\n  - alert: A\n    expr: x > 1\n    for: 1m\n- name: plain\n  rules:\n  - alert: B\n    expr: x > 1\n- name: rare\n  interval: 2d\n  rules:\n  - alert: C\n    expr: x > 1\n",
        )
        .unwrap();
        rules.groups[0].phase_ms = 5_662;
        let day = 100 * 86_400_000;
        let p = plan(&req(day, day + 10 * M, None), M, &rules).unwrap();
        let fast = p.groups[0].as_ref().unwrap();
        assert_eq!((fast.window.first, fast.window.step, fast.window.count), (day + 5_662, 15_000, 40));
        assert_eq!(fast.last_tick, day + 10 * M - 15_000 + 5_662);
        // The lookback (for + two ticks) on the group's own ticks, ending on its last tick.
        let a = p.rules[0].as_ref().unwrap();
        assert_eq!((a.first, a.step, a.last()), (day + 5_662 - 90_000, 15_000, Some(fast.last_tick)));
        let plain = p.groups[1].as_ref().unwrap();
        assert_eq!((plain.window.first, plain.window.step, plain.window.count), (day, M, 11));
        assert!(p.rules[2].as_ref().unwrap_err().contains("rare is evaluated every 2d"), "{:?}", p.rules[2]);
        let over = plan(&req(day, day + 30 * 86_400_000, Some(86_400_000)), M, &rules).unwrap();
        assert!(over.rules[0].as_ref().unwrap_err().contains("more than the 100000 allowed"), "{:?}", over.rules[0]);
    }

    #[test]
    fn lookback_covers_for_and_keep_firing_for() {
        assert_eq!(lookback_ms(RuleTiming { hold_ms: 15 * M, keep_firing_for_ms: 5 * M }, M), 22 * M);
        assert_eq!(lookback_ms(RuleTiming { hold_ms: i64::MAX, keep_firing_for_ms: 1 }, M), i64::MAX);
    }

    #[test]
    fn sparklines_stay_on_their_ticks_and_end_on_the_last_tick() {
        let p = plan(&req(7 * M, 7 * M + 1440 * M, None), M, &none()).unwrap();
        let at = p.spark_instants();
        assert_eq!(at.last(), Some(&p.last_tick));
        assert!(at.len() <= SPARKLINE_POINTS && at[0] >= p.window.first && p.spark.step % M == 0);
        assert!(p.spark.iter().all(|t| t % p.spark.step == 0), "on multiples of their step: {:?}", p.spark);
        // A minute later: the same ticks (the newest may join), so what was kept serves again.
        let later = plan(&req(8 * M, 8 * M + 1440 * M, None), M, &none()).unwrap();
        assert_eq!(later.spark.step, p.spark.step);
        assert!(later.spark.iter().filter(|t| *t <= p.last_tick).all(|t| p.spark.iter().any(|u| u == t)));
        // A short window: every tick, the last among them.
        let short = plan(&req(0, 30 * M, None), M, &none()).unwrap();
        assert_eq!(short.spark, short.window);
        assert_eq!(short.spark_instants().len(), 31);
        let empty = sparkline_ticks(&Ticks { first: 0, step: M, count: 0 }, 5 * M);
        assert_eq!((empty.first, empty.count), (5 * M, 1));
    }
}
