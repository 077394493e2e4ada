//! The plugin as Grafana sees it: CheckHealth and CallResource over pluginv2 gRPC.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codexflow_core::api::{
    ApiError, EvaluateRequest, HealthDetails, PipelineResponse, RulesResponse, SettingsCheckRequest, SettingsCheckResponse, StageMetricsRequest,
};
use codexflow_core::duration::format_duration;
use grafana_plugin_sdk::backend::{self, AppPlugin, GrafanaPlugin, HealthStatus, InstanceSettings};
use http::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::evaluate::{self, BadRequest};
use crate::prom::{PromClient, PromError};
use crate::settings::{Auth, Settings, SettingsError};
use crate::stage_metrics;

/// Settings are re-read only when Grafana's copy changes; this many versions are kept.
const SETTINGS_CACHE: usize = 32;

/// Settings compiled once per version of the app's configuration, with the client they configure.
type Compiled = Result<(Settings, PromClient), SettingsError>;

#[derive(Clone, Default)]
pub struct CodexFlowPlugin {
    compiled: Arc<Mutex<HashMap<u64, Arc<Compiled>>>>,
}

impl GrafanaPlugin for CodexFlowPlugin {
    type PluginType = AppPlugin<Value, HashMap<String, String>>;
    type JsonData = Value;
    type SecureJsonData = HashMap<String, String>;
}

/// Never constructed: every resource outcome, errors included, is a JSON response.
#[derive(Debug, thiserror::Error)]
#[error("unreachable")]
pub enum NoError {}
impl backend::ErrIntoHttpResponse for NoError {}

type Instance = backend::AppInstanceSettings<Value, HashMap<String, String>>;

impl CodexFlowPlugin {
    fn compile(&self, instance: Option<&Instance>) -> Arc<Compiled> {
        let empty = HashMap::new();
        let (json, secure) = match instance {
            Some(i) => (i.json_data(), i.decrypted_secure_json_data()),
            None => (&Value::Null, &empty),
        };
        let mut hasher = DefaultHasher::new();
        json.to_string().hash(&mut hasher);
        let mut secrets: Vec<_> = secure.iter().collect();
        secrets.sort();
        secrets.hash(&mut hasher);
        let key = hasher.finish();
        let mut cache = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.get(&key) {
            return c.clone();
        }
        let settings = match instance {
            None => Err(SettingsError {
                field: "appInstanceSettings".into(),
                message: "the app is not enabled in this organisation; enable it under Administration → Plugins".into(),
            }),
            Some(_) => Settings::from_grafana(json, secure),
        };
        let compiled: Arc<Compiled> = Arc::new(settings.map(|s| {
            let client = PromClient::new(&s);
            (s, client)
        }));
        if cache.len() >= SETTINGS_CACHE {
            cache.clear();
        }
        cache.insert(key, compiled.clone());
        compiled
    }

    async fn route(&self, req: backend::CallResourceRequest<Self>) -> Response<Bytes> {
        let path = req.request.uri().path().trim_matches('/').to_string();
        let method = req.request.method().clone();
        let allowed = match path.as_str() {
            "v1/evaluate" | "v1/stage-metrics" | "v1/settings/check" => Method::POST,
            "v1/rules" | "v1/pipeline" => Method::GET,
            _ => {
                return error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("no resource {path:?}; available: v1/evaluate, v1/stage-metrics, v1/rules, v1/pipeline, v1/settings/check (see docs/api.md)"),
                    None,
                )
            }
        };
        if method != allowed {
            let mut response = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("{path} takes {allowed}, not {method}"),
                None,
            );
            if let Ok(v) = allowed.as_str().parse() {
                response.headers_mut().insert(http::header::ALLOW, v);
            }
            return response;
        }
        if path == "v1/settings/check" {
            // Checks proposed settings, so it must work while the stored ones are broken.
            return match parse_body::<SettingsCheckRequest>(req.request.body(), r#"{"jsonData": {...}, "secureJsonData": {...}}"#) {
                Err(r) => r,
                Ok(r) => check_settings(&r, req.plugin_context.instance_settings.as_ref()),
            };
        }
        let compiled = self.compile(req.plugin_context.instance_settings.as_ref());
        let (settings, client) = match &*compiled {
            Ok((s, c)) => (s, c),
            Err(e) => return settings_error(e),
        };
        let body = req.request.body();
        match path.as_str() {
            "v1/evaluate" => match parse_body::<EvaluateRequest>(body, r#"{"from": <epoch ms>, "to": <epoch ms>}"#) {
                Err(r) => r,
                Ok(r) => respond(evaluate::evaluate(settings, client, &r).await),
            },
            "v1/stage-metrics" => {
                match parse_body::<StageMetricsRequest>(body, r#"{"stage": <id>, "from": <epoch ms>, "to": <epoch ms>}"#) {
                    Err(r) => r,
                    Ok(r) => respond(stage_metrics::stage_metrics(settings, client, &r).await),
                }
            }
            "v1/rules" => json(
                StatusCode::OK,
                &RulesResponse {
                    evaluation_interval: format_duration(settings.interval_ms),
                    source: settings.rules_source.to_string(),
                    rules: settings.rules.rules.iter().map(|r| r.info()).collect(),
                },
            ),
            _ => json(StatusCode::OK, &PipelineResponse { pipeline: settings.pipeline.clone() }),
        }
    }

    async fn health(&self, instance: Option<&Instance>) -> backend::CheckHealthResponse {
        let compiled = self.compile(instance);
        let mut details = HealthDetails::default();
        let (settings, client) = match &*compiled {
            Ok((s, c)) => (s, c),
            Err(e) => {
                details.errors.push(api_error("settings", e.to_string(), Some(e.field.clone())));
                return health(HealthStatus::Error, format!("Invalid settings: {e}"), &details);
            }
        };
        details.prometheus_url = Some(settings.prometheus_url.clone());
        let now = now_ms();
        if let Err(e) = client.probe(now).await {
            details.reachable = !matches!(e, PromError::Unreachable { .. } | PromError::Timeout { .. });
            details.errors.push(api_error("upstream", e.to_string(), None));
            return health(HealthStatus::Error, e.to_string(), &details);
        }
        details.reachable = true;
        details.auth_accepted = true;

        let mut expected: Vec<String> = Vec::new();
        let queries = settings.rules.rules.iter().map(|r| r.query.clone()).chain(
            settings.pipeline.stages.iter().flat_map(|s| {
                std::iter::once(s.headline.expr.clone())
                    .chain(s.raw_panels.iter().flat_map(|p| p.targets.iter().map(|t| t.expr.clone())))
            })
            .chain(settings.pipeline.edges.iter().map(|e| e.rate_expr.clone()))
            .filter_map(|e| crate::promql::Query::parse(&e).ok()),
        );
        for q in queries {
            for name in q.metric_names() {
                if !expected.contains(&name) {
                    expected.push(name);
                }
            }
        }
        expected.sort();
        let matcher = format!("{{__name__=~\"{}\"}}", expected.join("|"));
        match client.label_values("__name__", &[matcher], now - 3_600_000, now).await {
            Err(e) => {
                details.errors.push(api_error("upstream", e.to_string(), None));
                health(HealthStatus::Error, format!("Connected, but listing metrics failed: {e}"), &details)
            }
            Ok(names) => {
                let (present, missing): (Vec<_>, Vec<_>) = expected.into_iter().partition(|n| names.contains(n));
                details.metrics_present = present;
                details.metrics_missing = missing;
                let tenant = settings.tenant.as_deref().map(|t| format!(" (tenant {t})")).unwrap_or_default();
                let total = details.metrics_present.len() + details.metrics_missing.len();
                let mut message = format!(
                    "Connected to {}{tenant}: {} of {total} expected metrics present in the last hour",
                    settings.prometheus_url,
                    details.metrics_present.len()
                );
                if !details.metrics_missing.is_empty() {
                    message.push_str(&format!(
                        "; missing: {} (stages reading them show no data)",
                        details.metrics_missing.join(", ")
                    ));
                }
                health(HealthStatus::Ok, message, &details)
            }
        }
    }
}

#[backend::async_trait]
impl backend::ResourceService for CodexFlowPlugin {
    type Error = NoError;
    type InitialResponse = Response<Bytes>;
    type Stream = backend::BoxResourceStream<Self::Error>;

    async fn call_resource(&self, request: backend::CallResourceRequest<Self>) -> Result<(Self::InitialResponse, Self::Stream), Self::Error> {
        Ok((self.route(request).await, Box::pin(futures_util::stream::empty())))
    }
}

#[backend::async_trait]
impl backend::DiagnosticsService for CodexFlowPlugin {
    type CheckHealthError = std::convert::Infallible;
    type CollectMetricsError = std::convert::Infallible;

    async fn check_health(&self, request: backend::CheckHealthRequest<Self>) -> Result<backend::CheckHealthResponse, Self::CheckHealthError> {
        Ok(self.health(request.plugin_context.instance_settings.as_ref()).await)
    }

    async fn collect_metrics(&self, _: backend::CollectMetricsRequest<Self>) -> Result<backend::CollectMetricsResponse, Self::CollectMetricsError> {
        Ok(backend::CollectMetricsResponse::new(None))
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn health(status: HealthStatus, message: String, details: &HealthDetails) -> backend::CheckHealthResponse {
    let response = match status {
        HealthStatus::Ok => backend::CheckHealthResponse::ok(message),
        _ => backend::CheckHealthResponse::error(message),
    };
    response.with_json_details(serde_json::to_value(details).unwrap_or(Value::Null))
}

fn parse_body<T: DeserializeOwned>(body: &Bytes, shape: &str) -> Result<T, Response<Bytes>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(error(StatusCode::BAD_REQUEST, "bad_request", format!("the request body is empty; expected JSON like {shape}"), None));
    }
    serde_json::from_slice(body).map_err(|e| {
        let field = e.to_string().split('`').nth(1).map(str::to_string);
        error(StatusCode::BAD_REQUEST, "bad_request", format!("invalid request body: {e}; expected JSON like {shape}"), field)
    })
}

fn respond<T: Serialize>(result: Result<T, BadRequest>) -> Response<Bytes> {
    match result {
        Ok(v) => json(StatusCode::OK, &v),
        Err(e) => error(StatusCode::BAD_REQUEST, "bad_request", e.to_string(), Some(e.field)),
    }
}

/// Parses proposed settings with the stored secrets merged in as Grafana would merge them on save.
fn check_settings(request: &SettingsCheckRequest, stored: Option<&Instance>) -> Response<Bytes> {
    let mut secrets: HashMap<String, String> = stored.map(|i| i.decrypted_secure_json_data().clone()).unwrap_or_default();
    secrets.extend(request.secure_json_data.iter().map(|(k, v)| (k.clone(), v.clone())));
    let json_data = match serde_json::to_value(&request.json_data) {
        Ok(v) => v,
        Err(e) => return error(StatusCode::BAD_REQUEST, "bad_request", format!("invalid jsonData: {e}"), Some("jsonData".into())),
    };
    match Settings::from_grafana(&json_data, &secrets) {
        Err(e) => error(StatusCode::BAD_REQUEST, "settings", e.to_string(), Some(e.field)),
        Ok(s) => json(
            StatusCode::OK,
            &SettingsCheckResponse {
                prometheus_url: s.prometheus_url.clone(),
                evaluation_interval: format_duration(s.interval_ms),
                auth: match s.auth {
                    Auth::None => "none",
                    Auth::Bearer(_) => "bearer",
                    Auth::Basic { .. } => "basic",
                }
                .into(),
                rules: s.rules.rules.len(),
                rules_source: s.rules_source.into(),
                stages: s.pipeline.stages.len(),
            },
        ),
    }
}

fn settings_error(e: &SettingsError) -> Response<Bytes> {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "settings",
        format!("the Codex Flow app is not configured correctly: {e}"),
        Some(e.field.clone()),
    )
}

fn api_error(code: &str, error: String, field: Option<String>) -> ApiError {
    ApiError { code: code.into(), error, field }
}

fn error(status: StatusCode, code: &str, message: String, field: Option<String>) -> Response<Bytes> {
    json(status, &api_error(code, message, field))
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Bytes> {
    let (status, bytes) = match serde_json::to_vec(body) {
        Ok(b) => (status, b),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{{\"code\":\"internal\",\"error\":\"cannot encode answer: {e}\"}}").into_bytes()),
    };
    let mut response = Response::new(Bytes::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}
