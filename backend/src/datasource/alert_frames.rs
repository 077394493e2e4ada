//! `alerts`: a frame per alert (one label set of one rule), its state at every tick of its group as
//! the ruler's `ALERTS` series hold it (here 0 inactive, 1 pending, 2 firing, where `ALERTS` has no
//! sample while inactive) and, for a panel, the rule expression's value beside it. An alert whose rule could not
//! be evaluated, or whose inputs do not exist, says so in a notice on its frame: its states are
//! then not known, and the frame does not pretend they are inactive.

use codexflow_core::api::{AlertTimeline, EvaluateResponse, StageHealth};
use codexflow_core::datasource::{alert_state_code, codes, ALERT_STATE_DISPLAY};
use codexflow_core::reason::{error_reason, nodata_reason};
use grafana_plugin_sdk::data::{FieldConfig, Frame, IntoField, IntoOptField, Metadata, Notice, Severity};

use super::frames::{coded_field, times, FrameError, Reader};

/// The label that carries an alert's rule name to Grafana's alerting.
pub const ALERT_LABEL: &str = "alert";

/// The frames of the alerts of `stages` (every alert, the unassigned too, when no stage was asked).
pub fn alert_frames(
    answer: &EvaluateResponse,
    stages: &[&StageHealth],
    every: bool,
    reader: Reader,
) -> Result<Vec<Frame>, FrameError> {
    answer
        .alerts
        .iter()
        .filter(|a| every || a.stage.as_deref().is_some_and(|id| stages.iter().any(|s| s.id == id)))
        .map(|a| alert_frame(answer, a, reader))
        .collect()
}

fn alert_frame(answer: &EvaluateResponse, alert: &AlertTimeline, reader: Reader) -> Result<Frame, FrameError> {
    let ticks: Vec<i64> = alert.timeline.iter().map(|p| p.t).collect();
    let states: Vec<i64> = alert.timeline.iter().map(|p| alert_state_code(p.state)).collect();
    let display = codes(&ALERT_STATE_DISPLAY, alert_state_code);
    let told_apart = alert.labels.distinguishing();
    let name = if told_apart.is_empty() { alert.name.clone() } else { format!("{} {{{told_apart}}}", alert.name) };
    // Grafana's alerting drops a result label named as one of its own (`alertname` first), which
    // would merge alerts of different rules into one instance: the rule's name goes as `alert`.
    let labels: Vec<(&str, &str)> =
        alert.labels.iter().map(|(k, v)| (if k == "alertname" { ALERT_LABEL } else { k }, v)).collect();
    let mut frame = Frame::new(alert.name.clone())
        .with_field(times(&ticks)?.into_field("time"))
        .with_field(coded_field("state", states, &name, &display, &labels, reader));
    if reader == Reader::Panel {
        let values: Vec<Option<f64>> = alert.timeline.iter().map(|p| p.value.filter(|v| v.is_finite())).collect();
        let mut config = FieldConfig::default();
        config.display_name_from_ds = Some(format!("{name} value"));
        frame = frame.with_field(values.into_opt_field("value").with_config(config));
    }
    let rule = answer.rules.get(alert.rule).map_or(alert.name.as_str(), |r| r.name.as_str());
    let unknown = match (&alert.error, alert.nodata) {
        (Some(error), _) => Some(error_reason(rule, error)),
        (None, true) => Some(nodata_reason(rule, &alert.missing_series)),
        (None, false) => None,
    };
    if let Some(text) = unknown {
        let mut notice = Notice::new(text);
        notice.severity = Some(Severity::Warning);
        let mut meta = Metadata::default();
        meta.notices = Some(vec![notice]);
        frame = frame.with_metadata(meta);
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasource::frames::tests::answer;
    use codexflow_core::alerting::AlertState;

    fn alert(name: &str, stage: Option<&str>, labels: &str, states: &[AlertState]) -> AlertTimeline {
        serde_json::from_value(serde_json::json!({
            "name": name, "rule": 0, "stage": stage, "severity": "critical",
            "labels": serde_json::from_str::<serde_json::Value>(labels).unwrap(),
            "at": 120_000, "state": "inactive",
            "timeline": states.iter().enumerate().map(|(i, s)| serde_json::json!({
                "t": i as i64 * 60_000, "state": s.as_str(), "value": if *s == AlertState::Inactive { None } else { Some(1500.0) }
            })).collect::<Vec<_>>()
        }))
        .expect("an alert")
    }

    fn json(frame: &Frame) -> serde_json::Value {
        serde_json::to_value(frame).expect("frame JSON")
    }

    use AlertState::{Firing as F, Inactive as I, Pending as P};

    #[test]
    fn each_alert_is_a_frame_of_its_states_and_values() {
        let mut a = answer(vec![]);
        a.alerts = vec![
            alert("KafkaLag", Some("kafka"), r#"{"alertname":"KafkaLag","topic":"t"}"#, &[I, P, F]),
            alert("Orphan", None, r#"{"alertname":"Orphan"}"#, &[I, I, I]),
        ];
        let all = alert_frames(&a, &[], true, Reader::Panel).unwrap();
        assert_eq!(all.len(), 2);
        let kafka = json(&all[0]);
        assert_eq!(
            kafka["data"]["values"],
            serde_json::json!([[0, 60_000, 120_000], [0, 1, 2], [null, 1500.0, 1500.0]])
        );
        assert_eq!(kafka["schema"]["fields"][1]["config"]["displayNameFromDS"], "KafkaLag {topic=t}");
        assert!(kafka["schema"]["meta"]["notices"].is_null(), "a known alert has no notice");
        // Alerting gets the label set on the state, and numbers only.
        let alerting = json(&alert_frames(&a, &[], true, Reader::Alerting).unwrap()[0]);
        assert_eq!(alerting["schema"]["fields"][1]["labels"], serde_json::json!({"alert": "KafkaLag", "topic": "t"}));
        assert_eq!(alerting["schema"]["fields"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn asked_for_stages_only_their_alerts_and_unknown_states_say_so() {
        let mut a = answer(vec![]);
        let mut broken = alert("NatsBacklog", Some("nats"), r#"{"alertname":"NatsBacklog"}"#, &[]);
        broken.nodata = true;
        broken.missing_series = vec!["jetstream_consumer_num_pending".into()];
        a.alerts = vec![alert("KafkaLag", Some("kafka"), r#"{"alertname":"KafkaLag"}"#, &[I, I, I]), broken];
        a.rules = serde_json::from_value(serde_json::json!([{ "name": "NatsBacklog", "group": "g" }])).unwrap();
        let nats = crate::datasource::frames::tests::stage("nats", &[]);
        let frames = alert_frames(&a, &[&nats], false, Reader::Panel).unwrap();
        assert_eq!(frames.len(), 1);
        let frame = json(&frames[0]);
        assert_eq!(frame["schema"]["name"], "NatsBacklog");
        assert_eq!(
            frame["schema"]["meta"]["notices"][0],
            serde_json::json!({
                "severity": "warning",
                "text": "no data: jetstream_consumer_num_pending has no series, so NatsBacklog can never fire"
            })
        );
    }
}
