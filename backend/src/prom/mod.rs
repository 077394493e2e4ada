//! A client for the Prometheus HTTP API (Prometheus itself, or Mimir with a tenant).
//!
//! Two things matter beyond making requests:
//! * **sharing** (`crate::upstream::share`): identical queries against the same upstream with the same credentials
//!   share one request while it is in flight and its answer for a few seconds after;
//! * **distrust** (`wire`): every answer is checked (status, shape, size, values) and turned into a
//!   typed error a person can act on; redirects are not followed, bodies are capped while they
//!   stream in, and an upstream's own words reach a reason only with secrets cut out.

pub mod error;
pub mod wire;

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use codexflow_core::limits::{
    MAX_CONCURRENT_UPSTREAM, MAX_POINTS_PER_QUERY, MAX_UPSTREAM_BODY_BYTES, SHARE_BUDGET_BYTES, SHARE_TTL_MS,
};
use futures_util::future::FutureExt;
use futures_util::StreamExt;
use std::sync::Arc;
use tokio::sync::Semaphore;

use crate::upstream::share::ShareTable;
pub use error::{PromError, Redactor};
use wire::{Answer, Expect};

use crate::budget::Budget;
use crate::series::{merge, Labels, RangeSeries};
use crate::settings::{Auth, Settings};

/// Who we talk to and as whom; part of every sharing key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Upstream {
    base: String,
    tenant: Option<String>,
    auth: Auth,
    timeout_ms: i64,
    redactor: Redactor,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Request {
    Range {
        expr: String,
        start: i64,
        end: i64,
        step: i64,
    },
    Series {
        matchers: Vec<String>,
        start: i64,
        end: i64,
    },
    LabelValues {
        label: String,
        matchers: Vec<String>,
        start: i64,
        end: i64,
    },
    Instant {
        expr: String,
        time: i64,
    },
    /// The rules API; `groups` and `files` are sent as `rule_group[]` and `file[]` filters.
    Rules {
        groups: Vec<String>,
        files: Vec<String>,
    },
    /// An Alertmanager's API v2: its alerts, its silences.
    AmAlerts,
    AmSilences,
}

impl Request {
    fn expect(&self) -> Expect {
        match self {
            Request::Range { .. } => Expect::Matrix,
            Request::Series { .. } => Expect::Series,
            Request::LabelValues { .. } => Expect::Strings,
            Request::Instant { .. } => Expect::Vector,
            Request::Rules { .. } => Expect::Rules,
            Request::AmAlerts => Expect::AmAlerts,
            Request::AmSilences => Expect::AmSilences,
        }
    }
}

type Table = ShareTable<(Upstream, Request), Answer, PromError>;

/// Process-wide: the HTTP connection pool, the sharing table and the request limit.
struct ProcessPool {
    http: reqwest::Client,
    table: Mutex<Table>,
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
            // A redirect would turn a POST into a GET or carry credentials elsewhere: it is an error.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let table = ShareTable::new(Duration::from_millis(SHARE_TTL_MS), SHARE_BUDGET_BYTES);
        // Expired answers are also swept on a timer, so they go even when no new request comes.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(sweep_forever());
        }
        ProcessPool { http, table: Mutex::new(table), limit: Semaphore::new(MAX_CONCURRENT_UPSTREAM) }
    })
}

/// Sweeps the sharing table every TTL; when that frees answers, hands the memory back.
async fn sweep_forever() {
    let mut every = tokio::time::interval(Duration::from_millis(SHARE_TTL_MS));
    loop {
        every.tick().await;
        let freed = process_wide().table.lock().unwrap_or_else(|p| p.into_inner()).sweep(Instant::now());
        if freed > 0 {
            crate::memory::give_back();
        }
    }
}

/// A handle on one upstream with one set of credentials.
#[derive(Clone, Debug)]
pub struct PromClient {
    upstream: Arc<Upstream>,
}

impl PromClient {
    pub fn new(settings: &Settings) -> PromClient {
        let secrets = match &settings.auth {
            Auth::None => Vec::new(),
            Auth::Bearer(token) => vec![token.clone()],
            Auth::Basic { user, password } => vec![password.clone(), basic_credentials(user, password)],
        };
        PromClient {
            upstream: Arc::new(Upstream {
                base: settings.prometheus_url.clone(),
                tenant: settings.tenant.clone(),
                auth: settings.auth.clone(),
                timeout_ms: settings.timeout_ms,
                redactor: Redactor::new(secrets),
            }),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.upstream.base
    }

    /// The same credentials, tenant and timeout against another base URL (a ruler of its own).
    pub fn with_base(&self, base: &str) -> PromClient {
        PromClient { upstream: Arc::new(Upstream { base: base.to_string(), ..(*self.upstream).clone() }) }
    }

    /// The ruler's alerting rules (`GET /api/v1/rules?type=alert`), asking the server to filter by
    /// group names and files where it can (servers that cannot answer with every group).
    pub async fn rules(
        &self,
        groups: &[String],
        files: &[String],
    ) -> Result<Vec<crate::ruler::wire::RulerGroup>, PromError> {
        match &*self.fetch(Request::Rules { groups: groups.to_vec(), files: files.to_vec() }).await? {
            Answer::Rules(g) => Ok(g.clone()),
            _ => Ok(Vec::new()),
        }
    }

    /// An Alertmanager's alerts and silences (`GET /api/v2/alerts`, `/api/v2/silences`), this
    /// client's base being the Alertmanager's.
    pub async fn alertmanager(
        &self,
    ) -> Result<(Vec<crate::alertmanager::AmAlert>, Vec<crate::alertmanager::Silence>), PromError> {
        let (alerts, silences) = tokio::join!(self.fetch(Request::AmAlerts), self.fetch(Request::AmSilences));
        match (&*alerts?, &*silences?) {
            (Answer::AmAlerts(a), Answer::AmSilences(s)) => Ok((a.clone(), s.clone())),
            _ => Ok((Vec::new(), Vec::new())),
        }
    }

    /// A range query at `start, start+step, …, ≤ end` (ms), split into chunks Prometheus accepts;
    /// the chunks are counted against `budget` before they go out, the samples kept after.
    pub async fn query_range(
        &self,
        expr: &str,
        start: i64,
        end: i64,
        step: i64,
        budget: &Budget,
    ) -> Result<Vec<RangeSeries>, PromError> {
        let chunks = range_chunks(start, end, step);
        budget.send(chunks.len()).map_err(|e| PromError::Limit(e.to_string()))?;
        let answers = futures_util::future::join_all(
            chunks
                .into_iter()
                .map(|(start, end)| self.fetch(Request::Range { expr: expr.to_string(), start, end, step })),
        )
        .await;
        let mut parts = Vec::with_capacity(answers.len());
        for answer in answers {
            if let Answer::Matrix(series) = &*answer? {
                budget
                    .hold(series.iter().map(|s| s.samples.len()).sum())
                    .map_err(|e| PromError::Limit(e.to_string()))?;
                parts.push(series.clone());
            }
        }
        Ok(merge(parts))
    }

    /// Label sets of the series matching any of `matchers` in `[start, end]`.
    pub async fn series(&self, matchers: &[String], start: i64, end: i64) -> Result<Vec<Labels>, PromError> {
        match &*self.fetch(Request::Series { matchers: matchers.to_vec(), start, end }).await? {
            Answer::Series(s) => Ok(s.clone()),
            _ => Ok(Vec::new()),
        }
    }

    /// Values of `label` among series matching any of `matchers` in `[start, end]`.
    pub async fn label_values(
        &self,
        label: &str,
        matchers: &[String],
        start: i64,
        end: i64,
    ) -> Result<Vec<String>, PromError> {
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
        let pool = process_wide();
        let key = ((*self.upstream).clone(), request);
        let shared = {
            let mut table = pool.table.lock().unwrap_or_else(|p| p.into_inner());
            let (upstream, request) = key.clone();
            table.join_or_start(
                key,
                Instant::now(),
                move || {
                    async move {
                        let _permit = pool.limit.acquire().await.ok();
                        execute(&pool.http, &upstream, &request).await
                    }
                    .boxed()
                },
                Answer::weight,
            )
        };
        shared.await
    }
}

/// `[start, end]` at `step` as chunks of at most [`MAX_POINTS_PER_QUERY`] steps each.
fn range_chunks(start: i64, end: i64, step: i64) -> Vec<(i64, i64)> {
    let step = step.max(1);
    let span = MAX_POINTS_PER_QUERY.saturating_mul(step);
    let mut chunks = Vec::new();
    let mut chunk_start = start;
    while chunk_start <= end {
        let chunk_end = chunk_start.saturating_add(span - step).min(end);
        chunks.push((chunk_start, chunk_end));
        match chunk_end.checked_add(step) {
            Some(next) => chunk_start = next,
            None => break,
        }
    }
    chunks
}

/// `user:password` as basic auth sends it (base64), so an echo of the header is redacted too.
fn basic_credentials(user: &str, password: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let mut out = String::new();
    for chunk in input.as_bytes().chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// The HTTP request for `request` against `up`, and the URL it goes to.
fn build(http: &reqwest::Client, up: &Upstream, request: &Request) -> (reqwest::RequestBuilder, String) {
    let range = |matchers: &[String], start: i64, end: i64| {
        let mut form: Vec<(&'static str, String)> = matchers.iter().map(|m| ("match[]", m.clone())).collect();
        form.push(("start", seconds(start)));
        form.push(("end", seconds(end)));
        form
    };
    let (builder, url) = match request {
        Request::Range { expr, start, end, step } => {
            let url = format!("{}/api/v1/query_range", up.base);
            let form =
                [("query", expr.clone()), ("start", seconds(*start)), ("end", seconds(*end)), ("step", seconds(*step))];
            (http.post(&url).form(&form), url)
        }
        Request::Instant { expr, time } => {
            let url = format!("{}/api/v1/query", up.base);
            (http.post(&url).form(&[("query", expr.clone()), ("time", seconds(*time))]), url)
        }
        Request::Series { matchers, start, end } => {
            let url = format!("{}/api/v1/series", up.base);
            (http.post(&url).form(&range(matchers, *start, *end)), url)
        }
        Request::LabelValues { label, matchers, start, end } => {
            let url = format!("{}/api/v1/label/{label}/values", up.base);
            (http.get(&url).query(&range(matchers, *start, *end)), url)
        }
        Request::Rules { groups, files } => {
            let url = format!("{}/api/v1/rules", up.base);
            let mut query: Vec<(&'static str, &str)> = vec![("type", "alert")];
            query.extend(groups.iter().map(|g| ("rule_group[]", g.as_str())));
            query.extend(files.iter().map(|f| ("file[]", f.as_str())));
            (http.get(&url).query(&query), url)
        }
        Request::AmAlerts => {
            let url = format!("{}/api/v2/alerts", up.base);
            (http.get(&url), url)
        }
        Request::AmSilences => {
            let url = format!("{}/api/v2/silences", up.base);
            (http.get(&url), url)
        }
    };
    let mut builder = builder.timeout(Duration::from_millis(up.timeout_ms.max(1) as u64));
    if let Some(tenant) = &up.tenant {
        builder = builder.header("X-Scope-OrgID", tenant);
    }
    let builder = match &up.auth {
        Auth::None => builder,
        Auth::Bearer(token) => builder.bearer_auth(token),
        Auth::Basic { user, password } => builder.basic_auth(user, Some(password)),
    };
    (builder, url)
}

async fn execute(http: &reqwest::Client, up: &Upstream, request: &Request) -> Result<Answer, PromError> {
    let (builder, url) = build(http, up, request);
    let transport = |e: reqwest::Error| {
        if e.is_timeout() {
            PromError::Timeout { url: url.clone(), timeout_ms: up.timeout_ms }
        } else {
            PromError::Unreachable { url: url.clone(), detail: up.redactor.clean(&error_chain(&e)) }
        }
    };
    let response = builder.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        let location =
            response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("(no Location)");
        return Err(PromError::Redirect { url: url.clone(), status, location: up.redactor.clean(location) });
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(transport)?;
        if body.len() + chunk.len() > MAX_UPSTREAM_BODY_BYTES {
            return Err(PromError::TooLarge {
                url,
                detail: format!(
                    "the answer is larger than {} MiB; narrow the query or the time range",
                    MAX_UPSTREAM_BODY_BYTES >> 20
                ),
            });
        }
        body.extend_from_slice(&chunk);
    }
    wire::parse(request.expect(), status, &body, &url, &up.redactor)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_split_under_the_point_limit_even_at_the_edges_of_time() {
        let step = 60_000;
        let chunks = range_chunks(0, 25_000 * step, step);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0], (0, (MAX_POINTS_PER_QUERY - 1) * step));
        assert_eq!(chunks[2].1, 25_000 * step);
        assert!(chunks.windows(2).all(|w| w[1].0 == w[0].1 + step));
        assert_eq!(range_chunks(i64::MAX - 10, i64::MAX, 1_000), [(i64::MAX - 10, i64::MAX)]);
        assert!(range_chunks(5, 4, 1).is_empty());
    }

    #[test]
    fn basic_credentials_are_base64() {
        assert_eq!(basic_credentials("Aladdin", "open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(basic_credentials("a", "b"), "YTpi");
    }
}
