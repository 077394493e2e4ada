//! An evaluation as Grafana data frames: pure, from the same answer `v1/evaluate` gives, so the
//! frames and the flow panel cannot disagree about a tick.
//!
//! - `stageStatus`: a frame per stage (named by its id), `time` and `status` (the status's rank,
//!   0 ok … 3 critical, shown as the stage's name, coloured by thresholds), what State timeline and
//!   Status history draw.
//! - `pipelineStatus`: one frame, `time`, `status` (the worst stage's) and `stage` (the worst stage
//!   at that tick, the first in pipeline order on a tie; empty while every stage is ok), what one
//!   alert rule on the whole pipeline reduces.
//! - `alerts`, `queue`, `stageChanges`: in their own modules.
//! - `stages`: one frame, `text` (name) and `value` (id), a dashboard variable's options.

use chrono::{DateTime, TimeZone, Utc};
use codexflow_core::api::{EvaluateResponse, StageHealth};
use codexflow_core::datasource::{codes, status_code, QueryType, STATUS_DISPLAY};
use codexflow_core::pipeline::PipelineSpec;
use codexflow_core::status::worst_first;
use codexflow_core::StageStatus;
use grafana_plugin_sdk::data::{Field, FieldConfig, Frame, IntoField};

use super::alert_frames::alert_frames;
use super::changes::changes_frame;
use super::queue_frames::queue_frames;

/// Why a query's frames could not be made.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FrameError {
    #[error("no stage with id {id:?}; the stages are {known}")]
    UnknownStage { id: String, known: String },
    #[error("tick {0} ms is outside the times a frame can hold (1970 to 2262)")]
    Time(i64),
    #[error("{0} gives text, which an alert rule cannot take; use pipelineStatus, stageStatus, alerts or queue")]
    NotForAlerting(&'static str),
}

/// Who reads the frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// A panel: each status field with its display name and colours.
    Panel,
    /// Grafana's alerting (`FromAlert`): one series per frame, told apart by labels, numbers only.
    /// Its expressions take a number field beside a string one for a long frame and split it by the
    /// strings, and refuse frames whose labels are the same; and grafana-plugin-sdk 0.5 writes a
    /// field's labels only when it has no config (`Field::to_arrow_field`). So here the stage is a
    /// label, the status has no config, and the pipeline frame has no `stage` field.
    Alerting,
}

/// The frames answering `query_type` for `stages` (empty: every stage, in pipeline order).
pub fn frames(
    answer: &EvaluateResponse,
    query_type: QueryType,
    stages: &[String],
    reader: Reader,
) -> Result<Vec<Frame>, FrameError> {
    let chosen = chosen(&answer.stages, |s| &s.id, stages)?;
    if reader == Reader::Alerting && matches!(query_type, QueryType::StageChanges | QueryType::Stages) {
        return Err(FrameError::NotForAlerting(query_type.as_str()));
    }
    Ok(match query_type {
        QueryType::StageStatus => {
            let times = times(&answer.ticks)?;
            chosen.iter().map(|s| stage_frame(s, &times, reader)).collect()
        }
        QueryType::PipelineStatus => vec![pipeline_frame(&chosen, &times(&answer.ticks)?, reader)],
        QueryType::Alerts => alert_frames(answer, &chosen, stages.is_empty(), reader)?,
        QueryType::Queue => queue_frames(answer, &chosen, reader)?,
        QueryType::StageChanges => vec![changes_frame(answer, &chosen)?],
        QueryType::Stages => vec![stage_list(chosen.iter().map(|s| (s.id.as_str(), s.name.as_str())))],
    })
}

/// The `stages` query from the pipeline alone: its list needs no evaluation, so a dashboard's
/// variable costs the upstream nothing and is there while the upstream is not.
pub fn pipeline_stage_list(pipeline: &PipelineSpec, stages: &[String], reader: Reader) -> Result<Frame, FrameError> {
    if reader == Reader::Alerting {
        return Err(FrameError::NotForAlerting(QueryType::Stages.as_str()));
    }
    let chosen = chosen(&pipeline.stages, |s| &s.id, stages)?;
    Ok(stage_list(chosen.iter().map(|s| (s.id.as_str(), s.name.as_str()))))
}

/// The stages as a variable's options: `text` what a person picks, `value` the id a query takes.
fn stage_list<'a>(stages: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Frame {
    Frame::new("stages")
        .with_field(stages.clone().map(|(_, name)| name.to_string()).collect::<Vec<_>>().into_field("text"))
        .with_field(stages.map(|(id, _)| id.to_string()).collect::<Vec<_>>().into_field("value"))
}

/// The stages asked for (`ids`; none: all), in pipeline order; an id that names no stage is an
/// error naming the ones there are.
fn chosen<'a, T>(all: &'a [T], id: impl Fn(&T) -> &String, ids: &[String]) -> Result<Vec<&'a T>, FrameError> {
    if let Some(unknown) = ids.iter().find(|wanted| !all.iter().any(|s| id(s) == *wanted)) {
        let known = all.iter().map(|s| id(s).as_str()).collect::<Vec<_>>().join(", ");
        return Err(FrameError::UnknownStage { id: unknown.clone(), known });
    }
    Ok(all.iter().filter(|s| ids.is_empty() || ids.contains(id(s))).collect())
}

/// The ticks as frame times: the SDK writes them in nanoseconds, which end in 2262.
pub fn times(ticks: &[i64]) -> Result<Vec<DateTime<Utc>>, FrameError> {
    ticks
        .iter()
        .map(|&t| {
            Utc.timestamp_millis_opt(t)
                .single()
                .filter(|d| d.timestamp_nanos_opt().is_some())
                .ok_or(FrameError::Time(t))
        })
        .collect()
}

/// A coded field's config: its display name, and thresholds that colour each code as the flow
/// panel colours what it stands for (`display`: code, word, colour, best to worst).
///
/// Not value mappings: grafana-plugin-sdk 0.5 writes them with the types `valueMapper`,
/// `rangeValueMapper` and `specialValueMapper`, which Grafana's decoder refuses ("unknown mapping
/// type", grafana-plugin-sdk-go `data/field_config.go`), failing the whole frame. The words come
/// from the panel's own mappings ([`mappings_json`]).
pub fn coded_config(display_name: &str, display: &[(i64, &str, &str)]) -> FieldConfig {
    // Each step from its own code, the first too: a base without a value (Grafana's -Infinity) is left
    // out by the SDK, and `getActiveThreshold` then stops at the base for every value.
    let steps: Vec<serde_json::Value> =
        display.iter().map(|(code, _, color)| serde_json::json!({ "value": code, "color": color })).collect();
    let mut config = FieldConfig::default();
    config.display_name_from_ds = Some(display_name.to_string());
    config.thresholds = serde_json::from_value(serde_json::json!({ "mode": "absolute", "steps": steps })).ok();
    config.min = display.first().map(|d| d.0 as f64);
    config.max = display.last().map(|d| d.0 as f64);
    config
}

/// The value mappings that give each code its word and colour in a panel's field config
/// (`fieldConfig.defaults.mappings`), as Grafana's JSON has them.
pub fn mappings_json(display: &[(i64, &str, &str)]) -> serde_json::Value {
    let options: serde_json::Map<String, serde_json::Value> = display
        .iter()
        .enumerate()
        .map(|(index, (code, text, color))| {
            (code.to_string(), serde_json::json!({ "text": text, "color": color, "index": index }))
        })
        .collect();
    serde_json::json!([{ "type": "value", "options": options }])
}

/// Stage statuses as codes, words and colours.
pub fn status_display() -> Vec<(i64, &'static str, &'static str)> {
    codes(&STATUS_DISPLAY, status_code)
}

/// The value mappings of stage statuses.
pub fn status_mappings_json() -> serde_json::Value {
    mappings_json(&status_display())
}

/// A field as its reader takes it: for a panel with `config`, for alerting with `labels` alone.
pub fn for_reader(
    mut field: Field,
    config: impl FnOnce() -> FieldConfig,
    labels: &[(&str, &str)],
    reader: Reader,
) -> Field {
    match reader {
        Reader::Panel => field.with_config(config()),
        Reader::Alerting => {
            field.labels.extend(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            field
        }
    }
}

/// A field of codes: for a panel with its display name and colours, for alerting with `labels`.
pub fn coded_field(
    name: &str,
    codes: Vec<i64>,
    display_name: &str,
    display: &[(i64, &str, &str)],
    labels: &[(&str, &str)],
    reader: Reader,
) -> Field {
    for_reader(codes.into_field(name), || coded_config(display_name, display), labels, reader)
}

/// The status field of a stage or the pipeline.
fn status_field(
    statuses: impl Iterator<Item = StageStatus>,
    display_name: &str,
    labels: &[(&str, &str)],
    reader: Reader,
) -> Field {
    coded_field("status", statuses.map(status_code).collect(), display_name, &status_display(), labels, reader)
}

/// A stage's status at tick `i`; a timeline shorter than the ticks (it never is) is unknown there.
fn status_at(stage: &StageHealth, i: usize) -> StageStatus {
    stage.status_timeline.get(i).copied().unwrap_or(StageStatus::Nodata)
}

fn stage_frame(stage: &StageHealth, times: &[DateTime<Utc>], reader: Reader) -> Frame {
    let statuses = (0..times.len()).map(|i| status_at(stage, i));
    Frame::new(stage.id.clone()).with_field(times.to_vec().into_field("time")).with_field(status_field(
        statuses,
        &stage.name,
        &[("stage", &stage.id)],
        reader,
    ))
}

fn pipeline_frame(stages: &[&StageHealth], times: &[DateTime<Utc>], reader: Reader) -> Frame {
    let worst: Vec<(StageStatus, &str)> = (0..times.len())
        .map(|i| {
            worst_first(stages.iter().map(|s| (status_at(s, i), s.id.as_str())))
                .filter(|(status, _)| *status > StageStatus::Ok)
                .unwrap_or((StageStatus::Ok, ""))
        })
        .collect();
    let frame = Frame::new("pipeline").with_field(times.to_vec().into_field("time")).with_field(status_field(
        worst.iter().map(|w| w.0),
        "pipeline",
        &[],
        reader,
    ));
    match reader {
        Reader::Panel => {
            frame.with_field(worst.iter().map(|w| w.1.to_string()).collect::<Vec<String>>().into_field("stage"))
        }
        Reader::Alerting => frame,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use codexflow_core::api::Headline;

    pub fn stage(id: &str, timeline: &[StageStatus]) -> StageHealth {
        StageHealth {
            id: id.into(),
            name: format!("{id} stage"),
            status: timeline.last().copied().unwrap_or_default(),
            reason: None,
            headline: Headline { label: "x".into(), unit: String::new(), value: None, error: None },
            series: vec![],
            status_timeline: timeline.to_vec(),
            status_runs: None,
            series_values: None,
            missing_series: vec![],
            queue: None,
            suppressed: false,
            bottleneck_runs: Vec::new(),
            age_timeline: Vec::new(),
        }
    }

    pub fn answer(stages: Vec<StageHealth>) -> EvaluateResponse {
        serde_json::from_value(serde_json::json!({
            "from": 0, "to": 120_000, "intervalMs": 60_000, "ticks": [0, 60_000, 120_000], "stages": [],
            "edges": [], "source": { "source": "builtin", "why": "" }, "rules": [], "alerts": []
        }))
        .map(|mut a: EvaluateResponse| {
            a.stages = stages;
            a
        })
        .expect("an answer")
    }

    fn json(frame: &Frame) -> serde_json::Value {
        serde_json::to_value(frame).expect("frame JSON")
    }

    use StageStatus::{Critical as C, Nodata as N, Ok as O, Warning as W};

    #[test]
    fn a_frame_per_stage_with_its_status_at_every_tick() {
        let a = answer(vec![stage("kafka", &[O, W, C]), stage("nats", &[O, N, O])]);
        let shown: Vec<serde_json::Value> =
            frames(&a, QueryType::StageStatus, &[], Reader::Panel).unwrap().iter().map(json).collect();
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[0]["data"]["values"], serde_json::json!([[0, 60_000, 120_000], [0, 2, 3]]));
        let status = &shown[0]["schema"]["fields"][1];
        assert_eq!(status["config"]["displayNameFromDS"], "kafka stage");
        assert_eq!(
            status["config"]["thresholds"],
            serde_json::json!({ "mode": "absolute", "steps": [
                { "value": 0.0, "color": "green" }, { "value": 1.0, "color": "#8e8e8e" }, { "value": 2.0, "color": "orange" },
                { "value": 3.0, "color": "red" } ] })
        );
        assert!(status["config"].get("mappings").is_none(), "the SDK's mappings would fail the frame in Grafana");
        assert_eq!(
            status_mappings_json()[0]["options"]["3"],
            serde_json::json!({ "text": "critical", "color": "red", "index": 3 })
        );
        assert_eq!(shown[1]["data"]["values"][1], serde_json::json!([0, 1, 0]));
        // Asked for one stage: that one alone.
        let one = frames(&a, QueryType::StageStatus, &["nats".into()], Reader::Panel).unwrap();
        assert_eq!(one.iter().map(|f| json(f)["schema"]["name"].clone()).collect::<Vec<_>>(), ["nats"]);
    }

    #[test]
    fn the_pipeline_frame_holds_the_worst_status_and_its_stage() {
        let a = answer(vec![stage("kafka", &[O, W, W]), stage("nats", &[O, C, W])]);
        let frame = json(&frames(&a, QueryType::PipelineStatus, &[], Reader::Panel).unwrap()[0]);
        assert_eq!(frame["data"]["values"][1], serde_json::json!([0, 3, 2]));
        // Every stage ok: no stage at fault; a tie goes to the first in pipeline order.
        assert_eq!(frame["data"]["values"][2], serde_json::json!(["", "nats", "kafka"]));
    }

    #[test]
    fn alerting_gets_labelled_numbers_only() {
        let a = answer(vec![stage("kafka", &[O, W, C]), stage("nats", &[O, N, O])]);
        let stages: Vec<serde_json::Value> =
            frames(&a, QueryType::StageStatus, &[], Reader::Alerting).unwrap().iter().map(json).collect();
        assert_eq!(stages[1]["schema"]["fields"][1]["labels"], serde_json::json!({ "stage": "nats" }));
        assert!(stages[1]["schema"]["fields"][1].get("config").is_none());
        let pipeline = json(&frames(&a, QueryType::PipelineStatus, &[], Reader::Alerting).unwrap()[0]);
        assert_eq!(pipeline["schema"]["fields"].as_array().map(Vec::len), Some(2), "time and status, no string field");
    }

    #[test]
    fn the_demo_state_timeline_shows_the_words_and_colours_of_the_frames() {
        let dashboard: serde_json::Value =
            serde_json::from_str(include_str!("../../../provisioning/dashboards/codex-pipeline-observability.json"))
                .expect("the demo dashboard");
        let panels = dashboard["panels"].as_array().expect("panels");
        let timeline = panels.iter().find(|p| p["type"] == "state-timeline").expect("a State timeline");
        assert_eq!(timeline["fieldConfig"]["defaults"]["mappings"], status_mappings_json());
        assert_eq!(timeline["targets"][0]["queryType"], QueryType::StageStatus.as_str());
        let anno = &dashboard["annotations"]["list"][0];
        assert_eq!(anno["target"]["queryType"], QueryType::StageChanges.as_str());
    }

    #[test]
    fn alerting_is_refused_the_query_types_of_text() {
        let a = answer(vec![stage("kafka", &[O, W, C])]);
        for t in [QueryType::StageChanges, QueryType::Stages] {
            let e = frames(&a, t, &[], Reader::Alerting).unwrap_err();
            assert!(e.to_string().starts_with(t.as_str()), "{e}");
        }
    }

    #[test]
    fn times_past_2262_are_an_error_not_a_wrong_time() {
        let mut a = answer(vec![stage("kafka", &[O, O, O])]);
        a.ticks = vec![0, 60_000, 10_000_000_000_000];
        let e = frames(&a, QueryType::StageStatus, &[], Reader::Panel).unwrap_err();
        assert_eq!(e, FrameError::Time(10_000_000_000_000));
    }

    #[test]
    fn an_unknown_stage_is_an_error_naming_the_stages() {
        let a = answer(vec![stage("kafka", &[O, O, O])]);
        let e = frames(&a, QueryType::StageStatus, &["kafak".into()], Reader::Panel).unwrap_err();
        assert_eq!(e.to_string(), "no stage with id \"kafak\"; the stages are kafka");
    }
}
