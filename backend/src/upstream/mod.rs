//! Every range query the backend makes, asked in one place.
//!
//! A reader (a rule, the ruler's `ALERTS`, a headline or an edge's sparkline, queue insight, a raw
//! panel in the drill-down) says what it wants as an [`Ask`]: an expression, its ticks, its
//! purpose. One round of asks goes through two steps:
//!
//! ```text
//!   asks ──► plan (pure) ─────────────────────────────► execute ──────────────► answers, per ask
//!            1 repeats: one source per expr and ticks     send every request      kept + asked, merged
//!            2 carrying: a source held by a wider one      at once; a batch that   keep what is settled
//!              of the same expr is read from it            fails goes part by      filter, cut to the
//!            3 settled: ask only the ticks not kept ◄──┐   part                    ask's own ticks
//!            4 requests: parts together or alone       │        │
//!                                                      │        ▼
//!                                           settled store   PromClient: identical requests share
//!                                           (settled.rs)    one answer across callers (share.rs),
//!                                                           chunked, budgeted, checked (crate::prom)
//! ```
//!
//! An evaluation asks in rounds: everything first, then, only for rules whose episode is active at
//! the edge of what was looked at, further back (`crate::evaluate::fetch`). The planner is tested
//! on asks alone ([`plan`]); the wire shapes live in [`batch`] (several expressions in one query)
//! and [`share`] (one request for identical asks of many callers).

pub mod ask;
pub mod batch;
pub mod execute;
pub mod plan;
pub mod settled;
pub mod share;

use std::collections::HashMap;
use std::ops::RangeInclusive;

use codexflow_core::Ticks;

pub use ask::{answer_at, Answer, Ask, Purpose};
pub use settled::Settled;

use crate::budget::Budget;
use crate::prom::PromClient;
use crate::series::RangeSeries;

/// One evaluation's (or drill-down's) view of the upstream: its client, its settings' settled
/// store, and the one `now` that decides what is settled.
#[derive(Clone, Copy)]
pub struct Upstream<'a> {
    pub client: &'a PromClient,
    settled: &'a Settled,
    now_ms: i64,
    /// Whether settled ticks are read and kept (not for the drill-down, whose step follows its zoom:
    /// what it kept would rarely serve again and would push the evaluations' ticks out).
    keeping: bool,
}

impl<'a> Upstream<'a> {
    pub fn new(client: &'a PromClient, settled: &'a Settled, now_ms: i64) -> Upstream<'a> {
        Upstream { client, settled, now_ms, keeping: true }
    }

    /// The same, neither reading nor keeping settled ticks.
    pub fn without_keeping(self) -> Upstream<'a> {
        Upstream { keeping: false, ..self }
    }

    /// Answers one round of asks, in ask order.
    pub async fn ask(&self, asks: &[Ask], budget: &Budget) -> Vec<Answer> {
        let base = self.client.base_url();
        let mut kept: HashMap<(String, Ticks), Vec<RangeSeries>> = HashMap::new();
        let plan = plan::plan(
            asks,
            |e| self.settled.kind(e),
            |e, ticks| {
                if !self.keeping {
                    return None;
                }
                let (reused, series) = self.settled.reuse(base, e, ticks)?;
                kept.insert((e.to_string(), *ticks), series);
                Some(reused)
            },
        );
        // Only what the planner counted on: a kept span it did not trust is asked again, not merged.
        let reused =
            plan.sources.iter().map(|s| s.reused.and_then(|_| kept.remove(&(s.expr.clone(), s.ticks)))).collect();
        execute::execute(self, &plan, reused, budget).await
    }

    /// [`Settled::known_absent`].
    pub fn known_absent(&self, selector: &str) -> Option<RangeInclusive<i64>> {
        self.settled.known_absent(selector)
    }

    /// [`Settled::keep_absent`], settled by this evaluation's `now`.
    pub fn keep_absent(&self, selector: &str, range: RangeInclusive<i64>) {
        self.settled.keep_absent(selector, range, self.now_ms)
    }
}
