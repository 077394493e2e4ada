//! The app's settings as Grafana hands them over in `PluginContext.appInstanceSettings`.
//!
//! Everything is checked up front and every problem names its field
//! (`jsonData.timeout`), because the person reading the error is a Grafana
//! admin looking at a config form, not at our code. Secrets are kept out of
//! `Debug` so they cannot reach a log line.

use std::collections::HashMap;
use std::fmt;

use codexflow_core::duration::parse_duration;
use codexflow_core::pipeline::PipelineSpec;
use serde_json::Value;
use thiserror::Error;

use crate::defaults;
use crate::rules::{RuleError, RuleSet};

/// Default tick spacing when `jsonData.evaluationInterval` is absent.
pub const DEFAULT_INTERVAL_MS: i64 = 60_000;
/// Default upstream timeout when `jsonData.timeout` is absent.
pub const DEFAULT_TIMEOUT_MS: i64 = 10_000;

/// A setting that cannot be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct SettingsError {
    /// Path as the admin sees it, e.g. `jsonData.prometheusUrl`.
    pub field: String,
    pub message: String,
}

impl SettingsError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        SettingsError { field: field.into(), message: message.into() }
    }
}

/// How we authenticate to the upstream.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Auth {
    None,
    Bearer(String),
    Basic { user: String, password: String },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, <redacted>)"),
        }
    }
}

/// Validated settings, ready to evaluate with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL without a trailing slash; `/api/v1/...` is appended.
    pub prometheus_url: String,
    pub tenant: Option<String>,
    pub auth: Auth,
    pub interval_ms: i64,
    pub timeout_ms: i64,
    pub rules: RuleSet,
    /// `default` or `settings`.
    pub rules_source: &'static str,
    pub pipeline: PipelineSpec,
}

impl Settings {
    /// Reads `jsonData` and the decrypted `secureJsonData`.
    pub fn from_grafana(json: &Value, secure: &HashMap<String, String>) -> Result<Settings, SettingsError> {
        let obj = match json {
            Value::Object(map) => map.clone(),
            Value::Null => Default::default(),
            _ => return Err(SettingsError::new("jsonData", "must be a JSON object")),
        };
        let string = |key: &str| -> Result<Option<String>, SettingsError> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(_) => Err(SettingsError::new(format!("jsonData.{key}"), "must be a string")),
            }
        };

        let url = string("prometheusUrl")?.ok_or_else(|| {
            SettingsError::new(
                "jsonData.prometheusUrl",
                "is required: the base URL of a Prometheus-compatible API, e.g. http://prometheus:9090 or https://mimir.example/prometheus",
            )
        })?;
        let prometheus_url = validate_url(&url)?;

        let tenant = string("tenant")?;
        if let Some(t) = &tenant {
            if t.chars().any(|c| c.is_control()) {
                return Err(SettingsError::new("jsonData.tenant", "must not contain control characters"));
            }
        }

        let duration = |key: &str, default: i64| -> Result<i64, SettingsError> {
            match string(key)? {
                None => Ok(default),
                Some(s) => match parse_duration(&s) {
                    Ok(ms) if ms >= 1_000 => Ok(ms),
                    Ok(_) => Err(SettingsError::new(format!("jsonData.{key}"), "must be at least 1s")),
                    Err(e) => Err(SettingsError::new(format!("jsonData.{key}"), e.to_string())),
                },
            }
        };
        let interval_ms = duration("evaluationInterval", DEFAULT_INTERVAL_MS)?;
        let timeout_ms = duration("timeout", DEFAULT_TIMEOUT_MS)?;

        let secret = |key: &str| secure.get(key).filter(|s| !s.is_empty()).cloned();
        let basic_user = string("basicAuthUser")?;
        let auth = match (secret("bearerToken"), basic_user, secret("basicAuthPassword")) {
            (Some(_), Some(_), _) => {
                return Err(SettingsError::new(
                    "secureJsonData.bearerToken",
                    "set either a bearer token or basic auth, not both",
                ))
            }
            (Some(token), None, _) => Auth::Bearer(token),
            (None, Some(user), Some(password)) => Auth::Basic { user, password },
            (None, Some(_), None) => {
                return Err(SettingsError::new(
                    "secureJsonData.basicAuthPassword",
                    "is required when jsonData.basicAuthUser is set",
                ))
            }
            (None, None, _) => Auth::None,
        };

        let pipeline = match obj.get("pipeline") {
            None | Some(Value::Null) => defaults::pipeline(),
            Some(Value::String(s)) if s.trim().is_empty() => defaults::pipeline(),
            // The config page stores it as a JSON string; provisioning may give an object.
            Some(Value::String(s)) => serde_json::from_str(s)
                .map_err(|e| SettingsError::new("jsonData.pipeline", format!("invalid JSON: {e}")))?,
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| SettingsError::new("jsonData.pipeline", e.to_string()))?,
        };
        pipeline
            .validate()
            .map_err(|e| SettingsError::new(format!("jsonData.pipeline.{}", e.field), e.message))?;
        crate::promql::check_pipeline_queries(&pipeline)
            .map_err(|(field, msg)| SettingsError::new(format!("jsonData.pipeline.{field}"), msg))?;

        let (rules, rules_source) = match string("rulesYaml")? {
            None => (defaults::rules(), "default"),
            Some(yaml) => (RuleSet::parse(&yaml).map_err(rules_error)?, "settings"),
        };
        for rule in &rules.rules {
            if pipeline.stage(&rule.stage).is_none() {
                return Err(SettingsError::new(
                    "jsonData.rulesYaml",
                    format!(
                        "rule {} maps to stage {:?}, which the pipeline does not have (stages: {})",
                        rule.name,
                        rule.stage,
                        pipeline.stages.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }

        Ok(Settings {
            prometheus_url,
            tenant,
            auth,
            interval_ms,
            timeout_ms,
            rules,
            rules_source,
            pipeline,
        })
    }
}

fn rules_error(e: RuleError) -> SettingsError {
    SettingsError::new("jsonData.rulesYaml", e.to_string())
}

/// Accepts `http(s)://host[:port][/path]`; drops a trailing slash.
fn validate_url(url: &str) -> Result<String, SettingsError> {
    let bad = |m: &str| SettingsError::new("jsonData.prometheusUrl", format!("{m} (got {url:?})"));
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| bad("must start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(bad("has no host"));
    }
    if rest.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must be a plain base URL without query, fragment or spaces"));
    }
    if host.contains('@') {
        return Err(bad("must not carry credentials; use basic auth settings"));
    }
    reqwest::Url::parse(url).map_err(|e| bad(&format!("is not a valid URL: {e}")))?;
    Ok(url.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(json: Value) -> Result<Settings, SettingsError> {
        Settings::from_grafana(&json, &HashMap::new())
    }

    #[test]
    fn minimal_settings_use_the_defaults() {
        let s = parse(json!({"prometheusUrl": "http://127.0.0.1:9090/"})).unwrap();
        assert_eq!(s.prometheus_url, "http://127.0.0.1:9090");
        assert_eq!(s.interval_ms, 60_000);
        assert_eq!(s.timeout_ms, 10_000);
        assert_eq!(s.rules.rules.len(), 4);
        assert_eq!(s.rules_source, "default");
        assert_eq!(s.pipeline.stages.len(), 4);
        assert_eq!(s.auth, Auth::None);
    }

    #[test]
    fn every_error_names_its_field() {
        let cases = [
            (json!({}), "jsonData.prometheusUrl"),
            (json!({"prometheusUrl": "ftp://x"}), "jsonData.prometheusUrl"),
            (json!({"prometheusUrl": "http://"}), "jsonData.prometheusUrl"),
            (json!({"prometheusUrl": "http://u:p@h"}), "jsonData.prometheusUrl"),
            (json!({"prometheusUrl": 9090}), "jsonData.prometheusUrl"),
            (json!({"prometheusUrl": "http://h", "evaluationInterval": "5 minutes"}), "jsonData.evaluationInterval"),
            (json!({"prometheusUrl": "http://h", "evaluationInterval": "10ms"}), "jsonData.evaluationInterval"),
            (json!({"prometheusUrl": "http://h", "timeout": "x"}), "jsonData.timeout"),
            (json!({"prometheusUrl": "http://h", "rulesYaml": "groups: [ {"}), "jsonData.rulesYaml"),
            (json!({"prometheusUrl": "http://h", "pipeline": "{"}), "jsonData.pipeline"),
            (json!({"prometheusUrl": "http://h", "pipeline": {"stages": []}}), "jsonData.pipeline.stages"),
            (json!({"prometheusUrl": "http://h", "basicAuthUser": "me"}), "secureJsonData.basicAuthPassword"),
            (json!([1]), "jsonData"),
        ];
        for (json, field) in cases {
            let err = parse(json.clone()).expect_err(&format!("{json} should fail"));
            assert_eq!(err.field, field, "{json}: {err}");
        }
    }

    #[test]
    fn auth_comes_from_secure_json_data_and_never_prints() {
        let secure: HashMap<_, _> = [("bearerToken".to_string(), "s3cret".to_string())].into();
        let s = Settings::from_grafana(&json!({"prometheusUrl": "https://m/prometheus"}), &secure).unwrap();
        assert_eq!(s.auth, Auth::Bearer("s3cret".into()));
        assert!(!format!("{s:?}").contains("s3cret"));

        let secure: HashMap<_, _> = [("basicAuthPassword".to_string(), "pw".to_string())].into();
        let s = Settings::from_grafana(
            &json!({"prometheusUrl": "https://m", "basicAuthUser": "me", "tenant": "team-a"}),
            &secure,
        )
        .unwrap();
        assert_eq!(s.auth, Auth::Basic { user: "me".into(), password: "pw".into() });
        assert_eq!(s.tenant.as_deref(), Some("team-a"));
        assert!(!format!("{s:?}").contains("\"pw\""));
    }

    #[test]
    fn rules_must_map_to_known_stages() {
        let yaml = "groups:\n- name: g\n  rules:\n  - alert: Other\n    expr: up == 0\n    labels: {stage: db}\n";
        let err = parse(json!({"prometheusUrl": "http://h", "rulesYaml": yaml})).unwrap_err();
        assert_eq!(err.field, "jsonData.rulesYaml");
        assert!(err.message.contains("\"db\""), "{err}");
    }
}
