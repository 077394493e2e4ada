//! A data source query as Grafana sends it (`pluginv2.DataQuery`), read into what is asked, with
//! every field bounded. A query that cannot be read is that query's error; the others are served.

use codexflow_core::datasource::{QueryType, StatusQuery, MAX_QUERY_BYTES, MAX_QUERY_STAGES, MAX_STAGE_ID_CHARS};
use codexflow_core::limits::{within_dates, MAX_EPOCH_MS};
use grafana_plugin_sdk::pluginv2;
use serde::Deserialize;

/// Characters of a refused `queryType` repeated in its error.
const SHOWN_CHARS: usize = 60;

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
    #[error("queryType {0:?} is not one of {names}", names = QueryType::names())]
    QueryType(String),
    #[error("the query has no time range")]
    NoTimeRange,
    #[error("the time range {from}..{to} ms is not one of dates between 1970 and 9999 (0..={MAX_EPOCH_MS} ms), from before to")]
    TimeRange { from: i64, to: i64 },
    #[error("the query is {0} bytes; at most {MAX_QUERY_BYTES} are read")]
    TooLarge(usize),
    #[error("the query is not JSON of this data source ({{\"stages\": [<stage id>, …]}}): {0}")]
    Json(String),
    #[error("the query names {0} stages; at most {MAX_QUERY_STAGES}")]
    Stages(usize),
    #[error("a stage id of {0} characters; at most {MAX_STAGE_ID_CHARS}")]
    StageId(usize),
    #[error("the query has no refId")]
    NoRefId,
}

/// What must hold before the SDK reads a query, so that one query's fault stays that query's: a
/// time range of dates (the SDK's conversion panics on one that is none), a size, and JSON (the
/// SDK fails the whole request on a query that is not).
pub fn screen(q: &pluginv2::DataQuery) -> Result<(), QueryError> {
    if q.ref_id.is_empty() {
        return Err(QueryError::NoRefId);
    }
    let range = q.time_range.as_ref().ok_or(QueryError::NoTimeRange)?;
    let (from, to) = (range.from_epoch_ms, range.to_epoch_ms);
    if !within_dates(from) || !within_dates(to) || from > to {
        return Err(QueryError::TimeRange { from, to });
    }
    if q.json.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLarge(q.json.len()));
    }
    if !q.json.is_empty() {
        // Read as the SDK reads it (`serde_json::from_slice` into a `Value`): skipping it would pass
        // strings that are not UTF-8 and numbers past f64, which the SDK then refuses.
        serde_json::from_slice::<serde_json::Value>(&q.json).map_err(|e| QueryError::Json(e.to_string()))?;
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
    let query_type = QueryType::parse(query_type)
        .ok_or_else(|| QueryError::QueryType(query_type.chars().take(SHOWN_CHARS).collect()))?;
    let own: StatusQuery = if json.is_null() {
        StatusQuery::default()
    } else {
        StatusQuery::deserialize(json).map_err(|e| QueryError::Json(e.to_string()))?
    };
    if own.stages.len() > MAX_QUERY_STAGES {
        return Err(QueryError::Stages(own.stages.len()));
    }
    if let Some(long) = own.stages.iter().map(|s| s.chars().count()).find(|&n| n > MAX_STAGE_ID_CHARS) {
        return Err(QueryError::StageId(long));
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

    /// Screened and read as the data source does (the SDK reads the JSON between the two).
    fn ask(q: &pluginv2::DataQuery) -> Result<StatusAsk, QueryError> {
        screen(q)?;
        let json: serde_json::Value = if q.json.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&q.json).expect("screened")
        };
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
        assert_eq!(ask(&query("", "", 0, 1)).map(|a| a.stages.len()), Ok(0));
    }

    #[test]
    fn bad_queries_say_what_is_wrong() {
        assert_eq!(ask(&query("alert", "{}", 0, 1)), Err(QueryError::QueryType("alert".into())));
        let long = ask(&query(&"x".repeat(10_000), "{}", 0, 1)).unwrap_err().to_string();
        assert!(long.len() < 200, "a refused queryType is cut: {long}");
        assert!(matches!(ask(&query("", "{}", 5, 1)), Err(QueryError::TimeRange { .. })));
        assert!(matches!(ask(&query("", "{}", i64::MIN, i64::MAX)), Err(QueryError::TimeRange { .. })));
        assert!(matches!(ask(&query("", r#"{"stages": "kafka"}"#, 0, 1)), Err(QueryError::Json(_))));
        // Not JSON at all: refused here, before the SDK would fail the whole request on it.
        assert!(matches!(screen(&query("", "{not json", 0, 1)), Err(QueryError::Json(_))));
        let mut not_utf8 = query("", r#"{"stages":["kafka"]}"#, 0, 1);
        not_utf8.json[4] = 0x8b;
        assert!(matches!(screen(&not_utf8), Err(QueryError::Json(_))), "the SDK refuses JSON that is not UTF-8");
        let huge_number = query("", r#"{"intervalMs": 10e0043200}"#, 0, 1);
        assert!(matches!(screen(&huge_number), Err(QueryError::Json(_))), "nor a number past f64");
        let many = format!(r#"{{"stages": [{}]}}"#, vec!["\"s\""; MAX_QUERY_STAGES + 1].join(","));
        assert_eq!(ask(&query("", &many, 0, 1)), Err(QueryError::Stages(MAX_QUERY_STAGES + 1)));
        let long_id = format!(r#"{{"stages": ["{}"]}}"#, "s".repeat(MAX_STAGE_ID_CHARS + 1));
        assert_eq!(ask(&query("", &long_id, 0, 1)), Err(QueryError::StageId(MAX_STAGE_ID_CHARS + 1)));
        let huge = format!(r#"{{"pad": "{}"}}"#, "x".repeat(MAX_QUERY_BYTES));
        assert!(matches!(ask(&query("", &huge, 0, 1)), Err(QueryError::TooLarge(_))));
        let mut none = query("", "{}", 0, 1);
        none.time_range = None;
        assert_eq!(ask(&none), Err(QueryError::NoTimeRange));
        let mut nameless = query("", "{}", 0, 1);
        nameless.ref_id = String::new();
        assert_eq!(ask(&nameless), Err(QueryError::NoRefId));
    }
}
