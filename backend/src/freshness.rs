//! How old the data reaching the pipeline's clients is, now: each backlog stage's data age (the
//! time since the message its consumer takes was produced, [`crate::insight::data_age`]) summed
//! along the pipeline's edges to its last stage, the longest path winning, as a message waits in
//! each queue in turn. Two stages reading one backlog (the NATS consumer that is Jangar's ingest)
//! count it once: the downstream one adds only what its own age exceeds the upstream's by (Jangar
//! stalled while NATS still acks). A backlog stage whose age is not known makes the sum a lower
//! bound, and is named.
//!
//! Pure: the pipeline and its stages' insights in, the estimate out.

use codexflow_core::api::Freshness;
use codexflow_core::duration::humanize_duration;
use codexflow_core::pipeline::PipelineSpec;

use crate::moment::StageAt;

/// What one stage adds, and what is known of it.
#[derive(Debug, Clone, Default)]
struct Sum {
    ms: i64,
    bound: bool,
    unknown: Vec<String>,
}

/// The estimate for the stages of `pipeline`, in its order; `None` when no stage holds a backlog.
pub fn freshness(pipeline: &PipelineSpec, stages: &[StageAt]) -> Option<Freshness> {
    let n = pipeline.stages.len().min(stages.len());
    if !pipeline.stages[..n].iter().any(|s| s.queue.is_some()) {
        return None;
    }
    let edges: Vec<(usize, usize)> = pipeline.edge_indices().into_iter().filter(|&(u, v)| u < n && v < n).collect();
    let own = |i: usize| -> (Option<i64>, bool) {
        let age = stages[i].queue.map(|q| (q.age_ms, q.age_is_bound));
        match (&pipeline.stages[i].queue, age) {
            (None, _) => (Some(0), false),
            (Some(_), Some((ms, bound))) => (ms, bound),
            (Some(_), None) => (None, false),
        }
    };
    let backlog = |i: usize| pipeline.stages[i].queue.as_ref().map(|q| q.backlog.trim());
    // Longest path by relaxation, at most one pass per stage (a cycle cannot grow it further).
    let mut best: Vec<Sum> = (0..n)
        .map(|i| match own(i) {
            (Some(ms), bound) => Sum { ms, bound, unknown: Vec::new() },
            (None, _) => Sum { ms: 0, bound: true, unknown: vec![stages[i].name.to_string()] },
        })
        .collect();
    for _ in 0..n {
        let mut changed = false;
        for &(u, v) in &edges {
            let (own_v, bound_v) = own(v);
            let shared = backlog(u).is_some() && backlog(u) == backlog(v);
            let adds = match (own_v, shared) {
                (Some(ms), true) => ms.saturating_sub(own(u).0.unwrap_or(0)).max(0),
                (Some(ms), false) => ms,
                (None, _) => 0,
            };
            let ms = best[u].ms.saturating_add(adds);
            if ms > best[v].ms {
                let mut unknown = best[u].unknown.clone();
                if own_v.is_none() && !shared {
                    unknown.push(stages[v].name.to_string());
                }
                best[v] = Sum { ms, bound: best[u].bound || bound_v || own_v.is_none(), unknown };
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // The clients are at the end: the stages no edge leaves; the oldest data among them.
    let last = (0..n).filter(|&i| !edges.iter().any(|e| e.0 == i)).max_by_key(|&i| best[i].ms)?;
    let Sum { ms, bound, unknown } = best[last].clone();
    let known_any = (0..n).any(|i| pipeline.stages[i].queue.is_some() && own(i).0.is_some());
    let line = match (known_any, bound, unknown.is_empty()) {
        (false, _, _) => "Clients' data age: not known".to_string(),
        (true, false, _) => format!("Clients' data ≈ {} old", humanize_duration(ms)),
        (true, true, true) => format!("Clients' data more than {} old", humanize_duration(ms)),
        (true, true, false) => {
            format!("Clients' data at least {} old; not known: {}", humanize_duration(ms), unknown.join(", "))
        }
    };
    Some(Freshness { age_ms: known_any.then_some(ms), at_least: bound, unknown, line, ..Default::default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use codexflow_core::api::StageHealth;
    use codexflow_core::queue::QueueInsight;

    /// The estimate on the stages as an evaluation has them now.
    fn freshness(pipeline: &PipelineSpec, stages: &[StageHealth]) -> Option<Freshness> {
        super::freshness(pipeline, &crate::moment::now(stages))
    }

    fn stages(ages: &[Option<(i64, bool)>]) -> Vec<StageHealth> {
        let pipeline = crate::defaults::pipeline();
        pipeline
            .stages
            .iter()
            .zip(ages)
            .map(|(spec, age)| {
                let mut s = crate::datasource::frames::tests::stage(&spec.id, &[]);
                s.name = spec.name.clone();
                s.queue = spec.queue.as_ref().map(|_| QueueInsight {
                    age_ms: age.map(|a| a.0),
                    age_is_bound: age.is_some_and(|a| a.1),
                    ..Default::default()
                });
                s
            })
            .collect()
    }

    #[test]
    fn ages_add_up_along_the_pipeline_and_a_shared_backlog_counts_once() {
        let p = crate::defaults::pipeline();
        // Kafka 20 s, NATS 8 s, Jangar (same backlog as NATS) 8 s: 28 s.
        let f =
            freshness(&p, &stages(&[Some((20_000, false)), Some((8_000, false)), Some((8_000, false)), None])).unwrap();
        assert_eq!((f.age_ms, f.at_least, f.line.as_str()), (Some(28_000), false, "Clients' data ≈ 28s old"));
        // Jangar stalled 60 s while NATS acks: Jangar's 68 s covers NATS' 8 s.
        let f = freshness(&p, &stages(&[Some((20_000, false)), Some((8_000, false)), Some((68_000, false)), None]))
            .unwrap();
        assert_eq!(f.age_ms, Some(88_000));
        // Kafka older than its window: a lower bound.
        let f =
            freshness(&p, &stages(&[Some((30_000, true)), Some((8_000, false)), Some((8_000, false)), None])).unwrap();
        assert_eq!((f.age_ms, f.line.as_str()), (Some(38_000), "Clients' data more than 38s old"));
        // NATS and Jangar unknown: at least Kafka's, and named.
        let f = freshness(&p, &stages(&[Some((20_000, false)), None, None, None])).unwrap();
        assert_eq!(f.line, "Clients' data at least 20s old; not known: NATS agent comms");
        assert_eq!(f.unknown, ["NATS agent comms"]);
        // Nothing known.
        let f = freshness(&p, &stages(&[None, None, None, None])).unwrap();
        assert_eq!((f.age_ms, f.line.as_str()), (None, "Clients' data age: not known"));
    }

    #[test]
    fn a_pipeline_without_backlogs_or_with_a_cycle_is_bounded() {
        let mut p = crate::defaults::pipeline();
        let s = stages(&[Some((1_000, false)), Some((1_000, false)), Some((1_000, false)), None]);
        p.edges.push(codexflow_core::pipeline::EdgeSpec {
            from: "sse".into(),
            to: "kafka".into(),
            ..p.edges[0].clone()
        });
        // Every stage has an edge out: no end; nothing to say rather than a guess.
        assert_eq!(freshness(&p, &s), None);
        for stage in &mut p.stages {
            stage.queue = None;
        }
        assert_eq!(freshness(&p, &s), None);
    }
}
