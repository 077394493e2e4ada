//! Which stage holds the pipeline back, in Google Cloud Dataflow's vocabulary for its bottlenecks
//! ("Processing is stuck and not making progress", "… ongoing but falling behind", "… ongoing but
//! the backlog is steady", "… ongoing and catching up from a backlog"), plus a stage without a
//! backlog failing its own rules. The rule that picks one is the backend's
//! (`backend/src/bottleneck.rs`); the words both sides show are here.

use serde::{Deserialize, Serialize};

/// How a stage holds the pipeline back, most limiting first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BottleneckKind {
    /// Its consumer takes nothing (Burrow's stop, stall or rewind) while there is a backlog.
    Stuck,
    /// Its backlog grows while its consumer moves.
    FallingBehind,
    /// No backlog of its own, and its rules say it is unhealthy.
    Failing,
    /// Unhealthy with a backlog that neither grows nor falls.
    SteadyBacklog,
    /// Unhealthy, its backlog falling.
    CatchingUp,
}

impl BottleneckKind {
    /// Dataflow's words for its kinds, ours for a failing stage.
    pub fn words(self) -> &'static str {
        match self {
            BottleneckKind::Stuck => "stuck and not making progress",
            BottleneckKind::FallingBehind => "ongoing but falling behind",
            BottleneckKind::Failing => "failing its own alert rules",
            BottleneckKind::SteadyBacklog => "ongoing but the backlog is steady",
            BottleneckKind::CatchingUp => "ongoing and catching up from a backlog",
        }
    }
}

/// The stage that holds the pipeline back now, and those that only suffer from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bottleneck {
    pub stage: String,
    pub kind: BottleneckKind,
    /// "Jangar ingest is the bottleneck: processing is stuck and not making progress".
    pub why: String,
    /// The stages that only suffer from it, each with the sentence why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symptoms: Vec<Symptom>,
}

impl Bottleneck {
    /// Stage `id`'s part: `(true, why)` for the cause, `(false, why)` for a symptom.
    pub fn part_of(&self, id: &str) -> Option<(bool, &str)> {
        if self.stage == id {
            return Some((true, &self.why));
        }
        self.symptoms.iter().find(|s| s.stage == id).map(|s| (false, s.why.as_str()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Symptom {
    pub stage: String,
    /// "NATS agent comms: its backlog is the one Jangar ingest does not take".
    pub why: String,
}

/// A stage's part at `t` from its runs (`StageHealth.bottleneckRuns`: `[from, cause, why]`, `why`
/// empty while it plays none): `(cause, why)`, or `None`.
pub fn part_at(runs: &[(i64, bool, String)], t: i64) -> Option<(bool, &str)> {
    let (_, cause, why) = runs.iter().rev().find(|r| r.0 <= t)?;
    (!why.is_empty()).then_some((*cause, why.as_str()))
}

/// The bottleneck from tick `from` on, until the next run; `None`: no stage holds the pipeline back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BottleneckRun {
    pub from: i64,
    pub bottleneck: Option<Bottleneck>,
}
