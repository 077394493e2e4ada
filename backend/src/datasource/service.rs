//! `QueryData`: each query read, the queries of one time range answered from one evaluation (the
//! one `v1/evaluate` makes for that range: its ticks, its settled cache, its upstream asks), and
//! each query's frames cut from it. A query that cannot be answered gets its own error; the
//! others are served.

use std::collections::HashMap;
use std::sync::Arc;

use codexflow_core::api::{EvaluateRequest, EvaluateResponse};
use codexflow_core::datasource::MAX_QUERIES;
use grafana_plugin_sdk::backend::{self, DataQueryError, DataQueryStatus, DataSourcePlugin, GrafanaPlugin};
use serde_json::Value;

use super::frames;
use super::query::{self, StatusAsk};
use crate::evaluate;
use crate::settings_cache::{Compiled, Ready, SettingsCache};
use crate::upstream::Upstream;

/// The data source's side of the plugin: the same settings parser and cache as the app's.
#[derive(Clone, Default)]
pub struct CodexFlowDataSource {
    settings: Arc<SettingsCache>,
}

impl GrafanaPlugin for CodexFlowDataSource {
    type PluginType = DataSourcePlugin<Value, HashMap<String, String>>;
    type JsonData = Value;
    type SecureJsonData = HashMap<String, String>;
}

type Instance = backend::DataSourceInstanceSettings<Value, HashMap<String, String>>;

impl CodexFlowDataSource {
    /// The compiled settings of the data source instance (the app's fields, read by the app's parser).
    async fn compiled(&self, instance: Option<&Instance>) -> Compiled {
        let empty = HashMap::new();
        let (json, secure) = match instance {
            Some(i) => (&i.json_data, &i.decrypted_secure_json_data),
            None => (&Value::Null, &empty),
        };
        self.settings.get(json, secure).await
    }
}

/// One query's failure, as Grafana shows it under the query.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct QueryFailed {
    ref_id: String,
    message: String,
    /// Whether the query (or the data source's settings) is at fault, rather than the upstream.
    bad_request: bool,
}

impl QueryFailed {
    pub fn bad(ref_id: &str, message: impl ToString) -> QueryFailed {
        QueryFailed { ref_id: ref_id.to_string(), message: message.to_string(), bad_request: true }
    }
}

impl DataQueryError for QueryFailed {
    fn ref_id(self) -> String {
        self.ref_id
    }

    fn status(&self) -> DataQueryStatus {
        if self.bad_request {
            DataQueryStatus::BadRequest
        } else {
            DataQueryStatus::BadGateway
        }
    }
}

type Answer = Result<backend::DataResponse, QueryFailed>;

#[backend::async_trait]
impl backend::DataService for CodexFlowDataSource {
    type Query = Value;
    type QueryError = QueryFailed;
    type Stream = backend::BoxDataResponseStream<QueryFailed>;

    async fn query_data(&self, request: backend::QueryDataRequest<Value, Self>) -> Self::Stream {
        let compiled = self.compiled(request.plugin_context.instance_settings.as_ref()).await;
        let mut answers: Vec<Answer> = Vec::with_capacity(request.queries.len());
        let mut asks: Vec<StatusAsk> = Vec::new();
        for (i, q) in request.queries.iter().enumerate() {
            let (from, to) = (q.time_range.from.timestamp_millis(), q.time_range.to.timestamp_millis());
            match query::read(&q.ref_id, &q.query_type, from, to, &q.query) {
                _ if i >= MAX_QUERIES => answers.push(Err(QueryFailed::bad(
                    &q.ref_id,
                    format!("at most {MAX_QUERIES} queries are answered in one request"),
                ))),
                Ok(ask) => asks.push(ask),
                Err(e) => answers.push(Err(QueryFailed::bad(&q.ref_id, e))),
            }
        }
        match compiled {
            Err(e) => answers.extend(
                asks.iter().map(|a| Err(QueryFailed::bad(&a.ref_id, format!("the data source's settings: {e}")))),
            ),
            Ok(ready) => answers.extend(answer_all(&ready, &asks).await),
        }
        Box::pin(futures_util::stream::iter(answers))
    }
}

/// Every ask answered, one evaluation per distinct time range.
async fn answer_all(ready: &Ready, asks: &[StatusAsk]) -> Vec<Answer> {
    let mut evaluations: Vec<((i64, i64), Result<EvaluateResponse, String>)> = Vec::new();
    let mut out = Vec::with_capacity(asks.len());
    for ask in asks {
        let range = (ask.from, ask.to);
        if !evaluations.iter().any(|(r, _)| *r == range) {
            evaluations.push((range, evaluate_range(ready, range).await));
        }
        let evaluation = evaluations.iter().find(|(r, _)| *r == range).map(|(_, e)| e);
        out.push(match evaluation {
            Some(Ok(answer)) => frames::frames(answer, ask.query_type, &ask.stages)
                .map_err(|e| QueryFailed::bad(&ask.ref_id, e))
                .and_then(|frames| response(&ask.ref_id, frames)),
            Some(Err(e)) => Err(QueryFailed { ref_id: ask.ref_id.clone(), message: e.clone(), bad_request: false }),
            None => Err(QueryFailed::bad(&ask.ref_id, "no evaluation for this time range")),
        });
    }
    out
}

/// The evaluation `v1/evaluate` makes for `[from, to]` at the rules' interval.
async fn evaluate_range(ready: &Ready, (from, to): (i64, i64)) -> Result<EvaluateResponse, String> {
    let now = crate::plugin::now_ms();
    let rules = ready.rules(now).await;
    let upstream = Upstream::new(&ready.client, &ready.settled, now);
    let request = EvaluateRequest { from, to, interval_ms: None, encoding: Default::default() };
    evaluate::evaluate(&ready.settings, &upstream, &rules, &request).await.map_err(|e| e.to_string())
}

fn response(ref_id: &str, frames: Vec<grafana_plugin_sdk::data::Frame>) -> Answer {
    let mut checked = Vec::with_capacity(frames.len());
    for frame in &frames {
        match frame.check() {
            Ok(c) => checked.push(c),
            Err(e) => {
                return Err(QueryFailed { ref_id: ref_id.to_string(), message: e.to_string(), bad_request: false })
            }
        }
    }
    Ok(backend::DataResponse::new(ref_id.to_string(), checked))
}

/// "Save & test" on the data source's settings page: the same checks as the app's health.
#[backend::async_trait]
impl backend::DiagnosticsService for CodexFlowDataSource {
    type CheckHealthError = std::convert::Infallible;
    type CollectMetricsError = std::convert::Infallible;

    async fn check_health(
        &self,
        request: backend::CheckHealthRequest<Self>,
    ) -> Result<backend::CheckHealthResponse, Self::CheckHealthError> {
        let compiled = self.compiled(request.plugin_context.instance_settings.as_ref()).await;
        Ok(crate::health::check_health(compiled.as_deref(), crate::plugin::now_ms()).await)
    }

    async fn collect_metrics(
        &self,
        _: backend::CollectMetricsRequest<Self>,
    ) -> Result<backend::CollectMetricsResponse, Self::CollectMetricsError> {
        Ok(backend::CollectMetricsResponse::new(None))
    }
}
