//! The headline and edge series, at the spark ticks (which stay put as the window moves, so once
//! settled they are kept, `crate::settled`) and the newest tick: each asked for all graphs at once.
//!
//! A batch is `label_replace((e0), "__codexflow_graph", "0", "", "") or …`: each expression
//! evaluated at the same steps exactly as on its own, its series marked with its index so `or`
//! keeps every one (no series of one side can match another side's label sets). A batch that
//! fails (one expression erring upstream, too many series together, a limit of the upstream's) is
//! asked again one expression at a time, so a failing graph still degrades only itself.

use futures_util::future::join_all;

use super::plan::Plan;
use crate::budget::Budget;
use crate::prom::PromError;
use crate::series::{merge, RangeSeries};
use crate::settled::Reader;

/// The label that tells the batch's series apart; `__` names are Prometheus' own, never a metric's.
const MARK: &str = "__codexflow_graph";
/// Expressions asked together for the newest tick.
const PER_BATCH: usize = 32;

/// One query answering every expression of `exprs` at one instant.
pub fn batched(exprs: &[&str]) -> String {
    exprs.iter().enumerate().map(|(i, e)| format!("label_replace(({e}), \"{MARK}\", \"{i}\", \"\", \"\")")).collect::<Vec<_>>().join(" or ")
}

/// The batch's answer back per expression, without the mark; `None` when a series is not marked
/// as one of them (then the batch is not trusted).
pub fn split(series: Vec<RangeSeries>, n: usize) -> Option<Vec<Vec<RangeSeries>>> {
    let mut out: Vec<Vec<RangeSeries>> = vec![Vec::new(); n];
    for mut s in series {
        let i: usize = s.labels.remove(MARK)?.parse().ok()?;
        out.get_mut(i)?.push(s);
    }
    Some(out)
}

/// Per expression of `exprs`, its series at [`Plan::spark_instants`]. Repeated expressions (a
/// stage's headline that is also an edge's rate) are asked once.
pub async fn fetch(upstream: &Reader<'_>, exprs: &[&str], plan: &Plan, budget: &Budget) -> Vec<Result<Vec<RangeSeries>, PromError>> {
    let mut distinct: Vec<&str> = Vec::new();
    let index: Vec<usize> = exprs.iter().map(|e| super::distinct::index_of(&mut distinct, *e)).collect();
    let spark = plan.spark;
    let last = spark.last().unwrap_or(spark.first);
    let ticks = batches(upstream, &distinct, spark.first, last, spark.step, budget);
    let answers: Vec<Result<Vec<RangeSeries>, PromError>> = if last >= plan.last_tick {
        ticks.await
    } else {
        let (ticks, newest) = tokio::join!(ticks, batches(upstream, &distinct, plan.last_tick, plan.last_tick, plan.interval, budget));
        ticks.into_iter().zip(newest).map(|(t, n)| Ok(merge([t?, n?]))).collect()
    };
    index.into_iter().map(|i| answers.get(i).cloned().unwrap_or_else(|| Ok(Vec::new()))).collect()
}

/// Every expression at `start, start+step, …, ≤ end`, [`PER_BATCH`] to a query.
pub async fn batches(upstream: &Reader<'_>, exprs: &[&str], start: i64, end: i64, step: i64, budget: &Budget) -> Vec<Result<Vec<RangeSeries>, PromError>> {
    let batches = join_all(exprs.chunks(PER_BATCH).map(|chunk| async move {
        if chunk.len() > 1 {
            let keepable = chunk.iter().all(|e| upstream.keepable(e));
            if let Ok(series) = upstream.query_range_of(&batched(chunk), keepable, start, end, step, budget).await {
                if let Some(parts) = split(series, chunk.len()) {
                    return parts.into_iter().map(Ok).collect::<Vec<_>>();
                }
            }
        }
        join_all(chunk.iter().map(|e| upstream.query_range(e, start, end, step, budget))).await
    }));
    batches.await.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_marks_each_expression_and_splits_back() {
        assert_eq!(
            batched(&["sum(a)", "rate(b[5m]) or c"]),
            r#"label_replace((sum(a)), "__codexflow_graph", "0", "", "") or label_replace((rate(b[5m]) or c), "__codexflow_graph", "1", "", "")"#
        );
        let answer = vec![RangeSeries::new(&[(MARK, "1"), ("x", "y")], &[(0, 2.0)]), RangeSeries::new(&[(MARK, "0")], &[(0, 1.0)])];
        let parts = split(answer, 2).unwrap();
        assert_eq!(parts[0], vec![RangeSeries::new(&[], &[(0, 1.0)])]);
        assert_eq!(parts[1], vec![RangeSeries::new(&[("x", "y")], &[(0, 2.0)])]);
        // A series not marked, or marked out of range: the batch is asked again one by one.
        assert!(split(vec![RangeSeries::new(&[("x", "y")], &[])], 2).is_none());
        assert!(split(vec![RangeSeries::new(&[(MARK, "7")], &[])], 2).is_none());
    }
}
