//! A data source query as Grafana sends it (`pluginv2.DataQuery`), read into what is asked, with
//! every field bounded. A query that cannot be read is that query's error; the others are served.

use codexflow_core::datasource::{QueryType, StatusQuery, MAX_QUERY_BYTES, MAX_QUERY_STAGES};
use codexflow_core::limits::MAX_EPOCH_MS;
use grafana_plugin_sdk::pluginv2;
use serde::Deserialize;

/// Characters of a stage id read; the pipeline's own ids are far shorter.
const MAX_STAGE_ID_CHARS: usize = 200;

/// One query, read.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusAsk {
    pub ref_id: String,
    pub query_type: QueryType,
    pub stages: Vec<String>,
    /// The time range, epoch ms.
    pub from: i64,
    pub to: i64,
}

/// Why a query cannot be answered; each names what to change.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum QueryError {
    #[error("queryType {0:?} is not one of stageStatus, pipelineStatus")]
    QueryType(String),
    #[error("the query has no time range")]
    NoTimeRange,
    #[error("the time range {from}..{to} ms is not one of dates between 1970 and 9999 (0..={MAX_EPOCH_MS} ms), from before to")]
    TimeRange { from: i64, to: i64 },
    #[error("the query is {0} bytes; at most {MAX_QUERY_BYTES} are read")]
    TooLarge(usize),
    #[error("the query is not JSON of this data source ({{\"stages\": [<stage id>, …]}}): {0}")]
    Json(String),
    #[error("the query names {0} stages; at most {MAX_QUERY_STAGES}, each of at most {MAX_STAGE_ID_CHARS} characters")]
    Stages(usize),
}

/// What must be checked before the SDK reads a query: its time range (the SDK's conversion panics on
/// one that is no date) and its size.
pub fn screen(q: &pluginv2::DataQuery) -> Result<(), QueryError> {
    let range = q.time_range.as_ref().ok_or(QueryError::NoTimeRange)?;
    let (from, to) = (range.from_epoch_ms, range.to_epoch_ms);
    if !(0..=MAX_EPOCH_MS).contains(&from) || !(0..=MAX_EPOCH_MS).contains(&to) || from > to {
        return Err(QueryError::TimeRange { from, to });
    }
    if q.json.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLarge(q.json.len()));
    }
    Ok(())
}

/// Reads one screened query: its type, and its own fields from the query's JSON.
pub fn read(
    ref_id: &str,
    query_type: &str,
    from: i64,
    to: i64,
    json: &serde_json::Value,
) -> Result<StatusAsk, QueryError> {
    let query_type = QueryType::parse(query_type).ok_or_else(|| QueryError::QueryType(query_type.to_string()))?;
    let own: StatusQuery = if json.is_null() {
        StatusQuery::default()
    } else {
        StatusQuery::deserialize(json).map_err(|e| QueryError::Json(e.to_string()))?
    };
    if own.stages.len() > MAX_QUERY_STAGES || own.stages.iter().any(|s| s.chars().count() > MAX_STAGE_ID_CHARS) {
        return Err(QueryError::Stages(own.stages.len()));
    }
    Ok(StatusAsk { ref_id: ref_id.to_string(), query_type, stages: own.stages, from, to })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(query_type: &str, json: &str, from: i64, to: i64) -> pluginv2::DataQuery {
        pluginv2::DataQuery {
            ref_id: "A".into(),
            query_type: query_type.into(),
            json: json.as_bytes().to_vec(),
            time_range: Some(pluginv2::TimeRange { from_epoch_ms: from, to_epoch_ms: to }),
            ..Default::default()
        }
    }

    /// Screened and read as the data source does.
    fn ask(q: &pluginv2::DataQuery) -> Result<StatusAsk, QueryError> {
        screen(q)?;
        let json: serde_json::Value = serde_json::from_slice(&q.json).unwrap_or_default();
        let range = q.time_range.as_ref().expect("screened");
        read(&q.ref_id, &q.query_type, range.from_epoch_ms, range.to_epoch_ms, &json)
    }

    #[test]
    fn a_query_as_grafana_sends_it_with_its_own_fields_beside_grafanas() {
        let q = query(
            "pipelineStatus",
            r#"{"refId":"A","datasource":{"type":"proompteng-codexflow-datasource","uid":"cf"},"intervalMs":1000,"maxDataPoints":43200,"stages":["kafka"]}"#,
            1_000,
            2_000,
        );
        assert_eq!(
            ask(&q),
            Ok(StatusAsk {
                ref_id: "A".into(),
                query_type: QueryType::PipelineStatus,
                stages: vec!["kafka".into()],
                from: 1_000,
                to: 2_000
            })
        );
        // A new query: no type, no fields of its own: every stage's status.
        let fresh = ask(&query("", "{}", 0, 1)).unwrap();
        assert_eq!((fresh.query_type, fresh.stages.len()), (QueryType::StageStatus, 0));
    }

    #[test]
    fn bad_queries_say_what_is_wrong() {
        assert_eq!(ask(&query("alerts", "{}", 0, 1)), Err(QueryError::QueryType("alerts".into())));
        assert!(matches!(ask(&query("", "{}", 5, 1)), Err(QueryError::TimeRange { .. })));
        assert!(matches!(ask(&query("", "{}", i64::MIN, i64::MAX)), Err(QueryError::TimeRange { .. })));
        assert!(matches!(ask(&query("", r#"{"stages": "kafka"}"#, 0, 1)), Err(QueryError::Json(_))));
        let many = format!(r#"{{"stages": [{}]}}"#, vec!["\"s\""; MAX_QUERY_STAGES + 1].join(","));
        assert_eq!(ask(&query("", &many, 0, 1)), Err(QueryError::Stages(MAX_QUERY_STAGES + 1)));
        let huge = format!(r#"{{"pad": "{}"}}"#, "x".repeat(MAX_QUERY_BYTES));
        assert!(matches!(ask(&query("", &huge, 0, 1)), Err(QueryError::TooLarge(_))));
        let mut none = query("", "{}", 0, 1);
        none.time_range = None;
        assert_eq!(ask(&none), Err(QueryError::NoTimeRange));
    }
}
