//! `QueryData`: each query read, the queries of one time range answered from one evaluation (the
//! one `v1/evaluate` makes for that range: its ticks, its settled cache, its upstream asks), and
//! each query's frames cut from it; a list of the stages (`stages`) from the settings alone. A
//! query that cannot be answered gets its own error; the others are served.

use std::collections::HashMap;
use std::sync::Arc;

use codexflow_core::api::EvaluateRequest;
use codexflow_core::datasource::{QueryType, MAX_RANGES};
use grafana_plugin_sdk::backend::{self, DataQueryError, DataQueryStatus, DataSourcePlugin, GrafanaPlugin};
use serde_json::Value;

use super::frames;
use super::query::{self, StatusAsk};
use crate::evaluate;
use crate::settings_cache::{Compiled, Ready, SettingsCache};

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
        self.settings.of(instance.map(|i| (&i.json_data, &i.decrypted_secure_json_data))).await
    }
}

/// One query's failure, as Grafana shows it under the query.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct QueryFailed {
    ref_id: String,
    message: String,
    /// Whether the query (or the data source's settings) is at fault, rather than the plugin.
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
            DataQueryStatus::Internal
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
        let reader = if request.headers.get("FromAlert").is_some_and(|v| v == "true") {
            frames::Reader::Alerting
        } else {
            frames::Reader::Panel
        };
        let mut answers: Vec<Answer> = Vec::with_capacity(request.queries.len());
        let mut asks: Vec<StatusAsk> = Vec::new();
        for q in &request.queries {
            let (from, to) = (q.time_range.from.timestamp_millis(), q.time_range.to.timestamp_millis());
            match query::read(&q.ref_id, &q.query_type, from, to, &q.query) {
                Ok(ask) => asks.push(ask),
                Err(e) => answers.push(Err(QueryFailed::bad(&q.ref_id, e))),
            }
        }
        match compiled {
            Err(e) => answers.extend(
                asks.iter().map(|a| Err(QueryFailed::bad(&a.ref_id, format!("the data source's settings: {e}")))),
            ),
            Ok(ready) => answers.extend(answer_all(&ready, &asks, reader).await),
        }
        Box::pin(futures_util::stream::iter(answers))
    }
}

/// Every ask answered, one evaluation per distinct time range (at most `MAX_RANGES`), each dropped
/// once its queries' frames are made.
async fn answer_all(ready: &Ready, asks: &[StatusAsk], reader: frames::Reader) -> Vec<Answer> {
    let mut out = Vec::with_capacity(asks.len());
    // A list of the stages is the pipeline's, whatever the range: no evaluation.
    let (lists, asks): (Vec<&StatusAsk>, Vec<&StatusAsk>) =
        asks.iter().partition(|a| a.query_type == QueryType::Stages);
    for a in lists {
        out.push(
            frames::pipeline_stage_list(&ready.settings.pipeline, &a.stages, reader)
                .map_err(|e| QueryFailed::bad(&a.ref_id, e))
                .and_then(|frame| response(&a.ref_id, vec![frame])),
        );
    }
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for ask in &asks {
        if !ranges.contains(&(ask.from, ask.to)) {
            ranges.push((ask.from, ask.to));
        }
    }
    for (n, &(from, to)) in ranges.iter().enumerate() {
        let of_range = asks.iter().filter(|a| (a.from, a.to) == (from, to));
        if n >= MAX_RANGES {
            out.extend(of_range.map(|a| {
                Err(QueryFailed::bad(
                    &a.ref_id,
                    format!("at most {MAX_RANGES} time ranges are answered in one request"),
                ))
            }));
            continue;
        }
        let request = EvaluateRequest { from, to, interval_ms: None, encoding: Default::default() };
        match evaluate::evaluate_now(ready, &request).await {
            Ok(answer) => out.extend(of_range.map(|a| {
                frames::frames(&answer, a.query_type, &a.stages, reader)
                    .map_err(|e| QueryFailed::bad(&a.ref_id, e))
                    .and_then(|frames| response(&a.ref_id, frames))
            })),
            // The evaluation refuses only what was asked (a range of too many ticks, …).
            Err(e) => out.extend(of_range.map(|a| Err(QueryFailed::bad(&a.ref_id, &e)))),
        }
    }
    out
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
