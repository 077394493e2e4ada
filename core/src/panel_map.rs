//! `POST v1/panel-map`: which panels of the dashboard the flow panel sits on show each stage's raw
//! evidence, found by what they query. The panel walks its dashboard (rows, collapsed rows, library
//! panels as far as the model shows them; itself skipped), sends each panel's queries with Grafana's
//! variables already replaced, and the backend matches their metric names against each stage's
//! headline and raw-panel queries (the rule is in `docs/api.md`).

use serde::{Deserialize, Serialize};

/// One panel of the dashboard, in layout order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DashboardPanel {
    pub id: u32,
    #[serde(default)]
    pub title: String,
    /// Its queries' expressions (`targets[].expr`), variables replaced.
    #[serde(default)]
    pub exprs: Vec<String>,
}

/// `POST v1/panel-map` request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PanelMapRequest {
    pub panels: Vec<DashboardPanel>,
}

/// A panel found for a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FoundPanel {
    pub id: u32,
    pub title: String,
    /// The stage's metrics it reads.
    pub metrics: Vec<String>,
}

/// A stage and the panels that show it, in layout order (empty: none on this dashboard).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StageFound {
    pub stage: String,
    pub panels: Vec<FoundPanel>,
    /// The stage's own queries (headline, then raw panels), for Explore when no panel shows it.
    #[serde(default)]
    pub queries: Vec<String>,
}

/// A panel whose queries could not be read, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UnreadPanel {
    pub id: u32,
    pub error: String,
}

/// `POST v1/panel-map` answer: every stage of the pipeline, in its order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PanelMapResponse {
    pub stages: Vec<StageFound>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<UnreadPanel>,
}
