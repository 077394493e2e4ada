//! The resource API's routes, parsed once from Grafana's `CallResource` path and method into an
//! enum the plugin dispatches on, and request bodies read into `core`'s types with the field at
//! fault named by its path.

use codexflow_core::error::FieldError;
use codexflow_core::limits::MAX_REQUEST_BODY_BYTES;
use codexflow_core::routes;
use http::Method;
use serde::de::DeserializeOwned;

use crate::resource_error::ResourceError;
use crate::settings::path_error;

/// One resource of `docs/api.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Evaluate,
    StageMetrics,
    Rules,
    Pipeline,
    PanelMap,
    SettingsCheck,
}

impl Route {
    /// Whether the route is served with the stored settings; `v1/settings/check` checks proposed
    /// ones, so it must work while the stored ones are broken.
    pub fn needs_settings(self) -> bool {
        self != Route::SettingsCheck
    }

    pub const ALL: [Route; 6] =
        [Route::Evaluate, Route::StageMetrics, Route::Rules, Route::Pipeline, Route::PanelMap, Route::SettingsCheck];

    pub fn path(self) -> &'static str {
        match self {
            Route::Evaluate => routes::EVALUATE,
            Route::StageMetrics => routes::STAGE_METRICS,
            Route::Rules => routes::RULES,
            Route::Pipeline => routes::PIPELINE,
            Route::PanelMap => routes::PANEL_MAP,
            Route::SettingsCheck => routes::SETTINGS_CHECK,
        }
    }

    pub fn method(self) -> Method {
        match self {
            Route::Evaluate | Route::StageMetrics | Route::PanelMap | Route::SettingsCheck => Method::POST,
            Route::Rules | Route::Pipeline => Method::GET,
        }
    }

    /// The route for a `CallResource` path (no leading slash; a query string is ignored) and method.
    /// `HEAD` is answered wherever `GET` is, as HTTP has it.
    pub fn parse(method: &Method, path: &str) -> Result<Route, ResourceError> {
        let path = path.split('?').next().unwrap_or("").trim_matches('/');
        let Some(route) = Route::ALL.into_iter().find(|r| r.path() == path) else {
            let known: Vec<&str> = Route::ALL.iter().map(|r| r.path()).collect();
            return Err(ResourceError::not_found(format!(
                "no resource {path:?}; available: {} (see docs/api.md)",
                known.join(", ")
            )));
        };
        let allowed = route.method();
        if *method == allowed || (*method == Method::HEAD && allowed == Method::GET) {
            Ok(route)
        } else {
            Err(ResourceError::method_not_allowed(route.path(), allowed, method))
        }
    }
}

/// Reads a JSON object body into `T`; `shape` shows what was expected. Type errors name the field
/// by its path (`jsonData.timeout`), and a body that is not an object is refused before serde
/// could read an array into a struct.
pub fn parse_body<T: DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, ResourceError> {
    if body.len() > MAX_REQUEST_BODY_BYTES {
        return Err(ResourceError::too_large(format!(
            "the request body has {} bytes, more than the {} MiB allowed",
            body.len(),
            MAX_REQUEST_BODY_BYTES >> 20
        )));
    }
    let bad = |message: String, field: &str| ResourceError::bad_request(FieldError::new(field, message));
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(bad(format!("the request body is empty; expected JSON like {shape}"), "")),
        Some(b'{') => {}
        Some(_) => return Err(bad(format!("the request body must be a JSON object like {shape}"), "")),
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let fe = path_error("", &e);
        bad(format!("invalid request body: {}; expected JSON like {shape}", fe), &fe.field)
    })?;
    de.end().map_err(|e| bad(format!("invalid request body: {e}; expected JSON like {shape}"), ""))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use codexflow_core::api::{EvaluateRequest, SettingsCheckRequest};

    #[test]
    fn paths_and_methods_parse_into_routes() {
        assert_eq!(Route::parse(&Method::POST, "v1/evaluate"), Ok(Route::Evaluate));
        assert_eq!(Route::parse(&Method::GET, "/v1/rules?refresh=1"), Ok(Route::Rules));
        assert_eq!(Route::parse(&Method::HEAD, "v1/pipeline"), Ok(Route::Pipeline));
        let e = Route::parse(&Method::GET, "v1/evaluate").unwrap_err();
        assert_eq!((e.status.as_u16(), e.allow), (405, Some(Method::POST)));
        assert_eq!(Route::parse(&Method::HEAD, "v1/evaluate").unwrap_err().status.as_u16(), 405);
        assert_eq!(Route::parse(&Method::GET, "../../etc/passwd").unwrap_err().status.as_u16(), 404);
    }

    #[test]
    fn bodies_name_the_field_at_fault() {
        let shape = "{}";
        let e = parse_body::<EvaluateRequest>(br#"{"from": "yesterday", "to": 1}"#, shape).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("from"), "{e}");
        let e = parse_body::<EvaluateRequest>(br#"{"to": 1}"#, shape).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("from"), "{e}");
        let e = parse_body::<SettingsCheckRequest>(br#"{"jsonData": {"timeout": [1]}}"#, shape).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("jsonData.timeout"), "{e}");
        assert!(parse_body::<EvaluateRequest>(b"[1,2]", shape).unwrap_err().message.contains("JSON object"));
        assert!(parse_body::<EvaluateRequest>(br#"{"from":1,"to":2} x"#, shape).is_err());
        assert!(parse_body::<EvaluateRequest>(b"  ", shape).unwrap_err().message.contains("empty"));
        assert_eq!(parse_body::<EvaluateRequest>(br#"{"from":1,"to":2}"#, shape).unwrap().to, 2);
        let big = vec![b' '; MAX_REQUEST_BODY_BYTES + 1];
        assert_eq!(parse_body::<EvaluateRequest>(&big, shape).unwrap_err().status.as_u16(), 413);
    }
}
