//! Every resource answer that is not a success, as one type that turns itself into Grafana's
//! response: the HTTP status, `core`'s [`ErrorCode`], a message and the field at fault.

use bytes::Bytes;
use codexflow_core::api::ApiError;
use codexflow_core::error::{ErrorCode, FieldError};
use codexflow_core::limits::MAX_ANSWER_BYTES;
use http::{Method, Response, StatusCode};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ResourceError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// For 405: the method the resource takes (the `Allow` header).
    pub allow: Option<Method>,
}

impl ResourceError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>, field: Option<String>) -> ResourceError {
        ResourceError { status, code, message: message.into(), field, allow: None }
    }

    /// The request is wrong at `e.field`.
    pub fn bad_request(e: FieldError) -> ResourceError {
        let message = e.to_string();
        ResourceError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message, Some(e.field))
    }

    /// The stored settings are not usable: every call but `v1/settings/check` answers this.
    pub fn unconfigured(e: &FieldError) -> ResourceError {
        ResourceError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Settings,
            format!("the Codex Flow app is not configured correctly: {e}"),
            Some(e.field.clone()),
        )
    }

    /// Settings proposed to `v1/settings/check` are not usable.
    pub fn rejected_settings(e: FieldError) -> ResourceError {
        let message = e.to_string();
        ResourceError::new(StatusCode::BAD_REQUEST, ErrorCode::Settings, message, Some(e.field))
    }

    pub fn not_found(message: String) -> ResourceError {
        ResourceError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message, None)
    }

    pub fn method_not_allowed(path: &str, allowed: Method, got: &Method) -> ResourceError {
        let mut e = ResourceError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            format!("{path} takes {allowed}, not {got}"),
            None,
        );
        e.allow = Some(allowed);
        e
    }

    pub fn too_large(message: String) -> ResourceError {
        ResourceError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge, message, None)
    }

    pub fn internal(message: String) -> ResourceError {
        ResourceError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, message, None)
    }

    /// The error as `core`'s wire type (also used in CheckHealth's details).
    pub fn api_error(&self) -> ApiError {
        ApiError { code: self.code, error: self.message.clone(), field: self.field.clone() }
    }

    pub fn into_response(self) -> Response<Bytes> {
        let mut response = json(self.status, &self.api_error());
        if let Some(v) = self.allow.and_then(|m| http::HeaderValue::from_str(m.as_str()).ok()) {
            response.headers_mut().insert(http::header::ALLOW, v);
        }
        response
    }
}

/// The SDK's hook for a resource call that ends in an error: the same JSON answer as any other.
impl grafana_plugin_sdk::backend::ErrIntoHttpResponse for ResourceError {
    fn into_http_response(self) -> Result<Response<Bytes>, Box<dyn std::error::Error>> {
        Ok(self.into_response())
    }
}

impl From<FieldError> for ResourceError {
    fn from(e: FieldError) -> ResourceError {
        ResourceError::bad_request(e)
    }
}

/// Writes into a buffer, refusing to grow it past [`MAX_ANSWER_BYTES`].
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_ANSWER_BYTES {
            return Err(std::io::Error::other(ANSWER_TOO_LARGE));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const ANSWER_TOO_LARGE: &str = "answer too large";

/// A JSON answer, written once and never past [`MAX_ANSWER_BYTES`]: a larger one becomes a 400
/// `too_large` saying what to change, one that cannot be encoded a 500 saying so.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Bytes> {
    let mut out = Capped(Vec::new());
    let (status, bytes) = match serde_json::to_writer(&mut out, body) {
        Ok(()) => (status, out.0),
        Err(e) => {
            let too_large = e.io_error_kind().is_some() && e.to_string().contains(ANSWER_TOO_LARGE);
            let (status, fallback) = if too_large {
                let message = format!(
                    "the answer would be larger than {} MiB; narrow the time range or widen intervalMs",
                    MAX_ANSWER_BYTES >> 20
                );
                (StatusCode::BAD_REQUEST, ApiError { code: ErrorCode::TooLarge, error: message, field: None })
            } else {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ApiError { code: ErrorCode::Internal, error: format!("cannot encode answer: {e}"), field: None },
                )
            };
            (status, serde_json::to_vec(&fallback).unwrap_or_default())
        }
    };
    let mut response = Response::new(Bytes::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}

/// `Ok` as a 200 JSON answer, `Err` as its error answer.
pub fn respond<T: Serialize>(result: Result<T, ResourceError>) -> Response<Bytes> {
    match result {
        Ok(v) => json(StatusCode::OK, &v),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_answer_as_json_with_their_code_field_and_allow() {
        let r = ResourceError::from(FieldError::new("from", "bad")).into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: ApiError = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(
            (body.code, body.field.as_deref(), body.error.as_str()),
            (ErrorCode::BadRequest, Some("from"), "from: bad")
        );
        let r = ResourceError::method_not_allowed("v1/evaluate", Method::POST, &Method::GET).into_response();
        assert_eq!(r.headers().get(http::header::ALLOW).map(|v| v.to_str().unwrap()), Some("POST"));
        let r = ResourceError::unconfigured(&FieldError::new("jsonData.prometheusUrl", "is required")).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn an_answer_over_the_cap_is_refused_while_it_is_written() {
        let big = vec!["x".repeat(1 << 20); (MAX_ANSWER_BYTES >> 20) + 1];
        let r = json(StatusCode::OK, &big);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: ApiError = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(body.code, ErrorCode::TooLarge);
        assert!(body.error.contains("64 MiB"), "{}", body.error);
        assert_eq!(json(StatusCode::OK, &vec!["x"; 3]).status(), StatusCode::OK);
    }
}
