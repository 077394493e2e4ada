//! All of an evaluation's upstream I/O, run concurrently: one existence check for every selector,
//! each rule's range query (looking further back while an episode is active at the edge of what was
//! looked at), what the ruler wrote for each rule it runs (`overlay`), the headline and edge
//! series, and what each backlog stage's queue insight reads (`queue`). A failing query fails only its own part.

use codexflow_core::api::PhaseSource;
use codexflow_core::limits::ACTIVE_AT_LOOKBACK_MS;
use codexflow_core::Ticks;
use futures_util::future::join_all;
use futures_util::FutureExt;

use super::alerts::active_at_edge;
use super::graphs;
use super::overlay;
use super::plan::Plan;
use super::presence;
use super::queue::{self, QueueFetched};
use super::shared::{self, Carrying, Via};
use crate::budget::Budget;
use crate::prom::PromError;
use crate::promql::Query;
use crate::rules::Rule;
use crate::rules_in_force::InForce;
use crate::series::{merge, Labels, RangeSeries};
use crate::settings::Settings;
use crate::settled::Reader;

/// A rule's series over the ticks it was finally evaluated at.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSeries {
    pub eval: Ticks,
    pub series: Vec<RangeSeries>,
}

/// Everything the upstream said for one evaluation, in rule and pipeline order.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Label sets of rule selectors' series in the presence span, enough to tell which have one
    /// (`super::presence`).
    pub presence: Result<Vec<Labels>, PromError>,
    pub rules: Vec<Result<RuleSeries, PromError>>,
    /// Per rule, the `ALERTS` series the ruler wrote over its group's window (`None`: the ruler does
    /// not run the rule, or its group has no window).
    pub ruler: Vec<Option<Result<Vec<RangeSeries>, PromError>>>,
    /// Headline series per stage, at `plan.spark` ticks.
    pub headlines: Vec<Result<Vec<RangeSeries>, PromError>>,
    /// Rate series per edge, at `plan.spark` ticks.
    pub edges: Vec<Result<Vec<RangeSeries>, PromError>>,
    /// Per stage, its queue insight's series (`None`: not a backlog stage).
    pub queues: Vec<Option<QueueFetched>>,
    /// The Alertmanager's alerts and silences (`None`: no `alertmanagerUrl`).
    pub alertmanager: Option<super::silences::AmAnswer>,
}

pub async fn fetch(
    settings: &Settings,
    upstream: &Reader<'_>,
    rules: &InForce,
    plan: &Plan,
    budget: &Budget,
) -> Fetched {
    let client = upstream.client;
    let presence = presence::fetch(upstream, &rules.set.rules, plan.presence.0, plan.presence.1);
    let pipeline = &settings.pipeline;
    let graph_exprs: Vec<&str> = pipeline
        .stages
        .iter()
        .map(|s| s.headline.expr.as_str())
        .chain(pipeline.edges.iter().map(|e| e.rate_expr.as_str()))
        .collect();
    let shared = shared::shared(&rules.set.rules, &graph_exprs, plan, |e| upstream.keepable(e));
    let carried: Vec<(&str, Ticks, Carrying<'_>)> = shared
        .carried
        .iter()
        .map(|c| {
            let last = c.ticks.last().unwrap_or(c.ticks.first);
            (
                c.expr.as_str(),
                c.ticks,
                upstream.query_range(&c.expr, c.ticks.first, last, c.ticks.step, budget).boxed().shared(),
            )
        })
        .collect();
    let carried = &carried;
    let rule_results =
        join_all(rules.set.rules.iter().zip(&plan.rules).zip(&shared.rules).map(|((rule, eval), via)| async move {
            match (eval, &rule.query) {
                (Ok(eval), Ok(query)) => {
                    let carrying = via
                        .as_ref()
                        .and_then(|v| carried.iter().find(|(e, t, _)| *e == v.expr && t == eval))
                        .map(|(_, _, f)| f.clone());
                    rule_series(upstream, rule, query, via.as_ref(), carrying, *eval, budget).await
                }
                (Err(why), _) | (_, Err(why)) => Err(PromError::Limit(why.clone())),
            }
        }));
    let ruler = join_all(rules.set.rules.iter().enumerate().map(|(i, rule)| async move {
        let deployed = rules.deployed.get(&i)?;
        let window = plan.groups.get(rule.group)?.as_ref().ok()?.window;
        let rulers_ticks = rules.set.groups.get(rule.group).is_some_and(|g| g.phase != PhaseSource::Epoch);
        Some(overlay::fetch(upstream, &rule.name, deployed.interval_ms, rulers_ticks, &window, budget).await)
    }));
    let graphs =
        graphs::fetch(upstream, &graph_exprs, carried.iter().map(|(e, _, f)| (*e, f.clone())).collect(), plan, budget);
    let queues = queue::fetch(upstream, &settings.pipeline, plan, settings.queue_window_ms, budget);
    let alertmanager = async {
        match &settings.alertmanager_url {
            Some(url) => Some(client.with_base(url).alertmanager().await),
            None => None,
        }
    };
    let (presence, rules, ruler, mut headlines, queues, alertmanager) =
        tokio::join!(presence, rule_results, ruler, graphs, queues, alertmanager);
    let edges = headlines.split_off(pipeline.stages.len().min(headlines.len()));
    Fetched { presence, rules, ruler, headlines, edges, queues, alertmanager }
}

/// One rule's range query. The base lookback makes every state exact; an alert's `activeAt` is exact
/// too unless an episode was already active at the edge, so then we look further back, to an hour,
/// four hours and a day in all ([`ACTIVE_AT_LOOKBACK_MS`]). Only rules active at the edge pay for that.
/// A rule that filters a graph's series (`via`) asks that series and filters it; over its base
/// ticks, the answer the graph reads too when it is `carrying` it.
#[allow(clippy::too_many_arguments)]
async fn rule_series(
    client: &Reader<'_>,
    rule: &Rule,
    query: &Query,
    via: Option<&Via>,
    carrying: Option<Carrying<'_>>,
    base: Ticks,
    budget: &Budget,
) -> Result<RuleSeries, PromError> {
    let step = base.step;
    let last = base.last().unwrap_or(base.first);
    let ask = |first: i64, last: i64| async move {
        match via {
            Some(via) => {
                Ok(shared::filtered(client.query_range(&via.expr, first, last, step, budget).await?, via.filter))
            }
            None => client.query_range(&query.text, first, last, step, budget).await,
        }
    };
    let mut eval = base;
    let mut series = match (carrying, via) {
        (Some(carrying), Some(via)) => shared::filtered(carrying.await?, via.filter),
        _ => ask(eval.first, last).await?,
    };
    for first in earlier_firsts(base) {
        if !active_at_edge(rule, &series, eval) {
            break;
        }
        let earlier = ask(first, eval.first - step).await?;
        series = merge([earlier, series]);
        eval = Ticks::covering_phase(first, last, step, base.first);
    }
    Ok(RuleSeries { eval, series })
}

/// The first ticks of each further look back, earliest last: each step of [`ACTIVE_AT_LOOKBACK_MS`]
/// is a total before `base.first`, on the rule's ticks.
fn earlier_firsts(base: Ticks) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for total in ACTIVE_AT_LOOKBACK_MS {
        let first = base.first.saturating_sub(total.div_euclid(base.step).saturating_mul(base.step));
        if out.last().is_none_or(|&prev| first < prev) && first < base.first {
            out.push(first);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looking_back_further_stops_at_a_day_in_all() {
        let (m, h) = (60_000, 3_600_000);
        let base = Ticks { first: 1_000 * 24 * h, step: m, count: 10 };
        let firsts = earlier_firsts(base);
        assert_eq!(firsts.iter().map(|f| base.first - f).collect::<Vec<_>>(), [h, 4 * h, 24 * h]);
        // Ticks of 7h: an hour rounds down to none, four hours too; a day is three ticks.
        let coarse = Ticks { first: 1_000 * 24 * h, step: 7 * h, count: 1 };
        assert_eq!(earlier_firsts(coarse).iter().map(|f| coarse.first - f).collect::<Vec<_>>(), [21 * h]);
    }
}
