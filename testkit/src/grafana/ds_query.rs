//! `POST /api/ds/query` as Grafana serves it to a backend data source (grafana/grafana
//! `pkg/api/ds_query.go`, `QueryMetricsV2`; `pkg/services/query/query.go`, `parseMetricRequest` and
//! `handleQuerySingleDatasource`): the body's `from`/`to` for every query, each query's `refId`
//! (default `A`), `queryType`, `maxDataPoints` (default 100) and `intervalMs` (default 1000), and the
//! whole query object as its JSON; the answer `{results: {<refId>: {status, frames, error?}}}`, 400
//! when any query failed, else 200. Pure; the dev host sends the request to the plugin.

use grafana_plugin_sdk::pluginv2;
use serde_json::{json, Map, Value};

use super::frames::read_frame;

/// A request read: the one data source its queries name, and the queries as the plugin gets them.
#[derive(Debug, Clone, PartialEq)]
pub struct DsRequest {
    pub datasource_uid: String,
    pub queries: Vec<pluginv2::DataQuery>,
}

/// Reads the body; an error is the message of Grafana's 400.
pub fn parse(body: &[u8], now_ms: i64) -> Result<DsRequest, String> {
    let body: Value = serde_json::from_slice(body).map_err(|e| format!("bad request data: {e}"))?;
    let range = |key: &str| body.get(key).and_then(Value::as_str).and_then(|t| time(t, now_ms));
    let (Some(from), Some(to)) = (range("from"), range("to")) else {
        return Err("invalid time range: from and to must be epoch ms or now[-<n><unit>]".into());
    };
    let queries = body.get("queries").and_then(Value::as_array).filter(|q| !q.is_empty());
    let queries = queries.ok_or("no queries found")?;
    let mut uid: Option<String> = None;
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        let this = q.get("datasource").and_then(|d| d.get("uid")).and_then(Value::as_str).unwrap_or_default();
        match &uid {
            None => uid = Some(this.to_string()),
            Some(u) if u != this => return Err("the dev host plays one data source per request".into()),
            Some(_) => {}
        }
        let text = |key: &str, default: &str| q.get(key).and_then(Value::as_str).unwrap_or(default).to_string();
        let int = |key: &str, default: i64| q.get(key).and_then(Value::as_i64).unwrap_or(default);
        out.push(pluginv2::DataQuery {
            ref_id: text("refId", "A"),
            query_type: text("queryType", ""),
            max_data_points: int("maxDataPoints", 100),
            interval_ms: int("intervalMs", 1000),
            time_range: Some(pluginv2::TimeRange { from_epoch_ms: from, to_epoch_ms: to }),
            json: q.to_string().into_bytes(),
        });
    }
    Ok(DsRequest { datasource_uid: uid.unwrap_or_default(), queries: out })
}

/// A time as the body gives it: epoch ms, `now`, or `now-<n><s|m|h|d|w>` (what the panels here send).
pub fn time(text: &str, now_ms: i64) -> Option<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    let rest = text.strip_prefix("now")?;
    if rest.is_empty() {
        return Some(now_ms);
    }
    let ago = rest.strip_prefix('-')?;
    let unit_ms: i64 = match ago.chars().last()? {
        's' => 1_000,
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => 86_400_000,
        'w' => 604_800_000,
        _ => return None,
    };
    let n: i64 = ago[..ago.len() - 1].parse().ok()?;
    now_ms.checked_sub(n.checked_mul(unit_ms)?)
}

/// The HTTP status and body Grafana answers with.
pub fn answer(response: &pluginv2::QueryDataResponse) -> (u16, Value) {
    let mut failed = false;
    let mut results = Map::new();
    for (ref_id, r) in &response.responses {
        let frames: Result<Vec<Value>, String> =
            r.frames.iter().map(|f| read_frame(f).map(|f| f.to_grafana_json()).map_err(|e| e.to_string())).collect();
        let mut result = json!({ "status": if r.status == 0 { 200 } else { r.status } });
        match frames {
            Ok(frames) => result["frames"] = json!(frames),
            Err(e) => {
                failed = true;
                result["error"] = json!(format!("a frame Grafana cannot read: {e}"));
            }
        }
        if !r.error.is_empty() {
            failed = true;
            result["error"] = json!(r.error);
        }
        results.insert(ref_id.clone(), result);
    }
    (if failed { 400 } else { 200 }, json!({ "results": results }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_as_the_frontend_sends_it() {
        let body = br#"{"from":"now-1h","to":"now","queries":[
            {"refId":"A","datasource":{"type":"proompteng-codexflow-datasource","uid":"cf"},"queryType":"pipelineStatus","intervalMs":60000},
            {"datasource":{"uid":"cf"},"stages":["kafka"]}]}"#;
        let r = parse(body, 10_000_000).unwrap();
        assert_eq!(r.datasource_uid, "cf");
        assert_eq!((r.queries[0].ref_id.as_str(), r.queries[0].query_type.as_str()), ("A", "pipelineStatus"));
        assert_eq!(
            (r.queries[1].ref_id.as_str(), r.queries[1].max_data_points, r.queries[1].interval_ms),
            ("A", 100, 1000)
        );
        assert_eq!(
            r.queries[0].time_range,
            Some(pluginv2::TimeRange { from_epoch_ms: 6_400_000, to_epoch_ms: 10_000_000 })
        );
        let json: Value = serde_json::from_slice(&r.queries[1].json).unwrap();
        assert_eq!(json["stages"][0], "kafka");
    }

    #[test]
    fn bad_bodies_are_refused_with_grafanas_words() {
        assert!(parse(b"{", 0).unwrap_err().starts_with("bad request data"));
        assert!(parse(br#"{"from":"yesterday","to":"now","queries":[{}]}"#, 0)
            .unwrap_err()
            .starts_with("invalid time range"));
        assert_eq!(parse(br#"{"from":"1","to":"2","queries":[]}"#, 0).unwrap_err(), "no queries found");
        assert_eq!(time("now-9999999999999999w", 0), None);
        assert_eq!(time("now-5x", 0), None);
    }

    #[test]
    fn a_failed_query_makes_the_answer_a_400() {
        let mut r = pluginv2::QueryDataResponse::default();
        r.responses
            .insert("A".into(), pluginv2::DataResponse { status: 400, error: "no".into(), ..Default::default() });
        let (status, body) = answer(&r);
        assert_eq!((status, body["results"]["A"]["error"].clone()), (400, json!("no")));
    }
}
