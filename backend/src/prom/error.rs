//! What can go wrong talking to the upstream, as a person on call can act on it, and the excerpt of
//! an upstream's own words that may go into a reason every viewer reads.

use codexflow_core::limits::{MAX_SERIES_PER_QUERY, UPSTREAM_EXCERPT_CHARS, UPSTREAM_MESSAGE_CHARS};
use thiserror::Error;

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
    #[error("{url} redirected (HTTP {status}) to {location}; redirects are not followed: set the Prometheus URL to where the API really is")]
    Redirect { url: String, status: u16, location: String },
    #[error("the upstream rejected the query ({kind}): {message}")]
    Query { kind: String, message: String },
    #[error("{url} did not answer like a Prometheus API: {detail}")]
    BadResponse { url: String, detail: String },
    #[error("{url}: {detail}")]
    TooLarge { url: String, detail: String },
    /// A limit of this plugin, not of the upstream (`core::limits`, `budget`).
    #[error("{0}")]
    Limit(String),
}

impl PromError {
    /// An answer of `n` series, more than one query may return.
    pub fn too_many_series(url: &str, n: usize) -> PromError {
        PromError::TooLarge {
            url: url.to_string(),
            detail: format!(
                "the query returned {n} series, more than the {MAX_SERIES_PER_QUERY} one query may; narrow it (e.g. sum by (…))"
            ),
        }
    }

    /// Whether the upstream answered at all (for CheckHealth's `reachable`).
    pub fn reached(&self) -> bool {
        !matches!(self, PromError::Unreachable { .. } | PromError::Timeout { .. })
    }
}

/// Cuts what must never reach a viewer out of an upstream's words: the request's own secrets (a
/// proxy may echo the request back) and any line naming an `Authorization` header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Redacts each of `secrets` (empty ones are ignored).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        Redactor { secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect() }
    }

    /// A short, safe excerpt of `body` for a reason.
    pub fn excerpt(&self, body: &[u8]) -> String {
        self.cut(body, UPSTREAM_EXCERPT_CHARS)
    }

    /// An upstream's error message (Prometheus' `error`, a transport error) with its secrets cut.
    pub fn clean(&self, message: &str) -> String {
        self.cut(message.as_bytes(), UPSTREAM_MESSAGE_CHARS)
    }

    /// `text` with its secrets and any echoed `Authorization` cut, whole: for the ruler's own words
    /// (a rule's `lastError`), which name the failing query and the ruler's answer at any length.
    pub fn scrub(&self, text: &str) -> String {
        let kept: Vec<String> =
            text.lines().map(str::trim).filter(|l| !l.is_empty()).map(without_authorization).collect();
        let mut text = kept.join(" ");
        for secret in &self.secrets {
            text = text.replace(secret.as_str(), "<redacted>");
        }
        text
    }

    fn cut(&self, body: &[u8], chars: usize) -> String {
        let text = self.scrub(&String::from_utf8_lossy(body));
        if text.is_empty() {
            return "(empty body)".into();
        }
        let cut: String = text.chars().take(chars).collect();
        if cut.len() < text.len() {
            format!("{cut}…")
        } else {
            cut
        }
    }
}

/// A line with whatever follows a mention of an `Authorization` header cut off: an echoed header is
/// the request's credentials, whatever the scheme.
fn without_authorization(line: &str) -> String {
    match line.to_ascii_lowercase().find("authorization") {
        None => line.to_string(),
        Some(at) => format!("{}[Authorization header removed]", &line[..at]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_headers_and_secrets_never_come_through() {
        let r = Redactor::new(["tok-XYZZY".to_string(), String::new()]);
        let body = b"bad request\nAuthorization: Bearer tok-XYZZY\nX-Debug: echo tok-XYZZY here\nsaw authorization=Basic Zm9vOmJhcg== from you";
        let text = r.excerpt(body);
        assert_eq!(text, "bad request [Authorization header removed] X-Debug: echo <redacted> here saw [Authorization header removed]");
        assert_eq!(r.excerpt(b"   "), "(empty body)");
        let long = "x".repeat(500);
        assert_eq!(r.excerpt(long.as_bytes()).chars().count(), UPSTREAM_EXCERPT_CHARS + 1);
    }
}
