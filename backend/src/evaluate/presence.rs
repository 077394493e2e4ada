//! Which rule selectors have series in the presence span: the existence check that tells a rule
//! with no data from a rule reading a metric that is not there.
//!
//! The check over a whole day reads every block's index of that day (in Mimir, the store-gateways'),
//! and a refresh a minute later paid it again: it was the dearest of a refresh's requests. What it
//! decides is only *whether* each selector has a series somewhere in the span, and the series API's
//! answer over a span is the union of its answers over the span's parts. So it is asked over the
//! last [`RECENT_MS`] first (the head block, the ingesters), and over the rest only for the
//! selectors not found there (the default rules always have some: each NATS metric is read under
//! two exporters' label names). That the earlier part has none of a selector's series is settled
//! once it is older than the settle time, and kept per settings version as settled ticks are
//! (`crate::upstream::settled`), so a refresh asks the earlier part only for what it has not seen.

use futures_util::future::join_all;

use crate::prom::PromError;
use crate::rules::Rule;
use crate::series::Labels;
use crate::upstream::Upstream;

/// A time range in ms, both ends inclusive.
type Span = std::ops::RangeInclusive<i64>;

/// How far back the first ask looks: within Prometheus' head block (two to three hours) and Mimir's
/// ingesters (`-querier.query-ingesters-within`, 13 h), so on the usual path no long-term block is read.
pub const RECENT_MS: i64 = 60 * 60_000;

/// Every selector of `rules`, once each, in rule order.
pub fn selectors(rules: &[Rule]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in rules.iter().flat_map(|r| r.selectors().iter()) {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

/// The selectors of `rules` none of whose series is among `series`.
pub fn absent(rules: &[Rule], series: &[Labels]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (text, present) in rules.iter().filter_map(|r| r.query.as_ref().ok()).flat_map(|q| q.selectors_present(series))
    {
        if !present && !out.iter().any(|s| s == text) {
            out.push(text.to_string());
        }
    }
    out
}

/// From when a selector's series must still be looked for in a span starting at `from`: after
/// the span it is `known` to have none over, when that starts at or before `from`; else `from`
/// (the window moved before what is known, which is then no help).
pub fn unknown_from(known: Option<Span>, from: i64) -> i64 {
    match known {
        Some(k) if *k.start() <= from => k.end().saturating_add(1).max(from),
        _ => from,
    }
}

/// Where the span `[from, to]` splits: the first ask covers the last [`RECENT_MS`], and further
/// back to where the earliest of `unknown` (per selector, [`unknown_from`]) starts when that is
/// earlier, so a selector known to have none up to a refresh's new minutes is settled by it alone;
/// the earlier part lies before. `None`: the span is asked whole, as one of a dashboard's usual
/// hour or two is: an earlier part shorter than [`EARLIER_MIN_MS`] lies within Prometheus' head
/// block too, and is not worth a request of its own.
pub fn split(from: i64, to: i64, unknown: impl IntoIterator<Item = i64>) -> Option<i64> {
    let recent_from = unknown.into_iter().filter(|u| *u > from).fold(to.saturating_sub(RECENT_MS), i64::min);
    (recent_from.saturating_sub(from) >= EARLIER_MIN_MS).then_some(recent_from)
}

/// The shortest earlier part asked apart: with the recent part, the three hours Prometheus' head
/// block may hold.
pub const EARLIER_MIN_MS: i64 = 2 * RECENT_MS;

/// What to ask of the earlier part `[from, last]` for the selectors `absent` from the recent part:
/// per span still to ask ([`unknown_from`] to `last`), its selectors.
pub fn earlier_asks(
    absent: &[String],
    known: impl Fn(&str) -> Option<Span>,
    from: i64,
    last: i64,
) -> Vec<(Span, Vec<String>)> {
    let mut out: Vec<(Span, Vec<String>)> = Vec::new();
    for selector in absent {
        let first = unknown_from(known(selector), from);
        if first > last {
            continue;
        }
        let span = first..=last;
        match out.iter_mut().find(|(s, _)| *s == span) {
            Some((_, selectors)) => selectors.push(selector.clone()),
            None => out.push((span, vec![selector.clone()])),
        }
    }
    out
}

/// The span a selector is known to have none over once `asked` found none: `known` grown by it
/// when they meet, else `asked` alone.
pub fn grown(known: Option<Span>, asked: Span) -> Span {
    match known {
        Some(k) if *k.start() <= *asked.start() && k.end().saturating_add(1) >= *asked.start() => {
            *k.start()..=(*k.end()).max(*asked.end())
        }
        _ => asked,
    }
}

/// The label sets of `rules`' selectors' series in `[from, to]`, enough to tell for every selector
/// whether it has one: all those of the recent part, and of the earlier part those of the
/// selectors the recent part lacks and that are not known to have none there. What is found to
/// have none is remembered as far as it is settled ([`Upstream::keep_absent`]).
pub async fn fetch(upstream: &Upstream<'_>, rules: &[Rule], from: i64, to: i64) -> Result<Vec<Labels>, PromError> {
    let client = upstream.client;
    let selectors = selectors(rules);
    let unknown: Vec<i64> = selectors.iter().map(|s| unknown_from(upstream.known_absent(s), from)).collect();
    let recent_from = split(from, to, unknown.iter().copied()).unwrap_or(from);
    let mut series = client.series(&selectors, recent_from, to).await?;
    let absent_recently = absent(rules, &series);
    // The series API's ends are both inclusive, in milliseconds here.
    let asks = earlier_asks(&absent_recently, |s| upstream.known_absent(s), from, recent_from.saturating_sub(1));
    let answers = join_all(asks.iter().map(|(span, asked)| client.series(asked, *span.start(), *span.end()))).await;
    let mut found = Vec::new();
    for answer in answers {
        found.extend(answer?);
    }
    let absent_earlier = absent(rules, &found);
    series.extend(found);
    for selector in &absent_recently {
        let asked_earlier = asks.iter().any(|(_, asked)| asked.contains(selector));
        if asked_earlier && !absent_earlier.contains(selector) {
            continue;
        }
        let known = upstream.known_absent(selector);
        upstream.keep_absent(selector, grown(known.clone(), unknown_from(known, from)..=to));
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    const M: i64 = 60_000;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_selector_is_absent_when_none_of_its_series_is_there() {
        let yaml = r#"
groups:
  - name: g
    rules:
      - alert: A
        expr: sum(x{job="a"}) > 1 and on() y == 0
      - alert: B
        expr: max(x{job="a"} or z) > 1
"#;
        let set = RuleSet::parse(yaml).unwrap();
        assert_eq!(selectors(&set.rules), ["x{job=\"a\"}", "y", "z"]);
        let there = [labels(&[("__name__", "x"), ("job", "a")]), labels(&[("__name__", "y"), ("job", "b")])];
        assert_eq!(absent(&set.rules, &there), ["z"]);
        // Another job's x is not x{job="a"}.
        assert_eq!(absent(&set.rules, &[labels(&[("__name__", "x"), ("job", "b")])]), ["x{job=\"a\"}", "y", "z"]);
    }

    #[test]
    fn the_earlier_part_is_asked_only_where_a_selector_is_not_known_to_have_none() {
        let absent = ["a".to_string(), "b".to_string(), "c".to_string(), "d".to_string()];
        let known = |s: &str| match s {
            // Known from before the window to a minute ago: only the minute since.
            "a" => Some(-5 * M..=98 * M),
            // Known to its end: nothing to ask.
            "b" => Some(0..=100 * M),
            // Known from after the window's start: the whole earlier part.
            "c" => Some(10 * M..=100 * M),
            _ => None,
        };
        let asks = earlier_asks(&absent, known, 0, 100 * M);
        assert_eq!(
            asks,
            [(98 * M + 1..=100 * M, vec!["a".to_string()]), (0..=100 * M, vec!["c".to_string(), "d".to_string()])]
        );
        // What was found to have none grows what was known when they meet, and replaces it when not.
        assert_eq!(grown(known("a"), asks[0].0.clone()), -5 * M..=100 * M);
        assert_eq!(grown(known("c"), asks[1].0.clone()), 0..=100 * M);
        assert_eq!(grown(None, asks[1].0.clone()), asks[1].0);
    }

    #[test]
    fn a_span_longer_than_the_recent_part_is_asked_in_two() {
        assert_eq!(unknown_from(Some(-M..=5 * M), 0), 5 * M + 1);
        assert_eq!(unknown_from(Some(M..=5 * M), 0), 0);
        assert_eq!(unknown_from(None, 7), 7);
        assert_eq!(split(0, 24 * 60 * M, []), Some(23 * 60 * M));
        assert_eq!(split(0, 60 * M, []), None);
        assert_eq!(split(0, 65 * M, []), None, "a last hour's presence span (its staleness too) is asked whole");
        assert_eq!(split(0, 120 * M, []), None, "nor are two hours, all in the head block");
        assert_eq!(split(0, 180 * M, []), Some(120 * M));
        assert_eq!(split(i64::MIN, i64::MIN, []), None);
        // A selector known to have none until a minute before the last hour: the first ask reaches
        // back to there; one known to have none from the start on does not move it.
        assert_eq!(split(0, 24 * 60 * M, [23 * 60 * M - M, 0, 24 * 60 * M]), Some(23 * 60 * M - M));
    }
}
