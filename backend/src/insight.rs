//! Queue insight for a backlog stage: is the backlog growing or draining, when will it be gone or
//! cross its alert threshold, how far behind is the consumer in time, and is the consumer stuck.
//!
//! Pure: the inputs are the backlog (Kafka consumer lag, NATS pending) and, where the metrics have
//! one, the consumer's position (committed offset, ack floor) over a recent window, sampled at the
//! same instants. The consumer status follows Burrow's evaluation rules (linkedin/Burrow
//! `core/internal/evaluator/caching.go`), in Burrow's order, as far as sampled metrics allow:
//!
//! 1. the backlog is zero somewhere in the window → OK;
//! 2. the position moves backwards between two samples → REWIND;
//! 3. the position has not moved for longer than it moved before (Burrow: now − last commit >
//!    last commit − first commit in the window) → STOP;
//! 4. the position does not move at all while there is a backlog → STALL;
//! 5. the position moves but the backlog never decreases → WARNING;
//! 6. otherwise OK.
//!
//! Burrow sees each commit; a scraped offset only shows where the consumer was at each sample, so
//! "committed the same offset again" (Burrow's STALL) and "committed nothing" cannot be told apart:
//! here a position that never moves in the window is STALL, and one that moved and then stopped is
//! STOP. Without a position series only rules 1 and 5 (on the backlog alone) apply; otherwise the
//! status is unknown, and `missing` says why.

use codexflow_core::queue::{ConsumerStatus, QueueInsight, Trend};

/// One sample: epoch ms and value.
pub type Sample = (i64, f64);

/// What the insight reads.
#[derive(Debug, Clone, Copy)]
pub struct QueueInputs<'a> {
    /// Backlog samples in time order (non-finite values are left out).
    pub backlog: &'a [Sample],
    /// The consumer's position (offset, ack floor, rows inserted) at the same instants, if the
    /// metrics have one.
    pub position: Option<&'a [Sample]>,
    /// The position is a counter: a drop is a restart (read as Prometheus reads counter resets),
    /// not a rewind.
    pub position_is_counter: bool,
    /// The alert threshold on the backlog, if its rule has one.
    pub threshold: Option<f64>,
    /// The evaluation's "now", epoch ms.
    pub now: i64,
    /// The window and sample spacing the samples came from, reported with the answer.
    pub window_ms: i64,
    pub step_ms: i64,
}

/// Least-squares slope in units per second, or `None` with fewer than two distinct instants.
fn slope_per_s(samples: &[Sample]) -> Option<f64> {
    if samples.len() < 2 {
        return None;
    }
    let n = samples.len() as f64;
    let t0 = samples[0].0;
    let xs = samples.iter().map(|&(t, _)| (t - t0) as f64 / 1000.0);
    let mean_x = xs.clone().sum::<f64>() / n;
    let mean_y = samples.iter().map(|s| s.1).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, &(_, y)) in xs.zip(samples) {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    (sxx > 0.0).then(|| sxy / sxx).filter(|s| s.is_finite())
}

/// How far a backlog moves back and forth from one scraped value to the next when it has no
/// direction: the median of the steps that are turned back at once, when at least half the steps
/// turn back; 0 when it moves one way. (A small backlog that jitters by a message reads as a slope of
/// a message or two over a short window; a trend does not turn back at every step.) Only the steps
/// that turn back measure the jitter: a held level that wobbles and then a burst, scraped every few
/// seconds, holds only a handful of values, and the burst's big steps, counted too, were the median
/// (queue_live called the burst "steady" in three runs of four on a new machine).
fn back_and_forth(samples: &[Sample]) -> f64 {
    let mut runs: Vec<f64> = Vec::new();
    for &(_, v) in samples {
        if runs.last() != Some(&v) {
            runs.push(v);
        }
    }
    let steps: Vec<f64> = runs.windows(2).map(|w| w[1] - w[0]).collect();
    let turns = steps.windows(2).filter(|w| w[0].signum() != w[1].signum()).count();
    if steps.len() < 2 || 2 * turns < steps.len() - 1 {
        return 0.0;
    }
    let mut sizes: Vec<f64> = steps.windows(2).filter(|w| w[0].signum() != w[1].signum()).map(|w| w[0].abs()).collect();
    sizes.sort_by(f64::total_cmp);
    sizes.get(sizes.len() / 2).copied().unwrap_or(0.0)
}

/// Milliseconds for `amount` at `per_s`, when that is a finite, representable time.
fn ms_for(amount: f64, per_s: f64) -> Option<i64> {
    let ms = amount / per_s * 1000.0;
    (ms.is_finite() && (0.0..1e15).contains(&ms)).then(|| ms.round() as i64)
}

/// The backlog's trend: steady while the fitted change over the window stays within 2 % of the mean
/// backlog, one message, and three times its back and forth between scrapes, so noise around a
/// level is not called growth.
fn trend(samples: &[Sample], rate: f64) -> Trend {
    let span_s = samples.last().map_or(0, |l| l.0 - samples[0].0) as f64 / 1000.0;
    let mean = samples.iter().map(|s| s.1).sum::<f64>() / samples.len().max(1) as f64;
    let change = rate * span_s;
    // Nor is a change that the backlog's own back and forth could give.
    if change.abs() <= (0.02 * mean.abs()).max(1.0).max(3.0 * back_and_forth(samples)) {
        Trend::Steady
    } else if change > 0.0 {
        Trend::Growing
    } else {
        Trend::Draining
    }
}

/// Burrow's rules over the window (see the module docs).
fn consumer_status(backlog: &[Sample], position: Option<&[Sample]>, now: i64) -> ConsumerStatus {
    if backlog.iter().any(|s| s.1 == 0.0) {
        return ConsumerStatus::Ok;
    }
    let lag_not_decreasing = backlog.windows(2).all(|w| w[1].1 >= w[0].1);
    let Some(pos) = position.filter(|p| p.len() >= 2) else {
        // From the backlog alone: falling behind is known; that the consumer is fine is not (it may
        // have stopped after the backlog last fell), so it is unknown, never OK.
        return if lag_not_decreasing && backlog.len() >= 2 {
            ConsumerStatus::Warning
        } else {
            ConsumerStatus::Unknown
        };
    };
    if pos.windows(2).any(|w| w[1].1 < w[0].1) {
        return ConsumerStatus::Rewind;
    }
    let last_move = pos.windows(2).rev().find(|w| w[1].1 != w[0].1).map(|w| w[1].0);
    match last_move {
        None => ConsumerStatus::Stall,
        Some(last) if now - last > last - pos[0].0 => ConsumerStatus::Stop,
        Some(_) if lag_not_decreasing => ConsumerStatus::Warning,
        Some(_) => ConsumerStatus::Ok,
    }
}

/// A counter's samples with its resets undone: after a drop, every later sample is raised by the
/// value before the drop (Prometheus' `rate` reads counters the same way).
fn without_resets(samples: &[Sample]) -> Vec<Sample> {
    let mut offset = 0.0;
    let mut previous: Option<f64> = None;
    samples
        .iter()
        .map(|&(t, v)| {
            if let Some(p) = previous.filter(|p| v < *p) {
                offset += p;
            }
            previous = Some(v);
            (t, v + offset)
        })
        .collect()
}

/// How old the data the consumer takes now is: the time since the message at its position was
/// produced, read as kafka-lag-exporter reads a consumer group's lag in seconds
/// (`LookupTable.scala`): the produced count at each sample is position + backlog, and the instant
/// it reached the consumer's current position is interpolated between the two samples around it.
/// Caught up (no backlog) is 0; a position the window's produced counts never reach back to gives
/// the window as a lower bound (`true`). `None` without a sample of both at one instant.
pub fn data_age(backlog: &[Sample], position: &[Sample]) -> Option<(i64, bool)> {
    // Produced = position + backlog, at the instants both were sampled (both in time order: a
    // merge, as this runs at every tick of a range).
    let mut produced: Vec<(i64, f64, f64)> = Vec::with_capacity(position.len());
    let mut j = 0;
    for &(t, p) in position {
        while backlog.get(j).is_some_and(|b| b.0 < t) {
            j += 1;
        }
        if let Some(&(_, b)) = backlog.get(j).filter(|b| b.0 == t) {
            produced.push((t, p + b, p));
        }
    }
    let &(now, produced_now, at) = produced.last()?;
    if produced_now - at <= 0.0 {
        return Some((0, false));
    }
    // The latest sample whose produced count had not yet reached the position: the position's
    // message was produced between it and the next.
    let Some(j) = produced.iter().rposition(|&(_, p, _)| p <= at) else {
        return Some((now - produced[0].0, true));
    };
    let (t0, p0, _) = produced[j];
    let Some(&(t1, p1, _)) = produced.get(j + 1) else { return Some((0, false)) };
    let fraction = if p1 > p0 { ((at - p0) / (p1 - p0)).clamp(0.0, 1.0) } else { 1.0 };
    let reached = t0 as f64 + fraction * (t1 - t0) as f64;
    Some(((now as f64 - reached).max(0.0).round() as i64, false))
}

/// The insight for one backlog stage; without any backlog sample, everything is unknown and
/// `missing` (filled by the caller) says why.
pub fn queue_insight(inputs: &QueueInputs, mut missing: Vec<String>) -> QueueInsight {
    let finite = |p: &[Sample]| -> Vec<Sample> { p.iter().copied().filter(|s| s.1.is_finite()).collect() };
    let backlog = finite(inputs.backlog);
    let position: Option<Vec<Sample>> =
        inputs.position.map(finite).map(|p| if inputs.position_is_counter { without_resets(&p) } else { p });
    let unknown = QueueInsight {
        window_ms: inputs.window_ms,
        step_ms: inputs.step_ms,
        threshold: inputs.threshold,
        ..Default::default()
    };
    let Some(&(_, current)) = backlog.last() else {
        return QueueInsight { missing, ..unknown };
    };
    let rate = slope_per_s(&backlog);
    if rate.is_none() {
        missing.push("the backlog's trend: one sample in the window".to_string());
    }
    let trend = rate.map_or(Trend::Unknown, |r| trend(&backlog, r));
    let rate_per_s = rate.unwrap_or(0.0);
    let drain_in_ms = (trend == Trend::Draining).then(|| ms_for(current, -rate_per_s)).flatten();
    let crosses_in_ms = match (trend, inputs.threshold) {
        (Trend::Growing, Some(th)) if current < th => ms_for(th - current, rate_per_s),
        _ => None,
    };
    let consumer = consumer_status(&backlog, position.as_deref(), inputs.now);
    // A stuck consumer has no rate to be behind by: the slope of a position that stopped would
    // promise a catch-up that is not happening.
    let consume = position.as_deref().and_then(slope_per_s).filter(|_| !consumer.is_stuck());
    let lag_time_ms = consume.filter(|c| *c > 0.0).and_then(|c| ms_for(current, c));
    let age = position.as_deref().and_then(|p| data_age(&backlog, p));
    QueueInsight {
        trend,
        backlog: Some(current),
        rate_per_s: rate,
        drain_in_ms,
        crosses_in_ms,
        lag_time_ms,
        age_ms: age.map(|a| a.0),
        age_is_bound: age.is_some_and(|a| a.1),
        consumer,
        missing,
        ..unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;
    const T0: i64 = 1_796_000_000_000;

    /// Samples every 15 s for 10 minutes of `f(seconds)`.
    fn series(f: impl Fn(f64) -> f64) -> Vec<Sample> {
        (0..=40).map(|i| (T0 + i * 15 * S, f((i * 15) as f64))).collect()
    }

    fn now() -> i64 {
        T0 + 600 * S
    }

    fn inputs<'a>(backlog: &'a [Sample], position: Option<&'a [Sample]>, threshold: Option<f64>) -> QueueInputs<'a> {
        QueueInputs {
            backlog,
            position,
            position_is_counter: false,
            threshold,
            now: now(),
            window_ms: 600 * S,
            step_ms: 15 * S,
        }
    }

    fn insight(backlog: &[Sample], position: Option<&[Sample]>, threshold: Option<f64>) -> QueueInsight {
        queue_insight(&inputs(backlog, position, threshold), Vec::new())
    }

    #[test]
    fn the_data_age_is_when_the_consumers_position_was_produced() {
        // Produced at 10/s from 10,000 (position + backlog); the consumer 200 behind: 20 s old.
        let produced = |s: f64| 10_000.0 + 10.0 * s;
        let position = series(|s| produced(s) - 200.0);
        let backlog = series(|_| 200.0);
        assert_eq!(data_age(&backlog, &position), Some((20 * S, false)));
        // Caught up: fresh.
        assert_eq!(data_age(&series(|_| 0.0), &series(produced)), Some((0, false)));
        // Stopped at 300 s while production goes on: the position's message was produced 20 s
        // before the stop, so it is 320 s old at 600 s; the age grows a second a second.
        let stopped = series(|s| produced(s.min(300.0)) - 200.0);
        let backlog = series(|s| produced(s) - (produced(s.min(300.0)) - 200.0));
        assert_eq!(data_age(&backlog, &stopped), Some((320 * S, false)));
        // Older than the window: a lower bound.
        let far = series(|s| produced(s) - 9_000.0);
        assert_eq!(data_age(&series(|_| 9_000.0), &far), Some((600 * S, true)));
        // Interpolated between samples: 25 messages at 10/s behind is 2.5 s, not a whole step.
        assert_eq!(data_age(&series(|_| 25.0), &series(|s| produced(s) - 25.0)), Some((2_500, false)));
        // No instant with both: unknown.
        assert_eq!(data_age(&[(T0, 5.0)], &[(T0 + 1, 5.0)]), None);
        // It is part of the insight, and said.
        let i = insight(&series(|_| 200.0), Some(&series(|s| produced(s) - 200.0)), None);
        assert_eq!((i.age_ms, i.age_is_bound), (Some(20 * S), false));
        assert!(
            i.clone().worded().details.iter().any(|d| d == "Data about 20s old when consumed"),
            "{:?}",
            i.worded().details
        );
    }

    #[test]
    fn linear_growth_crosses_the_threshold_at_the_exact_time() {
        // 200 + 2/s: 1,400 after 600 s; 1,500 is 50 s away. The consumer moves at 10/s.
        let backlog = series(|s| 200.0 + 2.0 * s);
        let position = series(|s| 10_000.0 + 10.0 * s);
        let i = insight(&backlog, Some(&position), Some(1500.0));
        assert_eq!(i.trend, Trend::Growing);
        assert!((i.rate_per_s.unwrap() - 2.0).abs() < 1e-9);
        assert_eq!((i.crosses_in_ms, i.drain_in_ms), (Some(50 * S), None));
        assert_eq!(i.lag_time_ms, Some(140 * S), "1,400 messages at 10/s");
        assert_eq!(i.consumer, ConsumerStatus::Warning, "moving, lag never decreasing: Burrow's rule 5");
        assert!(i.missing.is_empty());
    }

    #[test]
    fn linear_drain_is_gone_at_the_exact_time() {
        // 3,000 − 4/s: 600 left after 600 s, 150 s to go.
        let backlog = series(|s| 3000.0 - 4.0 * s);
        let position = series(|s| 50.0 * s);
        let i = insight(&backlog, Some(&position), Some(1000.0));
        assert_eq!((i.trend, i.drain_in_ms, i.crosses_in_ms), (Trend::Draining, Some(150 * S), None));
        assert_eq!(i.consumer, ConsumerStatus::Ok);
    }

    #[test]
    fn a_consumer_that_never_moves_is_stalled_and_one_that_stopped_is_stop() {
        let backlog = series(|s| 500.0 + s);
        let still = series(|_| 42.0);
        assert_eq!(insight(&backlog, Some(&still), None).consumer, ConsumerStatus::Stall);
        assert_eq!(insight(&backlog, Some(&still), None).lag_time_ms, None, "no consume rate, no lag in time");
        // Moved for the first 4 minutes, then nothing for 6: longer still than moving.
        let stopped = series(|s| 100.0 * s.min(240.0));
        assert_eq!(insight(&backlog, Some(&stopped), None).consumer, ConsumerStatus::Stop);
        assert_eq!(
            insight(&backlog, Some(&stopped), None).lag_time_ms,
            None,
            "a stopped consumer is not behind by a rate"
        );
        // Moved for 7 minutes, still for 3: not stopped, and the lag never fell: warning.
        let paused = series(|s| 100.0 * s.min(420.0));
        assert_eq!(insight(&backlog, Some(&paused), None).consumer, ConsumerStatus::Warning);
    }

    #[test]
    fn an_offset_moving_back_is_a_rewind_and_zero_lag_is_always_ok() {
        let backlog = series(|s| 800.0 + s);
        let rewound = series(|s| if s < 300.0 { 1000.0 + s } else { 500.0 + s });
        assert_eq!(insight(&backlog, Some(&rewound), None).consumer, ConsumerStatus::Rewind);
        let caught_up = series(|s| if s == 300.0 { 0.0 } else { 800.0 + s });
        assert_eq!(
            insight(&caught_up, Some(&rewound), None).consumer,
            ConsumerStatus::Ok,
            "Burrow's rule 1 comes first"
        );
    }

    #[test]
    fn absent_or_broken_inputs_are_said_not_guessed() {
        let none = queue_insight(&inputs(&[], None, Some(1000.0)), vec!["backlog: no series".into()]);
        assert_eq!(
            (none.trend, none.consumer, none.backlog, none.threshold),
            (Trend::Unknown, ConsumerStatus::Unknown, None, Some(1000.0))
        );
        assert_eq!(none.missing, ["backlog: no series"]);
        // Draining, with no position: the consumer moved, but whether it still does is not known.
        let draining = series(|s| 3000.0 - 4.0 * s);
        let i = insight(&draining, None, None);
        assert_eq!(i.consumer, ConsumerStatus::Unknown);
        assert!(!i.details().iter().any(|d| d == "Consumer OK"), "{:?}", i.details());
        let level = series(|s| 1000.0 + (s / 15.0) % 2.0);
        let i = insight(&level, None, Some(2000.0));
        assert_eq!((i.trend, i.crosses_in_ms, i.lag_time_ms), (Trend::Steady, None, None));
        let one = [(T0, 5.0), (T0 + S, f64::NAN)];
        let i = insight(&one, None, None);
        assert_eq!((i.trend, i.rate_per_s, i.backlog), (Trend::Unknown, None, Some(5.0)));
        assert_eq!(i.missing, ["the backlog's trend: one sample in the window"]);
        // A fall of 1e290 on 1e300 is noise: steady, no drain time, nothing overflows.
        let huge = [(T0, 1e300), (T0 + S, 1e300 - 1e290)];
        assert_eq!((insight(&huge, None, None).trend, insight(&huge, None, None).drain_in_ms), (Trend::Steady, None));
        assert_eq!(ms_for(1e300, 1e-300), None, "a time beyond any clock is not given");
    }

    #[test]
    fn a_small_backlog_jittering_by_a_message_is_steady_not_draining() {
        // 40 pending, read every second from 5 s scrapes that land on 39, 40 or 41: no trend.
        let jitter = [41.0, 41.0, 40.0, 40.0, 39.0, 39.0, 40.0];
        let level: Vec<Sample> = (0..=30).map(|i| (T0 + i * S, jitter[(i / 5) as usize])).collect();
        assert_eq!(insight(&level, None, Some(1000.0)).trend, Trend::Steady);
        // The same scrapes on a real drain of 2/s are a drain.
        let draining: Vec<Sample> =
            (0..=30).map(|i| (T0 + i * S, 100.0 - 10.0 * (i / 5) as f64 + jitter[(i / 5) as usize] - 40.0)).collect();
        assert_eq!(insight(&draining, None, None).trend, Trend::Draining);
    }

    #[test]
    fn a_held_level_that_wobbles_and_then_a_burst_is_growing() {
        // queue_live's "Kafka lag past 1,000" 10 s in, read every second from 5 s scrapes: the level
        // held at 240 wobbles by half a message, then the burst adds 450 a scrape. Two of the three
        // turns are the wobble's, but the burst's steps were the median of all steps, so the
        // back-and-forth looked like 450 a step and the burst like noise.
        let scrapes = [240.0, 240.0, 240.0, 240.5, 240.2, 690.0, 1140.0];
        let backlog: Vec<Sample> = (0..=30).map(|i| (T0 + i * S, scrapes[(i / 5) as usize])).collect();
        let i = insight(&backlog, None, None);
        assert_eq!(i.trend, Trend::Growing, "rate {:?}", i.rate_per_s);
    }

    #[test]
    fn a_counter_position_that_resets_is_a_restart_not_a_rewind() {
        let backlog = series(|s| 800.0 + s);
        // Rows inserted: 5/s, the process restarted at 300 s and counts from zero again.
        let inserted = series(|s| if s < 300.0 { 10_000.0 + 5.0 * s } else { 5.0 * (s - 300.0) });
        let counter = QueueInputs { position_is_counter: true, ..inputs(&backlog, Some(&inserted), None) };
        let i = queue_insight(&counter, Vec::new());
        assert_eq!(i.consumer, ConsumerStatus::Warning, "moving, the backlog rising");
        assert_eq!(
            insight(&backlog, Some(&inserted), None).consumer,
            ConsumerStatus::Rewind,
            "the same drop in an offset"
        );
        assert_eq!(without_resets(&[(0, 5.0), (1, 7.0), (2, 1.0), (3, 2.0)]), [(0, 5.0), (1, 7.0), (2, 8.0), (3, 9.0)]);
    }
}
