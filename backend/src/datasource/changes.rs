//! `stageChanges`: each change of a stage's status in the window as an annotation event, so any
//! time series panel can mark "Kafka completions → critical: lag 3,056 > 1,000 for 15m, since 12:03
//! UTC (was warning)" at the tick it changed. The first tick
//! is where the window starts, not a change. The reason is the one the flow panel shows at that
//! tick (`core::reason`), in UTC.

use codexflow_core::api::{EvaluateResponse, StageHealth};
use codexflow_core::datasource::{status_word, CHANGE_TAG};
use codexflow_core::reason::{stage_reason_at, UtcClock};
use codexflow_core::StageStatus;
use grafana_plugin_sdk::data::{Frame, IntoField};

use super::frames::{times, FrameError};

/// One change of one stage's status.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub at: i64,
    pub stage: String,
    pub from: StageStatus,
    pub to: StageStatus,
    /// What the stage showed at `at`: the title and the reason after it.
    pub title: String,
    pub text: String,
}

/// The changes of `stages` in time order (stages in pipeline order at one tick).
pub fn changes(answer: &EvaluateResponse, stages: &[&StageHealth]) -> Vec<Change> {
    let mut out = Vec::new();
    for (i, &at) in answer.ticks.iter().enumerate().skip(1) {
        for stage in stages {
            let (Some(&from), Some(&to)) = (stage.status_timeline.get(i - 1), stage.status_timeline.get(i)) else {
                continue;
            };
            if from == to {
                continue;
            }
            let title = format!("{} → {}", stage.name, status_word(to));
            let reason = stage_reason_at(&answer.rules, &answer.alerts, Some(&stage.id), Some(at), &UtcClock);
            let text = match reason {
                Some(r) => format!("{title}: {r} (was {})", status_word(from)),
                None => format!("{title} (was {})", status_word(from)),
            };
            out.push(Change { at, stage: stage.id.clone(), from, to, title, text });
        }
    }
    out
}

/// The changes as one frame of annotation events: `time`, `title`, `text` and `tags` (comma
/// separated: this data source's tag, the stage's id and its new status).
pub fn changes_frame(answer: &EvaluateResponse, stages: &[&StageHealth]) -> Result<Frame, FrameError> {
    let all = changes(answer, stages);
    let at: Vec<i64> = all.iter().map(|c| c.at).collect();
    Ok(Frame::new("stage changes")
        .with_field(times(&at)?.into_field("time"))
        .with_field(all.iter().map(|c| c.title.clone()).collect::<Vec<_>>().into_field("title"))
        .with_field(all.iter().map(|c| c.text.clone()).collect::<Vec<_>>().into_field("text"))
        .with_field(
            all.iter()
                .map(|c| format!("{CHANGE_TAG},{},{}", c.stage, status_word(c.to)))
                .collect::<Vec<_>>()
                .into_field("tags"),
        )
        .with_field(all.iter().map(|c| c.stage.clone()).collect::<Vec<_>>().into_field("stage")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasource::frames::tests::{answer, stage};
    use StageStatus::{Critical as C, Ok as O, Warning as W};

    #[test]
    fn each_change_of_status_is_an_event_and_the_first_tick_is_none() {
        let a = answer(vec![stage("kafka", &[C, C, O]), stage("nats", &[O, W, C])]);
        let chosen: Vec<&StageHealth> = a.stages.iter().collect();
        let c = changes(&a, &chosen);
        let seen: Vec<(i64, &str, StageStatus, StageStatus)> =
            c.iter().map(|c| (c.at, c.stage.as_str(), c.from, c.to)).collect();
        assert_eq!(seen, [(60_000, "nats", O, W), (120_000, "kafka", C, O), (120_000, "nats", W, C)]);
        assert_eq!(c[0].text, "nats stage → warning (was ok)");
        let frame = serde_json::to_value(changes_frame(&a, &chosen).unwrap()).unwrap();
        assert_eq!(frame["data"]["values"][3][0], "codexflow,nats,warning");
        assert_eq!(frame["data"]["values"][0], serde_json::json!([60_000, 120_000, 120_000]));
    }

    #[test]
    fn the_reason_at_the_tick_is_in_the_text() {
        let mut a = answer(vec![stage("kafka", &[O, C, C])]);
        a.rules = serde_json::from_value(serde_json::json!([{
            "name": "KafkaLag", "group": "g", "stage": "kafka", "severity": "critical", "op": ">",
            "threshold": 1000.0, "valueName": "lag"
        }]))
        .unwrap();
        a.alerts = vec![serde_json::from_value(serde_json::json!({
            "name": "KafkaLag", "rule": 0, "stage": "kafka", "severity": "critical", "labels": {"alertname": "KafkaLag"},
            "at": 120_000, "state": "firing", "activeAt": 0,
            "timeline": [
                {"t": 0, "state": "pending", "value": 1200.0, "activeAt": 0},
                {"t": 60_000, "state": "firing", "value": 3056.0, "activeAt": 0},
                {"t": 120_000, "state": "firing", "value": 3100.0, "activeAt": 0}
            ]
        }))
        .unwrap()];
        let chosen: Vec<&StageHealth> = a.stages.iter().collect();
        let c = changes(&a, &chosen);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].text, "kafka stage → critical: lag 3,056 > 1,000 for 1m, since 00:00 UTC (was ok)");
    }
}
