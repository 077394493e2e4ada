//! The pipeline as data: stages, their headline and raw queries, and the edges between them.
//!
//! Stages and edges come from settings (`jsonData.pipeline`) so a team can
//! draw its own pipeline without a new build; the Codex pipeline is only the
//! default. Ids end up in DOM test ids and URLs, so they are kept to a safe alphabet.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::limits::{MAX_EDGES, MAX_RAW_PANELS, MAX_STAGES, MAX_TARGETS};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSpec {
    pub stages: Vec<StageSpec>,
    #[serde(default)]
    pub edges: Vec<EdgeSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageSpec {
    pub id: String,
    pub name: String,
    pub headline: HeadlineSpec,
    /// The stage's raw panels, for the drill-down.
    #[serde(default)]
    pub raw_panels: Vec<RawPanelSpec>,
    /// A stage that holds a backlog (a consumer lag, a pending count): what queue insight reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSpec>,
}

/// The queries behind a backlog stage's insight (`StageHealth.queue`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueSpec {
    /// The backlog, messages: one series (aggregate it).
    pub backlog: String,
    /// The consumer's position (committed offset, ack floor, rows inserted), one series that only
    /// grows while the consumer works; without it the consumer status reads the backlog alone.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub position: String,
    /// The position is a counter (rows inserted): a drop is a restart, not a rewind.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub position_is_counter: bool,
    /// The alert whose `X > N` gives the threshold the insight counts down to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alert: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadlineSpec {
    /// Word before the number (`lag`), may be empty.
    #[serde(default)]
    pub label: String,
    pub expr: String,
    /// Unit after the number (`ins/s`), may be empty.
    #[serde(default)]
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawPanelSpec {
    /// The panel's id on the provisioned dashboard, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    pub title: String,
    #[serde(default)]
    pub unit: String,
    pub targets: Vec<RawTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawTarget {
    pub ref_id: String,
    #[serde(default)]
    pub legend: String,
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdgeSpec {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub label: String,
    /// Messages per second flowing along the edge.
    pub rate_expr: String,
    #[serde(default = "default_edge_unit")]
    pub unit: String,
}

fn default_edge_unit() -> String {
    "msg/s".to_string()
}

impl PipelineSpec {
    /// Checks what serde cannot: non-empty, unique, well-formed ids; edges between known stages.
    pub fn validate(&self) -> Result<(), FieldError> {
        let err = |field: String, message: &str| Err(FieldError::new(field, message));
        if self.stages.is_empty() {
            return err("stages".into(), "at least one stage is required");
        }
        if self.stages.len() > MAX_STAGES {
            return err("stages".into(), &format!("{} stages, more than the {MAX_STAGES} allowed", self.stages.len()));
        }
        if self.edges.len() > MAX_EDGES {
            return err("edges".into(), &format!("{} edges, more than the {MAX_EDGES} allowed", self.edges.len()));
        }
        for (i, stage) in self.stages.iter().enumerate() {
            let at = |f: &str| format!("stages[{i}].{f}");
            if !is_valid_id(&stage.id) {
                return err(at("id"), "must be 1-64 characters of a-z, 0-9, '-' or '_'");
            }
            if self.stages[..i].iter().any(|s| s.id == stage.id) {
                return err(at("id"), &format!("duplicate stage id \"{}\"", stage.id));
            }
            if stage.name.trim().is_empty() {
                return err(at("name"), "must not be empty");
            }
            if stage.headline.expr.trim().is_empty() {
                return err(at("headline.expr"), "must not be empty");
            }
            if stage.raw_panels.len() > MAX_RAW_PANELS {
                return err(
                    at("rawPanels"),
                    &format!("{} raw panels, more than the {MAX_RAW_PANELS} allowed", stage.raw_panels.len()),
                );
            }
            for (j, panel) in stage.raw_panels.iter().enumerate() {
                if panel.targets.len() > MAX_TARGETS {
                    return err(
                        at(&format!("rawPanels[{j}].targets")),
                        &format!("{} targets, more than the {MAX_TARGETS} allowed", panel.targets.len()),
                    );
                }
                if panel.targets.is_empty() {
                    return err(at(&format!("rawPanels[{j}].targets")), "at least one target is required");
                }
                for (k, target) in panel.targets.iter().enumerate() {
                    if target.expr.trim().is_empty() {
                        return err(at(&format!("rawPanels[{j}].targets[{k}].expr")), "must not be empty");
                    }
                }
            }
        }
        for (i, edge) in self.edges.iter().enumerate() {
            for (name, id) in [("from", &edge.from), ("to", &edge.to)] {
                if self.stage(id).is_none() {
                    return err(format!("edges[{i}].{name}"), &format!("unknown stage \"{id}\""));
                }
            }
            if edge.from == edge.to {
                return err(format!("edges[{i}].to"), "an edge must join two different stages");
            }
            if edge.rate_expr.trim().is_empty() {
                return err(format!("edges[{i}].rateExpr"), "must not be empty");
            }
        }
        Ok(())
    }

    pub fn stage(&self, id: &str) -> Option<&StageSpec> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// Each edge as the indices of its two stages, for walking the pipeline as a graph; an edge
    /// naming a stage the spec does not have (one not validated) is left out.
    pub fn edge_indices(&self) -> Vec<(usize, usize)> {
        let index = |id: &str| self.stages.iter().position(|s| s.id == id);
        self.edges.iter().filter_map(|e| Some((index(&e.from)?, index(&e.to)?))).collect()
    }
}

/// Stage ids go into `data-testid` attributes and URLs.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= crate::limits::MAX_STAGE_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> PipelineSpec {
        serde_json::from_str(json).unwrap()
    }

    const TWO: &str = r#"{"stages":[
        {"id":"a","name":"A","headline":{"expr":"x"}},
        {"id":"b","name":"B","headline":{"expr":"y","unit":"msg/s"}}],
      "edges":[{"from":"a","to":"b","rateExpr":"rate(x[5m])"}]}"#;

    #[test]
    fn a_valid_spec_passes_and_defaults_fill_in() {
        let s = spec(TWO);
        assert_eq!(s.validate(), Ok(()));
        assert_eq!(s.edges[0].unit, "msg/s");
        assert!(s.stages[0].raw_panels.is_empty());
    }

    #[test]
    fn edges_as_stage_indices_leave_unknown_stages_out() {
        let mut s = spec(TWO);
        assert_eq!(s.edge_indices(), [(0, 1)]);
        s.edges.push(EdgeSpec { from: "b".into(), to: "gone".into(), ..s.edges[0].clone() });
        assert_eq!(s.edge_indices(), [(0, 1)]);
    }

    #[test]
    fn errors_name_the_field() {
        let mut s = spec(TWO);
        s.edges[0].to = "c".into();
        assert_eq!(s.validate().unwrap_err().field, "edges[0].to");
        let mut s = spec(TWO);
        s.stages[1].id = "a".into();
        assert_eq!(s.validate().unwrap_err().field, "stages[1].id");
        let mut s = spec(TWO);
        s.stages[0].id = "Bad Id".into();
        assert_eq!(s.validate().unwrap_err().field, "stages[0].id");
        let mut s = spec(TWO);
        s.stages[0].headline.expr = " ".into();
        assert_eq!(s.validate().unwrap_err().to_string(), "stages[0].headline.expr: must not be empty");
        let mut s = spec(TWO);
        s.stages.clear();
        s.edges.clear();
        assert_eq!(s.validate().unwrap_err().field, "stages");
        let mut s = spec(TWO);
        s.stages = (0..=MAX_STAGES).map(|i| StageSpec { id: format!("s{i}"), ..spec(TWO).stages[0].clone() }).collect();
        s.edges.clear();
        assert!(s.validate().unwrap_err().message.contains("more than the 500"));
    }
}
