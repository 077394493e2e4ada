//! The config page's form as plain data: built from Grafana's plugin settings, checked locally for
//! the mistakes that need no server, and turned into the backend's check request and Grafana's
//! settings update.
//!
//! Secrets follow Grafana's rules: the page only learns *whether* a secret is stored
//! (`secureJsonFields`), never its value. A stored secret is left alone unless the admin resets it
//! or switches to an authentication that does not use it; then an empty value clears it on save.

use std::collections::BTreeMap;

use codexflow_core::api::SettingsCheckRequest;
use codexflow_core::duration::parse_duration;
use codexflow_core::limits::{check_interval, check_queue_window, check_settle, check_timeout};
use codexflow_core::pipeline::PipelineSpec;
pub use codexflow_core::settings::AuthKind;
pub use codexflow_core::settings::RulesChoice;
use codexflow_core::settings::{AppJsonData, JsonKey, SecretKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The runbook's rules, offered as a starting point for custom rules.
pub const DEFAULT_RULES: &str = include_str!("../../../provisioning/rules/codex-pipeline-observability.rules.yaml");
/// The Codex pipeline, offered as a starting point for a custom pipeline.
pub const DEFAULT_PIPELINE: &str = include_str!("../../../backend/defaults/pipeline.json");

/// What Grafana hands an app's config page about its settings (`AppPluginMeta`), and what the page
/// hands back after a save so Grafana's copy is not stale when the page is shown again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PluginMeta {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub json_data: Option<Value>,
    #[serde(default)]
    pub secure_json_fields: Option<BTreeMap<String, bool>>,
}

/// Grafana's `POST /api/plugins/<id>/settings` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsUpdate {
    pub enabled: bool,
    pub pinned: bool,
    pub json_data: Value,
    pub secure_json_data: BTreeMap<String, String>,
}

/// One secret as the form holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Secret {
    /// Grafana has a non-empty value stored.
    pub configured: bool,
    /// The admin pressed Reset: the stored value goes on save.
    pub reset: bool,
    /// What the admin typed (only sent when non-empty).
    pub value: String,
}

impl Secret {
    /// Whether the form shows "configured" instead of an input.
    pub fn shows_configured(&self) -> bool {
        self.configured && !self.reset
    }

    /// What to send: `Some("")` clears, `Some(v)` sets, `None` keeps the stored value.
    fn outgoing(&self, used: bool) -> Option<String> {
        if !used {
            return self.configured.then(String::new);
        }
        if !self.value.is_empty() {
            Some(self.value.clone())
        } else if self.configured && self.reset {
            Some(String::new())
        } else {
            None
        }
    }
}

/// A form field, for placing an error next to the input it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The input of a `jsonData` key.
    Json(JsonKey),
    /// The input of a secret.
    Secret(SecretKey),
    /// Not tied to one input.
    Form,
}

impl Field {
    pub const PROMETHEUS_URL: Field = Field::Json(JsonKey::PrometheusUrl);
    pub const TENANT: Field = Field::Json(JsonKey::Tenant);
    pub const TIMEOUT: Field = Field::Json(JsonKey::Timeout);
    pub const EVALUATION_INTERVAL: Field = Field::Json(JsonKey::EvaluationInterval);
    pub const QUEUE_WINDOW: Field = Field::Json(JsonKey::QueueWindow);
    pub const SETTLE_TIME: Field = Field::Json(JsonKey::SettleTime);
    pub const BASIC_AUTH_USER: Field = Field::Json(JsonKey::BasicAuthUser);
    pub const RULES_YAML: Field = Field::Json(JsonKey::RulesYaml);
    pub const PIPELINE: Field = Field::Json(JsonKey::Pipeline);
    pub const RULES_SOURCE: Field = Field::Json(JsonKey::RulesSource);
    pub const RULER_URL: Field = Field::Json(JsonKey::RulerUrl);
    pub const ALERTMANAGER_URL: Field = Field::Json(JsonKey::AlertmanagerUrl);
    pub const RULE_GROUPS: Field = Field::Json(JsonKey::RuleGroups);
    pub const RULE_FILES: Field = Field::Json(JsonKey::RuleFiles);
    pub const STAGE_OF: Field = Field::Json(JsonKey::StageOf);
    pub const BEARER_TOKEN: Field = Field::Secret(SecretKey::BearerToken);
    pub const BASIC_AUTH_PASSWORD: Field = Field::Secret(SecretKey::BasicAuthPassword);

    /// The input's element id (also used in test selectors).
    pub fn id(self) -> &'static str {
        match self {
            Field::Json(JsonKey::PrometheusUrl) => "cfc-prometheus-url",
            Field::Json(JsonKey::Tenant) => "cfc-tenant",
            Field::Json(JsonKey::Timeout) => "cfc-timeout",
            Field::Json(JsonKey::EvaluationInterval) => "cfc-interval",
            Field::Json(JsonKey::QueueWindow) => "cfc-queue-window",
            Field::Json(JsonKey::SettleTime) => "cfc-settle-time",
            Field::Json(JsonKey::BasicAuthUser) => "cfc-basic-user",
            Field::Json(JsonKey::RulesYaml) => "cfc-rules",
            Field::Json(JsonKey::Pipeline) => "cfc-pipeline",
            Field::Json(JsonKey::RulesSource) => "cfc-rules-source",
            Field::Json(JsonKey::RulerUrl) => "cfc-ruler-url",
            Field::Json(JsonKey::AlertmanagerUrl) => "cfc-alertmanager-url",
            Field::Json(JsonKey::RuleGroups) => "cfc-rule-groups",
            Field::Json(JsonKey::RuleFiles) => "cfc-rule-files",
            Field::Json(JsonKey::StageOf) => "cfc-stage-of",
            Field::Secret(SecretKey::BearerToken) => "cfc-bearer-token",
            Field::Secret(SecretKey::BasicAuthPassword) => "cfc-basic-password",
            Field::Form => "cfc-form",
        }
    }

    /// The field a backend error path (`jsonData.pipeline.stages[1].id`) is about.
    pub fn from_path(path: &str) -> Field {
        let mut parts = path.split(['.', '[']);
        let (root, key) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        match root {
            "jsonData" => JsonKey::parse(key).map_or(Field::Form, Field::Json),
            "secureJsonData" => SecretKey::parse(key).map_or(Field::Form, Field::Secret),
            _ => Field::Form,
        }
    }
}

/// The config form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigForm {
    pub enabled: bool,
    pub pinned: bool,
    pub prometheus_url: String,
    pub tenant: String,
    pub timeout: String,
    pub evaluation_interval: String,
    pub queue_window: String,
    pub settle_time: String,
    pub auth: AuthKind,
    pub basic_user: String,
    pub bearer_token: Secret,
    pub basic_password: Secret,
    pub rules_yaml: String,
    pub pipeline: String,
    pub rules_source: RulesChoice,
    pub ruler_url: String,
    pub alertmanager_url: String,
    pub rule_groups: String,
    pub rule_files: String,
    /// `stageOf` as JSON text.
    pub stage_of: String,
    /// jsonData keys this form does not edit, kept as they were.
    others: Map<String, Value>,
    /// Why the stored jsonData could not be read into the form, if it could not.
    pub load_problem: Option<String>,
}

/// A duration check of `core::limits` (the bounds the backend checks too).
type Bounds = fn(&str, i64) -> Result<i64, codexflow_core::error::FieldError>;

fn trimmed(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl ConfigForm {
    pub fn from_meta(meta: &PluginMeta) -> ConfigForm {
        let json = match &meta.json_data {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let (data, load_problem) = match serde_json::from_value::<AppJsonData>(Value::Object(json.clone())) {
            Ok(d) => (d, None),
            Err(e) => (
                AppJsonData::default(),
                Some(format!("The stored settings could not be read ({e}); saving replaces them.")),
            ),
        };
        let stored = |key: SecretKey| {
            meta.secure_json_fields.as_ref().is_some_and(|f| f.get(key.as_str()).copied().unwrap_or(false))
        };
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let basic_user = text(&data.basic_auth_user);
        let auth = if !basic_user.is_empty() {
            AuthKind::Basic
        } else if stored(SecretKey::BearerToken) {
            AuthKind::Bearer
        } else {
            AuthKind::None
        };
        let json_text = |v: &Option<Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(v @ Value::Object(_)) => serde_json::to_string_pretty(v).unwrap_or_default(),
            _ => String::new(),
        };
        let (pipeline, stage_of) = (json_text(&data.pipeline), json_text(&data.stage_of));
        let mut others = json;
        others.retain(|k, _| JsonKey::parse(k).is_none());
        ConfigForm {
            enabled: meta.enabled,
            pinned: meta.pinned,
            prometheus_url: text(&data.prometheus_url),
            tenant: text(&data.tenant),
            timeout: text(&data.timeout),
            evaluation_interval: text(&data.evaluation_interval),
            queue_window: text(&data.queue_window),
            settle_time: text(&data.settle_time),
            auth,
            basic_user,
            bearer_token: Secret { configured: stored(SecretKey::BearerToken), ..Secret::default() },
            basic_password: Secret { configured: stored(SecretKey::BasicAuthPassword), ..Secret::default() },
            rules_yaml: text(&data.rules_yaml),
            pipeline,
            rules_source: data.rules_source.as_deref().and_then(RulesChoice::parse).unwrap_or_default(),
            ruler_url: text(&data.ruler_url),
            alertmanager_url: text(&data.alertmanager_url),
            rule_groups: text(&data.rule_groups),
            rule_files: text(&data.rule_files),
            stage_of,
            others,
            load_problem,
        }
    }

    pub fn secret(&self, key: SecretKey) -> &Secret {
        match key {
            SecretKey::BearerToken => &self.bearer_token,
            SecretKey::BasicAuthPassword => &self.basic_password,
        }
    }

    fn secret_mut(&mut self, key: SecretKey) -> &mut Secret {
        match key {
            SecretKey::BearerToken => &mut self.bearer_token,
            SecretKey::BasicAuthPassword => &mut self.basic_password,
        }
    }

    /// The typed `jsonData` the backend reads; empty fields are left out (their defaults apply).
    pub fn json_data(&self) -> AppJsonData {
        AppJsonData {
            prometheus_url: trimmed(&self.prometheus_url),
            tenant: trimmed(&self.tenant),
            evaluation_interval: trimmed(&self.evaluation_interval),
            timeout: trimmed(&self.timeout),
            queue_window: trimmed(&self.queue_window),
            settle_time: trimmed(&self.settle_time),
            rules_yaml: trimmed(&self.rules_yaml).map(|_| self.rules_yaml.clone()),
            pipeline: trimmed(&self.pipeline).map(|_| Value::String(self.pipeline.clone())),
            basic_auth_user: if self.auth == AuthKind::Basic { trimmed(&self.basic_user) } else { None },
            rules_source: (self.rules_source != RulesChoice::Auto).then(|| self.rules_source.as_str().to_string()),
            ruler_url: trimmed(&self.ruler_url),
            alertmanager_url: trimmed(&self.alertmanager_url),
            rule_groups: trimmed(&self.rule_groups),
            rule_files: trimmed(&self.rule_files),
            stage_of: trimmed(&self.stage_of).map(|_| Value::String(self.stage_of.clone())),
        }
    }

    /// Secrets to send, by Grafana's merge rules.
    pub fn secure_json_data(&self) -> BTreeMap<String, String> {
        SecretKey::ALL
            .into_iter()
            .filter_map(|key| {
                self.secret(key).outgoing(self.auth.secret() == Some(key)).map(|v| (key.as_str().to_string(), v))
            })
            .collect()
    }

    pub fn check_request(&self) -> SettingsCheckRequest {
        SettingsCheckRequest { json_data: self.json_data(), secure_json_data: self.secure_json_data() }
    }

    /// Grafana's settings update; saving from the config page also enables the app.
    pub fn update(&self) -> SettingsUpdate {
        let mut json = self.others.clone();
        if let Ok(Value::Object(edited)) = serde_json::to_value(self.json_data()) {
            json.extend(edited);
        }
        SettingsUpdate {
            enabled: true,
            pinned: self.pinned || !self.enabled,
            json_data: Value::Object(json),
            secure_json_data: self.secure_json_data(),
        }
    }

    /// Mistakes found without asking the backend, each with its field. The bounds are `core`'s,
    /// the ones the backend checks too.
    pub fn local_errors(&self) -> Vec<(Field, String)> {
        let mut errors = Vec::new();
        let url = self.prometheus_url.trim();
        if url.is_empty() {
            errors.push((
                Field::PROMETHEUS_URL,
                "Required: the Prometheus or Mimir query URL, e.g. http://prometheus:9090".to_string(),
            ));
        } else if !(url.starts_with("http://") || url.starts_with("https://")) {
            errors.push((Field::PROMETHEUS_URL, "Must start with http:// or https://".to_string()));
        }
        let durations: [(Field, &String, Bounds); 4] = [
            (Field::TIMEOUT, &self.timeout, check_timeout),
            (Field::EVALUATION_INTERVAL, &self.evaluation_interval, check_interval),
            (Field::QUEUE_WINDOW, &self.queue_window, check_queue_window),
            (Field::SETTLE_TIME, &self.settle_time, check_settle),
        ];
        for (field, value, check) in durations {
            if let Some(v) = trimmed(value) {
                match parse_duration(&v) {
                    Ok(ms) => {
                        if let Err(e) = check("", ms) {
                            errors.push((field, format!("Must be {}", e.message.trim_start_matches("must be "))));
                        }
                    }
                    Err(e) => errors.push((field, format!("Not a Prometheus duration (like 30s, 1m, 1h30m): {e}"))),
                }
            }
        }
        if let Some(key) = self.auth.secret() {
            let secret = self.secret(key);
            if !secret.shows_configured() && secret.value.is_empty() {
                let message = if key == SecretKey::BearerToken {
                    "Enter the token, or choose another authentication"
                } else {
                    "Required for basic authentication"
                };
                errors.push((Field::Secret(key), message.to_string()));
            }
        }
        if self.auth == AuthKind::Basic && self.basic_user.trim().is_empty() {
            errors.push((Field::BASIC_AUTH_USER, "Required for basic authentication".to_string()));
        }
        for (field, url) in [(Field::RULER_URL, &self.ruler_url), (Field::ALERTMANAGER_URL, &self.alertmanager_url)] {
            let url = url.trim();
            if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
                errors.push((field, "Must start with http:// or https://".to_string()));
            }
        }
        if self.rules_source == RulesChoice::Yaml && trimmed(&self.rules_yaml).is_none() {
            errors.push((Field::RULES_YAML, "Required when the rules come from YAML".to_string()));
        }
        if trimmed(&self.stage_of).is_some() {
            match serde_json::from_str::<BTreeMap<String, String>>(&self.stage_of) {
                Err(e) => errors.push((
                    Field::STAGE_OF,
                    format!("Must be a JSON object of alert name to stage id, e.g. {{\"DiskFull\": \"jangar\"}}: {e}"),
                )),
                Ok(map) => {
                    let stages: Option<Vec<String>> =
                        serde_json::from_str::<PipelineSpec>(if self.pipeline.trim().is_empty() {
                            DEFAULT_PIPELINE
                        } else {
                            &self.pipeline
                        })
                        .ok()
                        .map(|p| p.stages.into_iter().map(|s| s.id).collect());
                    if let Some((alert, stage)) =
                        stages.as_ref().and_then(|ids| map.iter().find(|(_, s)| !ids.contains(s)))
                    {
                        errors.push((
                            Field::STAGE_OF,
                            format!("{alert} maps to \"{stage}\", which the pipeline does not have"),
                        ));
                    }
                }
            }
        }
        if trimmed(&self.pipeline).is_some() {
            match serde_json::from_str::<PipelineSpec>(&self.pipeline) {
                Err(e) => errors.push((Field::PIPELINE, format!("Invalid pipeline JSON: {e}"))),
                Ok(p) => {
                    if let Err(e) = p.validate() {
                        errors.push((Field::PIPELINE, e.to_string()));
                    }
                }
            }
        }
        errors
    }

    /// The settings meta as Grafana holds it once `update()` is saved (secrets only as flags).
    pub fn saved_meta(&self) -> PluginMeta {
        let mut after = self.clone();
        let update = self.update();
        after.saved();
        let fields = SecretKey::ALL
            .into_iter()
            .filter(|k| after.secret(*k).configured)
            .map(|k| (k.as_str().to_string(), true))
            .collect();
        PluginMeta {
            enabled: after.enabled,
            pinned: after.pinned,
            json_data: Some(update.json_data),
            secure_json_fields: Some(fields),
        }
    }

    /// After a successful save: typed secrets are now stored, reset ones are gone, and the app is enabled.
    pub fn saved(&mut self) {
        let used = self.auth.secret();
        for key in SecretKey::ALL {
            let secret = self.secret_mut(key);
            secret.configured = used == Some(key) && (!secret.value.is_empty() || (secret.configured && !secret.reset));
            secret.reset = false;
            secret.value.clear();
        }
        self.pinned = self.pinned || !self.enabled;
        self.enabled = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BEARER: &str = SecretKey::BearerToken.as_str();
    const PASSWORD: &str = SecretKey::BasicAuthPassword.as_str();

    fn meta(json_data: Value, secure: &[&str]) -> PluginMeta {
        PluginMeta {
            enabled: true,
            pinned: true,
            json_data: Some(json_data),
            secure_json_fields: Some(secure.iter().map(|k| (k.to_string(), true)).collect()),
        }
    }

    #[test]
    fn reads_grafana_settings_and_keeps_unknown_keys() {
        let form = ConfigForm::from_meta(&meta(
            json!({"prometheusUrl": "http://p:9090", "timeout": "5s", "pipeline": {"stages": []}, "future": 1}),
            &[],
        ));
        assert_eq!(form.prometheus_url, "http://p:9090");
        assert!(form.pipeline.contains("\"stages\""), "an object pipeline is edited as JSON text");
        let update = form.update();
        assert_eq!(update.json_data["future"], 1);
        assert_eq!(update.json_data["timeout"], "5s");
        assert!(update.json_data.get("tenant").is_none(), "empty fields are left out");
        assert!(update.enabled);
    }

    #[test]
    fn a_stored_secret_is_never_sent_back_unless_reset_or_replaced() {
        let mut form = ConfigForm::from_meta(&meta(json!({"prometheusUrl": "http://p"}), &[BEARER]));
        assert_eq!(form.auth, AuthKind::Bearer);
        assert!(form.bearer_token.shows_configured());
        assert!(form.secure_json_data().is_empty(), "untouched: nothing sent, Grafana keeps it");
        assert!(form.local_errors().is_empty());

        form.bearer_token.reset = true;
        assert_eq!(form.secure_json_data().get(BEARER).map(String::as_str), Some(""), "reset clears it");
        assert_eq!(form.local_errors()[0].0, Field::BEARER_TOKEN, "reset without a new token");

        form.bearer_token.value = "new".into();
        assert_eq!(form.secure_json_data().get(BEARER).map(String::as_str), Some("new"));
        let meta = form.saved_meta();
        assert_eq!(meta.secure_json_fields.as_ref().and_then(|f| f.get(BEARER)), Some(&true));
        assert!(!serde_json::to_string(&meta).unwrap().contains("new"), "the meta never carries a secret");
        form.saved();
        assert!(form.bearer_token.shows_configured() && form.bearer_token.value.is_empty());
        assert_eq!(ConfigForm::from_meta(&meta), form, "the saved meta reads back as the saved form");
    }

    #[test]
    fn switching_authentication_clears_the_secret_no_longer_used() {
        let mut form = ConfigForm::from_meta(&meta(json!({"prometheusUrl": "http://p"}), &[BEARER]));
        form.auth = AuthKind::Basic;
        form.basic_user = "me".into();
        form.basic_password.value = "pw".into();
        let secrets = form.secure_json_data();
        assert_eq!(secrets.get(BEARER).map(String::as_str), Some(""));
        assert_eq!(secrets.get(PASSWORD).map(String::as_str), Some("pw"));
        assert_eq!(form.json_data().basic_auth_user.as_deref(), Some("me"));
        form.saved();
        assert!(!form.bearer_token.configured && form.basic_password.configured);

        form.auth = AuthKind::None;
        assert_eq!(form.json_data().basic_auth_user, None);
        assert_eq!(form.secure_json_data().get(PASSWORD).map(String::as_str), Some(""));
    }

    #[test]
    fn local_checks_name_their_field() {
        let mut form = ConfigForm::from_meta(&meta(json!({}), &[]));
        form.timeout = "ten seconds".into();
        form.evaluation_interval = "500ms".into();
        form.pipeline = "{ not json".into();
        let fields: Vec<Field> = form.local_errors().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [Field::PROMETHEUS_URL, Field::TIMEOUT, Field::EVALUATION_INTERVAL, Field::PIPELINE]);
        form.prometheus_url = "http://p".into();
        form.timeout = "10s".into();
        form.evaluation_interval = "15s".into();
        form.pipeline = DEFAULT_PIPELINE.into();
        assert!(form.local_errors().is_empty(), "{:?}", form.local_errors());
    }

    #[test]
    fn the_rules_source_settings_round_trip_and_are_checked() {
        let stored = json!({"prometheusUrl": "http://p", "rulesSource": "ruler", "rulerUrl": "http://vmalert:8880", "ruleGroups": "codex|team", "stageOf": {"DiskFull": "jangar"}});
        let mut form = ConfigForm::from_meta(&meta(stored, &[]));
        assert_eq!(
            (form.rules_source, form.ruler_url.as_str(), form.rule_groups.as_str()),
            (RulesChoice::Ruler, "http://vmalert:8880", "codex|team")
        );
        assert!(form.stage_of.contains("\"DiskFull\": \"jangar\""), "{}", form.stage_of);
        let update = form.update();
        assert_eq!(update.json_data["rulesSource"], "ruler");
        assert_eq!(update.json_data["ruleGroups"], "codex|team");
        assert!(update.json_data.get("ruleFiles").is_none());
        assert!(form.local_errors().is_empty(), "{:?}", form.local_errors());
        form.rules_source = RulesChoice::Auto;
        assert!(form.update().json_data.get("rulesSource").is_none(), "auto is the default: left out");

        form.rules_source = RulesChoice::Yaml;
        form.ruler_url = "vmalert:8880".into();
        form.stage_of = "{\"DiskFull\": \"db\"}".into();
        let fields: Vec<Field> = form.local_errors().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [Field::RULER_URL, Field::RULES_YAML, Field::STAGE_OF]);
        form.stage_of = "[1]".into();
        assert_eq!(form.local_errors()[2].0, Field::STAGE_OF);
    }

    #[test]
    fn backend_error_paths_map_to_inputs() {
        assert_eq!(Field::from_path("jsonData.stageOf.DiskFull"), Field::STAGE_OF);
        assert_eq!(Field::from_path("jsonData.ruleGroups"), Field::RULE_GROUPS);
        assert_eq!(Field::from_path("jsonData.rulesYaml"), Field::RULES_YAML);
        assert_eq!(Field::from_path("jsonData.pipeline.stages[1].id"), Field::PIPELINE);
        assert_eq!(Field::from_path("secureJsonData.bearerToken"), Field::BEARER_TOKEN);
        assert_eq!(Field::from_path("appInstanceSettings"), Field::Form);
    }

    #[test]
    fn enabling_a_disabled_app_pins_it() {
        let mut m = meta(json!({"prometheusUrl": "http://p"}), &[]);
        m.enabled = false;
        m.pinned = false;
        let mut form = ConfigForm::from_meta(&m);
        let update = form.update();
        assert!(update.enabled && update.pinned);
        form.saved();
        assert!(form.enabled);
    }
}
