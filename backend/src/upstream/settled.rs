//! Settled ticks, kept: a refresh asks the upstream only for what is new. The planner reads what is
//! kept ([`Settled::reuse`]) and the executor keeps what it learns ([`Settled::keep`]).
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
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use codexflow_core::api::SettledUse;
use codexflow_core::limits::{ACTIVE_AT_LOOKBACK_MS, SETTLED_BUDGET_BYTES, SETTLED_MAX_TICKS};
use codexflow_core::Ticks;

use crate::series::{at_ticks, in_tick_order, merge, RangeSeries};

/// Bytes every settings version's store holds together.
static PROCESS_BYTES: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    base: String,
    expr: String,
    step: i64,
    phase: i64,
}

impl Key {
    fn of(base: &str, expr: &str, ticks: &Ticks) -> Key {
        let step = ticks.step.max(1);
        Key { base: base.to_string(), expr: expr.to_string(), step, phase: ticks.first.rem_euclid(step) }
    }
}

/// One query's settled ticks and its series over them.
#[derive(Debug)]
struct Kept {
    ticks: Ticks,
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
    /// Per selector, a settled time range (ms) over which the series API found none of its series
    /// (`crate::evaluate::presence`); as [`Settled::kinds`], cleared at [`KEEPABLE_MEMO`] entries.
    absent: Mutex<HashMap<String, RangeInclusive<i64>>>,
}

/// What is known of an expression before asking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// Its settled ticks may be kept ([`Kind::of`]), and its value at a tick does not depend on
    /// the query's other ticks.
    pub keepable: bool,
    /// It answers an instant vector, so it can be asked together with others (`super::batch`).
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

/// The ticks of `ticks` no later than `horizon`.
fn until(ticks: &Ticks, horizon: i64) -> Ticks {
    if horizon < ticks.first {
        return Ticks { count: 0, ..*ticks };
    }
    let last = ticks.first.saturating_add(
        horizon.saturating_sub(ticks.first).div_euclid(ticks.step.max(1)).saturating_mul(ticks.step.max(1)),
    );
    Ticks::between(ticks.first, ticks.end().min(last), ticks.step)
}

/// What to keep after answering `want` with `have` (what is known, contiguous, `want` included):
/// its settled ticks, no older than the longest look back an evaluation of `want` makes
/// ([`ACTIVE_AT_LOOKBACK_MS`], or the window's own length when longer), and at most
/// [`SETTLED_MAX_TICKS`] of the newest.
pub fn to_keep(have: &Ticks, want: &Ticks, settled_by: i64) -> Option<Ticks> {
    let step = have.step.max(1);
    let last = until(have, settled_by).last()?;
    let reach = want.end().saturating_sub(want.first).max(ACTIVE_AT_LOOKBACK_MS[ACTIVE_AT_LOOKBACK_MS.len() - 1]);
    let oldest =
        want.first.saturating_sub(reach).max(last.saturating_sub((SETTLED_MAX_TICKS - 1).saturating_mul(step)));
    // The first tick at or after `oldest`.
    let first = if have.first >= oldest {
        have.first
    } else {
        let ticks = oldest.saturating_sub(have.first).saturating_add(step - 1).div_euclid(step);
        have.first.saturating_add(ticks.saturating_mul(step))
    };
    (first <= last).then(|| Ticks::between(first, last, step))
}

fn weight(series: &[RangeSeries]) -> usize {
    series
        .iter()
        .map(|s| 64 + s.labels.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>() + s.samples.len() * 16)
        .sum()
}

fn overlap(a: &Ticks, b: &Ticks) -> Option<Ticks> {
    let (a_last, b_last) = (a.last()?, b.last()?);
    let (first, last) = (a.first.max(b.first), a_last.min(b_last));
    (first <= last).then(|| Ticks::between(first, last, a.step))
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

    /// The time range (ms, both ends inclusive) over which `selector` was found to have no series.
    pub fn known_absent(&self, selector: &str) -> Option<RangeInclusive<i64>> {
        self.absent.lock().unwrap_or_else(|p| p.into_inner()).get(selector).cloned()
    }

    /// Remembers that `selector` has no series over `range`, as far as it is settled by `now_ms`: a
    /// series that appears later than the settle time is not seen there, as a sample is not.
    pub fn keep_absent(&self, selector: &str, range: RangeInclusive<i64>, now_ms: i64) {
        let last = (*range.end()).min(now_ms.saturating_sub(self.settle_ms));
        if self.settle_ms <= 0 || last < *range.start() {
            return;
        }
        let mut absent = self.absent.lock().unwrap_or_else(|p| p.into_inner());
        if absent.len() >= KEEPABLE_MEMO && !absent.contains_key(selector) {
            absent.clear();
        }
        absent.insert(selector.to_string(), *range.start()..=last);
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

    /// The ticks of `want` kept for `expr` against `base`, and the series over them; `None` when
    /// nothing is kept there or keeping is off (a settle time of 0).
    pub fn reuse(&self, base: &str, expr: &str, want: &Ticks) -> Option<(Ticks, Vec<RangeSeries>)> {
        if self.settle_ms <= 0 {
            return None;
        }
        let key = Key::of(base, expr, want);
        let mut inner = self.lock();
        inner.clock = inner.clock.wrapping_add(1);
        let now = inner.clock;
        let kept = inner.kept.get_mut(&key)?;
        kept.used = now;
        let shared = overlap(&kept.ticks, want)?;
        Some((shared, at_ticks(&kept.series, &shared)))
    }

    /// Keeps the settled part of what is now known for `expr` at `want`'s ticks (`answer`, every
    /// tick of `want`): what was kept and `want` together when they overlap or touch, `want` alone
    /// otherwise. `reused` and `asked` count the ticks read from here and from the upstream.
    #[allow(clippy::too_many_arguments)]
    pub fn keep(
        &self,
        base: &str,
        expr: &str,
        want: &Ticks,
        answer: &[RangeSeries],
        now_ms: i64,
        reused: u64,
        asked: u64,
    ) {
        if self.settle_ms <= 0 || want.count == 0 {
            return;
        }
        let key = Key::of(base, expr, want);
        let step = key.step;
        let mut inner = self.lock();
        inner.ticks_reused = inner.ticks_reused.saturating_add(reused);
        inner.ticks_asked = inner.ticks_asked.saturating_add(asked);
        let kept = inner.kept.get(&key).map(|k| k.ticks);
        let joined =
            kept.filter(|k| k.first <= want.end().saturating_add(step) && want.first <= k.end().saturating_add(step));
        let have = match joined {
            Some(k) => Ticks::between(k.first.min(want.first), k.end().max(want.end()), step),
            None => *want,
        };
        let Some(span) = to_keep(&have, want, now_ms.saturating_sub(self.settle_ms)) else {
            return;
        };
        if joined.is_some_and(|k| k.holds(&span)) {
            return;
        }
        let previous = match (joined, inner.kept.get(&key)) {
            (Some(_), Some(k)) => at_ticks(&k.series, &span),
            _ => Vec::new(),
        };
        let series = in_tick_order(merge([previous, at_ticks(answer, &span)]));
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
        inner.kept.insert(key, Kept { ticks: span, series, bytes, used });
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
        assert!(settled.kind("rate(x[5m])").keepable);
        assert!(!settled.kind("x offset -5m").keepable);
        assert!(!settled.kind("x @ end()").keepable);
        assert!(!settled.kind("sum(").keepable, "what does not parse is never kept");
        for i in 0..KEEPABLE_MEMO + 10 {
            assert!(settled.kind(&format!("x{i}")).keepable);
        }
        assert!(settled.kinds.lock().unwrap().len() <= KEEPABLE_MEMO);
        assert!(!settled.kind("x offset -5m").keepable);
    }

    fn t(first: i64, last: i64) -> Ticks {
        Ticks::between(first * M, last * M, M)
    }

    #[test]
    fn what_is_kept_is_settled_bounded_and_on_the_ticks() {
        // Settled up to 12 ticks before the newest (10m settle + a little): the rest is asked again next time.
        assert_eq!(to_keep(&t(0, 1440), &t(0, 1440), 1428 * M + 30_000), Some(t(0, 1428)));
        // Nothing settled yet.
        assert_eq!(to_keep(&t(0, 10), &t(0, 10), -1), None);
        // Kept from long ago: no older than a day before the window (the furthest an episode's start is looked for).
        assert_eq!(to_keep(&t(-5000, 1440), &t(0, 1440), 1440 * M), Some(t(-1440, 1440)));
        // Ticks at a phase: the first kept is a tick.
        let have = Ticks::between(7_000, 7_000 + 3 * 24 * H, M);
        let kept = to_keep(&have, &Ticks::between(7_000 + 2 * 24 * H, have.end(), M), have.end()).unwrap();
        assert_eq!((kept.first - 7_000) % M, 0);
        assert_eq!(kept.first, 7_000 + 24 * H);
        assert_eq!(until(&Ticks::between(7_000, 7_000 + 9 * M, M), 7_000 + 5 * M + 59_999).last(), Some(7_000 + 5 * M));
        assert_eq!(until(&Ticks::between(7_000, 7_000 + 9 * M, M), 6_999).count, 0);
    }

    #[test]
    fn what_is_kept_is_reused_joined_and_given_back() {
        let settled = Settled::new(10 * M);
        let series =
            |ticks: &Ticks| vec![RangeSeries::new(&[("a", "1")], &ticks.iter().map(|t| (t, 1.0)).collect::<Vec<_>>())];
        let first = t(0, 100);
        settled.keep("b", "x", &first, &series(&first), 100 * M, 0, 101);
        // Settled ten minutes before now: ticks 0..=90.
        let (reused, kept) = settled.reuse("b", "x", &t(1, 101)).unwrap();
        assert_eq!((reused, kept[0].samples.len()), (t(1, 90), 90));
        assert!(settled.reuse("other base", "x", &t(1, 101)).is_none());
        assert!(settled.reuse("b", "x", &Ticks::between(30_000, 30_000 + 10 * M, M)).is_none(), "another phase");
        // A refresh's answer joins what was kept.
        settled.keep("b", "x", &t(1, 101), &series(&t(1, 101)), 101 * M, 90, 11);
        assert_eq!(settled.reuse("b", "x", &t(0, 200)).unwrap().0, t(0, 91));
        assert_eq!((settled.usage().ticks_reused, settled.usage().ticks_asked), (90, 112));
        let bytes = PROCESS_BYTES.load(Ordering::Relaxed);
        assert!(bytes >= settled.usage().bytes && settled.usage().bytes > 0);
        // Keeping is off with a settle time of 0.
        let off = Settled::new(0);
        off.keep("b", "x", &first, &series(&first), 200 * M, 0, 101);
        assert!(off.reuse("b", "x", &first).is_none());
    }
}
