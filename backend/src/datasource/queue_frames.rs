//! `queue`: a frame per backlog stage, one row at the window's last tick (the queue insight is read
//! there, over its own recent window): the backlog in messages, its net change in messages per
//! second, the consumer's lag in seconds (backlog ÷ consume rate) and the time to drain at the
//! current rate, each with Grafana's unit; for a panel also the trend and Burrow's consumer status.
//! What is not known is null, never zero.

use codexflow_core::api::{EvaluateResponse, StageHealth};
use codexflow_core::queue::QueueInsight;
use grafana_plugin_sdk::data::{FieldConfig, Frame, IntoField, IntoOptField};

use super::frames::{for_reader, times, FrameError, Reader};

/// One number of a queue: its field name, what a person reads, Grafana's unit, and how it is read.
struct Measure {
    name: &'static str,
    title: &'static str,
    unit: &'static str,
    of: fn(&QueueInsight) -> Option<f64>,
}

fn seconds(ms: Option<i64>) -> Option<f64> {
    ms.map(|ms| ms as f64 / 1000.0)
}

const MEASURES: [Measure; 4] = [
    Measure { name: "backlog", title: "backlog", unit: "short", of: |q| q.backlog },
    Measure { name: "rate", title: "net change", unit: "suffix:msg/s", of: |q| q.rate_per_s },
    Measure { name: "lag", title: "lag", unit: "s", of: |q| seconds(q.lag_time_ms) },
    Measure { name: "drain", title: "drained in", unit: "s", of: |q| seconds(q.drain_in_ms) },
];

/// The queue frames of `stages` that have a queue.
pub fn queue_frames(
    answer: &EvaluateResponse,
    stages: &[&StageHealth],
    reader: Reader,
) -> Result<Vec<Frame>, FrameError> {
    let Some(&last) = answer.ticks.last() else { return Ok(Vec::new()) };
    let at = times(&[last])?;
    Ok(stages
        .iter()
        .filter_map(|s| Some((*s, s.queue.as_ref()?)))
        .map(|(s, q)| queue_frame(s, q, &at, reader))
        .collect())
}

fn queue_frame(stage: &StageHealth, q: &QueueInsight, at: &[chrono::DateTime<chrono::Utc>], reader: Reader) -> Frame {
    let mut frame = Frame::new(stage.id.clone()).with_field(at.to_vec().into_field("time"));
    for m in &MEASURES {
        let value = (m.of)(q).filter(|v| v.is_finite());
        let config = || {
            let mut config = FieldConfig::default();
            config.display_name_from_ds = Some(format!("{} {}", stage.name, m.title));
            config.unit = Some(m.unit.to_string());
            config
        };
        // One series per number for alerting, told apart by its labels.
        let labels = [("stage", stage.id.as_str()), ("measure", m.name)];
        let field = for_reader(vec![value].into_opt_field(m.name), config, &labels, reader);
        frame = frame.with_field(field);
    }
    if reader == Reader::Panel {
        frame = frame
            .with_field(vec![q.trend.as_str()].into_field("trend"))
            .with_field(vec![q.consumer.as_str()].into_field("consumer"));
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasource::frames::tests::{answer, stage};
    use codexflow_core::queue::{ConsumerStatus, Trend};

    #[test]
    fn a_backlog_stage_is_one_row_of_its_queue_with_units() {
        let mut kafka = stage("kafka", &[]);
        kafka.queue = Some(QueueInsight {
            backlog: Some(1200.0),
            rate_per_s: Some(-4.0),
            drain_in_ms: Some(300_000),
            lag_time_ms: None,
            trend: Trend::Draining,
            consumer: ConsumerStatus::Ok,
            ..Default::default()
        });
        let a = answer(vec![kafka, stage("sse", &[])]);
        let chosen: Vec<&StageHealth> = a.stages.iter().collect();
        let frames = queue_frames(&a, &chosen, Reader::Panel).unwrap();
        assert_eq!(frames.len(), 1, "only the backlog stage");
        let f = serde_json::to_value(&frames[0]).unwrap();
        assert_eq!(
            f["data"]["values"],
            serde_json::json!([[120_000], [1200.0], [-4.0], [null], [300.0], ["draining"], ["ok"]])
        );
        let fields = &f["schema"]["fields"];
        assert_eq!(fields[3]["config"], serde_json::json!({ "displayNameFromDS": "kafka stage lag", "unit": "s" }));
        assert_eq!(fields[2]["config"]["unit"], "suffix:msg/s");
        let alerting = serde_json::to_value(&queue_frames(&a, &chosen, Reader::Alerting).unwrap()[0]).unwrap();
        assert_eq!(alerting["schema"]["fields"].as_array().map(Vec::len), Some(5), "numbers only");
        assert_eq!(
            alerting["schema"]["fields"][1]["labels"],
            serde_json::json!({ "stage": "kafka", "measure": "backlog" })
        );
    }
}
