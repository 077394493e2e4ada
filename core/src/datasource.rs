//! The Codex Flow data source's contract: what a query asks, and how a stage status is drawn as
//! Grafana data. A status is a number (its rank, so "worse than" is `>` in an alert rule or a
//! threshold) with a value mapping that gives Grafana's panels its word and colour.

use serde::{Deserialize, Serialize};

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
}

impl QueryType {
    pub const ALL: [QueryType; 2] = [QueryType::StageStatus, QueryType::PipelineStatus];

    pub fn as_str(self) -> &'static str {
        match self {
            QueryType::StageStatus => "stageStatus",
            QueryType::PipelineStatus => "pipelineStatus",
        }
    }

    /// The `queryType` Grafana sends; empty (a query saved without one) is the default.
    pub fn parse(text: &str) -> Option<QueryType> {
        if text.is_empty() {
            return Some(QueryType::default());
        }
        QueryType::ALL.into_iter().find(|t| t.as_str() == text)
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
    }

    #[test]
    fn query_types_parse_as_written_and_empty_is_the_default() {
        for t in QueryType::ALL {
            assert_eq!(QueryType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(QueryType::parse(""), Some(QueryType::StageStatus));
        assert_eq!(QueryType::parse("StageStatus"), None);
    }
}
