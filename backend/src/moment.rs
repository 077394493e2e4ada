//! What freshness and the bottleneck read of each stage at one moment: now (the evaluation's
//! stages) or a tick of the window (its status then, and its queue insight read as of that tick).

use codexflow_core::api::StageHealth;
use codexflow_core::queue::QueueInsight;
use codexflow_core::StageStatus;

#[derive(Debug, Clone, Copy)]
pub struct StageAt<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub status: StageStatus,
    /// A backlog stage's queue insight at the moment; `None` for the others.
    pub queue: Option<&'a QueueInsight>,
}

/// Every stage as the evaluation has it now.
pub fn now(stages: &[StageHealth]) -> Vec<StageAt<'_>> {
    stages.iter().map(|s| StageAt { id: &s.id, name: &s.name, status: s.status, queue: s.queue.as_ref() }).collect()
}
