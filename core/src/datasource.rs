//! The Codex Flow data source's contract: what a query asks, and how a stage status is drawn as
//! Grafana data. A status is a number (its rank, so "worse than" is `>` in an alert rule or a
//! threshold) with a value mapping that gives Grafana's panels its word and colour.

use serde::{Deserialize, Serialize};

use crate::alerting::AlertState;
use crate::status::StageStatus;

/// The data source plugin nested in the app.
pub const DATASOURCE_ID: &str = "proompteng-codexflow-datasource";

/// Stage ids one query may name.
pub const MAX_QUERY_STAGES: usize = 100;
/// Bytes of one query's JSON read; a longer one is that query's error.
pub const MAX_QUERY_BYTES: usize = 16 << 10;
/// Queries one request may carry; those past it are each answered with an error.
pub const MAX_QUERIES: usize = 50;
/// Distinct time ranges one request may ask (each is one evaluation); queries over more are errors.
pub const MAX_RANGES: usize = 4;
/// Characters of a stage id read; the pipeline's own ids are far shorter.
pub const MAX_STAGE_ID_CHARS: usize = 200;

/// What a query asks for (`queryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum QueryType {
    /// A frame per stage: its status at every evaluation tick.
    #[default]
    StageStatus,
    /// One frame: the worst stage status at every tick and the stage at fault.
    PipelineStatus,
    /// A frame per alert (a label set): its state at every tick, as the ruler's `ALERTS` holds it.
    Alerts,
    /// A frame per backlog stage: its queue at the window's end (backlog, net rate, lag, drain).
    Queue,
    /// One frame of annotation events: each change of a stage's status, with the reason.
    StageChanges,
    /// One frame listing the stages (id and name), for a dashboard variable.
    Stages,
}

impl QueryType {
    pub const ALL: [QueryType; 6] = [
        QueryType::StageStatus,
        QueryType::PipelineStatus,
        QueryType::Alerts,
        QueryType::Queue,
        QueryType::StageChanges,
        QueryType::Stages,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueryType::StageStatus => "stageStatus",
            QueryType::PipelineStatus => "pipelineStatus",
            QueryType::Alerts => "alerts",
            QueryType::Queue => "queue",
            QueryType::StageChanges => "stageChanges",
            QueryType::Stages => "stages",
        }
    }

    /// The `queryType` Grafana sends; empty (a query saved without one) is the default.
    pub fn parse(text: &str) -> Option<QueryType> {
        if text.is_empty() {
            return Some(QueryType::default());
        }
        QueryType::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Every query type's name, as an error lists them.
    pub fn names() -> String {
        QueryType::ALL.map(QueryType::as_str).join(", ")
    }
}

/// The query's own fields (Grafana adds `refId`, `datasource`, `intervalMs`, … beside them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StatusQuery {
    /// The stages to answer for, by id; empty is every stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
}

/// The number a status is drawn as: its rank, best to worst.
pub fn status_code(status: StageStatus) -> i64 {
    match status {
        StageStatus::Ok => 0,
        StageStatus::Nodata => 1,
        StageStatus::Warning => 2,
        StageStatus::Critical => 3,
    }
}

/// A display table (a value, its word, its colour, best to worst) as codes: what a field's
/// thresholds and value mappings are built from.
pub fn codes<T: Copy>(
    table: &[(T, &'static str, &'static str)],
    code: fn(T) -> i64,
) -> Vec<(i64, &'static str, &'static str)> {
    table.iter().map(|(v, word, colour)| (code(*v), *word, *colour)).collect()
}

/// The word Grafana shows for a status.
pub fn status_word(status: StageStatus) -> &'static str {
    STATUS_DISPLAY.iter().find(|(s, _, _)| *s == status).map_or("unknown", |(_, word, _)| *word)
}

/// The number an alert state is drawn as, as `ALERTS` ranks them: 0 inactive, 1 pending, 2 firing.
pub fn alert_state_code(state: AlertState) -> i64 {
    match state {
        AlertState::Inactive => 0,
        AlertState::Pending => 1,
        AlertState::Firing => 2,
    }
}

/// What Grafana shows for each alert state code, as [`STATUS_DISPLAY`] for statuses.
pub const ALERT_STATE_DISPLAY: [(AlertState, &str, &str); 3] = [
    (AlertState::Inactive, "inactive", "green"),
    (AlertState::Pending, "pending", "orange"),
    (AlertState::Firing, "firing", "red"),
];

/// The tags every stage change carries, beside the stage's id and its new status, so an annotation
/// query of a dashboard can pick them out.
pub const CHANGE_TAG: &str = "codexflow";

/// What Grafana shows for each status code: the word, and a colour as Grafana's value mappings take
/// one (a palette name, or a CSS colour `theme.visualization.getColorByName` passes through), in
/// the hues the flow panel uses: green, grey, orange, red.
pub const STATUS_DISPLAY: [(StageStatus, &str, &str); 4] = [
    (StageStatus::Ok, "ok", "green"),
    (StageStatus::Nodata, "no data", "#8e8e8e"),
    (StageStatus::Warning, "warning", "orange"),
    (StageStatus::Critical, "critical", "red"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_rank_as_statuses_do_and_every_status_is_shown() {
        let ranked: Vec<i64> = STATUS_DISPLAY.iter().map(|(s, _, _)| status_code(*s)).collect();
        assert_eq!(ranked, [0, 1, 2, 3]);
        assert!(STATUS_DISPLAY.windows(2).all(|w| w[0].0 < w[1].0));
        let states: Vec<i64> = codes(&ALERT_STATE_DISPLAY, alert_state_code).iter().map(|c| c.0).collect();
        assert_eq!(states, [0, 1, 2]);
        assert_eq!(status_word(StageStatus::Nodata), "no data");
    }

    #[test]
    fn query_types_parse_as_written_and_empty_is_the_default() {
        for t in QueryType::ALL {
            assert_eq!(QueryType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(QueryType::parse(""), Some(QueryType::StageStatus));
        assert_eq!(QueryType::parse("StageStatus"), None);
        assert_eq!(QueryType::names(), "stageStatus, pipelineStatus, alerts, queue, stageChanges, stages");
    }
}
