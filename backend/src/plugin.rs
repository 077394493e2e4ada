//! The plugin as Grafana sees it: CheckHealth and CallResource over pluginv2 gRPC, dispatched on
//! [`Route`]s with the settings compiled once per version.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codexflow_core::api::{
    EvaluateRequest, PipelineResponse, RulesResponse, SettingsCheckRequest, SettingsCheckResponse, StageMetricsRequest,
};
use codexflow_core::duration::format_duration;
use codexflow_core::panel_map::PanelMapRequest;
use grafana_plugin_sdk::backend::{self, AppPlugin, GrafanaPlugin, InstanceSettings};
use http::{Response, StatusCode};
use serde_json::Value;

use crate::panel_map;
use crate::resource_error::{json, respond, ResourceError};
use crate::routes::{parse_body, Route};
use crate::settings::Settings;
use crate::settings_cache::{Compiled, Ready, SettingsCache};
use crate::upstream::Upstream;
use crate::{evaluate, health, stage_metrics};

#[derive(Clone, Default)]
pub struct CodexFlowPlugin {
    settings: Arc<SettingsCache>,
}

impl GrafanaPlugin for CodexFlowPlugin {
    type PluginType = AppPlugin<Value, HashMap<String, String>>;
    type JsonData = Value;
    type SecureJsonData = HashMap<String, String>;
}

type Instance = backend::AppInstanceSettings<Value, HashMap<String, String>>;

impl CodexFlowPlugin {
    /// The compiled settings of the app instance Grafana sent.
    async fn compiled(&self, instance: Option<&Instance>) -> Compiled {
        self.settings.of(instance.map(|i| (i.json_data(), i.decrypted_secure_json_data()))).await
    }

    /// The call's response; a path or method that names no route is an error, which the SDK turns
    /// into a response (`ResourceError`'s `ErrIntoHttpResponse`).
    async fn route(&self, req: backend::CallResourceRequest<Self>) -> Result<Response<Bytes>, ResourceError> {
        let route = Route::parse(req.request.method(), req.request.uri().path())?;
        let head = req.request.method() == http::Method::HEAD;
        let instance = req.plugin_context.instance_settings.as_ref();
        let body = req.request.body();
        if !route.needs_settings() {
            // Parsing proposed settings (rules, PromQL, a pipeline) is work for the blocking pool:
            // it must never hold up the calls of other viewers on the runtime's threads.
            let body = body.clone();
            let stored = instance.map(|i| i.decrypted_secure_json_data().clone());
            let checked = tokio::task::spawn_blocking(move || {
                parse_body::<SettingsCheckRequest>(&body, r#"{"jsonData": {...}, "secureJsonData": {...}}"#)
                    .and_then(|r| check_settings(&r, stored))
            })
            .await
            .unwrap_or_else(|e| Err(ResourceError::internal(format!("the check could not run: {e}"))));
            return Ok(respond(checked));
        }
        let mut response = match self.compiled(instance).await {
            Ok(ready) => serve(route, &ready, body).await,
            Err(e) => ResourceError::unconfigured(&e).into_response(),
        };
        // HEAD is GET without the body: same status and headers.
        if head {
            *response.body_mut() = Bytes::new();
        }
        Ok(response)
    }
}

/// A route served with the stored settings.
async fn serve(route: Route, ready: &Ready, body: &[u8]) -> Response<Bytes> {
    let Ready { settings, client, .. } = ready;
    match route {
        Route::Evaluate => match parse_body::<EvaluateRequest>(body, r#"{"from": <epoch ms>, "to": <epoch ms>}"#) {
            Err(e) => e.into_response(),
            Ok(r) => {
                let answer = evaluate::evaluate_now(ready, &r).await;
                let answer =
                    if r.encoding.is_per_tick() { answer } else { answer.map(codexflow_core::compact::compact) };
                respond(answer.map_err(ResourceError::from))
            }
        },
        Route::StageMetrics => {
            match parse_body::<StageMetricsRequest>(body, r#"{"stage": <id>, "from": <epoch ms>, "to": <epoch ms>}"#) {
                Err(e) => e.into_response(),
                Ok(r) => {
                    let upstream = Upstream::new(client, &ready.settled, now_ms()).without_keeping();
                    respond(stage_metrics::stage_metrics(settings, &upstream, &r).await.map_err(ResourceError::from))
                }
            }
        }
        Route::Rules => {
            let rules = ready.rules(now_ms()).await;
            json(
                StatusCode::OK,
                &RulesResponse {
                    evaluation_interval: format_duration(settings.interval_ms),
                    source: rules.note.clone(),
                    groups: rules.set.group_summaries(settings.interval_ms),
                    rules: rules.set.infos(),
                },
            )
        }
        Route::Pipeline => json(StatusCode::OK, &PipelineResponse { pipeline: settings.pipeline.clone() }),
        Route::SettingsCheck => {
            ResourceError::internal("v1/settings/check is answered without the stored settings".to_string())
                .into_response()
        }
        Route::PanelMap => match parse_body::<PanelMapRequest>(
            body,
            r#"{"panels": [{"id": <n>, "title": <text>, "exprs": [<PromQL>]}]}"#,
        ) {
            Err(e) => e.into_response(),
            Ok(r) => match panel_map::check(&r) {
                Err(e) => ResourceError::from(e).into_response(),
                Ok(()) => {
                    // Parsing a dashboard's worth of PromQL is blocking-pool work, as the settings are.
                    let pipeline = settings.pipeline.clone();
                    let mapped = tokio::task::spawn_blocking(move || panel_map::map_panels(&pipeline, &r))
                        .await
                        .map_err(|e| ResourceError::internal(format!("the mapping could not run: {e}")));
                    respond(mapped)
                }
            },
        },
    }
}

#[backend::async_trait]
impl backend::ResourceService for CodexFlowPlugin {
    type Error = ResourceError;
    type InitialResponse = Response<Bytes>;
    type Stream = backend::BoxResourceStream<Self::Error>;

    async fn call_resource(
        &self,
        request: backend::CallResourceRequest<Self>,
    ) -> Result<(Self::InitialResponse, Self::Stream), Self::Error> {
        Ok((self.route(request).await?, Box::pin(futures_util::stream::empty())))
    }
}

#[backend::async_trait]
impl backend::DiagnosticsService for CodexFlowPlugin {
    type CheckHealthError = std::convert::Infallible;
    type CollectMetricsError = std::convert::Infallible;

    async fn check_health(
        &self,
        request: backend::CheckHealthRequest<Self>,
    ) -> Result<backend::CheckHealthResponse, Self::CheckHealthError> {
        let compiled = self.compiled(request.plugin_context.instance_settings.as_ref()).await;
        Ok(health::check_health(compiled.as_deref(), now_ms()).await)
    }

    async fn collect_metrics(
        &self,
        _: backend::CollectMetricsRequest<Self>,
    ) -> Result<backend::CollectMetricsResponse, Self::CollectMetricsError> {
        Ok(backend::CollectMetricsResponse::new(None))
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Parses proposed settings with the stored secrets merged in as Grafana would merge them on save.
fn check_settings(
    request: &SettingsCheckRequest,
    stored: Option<HashMap<String, String>>,
) -> Result<SettingsCheckResponse, ResourceError> {
    let mut secrets: HashMap<String, String> = stored.unwrap_or_default();
    secrets.extend(request.secure_json_data.iter().map(|(k, v)| (k.clone(), v.clone())));
    let s = Settings::from_json_data(&request.json_data, &secrets).map_err(ResourceError::rejected_settings)?;
    let rules = s.rules.yaml.as_ref().unwrap_or(&s.rules.builtin).rules.len();
    Ok(SettingsCheckResponse {
        prometheus_url: s.prometheus_url.clone(),
        evaluation_interval: format_duration(s.interval_ms),
        auth: s.auth.kind(),
        rules,
        rules_source: s.rules.choice,
        stages: s.pipeline.stages.len(),
    })
}
