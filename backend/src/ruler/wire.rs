//! The rules API's answer (`GET /api/v1/rules`) as Prometheus, Mimir (under `/prometheus`) and
//! vmalert write it: groups of rules, each alerting rule with the ruler's own health, last error,
//! last evaluation and live alerts. Read leniently where the implementations differ (vmalert has no
//! `keepFiringFor` and adds `concurrency`; older servers have no `lastEvaluation`), strictly where a
//! value would change what is evaluated (a `duration` that is not a number of seconds).

use std::collections::BTreeMap;

use chrono::DateTime;
use codexflow_core::alerting::AlertState;
use codexflow_core::api::{RuleHealth, RulerAlert, RulerStatus};
use codexflow_core::limits::{MAX_ALERTS_PER_RULE, MAX_DURATION_MS};
use codexflow_core::value::parse_sample_value;
use serde::de::IntoDeserializer;
use serde::Deserialize;

/// One group as the ruler reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RulerGroup {
    pub name: String,
    pub file: String,
    pub interval_ms: i64,
    pub last_evaluation: Option<i64>,
    pub evaluation_time_ms: Option<f64>,
    /// vmalert's shape: it aligns evaluation time to the interval (`-datasource.queryTimeAlignment`).
    pub vmalert: bool,
    /// vmalert's `eval_offset`, when it reports one.
    pub eval_offset_ms: Option<i64>,
    pub rules: Vec<RulerRule>,
}

/// One alerting rule as the ruler reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RulerRule {
    pub name: String,
    pub query: String,
    pub hold_ms: i64,
    pub keep_firing_for_ms: i64,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub status: RulerStatus,
    pub alerts: Vec<RulerAlert>,
}

/// A rule's `type`: only alerting rules raise alerts.
#[derive(Deserialize, Default, PartialEq)]
#[serde(rename_all = "lowercase")]
enum RuleKind {
    Alerting,
    #[default]
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    groups: Vec<GroupJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupJson {
    name: String,
    #[serde(default)]
    file: String,
    #[serde(default)]
    interval: f64,
    #[serde(default)]
    last_evaluation: Option<String>,
    #[serde(default)]
    evaluation_time: Option<f64>,
    #[serde(default)]
    rules: Vec<RuleJson>,
    /// Present in vmalert's answers only.
    #[serde(default)]
    concurrency: Option<serde_json::Value>,
    #[serde(default, rename = "eval_offset")]
    eval_offset: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleJson {
    #[serde(default, rename = "type")]
    kind: RuleKind,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    duration: f64,
    #[serde(default)]
    keep_firing_for: f64,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    alerts: Option<Vec<AlertJson>>,
    #[serde(default)]
    health: RuleHealth,
    #[serde(default)]
    last_error: Option<String>,
    #[serde(default)]
    last_evaluation: Option<String>,
    #[serde(default)]
    evaluation_time: Option<f64>,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlertJson {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    state: String,
    #[serde(default)]
    active_at: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

/// Reads the `data` of a rules answer; the error says what was wrong with it.
pub fn groups(data: &str) -> Result<Vec<RulerGroup>, String> {
    // serde would read a struct from an array too; the API's `data` is an object.
    if !data.trim_start().starts_with('{') {
        return Err("not a rules API answer: `data` is not an object".to_string());
    }
    let data: Data = serde_json::from_str(data).map_err(|e| format!("not a rules API answer: {e}"))?;
    data.groups.into_iter().map(group).collect()
}

fn group(g: GroupJson) -> Result<RulerGroup, String> {
    let interval_ms = seconds_ms(g.interval)
        .ok_or_else(|| format!("group {:?}: interval {} is not a duration in seconds", g.name, g.interval))?;
    let mut rules = Vec::new();
    for r in g.rules {
        // Recording rules raise no alerts; servers that ignore `type=alert` still list them.
        if r.kind != RuleKind::Alerting {
            continue;
        }
        let bad = |what: &str, v: f64| {
            format!("group {:?}, rule {:?}: {what} {v} is not a duration in seconds", g.name, r.name)
        };
        let hold_ms = seconds_ms(r.duration).ok_or_else(|| bad("duration", r.duration))?;
        let keep_firing_for_ms =
            seconds_ms(r.keep_firing_for).ok_or_else(|| bad("keepFiringFor", r.keep_firing_for))?;
        let alerts = r.alerts.unwrap_or_default().into_iter().take(MAX_ALERTS_PER_RULE).filter_map(alert).collect();
        let status = RulerStatus {
            health: r.health,
            last_error: r.last_error.filter(|e| !e.is_empty()),
            last_evaluation: r.last_evaluation.as_deref().and_then(instant_ms),
            evaluation_time_ms: r.evaluation_time.filter(|t| t.is_finite()).map(|t| t * 1000.0),
            state: r.state.as_deref().and_then(state),
            stale_for_ms: None,
        };
        rules.push(RulerRule {
            name: r.name,
            query: r.query,
            hold_ms,
            keep_firing_for_ms,
            labels: r.labels.unwrap_or_default(),
            annotations: r.annotations.unwrap_or_default(),
            status,
            alerts,
        });
    }
    Ok(RulerGroup {
        name: g.name,
        file: g.file,
        interval_ms,
        last_evaluation: g.last_evaluation.as_deref().and_then(instant_ms),
        evaluation_time_ms: g.evaluation_time.filter(|t| t.is_finite()).map(|t| t * 1000.0),
        vmalert: g.concurrency.is_some(),
        eval_offset_ms: g.eval_offset.and_then(seconds_ms),
        rules,
    })
}

fn alert(a: AlertJson) -> Option<RulerAlert> {
    Some(RulerAlert {
        labels: a.labels.into(),
        state: state(&a.state)?,
        active_at: a.active_at.as_deref().and_then(instant_ms),
        value: a.value.as_deref().and_then(parse_sample_value),
    })
}

/// An alert state by the names core's enum gives it; a state this version does not know is `None`.
fn state(s: &str) -> Option<AlertState> {
    AlertState::deserialize(s.into_deserializer()).map_err(|_: serde::de::value::Error| ()).ok()
}

/// Seconds as the API writes durations, in ms; `None` when negative, not finite or out of range.
fn seconds_ms(secs: f64) -> Option<i64> {
    let ms = (secs * 1000.0).round();
    (secs.is_finite() && ms >= 0.0 && ms <= MAX_DURATION_MS as f64).then_some(ms as i64)
}

/// An RFC 3339 instant in epoch ms (floored, as Prometheus turns evaluation times into sample
/// times); Go's zero time, which a ruler reports for "never", is `None`.
pub fn instant_ms(text: &str) -> Option<i64> {
    let t = DateTime::parse_from_rfc3339(text).ok()?;
    let ms = t.timestamp_millis();
    (ms > 0).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from Prometheus 2.42's answer for a group evaluated every 10 s.
    const PROMETHEUS: &str = r#"{"groups":[{"name":"codex-pipeline-observability.rules","file":"/tmp/vmx/prules.yml","rules":[
        {"state":"firing","name":"AlwaysOn","query":"vector(1) > 0","duration":20,"keepFiringFor":0,"labels":{"severity":"warning"},"annotations":{},
         "alerts":[{"labels":{"alertname":"AlwaysOn","severity":"warning"},"annotations":{},"state":"firing","activeAt":"2026-12-01T12:07:15.662571184Z","value":"1e+00"}],
         "health":"ok","evaluationTime":0.000837605,"lastEvaluation":"2026-12-01T12:08:05.663700681Z","type":"alerting"},
        {"name":"x:rate","query":"rate(x[5m])","health":"ok","type":"recording"},
        {"state":"inactive","name":"Broken","query":"up / on() group_left foo","duration":0,"keepFiringFor":300,"labels":{},"annotations":{},"alerts":[],
         "health":"err","lastError":"found duplicate series","evaluationTime":0.0005,"lastEvaluation":"0001-01-01T00:00:00Z","type":"alerting"}],
        "interval":10,"limit":0,"evaluationTime":0.00137099,"lastEvaluation":"2026-12-01T12:08:05.663682077Z"}]}"#;

    /// Trimmed from vmalert 1.79's answer.
    const VMALERT: &str = r#"{"groups":[{"name":"vm-group","rules":[{"state":"firing","name":"VmAlwaysOn","query":"vector(1) > 0","duration":20,
        "labels":{"severity":"warning"},"lastError":"","evaluationTime":0.001459226,"lastEvaluation":"2026-12-01T12:08:20.347184991Z",
        "alerts":[{"state":"firing","name":"VmAlwaysOn","value":"1","labels":{"alertgroup":"vm-group","alertname":"VmAlwaysOn","severity":"warning"},"annotations":{},"activeAt":"2026-12-01T12:07:20.337565251Z","id":"1"}],
        "health":"ok","type":"alerting","datasourceType":"prometheus","id":"2","group_id":"3"}],
        "interval":10,"lastEvaluation":"2026-12-01T12:08:20.347179711Z","type":"prometheus","id":"3","file":"/tmp/vmx/vrules.yml","concurrency":1}]}"#;

    #[test]
    fn prometheus_groups_rules_and_the_rulers_view() {
        let g = &groups(PROMETHEUS).unwrap()[0];
        assert_eq!(
            (g.interval_ms, g.vmalert, g.last_evaluation),
            (10_000, false, instant_ms("2026-12-01T12:08:05.663Z"))
        );
        assert_eq!(g.rules.len(), 2, "the recording rule is not an alert");
        let on = &g.rules[0];
        assert_eq!((on.hold_ms, on.status.health, on.status.state), (20_000, RuleHealth::Ok, Some(AlertState::Firing)));
        assert_eq!(on.alerts[0].active_at, Some(1_796_126_835_662));
        assert_eq!(on.alerts[0].value, Some(1.0));
        let broken = &g.rules[1];
        assert_eq!((broken.keep_firing_for_ms, broken.status.health), (300_000, RuleHealth::Err));
        assert_eq!(broken.status.last_error.as_deref(), Some("found duplicate series"));
        assert_eq!(broken.status.last_evaluation, None, "Go's zero time is never");
    }

    #[test]
    fn vmalert_is_recognised() {
        let g = &groups(VMALERT).unwrap()[0];
        assert!(g.vmalert);
        assert_eq!(g.rules[0].keep_firing_for_ms, 0);
        assert_eq!(g.rules[0].status.last_error, None, "an empty lastError is none");
        assert_eq!(g.rules[0].alerts[0].labels.get("alertgroup"), Some("vm-group"));
    }

    #[test]
    fn nonsense_is_refused_with_its_place() {
        assert!(groups("[]").unwrap_err().contains("not a rules API answer"));
        let bad = r#"{"groups":[{"name":"g","interval":-1,"rules":[]}]}"#;
        assert!(groups(bad).unwrap_err().contains("interval -1"));
        let bad =
            r#"{"groups":[{"name":"g","interval":10,"rules":[{"type":"alerting","name":"A","duration":1e300}]}]}"#;
        assert!(groups(bad).unwrap_err().contains("rule \"A\": duration"));
        assert_eq!(groups(r#"{}"#).unwrap(), Vec::new());
    }

    #[test]
    fn words_a_version_does_not_know_are_read_as_unknown_not_refused() {
        let odd = r#"{"groups":[{"name":"g","interval":10,"rules":[
            {"type":"alerting","name":"A","health":"error","state":"sleeping","alerts":[{"state":"firing"},{"state":"muted"}]},
            {"type":"alerting","name":"B","health":"flaky"},
            {"type":"something-new","name":"C"}]}]}"#;
        let rules = &groups(odd).unwrap()[0].rules;
        assert_eq!(rules.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["A", "B"], "only alerting rules");
        assert_eq!((rules[0].status.health, rules[0].status.state), (RuleHealth::Err, None));
        assert_eq!(
            rules[0].alerts.iter().map(|a| a.state).collect::<Vec<_>>(),
            [AlertState::Firing],
            "an alert in an unknown state is left out"
        );
        assert_eq!(rules[1].status.health, RuleHealth::Unknown);
    }
}
