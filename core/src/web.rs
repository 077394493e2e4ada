//! The one JSON-over-HTTP call both WASM frontends make: through a request function the host
//! (`module.js`) hands in, so Grafana's own `backendSrv` does the HTTP (org header, session
//! rotation, cancellation), and the answer is read here into a typed result or a [`CallError`].
//!
//! Decoding is pure and tested on the host; only [`call`] (wasm32) touches JavaScript.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::api::ApiError;

/// Why a call did not give the expected answer.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// The backend answered with its error shape.
    Api { status: u16, error: ApiError },
    /// An HTTP error without the backend's shape (Grafana's own `{message}`, a proxy's page).
    Http { status: u16, message: String },
    /// A success whose body is not what this build expects (a different backend version).
    Decode(String),
    /// No answer at all (network, Grafana down).
    Transport(String),
    /// Superseded or cancelled by the frontend itself; never shown.
    Aborted,
}

impl CallError {
    /// The line a person reads.
    pub fn message(&self) -> String {
        match self {
            CallError::Api { error, .. } => error.error.clone(),
            CallError::Http { status, message } => format!("HTTP {status}: {message}"),
            CallError::Decode(e) => format!("the backend's answer does not match this version: {e}"),
            CallError::Transport(e) => format!("cannot reach Grafana: {e}"),
            CallError::Aborted => "cancelled".into(),
        }
    }
}

/// Characters of a foreign error body shown.
const SNIPPET_CHARS: usize = 160;

/// Reads an answer with HTTP `status` and body `text` as `T`, or says why it is not one.
pub fn decode<T: DeserializeOwned>(status: u16, text: &str) -> Result<T, CallError> {
    if (200..300).contains(&status) {
        return serde_json::from_str(text).map_err(|e| CallError::Decode(json_problem(&e)));
    }
    Err(failure(status, text))
}

/// Where and how a JSON text failed to read, without serde_json's own message: its `Display` pulls
/// std's I/O error texts into the `.wasm` (yew's runtime turns on serde_json's `std`), and the
/// one case its message says more (which field) is a backend of another version, which the
/// caller already says.
pub fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax => "not valid JSON",
        Category::Eof => "cut short",
        Category::Data => "a field is missing or has another type",
        Category::Io => "unreadable",
    };
    format!("{what} at line {}, column {}", e.line(), e.column())
}

/// The error bodies a frontend meets, read in one pass: the backend's [`ApiError`] (`code`,
/// `error`, `field`) or Grafana's own (`message`).
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<crate::error::ErrorCode>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// What an answer that is not a success says. Not generic, so each frontend carries it once.
fn failure(status: u16, text: &str) -> CallError {
    let body = serde_json::from_str::<ErrorBody>(text).ok();
    match body {
        Some(ErrorBody { code: Some(code), error: Some(error), field, .. }) => {
            CallError::Api { status, error: ApiError { code, error, field } }
        }
        Some(ErrorBody { message: Some(message), .. }) => CallError::Http { status, message },
        _ => CallError::Http { status, message: text.trim().chars().take(SNIPPET_CHARS).collect() },
    }
}

/// Calls the host's `request(method, url, body, signal)`, which resolves to `{status, body}` (the
/// body as text) for any HTTP answer and rejects only when there is none.
#[cfg(target_arch = "wasm32")]
pub async fn call_text(
    request: &js_sys::Function,
    method: &str,
    url: &str,
    body: Option<String>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<(u16, String), CallError> {
    use wasm_bindgen::{JsCast, JsValue};
    let aborted = || signal.is_some_and(web_sys::AbortSignal::aborted);
    let args = js_sys::Array::of4(
        &JsValue::from_str(method),
        &JsValue::from_str(url),
        &body.map_or(JsValue::NULL, |b| JsValue::from_str(&b)),
        &signal.map_or(JsValue::NULL, |s| s.clone().into()),
    );
    let promise = request.apply(&JsValue::NULL, &args).map_err(|e| CallError::Transport(js_text(&e)))?;
    let promise: js_sys::Promise =
        promise.dyn_into().map_err(|_| CallError::Transport("the host's request did not return a promise".into()))?;
    let answer = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(|e| {
        if aborted() {
            CallError::Aborted
        } else {
            CallError::Transport(js_text(&e))
        }
    })?;
    if aborted() {
        return Err(CallError::Aborted);
    }
    let get = |key: &str| js_sys::Reflect::get(&answer, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let status = get("status").as_f64().map_or(0, |s| s as u16);
    Ok((status, utf8(&get("body"))))
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The browser's own `TextEncoder`.
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, text: &wasm_bindgen::JsValue) -> js_sys::Uint8Array;
}

/// A JavaScript string's text, copied into the module by the browser's `TextEncoder` in one piece.
/// Why not `as_string`: wasm-bindgen copies a string into the module in a JavaScript loop, one
/// character at a time, which for a day of a 200-stage pipeline (1.2 MB) took 40 ms of the
/// panel's 100 ms budget from data to paint in headless Chromium; this takes about one.
/// `TextEncoder` writes valid UTF-8 (a lone surrogate becomes U+FFFD), as `as_string` does, and
/// an absent body (`undefined`) as nothing. The host's `request` always gives text
/// (`frontend/wasm-host.ts`).
#[cfg(target_arch = "wasm32")]
fn utf8(text: &wasm_bindgen::JsValue) -> String {
    String::from_utf8(TextEncoder::new().encode(text).to_vec()).unwrap_or_default()
}

/// [`call_text`], then [`decode`].
#[cfg(target_arch = "wasm32")]
pub async fn call<T: DeserializeOwned>(
    request: &js_sys::Function,
    method: &str,
    url: &str,
    body: Option<String>,
    signal: Option<&web_sys::AbortSignal>,
) -> Result<T, CallError> {
    let (status, text) = call_text(request, method, url, body, signal).await?;
    decode(status, &text)
}

#[cfg(target_arch = "wasm32")]
fn js_text(e: &wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| js_sys::Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| "the request failed".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Answer {
        n: u32,
    }

    #[test]
    fn answers_and_errors_decode_by_shape() {
        assert_eq!(decode::<Answer>(200, r#"{"n": 3}"#), Ok(Answer { n: 3 }));
        let missing = decode::<Answer>(200, "{}").unwrap_err();
        assert_eq!(missing.message(), "the backend's answer does not match this version: a field is missing or has another type at line 1, column 2");
        assert_eq!(
            decode::<Answer>(200, "{\"n\": 3,").unwrap_err(),
            CallError::Decode("cut short at line 1, column 8".into())
        );
        assert_eq!(
            decode::<Answer>(200, "<html>").unwrap_err(),
            CallError::Decode("not valid JSON at line 1, column 1".into())
        );
        let e = decode::<Answer>(
            503,
            r#"{"code":"settings","error":"jsonData.prometheusUrl: is required","field":"jsonData.prometheusUrl"}"#,
        )
        .unwrap_err();
        assert!(matches!(&e, CallError::Api { status: 503, error } if error.code == ErrorCode::Settings));
        assert_eq!(e.message(), "jsonData.prometheusUrl: is required");
        let e = decode::<Answer>(403, r#"{"message":"Permission denied"}"#).unwrap_err();
        assert_eq!(e.message(), "HTTP 403: Permission denied");
        let e = decode::<Answer>(502, &format!("<html>{}</html>", "x".repeat(500))).unwrap_err();
        assert!(matches!(&e, CallError::Http { status: 502, message } if message.chars().count() == SNIPPET_CHARS));
    }
}
