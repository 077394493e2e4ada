//! All of an evaluation's upstream I/O, run concurrently: one existence check for every selector,
//! each rule's range query (looking further back while an episode is active at the edge of what was
//! looked at), what the ruler wrote for each rule it runs (`overlay`), the headline and edge
//! series, and what each backlog stage's queue insight reads (`queue`). A failing query fails only its own part.

use codexflow_core::api::PhaseSource;
use codexflow_core::limits::ACTIVE_AT_LOOKBACK_MS;
use codexflow_core::Ticks;

use super::alerts::active_at_edge;
use super::overlay;
use super::plan::Plan;
use super::presence;
use super::queue::{self, QueueFetched};
use crate::budget::Budget;
use crate::prom::PromError;
use crate::promql::Query;
use crate::rules_in_force::InForce;
use crate::series::{merge, Labels, RangeSeries};
use crate::settings::Settings;
use crate::upstream::{answer_at, Ask, Purpose, Upstream};

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

/// Everything an evaluation reads, asked as one round of asks (`crate::upstream`), then, for the
/// rules active at the edge of what was looked at, further back round by round.
pub async fn fetch(
    settings: &Settings,
    upstream: &Upstream<'_>,
    rules: &InForce,
    plan: &Plan,
    budget: &Budget,
) -> Fetched {
    let pipeline = &settings.pipeline;
    let graph_exprs: Vec<&str> = pipeline
        .stages
        .iter()
        .map(|s| s.headline.expr.as_str())
        .chain(pipeline.edges.iter().map(|e| e.rate_expr.as_str()))
        .collect();
    let graph_queries: Vec<(&str, Query)> =
        graph_exprs.iter().filter_map(|e| Query::parse(e).ok().map(|q| (*e, q))).collect();
    let mut asks: Vec<Ask> = Vec::new();
    // Per rule: the index of its ask, or why it is not asked.
    let rule_asks: Vec<Result<usize, String>> = rules
        .set
        .rules
        .iter()
        .zip(&plan.rules)
        .enumerate()
        .map(|(i, (rule, eval))| match (eval, &rule.query) {
            (Ok(eval), Ok(query)) => {
                asks.push(Ask::reading(&query.text, query, &graph_queries, *eval, Purpose::Rule(i)));
                Ok(asks.len() - 1)
            }
            (Err(why), _) | (_, Err(why)) => Err(why.clone()),
        })
        .collect();
    let ruler_asks: Vec<Option<(usize, i64)>> = rules
        .set
        .rules
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let deployed = rules.deployed.get(&i)?;
            let window = plan.groups.get(rule.group)?.as_ref().ok()?.window;
            let rulers_ticks = rules.set.groups.get(rule.group).is_some_and(|g| g.phase != PhaseSource::Epoch);
            let (ask, ahead) = overlay::ask(&rule.name, deployed.interval_ms, rulers_ticks, &window, i)?;
            asks.push(ask);
            Some((asks.len() - 1, ahead))
        })
        .collect();
    // Each graph at the sparkline ticks, and at the newest tick when the sparkline ends before it.
    let newest =
        (plan.spark.end() < plan.last_tick).then(|| Ticks::between(plan.last_tick, plan.last_tick, plan.interval));
    let graph_asks: Vec<(usize, Option<usize>)> = graph_exprs
        .iter()
        .enumerate()
        .map(|(i, e)| {
            asks.push(Ask::new(e, plan.spark, Purpose::Graph(i)));
            let spark = asks.len() - 1;
            let newest = newest.map(|t| {
                asks.push(Ask::new(e, t, Purpose::Graph(i)));
                asks.len() - 1
            });
            (spark, newest)
        })
        .collect();
    let queues = queue::asks(pipeline, plan, settings.queue_window_ms, &mut asks);
    let alertmanager = async {
        match &settings.alertmanager_url {
            Some(url) => Some(upstream.client.with_base(url).alertmanager().await),
            None => None,
        }
    };
    let presence = presence::fetch(upstream, &rules.set.rules, plan.presence.0, plan.presence.1);
    // The rounds further back go on while the existence check and the Alertmanager still answer.
    let asked = async {
        let answers = upstream.ask(&asks, budget).await;
        let first: Vec<Result<RuleSeries, PromError>> = rule_asks
            .iter()
            .zip(&plan.rules)
            .map(|(ask, eval)| match (ask, eval) {
                (Ok(i), Ok(eval)) => answer_at(&answers, *i).map(|series| RuleSeries { eval: *eval, series }),
                (Err(why), _) | (_, Err(why)) => Err(PromError::Limit(why.clone())),
            })
            .collect();
        let rules = further_back(upstream, rules, &asks, &rule_asks, first, budget).await;
        (answers, rules)
    };
    let (presence, (answers, rules_fetched), alertmanager) = tokio::join!(presence, asked, alertmanager);
    let answer = |i: usize| answer_at(&answers, i);
    let ruler = ruler_asks
        .iter()
        .map(|a| a.map(|(i, ahead)| answer(i).map(|series| overlay::at_our_ticks(series, ahead))))
        .collect();
    let mut headlines: Vec<Result<Vec<RangeSeries>, PromError>> = graph_asks
        .iter()
        .map(|&(spark, newest)| match newest {
            None => answer(spark),
            Some(n) => Ok(merge([answer(spark)?, answer(n)?])),
        })
        .collect();
    let edges = headlines.split_off(pipeline.stages.len().min(headlines.len()));
    let queues = queue::fetched(queues, &answers);
    Fetched { presence, rules: rules_fetched, ruler, headlines, edges, queues, alertmanager }
}

/// Looks further back for the rules whose episode is active at the edge of what was looked at, to
/// an hour, four hours and a day in all ([`ACTIVE_AT_LOOKBACK_MS`]), a round of asks per step;
/// only those rules pay for it, and each ask reads what the rule's first ask read.
async fn further_back(
    upstream: &Upstream<'_>,
    rules: &InForce,
    first_asks: &[Ask],
    rule_asks: &[Result<usize, String>],
    mut fetched: Vec<Result<RuleSeries, PromError>>,
    budget: &Budget,
) -> Vec<Result<RuleSeries, PromError>> {
    for round in 0..ACTIVE_AT_LOOKBACK_MS.len() {
        // Per rule still looking: its earlier ticks.
        let mut asks: Vec<Ask> = Vec::new();
        let mut looking: Vec<(usize, Ticks)> = Vec::new();
        for (i, (rule, got)) in rules.set.rules.iter().zip(&fetched).enumerate() {
            let (Ok(got), Some(Ok(a))) = (got, rule_asks.get(i)) else { continue };
            let Some(base) = first_asks.get(*a) else { continue };
            let Some(&first) = earlier_firsts(base.ticks).get(round) else { continue };
            if !active_at_edge(rule, &got.series, got.eval) {
                continue;
            }
            let earlier = Ticks::between(first, got.eval.first.saturating_sub(got.eval.step), got.eval.step);
            asks.push(Ask { ticks: earlier, purpose: Purpose::Earlier(i), ..base.clone() });
            looking.push((i, earlier));
        }
        if asks.is_empty() {
            break;
        }
        let answers = upstream.ask(&asks, budget).await;
        for ((i, earlier), answer) in looking.into_iter().zip(answers) {
            let Some(slot) = fetched.get_mut(i) else { continue };
            *slot = match (std::mem::replace(slot, Err(PromError::Limit(String::new()))), answer) {
                (Ok(got), Ok(series)) => Ok(RuleSeries {
                    eval: Ticks::between(earlier.first, got.eval.end(), got.eval.step),
                    series: merge([series, got.series]),
                }),
                (_, Err(e)) | (Err(e), _) => Err(e),
            };
        }
    }
    fetched
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
