//! The one shape of "this field is wrong, and why", used by settings, rule files, pipelines and
//! requests alike, and the machine-readable error codes of the resource API.
//!
//! A Grafana admin reads these next to a form field, so the field is a path as they see it
//! (`jsonData.pipeline.stages[1].id`, `from`), never a Rust type name.

use serde::Serialize;

/// A field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// Path as the reader sees it: `jsonData.timeout`, `stages[0].id`, `intervalMs`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), message: message.into() }
    }

    /// The same error seen from one level up: `stages[0].id` under `jsonData.pipeline` becomes
    /// `jsonData.pipeline.stages[0].id`.
    pub fn under(mut self, prefix: &str) -> FieldError {
        self.field = join_path(prefix, &self.field);
        self
    }
}

/// `a` and `b` joined as a field path (`a.b`, or `a[0]` when `b` is an index).
pub fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ if b.starts_with('[') => format!("{a}{b}"),
        _ => format!("{a}.{b}"),
    }
}

/// The `code` of every error answer of the resource API (`docs/api.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request is malformed or asks for something out of bounds.
    BadRequest,
    NotFound,
    MethodNotAllowed,
    /// The app's settings (or the settings proposed to `v1/settings/check`) are not usable.
    Settings,
    /// The upstream failed in a way that makes the whole answer impossible.
    Upstream,
    /// The request is larger than a documented limit.
    TooLarge,
    Internal,
    /// A code this build does not know (a newer backend): shown as a plain error.
    Unknown,
}

crate::by_name!(ErrorCode { BadRequest = "bad_request", NotFound = "not_found", MethodNotAllowed = "method_not_allowed", Settings = "settings", Upstream = "upstream", TooLarge = "too_large", Internal = "internal", Unknown = "unknown" } other Unknown);

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Settings => "settings",
            ErrorCode::Upstream => "upstream",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_as_an_admin_reads_them() {
        let e = FieldError::new("stages[0].id", "bad").under("jsonData.pipeline");
        assert_eq!(e.to_string(), "jsonData.pipeline.stages[0].id: bad");
        assert_eq!(FieldError::new("[2]", "x").under("rules").field, "rules[2]");
        assert_eq!(FieldError::new("", "x").under("jsonData").field, "jsonData");
        assert_eq!(FieldError::new("from", "x").under("").field, "from");
    }

    #[test]
    fn codes_round_trip_and_unknown_ones_are_tolerated() {
        for code in [ErrorCode::BadRequest, ErrorCode::Settings, ErrorCode::TooLarge, ErrorCode::MethodNotAllowed] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
        assert_eq!(serde_json::from_str::<ErrorCode>("\"from_the_future\"").unwrap(), ErrorCode::Unknown);
    }
}
