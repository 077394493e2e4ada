//! Which stage each rule speaks for. Tried in order, the first that answers wins:
//! 1. the rule's `stage` label, when the pipeline has that stage;
//! 2. `jsonData.stageOf` (alert name → stage id; its stages are checked with the settings);
//! 3. the built-in mapping of the four runbook alerts;
//! 4. inferred: the metric names the rule's expression reads, against the metric names each
//!    stage's own headline and raw-panel queries read; the one stage sharing the most names wins;
//! 5. else unassigned: the rule is still evaluated and shown among the other alerts.
//!
//! Pure, and it never fails: an unfamiliar rule must never take the panel down.

use std::collections::{BTreeMap, BTreeSet};

use codexflow_core::api::StageSource;
use codexflow_core::pipeline::PipelineSpec;

use super::{RuleSet, DEFAULT_STAGE_OF};

/// Decides the stage of every rule of `set`.
pub fn assign(set: &mut RuleSet, pipeline: &PipelineSpec, stage_of: &BTreeMap<String, String>) {
    let stage_metrics = crate::stage_reads::per_stage(pipeline);
    let known = |id: &str| pipeline.stage(id).is_some();
    for rule in &mut set.rules {
        let mut notes: Vec<String> = Vec::new();
        let decided: Option<(String, StageSource, String)> = (|| {
            if let Some(stage) = rule.labels.get("stage") {
                if known(stage) {
                    return Some((stage.clone(), StageSource::Label, "its stage label".to_string()));
                }
                notes.push(format!("its stage label names {stage:?}, which the pipeline does not have"));
            }
            if let Some(stage) = stage_of.get(&rule.name).filter(|s| known(s)) {
                return Some((
                    stage.clone(),
                    StageSource::Setting,
                    format!("jsonData.stageOf maps {} to it", rule.name),
                ));
            }
            if let Some((_, stage)) =
                DEFAULT_STAGE_OF.iter().find(|(alert, _)| *alert == rule.name).filter(|(_, s)| known(s))
            {
                return Some((
                    stage.to_string(),
                    StageSource::Default,
                    "a runbook alert, mapped by the built-in table".to_string(),
                ));
            }
            let reads: BTreeSet<String> =
                rule.query.as_ref().map(|q| q.metric_names().into_iter().collect()).unwrap_or_default();
            match inferred(&reads, pipeline, &stage_metrics) {
                Ok((stage, shared)) => Some((
                    stage.clone(),
                    StageSource::Inferred,
                    format!("it reads {}, as stage {stage}'s queries do", shared.join(", ")),
                )),
                Err(why) => {
                    notes.push(why);
                    None
                }
            }
        })();
        match decided {
            Some((stage, source, why)) => {
                rule.stage = Some(stage);
                rule.stage_source = source;
                rule.stage_why = why;
            }
            None => {
                rule.stage = None;
                rule.stage_source = StageSource::Unassigned;
                rule.stage_why = format!("unassigned: {}", notes.join("; "));
            }
        }
    }
}

/// The stage whose queries share the most metric names with `reads`, if exactly one does
/// ([`crate::stage_reads::sharing_most`]): a rule tied between stages speaks for none of them.
fn inferred<'a>(
    reads: &BTreeSet<String>,
    pipeline: &'a PipelineSpec,
    stages: &[BTreeSet<String>],
) -> Result<(&'a String, Vec<String>), String> {
    if reads.is_empty() {
        return Err("its expression reads no metric by name".to_string());
    }
    let id = |i: usize| pipeline.stages.get(i).map(|s| &s.id);
    let mut best = crate::stage_reads::sharing_most(reads, stages);
    match best.len() {
        0 => Err(format!("no stage's queries read {}", reads.iter().cloned().collect::<Vec<_>>().join(", "))),
        1 => best.pop().and_then(|(i, shared)| Some((id(i)?, shared))).ok_or_else(String::new),
        _ => Err(format!(
            "it reads metrics of stages {} alike",
            best.iter().filter_map(|(i, _)| id(*i).map(String::as_str)).collect::<Vec<_>>().join(" and ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(yaml: &str) -> RuleSet {
        RuleSet::parse(yaml).unwrap()
    }

    fn decided(set: &RuleSet) -> Vec<(Option<&str>, StageSource)> {
        set.rules.iter().map(|r| (r.stage.as_deref(), r.stage_source)).collect()
    }

    #[test]
    fn the_runbook_rules_map_by_the_built_in_table() {
        let mut rules = crate::defaults::rules();
        assign(&mut rules, &crate::defaults::pipeline(), &BTreeMap::new());
        let got: Vec<_> = decided(&rules).into_iter().map(|(s, src)| (s.unwrap_or(""), src)).collect();
        assert_eq!(got, DEFAULT_STAGE_OF.map(|(_, s)| (s, StageSource::Default)));
    }

    #[test]
    fn each_decision_in_its_order() {
        let mut rules = set(concat!(
            "groups:\n- name: g\n  rules:\n",
            // label wins over everything
            "  - alert: CodexKafkaCompletionsLagHigh\n    expr: jetstream_consumer_num_pending > 1\n    labels: {stage: sse}\n",
            // an unknown stage label falls through to the setting
            "  - alert: Mapped\n    expr: up == 0\n    labels: {stage: nowhere}\n",
            // inferred from the metric it reads
            "  - alert: KafkaLagAny\n    expr: max(kafka_consumergroup_lag) > 5\n",
            // the most shared names win
            "  - alert: Mixed\n    expr: rate(jangar_agent_comms_inserted_total[5m]) == 0 and on() rate(jangar_agent_comms_ingest_errors_total[5m]) > 0 and on() rate(jetstream_stream_last_seq[5m]) > 0\n",
            // nothing the pipeline reads
            "  - alert: DiskFull\n    expr: node_filesystem_avail_bytes < 1e9\n",
            // no metric at all
            "  - alert: Always\n    expr: vector(1)\n",
        ));
        let stage_of: BTreeMap<String, String> = [("Mapped".to_string(), "jangar".to_string())].into();
        assign(&mut rules, &crate::defaults::pipeline(), &stage_of);
        assert_eq!(
            decided(&rules),
            [
                (Some("sse"), StageSource::Label),
                (Some("jangar"), StageSource::Setting),
                (Some("kafka"), StageSource::Inferred),
                (Some("jangar"), StageSource::Inferred),
                (None, StageSource::Unassigned),
                (None, StageSource::Unassigned),
            ]
        );
        assert_eq!(rules.rules[2].stage_why, "it reads kafka_consumergroup_lag, as stage kafka's queries do");
        assert!(
            rules.rules[4].stage_why.contains("no stage's queries read node_filesystem_avail_bytes"),
            "{}",
            rules.rules[4].stage_why
        );
        assert!(rules.rules[5].stage_why.contains("reads no metric"), "{}", rules.rules[5].stage_why);
    }

    #[test]
    fn a_tie_is_unassigned_and_says_between_whom() {
        let mut rules = set("groups:\n- name: g\n  rules:\n  - alert: Both\n    expr: kafka_consumergroup_lag > 0 and on() jetstream_consumer_num_pending > 0\n    labels: {stage: gone}\n");
        assign(&mut rules, &crate::defaults::pipeline(), &BTreeMap::new());
        assert_eq!(decided(&rules), [(None, StageSource::Unassigned)]);
        let why = &rules.rules[0].stage_why;
        assert!(
            why.contains("\"gone\", which the pipeline does not have") && why.contains("stages kafka and nats alike"),
            "{why}"
        );
    }
}
