//! Queue insight on the wire, and its words: is a backlog growing or draining, when will it be gone or
//! cross its alert threshold, how far behind is its consumer in time, is the consumer stuck.
//!
//! The backend computes it (`backend/src/insight.rs`); the panel shows it. The words live here so a
//! tile, a tooltip and the API's readers say the same thing.

use serde::{Deserialize, Serialize};

use crate::duration::humanize_duration;
use crate::format::{compact, grouped};

/// The backlog's direction over the insight window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    Growing,
    Draining,
    Steady,
    /// Fewer than two samples in the window.
    #[default]
    Unknown,
}

crate::by_name!(Trend { Growing = "growing", Draining = "draining", Steady = "steady", Unknown = "unknown" });

/// Burrow's consumer statuses (linkedin/Burrow `core/internal/evaluator`), as far as scraped metrics
/// can tell them; `unknown` without any backlog sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ConsumerStatus {
    Ok,
    /// The consumer moves but the backlog rose through the whole window.
    Warning,
    /// The consumer's position did not move in the window while there was a backlog.
    Stall,
    /// The consumer moved, then stopped for longer than it had been moving.
    Stop,
    /// The consumer's position moved backwards.
    Rewind,
    #[default]
    Unknown,
}

crate::by_name!(ConsumerStatus { Ok = "ok", Warning = "warning", Stall = "stall", Stop = "stop", Rewind = "rewind", Unknown = "unknown" });

impl Trend {
    /// As the wire spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Growing => "growing",
            Trend::Draining => "draining",
            Trend::Steady => "steady",
            Trend::Unknown => "unknown",
        }
    }
}

impl ConsumerStatus {
    /// As the wire spells it (Burrow's statuses, lower case).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumerStatus::Ok => "ok",
            ConsumerStatus::Warning => "warning",
            ConsumerStatus::Stall => "stall",
            ConsumerStatus::Stop => "stop",
            ConsumerStatus::Rewind => "rewind",
            ConsumerStatus::Unknown => "unknown",
        }
    }

    /// The words a person reads; `None` for a consumer that is fine.
    pub fn words(self) -> Option<&'static str> {
        match self {
            ConsumerStatus::Ok => None,
            ConsumerStatus::Warning => Some("consumer falling behind"),
            ConsumerStatus::Stall => Some("consumer stalled"),
            ConsumerStatus::Stop => Some("consumer stopped"),
            ConsumerStatus::Rewind => Some("consumer rewound"),
            ConsumerStatus::Unknown => Some("consumer status unknown"),
        }
    }

    /// Whether an on-call engineer should look at the consumer itself.
    pub fn is_stuck(self) -> bool {
        matches!(self, ConsumerStatus::Stall | ConsumerStatus::Stop | ConsumerStatus::Rewind)
    }
}

/// What `v1/evaluate` says about one backlog stage (`StageHealth.queue`).
///
/// The panel reads only the words (`line`, `details`), which the backend writes from the numbers with
/// [`QueueInsight::worded`]: the insight is read at the last tick alone, so the panel has nothing to
/// recompute, and the numbers' decoding stays out of its WebAssembly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct QueueInsight {
    /// The tile's short line ([`QueueInsight::tile_line`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The full picture, one sentence each ([`QueueInsight::details`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub trend: Trend,
    /// The backlog at the window's end (messages).
    #[serde(default, with = "crate::value::opt")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub backlog: Option<f64>,
    /// Net change of the backlog, messages per second (least squares over the window).
    #[serde(default, with = "crate::value::opt")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub rate_per_s: Option<f64>,
    /// At the current net rate, milliseconds until the backlog is gone (draining only).
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub drain_in_ms: Option<i64>,
    /// The alert threshold on the backlog, when the stage's queue names an alert of the form `X > N`.
    #[serde(default, with = "crate::value::opt")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub threshold: Option<f64>,
    /// While growing below the threshold, milliseconds until it crosses it.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub crosses_in_ms: Option<i64>,
    /// The backlog divided by the consume rate: an estimate of how far behind the consumer is in time.
    #[serde(default)]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub lag_time_ms: Option<i64>,
    /// How old the data the consumer takes now is: the time since its position's message was
    /// produced (kafka-lag-exporter's lag in seconds), from position + backlog over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub age_ms: Option<i64>,
    /// `age_ms` is only a lower bound: older than the window can tell.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub age_is_bound: bool,
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub consumer: ConsumerStatus,
    /// The window the insight looked at, ending at the evaluation's last tick.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub window_ms: i64,
    /// The spacing of the samples it read.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub step_ms: i64,
    /// What could not be read, and so what is not said (e.g. "consumer position: no series for …").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub missing: Vec<String>,
}

impl QueueInsight {
    /// The insight with its words filled in, as the backend sends it.
    pub fn worded(self) -> QueueInsight {
        QueueInsight { line: self.tile_line(), details: self.details(), ..self }
    }

    /// How old the data its consumer takes is, in a tile's words: "20s old", "more than 3m old",
    /// "no wait" (no backlog).
    pub fn age_words(&self) -> Option<String> {
        Some(match (self.age_ms?, self.age_is_bound) {
            (0, false) => "no wait".to_string(),
            (ms, false) => format!("{} old", humanize_duration(ms)),
            (ms, true) => format!("more than {} old", humanize_duration(ms)),
        })
    }

    /// One short line for a tile: "draining, ~4m · 20s old", "growing +12/s", "consumer stalled".
    pub fn tile_line(&self) -> Option<String> {
        let rate = self.rate_per_s.unwrap_or(0.0);
        let line = if self.consumer.is_stuck() {
            self.consumer.words().map(str::to_string)
        } else {
            match self.trend {
                Trend::Draining => Some(match self.drain_in_ms {
                    Some(ms) => format!("draining, ~{}", humanize_duration(ms.max(1_000))),
                    None => format!("draining {}/s", compact(rate)),
                }),
                Trend::Growing => Some(format!("growing +{}/s", compact(rate))),
                Trend::Steady => Some("steady".to_string()),
                Trend::Unknown => None,
            }
        };
        match (line, self.age_words()) {
            (Some(line), Some(age)) => Some(format!("{line} · {age}")),
            (line, age) => line.or(age),
        }
    }

    /// The full picture, one sentence per line, for a tooltip or the drill-down.
    pub fn details(&self) -> Vec<String> {
        let mut out = Vec::new();
        let window = humanize_duration(self.window_ms);
        let rate = self.rate_per_s.unwrap_or(0.0);
        match self.trend {
            Trend::Growing => out.push(format!("Growing by {}/s over the last {window}", grouped(rate))),
            Trend::Draining => out.push(format!("Draining by {}/s over the last {window}", grouped(-rate))),
            Trend::Steady => out.push(format!("Steady over the last {window}")),
            Trend::Unknown => out.push(format!("Trend unknown: fewer than two samples in the last {window}")),
        }
        match (self.trend, self.drain_in_ms) {
            (Trend::Draining, Some(ms)) => {
                out.push(format!("Drained in ~{} at this rate", humanize_duration(ms.max(1_000))))
            }
            (Trend::Draining | Trend::Unknown, None) => {}
            _ => out.push("Not draining".to_string()),
        }
        if let (Some(th), Some(ms)) = (self.threshold, self.crosses_in_ms) {
            out.push(format!("Crosses {} in ~{}", grouped(th), humanize_duration(ms.max(1_000))));
        }
        match (self.age_ms, self.age_is_bound) {
            (Some(0), false) => out.push("No backlog: data is consumed as it arrives".to_string()),
            (Some(ms), false) => out.push(format!("Data about {} old when consumed", humanize_duration(ms))),
            (Some(ms), true) => out.push(format!("Data more than {} old when consumed", humanize_duration(ms))),
            (None, _) => {}
        }
        if let Some(ms) = self.lag_time_ms {
            out.push(format!(
                "About {} behind (backlog ÷ consume rate, an estimate)",
                humanize_duration(ms.max(1_000))
            ));
        }
        out.push(match self.consumer {
            ConsumerStatus::Ok => "Consumer OK".to_string(),
            ConsumerStatus::Warning => "Consumer WARNING: moving, but the backlog rose through the window".to_string(),
            ConsumerStatus::Stall => "Consumer STALL: its position did not move while there was a backlog".to_string(),
            ConsumerStatus::Stop => "Consumer STOP: nothing consumed for longer than it had been consuming".to_string(),
            ConsumerStatus::Rewind => "Consumer REWIND: its position moved backwards".to_string(),
            ConsumerStatus::Unknown => "Consumer status unknown".to_string(),
        });
        out.extend(self.missing.iter().map(|m| format!("Not known: {m}")));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insight(trend: Trend, rate: f64, consumer: ConsumerStatus) -> QueueInsight {
        QueueInsight {
            trend,
            rate_per_s: Some(rate),
            consumer,
            window_ms: 600_000,
            step_ms: 15_000,
            ..Default::default()
        }
    }

    #[test]
    fn a_tile_says_the_one_thing_that_matters_most() {
        let draining =
            QueueInsight { drain_in_ms: Some(240_000), ..insight(Trend::Draining, -3.0, ConsumerStatus::Ok) };
        assert_eq!(draining.tile_line().as_deref(), Some("draining, ~4m"));
        assert_eq!(
            insight(Trend::Growing, 12.0, ConsumerStatus::Warning).tile_line().as_deref(),
            Some("growing +12/s")
        );
        assert_eq!(
            insight(Trend::Growing, 12.0, ConsumerStatus::Stall).tile_line().as_deref(),
            Some("consumer stalled")
        );
        assert_eq!(insight(Trend::Steady, 0.0, ConsumerStatus::Ok).tile_line().as_deref(), Some("steady"));
        let aged = |ms, bound| QueueInsight {
            age_ms: Some(ms),
            age_is_bound: bound,
            ..insight(Trend::Steady, 0.0, ConsumerStatus::Ok)
        };
        assert_eq!(aged(20_000, false).tile_line().as_deref(), Some("steady · 20s old"));
        assert_eq!(aged(200_000, true).tile_line().as_deref(), Some("steady · more than 3m 20s old"));
        assert_eq!(aged(0, false).tile_line().as_deref(), Some("steady · no wait"));
        let stalled = QueueInsight { age_ms: Some(62_000), ..insight(Trend::Growing, 12.0, ConsumerStatus::Stall) };
        assert_eq!(stalled.tile_line().as_deref(), Some("consumer stalled · 1m 2s old"));
        assert_eq!(insight(Trend::Unknown, 0.0, ConsumerStatus::Unknown).tile_line(), None);
    }

    #[test]
    fn details_give_times_thresholds_and_what_is_not_known() {
        let growing = QueueInsight {
            threshold: Some(1000.0),
            crosses_in_ms: Some(50_000),
            lag_time_ms: Some(140_000),
            missing: vec!["consumer position: no series".into()],
            ..insight(Trend::Growing, 2.0, ConsumerStatus::Warning)
        };
        let lines = growing.details();
        assert_eq!(lines[0], "Growing by 2/s over the last 10m");
        assert_eq!(lines[1], "Not draining");
        assert_eq!(lines[2], "Crosses 1,000 in ~50s");
        assert_eq!(lines[3], "About 2m 20s behind (backlog ÷ consume rate, an estimate)");
        assert!(lines[4].starts_with("Consumer WARNING"));
        assert_eq!(lines[5], "Not known: consumer position: no series");
    }

    #[test]
    fn the_wire_form_is_camel_case_with_lowercase_words() {
        let json = serde_json::to_value(insight(Trend::Draining, -1.5, ConsumerStatus::Rewind)).unwrap();
        assert_eq!(json["trend"], "draining");
        assert_eq!(json["consumer"], "rewind");
        assert_eq!(json["ratePerS"], -1.5);
        assert!(json.get("missing").is_none());
        let back: QueueInsight = serde_json::from_value(json).unwrap();
        assert_eq!(back.consumer, ConsumerStatus::Rewind);
    }
}
