//! The JSON contract of the backend's resource API (`docs/api.md`).
//!
//! These types are compiled into both the backend and the WASM panel, so a
//! field renamed on one side fails to compile on the other. Field names are
//! camelCase on the wire because outside tools read them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alerting::AlertState;
use crate::labels::Labels;
use crate::pipeline::PipelineSpec;
use crate::status::StageStatus;

/// Milliseconds since the Unix epoch, as Grafana's time range carries them.
pub type EpochMs = i64;

/// `POST v1/evaluate` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateRequest {
    pub from: EpochMs,
    pub to: EpochMs,
    /// Tick spacing; the app's `evaluationInterval` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<i64>,
}

/// `POST v1/evaluate` answer: the pipeline's health over `[from, to]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateResponse {
    pub from: EpochMs,
    pub to: EpochMs,
    pub interval_ms: i64,
    /// Every evaluation tick in `[from, to]`, oldest first; each alert timeline has one entry per tick.
    pub ticks: Vec<EpochMs>,
    pub stages: Vec<StageHealth>,
    pub edges: Vec<EdgeHealth>,
    pub alerts: Vec<AlertTimeline>,
}

/// One stage as the panel colours it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageHealth {
    pub id: String,
    pub name: String,
    /// Health at the last tick.
    pub status: StageStatus,
    /// What a person reads at a glance when the status is not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub headline: Headline,
    /// The headline query over the window, for the sparkline.
    pub series: Vec<Point>,
    /// Health at every tick (same length as `ticks`), for the state strip and time travel.
    pub status_timeline: Vec<StageStatus>,
    /// Metric selectors of this stage's rules that have no series at all in the window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_series: Vec<String>,
}

/// The one number that sums a stage up ("lag 1.5K").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Headline {
    pub label: String,
    pub unit: String,
    #[serde(with = "crate::value::opt")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Throughput between two stages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeHealth {
    pub from: String,
    pub to: String,
    pub label: String,
    /// Messages per second at the end of the window.
    #[serde(with = "crate::value::opt")]
    pub rate: Option<f64>,
    pub unit: String,
    pub series: Vec<Point>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A sample of a graphed series; `v` is null where the series has no sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub t: EpochMs,
    #[serde(with = "crate::value::opt")]
    pub v: Option<f64>,
}

/// One alert (a rule and one label set of its result) over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertTimeline {
    /// The `alertname`.
    pub name: String,
    pub stage: String,
    pub severity: String,
    /// The alert's labels as Prometheus would send them (result labels, rule labels, `alertname`).
    pub labels: Labels,
    /// State at the last tick.
    pub state: AlertState,
    /// When the current pending/firing episode started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_at: Option<EpochMs>,
    /// True when an episode in this timeline began so long ago (over a day
    /// before the window) that its `activeAt` is only an upper bound; states are exact regardless.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub active_at_is_bound: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Set when the rule could not be evaluated (upstream error, bad query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Set when the rule's input series do not exist, so it can never fire.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nodata: bool,
    pub timeline: Vec<TimelinePoint>,
}

/// The alert at one evaluation tick.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelinePoint {
    pub t: EpochMs,
    pub state: AlertState,
    /// The rule expression's value for this label set at `t`; null when it returned no sample.
    #[serde(with = "crate::value::opt")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_at: Option<EpochMs>,
}

/// `GET v1/rules` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesResponse {
    pub evaluation_interval: String,
    /// Where the rules come from: `default` or `settings` (`jsonData.rulesYaml`).
    pub source: String,
    pub rules: Vec<RuleInfo>,
}

/// One alerting rule in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleInfo {
    pub name: String,
    pub group: String,
    pub stage: String,
    /// How the stage was decided: `label` (the rule's `stage` label) or `default` (built-in mapping).
    pub stage_source: String,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: String,
    pub keep_firing_for: String,
    pub severity: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Vector selectors the rule reads, for no-data detection.
    pub selectors: Vec<String>,
}

/// `GET v1/pipeline` answer: the stages and edges in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineResponse {
    pub pipeline: PipelineSpec,
}

/// `POST v1/stage-metrics` request body: a stage's raw panels over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageMetricsRequest {
    pub stage: String,
    pub from: EpochMs,
    pub to: EpochMs,
    /// Upper bound on points per series (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_points: Option<u32>,
}

/// `POST v1/stage-metrics` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageMetricsResponse {
    pub stage: String,
    pub step_ms: i64,
    pub panels: Vec<PanelSeries>,
}

/// One raw panel's series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelSeries {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel_id: Option<u32>,
    pub title: String,
    pub unit: String,
    pub series: Vec<NamedSeries>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// A labelled series of one query target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedSeries {
    pub ref_id: String,
    pub legend: String,
    pub labels: Labels,
    pub points: Vec<Point>,
}

/// Every error answer of the resource API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// Machine-readable kind: `bad_request`, `not_found`, `method_not_allowed`, `settings`, `upstream`, `internal`.
    pub code: String,
    pub error: String,
    /// The settings or request field at fault, when there is one (`jsonData.prometheusUrl`, `from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The app's `jsonData` fields the backend reads, as the config page edits them.
///
/// Absent or empty fields take the documented defaults. `pipeline` is JSON text here (the form edits
/// it as text); provisioning may give it as an object, which the backend accepts too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AppJsonData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<String>,
    /// Mimir/Cortex tenant, sent as `X-Scope-OrgID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_yaml: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// Basic auth user; its password is the secret `basicAuthPassword`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth_user: Option<String>,
}

/// The secrets the app keeps in `secureJsonData`: written by the config page, never read back.
pub const SECRET_KEYS: [&str; 2] = ["bearerToken", "basicAuthPassword"];

/// Body of `POST v1/settings/check`: settings the config page is about to save, checked by the
/// backend's own parser first so a typo never replaces working settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SettingsCheckRequest {
    pub json_data: AppJsonData,
    /// Secrets as Grafana would merge them: a key sent replaces the stored value (empty clears it),
    /// a key not sent keeps the stored one.
    #[serde(default)]
    pub secure_json_data: BTreeMap<String, String>,
}

/// Answer of `v1/settings/check` when the settings are usable (otherwise an [`ApiError`] naming the field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SettingsCheckResponse {
    pub prometheus_url: String,
    pub evaluation_interval: String,
    /// `none`, `bearer` or `basic`.
    pub auth: String,
    pub rules: usize,
    /// `default` or `settings`.
    pub rules_source: String,
    pub stages: usize,
}

/// `jsonDetails` of CheckHealth, for the app's config page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HealthDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_url: Option<String>,
    pub reachable: bool,
    pub auth_accepted: bool,
    pub metrics_present: Vec<String>,
    pub metrics_missing: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}
