//! All of an evaluation's upstream I/O, run concurrently: one existence check for every selector,
//! each rule's range query (looking further back while an episode is active at the edge of what was
//! looked at), and the headline and edge series. A failing query fails only its own part.

use codexflow_core::limits::ACTIVE_AT_LOOKBACK_MS;
use codexflow_core::Ticks;
use futures_util::future::join_all;

use super::alerts::active_at_edge;
use super::plan::Plan;
use crate::budget::Budget;
use crate::prom::{PromClient, PromError};
use crate::rules::Rule;
use crate::series::{merge, Labels, RangeSeries};
use crate::settings::Settings;

/// A rule's series over the ticks it was finally evaluated at.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSeries {
    pub eval: Ticks,
    pub series: Vec<RangeSeries>,
}

/// Everything the upstream said for one evaluation, in settings order.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Label sets of every rule selector's series in the presence span (one `series` call).
    pub presence: Result<Vec<Labels>, PromError>,
    pub rules: Vec<Result<RuleSeries, PromError>>,
    /// Headline series per stage, at `plan.spark` ticks.
    pub headlines: Vec<Result<Vec<RangeSeries>, PromError>>,
    /// Rate series per edge, at `plan.spark` ticks.
    pub edges: Vec<Result<Vec<RangeSeries>, PromError>>,
}

pub async fn fetch(settings: &Settings, client: &PromClient, plan: &Plan, budget: &Budget) -> Fetched {
    let mut selectors: Vec<String> = Vec::new();
    for s in settings.rules.rules.iter().flat_map(|r| r.query.selectors.iter()) {
        if !selectors.contains(s) {
            selectors.push(s.clone());
        }
    }
    let presence = client.series(&selectors, plan.presence.0, plan.presence.1);
    let rules = join_all(settings.rules.rules.iter().zip(&plan.rules).map(|(rule, eval)| async move {
        match eval {
            Ok(eval) => rule_series(client, rule, *eval, budget).await,
            Err(why) => Err(PromError::Limit(why.clone())),
        }
    }));
    let spark = plan.spark;
    let last = spark.last().unwrap_or(spark.first);
    let headlines = join_all(settings.pipeline.stages.iter().map(|s| client.query_range(&s.headline.expr, spark.first, last, spark.step, budget)));
    let edges = join_all(settings.pipeline.edges.iter().map(|e| client.query_range(&e.rate_expr, spark.first, last, spark.step, budget)));
    let (presence, rules, headlines, edges) = tokio::join!(presence, rules, headlines, edges);
    Fetched { presence, rules, headlines, edges }
}

/// One rule's range query. The base lookback makes every state exact; an alert's `activeAt` is exact
/// too unless an episode was already active at the edge, so then we look further back, to an hour,
/// four hours and a day in all ([`ACTIVE_AT_LOOKBACK_MS`]). Only rules active at the edge pay for that.
async fn rule_series(client: &PromClient, rule: &Rule, base: Ticks, budget: &Budget) -> Result<RuleSeries, PromError> {
    let step = base.step;
    let last = base.last().unwrap_or(base.first);
    let mut eval = base;
    let mut series = client.query_range(&rule.query.text, eval.first, last, step, budget).await?;
    for first in earlier_firsts(base) {
        if !active_at_edge(rule, &series, eval) {
            break;
        }
        let earlier = client.query_range(&rule.query.text, first, eval.first - step, step, budget).await?;
        series = merge([earlier, series]);
        eval = Ticks::covering(first, last, step);
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
