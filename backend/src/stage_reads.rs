//! What a stage reads: the metric names of its headline and raw-panel queries, and which stage a set
//! of metric names points to. One rule for the three places that ask (a rule's inferred stage, a
//! dashboard's panels per stage, the metrics CheckHealth expects).

use std::collections::BTreeSet;

use codexflow_core::pipeline::{PipelineSpec, StageSpec};

use crate::promql::Query;

/// A stage's own queries: its headline, then its raw panels' targets.
pub fn exprs(stage: &StageSpec) -> impl Iterator<Item = &String> {
    std::iter::once(&stage.headline.expr).chain(stage.raw_panels.iter().flat_map(|p| p.targets.iter().map(|t| &t.expr)))
}

/// The metric names `exprs` read, sorted and distinct, and the errors of those that do not parse.
pub fn metric_names<'a>(exprs: impl IntoIterator<Item = &'a str>) -> (BTreeSet<String>, Vec<String>) {
    let (mut names, mut errors) = (BTreeSet::new(), Vec::new());
    for e in exprs.into_iter().filter(|e| !e.trim().is_empty()) {
        match Query::parse(e) {
            Ok(q) => names.extend(q.metric_names()),
            Err(err) => errors.push(err),
        }
    }
    (names, errors)
}

/// The metric names each stage's own queries read, in pipeline order (the shipped ones all parse).
pub fn per_stage(pipeline: &PipelineSpec) -> Vec<BTreeSet<String>> {
    pipeline.stages.iter().map(|s| metric_names(exprs(s).map(String::as_str)).0).collect()
}

/// The stages (indices into `stages`) sharing the most metric names with `reads`, and those names;
/// on a tie, every stage tied, in pipeline order; none when no stage shares any.
pub fn sharing_most(reads: &BTreeSet<String>, stages: &[BTreeSet<String>]) -> Vec<(usize, Vec<String>)> {
    let mut best: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, names) in stages.iter().enumerate() {
        let shared: Vec<String> = reads.intersection(names).cloned().collect();
        match best.first() {
            _ if shared.is_empty() => {}
            Some((_, b)) if shared.len() < b.len() => {}
            Some((_, b)) if shared.len() == b.len() => best.push((i, shared)),
            _ => best = vec![(i, shared)],
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_most_names_in_common_win_and_a_tie_names_every_stage_tied() {
        let stages = [set(&["a", "b"]), set(&["b", "c", "d"]), set(&["c", "d"])];
        let stage = |r: Vec<(usize, Vec<String>)>| r.into_iter().map(|(i, _)| i).collect::<Vec<_>>();
        assert_eq!(stage(sharing_most(&set(&["c", "d"]), &stages)), [1, 2]);
        assert_eq!(stage(sharing_most(&set(&["b", "c", "d"]), &stages)), [1]);
        assert_eq!(sharing_most(&set(&["a", "x"]), &stages), [(0, vec!["a".to_string()])]);
        assert!(sharing_most(&set(&["x"]), &stages).is_empty());
        let (names, errors) = metric_names(["sum(rate(x[5m])) + y", "", "sum("]);
        assert_eq!((names, errors.len()), (set(&["x", "y"]), 1));
    }
}
