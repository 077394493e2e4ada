//! A client for the Prometheus HTTP API (Prometheus itself, or Mimir with a tenant).
//!
//! Two things matter beyond making requests:
//! * **sharing**: identical queries against the same upstream with the same
//!   credentials share one request while it is in flight and its answer for a
//!   few seconds after, so a hundred viewers of one dashboard cost Mimir one
//!   query each, not a hundred;
//! * **distrust**: every answer is checked (status, shape, size, values) and
//!   turned into a typed error a person can act on.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use codexflow_core::value::parse_sample_value;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use futures_util::StreamExt;
use serde::Deserialize;
use thiserror::Error;
use tokio::sync::Semaphore;

use crate::settings::{Auth, Settings};

/// Prometheus refuses range queries above 11,000 points per series; we stay below.
pub const MAX_POINTS_PER_QUERY: i64 = 10_000;
/// Upper bound on one upstream answer; anything larger is refused, not buffered.
pub const MAX_BODY_BYTES: usize = 64 << 20;
/// How long a finished answer is reused by identical queries.
pub const SHARE_TTL: Duration = Duration::from_secs(10);
/// Upstream requests in flight at once, across all evaluations of this process.
pub const MAX_CONCURRENT_REQUESTS: usize = 16;

pub type Labels = BTreeMap<String, String>;

/// One series of a range query, samples in time order (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub samples: Vec<(i64, f64)>,
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum PromError {
    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url} did not answer within {timeout_ms} ms")]
    Timeout { url: String, timeout_ms: i64 },
    #[error("{url} rejected the credentials (HTTP {status}); check the bearer token or basic auth")]
    Auth { url: String, status: u16 },
    #[error("{url} answered HTTP {status}: {detail}")]
    Http { url: String, status: u16, detail: String },
    #[error("the upstream rejected the query ({kind}): {message}")]
    Query { kind: String, message: String },
    #[error("{url} did not answer like a Prometheus API: {detail}")]
    BadResponse { url: String, detail: String },
}

/// Who we talk to and as whom; part of every sharing key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Upstream {
    base: String,
    tenant: Option<String>,
    auth: Auth,
    timeout_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Request {
    Range { expr: String, start: i64, end: i64, step: i64 },
    Series { matchers: Vec<String>, start: i64, end: i64 },
    LabelValues { label: String, matchers: Vec<String>, start: i64, end: i64 },
    Instant { expr: String, time: i64 },
}

#[derive(Debug)]
enum Answer {
    Matrix(Vec<RangeSeries>),
    Series(Vec<Labels>),
    Strings(Vec<String>),
    Vector(usize),
}

type SharedAnswer = Shared<BoxFuture<'static, Result<Arc<Answer>, PromError>>>;

struct Slot {
    answer: SharedAnswer,
    /// Set when the request finished successfully; failed answers are not reused.
    done: Arc<OnceLock<Instant>>,
    failed: Arc<OnceLock<()>>,
}

impl Slot {
    fn reusable(&self, now: Instant) -> bool {
        self.failed.get().is_none() && self.done.get().is_none_or(|at| now.duration_since(*at) < SHARE_TTL)
    }
}

/// Process-wide: the HTTP connection pool, the sharing table and the request limit.
pub struct ProcessPool {
    http: reqwest::Client,
    table: Mutex<HashMap<(Upstream, Request), Slot>>,
    limit: Semaphore,
}

fn process_wide() -> &'static ProcessPool {
    static CELL: OnceLock<ProcessPool> = OnceLock::new();
    CELL.get_or_init(|| {
        // reqwest is built without a bundled crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("codexflow/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        ProcessPool { http, table: Mutex::new(HashMap::new()), limit: Semaphore::new(MAX_CONCURRENT_REQUESTS) }
    })
}

/// A handle on one upstream with one set of credentials.
#[derive(Clone, Debug)]
pub struct PromClient {
    upstream: Arc<Upstream>,
}

impl PromClient {
    pub fn new(settings: &Settings) -> PromClient {
        PromClient {
            upstream: Arc::new(Upstream {
                base: settings.prometheus_url.clone(),
                tenant: settings.tenant.clone(),
                auth: settings.auth.clone(),
                timeout_ms: settings.timeout_ms,
            }),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.upstream.base
    }

    /// A range query at `start, start+step, …, ≤ end` (ms), split into chunks Prometheus accepts.
    pub async fn query_range(&self, expr: &str, start: i64, end: i64, step: i64) -> Result<Vec<RangeSeries>, PromError> {
        let step = step.max(1);
        let span = MAX_POINTS_PER_QUERY * step;
        let mut chunks = Vec::new();
        let mut chunk_start = start;
        while chunk_start <= end {
            let chunk_end = (chunk_start + span - step).min(end);
            chunks.push(self.fetch(Request::Range { expr: expr.to_string(), start: chunk_start, end: chunk_end, step }));
            chunk_start = chunk_end + step;
        }
        let answers = futures_util::future::join_all(chunks).await;
        let mut merged: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
        for answer in answers {
            if let Answer::Matrix(series) = &*answer? {
                for s in series {
                    merged.entry(s.labels.clone()).or_default().extend_from_slice(&s.samples);
                }
            }
        }
        Ok(merged.into_iter().map(|(labels, samples)| RangeSeries { labels, samples }).collect())
    }

    /// Label sets of the series matching any of `matchers` in `[start, end]`.
    pub async fn series(&self, matchers: &[String], start: i64, end: i64) -> Result<Vec<Labels>, PromError> {
        match &*self.fetch(Request::Series { matchers: matchers.to_vec(), start, end }).await? {
            Answer::Series(s) => Ok(s.clone()),
            _ => Ok(Vec::new()),
        }
    }

    /// Values of `label` among series matching any of `matchers` in `[start, end]`.
    pub async fn label_values(&self, label: &str, matchers: &[String], start: i64, end: i64) -> Result<Vec<String>, PromError> {
        let req = Request::LabelValues { label: label.to_string(), matchers: matchers.to_vec(), start, end };
        match &*self.fetch(req).await? {
            Answer::Strings(s) => Ok(s.clone()),
            _ => Ok(Vec::new()),
        }
    }

    /// Runs an instant query and returns how many samples it gave; used as a reachability and auth probe.
    pub async fn probe(&self, time: i64) -> Result<usize, PromError> {
        match &*self.fetch(Request::Instant { expr: "vector(1)".into(), time }).await? {
            Answer::Vector(n) => Ok(*n),
            _ => Ok(0),
        }
    }

    /// Joins an identical request in flight or recently answered, or starts one.
    async fn fetch(&self, request: Request) -> Result<Arc<Answer>, PromError> {
        let shared = process_wide();
        let key = ((*self.upstream).clone(), request);
        let answer = {
            let mut table = shared.table.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            if table.len() > 512 {
                table.retain(|_, slot| slot.reusable(now));
            }
            match table.get(&key) {
                Some(slot) if slot.reusable(now) => slot.answer.clone(),
                _ => {
                    let done = Arc::new(OnceLock::new());
                    let failed = Arc::new(OnceLock::new());
                    let (upstream, request) = key.clone();
                    let (done2, failed2) = (done.clone(), failed.clone());
                    let answer: SharedAnswer = async move {
                        let _permit = shared.limit.acquire().await.ok();
                        let result = execute(&shared.http, &upstream, &request).await.map(Arc::new);
                        match &result {
                            Ok(_) => drop(done2.set(Instant::now())),
                            Err(_) => drop(failed2.set(())),
                        }
                        result
                    }
                    .boxed()
                    .shared();
                    table.insert(key, Slot { answer: answer.clone(), done, failed });
                    answer
                }
            }
        };
        answer.await
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryData {
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct MatrixJson {
    metric: Labels,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

async fn execute(http: &reqwest::Client, up: &Upstream, request: &Request) -> Result<Answer, PromError> {
    let ms_to_s = |ms: i64| format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000));
    let (builder, url) = match request {
        Request::Range { expr, start, end, step } => {
            let url = format!("{}/api/v1/query_range", up.base);
            let form = [("query", expr.clone()), ("start", ms_to_s(*start)), ("end", ms_to_s(*end)), ("step", ms_to_s(*step))];
            (http.post(&url).form(&form), url)
        }
        Request::Instant { expr, time } => {
            let url = format!("{}/api/v1/query", up.base);
            (http.post(&url).form(&[("query", expr.clone()), ("time", ms_to_s(*time))]), url)
        }
        Request::Series { matchers, start, end } => {
            let url = format!("{}/api/v1/series", up.base);
            let mut form: Vec<(&str, String)> = matchers.iter().map(|m| ("match[]", m.clone())).collect();
            form.push(("start", ms_to_s(*start)));
            form.push(("end", ms_to_s(*end)));
            (http.post(&url).form(&form), url)
        }
        Request::LabelValues { label, matchers, start, end } => {
            let url = format!("{}/api/v1/label/{}/values", up.base, label);
            let mut query: Vec<(&str, String)> = matchers.iter().map(|m| ("match[]", m.clone())).collect();
            query.push(("start", ms_to_s(*start)));
            query.push(("end", ms_to_s(*end)));
            (http.get(&url).query(&query), url)
        }
    };
    let mut builder = builder.timeout(Duration::from_millis(up.timeout_ms as u64));
    if let Some(tenant) = &up.tenant {
        builder = builder.header("X-Scope-OrgID", tenant);
    }
    builder = match &up.auth {
        Auth::None => builder,
        Auth::Bearer(token) => builder.bearer_auth(token),
        Auth::Basic { user, password } => builder.basic_auth(user, Some(password)),
    };

    let transport = |e: reqwest::Error| {
        if e.is_timeout() {
            PromError::Timeout { url: url.clone(), timeout_ms: up.timeout_ms }
        } else {
            PromError::Unreachable { url: url.clone(), detail: error_chain(&e) }
        }
    };
    let response = builder.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(transport)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(PromError::BadResponse {
                url,
                detail: format!("answer larger than {} MiB; narrow the query", MAX_BODY_BYTES >> 20),
            });
        }
        body.extend_from_slice(&chunk);
    }
    if status == 401 || status == 403 {
        return Err(PromError::Auth { url, status });
    }
    let envelope: Envelope = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) if (200..300).contains(&status) => {
            return Err(PromError::BadResponse { url, detail: format!("not Prometheus API JSON ({e}): {}", snippet(&body)) })
        }
        Err(_) => return Err(PromError::Http { url, status, detail: snippet(&body) }),
    };
    if envelope.status != "success" {
        let message = envelope.error.unwrap_or_else(|| snippet(&body));
        let kind = envelope.error_type.unwrap_or_else(|| "error".into());
        return Err(if (400..500).contains(&status) {
            PromError::Query { kind, message }
        } else {
            PromError::Http { url, status, detail: format!("{kind}: {message}") }
        });
    }
    if !(200..300).contains(&status) {
        return Err(PromError::Http { url, status, detail: snippet(&body) });
    }
    let data = envelope.data.ok_or_else(|| PromError::BadResponse { url: url.clone(), detail: "no `data`".into() })?;
    let bad = |detail: String| PromError::BadResponse { url: url.clone(), detail };
    match request {
        Request::Range { .. } => {
            let data: QueryData = serde_json::from_value(data).map_err(|e| bad(e.to_string()))?;
            if data.result_type != "matrix" {
                return Err(bad(format!("expected a matrix, got {:?}", data.result_type)));
            }
            let raw: Vec<MatrixJson> = serde_json::from_value(data.result).map_err(|e| bad(e.to_string()))?;
            let mut out = Vec::with_capacity(raw.len());
            for s in raw {
                let mut samples = Vec::with_capacity(s.values.len());
                for (t, v) in s.values {
                    let v = parse_sample_value(&v).ok_or_else(|| bad(format!("sample value {v:?} is not a number")))?;
                    if !t.is_finite() {
                        return Err(bad("sample timestamp is not a number".into()));
                    }
                    samples.push(((t * 1000.0).round() as i64, v));
                }
                out.push(RangeSeries { labels: s.metric, samples });
            }
            Ok(Answer::Matrix(out))
        }
        Request::Instant { .. } => {
            let data: QueryData = serde_json::from_value(data).map_err(|e| bad(e.to_string()))?;
            match data.result_type.as_str() {
                "vector" => Ok(Answer::Vector(data.result.as_array().map_or(0, |a| a.len()))),
                "scalar" => Ok(Answer::Vector(1)),
                other => Err(bad(format!("expected a vector, got {other:?}"))),
            }
        }
        Request::Series { .. } => Ok(Answer::Series(serde_json::from_value(data).map_err(|e| bad(e.to_string()))?)),
        Request::LabelValues { .. } => Ok(Answer::Strings(serde_json::from_value(data).map_err(|e| bad(e.to_string()))?)),
    }
}

/// reqwest's top-level message is terse ("error sending request"); the causes say what happened.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".into();
    }
    let cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() { format!("{cut}…") } else { cut }
}
