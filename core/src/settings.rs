//! The app's settings as Grafana stores them (`jsonData`, `secureJsonData`): one shape that the
//! backend deserializes before it validates and the config page edits, so a key renamed on one
//! side fails to compile on the other.

use serde::{Deserialize, Serialize};

/// The app's `jsonData` fields the backend reads, as the config page edits them.
///
/// Absent or blank fields take the documented defaults. Text fields also accept a YAML/JSON number
/// or boolean as its text: provisioning files often carry `tenant: 123` or `timeout: 30`, and the
/// admin should read "30 is not a duration", not "expected a string".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AppJsonData {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub prometheus_url: Option<String>,
    /// Mimir/Cortex tenant, sent as `X-Scope-OrgID`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub evaluation_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub timeout: Option<String>,
    /// How far back queue insight looks for a backlog's trend and its consumer's moves.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub queue_window: Option<String>,
    /// How old a tick must be before its evaluation is kept and not asked for again
    /// (`crate::limits::DEFAULT_SETTLE`); `0s` keeps nothing.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub settle_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub rules_yaml: Option<String>,
    /// Stages and edges: JSON text as the config page stores it, or an object as provisioning may
    /// give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<serde_json::Value>,
    /// Basic auth user; its password is the secret [`SecretKey::BasicAuthPassword`].
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub basic_auth_user: Option<String>,
    /// Where the rules come from ([`RulesChoice`]); absent or blank is [`RulesChoice::Auto`].
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub rules_source: Option<String>,
    /// The rules API's base URL when it is not `prometheusUrl` (vmalert serves its own).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub ruler_url: Option<String>,
    /// An Alertmanager API v2 base (`/api/v2/...` is appended; Mimir's is `<mimir>/alertmanager`),
    /// asked which firing alerts are silenced or inhibited; same tenant and credentials.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub alertmanager_url: Option<String>,
    /// Which of the ruler's groups are the pipeline's: a regular expression matched against the
    /// whole group name (as PromQL's `=~`), so `a|b` lists names.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub rule_groups: Option<String>,
    /// Optionally, which rule files (Mimir: namespaces) the groups must come from, as a regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text::deserialize")]
    pub rule_files: Option<String>,
    /// Alert name → stage id, for rules without a `stage` label: an object, or its JSON text as the
    /// config page stores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_of: Option<serde_json::Value>,
}

/// A key of [`AppJsonData`] as it is spelled in `jsonData` (a test checks them against serde's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonKey {
    PrometheusUrl,
    Tenant,
    EvaluationInterval,
    Timeout,
    QueueWindow,
    SettleTime,
    RulesYaml,
    Pipeline,
    BasicAuthUser,
    RulesSource,
    RulerUrl,
    AlertmanagerUrl,
    RuleGroups,
    RuleFiles,
    StageOf,
}

impl JsonKey {
    pub const ALL: [JsonKey; 15] = [
        JsonKey::PrometheusUrl,
        JsonKey::Tenant,
        JsonKey::EvaluationInterval,
        JsonKey::Timeout,
        JsonKey::QueueWindow,
        JsonKey::SettleTime,
        JsonKey::RulesYaml,
        JsonKey::Pipeline,
        JsonKey::BasicAuthUser,
        JsonKey::RulesSource,
        JsonKey::RulerUrl,
        JsonKey::AlertmanagerUrl,
        JsonKey::RuleGroups,
        JsonKey::RuleFiles,
        JsonKey::StageOf,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            JsonKey::PrometheusUrl => "prometheusUrl",
            JsonKey::Tenant => "tenant",
            JsonKey::EvaluationInterval => "evaluationInterval",
            JsonKey::Timeout => "timeout",
            JsonKey::QueueWindow => "queueWindow",
            JsonKey::SettleTime => "settleTime",
            JsonKey::RulesYaml => "rulesYaml",
            JsonKey::Pipeline => "pipeline",
            JsonKey::BasicAuthUser => "basicAuthUser",
            JsonKey::RulesSource => "rulesSource",
            JsonKey::RulerUrl => "rulerUrl",
            JsonKey::AlertmanagerUrl => "alertmanagerUrl",
            JsonKey::RuleGroups => "ruleGroups",
            JsonKey::RuleFiles => "ruleFiles",
            JsonKey::StageOf => "stageOf",
        }
    }

    pub fn parse(key: &str) -> Option<JsonKey> {
        JsonKey::ALL.into_iter().find(|k| k.as_str() == key)
    }

    /// The `jsonData.<key>` path, for errors.
    pub fn field(self) -> String {
        format!("jsonData.{}", self.as_str())
    }
}

/// The rule groups read from the ruler when `ruleGroups` is blank: the runbook's group as deployed.
pub const DEFAULT_RULE_GROUPS: &str = "codex-pipeline-observability.rules";

/// Where the admin asked the rules to come from (`jsonData.rulesSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RulesChoice {
    /// `yaml` when `rulesYaml` is set, else `ruler` when the rules API has the configured groups,
    /// else `builtin`; decided again at every refresh of the ruler's rules.
    #[default]
    Auto,
    /// The ruler's rules API; falls back (to `rulesYaml` if set, else the built-in rules) with a
    /// reason while it fails or holds none of the groups.
    Ruler,
    /// `jsonData.rulesYaml`.
    Yaml,
    /// The runbook's four rules, built in.
    Builtin,
}

crate::by_name!(RulesChoice { Auto = "auto", Ruler = "ruler", Yaml = "yaml", Builtin = "builtin" });

impl RulesChoice {
    pub const ALL: [RulesChoice; 4] = [RulesChoice::Auto, RulesChoice::Ruler, RulesChoice::Yaml, RulesChoice::Builtin];

    pub const fn as_str(self) -> &'static str {
        match self {
            RulesChoice::Auto => "auto",
            RulesChoice::Ruler => "ruler",
            RulesChoice::Yaml => "yaml",
            RulesChoice::Builtin => "builtin",
        }
    }

    /// The choice spelled `s` (blank is `auto`), or `None` for a word that is not one.
    pub fn parse(s: &str) -> Option<RulesChoice> {
        let s = s.trim();
        if s.is_empty() {
            return Some(RulesChoice::Auto);
        }
        RulesChoice::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The text of an optional field, trimmed; `None` when absent or blank.
pub fn trimmed(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The secrets the app keeps in `secureJsonData`: written by the config page, never read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretKey {
    BearerToken,
    BasicAuthPassword,
}

impl SecretKey {
    pub const ALL: [SecretKey; 2] = [SecretKey::BearerToken, SecretKey::BasicAuthPassword];

    pub const fn as_str(self) -> &'static str {
        match self {
            SecretKey::BearerToken => "bearerToken",
            SecretKey::BasicAuthPassword => "basicAuthPassword",
        }
    }

    pub fn parse(key: &str) -> Option<SecretKey> {
        SecretKey::ALL.into_iter().find(|k| k.as_str() == key)
    }

    /// The `secureJsonData.<key>` path of the secret, for errors.
    pub fn field(self) -> String {
        format!("secureJsonData.{}", self.as_str())
    }
}

/// How the backend authenticates to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    #[default]
    None,
    Bearer,
    Basic,
}

crate::by_name!(AuthKind { None = "none", Bearer = "bearer", Basic = "basic" });

impl AuthKind {
    pub const ALL: [AuthKind; 3] = [AuthKind::None, AuthKind::Bearer, AuthKind::Basic];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::None => "none",
            AuthKind::Bearer => "bearer",
            AuthKind::Basic => "basic",
        }
    }

    /// The kind named `s`; anything unknown is no authentication.
    pub fn parse(s: &str) -> AuthKind {
        AuthKind::ALL.into_iter().find(|k| k.as_str() == s).unwrap_or_default()
    }

    /// The secret this kind of authentication uses, if any.
    pub fn secret(self) -> Option<SecretKey> {
        match self {
            AuthKind::None => None,
            AuthKind::Bearer => Some(SecretKey::BearerToken),
            AuthKind::Basic => Some(SecretKey::BasicAuthPassword),
        }
    }
}

/// Lenient text: a string, or a number or boolean as its text; `null` is absent.
mod text {
    use std::fmt;

    use serde::de::{self, Deserializer, Visitor};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<String>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text (a string, or a number)")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Some(v.to_string()))
            }
        }
        d.deserialize_option(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_serialized_names() {
        let all = AppJsonData {
            prometheus_url: Some("u".into()),
            tenant: Some("t".into()),
            evaluation_interval: Some("1m".into()),
            timeout: Some("1s".into()),
            queue_window: Some("5m".into()),
            settle_time: Some("10m".into()),
            rules_yaml: Some("r".into()),
            pipeline: Some(serde_json::json!({})),
            basic_auth_user: Some("me".into()),
            rules_source: Some("ruler".into()),
            ruler_url: Some("http://vmalert:8880".into()),
            alertmanager_url: Some("http://alertmanager:9093".into()),
            rule_groups: Some("g".into()),
            rule_files: Some("f".into()),
            stage_of: Some(serde_json::json!({"A": "kafka"})),
        };
        let value = serde_json::to_value(&all).unwrap();
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let mut declared: Vec<&str> = JsonKey::ALL.iter().map(|k| k.as_str()).collect();
        keys.sort_unstable();
        declared.sort_unstable();
        assert_eq!(keys, declared);
    }

    #[test]
    fn text_fields_take_numbers_as_text_and_refuse_objects() {
        let d: AppJsonData =
            serde_json::from_str(r#"{"tenant": 123, "timeout": 30, "rulesYaml": null, "future": [1]}"#).unwrap();
        assert_eq!(d.tenant.as_deref(), Some("123"));
        assert_eq!(d.timeout.as_deref(), Some("30"));
        assert_eq!(d.rules_yaml, None);
        let e = serde_json::from_str::<AppJsonData>(r#"{"prometheusUrl": {"a": 1}}"#).unwrap_err();
        assert!(e.to_string().contains("text"), "{e}");
        assert_eq!(trimmed(&Some("  x ".into())), Some("x"));
        assert_eq!(trimmed(&Some("   ".into())), None);
    }

    #[test]
    fn rules_choices_are_fixed_words() {
        assert_eq!(RulesChoice::parse(" "), Some(RulesChoice::Auto));
        assert_eq!(RulesChoice::parse("yaml"), Some(RulesChoice::Yaml));
        assert_eq!(RulesChoice::parse("Ruler"), None);
        for c in RulesChoice::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(c.as_str()));
        }
    }

    #[test]
    fn auth_kinds_and_their_secrets() {
        assert_eq!(AuthKind::Bearer.secret(), Some(SecretKey::BearerToken));
        assert_eq!(serde_json::to_string(&AuthKind::Basic).unwrap(), "\"basic\"");
        assert_eq!(SecretKey::BasicAuthPassword.field(), "secureJsonData.basicAuthPassword");
        assert_eq!(SecretKey::parse("bearerToken"), Some(SecretKey::BearerToken));
        assert_eq!(JsonKey::parse("rulesYaml").map(JsonKey::field).as_deref(), Some("jsonData.rulesYaml"));
        assert_eq!(JsonKey::parse("nope"), None);
    }
}
