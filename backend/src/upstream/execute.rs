//! The executor: sends a plan's requests, all at once, and routes each answer back. A request of
//! several parts that fails as a whole (one part erring upstream, too many series together, a
//! limit of the upstream's) or comes back not as asked is sent again one part at a time, so a
//! failing part fails only its own readers.

use codexflow_core::Ticks;
use futures_util::future::join_all;

use super::ask::Answer;
use super::batch::{batched, distinct, split, MARK};
use super::plan::{Plan, Request};
use super::Upstream;
use crate::budget::Budget;
use crate::prom::PromError;
use crate::series::{at_ticks, in_tick_order, merge, select, RangeSeries};

/// Every ask's answer, in ask order. `reused` holds, per source, the series the planner counted on
/// from the settled store.
pub async fn execute(
    upstream: &Upstream<'_>,
    plan: &Plan,
    reused: Vec<Option<Vec<RangeSeries>>>,
    budget: &Budget,
) -> Vec<Answer> {
    // What is reused is held before anything is sent, as what is asked is counted before it goes out.
    let reused: Vec<Result<Vec<RangeSeries>, PromError>> = reused
        .into_iter()
        .map(|kept| {
            let kept = kept.unwrap_or_default();
            budget.hold(kept.iter().map(|s| s.samples.len()).sum()).map_err(|e| PromError::Limit(e.to_string()))?;
            Ok(kept)
        })
        .collect();
    let sent = join_all(plan.requests.iter().map(|r| send(upstream, plan, r, budget))).await;
    // Per source: what was reused, then its parts' answers in the order they were planned.
    let mut parts: Vec<Vec<Answer>> = vec![Vec::new(); plan.sources.len()];
    for (request, answers) in plan.requests.iter().zip(sent) {
        for (part, answer) in request.parts.iter().zip(answers) {
            if let Some(p) = parts.get_mut(part.source) {
                p.push(answer);
            }
        }
    }
    let client = upstream.client;
    let sources: Vec<Answer> = plan
        .sources
        .iter()
        .zip(parts)
        .zip(reused)
        .map(|((source, answers), kept)| {
            let mut all = vec![kept?];
            for answer in answers {
                all.push(answer?);
            }
            let series = in_tick_order(merge(all));
            if series.len() > codexflow_core::limits::MAX_SERIES_PER_QUERY {
                return Err(PromError::too_many_series(
                    &format!("{}/api/v1/query_range", client.base_url()),
                    series.len(),
                ));
            }
            if source.keepable && upstream.keeping {
                let reused = source.reused.map_or(0, |r| r.count as u64);
                let asked = (source.ticks.count as u64).saturating_sub(reused);
                upstream.settled.keep(
                    client.base_url(),
                    &source.expr,
                    &source.ticks,
                    &series,
                    upstream.now_ms,
                    reused,
                    asked,
                );
            }
            Ok(series)
        })
        .collect();
    plan.routes
        .iter()
        .map(|route| {
            let Some(source) = route.source else { return Ok(Vec::new()) };
            let series = match sources.get(source) {
                Some(answer) => answer.as_ref().map_err(Clone::clone)?,
                None => return Ok(Vec::new()),
            };
            // One pass over the source's series, copying only what this ask keeps.
            let whole = plan.sources.get(source).is_none_or(|s| s.ticks == route.ticks);
            if whole && route.filter.is_none() {
                return Ok(series.clone());
            }
            Ok(select(series, |t, v| route.filter.is_none_or(|f| f.keeps(v)) && (whole || route.ticks.contains(t))))
        })
        .collect()
}

/// One request's answer per part: one query for all, else (or when alone) one query each.
async fn send(upstream: &Upstream<'_>, plan: &Plan, request: &Request, budget: &Budget) -> Vec<Answer> {
    let client = upstream.client;
    let expr = |source: usize| plan.sources.get(source).map_or("", |s| s.expr.as_str());
    let ask = |ticks: Ticks, e: String| async move {
        client.query_range(&e, ticks.first, ticks.end(), ticks.step, budget).await
    };
    if request.parts.len() > 1 {
        let exprs: Vec<&str> = request.parts.iter().map(|p| expr(p.source)).collect();
        let (once, which) = distinct(&exprs);
        // One expression for every part needs no marks: its answer is every part's.
        let answer = match once.as_slice() {
            [only] => ask(request.ticks, only.to_string()).await.map(|series| vec![series]).ok(),
            _ => ask(request.ticks, batched(MARK, &once)).await.ok().and_then(|series| split(MARK, series, once.len())),
        };
        if let Some(each) = answer {
            return request
                .parts
                .iter()
                .zip(which)
                .map(|(p, i)| Ok(each.get(i).map_or_else(Vec::new, |series| at_ticks(series, &p.ticks))))
                .collect();
        }
    }
    join_all(request.parts.iter().map(|p| ask(p.ticks, expr(p.source).to_string()))).await
}
