//! The Codex pipeline's telemetry, told as stories a test or a demo can replay.
//!
//! Metric names and labels are those of kafka-exporter, the NATS JetStream
//! exporter (both label spellings) and Jangar's OTLP metrics, as the runbook's
//! raw panels query them. Times below are minutes since the story's start.

use crate::scenario::Scenario;

pub const MINUTE: i64 = 60_000;
const SCRAPE: i64 = 15_000;
const GROUP: (&str, &str) = ("consumergroup", "jangar-codex-completions");
const TOPIC: (&str, &str) = ("topic", "argo.workflows.completions");

/// Which label spelling the NATS metrics use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NatsLabels {
    /// prometheus-nats-exporter: `stream_name`, `consumer_name`.
    Exporter,
    /// An Alloy scrape: `stream`, `consumer`.
    Alloy,
}

fn within(t: i64, from_m: i64, to_m: i64) -> bool {
    t >= from_m * MINUTE && t < to_m * MINUTE
}

fn minutes(t: i64) -> f64 {
    t as f64 / MINUTE as f64
}

/// Kafka: total consumer lag `lag(t)` split 60/30/10 over three partitions, offsets advancing at `rate` msg/s.
pub fn kafka(sc: &mut Scenario, lag: impl Fn(i64) -> Option<f64> + Copy, rate: f64) {
    for (partition, share) in [("0", 0.6), ("1", 0.3), ("2", 0.1)] {
        sc.series("kafka_consumergroup_lag", &[GROUP, ("partition", partition), TOPIC], move |t| {
            lag(t).map(|l| (l * share).round())
        });
        sc.series("kafka_topic_partition_current_offset", &[("partition", partition), TOPIC], move |t| {
            Some(1_000_000.0 + (rate * share * t as f64 / 1000.0).round())
        });
    }
}

/// NATS: consumer pending `pending(t)`; the stream's last sequence advancing at `publish(t)` msg/s.
pub fn nats(
    sc: &mut Scenario,
    spelling: NatsLabels,
    pending: impl Fn(i64) -> Option<f64>,
    publish: impl Fn(i64) -> f64,
    present: impl Fn(i64) -> bool + Copy,
) {
    let (stream_key, consumer_key) = match spelling {
        NatsLabels::Exporter => ("stream_name", "consumer_name"),
        NatsLabels::Alloy => ("stream", "consumer"),
    };
    sc.series(
        "jetstream_consumer_num_pending",
        &[(consumer_key, "jangar-agent-comms"), (stream_key, "agent-comms")],
        move |t| {
            if present(t) {
                pending(t)
            } else {
                None
            }
        },
    );
    sc.counter("jetstream_stream_last_seq", &[(stream_key, "agent-comms")], publish, |_| false, present);
    sc.series("jetstream_stream_total_messages", &[(stream_key, "agent-comms")], move |t| {
        present(t).then_some(50_000.0 + minutes(t) * 10.0)
    });
    sc.series("jetstream_stream_total_bytes", &[(stream_key, "agent-comms")], move |t| {
        present(t).then_some(2.0e7 + minutes(t) * 4096.0)
    });
}

/// Jangar: inserts at `inserts(t)`/s (counter reset where `restart(t)`), ingest errors at 0.01/s.
pub fn jangar(sc: &mut Scenario, inserts: impl Fn(i64) -> f64, restart: impl Fn(i64) -> bool + Copy) {
    sc.counter("jangar_agent_comms_inserted_total", &[], inserts, restart, |_| true);
    sc.counter(
        "jangar_agent_comms_ingest_errors_total",
        &[],
        |t| if within(t, 0, 5) { 0.0 } else { 0.02 },
        restart,
        |_| true,
    );
}

/// SSE: connections opened/closed per stream, errors at `errors(stream, t)`/s.
pub fn sse(sc: &mut Scenario, errors: impl Fn(&str, i64) -> f64 + Copy, restart: impl Fn(i64) -> bool + Copy) {
    for (stream, opened_rate, closed_rate) in [("chat", 0.5, 0.48), ("agent-events", 0.3, 0.29)] {
        sc.counter(
            "jangar_sse_connections_total",
            &[("state", "opened"), ("stream", stream)],
            move |_| opened_rate,
            restart,
            |_| true,
        );
        sc.counter(
            "jangar_sse_connections_total",
            &[("state", "closed"), ("stream", stream)],
            move |_| closed_rate,
            restart,
            |_| true,
        );
        sc.counter("jangar_sse_errors_total", &[("stream", stream)], move |t| errors(stream, t), restart, |_| true);
    }
}

/// Lag spikes (one long enough to fire, one not), NATS falling behind, an SSE error burst, recovery.
pub fn lag_spikes(start: i64) -> Scenario {
    let mut sc = Scenario::new("lag-spikes-and-recovery", start, SCRAPE, 180 * MINUTE);
    kafka(
        &mut sc,
        |t| {
            Some(if within(t, 20, 45) {
                1500.0
            } else if within(t, 60, 70) {
                1200.0
            } else if within(t, 90, 130) {
                800.0 + (minutes(t) - 90.0) * 40.0
            } else {
                300.0
            })
        },
        12.0,
    );
    nats(
        &mut sc,
        NatsLabels::Exporter,
        |t| {
            Some(if within(t, 100, 125) {
                1800.0
            } else if within(t, 140, 150) {
                1100.0
            } else {
                50.0
            })
        },
        |_| 5.0,
        |_| true,
    );
    jangar(&mut sc, |_| 5.0, |_| false);
    sse(&mut sc, |stream, t| if stream == "chat" && within(t, 150, 170) { 0.1 } else { 0.01 }, |_| false);
    sc
}

/// Exporter gaps, a NaN sample, counter resets, the Alloy spelling, and Jangar stalling while the stream advances.
pub fn gaps_and_stall(start: i64) -> Scenario {
    let mut sc = Scenario::new("gaps-resets-and-stall", start, SCRAPE, 180 * MINUTE);
    kafka(
        &mut sc,
        |t| {
            if within(t, 50, 52) {
                None // a scrape gap shorter than the 5m lookback
            } else if t == 45 * MINUTE {
                Some(f64::NAN)
            } else if within(t, 30, 70) {
                Some(1500.0)
            } else {
                Some(200.0)
            }
        },
        8.0,
    );
    // The NATS exporter is down from 25m to 33m: the last value lingers 5m, then the series is gone.
    nats(
        &mut sc,
        NatsLabels::Alloy,
        |t| Some(if within(t, 10, 40) { 2000.0 } else { 20.0 }),
        |_| 4.0,
        |t| !within(t, 25, 33),
    );
    jangar(&mut sc, |t| if within(t, 90, 120) { 0.0 } else { 4.0 }, |t| t == 60 * MINUTE);
    sse(&mut sc, |_, t| if within(t, 120, 160) { 0.08 } else { 0.0 }, |t| t == 130 * MINUTE);
    sc
}

/// Only Kafka and the stream's sequence exist: Jangar and the NATS consumer are not exported at all.
pub fn absent_metrics(start: i64) -> Scenario {
    let mut sc = Scenario::new("absent-metrics", start, SCRAPE, 120 * MINUTE);
    kafka(&mut sc, |t| Some(if within(t, 10, 40) { 1400.0 } else { 100.0 }), 6.0);
    sc.counter("jetstream_stream_last_seq", &[("stream_name", "agent-comms")], |_| 3.0, |_| false, |_| true);
    sc
}

/// The oracle's scenarios, twelve hours apart from `base` (a multiple of a day), so no history overlaps.
pub fn oracle_scenarios(base: i64) -> Vec<Scenario> {
    vec![lag_spikes(base), gaps_and_stall(base + 12 * 60 * MINUTE), absent_metrics(base + 24 * 60 * MINUTE)]
}

/// A day boundary `days` before now, as the backfill's base.
pub fn base_days_ago(days: i64) -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    (now / 86_400_000 - days) * 86_400_000
}

/// The lag-spike story repeated every three hours for `duration_ms`, for long windows (benchmarks).
pub fn looping(start: i64, duration_ms: i64) -> Scenario {
    let mut sc = Scenario::new("looping", start, SCRAPE, duration_ms);
    let one = lag_spikes(start);
    let per_loop = one.steps - 1;
    for s in one.series {
        let values = (0..sc.steps).map(|i| s.values[i % per_loop]).collect::<Vec<_>>();
        // Counters keep counting across loops instead of resetting.
        let is_counter =
            s.metric.ends_with("_total") || s.metric.ends_with("_last_seq") || s.metric.ends_with("_offset");
        let span = s.values[per_loop].unwrap_or(0.0) - s.values[0].unwrap_or(0.0);
        let values = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.map(|v| if is_counter { v + span * (i / per_loop) as f64 } else { v }))
            .collect();
        sc.series.push(crate::scenario::SeriesData { metric: s.metric, labels: s.labels, values });
    }
    sc
}

/// The lag-spike story ending at the current minute, `minutes_in` minutes into it: "now" lands mid-story.
/// At 122 minutes Kafka lag and NATS pending are both past 1,000 (the demo and the panel e2e use that).
pub fn lag_spikes_until_now(minutes_in: i64) -> Scenario {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let mut story = lag_spikes(now / MINUTE * MINUTE - minutes_in * MINUTE);
    story.steps = (minutes_in * MINUTE / story.scrape_ms) as usize + 1;
    let steps = story.steps;
    story.series.iter_mut().for_each(|s| s.values.truncate(steps));
    story
}
