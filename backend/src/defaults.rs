//! The Codex pipeline and its runbook rules, shipped as data files.
//!
//! They are compiled in so the plugin works with nothing but a Prometheus URL,
//! and they are files (not code) so the same rules can be loaded into Mimir and
//! checked by `promtool`.

use codexflow_core::pipeline::PipelineSpec;

use crate::rules::RuleSet;

/// The rules file shipped in `provisioning/rules/`, identical to what the ruler runs.
pub const RULES_YAML: &str = include_str!("../../provisioning/rules/codex-pipeline-observability.rules.yaml");

/// Kafka completions → NATS agent comms → Jangar ingest → SSE, with the runbook's raw panels.
pub const PIPELINE_JSON: &str = include_str!("../defaults/pipeline.json");

/// The default rules. The file is ours and is tested, so failing to parse it is a build defect.
pub fn rules() -> RuleSet {
    RuleSet::parse(RULES_YAML).expect("shipped rules file parses (tested)")
}

/// The default pipeline; see [`rules`] for why this may panic.
pub fn pipeline() -> PipelineSpec {
    serde_json::from_str(PIPELINE_JSON).expect("shipped pipeline.json parses (tested)")
}

#[cfg(test)]
mod tests {
    #[test]
    fn shipped_defaults_are_valid() {
        let p = super::pipeline();
        p.validate().unwrap();
        crate::promql::check_pipeline_queries(&p).unwrap();
        let panel_ids: Vec<_> = p.stages.iter().flat_map(|s| s.raw_panels.iter().filter_map(|r| r.id)).collect();
        assert_eq!(panel_ids, (1..=9).collect::<Vec<_>>());
        assert_eq!(super::rules().rules.len(), 4);
    }

    /// The shipped rules and raw panels are the upstream ones, query for query. The reference is a
    /// copy in `tests/fixtures/reference/`; `scripts/test.sh` checks it against `../shared/reference`.
    #[test]
    fn defaults_match_the_upstream_reference() {
        let text = include_str!("../../tests/fixtures/reference/upstream-dashboard-panels.json");
        let reference: serde_json::Value = serde_json::from_str(text).unwrap();

        let mut rules = super::rules();
        crate::rules::stage::assign(&mut rules, &super::pipeline(), &Default::default());
        let upstream_rules = reference["alert_rules"]["rules"].as_array().unwrap();
        assert_eq!(rules.rules.len(), upstream_rules.len());
        for (ours, theirs) in rules.rules.iter().zip(upstream_rules) {
            assert_eq!(ours.name, theirs["alert"].as_str().unwrap());
            assert_eq!(ours.expr, theirs["expr"].as_str().unwrap(), "{}", ours.name);
            assert_eq!(ours.stage.as_deref(), theirs["stage"].as_str());
            assert_eq!(ours.severity, theirs["severity"].as_str().unwrap());
            let hold = codexflow_core::duration::parse_duration(theirs["for"].as_str().unwrap()).unwrap();
            assert_eq!(ours.timing.hold_ms, hold);
        }

        let pipeline = super::pipeline();
        for panel in reference["panels"].as_array().unwrap() {
            let id = panel["id"].as_u64().unwrap() as u32;
            let stage = pipeline.stage(panel["stage"].as_str().unwrap()).unwrap();
            let ours = stage.raw_panels.iter().find(|p| p.id == Some(id)).unwrap();
            assert_eq!(ours.title, panel["title"].as_str().unwrap());
            let targets = panel["targets"].as_array().unwrap();
            assert_eq!(ours.targets.len(), targets.len());
            for (t, r) in ours.targets.iter().zip(targets) {
                assert_eq!(t.expr, r["expr"].as_str().unwrap(), "panel {id}");
                assert_eq!(t.ref_id, r["refId"].as_str().unwrap());
                assert_eq!(t.legend, r["legend"].as_str().unwrap());
            }
        }
    }
}
