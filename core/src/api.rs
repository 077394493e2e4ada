//! The JSON contract of the backend's resource API (`docs/api.md`).
//!
//! These types are compiled into both the backend and the WASM panel, so a
//! field renamed on one side fails to compile on the other. Field names are
//! camelCase on the wire because outside tools read them.
//!
//! A field the panel never reads is not decoded in the wasm32 build
//! (`cfg_attr(target_arch = "wasm32", serde(skip_deserializing))`): serde then skips it like an
//! unknown key, and its decoder stays out of the panel's `.wasm`. The type, and what the backend
//! sends, stay one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alerting::AlertState;
use crate::compact::{AlertRuns, Encoding, Sample, StatusRun};
use crate::error::ErrorCode;
use crate::labels::Labels;
use crate::pipeline::PipelineSpec;
use crate::settings::{AppJsonData, AuthKind, RulesChoice};
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
    /// `runs` asks for the compact answer (`crate::compact`); per tick when absent.
    #[serde(default, skip_serializing_if = "Encoding::is_per_tick")]
    pub encoding: Encoding,
}

/// `POST v1/evaluate` answer: the pipeline's health over `[from, to]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateResponse {
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub from: EpochMs,
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub to: EpochMs,
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub interval_ms: i64,
    /// Every evaluation tick in `[from, to]`, oldest first; each alert timeline has one entry per tick.
    pub ticks: Vec<EpochMs>,
    pub stages: Vec<StageHealth>,
    pub edges: Vec<EdgeHealth>,
    /// Where the rules came from, and why that source (a fallback says what failed).
    pub source: SourceNote,
    /// The rule groups, each with the ticks its rules are evaluated at.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default)]
    pub groups: Vec<GroupSummary>,
    /// The rules evaluated; each alert names its rule by index here.
    pub rules: Vec<RuleSummary>,
    pub alerts: Vec<AlertTimeline>,
    /// What the Alertmanager (`jsonData.alertmanagerUrl`) said; absent when none is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub alertmanager: Option<AlertmanagerNote>,
    /// `runs` when the timelines and graphs below are compact (`crate::compact`).
    #[serde(default, skip_serializing_if = "Encoding::is_per_tick")]
    pub encoding: Encoding,
    /// Compact form: the instants every graph's `seriesValues` are at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spark: Option<Vec<EpochMs>>,
    /// How old the data reaching the clients is now; absent for a pipeline without backlog stages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freshness: Option<Freshness>,
    /// The stage that holds the pipeline back now, and its symptoms; absent when none does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub bottleneck: Option<crate::bottleneck::Bottleneck>,
    /// The bottleneck over the window and now, as runs: each holds from its tick to the next
    /// run's; the last is the one in force at `to`, `bottleneck`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub bottleneck_runs: Vec<crate::bottleneck::BottleneckRun>,
}

/// The clients' data age (`backend/src/freshness.rs`): each backlog stage's data age summed along
/// the pipeline to its last stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Freshness {
    /// Milliseconds; absent when no backlog stage's age is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub age_ms: Option<i64>,
    /// `age_ms` is a lower bound: a stage's data is older than its window, or not known.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub at_least: bool,
    /// The backlog stages on the way whose age is not known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub unknown: Vec<String>,
    /// In words, what the panel shows: "Clients' data ≈ 28s old".
    pub line: String,
    /// At each tick of `ticks`: `[ageMs or null, atLeast]`; empty when the window is not read
    /// tick by tick.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub timeline: Vec<(Option<i64>, bool)>,
    /// `line` at each tick of `ticks`, for time travel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

/// The Alertmanager's answer in brief, or why there is none (then no alert is marked suppressed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerNote {
    pub url: String,
    /// How many alerts and silences it listed.
    #[serde(default)]
    pub alerts: usize,
    #[serde(default)]
    pub silences: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why the Alertmanager is not notifying about a firing alert: the silences that match it, the
/// alerts that inhibit it. `AlertTimeline.heldBack` says it in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Suppressed {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub silences: Vec<SilenceNote>,
    #[serde(default, skip_serializing_if = "crate::api::is_zero")]
    pub inhibited_by: usize,
    /// Matching silences beyond the [`crate::limits::MAX_SILENCES_NAMED`] named in `silences`.
    #[serde(default, skip_serializing_if = "crate::api::is_zero")]
    pub more_silences: usize,
}

/// One silence, as Alertmanager's API v2 gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SilenceNote {
    pub id: String,
    pub created_by: String,
    pub comment: String,
    /// When it ends; null when the Alertmanager wrote a time that cannot be read.
    #[serde(default)]
    pub ends_at: Option<EpochMs>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Which rules source was used and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceNote {
    pub source: RulesSource,
    /// Why this source: "jsonData.rulesSource is ruler", "the ruler has 2 of the configured groups".
    pub why: String,
    /// Set when the source asked for could not be used (the ruler failed or lacks the groups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

/// One rule group and how its evaluation ticks were placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GroupSummary {
    pub name: String,
    /// The rule file (Prometheus, vmalert) or namespace (Mimir); empty for built-in and YAML rules.
    #[serde(default)]
    pub file: String,
    /// The group's evaluation interval: its own, else the request's or the app's.
    pub interval_ms: i64,
    /// Ticks are the instants `phaseMs + k × intervalMs` since the epoch.
    pub phase_ms: i64,
    pub phase: PhaseSource,
    /// When the ruler last evaluated the group (ruler source only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluation: Option<EpochMs>,
    /// How long that evaluation took.
    #[serde(default, with = "crate::value::opt", skip_serializing_if = "Option::is_none")]
    pub evaluation_time_ms: Option<f64>,
}

/// How a group's ticks were placed within its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PhaseSource {
    /// Multiples of the interval since the epoch: no ruler phase is known (YAML, built-in rules).
    #[default]
    Epoch,
    /// Prometheus' own slot for the group (a hash of its file and name), confirmed by the group's
    /// `lastEvaluation`.
    GroupHash,
    /// The ruler aligns evaluation time to the interval (vmalert's default), plus its `eval_offset`.
    Aligned,
    /// The phase of the ruler's `lastEvaluation`, to the millisecond (other rulers, e.g. Mimir).
    LastEvaluation,
}

crate::by_name!(PhaseSource { Epoch = "epoch", GroupHash = "groupHash", Aligned = "aligned", LastEvaluation = "lastEvaluation" });

impl PhaseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseSource::Epoch => "epoch",
            PhaseSource::GroupHash => "groupHash",
            PhaseSource::Aligned => "aligned",
            PhaseSource::LastEvaluation => "lastEvaluation",
        }
    }
}

/// A rule as the ruler itself reports it (`/api/v1/rules`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RulerStatus {
    pub health: RuleHealth,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_evaluation: Option<EpochMs>,
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default, with = "crate::value::opt", skip_serializing_if = "Option::is_none")]
    pub evaluation_time_ms: Option<f64>,
    /// The rule's state as the ruler reports it now.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<AlertState>,
    /// Set when the ruler has not evaluated the rule's group for over two of its intervals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_for_ms: Option<i64>,
}

/// The ruler's `health` of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleHealth {
    Ok,
    /// Prometheus writes `err`; some rulers write `error`.
    Err,
    #[default]
    Unknown,
}

crate::by_name!(RuleHealth { Ok = "ok", Err = "err", Err = "error", Unknown = "unknown" } other Unknown);

/// One live alert as the ruler reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulerAlert {
    pub labels: Labels,
    pub state: AlertState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_at: Option<EpochMs>,
    #[serde(default, with = "crate::value::opt", skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// What the panel needs to know about a rule to explain its alerts at any moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RuleSummary {
    /// The `alertname`.
    pub name: String,
    pub group: String,
    /// Index of the rule's group in `groups`.
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default)]
    pub group_index: usize,
    /// The stage the rule speaks for; `None` for a rule no stage could be decided for.
    #[serde(default)]
    pub stage: Option<String>,
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    #[serde(default)]
    pub stage_source: StageSource,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub for_ms: i64,
    #[serde(default)]
    pub keep_firing_for_ms: i64,
    /// Set with `threshold` when the expression is `<something> <op> <number>`: reasons then
    /// quote the value and the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    #[serde(default, with = "crate::value::opt", skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The rule's `value_name` annotation: what the compared value is called ("lag").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_name: Option<String>,
    /// The rule's `summary` annotation, for reasons of rules that are not a plain comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// What the ruler reports about the deployed rule of this name in this group, when it runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruler: Option<RulerStatus>,
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
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub reason: Option<String>,
    pub headline: Headline,
    /// The headline query over the window, for the sparkline.
    pub series: Vec<Point>,
    /// Health at every tick (same length as `ticks`), for the state strip and time travel; empty in
    /// the compact form, which sends `statusRuns`.
    pub status_timeline: Vec<StageStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_runs: Option<Vec<StatusRun>>,
    /// Compact form: `series`' values at the answer's `spark` instants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_values: Option<Vec<Sample>>,
    /// Metric selectors of this stage's rules that have no series at all in the window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub missing_series: Vec<String>,
    /// A backlog stage's queue insight (the stage's `queue` in the pipeline spec); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<crate::queue::QueueInsight>,
    /// Every alert that makes the stage's status is one the Alertmanager holds silenced or
    /// inhibited: someone is on it. The status stays what the alerts say; the panel draws it calmer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suppressed: bool,
    /// Its part in the bottleneck over the window and now, as runs: `[t, cause, why]` holds from
    /// `t` to the next run (`cause`: it is the bottleneck, else a symptom; `why` empty while it
    /// plays none); the last run is the one in force at `to`, now. Empty when it never plays one.
    /// The panel marks its tiles from these rather than reading the response's `bottleneck` whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bottleneck_runs: Vec<(i64, bool, String)>,
    /// A backlog stage's data age at each tick of `ticks` (ms; null where not known), read as of
    /// that tick; empty for other stages, and when the window is not read tick by tick.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub age_timeline: Vec<Option<i64>>,
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
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
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
    /// Compact form: `series`' values at the answer's `spark` instants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_values: Option<Vec<Sample>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AlertTimeline {
    /// The `alertname`.
    pub name: String,
    /// Index of the alert's rule in `rules`.
    pub rule: usize,
    /// The stage the rule speaks for.
    pub stage: Option<String>,
    pub severity: String,
    /// The alert's labels as Prometheus would send them (result labels, rule labels, `alertname`).
    pub labels: Labels,
    /// The evaluation tick `state`, `activeAt` and `value` describe: the window's last tick, or the
    /// last one before `from` when the window holds none.
    pub at: EpochMs,
    /// State at `at`.
    pub state: AlertState,
    /// When the current pending/firing episode started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_at: Option<EpochMs>,
    /// True when an episode in this timeline began so long ago (over a day
    /// before the window) that its `activeAt` is only an upper bound; states are exact regardless.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub active_at_is_bound: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub reason: Option<String>,
    /// Set when the rule could not be evaluated (upstream error, bad query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Set when the rule's input series do not exist, so it can never fire.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nodata: bool,
    /// The rule's selectors that have no series at all (set with `nodata`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_series: Vec<String>,
    pub timeline: Vec<TimelinePoint>,
    /// Compact form: `timeline` as runs (empty `timeline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<AlertRuns>,
    /// Set when the alert is firing at `at` and the Alertmanager holds it silenced or inhibited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub suppressed: Option<Suppressed>,
    /// `suppressed` in words: "silenced by alice until 2026-12-01 22:00 UTC: draining after the
    /// deploy" (`core::silence`), what the panel shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_back: Option<String>,
    /// The rule's annotations (`summary`, `description`, `runbook_url`, …) expanded for this alert
    /// as Prometheus expands them, with its latest sample in the window; a template this backend
    /// does not run, or one with no sample to expand with, is as written.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub annotations: Labels,
    /// The tick whose sample `annotations` were expanded with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub annotations_at: Option<EpochMs>,
    /// The `runbook_url` annotation, when it is an absolute http or https link (only then linked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
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
    /// The ruler's state for this alert at this tick, read from the `ALERTS` series it wrote; absent
    /// when the ruler's view is unknown (it does not run the rule, or could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruler: Option<AlertState>,
    /// Whether `state` and `ruler` agree; absent when `ruler` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agrees: Option<bool>,
    /// A disagreement of one tick where the ruler shows the state these rules showed a tick earlier:
    /// the ruler saw the change one evaluation later, most likely because a sample reached it after
    /// it evaluated (or, with vmalert, because it measures `for` on its wall clock).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
}

impl TimelinePoint {
    /// A point with no ruler view.
    pub fn new(t: EpochMs, state: AlertState, value: Option<f64>, active_at: Option<EpochMs>) -> TimelinePoint {
        TimelinePoint { t, state, value, active_at, ruler: None, agrees: None, late: false }
    }
}

/// `GET v1/rules` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulesResponse {
    pub evaluation_interval: String,
    /// Where the rules come from, and why.
    pub source: SourceNote,
    pub groups: Vec<GroupSummary>,
    pub rules: Vec<RuleInfo>,
}

/// One alerting rule in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleInfo {
    pub name: String,
    pub group: String,
    /// The rule file or namespace the group comes from (ruler source).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file: String,
    pub stage: Option<String>,
    /// How the stage was decided.
    pub stage_source: StageSource,
    /// The decision in words: "reads kafka_consumergroup_lag, as stage kafka's headline does".
    pub stage_why: String,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: String,
    pub keep_firing_for: String,
    pub severity: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Vector selectors the rule reads, for no-data detection.
    pub selectors: Vec<String>,
    /// Why the rule cannot be evaluated here (it is still listed and shown as an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The ruler's own view of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruler: Option<RulerStatus>,
    /// The ruler's live alerts of the rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ruler_alerts: Vec<RulerAlert>,
}

/// Where the rules in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RulesSource {
    /// The ruler's rules API.
    Ruler,
    /// `jsonData.rulesYaml`.
    Yaml,
    /// The runbook's rules, built in.
    Builtin,
}

crate::by_name!(RulesSource { Ruler = "ruler", Yaml = "yaml", Builtin = "builtin" });

impl RulesSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RulesSource::Ruler => "ruler",
            RulesSource::Yaml => "yaml",
            RulesSource::Builtin => "builtin",
        }
    }
}

/// How a rule's stage was decided, in the order the decisions are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StageSource {
    /// The rule's `stage` label.
    Label,
    /// `jsonData.stageOf`.
    Setting,
    /// The built-in mapping of the four runbook alerts.
    Default,
    /// The metric names the rule reads are those of exactly one stage's queries.
    Inferred,
    /// No stage: the rule is evaluated and shown among the other alerts.
    #[default]
    Unassigned,
}

crate::by_name!(StageSource { Label = "label", Setting = "setting", Default = "default", Inferred = "inferred", Unassigned = "unassigned" });

impl StageSource {
    pub fn as_str(self) -> &'static str {
        match self {
            StageSource::Label => "label",
            StageSource::Setting => "setting",
            StageSource::Default => "default",
            StageSource::Inferred => "inferred",
            StageSource::Unassigned => "unassigned",
        }
    }
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
    /// Machine-readable kind.
    pub code: ErrorCode,
    pub error: String,
    /// The settings or request field at fault, when there is one (`jsonData.prometheusUrl`, `from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Body of `POST v1/settings/check`: settings the config page is about to save, checked by the
/// backend's own parser first so a typo never replaces working settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SettingsCheckRequest {
    pub json_data: AppJsonData,
    /// Secrets as Grafana would merge them: a key sent replaces the stored value (empty clears it),
    /// a key not sent keeps the stored one.
    #[serde(default)]
    pub secure_json_data: BTreeMap<String, String>,
}

/// Answer of `v1/settings/check` when the settings are usable (otherwise an [`ApiError`] naming the field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsCheckResponse {
    pub prometheus_url: String,
    pub evaluation_interval: String,
    pub auth: AuthKind,
    /// Rules in `rulesYaml` (or the built-in ones); the ruler's are counted when they are read.
    pub rules: usize,
    pub rules_source: RulesChoice,
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
    /// Which rules source is in force and why (a fallback says what failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_source: Option<SourceNote>,
    /// What the settled evaluations of these settings keep (`jsonData.settleTime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled: Option<SettledUse>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ApiError>,
}

/// The settled-evaluation store of one settings version, as CheckHealth reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettledUse {
    pub settle_ms: i64,
    /// Queries (expression, step, tick phase) with settled ticks kept.
    pub queries: usize,
    /// Bytes they hold, and what every settings version of the process may hold together.
    pub bytes: usize,
    pub process_bytes: usize,
    pub budget_bytes: usize,
    /// Since these settings were first used: ticks answered from what was kept, ticks asked of the
    /// upstream, and queries dropped to stay within the budget.
    pub ticks_reused: u64,
    pub ticks_asked: u64,
    pub evicted: u64,
}

/// The status word of Grafana's `GET /api/plugins/<id>/health` answer (pluginv2's `HealthStatus` name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HealthStatus {
    Ok,
    Error,
    #[serde(other)]
    Unknown,
}

/// Grafana's answer to `GET /api/plugins/<id>/health`: CheckHealth's result, `details` from its `jsonDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthAnswer {
    pub status: HealthStatus,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<HealthDetails>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_words_are_grafanas() {
        let a: HealthAnswer = serde_json::from_str(r#"{"status":"OK","message":"fine"}"#).unwrap();
        assert_eq!(a.status, HealthStatus::Ok);
        assert_eq!(serde_json::to_string(&HealthStatus::Error).unwrap(), "\"ERROR\"");
        assert_eq!(serde_json::from_str::<HealthStatus>("\"UNKNOWN\"").unwrap(), HealthStatus::Unknown);
    }

    #[test]
    fn sources_are_fixed_words() {
        for s in [RulesSource::Ruler, RulesSource::Yaml, RulesSource::Builtin] {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        for s in [
            StageSource::Label,
            StageSource::Setting,
            StageSource::Default,
            StageSource::Inferred,
            StageSource::Unassigned,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        for p in [PhaseSource::Epoch, PhaseSource::GroupHash, PhaseSource::Aligned, PhaseSource::LastEvaluation] {
            assert_eq!(serde_json::to_value(p).unwrap(), serde_json::json!(p.as_str()));
        }
        assert_eq!(serde_json::from_str::<RuleHealth>("\"unknown\"").unwrap(), RuleHealth::Unknown);
        assert_eq!(serde_json::from_str::<RuleHealth>("\"err\"").unwrap(), RuleHealth::Err);
    }
}
