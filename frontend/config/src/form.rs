//! The config page's form as plain data: built from Grafana's plugin settings, checked locally for
//! the mistakes that need no server, and turned into the backend's check request and Grafana's
//! settings update.
//!
//! Secrets follow Grafana's rules: the page only learns *whether* a secret is stored
//! (`secureJsonFields`), never its value. A stored secret is left alone unless the admin resets it
//! or switches to an authentication that does not use it; then an empty value clears it on save.

use std::collections::BTreeMap;

use codexflow_core::api::{AppJsonData, SettingsCheckRequest};
use codexflow_core::duration::parse_duration;
use codexflow_core::pipeline::PipelineSpec;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthKind {
    #[default]
    None,
    Bearer,
    Basic,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::None => "none",
            AuthKind::Bearer => "bearer",
            AuthKind::Basic => "basic",
        }
    }

    pub fn parse(s: &str) -> AuthKind {
        match s {
            "bearer" => AuthKind::Bearer,
            "basic" => AuthKind::Basic,
            _ => AuthKind::None,
        }
    }
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
    PrometheusUrl,
    Tenant,
    Timeout,
    EvaluationInterval,
    BearerToken,
    BasicAuthUser,
    BasicAuthPassword,
    RulesYaml,
    Pipeline,
    /// Not tied to one input.
    Form,
}

impl Field {
    /// The input's element id (also used in test selectors).
    pub fn id(self) -> &'static str {
        match self {
            Field::PrometheusUrl => "cfc-prometheus-url",
            Field::Tenant => "cfc-tenant",
            Field::Timeout => "cfc-timeout",
            Field::EvaluationInterval => "cfc-interval",
            Field::BearerToken => "cfc-bearer-token",
            Field::BasicAuthUser => "cfc-basic-user",
            Field::BasicAuthPassword => "cfc-basic-password",
            Field::RulesYaml => "cfc-rules",
            Field::Pipeline => "cfc-pipeline",
            Field::Form => "cfc-form",
        }
    }

    /// The field a backend error path (`jsonData.pipeline.stages[1].id`) is about.
    pub fn from_path(path: &str) -> Field {
        let key = path.split(['.', '[']).nth(1).unwrap_or("");
        match key {
            "prometheusUrl" => Field::PrometheusUrl,
            "tenant" => Field::Tenant,
            "timeout" => Field::Timeout,
            "evaluationInterval" => Field::EvaluationInterval,
            "bearerToken" => Field::BearerToken,
            "basicAuthUser" => Field::BasicAuthUser,
            "basicAuthPassword" => Field::BasicAuthPassword,
            "rulesYaml" => Field::RulesYaml,
            "pipeline" => Field::Pipeline,
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
    pub auth: AuthKind,
    pub basic_user: String,
    pub bearer_token: Secret,
    pub basic_password: Secret,
    pub rules_yaml: String,
    pub pipeline: String,
    /// jsonData keys this form does not edit, kept as they were.
    others: Map<String, Value>,
}

fn text(map: &Map<String, Value>, key: &str) -> String {
    match map.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn trimmed(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

const EDITED: [&str; 7] = ["prometheusUrl", "tenant", "timeout", "evaluationInterval", "basicAuthUser", "rulesYaml", "pipeline"];

impl ConfigForm {
    pub fn from_meta(meta: &PluginMeta) -> ConfigForm {
        let json = match &meta.json_data {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let stored = |key: &str| meta.secure_json_fields.as_ref().is_some_and(|f| f.get(key).copied().unwrap_or(false));
        let basic_user = text(&json, "basicAuthUser");
        let auth = if !basic_user.is_empty() {
            AuthKind::Basic
        } else if stored("bearerToken") {
            AuthKind::Bearer
        } else {
            AuthKind::None
        };
        let pipeline = match json.get("pipeline") {
            Some(Value::String(s)) => s.clone(),
            Some(v @ Value::Object(_)) => serde_json::to_string_pretty(v).unwrap_or_default(),
            _ => String::new(),
        };
        let mut others = json.clone();
        others.retain(|k, _| !EDITED.contains(&k.as_str()));
        ConfigForm {
            enabled: meta.enabled,
            pinned: meta.pinned,
            prometheus_url: text(&json, "prometheusUrl"),
            tenant: text(&json, "tenant"),
            timeout: text(&json, "timeout"),
            evaluation_interval: text(&json, "evaluationInterval"),
            auth,
            basic_user,
            bearer_token: Secret { configured: stored("bearerToken"), ..Secret::default() },
            basic_password: Secret { configured: stored("basicAuthPassword"), ..Secret::default() },
            rules_yaml: text(&json, "rulesYaml"),
            pipeline,
            others,
        }
    }

    /// The typed `jsonData` the backend reads; empty fields are left out (their defaults apply).
    pub fn json_data(&self) -> AppJsonData {
        AppJsonData {
            prometheus_url: trimmed(&self.prometheus_url),
            tenant: trimmed(&self.tenant),
            evaluation_interval: trimmed(&self.evaluation_interval),
            timeout: trimmed(&self.timeout),
            rules_yaml: trimmed(&self.rules_yaml).map(|_| self.rules_yaml.clone()),
            pipeline: trimmed(&self.pipeline).map(|_| self.pipeline.clone()),
            basic_auth_user: if self.auth == AuthKind::Basic { trimmed(&self.basic_user) } else { None },
        }
    }

    /// Secrets to send, by Grafana's merge rules.
    pub fn secure_json_data(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Some(v) = self.bearer_token.outgoing(self.auth == AuthKind::Bearer) {
            out.insert("bearerToken".to_string(), v);
        }
        if let Some(v) = self.basic_password.outgoing(self.auth == AuthKind::Basic) {
            out.insert("basicAuthPassword".to_string(), v);
        }
        out
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
        SettingsUpdate { enabled: true, pinned: self.pinned || !self.enabled, json_data: Value::Object(json), secure_json_data: self.secure_json_data() }
    }

    /// Mistakes found without asking the backend, each with its field.
    pub fn local_errors(&self) -> Vec<(Field, String)> {
        let mut errors = Vec::new();
        let url = self.prometheus_url.trim();
        if url.is_empty() {
            errors.push((Field::PrometheusUrl, "Required: the Prometheus or Mimir query URL, e.g. http://prometheus:9090".to_string()));
        } else if !(url.starts_with("http://") || url.starts_with("https://")) {
            errors.push((Field::PrometheusUrl, "Must start with http:// or https://".to_string()));
        }
        for (field, value) in [(Field::Timeout, &self.timeout), (Field::EvaluationInterval, &self.evaluation_interval)] {
            if let Some(v) = trimmed(value) {
                match parse_duration(&v) {
                    Ok(ms) if ms < 1_000 => errors.push((field, "Must be at least 1s".to_string())),
                    Ok(_) => {}
                    Err(e) => errors.push((field, format!("Not a Prometheus duration (like 30s, 1m, 1h30m): {e}"))),
                }
            }
        }
        match self.auth {
            AuthKind::Bearer if !self.bearer_token.shows_configured() && self.bearer_token.value.is_empty() => {
                errors.push((Field::BearerToken, "Enter the token, or choose another authentication".to_string()));
            }
            AuthKind::Basic => {
                if self.basic_user.trim().is_empty() {
                    errors.push((Field::BasicAuthUser, "Required for basic authentication".to_string()));
                }
                if !self.basic_password.shows_configured() && self.basic_password.value.is_empty() {
                    errors.push((Field::BasicAuthPassword, "Required for basic authentication".to_string()));
                }
            }
            _ => {}
        }
        if trimmed(&self.pipeline).is_some() {
            match serde_json::from_str::<PipelineSpec>(&self.pipeline) {
                Err(e) => errors.push((Field::Pipeline, format!("Invalid pipeline JSON: {e}"))),
                Ok(p) => {
                    if let Err(e) = p.validate() {
                        errors.push((Field::Pipeline, format!("{}: {}", e.field, e.message)));
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
        let fields = [("bearerToken", &after.bearer_token), ("basicAuthPassword", &after.basic_password)]
            .into_iter()
            .filter(|(_, s)| s.configured)
            .map(|(k, _)| (k.to_string(), true))
            .collect();
        PluginMeta { enabled: after.enabled, pinned: after.pinned, json_data: Some(update.json_data), secure_json_fields: Some(fields) }
    }

    /// After a successful save: typed secrets are now stored, reset ones are gone, and the app is enabled.
    pub fn saved(&mut self) {
        let (bearer_used, basic_used) = (self.auth == AuthKind::Bearer, self.auth == AuthKind::Basic);
        for (secret, used) in [(&mut self.bearer_token, bearer_used), (&mut self.basic_password, basic_used)] {
            secret.configured = used && (!secret.value.is_empty() || (secret.configured && !secret.reset));
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
        let form = ConfigForm::from_meta(&meta(json!({"prometheusUrl": "http://p:9090", "timeout": "5s", "pipeline": {"stages": []}, "future": 1}), &[]));
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
        let mut form = ConfigForm::from_meta(&meta(json!({"prometheusUrl": "http://p"}), &["bearerToken"]));
        assert_eq!(form.auth, AuthKind::Bearer);
        assert!(form.bearer_token.shows_configured());
        assert!(form.secure_json_data().is_empty(), "untouched: nothing sent, Grafana keeps it");
        assert!(form.local_errors().is_empty());

        form.bearer_token.reset = true;
        assert_eq!(form.secure_json_data().get("bearerToken").map(String::as_str), Some(""), "reset clears it");
        assert_eq!(form.local_errors()[0].0, Field::BearerToken, "reset without a new token");

        form.bearer_token.value = "new".into();
        assert_eq!(form.secure_json_data().get("bearerToken").map(String::as_str), Some("new"));
        let meta = form.saved_meta();
        assert_eq!(meta.secure_json_fields.as_ref().and_then(|f| f.get("bearerToken")), Some(&true));
        assert!(!serde_json::to_string(&meta).unwrap().contains("new"), "the meta never carries a secret");
        form.saved();
        assert!(form.bearer_token.shows_configured() && form.bearer_token.value.is_empty());
        assert_eq!(ConfigForm::from_meta(&meta), form, "the saved meta reads back as the saved form");
    }

    #[test]
    fn switching_authentication_clears_the_secret_no_longer_used() {
        let mut form = ConfigForm::from_meta(&meta(json!({"prometheusUrl": "http://p"}), &["bearerToken"]));
        form.auth = AuthKind::Basic;
        form.basic_user = "me".into();
        form.basic_password.value = "pw".into();
        let secrets = form.secure_json_data();
        assert_eq!(secrets.get("bearerToken").map(String::as_str), Some(""));
        assert_eq!(secrets.get("basicAuthPassword").map(String::as_str), Some("pw"));
        assert_eq!(form.json_data().basic_auth_user.as_deref(), Some("me"));
        form.saved();
        assert!(!form.bearer_token.configured && form.basic_password.configured);

        form.auth = AuthKind::None;
        assert_eq!(form.json_data().basic_auth_user, None);
        assert_eq!(form.secure_json_data().get("basicAuthPassword").map(String::as_str), Some(""));
    }

    #[test]
    fn local_checks_name_their_field() {
        let mut form = ConfigForm::from_meta(&meta(json!({}), &[]));
        form.timeout = "ten seconds".into();
        form.evaluation_interval = "500ms".into();
        form.pipeline = "{ not json".into();
        let fields: Vec<Field> = form.local_errors().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [Field::PrometheusUrl, Field::Timeout, Field::EvaluationInterval, Field::Pipeline]);
        form.prometheus_url = "http://p".into();
        form.timeout = "10s".into();
        form.evaluation_interval = "15s".into();
        form.pipeline = DEFAULT_PIPELINE.into();
        assert!(form.local_errors().is_empty(), "{:?}", form.local_errors());
    }

    #[test]
    fn backend_error_paths_map_to_inputs() {
        assert_eq!(Field::from_path("jsonData.rulesYaml"), Field::RulesYaml);
        assert_eq!(Field::from_path("jsonData.pipeline.stages[1].id"), Field::Pipeline);
        assert_eq!(Field::from_path("secureJsonData.bearerToken"), Field::BearerToken);
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
