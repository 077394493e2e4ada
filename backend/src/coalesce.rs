//! Small range queries of one evaluation, sent as one request.
//!
//! A refresh asks every rule, graph and presence check for a few new ticks each: a dozen requests
//! of a few dozen samples, whose cost upstream is almost all the fixed cost of a request (HTTP,
//! queueing in Mimir's frontend, planning). Asked together (`crate::prom::marked`) they cost one.
//!
//! The asks of one evaluation reach [`Coalescer::query_range`] together: everything an evaluation
//! asks first is polled within the same poll of its task, so the first ask to arrive leads, lets
//! the task's other futures run once (`yield_now`), and then sends all that arrived meanwhile. Asks
//! on the same ticks, or nearly (a rule looking back a tick further), go in one query over their
//! ticks together, and each gets back its own ticks: a range query's value at a tick does not
//! depend on the query's other ticks (only asks whose expressions read nothing but the past are
//! sent here, `crate::settled::Settled::keepable`). What fails together (one part erring upstream, too many
//! series together) is asked again one at a time, so a failing part still fails only itself.
//!
//! Big asks (a cold window's) go alone and in parallel, as before: sent together they would be
//! evaluated one after another upstream, and their fixed cost is small beside their samples.

use std::sync::{Mutex, MutexGuard};

use codexflow_core::limits::{TOGETHER_MAX_PARTS, TOGETHER_MAX_TICKS};
use futures_util::future::join_all;
use tokio::sync::oneshot;

use crate::budget::Budget;
use crate::prom::marked::{batched, split};
use crate::prom::{PromClient, PromError};
use crate::series::RangeSeries;

/// The label that tells the parts of a request apart (another than `evaluate::graphs`' mark, whose
/// batches may be parts here).
const MARK: &str = "__codexflow_part";

type Answer = Result<Vec<RangeSeries>, PromError>;

/// Ticks `first, first+step, …, last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub first: i64,
    pub last: i64,
    pub step: i64,
}

impl Grid {
    fn ticks(&self) -> i64 {
        (self.last.saturating_sub(self.first) / self.step.max(1)).saturating_add(1)
    }

    /// Whether every tick of `other` is one of the ticks `self` would have if widened to cover it.
    fn holds(&self, other: &Grid) -> bool {
        other.step % self.step == 0 && other.first.saturating_sub(self.first).rem_euclid(self.step) == 0
    }

    fn union(&self, other: &Grid) -> Grid {
        Grid { first: self.first.min(other.first), last: self.last.max(other.last), step: self.step }
    }
}

struct Ask {
    expr: String,
    grid: Grid,
    reply: oneshot::Sender<Answer>,
}

/// One evaluation's asks waiting to be sent together.
#[derive(Default)]
pub struct Coalescer {
    waiting: Mutex<Vec<Ask>>,
}

/// Held by the ask that leads while it lets the others arrive: if it is dropped then (the
/// evaluation cancelled), the waiting asks are dropped with it and each of their askers, if still
/// there, asks alone.
struct Leading<'a>(Option<&'a Coalescer>);

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.0 {
            c.lock().clear();
        }
    }
}

impl Coalescer {
    fn lock(&self) -> MutexGuard<'_, Vec<Ask>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// [`PromClient::query_range`] of `expr` (an instant vector reading only the past), sent together
    /// with this evaluation's other small asks.
    pub async fn query_range(
        &self,
        client: &PromClient,
        expr: &str,
        start: i64,
        end: i64,
        step: i64,
        budget: &Budget,
    ) -> Answer {
        let step = step.max(1);
        if end < start {
            return client.query_range(expr, start, end, step, budget).await;
        }
        let grid = Grid { first: start, last: start.saturating_add((end - start) / step * step), step };
        if grid.ticks() > TOGETHER_MAX_TICKS {
            return client.query_range(expr, start, end, step, budget).await;
        }
        let (reply, answer) = oneshot::channel();
        let leads = {
            let mut waiting = self.lock();
            waiting.push(Ask { expr: expr.to_string(), grid, reply });
            waiting.len() == 1
        };
        if leads {
            let mut leading = Leading(Some(self));
            tokio::task::yield_now().await;
            let asks = std::mem::take(&mut *self.lock());
            leading.0 = None;
            send(client, asks, budget).await;
        }
        match answer.await {
            Ok(answer) => answer,
            // The leader went away before answering (cancelled): ask alone.
            Err(_) => client.query_range(expr, start, end, step, budget).await,
        }
    }
}

/// Ticks a part may be evaluated at beyond its own at either end, sent together with others: each
/// extra tick costs the upstream the part's samples again, more than a request's fixed cost saves
/// once there are more than a few.
const SLACK_TICKS: i64 = 2;

/// Which asks go together: per group, the indices of `grids`, on one step and phase, each part's
/// ticks within [`SLACK_TICKS`] of the group's at both ends, at most [`TOGETHER_MAX_TICKS`] ticks
/// and [`TOGETHER_MAX_PARTS`] parts.
pub fn groups(grids: &[Grid]) -> Vec<(Grid, Vec<usize>)> {
    // Per group: the ticks of all, the latest first and the earliest last of its parts.
    let mut out: Vec<(Grid, (i64, i64), Vec<usize>)> = Vec::new();
    for (i, ask) in grids.iter().enumerate() {
        let fits = out.iter_mut().find(|(g, (latest_first, earliest_last), members)| {
            let union = g.union(ask);
            let slack = SLACK_TICKS.saturating_mul(g.step);
            members.len() < TOGETHER_MAX_PARTS
                && g.step == ask.step
                && g.holds(ask)
                && union.ticks() <= TOGETHER_MAX_TICKS
                && (*latest_first).max(ask.first).saturating_sub(union.first) <= slack
                && union.last.saturating_sub((*earliest_last).min(ask.last)) <= slack
        });
        match fits {
            Some((g, (latest_first, earliest_last), members)) => {
                *g = g.union(ask);
                *latest_first = (*latest_first).max(ask.first);
                *earliest_last = (*earliest_last).min(ask.last);
                members.push(i);
            }
            None => out.push((*ask, (ask.first, ask.last), vec![i])),
        }
    }
    out.into_iter().map(|(g, _, members)| (g, members)).collect()
}

/// `series` at `grid`'s ticks only; a series left without any is left out, as the upstream would.
pub fn on_ticks(series: Vec<RangeSeries>, grid: &Grid) -> Vec<RangeSeries> {
    series
        .into_iter()
        .filter_map(|mut s| {
            s.samples.retain(|&(t, _)| {
                t >= grid.first && t <= grid.last && t.saturating_sub(grid.first).rem_euclid(grid.step.max(1)) == 0
            });
            (!s.samples.is_empty()).then_some(s)
        })
        .collect()
}

async fn send(client: &PromClient, asks: Vec<Ask>, budget: &Budget) {
    let grids: Vec<Grid> = asks.iter().map(|a| a.grid).collect();
    let mut asks: Vec<Option<Ask>> = asks.into_iter().map(Some).collect();
    let together: Vec<(Grid, Vec<Ask>)> = groups(&grids)
        .into_iter()
        .map(|(g, members)| (g, members.into_iter().filter_map(|i| asks.get_mut(i).and_then(Option::take)).collect()))
        .collect();
    join_all(together.into_iter().map(|(grid, parts)| send_group(client, grid, parts, budget))).await;
}

async fn send_group(client: &PromClient, grid: Grid, parts: Vec<Ask>, budget: &Budget) {
    if parts.len() > 1 {
        let exprs: Vec<&str> = parts.iter().map(|a| a.expr.as_str()).collect();
        let answer = client.query_range(&batched(MARK, &exprs), grid.first, grid.last, grid.step, budget).await;
        if let Some(each) = answer.ok().and_then(|series| split(MARK, series, parts.len())) {
            for (ask, series) in parts.into_iter().zip(each) {
                let _ = ask.reply.send(Ok(on_ticks(series, &ask.grid)));
            }
            return;
        }
    }
    join_all(parts.into_iter().map(|ask| async move {
        let answer = client.query_range(&ask.expr, ask.grid.first, ask.grid.last, ask.grid.step, budget).await;
        let _ = ask.reply.send(answer);
    }))
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    fn g(first: i64, last: i64, step: i64) -> Grid {
        Grid { first: first * M, last: last * M, step: step * M }
    }

    #[test]
    fn asks_go_together_when_their_ticks_are_the_same_or_nearly() {
        // A refresh: rules at 1m over the unsettled ticks (one looking back a tick further), the newest tick.
        let asks = [g(100, 110, 1), g(99, 110, 1), g(101, 110, 1), g(110, 110, 1)];
        assert_eq!(groups(&asks), [(g(99, 110, 1), vec![0, 1, 2]), (g(110, 110, 1), vec![3])]);
        // Another phase, or another step: apart, even where one's ticks lie on the other's.
        let asks =
            [g(0, 10, 2), Grid { first: 30_000, last: 30_000 + 10 * M, step: M }, g(2, 10, 2), g(0, 9, 3), g(0, 10, 1)];
        assert_eq!(
            groups(&asks),
            [(g(0, 10, 2), vec![0, 2]), (asks[1], vec![1]), (g(0, 9, 3), vec![3]), (g(0, 10, 1), vec![4])]
        );
        // A part that would leave another more than two ticks short at an end: apart.
        let asks = [g(10, 20, 1), g(8, 20, 1), g(7, 20, 1), g(8, 22, 1), g(9, 23, 1)];
        assert_eq!(groups(&asks), [(g(8, 22, 1), vec![0, 1, 3]), (g(7, 20, 1), vec![2]), (g(9, 23, 1), vec![4])]);
        // Far apart in time, or too many ticks together: apart.
        assert_eq!(groups(&[g(0, 10, 1), g(200, 210, 1)]).len(), 2);
        let long = TOGETHER_MAX_TICKS - 1;
        assert_eq!(groups(&[g(0, long, 1), g(2, long + 2, 1)]).len(), 2);
        // At most so many parts to a request.
        let many: Vec<Grid> = (0..TOGETHER_MAX_PARTS + 1).map(|_| g(0, 1, 1)).collect();
        assert_eq!(groups(&many).iter().map(|(_, m)| m.len()).collect::<Vec<_>>(), [TOGETHER_MAX_PARTS, 1]);
    }

    #[test]
    fn each_part_gets_back_its_own_ticks() {
        let answer = vec![
            RangeSeries::new(&[("a", "1")], &[(0, 0.0), (M, 1.0), (2 * M, 2.0), (6 * M, 6.0)]),
            RangeSeries::new(&[("a", "2")], &[(M, 1.0)]),
        ];
        assert_eq!(
            on_ticks(answer.clone(), &g(0, 6, 2)),
            vec![RangeSeries::new(&[("a", "1")], &[(0, 0.0), (2 * M, 2.0), (6 * M, 6.0)])]
        );
        assert_eq!(on_ticks(answer, &g(1, 1, 1)).len(), 2);
    }
}
