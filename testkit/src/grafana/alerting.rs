//! Grafana-managed alert rules as the dev host plays them, for rules on the Codex Flow data source:
//! the provisioning file (`provisioning/alerting/*.yaml`, `groups` of `rules`, each with its `data`:
//! data source queries and the `reduce` and `threshold` expressions), an evaluation at one instant
//! (each query to its data source's `QueryData` as the alerting engine sends it: the rule's relative
//! time range before the instant, `FromAlert`, `intervalMs` 1000 and `maxDataPoints` 43200 when the
//! model has none; each number field a series by its labels), and the state of each series through
//! Normal, Pending (for `for`) and Alerting, NoData when no series came back, Error when a query
//! failed. Evaluations happen at multiples of the group's interval.
//!
//! Followed: grafana/grafana `pkg/services/provisioning/alerting/rules_types.go` (the file),
//! `pkg/services/ngalert/models/alert_query.go` (`GetModel`: the defaults), `pkg/services/ngalert/eval/eval.go`
//! (`buildDatasourceHeaders`), `pkg/expr/converter.go` (wide frames: a series per number field),
//! `pkg/expr/mathexp/reduce.go` (strict mode) and `pkg/expr/threshold.go`, `pkg/services/ngalert/state/state.go`
//! (`resultAlerting`: Pending from the first true evaluation, Alerting once `for` has passed since,
//! Normal on false), `pkg/services/ngalert/api/prometheus/api_prometheus.go` (the rules API).
//! Not played: other expression types (math, resample, classic conditions), `keepFiringFor`,
//! notifications, recording rules, the Alertmanager.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::{json, Value};

use super::frames::read_frame;
use super::plugin_host::{DataSourceInstance, PluginProcess};

/// The uid Grafana gives expressions.
pub const EXPRESSION_UID: &str = "__expr__";
/// Evaluations one replay may make.
pub const MAX_REPLAY_TICKS: i64 = 2_000;

#[derive(Debug, Clone, Deserialize)]
pub struct RuleFile {
    #[serde(default)]
    pub groups: Vec<RuleGroup>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleGroup {
    pub name: String,
    #[serde(default)]
    pub folder: String,
    /// `1m`, `30s`, …
    pub interval: String,
    pub rules: Vec<AlertRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRule {
    pub uid: String,
    pub title: String,
    pub condition: String,
    pub data: Vec<RuleQuery>,
    #[serde(default, rename = "for")]
    pub for_duration: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleQuery {
    pub ref_id: String,
    pub datasource_uid: String,
    #[serde(default)]
    pub relative_time_range: TimeRange,
    pub model: Value,
}

/// Seconds before the evaluation.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct TimeRange {
    #[serde(default)]
    pub from: i64,
    #[serde(default)]
    pub to: i64,
}

/// A duration of the file (`30s`, `5m`, `1h30m`) in ms, as Prometheus and Grafana write them.
pub fn duration_ms(text: &str) -> Option<i64> {
    codexflow_core::duration::parse_duration(text).ok()
}

/// A rule's `for`, none being 0; one that cannot be read is an error, never 0.
pub fn for_ms(rule: &AlertRule) -> Result<i64, String> {
    match rule.for_duration.as_deref() {
        None => Ok(0),
        Some(text) => duration_ms(text).ok_or_else(|| format!("{}: `for` {text:?} is no duration", rule.uid)),
    }
}

/// One series: its labels and its values in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub values: Vec<Option<f64>>,
}

/// A reducer as `reduce` names it; `last` and `mean`, `max`, `min`, `sum` and `count`.
/// In Grafana's default (strict) mode: a null or NaN among the values makes `mean`, `max`, `min` and
/// `sum` NaN (here none), which no threshold holds for; `last` is the last value, whatever it is.
pub fn reduce(reducer: &str, values: &[Option<f64>]) -> Result<Option<f64>, String> {
    let all: Option<Vec<f64>> = values.iter().map(|v| v.filter(|v| !v.is_nan())).collect();
    let strict = |f: fn(&[f64]) -> Option<f64>| all.as_deref().and_then(f);
    Ok(match reducer {
        "last" => values.last().copied().flatten(),
        "mean" => strict(|v| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)),
        "max" => strict(|v| v.iter().copied().reduce(f64::max)),
        "min" => strict(|v| v.iter().copied().reduce(f64::min)),
        "sum" => strict(|v| Some(v.iter().sum())),
        "count" => Some(values.len() as f64),
        other => return Err(format!("reducer {other:?} is not played by the dev host")),
    })
}

/// A threshold evaluator (`gt`, `lt`, `gte`, `lte`, `eq`, `ne`) at `value`.
pub fn threshold(kind: &str, params: &[f64], value: f64) -> Result<bool, String> {
    let p = *params.first().ok_or("a threshold without a parameter")?;
    Ok(match kind {
        "gt" => value > p,
        "lt" => value < p,
        "gte" => value >= p,
        "lte" => value <= p,
        "eq" => value == p,
        "ne" => value != p,
        other => return Err(format!("threshold {other:?} is not played by the dev host")),
    })
}

/// A series' labels.
pub type Labels = BTreeMap<String, String>;
/// One series' condition at one evaluation: its labels, the condition's input value, whether it holds.
pub type Held = (Labels, Option<f64>, bool);
/// Each series' condition at one evaluation. `Err`: the evaluation failed (a query's error, an
/// unplayed expression).
pub type Outcome = Result<Vec<Held>, String>;

/// The expressions of `rule` over the queries' series (`series` by refId): the condition's series.
pub fn conditions(rule: &AlertRule, series: &HashMap<String, Vec<Series>>) -> Outcome {
    // Reduced values by refId, from the data source queries' series.
    let mut numbers: HashMap<String, Vec<(Labels, Option<f64>)>> = HashMap::new();
    let mut holds: HashMap<String, Vec<Held>> = HashMap::new();
    for q in rule.data.iter().filter(|q| q.datasource_uid == EXPRESSION_UID) {
        let kind = q.model["type"].as_str().unwrap_or_default();
        let input = q.model["expression"].as_str().unwrap_or_default().trim_start_matches('$');
        match kind {
            "reduce" => {
                let of = series.get(input).ok_or_else(|| format!("{}: no query {input}", q.ref_id))?;
                let reducer = q.model["reducer"].as_str().unwrap_or("last");
                let reduced: Result<Vec<_>, String> =
                    of.iter().map(|s| Ok((s.labels.clone(), reduce(reducer, &s.values)?))).collect();
                numbers.insert(q.ref_id.clone(), reduced?);
            }
            "threshold" => {
                let of = numbers.get(input).ok_or_else(|| format!("{}: no reduced input {input}", q.ref_id))?;
                let evaluator = &q.model["conditions"][0]["evaluator"];
                let params: Vec<f64> =
                    evaluator["params"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
                let kind = evaluator["type"].as_str().unwrap_or_default();
                let mut out = Vec::new();
                for (labels, value) in of {
                    // No value: the threshold does not hold (Grafana's NaN compares false).
                    let fires = match value {
                        Some(v) => threshold(kind, &params, *v)?,
                        None => false,
                    };
                    out.push((labels.clone(), *value, fires));
                }
                holds.insert(q.ref_id.clone(), out);
            }
            other => return Err(format!("{}: expression type {other:?} is not played by the dev host", q.ref_id)),
        }
    }
    holds.remove(&rule.condition).ok_or_else(|| format!("the condition {} is not a threshold", rule.condition))
}

/// An alert instance's state (`eval.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Normal,
    Pending,
    Alerting,
    NoData,
    Error,
}

impl State {
    /// As the rules API spells an instance's state.
    pub fn name(self) -> &'static str {
        match self {
            State::Normal => "Normal",
            State::Pending => "Pending",
            State::Alerting => "Alerting",
            State::NoData => "NoData",
            State::Error => "Error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub state: State,
    /// When the current state began (Pending: the first true evaluation; Alerting: when it fired).
    pub starts_at: i64,
    pub value: Option<f64>,
    pub error: Option<String>,
}

/// The instances of one rule, by labels (the rule's own labels under the series').
#[derive(Debug, Clone, Default)]
pub struct RuleState {
    pub instances: BTreeMap<BTreeMap<String, String>, Instance>,
    pub last_evaluation: Option<i64>,
}

impl RuleState {
    /// One evaluation at `at`.
    pub fn apply(&mut self, rule: &AlertRule, at: i64, outcome: Outcome) {
        let (for_ms, outcome) = match for_ms(rule) {
            Ok(ms) => (ms, outcome),
            Err(e) => (0, Err(e)),
        };
        self.last_evaluation = Some(at);
        let with_rule = |labels: &BTreeMap<String, String>| {
            let mut all = labels.clone();
            all.extend(rule.labels.clone());
            all.insert("alertname".into(), rule.title.clone());
            all
        };
        let results = match outcome {
            Err(e) => {
                self.instances = BTreeMap::from([(
                    with_rule(&BTreeMap::new()),
                    Instance { state: State::Error, starts_at: at, value: None, error: Some(e) },
                )]);
                return;
            }
            Ok(r) if r.is_empty() => {
                self.instances = BTreeMap::from([(
                    with_rule(&BTreeMap::new()),
                    Instance { state: State::NoData, starts_at: at, value: None, error: None },
                )]);
                return;
            }
            Ok(r) => r,
        };
        let mut next = BTreeMap::new();
        for (labels, value, fires) in results {
            let key = with_rule(&labels);
            let before = self.instances.get(&key).map(|i| (i.state, i.starts_at));
            let (state, starts_at) = match (fires, before) {
                (false, Some((State::Normal, since))) => (State::Normal, since),
                (false, _) => (State::Normal, at),
                (true, Some((State::Alerting, since))) => (State::Alerting, since),
                (true, Some((State::Pending, since))) if at.saturating_sub(since) >= for_ms => (State::Alerting, at),
                (true, Some((State::Pending, since))) => (State::Pending, since),
                (true, _) if for_ms > 0 => (State::Pending, at),
                (true, _) => (State::Alerting, at),
            };
            next.insert(key, Instance { state, starts_at, value, error: None });
        }
        self.instances = next;
    }
}

/// One evaluation of `rule` at `at` (epoch ms): its data source queries through `QueryData`, then
/// its expressions.
pub async fn evaluate(
    plugin: &PluginProcess,
    datasource: impl Fn(&str) -> Option<DataSourceInstance>,
    rule: &AlertRule,
    at: i64,
) -> Outcome {
    let mut series: HashMap<String, Vec<Series>> = HashMap::new();
    for q in rule.data.iter().filter(|q| q.datasource_uid != EXPRESSION_UID) {
        let ds = datasource(&q.datasource_uid)
            .ok_or_else(|| format!("{}: no data source {}", q.ref_id, q.datasource_uid))?;
        let mut model = q.model.clone();
        for (key, default) in [("intervalMs", 1_000), ("maxDataPoints", 43_200)] {
            if model.get(key).and_then(Value::as_i64).unwrap_or(0) == 0 {
                model[key] = json!(default);
            }
        }
        let query = grafana_plugin_sdk::pluginv2::DataQuery {
            ref_id: q.ref_id.clone(),
            query_type: model["queryType"].as_str().unwrap_or_default().to_string(),
            max_data_points: model["maxDataPoints"].as_i64().unwrap_or(43_200),
            interval_ms: model["intervalMs"].as_i64().unwrap_or(1_000),
            time_range: Some(grafana_plugin_sdk::pluginv2::TimeRange {
                from_epoch_ms: at.saturating_sub(q.relative_time_range.from.saturating_mul(1_000)),
                to_epoch_ms: at.saturating_sub(q.relative_time_range.to.saturating_mul(1_000)),
            }),
            json: model.to_string().into_bytes(),
        };
        let headers = HashMap::from([
            ("FromAlert".to_string(), "true".to_string()),
            ("X-Cache-Skip".to_string(), "true".to_string()),
            ("X-Rule-Uid".to_string(), rule.uid.clone()),
        ]);
        let response = plugin.query_data(&ds, vec![query], headers).await.map_err(|e| format!("{}: {e}", q.ref_id))?;
        let answer = response.responses.get(&q.ref_id).ok_or_else(|| format!("{}: no answer", q.ref_id))?;
        if !answer.error.is_empty() {
            return Err(format!("{}: {}", q.ref_id, answer.error));
        }
        let mut of_query = Vec::new();
        for frame in &answer.frames {
            let frame = read_frame(frame).map_err(|e| format!("{}: {e}", q.ref_id))?;
            for field in frame.fields.iter().filter(|f| f.kind == "number") {
                let labels = field
                    .labels
                    .as_object()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
                    .unwrap_or_default();
                of_query.push(Series { labels, values: field.values.iter().map(Value::as_f64).collect() });
            }
            if frame.fields.iter().any(|f| f.kind == "string") {
                return Err(format!("{}: input data must be a wide series but got type long", q.ref_id));
            }
        }
        series.insert(q.ref_id.clone(), of_query);
    }
    conditions(rule, &series)
}

/// An instant as the rules API writes it (RFC 3339, UTC).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// An instance's value as the rules API writes it: the condition's input captured,
/// `[ var='B' labels={} value=2 ]`.
fn captured(rule: &AlertRule, value: Option<f64>) -> String {
    let input = rule
        .data
        .iter()
        .find(|q| q.ref_id == rule.condition)
        .and_then(|q| q.model["expression"].as_str())
        .unwrap_or(&rule.condition);
    let value = value.map_or("NaN".to_string(), |v| v.to_string());
    format!("[ var='{input}' labels={{}} value={value} ]")
}

/// The rules and their instances as Grafana's Prometheus-compatible rules API lists them
/// (`/api/prometheus/grafana/api/v1/rules`).
pub fn rules_api(groups: &[RuleGroup], states: &HashMap<String, RuleState>) -> Value {
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| {
            let rules: Vec<Value> = g
                .rules
                .iter()
                .map(|r| {
                    let state = states.get(&r.uid).cloned().unwrap_or_default();
                    let worst = state.instances.values().map(|i| i.state).fold("inactive", |acc, s| match s {
                        State::Alerting => "firing",
                        State::Pending if acc != "firing" => "pending",
                        _ => acc,
                    });
                    let alerts: Vec<Value> = state
                        .instances
                        .iter()
                        .map(|(labels, i)| {
                            json!({ "labels": labels, "annotations": r.annotations, "state": i.state.name(),
                                "activeAt": rfc3339(i.starts_at), "value": captured(r, i.value) })
                        })
                        .collect();
                    let health = if state.instances.values().any(|i| i.state == State::Error) { "error" } else { "ok" };
                    json!({ "name": r.title, "uid": r.uid, "state": worst, "health": health, "type": "alerting",
                        "labels": r.labels, "annotations": r.annotations,
                        "duration": for_ms(r).unwrap_or(0) / 1000,
                        "lastEvaluation": state.last_evaluation.map(rfc3339), "alerts": alerts })
                })
                .collect();
            json!({ "name": g.name, "file": g.folder, "interval": duration_ms(&g.interval).unwrap_or(0) / 1000, "rules": rules })
        })
        .collect();
    json!({ "status": "success", "data": { "groups": groups } })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(for_: &str) -> AlertRule {
        serde_json::from_value(json!({
            "uid": "r", "title": "Pipeline critical", "condition": "C", "for": for_, "labels": { "team": "codex" },
            "data": [
                { "refId": "A", "datasourceUid": "codexflow", "relativeTimeRange": { "from": 600, "to": 0 }, "model": { "queryType": "pipelineStatus" } },
                { "refId": "B", "datasourceUid": "__expr__", "model": { "type": "reduce", "expression": "A", "reducer": "last" } },
                { "refId": "C", "datasourceUid": "__expr__", "model": { "type": "threshold", "expression": "B",
                    "conditions": [{ "evaluator": { "type": "gt", "params": [2] } }] } }
            ]
        }))
        .expect("a rule")
    }

    fn of(values: &[f64]) -> HashMap<String, Vec<Series>> {
        HashMap::from([(
            "A".into(),
            vec![Series { labels: BTreeMap::new(), values: values.iter().map(|v| Some(*v)).collect() }],
        )])
    }

    #[test]
    fn pending_from_the_first_true_evaluation_alerting_once_for_has_passed() {
        let r = rule("5m");
        let mut s = RuleState::default();
        let m = 60_000;
        let states: Vec<(State, i64)> = [2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 0.0]
            .iter()
            .enumerate()
            .map(|(i, v)| {
                s.apply(&r, i as i64 * m, conditions(&r, &of(&[0.0, *v])));
                let i = s.instances.values().next().expect("one instance");
                (i.state, i.starts_at)
            })
            .collect();
        use State::*;
        assert_eq!(
            states,
            [
                (Normal, 0),
                (Pending, m),
                (Pending, m),
                (Pending, m),
                (Pending, m),
                (Pending, m),
                (Alerting, 6 * m),
                (Alerting, 6 * m),
                (Normal, 8 * m)
            ]
        );
        let labels = s.instances.keys().next().unwrap();
        assert_eq!((labels["alertname"].as_str(), labels["team"].as_str()), ("Pipeline critical", "codex"));
    }

    #[test]
    fn no_series_is_nodata_a_failure_is_error_and_unplayed_expressions_say_so() {
        let r = rule("0s");
        let mut s = RuleState::default();
        s.apply(&r, 0, conditions(&r, &HashMap::from([("A".into(), vec![])])));
        assert_eq!(s.instances.values().next().map(|i| i.state), Some(State::NoData));
        s.apply(&r, 1, Err("boom".into()));
        assert_eq!(s.instances.values().next().and_then(|i| i.error.clone()), Some("boom".into()));
        s.apply(&r, 2, conditions(&r, &of(&[3.0])));
        assert_eq!(s.instances.values().next().map(|i| i.state), Some(State::Alerting), "for 0s fires at once");
        let mut math = rule("0s");
        math.data[1].model["type"] = json!("math");
        assert!(conditions(&math, &of(&[1.0])).unwrap_err().contains("not played"));
        assert_eq!(reduce("last", &[Some(1.0), None]), Ok(None));
        assert_eq!(reduce("max", &[Some(1.0), Some(4.0)]), Ok(Some(4.0)));
        assert_eq!((duration_ms("5m"), duration_ms("1m30s"), duration_ms("m")), (Some(300_000), Some(90_000), None));
        assert_eq!(reduce("mean", &[Some(1.0), None]), Ok(None), "strict: a null makes it NaN");
        let unreadable = rule("5 minutes");
        let mut s = RuleState::default();
        s.apply(&unreadable, 0, conditions(&unreadable, &of(&[3.0])));
        assert_eq!(s.instances.values().next().map(|i| i.state), Some(State::Error), "an unreadable `for` never fires");
    }

    #[test]
    fn the_rules_api_lists_each_rule_with_its_instances() {
        let r = rule("0s");
        let group = RuleGroup {
            name: "codex-flow".into(),
            folder: "Codex".into(),
            interval: "1m".into(),
            rules: vec![r.clone()],
        };
        let mut s = RuleState::default();
        s.apply(&r, 60_000, conditions(&r, &of(&[3.0])));
        let api = rules_api(&[group], &HashMap::from([("r".into(), s)]));
        let rule = &api["data"]["groups"][0]["rules"][0];
        assert_eq!((rule["state"].as_str(), rule["alerts"][0]["state"].as_str()), (Some("firing"), Some("Alerting")));
        assert_eq!(rule["alerts"][0]["activeAt"], "1970-01-01T00:01:00Z");
        assert_eq!(rule["alerts"][0]["value"], "[ var='B' labels={} value=3 ]");
    }
}
