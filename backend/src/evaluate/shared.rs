//! A rule `X > 1000` and a headline `X` send `X` once (issue 11, item 2).
//!
//! Prometheus answers `X > 1000` with the samples of `X` above 1000, labels and values unchanged
//! (`crate::promql::Filter`), so the rule can be asked as the headline's `X` and filtered here:
//! the same series, tick for tick. When the rule's ticks hold every sparkline tick and the newest
//! tick (a range query's value at a tick does not depend on its other ticks), the headline's
//! series are read from that same answer ([`Carried`]) instead of being asked again in the
//! graphs' batches.

use codexflow_core::Ticks;
use futures_util::future::{BoxFuture, Shared as SharedFuture};

use super::plan::Plan;
use crate::prom::PromError;
use crate::promql::{Filter, Query};
use crate::rules::Rule;
use crate::series::RangeSeries;

/// What a rule asks instead of its own expression, and how its answer is made from that.
#[derive(Debug, Clone, PartialEq)]
pub struct Via {
    /// The graph expression it reads, as the pipeline writes it.
    pub expr: String,
    pub filter: Filter,
}

/// A graph expression asked once over a rule's ticks, for the rule and the graph both.
#[derive(Debug, Clone, PartialEq)]
pub struct Carried {
    pub expr: String,
    pub ticks: Ticks,
}

/// Per rule, what it asks instead of its expression; and the graph expressions read from a
/// rule's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shared {
    pub rules: Vec<Option<Via>>,
    pub carried: Vec<Carried>,
}

/// The one upstream answer a [`Carried`] expression's rule and graph both await.
pub type Carrying<'a> = SharedFuture<BoxFuture<'a, Result<Vec<RangeSeries>, PromError>>>;

/// Which rules read which of `graph_exprs` (headlines and edge rates), and which of those are
/// read from a rule's answer: the first rule, in rule order, whose ticks hold the graph's.
/// `keepable` says which expressions read only the past (`crate::settled`): one pinned to the
/// query's range (`@ start()`) answers a tick differently over other ticks, so is never carried.
pub fn shared(rules: &[Rule], graph_exprs: &[&str], plan: &Plan, keepable: impl Fn(&str) -> bool) -> Shared {
    let graphs: Vec<(&str, Query)> = graph_exprs.iter().filter_map(|e| Query::parse(e).ok().map(|q| (*e, q))).collect();
    let mut out = Shared::default();
    for (rule, ticks) in rules.iter().zip(&plan.rules) {
        let via = rule.query.as_ref().ok().and_then(|q| {
            graphs.iter().find_map(|(text, g)| q.filters(g).map(|filter| Via { expr: text.to_string(), filter }))
        });
        if let (Some(via), Ok(ticks)) = (&via, ticks) {
            if holds(ticks, &plan.spark, plan.last_tick)
                && keepable(&via.expr)
                && !out.carried.iter().any(|c| c.expr == via.expr)
            {
                out.carried.push(Carried { expr: via.expr.clone(), ticks: *ticks });
            }
        }
        out.rules.push(via);
    }
    out
}

/// Whether every sparkline tick and the newest tick are among `rule`'s ticks.
pub fn holds(rule: &Ticks, spark: &Ticks, last_tick: i64) -> bool {
    let Some(rule_last) = rule.last() else {
        return false;
    };
    let on = |t: i64| on_ticks(rule, rule_last, t);
    let spark_last = spark.last().unwrap_or(spark.first);
    on(spark.first)
        && on(spark_last)
        && (spark.count <= 1 || spark.step.rem_euclid(rule.step.max(1)) == 0)
        && on(last_tick)
}

fn on_ticks(ticks: &Ticks, last: i64, t: i64) -> bool {
    t >= ticks.first && t <= last && t.saturating_sub(ticks.first).rem_euclid(ticks.step.max(1)) == 0
}

/// The rule's answer from `X`'s: the samples its filter keeps; a series left without any is left
/// out, as the upstream leaves it out.
pub fn filtered(series: Vec<RangeSeries>, filter: Filter) -> Vec<RangeSeries> {
    keep_samples(series, |_, v| filter.keeps(v))
}

/// The graph's answer from the rule's ticks: the samples at the sparkline ticks and the newest
/// tick, as `super::graphs` would have asked them.
pub fn at_graph_ticks(series: Vec<RangeSeries>, spark: &Ticks, last_tick: i64) -> Vec<RangeSeries> {
    let spark_last = spark.last().unwrap_or(spark.first);
    keep_samples(series, |t, _| t == last_tick || (spark.count > 0 && on_ticks(spark, spark_last, t)))
}

fn keep_samples(series: Vec<RangeSeries>, keep: impl Fn(i64, f64) -> bool) -> Vec<RangeSeries> {
    series
        .into_iter()
        .filter_map(|mut s| {
            s.samples.retain(|&(t, v)| keep(t, v));
            (!s.samples.is_empty()).then_some(s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    #[test]
    fn the_rule_keeps_the_samples_its_comparison_keeps() {
        let f = Query::parse("x > 1").unwrap().filters(&Query::parse("x").unwrap()).unwrap();
        let x = vec![
            RangeSeries::new(
                &[("__name__", "x"), ("p", "0")],
                &[(0, 0.5), (M, 2.0), (2 * M, f64::NAN), (3 * M, f64::INFINITY)],
            ),
            RangeSeries::new(&[("__name__", "x"), ("p", "1")], &[(0, 1.0), (M, f64::NEG_INFINITY)]),
        ];
        // Labels (the metric name too: a comparison without `bool` keeps it) and values as they were.
        assert_eq!(
            filtered(x, f),
            vec![RangeSeries::new(&[("__name__", "x"), ("p", "0")], &[(M, 2.0), (3 * M, f64::INFINITY)])]
        );
    }

    #[test]
    fn sparkline_ticks_are_held_when_they_lie_on_the_rules_ticks() {
        let rule = Ticks { first: 100 * M, step: M, count: 1500 };
        let last = 1599 * M;
        assert!(holds(&rule, &Ticks { first: 105 * M, step: 7 * M, count: 200 }, last));
        // Another phase, a step that is no multiple, ticks before the rule's or a newest tick after them: not held.
        assert!(!holds(&rule, &Ticks { first: 105 * M + 5_000, step: 7 * M, count: 200 }, last));
        assert!(!holds(
            &Ticks { first: 100 * M, step: 2 * M, count: 750 },
            &Ticks { first: 105 * M, step: 7 * M, count: 200 },
            1598 * M
        ));
        assert!(!holds(&rule, &Ticks { first: 98 * M, step: 7 * M, count: 200 }, last));
        assert!(!holds(&rule, &Ticks { first: 105 * M, step: 7 * M, count: 200 }, 1600 * M));
        assert!(!holds(&Ticks { first: 0, step: M, count: 0 }, &Ticks { first: 0, step: M, count: 1 }, 0));
    }

    #[test]
    fn the_graph_keeps_the_sparkline_ticks_and_the_newest() {
        let x = vec![
            RangeSeries::new(&[("p", "0")], &(100..=115).map(|m| (m * M, m as f64)).collect::<Vec<_>>()),
            RangeSeries::new(&[("p", "1")], &[(101 * M, 1.0), (102 * M, 2.0)]),
        ];
        let spark = Ticks { first: 105 * M, step: 5 * M, count: 2 };
        // Ticks 105 and 110 of the sparkline, 113 the newest; the series with none of them is left out, as the upstream would.
        assert_eq!(
            at_graph_ticks(x, &spark, 113 * M),
            vec![RangeSeries::new(&[("p", "0")], &[(105 * M, 105.0), (110 * M, 110.0), (113 * M, 113.0)])]
        );
    }
}
