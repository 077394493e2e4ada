//! Settled ticks, kept: a refresh asks the upstream only for what is new.
//!
//! A range query's value at a tick depends only on samples at or before that tick (Prometheus
//! evaluates every step on its own; a range selector looks back; a subquery's steps are aligned to
//! absolute time, not to the query's start). So once no more samples can arrive for a tick (it is
//! older than `jsonData.settleTime`), what the upstream answers for it never changes, and a later
//! window that overlaps needs from the upstream only the ticks on either side of what is kept. The
//! rest of an evaluation (no-data, the alert state machine, folding, reasons) runs over the same
//! samples as a cold evaluation of the window, so the answer is the same tick for tick; the oracle
//! test checks that against promtool with sliding windows.
//!
//! What is kept is keyed by expression, step and tick phase (a tick at another phase is another
//! evaluation), per settings version: new settings start from nothing. An expression that reads
//! ahead of its tick (`offset -5m`) or is pinned to the query's range (`@ start()`, `@ end()`, or any
//! `@`) is never kept. All settings versions of a process keep at most [`SETTLED_BUDGET_BYTES`]
//! together; beyond it the least recently used query's ticks go.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use codexflow_core::api::SettledUse;
use codexflow_core::limits::{ACTIVE_AT_LOOKBACK_MS, MAX_SERIES_PER_QUERY, SETTLED_BUDGET_BYTES, SETTLED_MAX_TICKS};

use crate::budget::Budget;
use crate::coalesce::Coalescer;
use crate::prom::{PromClient, PromError};
use crate::series::{merge, RangeSeries};

/// Bytes every settings version's store holds together.
static PROCESS_BYTES: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    base: String,
    expr: String,
    step: i64,
    phase: i64,
}

/// One query's settled ticks `first..=last` (on its step and phase) and its series over them.
#[derive(Debug)]
struct Kept {
    first: i64,
    last: i64,
    series: Vec<RangeSeries>,
    bytes: usize,
    used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    kept: HashMap<Key, Kept>,
    bytes: usize,
    clock: u64,
    ticks_reused: u64,
    ticks_asked: u64,
    evicted: u64,
}

/// One settings version's settled ticks. Dropped with its settings, giving its bytes back.
#[derive(Debug)]
pub struct Settled {
    settle_ms: i64,
    budget_bytes: usize,
    inner: Mutex<Inner>,
    /// [`Kind`] per expression: an evaluation asks the same few dozen every time, and parsing
    /// them again each time is wasted work. Cleared when it reaches [`KEEPABLE_MEMO`] entries.
    kinds: Mutex<HashMap<String, Kind>>,
    /// Per selector, a settled span over which the series API found none of its series
    /// (`crate::evaluate::presence`); as [`Settled::kinds`], cleared at [`KEEPABLE_MEMO`] entries.
    absent: Mutex<HashMap<String, Span>>,
}

/// What is known of an expression before asking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// Its settled ticks may be kept ([`Kind::of`]).
    pub keepable: bool,
    /// It answers an instant vector, so it can be asked together with others (`crate::coalesce`).
    pub vector: bool,
}

impl Kind {
    /// An expression's settled ticks may be kept when it reads only the past (no negative
    /// `offset`, no `@`); one that does not parse is never kept.
    fn of(expr: &str) -> Kind {
        match crate::promql::Query::parse(expr) {
            Ok(q) => Kind { keepable: q.reads_only_the_past(), vector: q.is_vector() },
            Err(_) => Kind { keepable: false, vector: false },
        }
    }
}

/// Expressions whose keepability is remembered: far more than any pipeline and its rules name.
const KEEPABLE_MEMO: usize = 4096;

/// A tick span `first..=last` at `step` (both ends on the ticks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: i64,
    pub last: i64,
}

/// What to ask the upstream for when `kept` (on the same ticks) is kept and `want` is wanted: the
/// ticks of `want` before and after `kept`, or all of `want` when they do not overlap.
pub fn missing(kept: Option<Span>, want: Span, step: i64) -> Vec<Span> {
    let Some(k) = kept.filter(|k| k.first <= want.last && want.first <= k.last) else {
        return vec![want];
    };
    let mut out = Vec::new();
    if want.first < k.first {
        out.push(Span { first: want.first, last: k.first.saturating_sub(step) });
    }
    if want.last > k.last {
        out.push(Span { first: k.last.saturating_add(step), last: want.last });
    }
    out
}

/// The samples of `series` at `span`'s ticks; a series without any is left out, as the upstream leaves it out.
pub fn slice(series: &[RangeSeries], span: Span) -> Vec<RangeSeries> {
    series
        .iter()
        .filter_map(|s| {
            let samples: Vec<(i64, f64)> =
                s.samples.iter().copied().filter(|&(t, _)| t >= span.first && t <= span.last).collect();
            (!samples.is_empty()).then(|| RangeSeries { labels: s.labels.clone(), samples })
        })
        .collect()
}

/// The last tick (on `first`'s phase at `step`) no later than `horizon`, if any is at or after `first`.
pub fn last_tick_by(first: i64, step: i64, horizon: i64) -> Option<i64> {
    (horizon >= first).then(|| {
        first.saturating_add(horizon.saturating_sub(first).div_euclid(step.max(1)).saturating_mul(step.max(1)))
    })
}

/// The span to keep after answering `want` with `have` (what is known, contiguous, `want`
/// included): its settled ticks, no older than the longest look back an evaluation of `want` makes
/// ([`ACTIVE_AT_LOOKBACK_MS`], or the window's own length when longer), and at most
/// [`SETTLED_MAX_TICKS`] of the newest.
pub fn to_keep(have: Span, want: Span, step: i64, settled_by: i64) -> Option<Span> {
    let step = step.max(1);
    let last = last_tick_by(have.first, step, settled_by)?.min(have.last);
    let reach = want.last.saturating_sub(want.first).max(ACTIVE_AT_LOOKBACK_MS[ACTIVE_AT_LOOKBACK_MS.len() - 1]);
    let oldest =
        want.first.saturating_sub(reach).max(last.saturating_sub((SETTLED_MAX_TICKS - 1).saturating_mul(step)));
    // The first tick at or after `oldest`.
    let first = if have.first >= oldest {
        have.first
    } else {
        let ticks = oldest.saturating_sub(have.first).saturating_add(step - 1).div_euclid(step);
        have.first.saturating_add(ticks.saturating_mul(step))
    };
    (first <= last).then_some(Span { first, last })
}

fn weight(series: &[RangeSeries]) -> usize {
    series
        .iter()
        .map(|s| 64 + s.labels.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>() + s.samples.len() * 16)
        .sum()
}

impl Settled {
    pub fn new(settle_ms: i64) -> Settled {
        Settled::with_budget(settle_ms, SETTLED_BUDGET_BYTES)
    }

    pub fn with_budget(settle_ms: i64, budget_bytes: usize) -> Settled {
        Settled {
            settle_ms,
            budget_bytes,
            inner: Mutex::new(Inner::default()),
            kinds: Mutex::new(HashMap::new()),
            absent: Mutex::new(HashMap::new()),
        }
    }

    /// [`Kind::of`], parsed once per expression.
    pub fn kind(&self, expr: &str) -> Kind {
        let mut memo = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&known) = memo.get(expr) {
            return known;
        }
        if memo.len() >= KEEPABLE_MEMO {
            memo.clear();
        }
        let known = Kind::of(expr);
        memo.insert(expr.to_string(), known);
        known
    }

    /// Whether `expr`'s settled ticks may be kept ([`Kind::of`]), parsed once per expression.
    pub fn keepable(&self, expr: &str) -> bool {
        self.kind(expr).keepable
    }

    /// The settled span (ms, both ends inclusive) over which `selector` was found to have no series.
    pub fn known_absent(&self, selector: &str) -> Option<Span> {
        self.absent.lock().unwrap_or_else(|p| p.into_inner()).get(selector).copied()
    }

    /// Remembers that `selector` has no series over `span`, as far as it is settled by `now_ms`: a
    /// series that appears later than the settle time is not seen there, as a sample is not.
    pub fn keep_absent(&self, selector: &str, span: Span, now_ms: i64) {
        let last = span.last.min(now_ms.saturating_sub(self.settle_ms));
        if self.settle_ms <= 0 || last < span.first {
            return;
        }
        let mut absent = self.absent.lock().unwrap_or_else(|p| p.into_inner());
        if absent.len() >= KEEPABLE_MEMO && !absent.contains_key(selector) {
            absent.clear();
        }
        absent.insert(selector.to_string(), Span { first: span.first, last });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What CheckHealth reports.
    pub fn usage(&self) -> SettledUse {
        let inner = self.lock();
        SettledUse {
            settle_ms: self.settle_ms,
            queries: inner.kept.len(),
            bytes: inner.bytes,
            process_bytes: PROCESS_BYTES.load(Ordering::Relaxed),
            budget_bytes: self.budget_bytes,
            ticks_reused: inner.ticks_reused,
            ticks_asked: inner.ticks_asked,
            evicted: inner.evicted,
        }
    }

    /// A range query at `start, start+step, …, ≤ end` as [`PromClient::query_range`] answers it,
    /// asking the upstream only for the ticks not kept; `now_ms` decides which ticks are settled.
    /// What is asked of an expression that is keepable and a vector goes `together` with the
    /// evaluation's other small asks.
    #[allow(clippy::too_many_arguments)]
    pub async fn query_range(
        &self,
        client: &PromClient,
        together: &Coalescer,
        kind: Kind,
        expr: &str,
        start: i64,
        end: i64,
        step: i64,
        now_ms: i64,
        budget: &Budget,
    ) -> Result<Vec<RangeSeries>, PromError> {
        let step = step.max(1);
        let ask = |first: i64, last: i64| async move {
            if kind.keepable && kind.vector {
                together.query_range(client, expr, first, last, step, budget).await
            } else {
                client.query_range(expr, first, last, step, budget).await
            }
        };
        if !kind.keepable || self.settle_ms <= 0 || end < start {
            return ask(start, end).await;
        }
        let want = Span { first: start, last: last_tick_by(start, step, end).unwrap_or(start) };
        let key =
            Key { base: client.base_url().to_string(), expr: expr.to_string(), step, phase: start.rem_euclid(step) };
        let (kept_span, reused) = {
            let mut inner = self.lock();
            inner.clock = inner.clock.wrapping_add(1);
            let now = inner.clock;
            match inner.kept.get_mut(&key) {
                Some(k) => {
                    k.used = now;
                    let span = Span { first: k.first, last: k.last };
                    let overlap = Span { first: span.first.max(want.first), last: span.last.min(want.last) };
                    let reused = if overlap.first <= overlap.last { slice(&k.series, overlap) } else { Vec::new() };
                    (Some(span), reused)
                }
                None => (None, Vec::new()),
            }
        };
        let asks = missing(kept_span, want, step);
        let reused_ticks = want_ticks(want, step).saturating_sub(asks.iter().map(|a| want_ticks(*a, step)).sum());
        budget.hold(reused.iter().map(|s| s.samples.len()).sum()).map_err(|e| PromError::Limit(e.to_string()))?;
        let answers = futures_util::future::join_all(asks.iter().map(|a| ask(a.first, a.last))).await;
        let mut parts = vec![reused];
        for answer in answers {
            parts.push(answer?);
        }
        // Kept ticks sit between the ones asked before and after them: back in time order.
        let series = in_tick_order(merge(parts));
        if series.len() > MAX_SERIES_PER_QUERY {
            return Err(PromError::TooLarge {
                url: format!("{}/api/v1/query_range", client.base_url()),
                detail: format!("the query returned {} series, more than the {MAX_SERIES_PER_QUERY} one query may; narrow it (e.g. sum by (…))", series.len()),
            });
        }
        self.keep(key, kept_span, want, &series, now_ms, reused_ticks, asks.iter().map(|a| want_ticks(*a, step)).sum());
        Ok(series)
    }

    /// Keeps the settled part of what is now known for `key`: the kept span and `want` together when
    /// they overlap or touch, `want` alone otherwise.
    #[allow(clippy::too_many_arguments)]
    fn keep(
        &self,
        key: Key,
        kept: Option<Span>,
        want: Span,
        answer: &[RangeSeries],
        now_ms: i64,
        reused: u64,
        asked: u64,
    ) {
        let step = key.step;
        let joined =
            kept.filter(|k| k.first <= want.last.saturating_add(step) && want.first <= k.last.saturating_add(step));
        let have = match joined {
            Some(k) => Span { first: k.first.min(want.first), last: k.last.max(want.last) },
            None => want,
        };
        let mut inner = self.lock();
        inner.ticks_reused = inner.ticks_reused.saturating_add(reused);
        inner.ticks_asked = inner.ticks_asked.saturating_add(asked);
        let Some(span) = to_keep(have, want, step, now_ms.saturating_sub(self.settle_ms)) else {
            return;
        };
        if joined.is_some() && kept.is_some_and(|k| span.first >= k.first && span.last <= k.last) {
            return;
        }
        let previous =
            inner.kept.get(&key).filter(|_| joined.is_some()).map(|k| slice(&k.series, span)).unwrap_or_default();
        let series = in_tick_order(merge([previous, slice(answer, span)]));
        let bytes = weight(&series) + key.expr.len() + 64;
        if let Some(old) = inner.kept.remove(&key) {
            inner.bytes = inner.bytes.saturating_sub(old.bytes);
            PROCESS_BYTES.fetch_sub(old.bytes, Ordering::Relaxed);
        }
        while PROCESS_BYTES.load(Ordering::Relaxed).saturating_add(bytes) > self.budget_bytes {
            let Some(oldest) = inner.kept.iter().min_by_key(|(_, k)| k.used).map(|(key, _)| key.clone()) else {
                inner.evicted = inner.evicted.saturating_add(1);
                return;
            };
            if let Some(old) = inner.kept.remove(&oldest) {
                inner.bytes = inner.bytes.saturating_sub(old.bytes);
                PROCESS_BYTES.fetch_sub(old.bytes, Ordering::Relaxed);
                inner.evicted = inner.evicted.saturating_add(1);
            }
        }
        let used = inner.clock;
        inner.bytes = inner.bytes.saturating_add(bytes);
        PROCESS_BYTES.fetch_add(bytes, Ordering::Relaxed);
        inner.kept.insert(key, Kept { first: span.first, last: span.last, series, bytes, used });
    }
}

/// Samples in time order, one per tick (a kept series and a fresh answer overlap where ticks were
/// asked again; the sort finds the few runs and merges them).
fn in_tick_order(mut series: Vec<RangeSeries>) -> Vec<RangeSeries> {
    for s in &mut series {
        s.samples.sort_by_key(|&(t, _)| t);
        s.samples.dedup_by_key(|&mut (t, _)| t);
    }
    series
}

fn want_ticks(span: Span, step: i64) -> u64 {
    if span.last < span.first {
        return 0;
    }
    (span.last.saturating_sub(span.first) / step.max(1)).saturating_add(1) as u64
}

/// One evaluation's view of the upstream: its range queries go through the settled store, with
/// one `now` deciding what is settled, and its small asks go together (`crate::coalesce`).
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub client: &'a PromClient,
    settled: &'a Settled,
    together: &'a Coalescer,
    now_ms: i64,
}

impl<'a> Reader<'a> {
    pub fn new(client: &'a PromClient, settled: &'a Settled, together: &'a Coalescer, now_ms: i64) -> Reader<'a> {
        Reader { client, settled, together, now_ms }
    }

    /// [`PromClient::query_range`], with what is settled kept; an expression that may read ahead
    /// of its tick or is pinned to the range is asked in full every time.
    pub async fn query_range(
        &self,
        expr: &str,
        start: i64,
        end: i64,
        step: i64,
        budget: &Budget,
    ) -> Result<Vec<RangeSeries>, PromError> {
        self.settled
            .query_range(
                self.client,
                self.together,
                self.settled.kind(expr),
                expr,
                start,
                end,
                step,
                self.now_ms,
                budget,
            )
            .await
    }

    /// Whether `expr`'s settled ticks may be kept ([`Settled::keepable`], remembered per settings version).
    pub fn keepable(&self, expr: &str) -> bool {
        self.settled.keepable(expr)
    }

    /// [`Settled::known_absent`].
    pub fn known_absent(&self, selector: &str) -> Option<Span> {
        self.settled.known_absent(selector)
    }

    /// [`Settled::keep_absent`], settled by this evaluation's `now`.
    pub fn keep_absent(&self, selector: &str, span: Span) {
        self.settled.keep_absent(selector, span, self.now_ms)
    }

    /// The same for a batch of others (`evaluate::graphs`' marked batches: a vector), `keepable`
    /// when every part is.
    pub async fn query_range_of(
        &self,
        expr: &str,
        keepable: bool,
        start: i64,
        end: i64,
        step: i64,
        budget: &Budget,
    ) -> Result<Vec<RangeSeries>, PromError> {
        self.settled
            .query_range(
                self.client,
                self.together,
                Kind { keepable, vector: true },
                expr,
                start,
                end,
                step,
                self.now_ms,
                budget,
            )
            .await
    }
}

impl Drop for Settled {
    fn drop(&mut self) {
        let bytes = self.lock().bytes;
        PROCESS_BYTES.fetch_sub(bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;
    const H: i64 = 60 * M;

    #[test]
    fn keepability_is_remembered_and_the_memo_stays_bounded() {
        let settled = Settled::new(0);
        assert!(settled.keepable("rate(x[5m])"));
        assert!(!settled.keepable("x offset -5m"));
        assert!(!settled.keepable("x @ end()"));
        assert!(!settled.keepable("sum("), "what does not parse is never kept");
        for i in 0..KEEPABLE_MEMO + 10 {
            assert!(settled.keepable(&format!("x{i}")));
        }
        assert!(settled.kinds.lock().unwrap().len() <= KEEPABLE_MEMO);
        assert!(!settled.keepable("x offset -5m"));
    }

    fn span(first: i64, last: i64) -> Span {
        Span { first: first * M, last: last * M }
    }

    #[test]
    fn only_the_ticks_outside_what_is_kept_are_asked() {
        // A refresh a minute later: only the newest tick.
        assert_eq!(missing(Some(span(0, 1440)), span(1, 1441), M), [span(1441, 1441)]);
        // A window inside what is kept: nothing.
        assert_eq!(missing(Some(span(0, 1440)), span(10, 20), M), []);
        // Reaching further back (an episode active at the edge) and ahead: both sides.
        assert_eq!(missing(Some(span(100, 200)), span(40, 260), M), [span(40, 99), span(201, 260)]);
        // Apart from what is kept, or nothing kept: all of it.
        assert_eq!(missing(Some(span(0, 10)), span(12, 20), M), [span(12, 20)]);
        assert_eq!(missing(None, span(12, 20), M), [span(12, 20)]);
    }

    #[test]
    fn slices_keep_the_ticks_of_their_span_and_drop_empty_series() {
        let s = vec![
            RangeSeries::new(&[("a", "1")], &[(0, 1.0), (M, 2.0), (2 * M, 3.0)]),
            RangeSeries::new(&[("a", "2")], &[(0, 5.0)]),
        ];
        let cut = slice(&s, span(1, 2));
        assert_eq!(cut, vec![RangeSeries::new(&[("a", "1")], &[(M, 2.0), (2 * M, 3.0)])]);
    }

    #[test]
    fn what_is_kept_is_settled_bounded_and_on_the_ticks() {
        // Settled up to 12 ticks before the newest (10m settle + a little): the rest is asked again next time.
        assert_eq!(to_keep(span(0, 1440), span(0, 1440), M, 1428 * M + 30_000), Some(span(0, 1428)));
        // Nothing settled yet.
        assert_eq!(to_keep(span(0, 10), span(0, 10), M, -1), None);
        // Kept from long ago: no older than a day before the window (the furthest an episode's start is looked for).
        assert_eq!(to_keep(span(-5000, 1440), span(0, 1440), M, 1440 * M), Some(span(-1440, 1440)));
        // Ticks at a phase: the first kept is a tick.
        let have = Span { first: 7_000, last: 7_000 + 3 * 24 * H };
        let kept = to_keep(have, Span { first: 7_000 + 2 * 24 * H, last: have.last }, M, have.last).unwrap();
        assert_eq!((kept.first - 7_000) % M, 0);
        assert_eq!(kept.first, 7_000 + 24 * H);
        assert_eq!(last_tick_by(7_000, M, 7_000 + 5 * M + 59_999), Some(7_000 + 5 * M));
        assert_eq!(last_tick_by(7_000, M, 6_999), None);
    }

    #[test]
    fn samples_come_back_in_time_order_once_per_tick() {
        let s = in_tick_order(merge([
            vec![RangeSeries::new(&[], &[(2 * M, 2.0)])],
            vec![RangeSeries::new(&[], &[(0, 0.0), (M, 1.0), (2 * M, 2.0)])],
        ]));
        assert_eq!(s[0].samples, [(0, 0.0), (M, 1.0), (2 * M, 2.0)]);
    }
}
