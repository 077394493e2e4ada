//! Talking to the app backend's resource API through Grafana (`docs/api.md`).

use codexflow_core::api::ApiError;
use gloo_net::http::Request;
use serde::{de::DeserializeOwned, Serialize};
use web_sys::AbortSignal;

/// Why a call failed, as the panel tells the user.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// The app is not enabled or its settings are invalid: say what to do.
    Unconfigured(String),
    /// Anything else, with the message to show.
    Failed(String),
    /// Superseded by a newer request; not shown.
    Aborted,
}

/// POSTs `body` as JSON and parses the answer; `arrived` runs when the answer's bytes are in, before parsing.
pub async fn post<B: Serialize, T: DeserializeOwned>(url: &str, body: &B, signal: Option<&AbortSignal>, arrived: impl FnOnce()) -> Result<T, FetchError> {
    let body = serde_json::to_string(body).map_err(|e| FetchError::Failed(format!("cannot encode the request: {e}")))?;
    let request = Request::post(url)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .abort_signal(signal)
        .body(body)
        .map_err(|e| FetchError::Failed(format!("cannot build the request: {e}")))?;
    let response = request.send().await.map_err(|e| {
        if signal.is_some_and(AbortSignal::aborted) {
            FetchError::Aborted
        } else {
            FetchError::Failed(format!("cannot reach Grafana: {e}"))
        }
    })?;
    let status = response.status();
    let text = response.text().await.map_err(|e| FetchError::Failed(format!("reading the answer failed: {e}")))?;
    arrived();
    if (200..300).contains(&status) {
        return serde_json::from_str(&text).map_err(|e| FetchError::Failed(format!("the backend's answer does not match this panel's version: {e}")));
    }
    let api: Option<ApiError> = serde_json::from_str(&text).ok();
    Err(match (status, api) {
        (_, Some(e)) if e.code == "settings" => FetchError::Unconfigured(e.error),
        (404, None) => FetchError::Unconfigured(
            "the Codex Flow app backend is not available: install and enable the proompteng-codexflow-app plugin".into(),
        ),
        (_, Some(e)) => FetchError::Failed(e.error),
        (_, None) => {
            let snippet: String = text.chars().take(160).collect();
            FetchError::Failed(format!("HTTP {status} from the app backend: {snippet}"))
        }
    })
}
