//! A live Codex pipeline for the demo: serves the kafka-exporter, NATS JetStream and Jangar metric
//! names at `/metrics` following a scripted incident on a loop, so a real Prometheus scrapes it as
//! it scrapes the real exporters. The same function of time renders the backfilled history, so the
//! hour before the simulator started joins the live samples without a seam.
//!
//! One loop is nine minutes: healthy → Kafka lag past 1,000 → the NATS consumer falls behind →
//! Jangar stops inserting while the stream advances → SSE errors spike → the Kafka consumer stops
//! committing → recovery. Counters grow at a constant rate per act, so their value at any instant is
//! exact (no accumulated state), and a scrape at any moment agrees with the backfill.
//!
//! The two queues (Kafka's consumer group, the NATS consumer) are flows, not levels: what is produced
//! minus what the consumer takes is the backlog, so the consumer's position (committed offset, ack
//! floor) and the backlog the exporters report always agree, and the position never moves back. A
//! backlog rises only while its consumer is stopped (at the produce rate), falls at a fixed drain
//! rate, and holds at its act's level with the consumer keeping up. Jangar is the NATS consumer: it
//! inserts a row for each message it takes, so when it stops inserting, NATS' backlog grows behind
//! it.

mod serve;

use std::f64::consts::TAU;
use std::fmt::Write;

use crate::scenario::Scenario;

pub use serve::{now_ms, story_json, LiveError, LivePipeline, Simulator, JOB, SCRAPE_MS};

/// One act of the story: how long it lasts and the pipeline's levels while it plays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Act {
    pub name: &'static str,
    /// The stage this act breaks, if any (`kafka`, `nats`, `jangar`, `sse`).
    pub breaks: Option<&'static str>,
    pub secs: i64,
    /// The consumer group `jangar-codex-completions`: its total lag (messages).
    pub kafka: Flow,
    /// Completions produced to the topic (messages/s).
    pub produced: f64,
    /// The `jangar-agent-comms` consumer: its pending messages.
    pub nats: Flow,
    /// Messages published to `agent-comms` (messages/s).
    pub published: f64,
    /// Jangar ingest errors (errors/s).
    pub ingest_errors: f64,
    /// SSE errors on the `chat` and `agent-events` streams (errors/s).
    pub sse_errors: [f64; 2],
}

/// What a queue's consumer does during an act.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flow {
    /// The backlog moves to this level (the consumer stopped while it rises, draining at the queue's
    /// drain rate while it falls) and holds there, the consumer keeping up.
    Level(f64),
    /// The consumer commits nothing for the act's scripted length: the backlog grows at the produce
    /// rate. (A stretched act's consumer resumes after the scripted length, keeping up.)
    Stopped,
}

const HEALTHY: Act = Act {
    name: "healthy",
    breaks: None,
    secs: 60,
    kafka: Flow::Level(240.0),
    produced: 12.0,
    nats: Flow::Level(40.0),
    published: 5.0,
    ingest_errors: 0.01,
    sse_errors: [0.004, 0.002],
};

/// The story's acts, in order.
pub const ACTS: [Act; 7] = [
    HEALTHY,
    // A burst of completions the consumer does not keep up with.
    Act {
        name: "Kafka lag past 1,000",
        breaks: Some("kafka"),
        secs: 90,
        kafka: Flow::Level(1650.0),
        produced: 90.0,
        ..HEALTHY
    },
    // Kafka drains (at KAFKA_DRAIN); a burst of agent messages the NATS consumer falls behind on.
    Act {
        name: "NATS consumer falls behind",
        breaks: Some("nats"),
        secs: 90,
        nats: Flow::Level(2400.0),
        published: 60.0,
        ..HEALTHY
    },
    // Jangar is the NATS consumer: stopped, it acks nothing, so NATS' backlog grows behind it (a
    // symptom) while the stream advances.
    Act {
        name: "Jangar stops inserting",
        breaks: Some("jangar"),
        secs: 90,
        nats: Flow::Stopped,
        ingest_errors: 0.2,
        ..HEALTHY
    },
    Act { name: "SSE errors spike", breaks: Some("sse"), secs: 75, sse_errors: [0.3, 0.12], ..HEALTHY },
    // The lag grows at 12/s for 60 s: 240 -> 960, under the alert's 1,000; only the insight sees it.
    Act { name: "Kafka consumer stops committing", breaks: None, secs: 60, kafka: Flow::Stopped, ..HEALTHY },
    // Kafka drains the 720 messages over its usual 240 at 25/s: 28.8 s.
    Act { name: "recovery", breaks: None, secs: 75, ..HEALTHY },
];

/// How fast each backlog drains when its act's level is below the level it starts at (messages/s
/// beyond the produce rate).
pub const KAFKA_DRAIN: f64 = 25.0;
pub const NATS_DRAIN: f64 = 60.0;

/// Seconds a gauge takes to move from one act's level to the next.
const RAMP_SECS: f64 = 20.0;
/// The period of a held backlog's wobble.
const WOBBLE_SECS: f64 = 11.0;

/// Where the story is at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moment {
    /// Index into [`ACTS`].
    pub act: usize,
    /// Seconds since the act began.
    pub into: f64,
    /// Completed loops since the story's epoch.
    pub loops: i64,
}

/// The scripted pipeline, anchored at `epoch_ms` (the start of a loop).
#[derive(Debug, Clone, Copy)]
pub struct Story {
    pub epoch_ms: i64,
    /// Every act lasts `stretch` times its scripted length (1 for the demo). A browser test stretches
    /// the story so the act it looks at outlasts its own start-up by minutes, not seconds.
    pub stretch: f64,
}

/// One exported series: name, labels, and how its value follows the story.
struct Metric {
    name: &'static str,
    labels: Vec<(&'static str, &'static str)>,
    kind: Kind,
}

enum Kind {
    /// A level that ramps between acts: `level(act)`, times `scale`, with a little wobble.
    Gauge { level: fn(&Act) -> f64, scale: f64, base: f64 },
    /// A counter growing at `rate(act) * scale` per second from `base`.
    Counter { rate: fn(&Act) -> f64, scale: f64, base: f64 },
    /// A queue's consumer position (`Position`) or backlog (`Backlog` = produced − position), its
    /// share of the queue (a partition), both counted from `base`.
    Queue { queue: Queue, part: Part, scale: f64, base: f64 },
}

#[derive(Clone, Copy)]
enum Part {
    Position,
    Backlog,
}

/// One of the two queues: its flows, produce rate and drain rate.
#[derive(Clone, Copy)]
enum Queue {
    Kafka,
    Nats,
}

impl Queue {
    fn flow(self, act: &Act) -> Flow {
        match self {
            Queue::Kafka => act.kafka,
            Queue::Nats => act.nats,
        }
    }
    fn produced(self, act: &Act) -> f64 {
        match self {
            Queue::Kafka => act.produced,
            Queue::Nats => act.published,
        }
    }
    fn drain(self) -> f64 {
        match self {
            Queue::Kafka => KAFKA_DRAIN,
            Queue::Nats => NATS_DRAIN,
        }
    }
    /// The healthy backlog the loop starts and ends at.
    fn start_level(self) -> f64 {
        match self.flow(&HEALTHY) {
            Flow::Level(l) => l,
            Flow::Stopped => 0.0,
        }
    }
}

const GROUP: (&str, &str) = ("consumergroup", "jangar-codex-completions");
const TOPIC: (&str, &str) = ("topic", "argo.workflows.completions");
const STREAM: (&str, &str) = ("stream_name", "agent-comms");

/// A flow's level for the stream-size gauges (a stopped consumer's backlog counts as the healthy one).
fn level_of(flow: Flow) -> f64 {
    match flow {
        Flow::Level(l) => l,
        Flow::Stopped => Queue::Nats.start_level(),
    }
}

fn metrics() -> Vec<Metric> {
    let mut out = Vec::new();
    for (partition, share) in [("0", 0.6), ("1", 0.3), ("2", 0.1)] {
        out.push(Metric {
            name: "kafka_consumergroup_current_offset",
            labels: vec![GROUP, ("partition", partition), TOPIC],
            kind: Kind::Queue { queue: Queue::Kafka, part: Part::Position, scale: share, base: 1_000_000.0 },
        });
        out.push(Metric {
            name: "kafka_consumergroup_lag",
            labels: vec![GROUP, ("partition", partition), TOPIC],
            kind: Kind::Queue { queue: Queue::Kafka, part: Part::Backlog, scale: share, base: 1_000_000.0 },
        });
        out.push(Metric {
            name: "kafka_topic_partition_current_offset",
            labels: vec![("partition", partition), TOPIC],
            kind: Kind::Counter { rate: |a| a.produced, scale: share, base: 1_000_000.0 },
        });
    }
    out.push(Metric {
        name: "jetstream_consumer_ack_floor_stream_seq",
        labels: vec![("consumer_name", "jangar-agent-comms"), STREAM],
        kind: Kind::Queue { queue: Queue::Nats, part: Part::Position, scale: 1.0, base: 500_000.0 },
    });
    out.push(Metric {
        name: "jetstream_consumer_num_pending",
        labels: vec![("consumer_name", "jangar-agent-comms"), STREAM],
        kind: Kind::Queue { queue: Queue::Nats, part: Part::Backlog, scale: 1.0, base: 500_000.0 },
    });
    out.push(Metric {
        name: "jetstream_stream_last_seq",
        labels: vec![STREAM],
        kind: Kind::Counter { rate: |a| a.published, scale: 1.0, base: 500_000.0 },
    });
    out.push(Metric {
        name: "jetstream_stream_total_messages",
        labels: vec![STREAM],
        kind: Kind::Gauge { level: |a| level_of(a.nats), scale: 1.0, base: 48_000.0 },
    });
    out.push(Metric {
        name: "jetstream_stream_total_bytes",
        labels: vec![STREAM],
        kind: Kind::Gauge { level: |a| level_of(a.nats), scale: 410.0, base: 48_000.0 * 410.0 },
    });
    out.push(Metric {
        name: "jangar_agent_comms_inserted_total",
        labels: vec![],
        // Jangar consumes `jangar-agent-comms`: a row for each message it takes.
        kind: Kind::Queue { queue: Queue::Nats, part: Part::Position, scale: 1.0, base: 400_000.0 },
    });
    out.push(Metric {
        name: "jangar_agent_comms_ingest_errors_total",
        labels: vec![],
        kind: Kind::Counter { rate: |a| a.ingest_errors, scale: 1.0, base: 120.0 },
    });
    for (i, (stream, opened, closed)) in [("chat", 0.5, 0.48), ("agent-events", 0.3, 0.29)].into_iter().enumerate() {
        let errors: fn(&Act) -> f64 = if i == 0 { |a| a.sse_errors[0] } else { |a| a.sse_errors[1] };
        out.push(Metric {
            name: "jangar_sse_connections_total",
            labels: vec![("state", "opened"), ("stream", stream)],
            kind: Kind::Counter { rate: |_| 1.0, scale: opened, base: 20_000.0 },
        });
        out.push(Metric {
            name: "jangar_sse_connections_total",
            labels: vec![("state", "closed"), ("stream", stream)],
            kind: Kind::Counter { rate: |_| 1.0, scale: closed, base: 19_900.0 },
        });
        out.push(Metric {
            name: "jangar_sse_errors_total",
            labels: vec![("stream", stream)],
            kind: Kind::Counter { rate: errors, scale: 1.0, base: 50.0 },
        });
    }
    out
}

impl Story {
    /// The demo's story: 65 s into the Kafka act, so its alert (30 s `for`) is already firing when
    /// someone first looks at the dashboard.
    pub fn demo(now_ms: i64) -> Story {
        Story::in_act(now_ms, Some("kafka"), 65.0)
    }

    /// A story whose loop is `secs_into_loop` seconds along at `now_ms`.
    pub fn at(now_ms: i64, secs_into_loop: f64) -> Story {
        Story { epoch_ms: now_ms - (secs_into_loop * 1000.0) as i64, stretch: 1.0 }
    }

    /// A story that is `into` seconds into the act named by the stage it breaks (`None`: healthy).
    pub fn in_act(now_ms: i64, breaks: Option<&str>, into: f64) -> Story {
        Story::stretched_in_act(now_ms, breaks, into, 1.0)
    }

    /// Like [`Story::in_act`], every act lasting `stretch` times as long (`into` is real seconds).
    pub fn stretched_in_act(now_ms: i64, breaks: Option<&str>, into: f64, stretch: f64) -> Story {
        let before: i64 = ACTS.iter().take_while(|a| a.breaks != breaks).map(|a| a.secs).sum();
        Story { epoch_ms: now_ms - ((before as f64 * stretch + into) * 1000.0) as i64, stretch }
    }

    /// A story whose loops began long enough ago that a whole loop ended a minute before `now_ms`,
    /// inside the hour a [`LivePipeline`] backfills: every act of it can be asked about.
    pub fn past_loop(now_ms: i64) -> Story {
        let story = Story::at(0, 0.0);
        let period_ms = (story.period() * 1000.0) as i64;
        Story { epoch_ms: now_ms / 1000 * 1000 - 2 * period_ms - 60_000, ..story }
    }

    /// The instant `into` seconds into the act named `act` of the loop that starts at the epoch.
    pub fn instant(&self, act: &str, into: f64) -> i64 {
        let before: f64 = ACTS.iter().take_while(|a| a.name != act).map(|a| self.secs(a)).sum();
        self.epoch_ms + ((before + into) * 1000.0) as i64
    }

    fn secs(&self, act: &Act) -> f64 {
        act.secs as f64 * self.stretch
    }

    /// Seconds in one loop of this story.
    pub fn period(&self) -> f64 {
        ACTS.iter().map(|a| self.secs(a)).sum()
    }

    pub fn moment(&self, t_ms: i64) -> Moment {
        let secs = (t_ms - self.epoch_ms) as f64 / 1000.0;
        let period = self.period();
        let loops = secs.div_euclid(period);
        let mut into = secs - loops * period;
        for (i, act) in ACTS.iter().enumerate() {
            if into < self.secs(act) || i == ACTS.len() - 1 {
                return Moment { act: i, into, loops: loops as i64 };
            }
            into -= self.secs(act);
        }
        Moment { act: 0, into: 0.0, loops: loops as i64 }
    }

    /// Every series' value at `t_ms`, in exposition order.
    fn sample(&self, metric: &Metric, t_ms: i64) -> f64 {
        let m = self.moment(t_ms);
        match metric.kind {
            Kind::Gauge { level, scale, base } => {
                let previous = &ACTS[(m.act + ACTS.len() - 1) % ACTS.len()];
                let current = &ACTS[m.act];
                let ramp = (m.into / RAMP_SECS).min(1.0);
                let level = level(previous) + (level(current) - level(previous)) * ramp;
                // A slow wobble so the charts look like a live system, the same at every scrape of one instant.
                let wobble = 1.0 + 0.03 * (TAU * t_ms as f64 / 47_000.0).sin();
                (base + level * scale * wobble).round()
            }
            Kind::Counter { rate, scale, base } => (base + scale * self.total(rate, m)).floor(),
            Kind::Queue { queue, part, scale, base } => {
                let position = (base + scale * self.consumed(queue, m)).floor();
                match part {
                    Part::Position => position,
                    Part::Backlog => (base + scale * self.total(|a| queue.produced(a), m)).floor() - position,
                }
            }
        }
    }

    /// How much a counter growing at `rate` per act has counted since the story's epoch.
    fn total(&self, rate: impl Fn(&Act) -> f64, m: Moment) -> f64 {
        let per_loop: f64 = ACTS.iter().map(|a| rate(a) * self.secs(a)).sum();
        let done: f64 = ACTS[..m.act].iter().map(|a| rate(a) * self.secs(a)).sum();
        per_loop * m.loops as f64 + done + rate(&ACTS[m.act]) * m.into
    }

    /// What `queue`'s consumer has taken since the epoch, less the healthy backlog it starts with.
    /// Summed act by act, each act's part from [`Story::act_flow`]: a stopped consumer's part is
    /// exactly zero, so its position does not move by a rounding error.
    fn consumed(&self, queue: Queue, m: Moment) -> f64 {
        let mut level = queue.start_level();
        let mut done = 0.0;
        let mut per_loop = 0.0;
        for (i, act) in ACTS.iter().enumerate() {
            let (taken, end) = act_flow(queue, act, level, self.secs(act), self.secs(act));
            if i < m.act {
                done += taken;
            }
            if i == m.act {
                done += act_flow(queue, act, level, m.into, self.secs(act)).0;
            }
            per_loop += taken;
            level = end;
        }
        per_loop * m.loops as f64 + done - queue.start_level()
    }

    /// Ground truth for the freshness estimate: how old, in seconds, the data a stage's consumer
    /// takes at `t_ms` is — the time since the message at its position was produced, found on the
    /// story's own produced count (no scrape, no rounding). `kafka` and `nats` are the queues;
    /// `jangar`, the NATS consumer, inserts what it takes (NATS' age); `clients` is Kafka's plus
    /// Jangar's, the message's wait in each queue in turn. `None` for another stage.
    pub fn data_age(&self, stage: &str, t_ms: i64) -> Option<f64> {
        match stage {
            "kafka" => Some(self.queue_age(Queue::Kafka, t_ms)),
            "nats" | "jangar" => Some(self.queue_age(Queue::Nats, t_ms)),
            "clients" => Some(self.data_age("kafka", t_ms)? + self.data_age("jangar", t_ms)?),
            _ => None,
        }
    }

    /// `t` minus the instant `queue` had produced what its consumer has taken by `t` (bisection on
    /// the produced count, which only grows: every act produces), at most an hour.
    fn queue_age(&self, queue: Queue, t_ms: i64) -> f64 {
        let produced = |t: i64| self.total(|a| queue.produced(a), self.moment(t));
        let taken = self.consumed(queue, self.moment(t_ms));
        let (mut lo, mut hi) = (t_ms - 3_600_000, t_ms);
        if produced(hi) <= taken {
            return 0.0;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if produced(mid) <= taken {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (t_ms - lo) as f64 / 1000.0
    }

    /// The Prometheus text exposition at `t_ms`, as an exporter answers a scrape.
    pub fn exposition(&self, t_ms: i64) -> String {
        let mut out = String::new();
        let mut last = "";
        for m in metrics() {
            if m.name != last {
                let kind = if matches!(m.kind, Kind::Counter { .. }) { "counter" } else { "gauge" };
                let _ = writeln!(out, "# TYPE {} {kind}", m.name);
                last = m.name;
            }
            let labels: Vec<String> = m.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            let selector =
                if labels.is_empty() { m.name.to_string() } else { format!("{}{{{}}}", m.name, labels.join(",")) };
            let _ = writeln!(out, "{selector} {}", self.sample(&m, t_ms));
        }
        // The ground truth the freshness estimate is held to (`data_age`), exported beside the
        // pipeline's own metrics; nothing the plugin reads.
        let _ = writeln!(out, "# TYPE codexflow_simulator_data_age_seconds gauge");
        for stage in ["kafka", "nats", "jangar", "clients"] {
            if let Some(age) = self.data_age(stage, t_ms) {
                let _ = writeln!(out, "codexflow_simulator_data_age_seconds{{stage=\"{stage}\"}} {age}");
            }
        }
        out
    }

    /// The story from `from_ms` to `to_ms` sampled every `scrape_ms`, with `extra` labels on every
    /// series (a scrape's `job` and `instance`), for a backfill that the live scrapes continue.
    pub fn history(&self, from_ms: i64, to_ms: i64, scrape_ms: i64, extra: &[(&str, &str)]) -> Scenario {
        let mut sc = Scenario::new("simulator-history", from_ms, scrape_ms, to_ms - from_ms);
        for m in metrics() {
            let mut labels = m.labels.clone();
            labels.extend_from_slice(extra);
            sc.series(m.name, &labels, |t| Some(self.sample(&m, from_ms + t)));
        }
        sc
    }
}

/// `into` seconds into `act` (lasting `secs`), starting from backlog `from`: what the consumer took
/// and the backlog.
fn act_flow(queue: Queue, act: &Act, from: f64, into: f64, secs: f64) -> (f64, f64) {
    let produced = queue.produced(act);
    match queue.flow(act) {
        Flow::Stopped => {
            let stopped = into.min(act.secs as f64);
            (produced * (into - stopped), from + produced * stopped)
        }
        Flow::Level(to) => {
            // Rising: the consumer is stopped until the level is reached; falling: it drains.
            let (speed, taken_per_s) =
                if to >= from { (produced, 0.0) } else { (queue.drain(), produced + queue.drain()) };
            let moving_for = if speed > 0.0 { (to - from).abs() / speed } else { 0.0 };
            let moving = moving_for.min(into);
            let held = into - moving;
            let level = if to >= from { from + speed * moving } else { from - speed * moving };
            // Holding, a small wobble that fades in and out, so the charts look live while every act
            // ends on its level. It changes slower than anything is produced (the consumer still only
            // moves forward), and its period is short next to a queue insight window of 30 s, so a
            // held level reads as steady there, as noise should.
            let fade = (held / RAMP_SECS).min((secs - into) / RAMP_SECS).clamp(0.0, 1.0);
            let wobble = if held > 0.0 { 0.015 * level * (TAU * held / WOBBLE_SECS).sin() * fade } else { 0.0 };
            (taken_per_s * moving + produced * held - wobble, level + wobble)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, series: &str) -> f64 {
        text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok())).unwrap_or(f64::NAN)
    }

    #[test]
    fn the_data_age_truth_follows_the_script() {
        let story = Story::at(0, 0.0);
        let at = |act: &str, into: f64| story.instant(act, into) + 2 * (story.period() * 1000.0) as i64;
        let age = |stage: &str, t: i64| story.data_age(stage, t).unwrap();
        // Healthy: 240 waiting at 12/s is 20 s; 40 at 5/s is 8 s.
        assert!((age("kafka", at("healthy", 50.0)) - 20.0).abs() < 0.5, "{}", age("kafka", at("healthy", 50.0)));
        assert!((age("nats", at("healthy", 50.0)) - 8.0).abs() < 0.5);
        // Jangar stopped 40 s ago: its last row's data was 8 s old then, and ages a second a second.
        let stalled = age("jangar", at("Jangar stops inserting", 40.0));
        assert!((stalled - (40.0 + age("nats", at("Jangar stops inserting", 0.0)))).abs() < 0.01, "{stalled}");
        // The Kafka consumer commits nothing: its data ages a second a second.
        let (a, b) = (
            age("kafka", at("Kafka consumer stops committing", 10.0)),
            age("kafka", at("Kafka consumer stops committing", 40.0)),
        );
        assert!((b - a - 30.0).abs() < 0.01, "{a} {b}");
        assert_eq!(story.data_age("sse", 0), None);
        let text = story.exposition(at("healthy", 50.0));
        assert!(value(&text, "codexflow_simulator_data_age_seconds{stage=\"clients\"}") > 27.0);
    }

    #[test]
    fn acts_follow_the_runbook_story_in_order() {
        let breaks: Vec<_> = ACTS.iter().map(|a| a.breaks).collect();
        assert_eq!(breaks, [None, Some("kafka"), Some("nats"), Some("jangar"), Some("sse"), None, None]);
        assert!((180.0..=600.0).contains(&Story::at(0, 0.0).period()), "a loop of a few minutes");
    }

    #[test]
    fn kafka_act_lags_past_the_threshold_and_recovery_does_not() {
        let now = 1_700_000_000_000;
        let lag = |story: Story| {
            let text = story.exposition(now);
            ["0", "1", "2"]
                .iter()
                .map(|p| value(&text, &format!("kafka_consumergroup_lag{{consumergroup=\"jangar-codex-completions\",partition=\"{p}\",topic=\"argo.workflows.completions\"}}")))
                .sum::<f64>()
        };
        assert!(lag(Story::in_act(now, Some("kafka"), 45.0)) > 1000.0);
        assert!(lag(Story::in_act(now, Some("nats"), 45.0)) < 1000.0);
        assert!(lag(Story::in_act(now, None, 30.0)) < 1000.0);
    }

    #[test]
    fn counters_never_go_backwards_across_acts_and_loops() {
        let story = Story { epoch_ms: 0, stretch: 1.5 };
        let mut last = vec![f64::MIN; metrics().len()];
        for t in (0..(3.0 * story.period() * 1000.0) as i64).step_by(2_500) {
            for (i, m) in metrics().iter().enumerate() {
                if matches!(m.kind, Kind::Counter { .. } | Kind::Queue { part: Part::Position, .. }) {
                    let v = story.sample(m, t);
                    assert!(v >= last[i], "{} went back at {t}", m.name);
                    last[i] = v;
                }
            }
        }
    }

    #[test]
    fn backlogs_are_what_was_produced_and_not_consumed_and_every_act_ends_on_its_level() {
        for queue in [Queue::Kafka, Queue::Nats] {
            let mut level = queue.start_level();
            for act in &ACTS {
                let secs = act.secs as f64;
                let (_, end) = act_flow(queue, act, level, secs, secs);
                if let Flow::Level(to) = queue.flow(act) {
                    assert!((end - to).abs() < 1e-9, "{}: ends at {end}, not {to}", act.name);
                }
                level = end;
            }
            assert!((level - queue.start_level()).abs() < 1e-9, "the loop closes");
        }
        let story = Story { epoch_ms: 0, stretch: 1.0 };
        let text = |t: i64| story.exposition(t);
        for t in (0..(2.0 * story.period() * 1000.0) as i64).step_by(5_000) {
            let e = text(t);
            let (seq, floor) =
                (value(&e, "jetstream_stream_last_seq{stream_name=\"agent-comms\"}"), value(&e, ACK_FLOOR));
            assert_eq!(
                value(&e, PENDING),
                seq - floor,
                "pending is the stream's last sequence less the ack floor, at {t}"
            );
            assert!(value(&e, PENDING) >= 0.0 && kafka_lag(&e) >= 0.0);
        }
    }

    const PENDING: &str =
        "jetstream_consumer_num_pending{consumer_name=\"jangar-agent-comms\",stream_name=\"agent-comms\"}";
    const ACK_FLOOR: &str =
        "jetstream_consumer_ack_floor_stream_seq{consumer_name=\"jangar-agent-comms\",stream_name=\"agent-comms\"}";

    fn kafka_sum(text: &str, name: &str) -> f64 {
        ["0", "1", "2"]
            .iter()
            .map(|p| value(text, &format!("{name}{{consumergroup=\"jangar-codex-completions\",partition=\"{p}\",topic=\"argo.workflows.completions\"}}")))
            .sum()
    }

    fn kafka_lag(text: &str) -> f64 {
        kafka_sum(text, "kafka_consumergroup_lag")
    }

    #[test]
    fn the_kafka_consumer_stops_committing_for_its_act_and_then_drains_at_the_drain_rate() {
        let stop = ACTS.iter().position(|a| a.kafka == Flow::Stopped).unwrap();
        let before: i64 = ACTS[..stop].iter().map(|a| a.secs).sum();
        let story = Story { epoch_ms: 0, stretch: 1.0 };
        let at = |secs: i64| story.exposition((before + secs) * 1000);
        let offset = |text: &str| kafka_sum(text, "kafka_consumergroup_current_offset");
        assert_eq!(offset(&at(1)), offset(&at(59)), "no commit in the act");
        assert!(
            (kafka_lag(&at(59)) - kafka_lag(&at(1)) - 58.0 * 12.0).abs() <= 2.0,
            "the lag grows at the produce rate"
        );
        assert!(kafka_lag(&at(59)) < 1000.0, "under the alert's threshold");
        // Recovery: the 720 messages over the usual 240 drain at KAFKA_DRAIN.
        let (a, b) = (kafka_lag(&at(62)), kafka_lag(&at(82)));
        assert!((a - b - 20.0 * KAFKA_DRAIN).abs() <= 2.0, "{a} -> {b}");
        assert!(offset(&at(82)) > offset(&at(62)));
    }

    #[test]
    fn stretching_lengthens_every_act() {
        let story = Story::stretched_in_act(0, Some("nats"), 200.0, 4.0);
        assert_eq!(ACTS[story.moment(0).act].breaks, Some("nats"));
        assert_eq!(ACTS[story.moment(150_000).act].breaks, Some("nats"), "a 360 s act, 200 s in, lasts 160 s more");
        assert_eq!(ACTS[story.moment(170_000).act].breaks, Some("jangar"));
    }

    #[test]
    fn jangar_stalls_while_the_stream_advances() {
        let story = Story::in_act(0, Some("jangar"), 10.0);
        let later = 60_000;
        let (a, b) = (story.exposition(0), story.exposition(later));
        assert_eq!(value(&a, "jangar_agent_comms_inserted_total"), value(&b, "jangar_agent_comms_inserted_total"));
        let seq = "jetstream_stream_last_seq{stream_name=\"agent-comms\"}";
        assert!(value(&b, seq) > value(&a, seq));
    }

    #[test]
    fn history_and_live_exposition_agree() {
        let story = Story { epoch_ms: 1_000_000, stretch: 1.0 };
        let history = story.history(1_000_000, 1_060_000, 5_000, &[("job", "sim")]);
        let last = history
            .series
            .iter()
            .find(|s| s.metric == "jangar_agent_comms_inserted_total")
            .and_then(|s| *s.values.last().unwrap());
        assert_eq!(last, Some(value(&story.exposition(1_060_000), "jangar_agent_comms_inserted_total")));
        assert!(history.series.iter().all(|s| s.labels.contains(&("job".to_string(), "sim".to_string()))));
    }
}
