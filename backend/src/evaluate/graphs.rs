//! The headline and edge series, at the spark ticks (which stay put as the window moves, so once
//! settled they are kept, `crate::settled`) and the newest tick: each asked for all graphs at once.
//!
//! A batch is one query of all (`crate::prom::marked`, marked `__codexflow_graph`). A batch that
//! fails (one expression erring upstream, too many series together, a limit of the upstream's) is
//! asked again one expression at a time, so a failing graph still degrades only itself.

use futures_util::future::join_all;

use super::plan::Plan;
use super::shared::{at_graph_ticks, Carrying};
use crate::budget::Budget;
use crate::prom::marked::{batched, split};
use crate::prom::PromError;
use crate::series::{merge, RangeSeries};
use crate::settled::Reader;

/// The label that tells the batch's series apart; `__` names are Prometheus' own, never a metric's.
const MARK: &str = "__codexflow_graph";
/// Expressions asked together for the newest tick.
const PER_BATCH: usize = 32;

/// Per expression of `exprs`, its series at [`Plan::spark_instants`]. Repeated expressions (a
/// stage's headline that is also an edge's rate) are asked once; those `carried` are read from a
/// rule's answer over ticks holding theirs (`super::shared`), not asked.
pub async fn fetch(
    upstream: &Reader<'_>,
    exprs: &[&str],
    carried: Vec<(&str, Carrying<'_>)>,
    plan: &Plan,
    budget: &Budget,
) -> Vec<Result<Vec<RangeSeries>, PromError>> {
    let mut distinct: Vec<&str> = Vec::new();
    let index: Vec<usize> = exprs.iter().map(|e| super::distinct::index_of(&mut distinct, *e)).collect();
    let asked: Vec<&str> = distinct.iter().copied().filter(|e| !carried.iter().any(|(c, _)| c == e)).collect();
    let spark = plan.spark;
    let last = spark.last().unwrap_or(spark.first);
    let ticks = batches(upstream, &asked, spark.first, last, spark.step, budget);
    let asked_answers = async {
        if asked.is_empty() {
            Vec::new()
        } else if last >= plan.last_tick {
            ticks.await
        } else {
            let (ticks, newest) =
                tokio::join!(ticks, batches(upstream, &asked, plan.last_tick, plan.last_tick, plan.interval, budget));
            ticks.into_iter().zip(newest).map(|(t, n)| Ok(merge([t?, n?]))).collect()
        }
    };
    let read = join_all(
        carried
            .into_iter()
            .map(|(e, f)| async move { (e, f.await.map(|series| at_graph_ticks(series, &spark, plan.last_tick))) }),
    );
    let (asked_answers, read) = tokio::join!(asked_answers, read);
    let mut asked_answers = asked_answers.into_iter();
    let answers: Vec<Result<Vec<RangeSeries>, PromError>> = distinct
        .iter()
        .map(|e| match read.iter().find(|(c, _)| c == e) {
            Some((_, answer)) => answer.clone(),
            None => asked_answers.next().unwrap_or_else(|| Ok(Vec::new())),
        })
        .collect();
    index.into_iter().map(|i| answers.get(i).cloned().unwrap_or_else(|| Ok(Vec::new()))).collect()
}

/// Every expression at `start, start+step, …, ≤ end`, [`PER_BATCH`] to a query.
pub async fn batches(
    upstream: &Reader<'_>,
    exprs: &[&str],
    start: i64,
    end: i64,
    step: i64,
    budget: &Budget,
) -> Vec<Result<Vec<RangeSeries>, PromError>> {
    let batches = join_all(exprs.chunks(PER_BATCH).map(|chunk| async move {
        if chunk.len() > 1 {
            let keepable = chunk.iter().all(|e| upstream.keepable(e));
            if let Ok(series) = upstream.query_range_of(&batched(MARK, chunk), keepable, start, end, step, budget).await
            {
                if let Some(parts) = split(MARK, series, chunk.len()) {
                    return parts.into_iter().map(Ok).collect::<Vec<_>>();
                }
            }
        }
        join_all(chunk.iter().map(|e| upstream.query_range(e, start, end, step, budget))).await
    }));
    batches.await.into_iter().flatten().collect()
}
