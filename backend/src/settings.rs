//! The app's settings as Grafana hands them over in `PluginContext.appInstanceSettings`.
//!
//! `jsonData` is deserialized into `core`'s [`AppJsonData`] (the shape the config page edits) and
//! then validated; every problem names its field (`jsonData.timeout`), because the person reading
//! the error is a Grafana admin looking at a config form, not at our code. Secrets are kept out of
//! `Debug` so they cannot reach a log line.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use codexflow_core::duration::parse_duration;
use codexflow_core::error::{join_path, FieldError};
use codexflow_core::limits::{
    check_interval, check_queue_window, check_settle, check_timeout, DEFAULT_INTERVAL, DEFAULT_QUEUE_WINDOW,
    DEFAULT_SETTLE, DEFAULT_TIMEOUT, MAX_PATTERN_BYTES, MAX_PIPELINE_BYTES, MAX_RULES,
};
use codexflow_core::pipeline::PipelineSpec;
use codexflow_core::settings::{trimmed, AppJsonData, AuthKind, JsonKey, RulesChoice, SecretKey, DEFAULT_RULE_GROUPS};
use serde_json::Value;

use crate::defaults;
use crate::ruler::RulerConfig;
use crate::rules::{stage, RuleSet};

/// How we authenticate to the upstream.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Auth {
    None,
    Bearer(String),
    Basic { user: String, password: String },
}

impl Auth {
    pub fn kind(&self) -> AuthKind {
        match self {
            Auth::None => AuthKind::None,
            Auth::Bearer(_) => AuthKind::Bearer,
            Auth::Basic { .. } => AuthKind::Basic,
        }
    }
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
    /// Queue insight's window (`queueWindow`).
    pub queue_window_ms: i64,
    /// How old a tick must be before its evaluation is kept (`settleTime`; `crate::upstream::settled`).
    pub settle_ms: i64,
    /// `alertmanagerUrl`, checked, without a trailing slash.
    pub alertmanager_url: Option<String>,
    pub rules: RulesConfig,
    pub pipeline: PipelineSpec,
}

/// Where the rules come from and how they map to stages (`crate::rules_in_force` decides, per
/// reading of the ruler, which set is in force).
#[derive(Debug, Clone)]
pub struct RulesConfig {
    pub choice: RulesChoice,
    /// `rulesYaml`, parsed, stages decided.
    pub yaml: Option<RuleSet>,
    /// The built-in rules, stages decided.
    pub builtin: RuleSet,
    pub ruler: RulerConfig,
    /// `stageOf`: alert name → stage id, every stage known to the pipeline.
    pub stage_of: BTreeMap<String, String>,
}

/// `jsonData` as Grafana stores it, read into the shared shape; type errors name their key.
pub fn json_data(json: &Value) -> Result<AppJsonData, FieldError> {
    match json {
        Value::Null => Ok(AppJsonData::default()),
        Value::Object(_) => serde_path_to_error::deserialize(json).map_err(|e| path_error("jsonData", &e)),
        _ => Err(FieldError::new("jsonData", "must be a JSON object")),
    }
}

impl Settings {
    /// Reads `jsonData` and the decrypted `secureJsonData`.
    pub fn from_grafana(json: &Value, secure: &HashMap<String, String>) -> Result<Settings, FieldError> {
        Settings::from_json_data(&json_data(json)?, secure)
    }

    pub fn from_json_data(data: &AppJsonData, secure: &HashMap<String, String>) -> Result<Settings, FieldError> {
        let url = trimmed(&data.prometheus_url).ok_or_else(|| {
            FieldError::new(
                JsonKey::PrometheusUrl.field(),
                "is required: the base URL of a Prometheus-compatible API, e.g. http://prometheus:9090 or https://mimir.example/prometheus",
            )
        })?;
        let prometheus_url = validate_url(url)?;

        let tenant = trimmed(&data.tenant).map(str::to_string);
        if tenant.as_deref().is_some_and(|t| t.chars().any(char::is_control)) {
            return Err(FieldError::new(JsonKey::Tenant.field(), "must not contain control characters"));
        }

        let interval_ms =
            duration(JsonKey::EvaluationInterval, &data.evaluation_interval, DEFAULT_INTERVAL.ms, check_interval)?;
        let timeout_ms = duration(JsonKey::Timeout, &data.timeout, DEFAULT_TIMEOUT.ms, check_timeout)?;
        let queue_window_ms =
            duration(JsonKey::QueueWindow, &data.queue_window, DEFAULT_QUEUE_WINDOW.ms, check_queue_window)?;
        let settle_ms = duration(JsonKey::SettleTime, &data.settle_time, DEFAULT_SETTLE.ms, check_settle)?;
        let alertmanager_url = match trimmed(&data.alertmanager_url) {
            None => None,
            Some(u) => Some(validate_url(u).map_err(|e| FieldError::new(JsonKey::AlertmanagerUrl.field(), e.message))?),
        };
        let auth = auth(data, secure)?;
        let pipeline = pipeline(data.pipeline.as_ref())?;

        let rules = rules_config(data, &prometheus_url, &pipeline)?;
        Ok(Settings {
            prometheus_url,
            tenant,
            auth,
            interval_ms,
            timeout_ms,
            queue_window_ms,
            settle_ms,
            alertmanager_url,
            rules,
            pipeline,
        })
    }
}

/// The rules settings: the choice, `rulesYaml`, the ruler's URL and group patterns, `stageOf`.
/// Only what a ruler would reject itself (bad YAML, PromQL, durations) or what names nothing (a
/// `stageOf` stage the pipeline lacks, a pattern that does not compile) is an error here.
fn rules_config(data: &AppJsonData, prometheus_url: &str, pipeline: &PipelineSpec) -> Result<RulesConfig, FieldError> {
    let choice_text = trimmed(&data.rules_source).unwrap_or("");
    let choice = RulesChoice::parse(choice_text).ok_or_else(|| {
        let words: Vec<&str> = RulesChoice::ALL.iter().map(|c| c.as_str()).collect();
        FieldError::new(
            JsonKey::RulesSource.field(),
            format!("must be one of {} (got {choice_text:?})", words.join(", ")),
        )
    })?;
    let stage_of = stage_of(data.stage_of.as_ref(), pipeline)?;
    let yaml = match trimmed(&data.rules_yaml) {
        None if choice == RulesChoice::Yaml => {
            return Err(FieldError::new(
                JsonKey::RulesYaml.field(),
                format!("is required when {} is yaml", JsonKey::RulesSource.field()),
            ))
        }
        None => None,
        Some(_) => {
            let mut set = RuleSet::parse(data.rules_yaml.as_deref().unwrap_or_default())
                .map_err(|e| FieldError::new(JsonKey::RulesYaml.field(), e.to_string()))?;
            stage::assign(&mut set, pipeline, &stage_of);
            Some(set)
        }
    };
    let mut builtin = defaults::rules();
    stage::assign(&mut builtin, pipeline, &stage_of);
    let ruler_url = match trimmed(&data.ruler_url) {
        None => prometheus_url.to_string(),
        Some(u) => validate_url(u).map_err(|e| FieldError::new(JsonKey::RulerUrl.field(), e.message))?,
    };
    let pattern = |key: JsonKey, value: Option<&str>| -> Result<(), FieldError> {
        match value {
            Some(v) if v.len() > MAX_PATTERN_BYTES => Err(FieldError::new(
                key.field(),
                format!("{} bytes, more than the {} KiB allowed", v.len(), MAX_PATTERN_BYTES >> 10),
            )),
            _ => Ok(()),
        }
    };
    let groups = trimmed(&data.rule_groups).unwrap_or(DEFAULT_RULE_GROUPS);
    let files = trimmed(&data.rule_files);
    pattern(JsonKey::RuleGroups, Some(groups))?;
    pattern(JsonKey::RuleFiles, files)?;
    let ruler = RulerConfig::new(ruler_url, groups, files).map_err(|(is_groups, e)| {
        let key = if is_groups { JsonKey::RuleGroups } else { JsonKey::RuleFiles };
        FieldError::new(key.field(), format!("is not a regular expression: {e}"))
    })?;
    Ok(RulesConfig { choice, yaml, builtin, ruler, stage_of })
}

/// `stageOf` from an object or its JSON text: alert names to stage ids the pipeline has.
fn stage_of(value: Option<&Value>, pipeline: &PipelineSpec) -> Result<BTreeMap<String, String>, FieldError> {
    let field = JsonKey::StageOf.field();
    let parsed: Value = match value {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(BTreeMap::new()),
        Some(Value::String(s)) if s.len() > MAX_PIPELINE_BYTES => {
            return Err(FieldError::new(
                field,
                format!("{} bytes, more than the {} KiB allowed", s.len(), MAX_PIPELINE_BYTES >> 10),
            ))
        }
        Some(Value::String(s)) => {
            serde_json::from_str(s).map_err(|e| FieldError::new(&field, format!("is not JSON: {e}")))?
        }
        Some(v) => v.clone(),
    };
    let Value::Object(map) = parsed else {
        return Err(FieldError::new(
            field,
            "must be an object of alert name to stage id, e.g. {\"DiskFull\": \"jangar\"}",
        ));
    };
    if map.len() > MAX_RULES {
        return Err(FieldError::new(field, format!("{} entries, more than the {MAX_RULES} allowed", map.len())));
    }
    let ids: Vec<&str> = pipeline.stages.iter().map(|s| s.id.as_str()).collect();
    let mut out = BTreeMap::new();
    for (alert, stage) in map {
        let at = join_path(&field, &alert);
        let Value::String(stage) = stage else { return Err(FieldError::new(at, "must be a stage id (text)")) };
        if !ids.contains(&stage.as_str()) {
            return Err(FieldError::new(
                at,
                format!("names stage {stage:?}, which the pipeline does not have (stages: {})", ids.join(", ")),
            ));
        }
        out.insert(alert, stage);
    }
    Ok(out)
}

/// A Prometheus duration within `check`'s bounds, or `default` when the field is blank.
fn duration(
    key: JsonKey,
    value: &Option<String>,
    default: i64,
    check: fn(&str, i64) -> Result<i64, FieldError>,
) -> Result<i64, FieldError> {
    let field = key.field();
    match trimmed(value) {
        None => Ok(default),
        Some(s) => check(&field, parse_duration(s).map_err(|e| FieldError::new(&field, e.to_string()))?),
    }
}

fn auth(data: &AppJsonData, secure: &HashMap<String, String>) -> Result<Auth, FieldError> {
    let secret = |key: SecretKey| secure.get(key.as_str()).filter(|s| !s.is_empty()).cloned();
    let user = trimmed(&data.basic_auth_user).map(str::to_string);
    match (secret(SecretKey::BearerToken), user, secret(SecretKey::BasicAuthPassword)) {
        (Some(_), Some(_), _) => {
            Err(FieldError::new(SecretKey::BearerToken.field(), "set either a bearer token or basic auth, not both"))
        }
        (Some(token), None, _) => Ok(Auth::Bearer(token)),
        (None, Some(user), Some(password)) => Ok(Auth::Basic { user, password }),
        (None, Some(_), None) => Err(FieldError::new(
            SecretKey::BasicAuthPassword.field(),
            format!("is required when {} is set", JsonKey::BasicAuthUser.field()),
        )),
        (None, None, _) => Ok(Auth::None),
    }
}

/// The pipeline from JSON text (the config page) or an object (provisioning); blank is the default.
fn pipeline(value: Option<&Value>) -> Result<PipelineSpec, FieldError> {
    let field = JsonKey::Pipeline.field();
    let spec: PipelineSpec = match value {
        None | Some(Value::Null) => defaults::pipeline(),
        Some(Value::String(s)) if s.trim().is_empty() => defaults::pipeline(),
        Some(Value::String(s)) if s.len() > MAX_PIPELINE_BYTES => {
            return Err(FieldError::new(
                field,
                format!("the pipeline is {} bytes, more than the {} KiB allowed", s.len(), MAX_PIPELINE_BYTES >> 10),
            ))
        }
        Some(Value::String(s)) => {
            let mut de = serde_json::Deserializer::from_str(s);
            serde_path_to_error::deserialize(&mut de).map_err(|e| path_error(&field, &e))?
        }
        Some(v @ Value::Object(_)) => serde_path_to_error::deserialize(v).map_err(|e| path_error(&field, &e))?,
        Some(_) => return Err(FieldError::new(field, "must be JSON text or an object with `stages` and `edges`")),
    };
    spec.validate().map_err(|e| e.under(&field))?;
    crate::promql::check_pipeline_queries(&spec).map_err(|e| e.under(&field))?;
    Ok(spec)
}

/// A deserialization error at its path under `prefix` (`jsonData` + `tenant`); serde's own
/// message says what was wrong there.
/// A missing field is reported by serde at the object that lacks it; the field is named in serde's
/// message (`missing field `from``), so it is appended to the path.
pub fn path_error<E: fmt::Display>(prefix: &str, e: &serde_path_to_error::Error<E>) -> FieldError {
    use serde_path_to_error::Segment;
    let mut path = prefix.to_string();
    for segment in e.path().iter() {
        match segment {
            Segment::Map { key } => path = join_path(&path, key),
            Segment::Seq { index } => path = join_path(&path, &format!("[{index}]")),
            Segment::Enum { variant } => path = join_path(&path, variant),
            // Where the input ended too early: the error is at the last known place.
            Segment::Unknown => break,
        }
    }
    let message = e.inner().to_string();
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next()).unwrap_or("");
    FieldError::new(join_path(&path, missing), message)
}

/// Accepts `http(s)://host[:port][/path]`; drops a trailing slash.
fn validate_url(url: &str) -> Result<String, FieldError> {
    let bad = |m: &str| FieldError::new(JsonKey::PrometheusUrl.field(), format!("{m} (got {url:?})"));
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

    fn parse(json: Value) -> Result<Settings, FieldError> {
        Settings::from_grafana(&json, &HashMap::new())
    }

    #[test]
    fn minimal_settings_use_the_defaults() {
        let s = parse(json!({"prometheusUrl": "http://127.0.0.1:9090/"})).unwrap();
        assert_eq!(s.prometheus_url, "http://127.0.0.1:9090");
        assert_eq!(s.interval_ms, 60_000);
        assert_eq!(s.timeout_ms, 10_000);
        assert_eq!(s.rules.builtin.rules.len(), 4);
        assert_eq!((s.rules.choice, s.rules.yaml.is_none()), (RulesChoice::Auto, true));
        assert_eq!(s.rules.ruler.url, s.prometheus_url);
        assert_eq!(s.rules.ruler.groups_text, DEFAULT_RULE_GROUPS);
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
            (json!({"prometheusUrl": ["http://h"]}), "jsonData.prometheusUrl"),
            (json!({"prometheusUrl": "http://h", "tenant": {"id": 1}}), "jsonData.tenant"),
            (json!({"prometheusUrl": "http://h", "evaluationInterval": "5 minutes"}), "jsonData.evaluationInterval"),
            (json!({"prometheusUrl": "http://h", "evaluationInterval": "10ms"}), "jsonData.evaluationInterval"),
            (json!({"prometheusUrl": "http://h", "queueWindow": "2h"}), "jsonData.queueWindow"),
            (json!({"prometheusUrl": "http://h", "alertmanagerUrl": "alertmanager:9093"}), "jsonData.alertmanagerUrl"),
            (json!({"prometheusUrl": "http://h", "queueWindow": "soon"}), "jsonData.queueWindow"),
            (json!({"prometheusUrl": "http://h", "settleTime": "2d"}), "jsonData.settleTime"),
            (json!({"prometheusUrl": "http://h", "settleTime": "-1m"}), "jsonData.settleTime"),
            (json!({"prometheusUrl": "http://h", "timeout": "x"}), "jsonData.timeout"),
            (json!({"prometheusUrl": "http://h", "timeout": "1h"}), "jsonData.timeout"),
            (json!({"prometheusUrl": "http://h", "evaluationInterval": "150000000y"}), "jsonData.evaluationInterval"),
            (json!({"prometheusUrl": "http://h", "rulesYaml": "groups: [ {"}), "jsonData.rulesYaml"),
            (json!({"prometheusUrl": "http://h", "pipeline": "{"}), "jsonData.pipeline"),
            (json!({"prometheusUrl": "http://h", "pipeline": 5}), "jsonData.pipeline"),
            (json!({"prometheusUrl": "http://h", "pipeline": {"stages": []}}), "jsonData.pipeline.stages"),
            (
                json!({"prometheusUrl": "http://h", "pipeline": {"stages": [{"id": "a", "name": 3}]}}),
                "jsonData.pipeline.stages[0].name",
            ),
            (json!({"prometheusUrl": "http://h", "basicAuthUser": "me"}), "secureJsonData.basicAuthPassword"),
            (json!({"prometheusUrl": "http://h", "rulesSource": "mimir"}), "jsonData.rulesSource"),
            (json!({"prometheusUrl": "http://h", "rulesSource": "yaml"}), "jsonData.rulesYaml"),
            (json!({"prometheusUrl": "http://h", "rulerUrl": "vmalert:8880"}), "jsonData.rulerUrl"),
            (json!({"prometheusUrl": "http://h", "ruleGroups": "codex("}), "jsonData.ruleGroups"),
            (
                json!({"prometheusUrl": "http://h", "ruleFiles": "x".repeat(MAX_PATTERN_BYTES + 1)}),
                "jsonData.ruleFiles",
            ),
            (json!({"prometheusUrl": "http://h", "stageOf": "[1]"}), "jsonData.stageOf"),
            (json!({"prometheusUrl": "http://h", "stageOf": {"DiskFull": "db"}}), "jsonData.stageOf.DiskFull"),
            (json!({"prometheusUrl": "http://h", "stageOf": {"DiskFull": 3}}), "jsonData.stageOf.DiskFull"),
            (json!([1]), "jsonData"),
        ];
        for (json, field) in cases {
            let err = parse(json.clone()).expect_err(&format!("{json} should fail"));
            assert_eq!(err.field, field, "{json}: {err}");
        }
    }

    #[test]
    fn a_numeric_tenant_from_yaml_is_its_text() {
        let s = parse(json!({"prometheusUrl": "http://h", "tenant": 42})).unwrap();
        assert_eq!(s.tenant.as_deref(), Some("42"));
    }

    #[test]
    fn auth_comes_from_secure_json_data_and_never_prints() {
        let secure: HashMap<_, _> = [(SecretKey::BearerToken.as_str().to_string(), "s3cret".to_string())].into();
        let s = Settings::from_grafana(&json!({"prometheusUrl": "https://m/prometheus"}), &secure).unwrap();
        assert_eq!(s.auth, Auth::Bearer("s3cret".into()));
        assert!(!format!("{s:?}").contains("s3cret"));

        let secure: HashMap<_, _> = [(SecretKey::BasicAuthPassword.as_str().to_string(), "pw".to_string())].into();
        let s = Settings::from_grafana(
            &json!({"prometheusUrl": "https://m", "basicAuthUser": "me", "tenant": "team-a"}),
            &secure,
        )
        .unwrap();
        assert_eq!(s.auth, Auth::Basic { user: "me".into(), password: "pw".into() });
        assert_eq!(s.auth.kind(), AuthKind::Basic);
        assert_eq!(s.tenant.as_deref(), Some("team-a"));
        assert!(!format!("{s:?}").contains("\"pw\""));
    }

    #[test]
    fn a_rule_no_stage_claims_is_kept_unassigned_not_refused() {
        let yaml = "groups:\n- name: g\n  rules:\n  - alert: Other\n    expr: up == 0\n    labels: {stage: db}\n  - alert: DiskFull\n    expr: node_filesystem_avail_bytes < 1\n";
        let s = parse(json!({"prometheusUrl": "http://h", "rulesYaml": yaml, "stageOf": "{\"DiskFull\": \"jangar\"}"}))
            .unwrap();
        let set = s.rules.yaml.unwrap();
        assert_eq!(set.rules[0].stage, None);
        assert!(
            set.rules[0].stage_why.contains("\"db\", which the pipeline does not have"),
            "{}",
            set.rules[0].stage_why
        );
        assert_eq!(set.rules[1].stage.as_deref(), Some("jangar"));
    }

    #[test]
    fn the_ruler_settings() {
        let s = parse(json!({"prometheusUrl": "http://h", "rulesSource": "ruler", "rulerUrl": "http://vmalert:8880/", "ruleGroups": "codex|team", "ruleFiles": "/etc/.*"})).unwrap();
        assert_eq!(s.rules.choice, RulesChoice::Ruler);
        assert_eq!(s.rules.ruler.url, "http://vmalert:8880");
        assert_eq!(s.rules.ruler.literal_groups(), ["codex", "team"]);
        assert!(s.rules.ruler.files.as_ref().unwrap().is_match("/etc/rules.yml"));
    }
}
