//! The bottleneck: the one stage that holds the pipeline back now, and the stages that only suffer
//! from it, so the on-call engineer fixes the cause, not a symptom.
//!
//! Each stage gets a kind ([`BottleneckKind`], Dataflow's vocabulary) from what is known of it now:
//! a backlog stage is `stuck` when its consumer is (Burrow's stop, stall or rewind), `fallingBehind`
//! when its backlog grows, and, when its alerts make it unhealthy, `steadyBacklog` or `catchingUp`
//! by its trend; a stage without a backlog is `failing` when its alerts make it unhealthy. Then:
//!
//! 1. A stage whose backlog is also read by a stage after it (NATS' pending, which Jangar's ingest
//!    consumes) defers to that stage when both have a kind: the consumer holds the backlog back,
//!    and the queue only shows it.
//! 2. Of the rest, the most limiting kind wins (stuck, falling behind, failing, steady backlog,
//!    catching up), and of equals the stage furthest along the pipeline (Kafka and JetStream keep
//!    their messages, so a stall rarely pushes back upstream; what is after a stall starves).
//! 3. Its symptoms: the stages that deferred to it, and the unhealthy stages after it.
//!
//! Pure: the pipeline and its stages' health in, the bottleneck out.

use codexflow_core::bottleneck::{Bottleneck, BottleneckKind, Symptom};
use codexflow_core::pipeline::PipelineSpec;
use codexflow_core::queue::Trend;
use codexflow_core::StageStatus;

use crate::moment::StageAt;

fn unhealthy(s: &StageAt) -> bool {
    matches!(s.status, StageStatus::Warning | StageStatus::Critical)
}

/// What kind of bottleneck stage `s` would be, if any.
fn kind(s: &StageAt) -> Option<BottleneckKind> {
    let Some(q) = s.queue else {
        return unhealthy(s).then_some(BottleneckKind::Failing);
    };
    if q.consumer.is_stuck() && q.backlog.is_some_and(|b| b > 0.0) {
        return Some(BottleneckKind::Stuck);
    }
    match q.trend {
        Trend::Growing => Some(BottleneckKind::FallingBehind),
        Trend::Steady if unhealthy(s) => Some(BottleneckKind::SteadyBacklog),
        Trend::Draining if unhealthy(s) => Some(BottleneckKind::CatchingUp),
        _ => unhealthy(s).then_some(BottleneckKind::Failing),
    }
}

/// Whether stage `to` can be reached from `from` along `edges` (stage indices below `n`; bounded:
/// each stage once).
fn reaches(edges: &[(usize, usize)], n: usize, from: usize, to: usize) -> bool {
    let mut seen = vec![false; n];
    let mut next = vec![from];
    while let Some(u) = next.pop() {
        for &(_, v) in edges.iter().filter(|e| e.0 == u) {
            if v == to {
                return true;
            }
            if !seen[v] {
                seen[v] = true;
                next.push(v);
            }
        }
    }
    false
}

/// How far along the pipeline each stage is: the most edges on a path into it (cycles bounded).
fn depth(edges: &[(usize, usize)], n: usize) -> Vec<usize> {
    let mut depth = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for &(u, v) in edges {
            if depth[u] + 1 > depth[v] && depth[u] < n {
                depth[v] = depth[u] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    depth
}

/// The bottleneck now, or `None` when no stage holds the pipeline back.
pub fn bottleneck(pipeline: &PipelineSpec, stages: &[StageAt]) -> Option<Bottleneck> {
    let n = pipeline.stages.len().min(stages.len());
    let kinds: Vec<Option<BottleneckKind>> = stages[..n].iter().map(kind).collect();
    let edges: Vec<(usize, usize)> = pipeline.edge_indices().into_iter().filter(|&(u, v)| u < n && v < n).collect();
    let backlog = |i: usize| pipeline.stages[i].queue.as_ref().map(|q| q.backlog.trim());
    // 1. A queue defers to the stage after it that consumes the same backlog.
    let defers_to: Vec<Option<usize>> = (0..n)
        .map(|u| {
            (0..n).find(|&v| {
                v != u
                    && kinds[v].is_some()
                    && backlog(u).is_some()
                    && backlog(u) == backlog(v)
                    && reaches(&edges, n, u, v)
            })
        })
        .collect();
    let depth = depth(&edges, n);
    // 2. The most limiting kind, then the furthest along.
    let cause = (0..n)
        .filter(|&i| kinds[i].is_some() && defers_to[i].is_none())
        .min_by(|&a, &b| kinds[a].cmp(&kinds[b]).then(depth[b].cmp(&depth[a])))?;
    let kind = kinds[cause]?;
    let name = |i: usize| stages[i].name;
    // 3. Its symptoms.
    let mut symptoms = Vec::new();
    for i in (0..n).filter(|&i| i != cause) {
        let why = if kinds[i].is_some() && defers_to[i] == Some(cause) {
            format!("{}: its backlog is the one {} does not keep up with", name(i), name(cause))
        } else if unhealthy(&stages[i]) && reaches(&edges, n, cause, i) {
            format!("{}: after {}, it gets what {} lets through", name(i), name(cause), name(cause))
        } else {
            continue;
        };
        symptoms.push(Symptom { stage: stages[i].id.to_string(), why });
    }
    Some(Bottleneck {
        stage: stages[cause].id.to_string(),
        kind,
        why: format!("{} is the bottleneck: processing is {}", name(cause), kind.words()),
        symptoms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use codexflow_core::api::StageHealth;
    use codexflow_core::queue::{ConsumerStatus, QueueInsight};

    /// The rule on the stages as an evaluation has them now.
    fn bottleneck(pipeline: &PipelineSpec, stages: &[StageHealth]) -> Option<Bottleneck> {
        super::bottleneck(pipeline, &crate::moment::now(stages))
    }

    /// A stage's status, and for a backlog stage its trend, consumer and backlog.
    type State = (StageStatus, Option<(Trend, ConsumerStatus, f64)>);

    /// The default pipeline's four stages in these states.
    fn stages(states: [State; 4]) -> Vec<StageHealth> {
        let pipeline = crate::defaults::pipeline();
        pipeline
            .stages
            .iter()
            .zip(states)
            .map(|(spec, (status, queue))| {
                let mut s = crate::datasource::frames::tests::stage(&spec.id, &[status]);
                s.name = spec.name.clone();
                s.queue = spec.queue.as_ref().map(|_| {
                    let (trend, consumer, backlog) = queue.unwrap_or((Trend::Steady, ConsumerStatus::Ok, 40.0));
                    QueueInsight { trend, consumer, backlog: Some(backlog), ..Default::default() }
                });
                s
            })
            .collect()
    }

    use ConsumerStatus::{Ok as Fine, Stall, Stop};
    use StageStatus::{Ok, Warning};
    use Trend::{Draining, Growing, Steady};

    #[test]
    fn the_scripted_incidents_name_their_cause() {
        let p = crate::defaults::pipeline();
        let healthy = (Ok, None);
        // Jangar stops: NATS' backlog (its own) grows and stalls with it; NATS only shows it.
        let jangar_stops = stages([
            healthy,
            (Warning, Some((Growing, Stall, 2600.0))),
            (Warning, Some((Growing, Stall, 2600.0))),
            healthy,
        ]);
        let b = bottleneck(&p, &jangar_stops).unwrap();
        // Each stage's part, for the panel.
        let parts: Vec<_> = jangar_stops.iter().map(|s| b.part_of(&s.id)).collect();
        assert_eq!(parts, [None, Some((false, b.symptoms[0].why.as_str())), Some((true, b.why.as_str())), None]);
        assert_eq!((b.stage.as_str(), b.kind), ("jangar", BottleneckKind::Stuck));
        assert_eq!(b.why, "Jangar ingest is the bottleneck: processing is stuck and not making progress");
        assert_eq!(b.symptoms.len(), 1);
        assert_eq!(
            (b.symptoms[0].stage.as_str(), b.symptoms[0].why.as_str()),
            ("nats", "NATS agent comms: its backlog is the one Jangar ingest does not keep up with")
        );
        // The Kafka consumer stops: Kafka, alone.
        let b = bottleneck(&p, &stages([(Ok, Some((Growing, Stop, 700.0))), healthy, healthy, healthy])).unwrap();
        assert_eq!((b.stage.as_str(), b.kind, b.symptoms.len()), ("kafka", BottleneckKind::Stuck, 0));
        // SSE errors: SSE alone, the queues fine.
        let b = bottleneck(&p, &stages([healthy, healthy, healthy, (Warning, None)])).unwrap();
        assert_eq!((b.stage.as_str(), b.kind, b.symptoms.len()), ("sse", BottleneckKind::Failing, 0));
        // A stuck queue limits more than a failing stage after it, which then only suffers.
        let b = bottleneck(&p, &stages([(Warning, Some((Growing, Stall, 900.0))), healthy, healthy, (Warning, None)]))
            .unwrap();
        assert_eq!(b.stage, "kafka");
        assert_eq!(b.symptoms.iter().map(|s| s.stage.as_str()).collect::<Vec<_>>(), ["sse"]);
        // An unhealthy queue holding its level; one catching up ranks below it.
        let b = bottleneck(
            &p,
            &stages([
                (Warning, Some((Draining, Fine, 1200.0))),
                (Warning, Some((Steady, Fine, 2400.0))),
                healthy,
                healthy,
            ]),
        )
        .unwrap();
        assert_eq!((b.stage.as_str(), b.kind), ("nats", BottleneckKind::SteadyBacklog));
        // Healthy, or only catching up while healthy: no bottleneck.
        assert_eq!(bottleneck(&p, &stages([healthy, healthy, healthy, healthy])), None);
        assert_eq!(bottleneck(&p, &stages([(Ok, Some((Draining, Fine, 500.0))), healthy, healthy, healthy])), None);
    }

    #[test]
    fn cycles_and_unknown_stages_stay_bounded() {
        let mut p = crate::defaults::pipeline();
        p.edges.push(codexflow_core::pipeline::EdgeSpec {
            from: "sse".into(),
            to: "kafka".into(),
            ..p.edges[0].clone()
        });
        let s = stages([(Ok, None), (Ok, None), (Ok, None), (Warning, None)]);
        assert_eq!(bottleneck(&p, &s).map(|b| b.stage), Some("sse".to_string()));
        assert_eq!(bottleneck(&p, &s[..2]), None, "fewer stages than the pipeline: only those");
    }
}
