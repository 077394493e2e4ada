//! The planner: from asks to requests, pure. Given the asks of one round and what is settled, it
//! decides every request the round sends and how each answer reaches its readers:
//!
//! 1. **Repeats**: asks of one expression on the same ticks become one *source*.
//! 2. **Carrying**: a source whose ticks another source of the same expression holds is read from
//!    that one's answer (a range query's value at a tick does not depend on its other ticks, for an
//!    expression that reads only the past, [`Kind::keepable`]).
//! 3. **Settled ticks**: of a keepable source, only the ticks before and after those kept are asked;
//!    the kept ones are read from the store.
//! 4. **Requests**: what is left to ask, as *parts*, goes together ([`super::batch`]) when they are
//!    vectors and either light and on the same ticks ([`Purpose::light`]; graphs with graphs, queue
//!    insight with queue insight) or small and nearly on the same ticks ([`TOGETHER_MAX_TICKS`]);
//!    the rest goes alone, in parallel.

use codexflow_core::limits::{TOGETHER_MAX_PARTS, TOGETHER_MAX_TICKS};
use codexflow_core::Ticks;

use super::ask::{Ask, Purpose};
use super::settled::Kind;
use crate::promql::Filter;

/// One expression at one span of ticks, read by one or more asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub expr: String,
    pub ticks: Ticks,
    /// Its settled ticks may be kept and reused.
    pub keepable: bool,
    /// The ticks read from the settled store rather than asked.
    pub reused: Option<Ticks>,
}

/// A span of one source's ticks to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub source: usize,
    pub ticks: Ticks,
}

/// One upstream range query: a part alone, or several marked in one query over `ticks`, each part
/// getting back its own ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub ticks: Ticks,
    pub parts: Vec<Part>,
}

/// How an ask's answer is made: its source's series (none when it has no ticks), filtered, at its ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Route {
    pub source: Option<usize>,
    pub filter: Option<Filter>,
    pub ticks: Ticks,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub sources: Vec<Source>,
    pub requests: Vec<Request>,
    /// Per ask, in ask order.
    pub routes: Vec<Route>,
}

/// Plans one round of `asks`. `kind` says what is known of an expression before asking it; `kept`,
/// for a keepable source, which of its ticks the settled store holds (contiguous, on its ticks).
pub fn plan(asks: &[Ask], kind: impl Fn(&str) -> Kind, mut kept: impl FnMut(&str, &Ticks) -> Option<Ticks>) -> Plan {
    // 1. Repeats: one candidate per expression and ticks; light while every reader is.
    let mut candidates: Vec<(String, Ticks, Light)> = Vec::new();
    let mut of_ask: Vec<Option<usize>> = Vec::with_capacity(asks.len());
    for ask in asks {
        if ask.ticks.count == 0 {
            of_ask.push(None);
            continue;
        }
        match candidates.iter().position(|(e, t, _)| *e == ask.expr && *t == ask.ticks) {
            Some(i) => {
                candidates[i].2 = candidates[i].2.and(Light::of(ask.purpose));
                of_ask.push(Some(i));
            }
            None => {
                candidates.push((ask.expr.clone(), ask.ticks, Light::of(ask.purpose)));
                of_ask.push(Some(candidates.len() - 1));
            }
        }
    }
    // 2. Carrying: the widest first, so each candidate is read from the widest that holds it.
    let kinds: Vec<Kind> = candidates.iter().map(|(e, _, _)| kind(e)).collect();
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(candidates[i].1.count));
    let mut read_from: Vec<usize> = (0..candidates.len()).collect();
    let mut asked: Vec<usize> = Vec::new();
    for &i in &order {
        let (expr, ticks, _) = &candidates[i];
        let holder = kinds[i]
            .keepable
            .then(|| asked.iter().copied().find(|&h| candidates[h].0 == *expr && candidates[h].1.holds(ticks)))
            .flatten();
        match holder {
            Some(h) => {
                read_from[i] = h;
                candidates[h].2 = candidates[h].2.and(candidates[i].2);
            }
            None => asked.push(i),
        }
    }
    // 3. Settled ticks: sources in the order first asked, each with what is left to ask.
    asked.sort_unstable();
    let mut out = Plan::default();
    let mut index_of = vec![0; candidates.len()];
    let mut parts: Vec<(Part, Light, Kind)> = Vec::new();
    for &i in &asked {
        let (expr, ticks, light) = &candidates[i];
        let k = kinds[i];
        let reused = if k.keepable { kept(expr, ticks).filter(|r| r.count > 0 && ticks.holds(r)) } else { None };
        index_of[i] = out.sources.len();
        for missing in missing(reused, ticks) {
            parts.push((Part { source: out.sources.len(), ticks: missing }, *light, k));
        }
        out.sources.push(Source { expr: expr.clone(), ticks: *ticks, keepable: k.keepable, reused });
    }
    out.routes = asks
        .iter()
        .zip(&of_ask)
        .map(|(ask, c)| Route { source: c.map(|c| index_of[read_from[c]]), filter: ask.filter, ticks: ask.ticks })
        .collect();
    // 4. Requests: the finest steps first, so a coarser part can join a finer grid it lies on.
    parts.sort_by_key(|(p, _, _)| p.ticks.step);
    let mut groups: Vec<Group> = Vec::new();
    for (part, light, k) in parts {
        // Of the requests it may join, the one on the coarsest grid: the fewest ticks beyond its own.
        match groups.iter_mut().filter(|g| g.admits(&part, light, k)).rev().max_by_key(|g| g.ticks.step) {
            Some(g) => g.add(part, light, k),
            None => groups.push(Group::of(part, light, k)),
        }
    }
    out.requests = groups.into_iter().map(|g| Request { ticks: g.ticks, parts: g.parts }).collect();
    out
}

/// The ticks of `want` before and after `kept` (all of `want` when nothing is kept).
pub fn missing(kept: Option<Ticks>, want: &Ticks) -> Vec<Ticks> {
    let (Some(k), Some(k_last), Some(w_last)) = (kept, kept.and_then(|k| k.last()), want.last()) else {
        return if want.count > 0 { vec![*want] } else { Vec::new() };
    };
    let mut out = Vec::new();
    if want.first < k.first {
        out.push(Ticks::between(want.first, k.first.saturating_sub(want.step), want.step));
    }
    if w_last > k_last {
        out.push(Ticks::between(k_last.saturating_add(want.step), w_last, want.step));
    }
    out.retain(|t| t.count > 0);
    out
}

/// Whether a source is light ([`Purpose::light`]), and whose: light parts on the same ticks go
/// together only with their own kind, so a queue insight query that fails (too many series, a
/// timeout) does not take the graphs with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Light {
    No,
    Graph,
    Queue,
}

impl Light {
    fn of(purpose: Purpose) -> Light {
        match purpose {
            _ if !purpose.light() => Light::No,
            Purpose::Queue(_) => Light::Queue,
            _ => Light::Graph,
        }
    }

    fn is(self) -> bool {
        self != Light::No
    }

    /// A source both read: light while both are; read by a graph too, a graph's.
    fn and(self, other: Light) -> Light {
        match (self, other) {
            (Light::No, _) | (_, Light::No) => Light::No,
            (a, b) if a == b => a,
            _ => Light::Graph,
        }
    }
}

/// Parts on their way to one request.
struct Group {
    ticks: Ticks,
    parts: Vec<Part>,
    /// Every part light of this kind, and all on exactly `ticks` (`No` otherwise).
    light_same: Light,
    /// Every part keepable: the request may evaluate each at ticks beyond its own.
    widenable: bool,
    vector: bool,
    /// The parts' own ticks, summed.
    own: i64,
}

impl Group {
    fn of(part: Part, light: Light, k: Kind) -> Group {
        Group {
            ticks: part.ticks,
            parts: vec![part],
            light_same: light,
            widenable: k.keepable,
            vector: k.vector,
            own: ticks_of(&part.ticks),
        }
    }

    /// Whether `part` may go in this request: both vectors (so each can be marked), at most
    /// [`TOGETHER_MAX_PARTS`], and either light on the same ticks, or small: at this step (a light
    /// part: on this grid), the union at most [`TOGETHER_MAX_TICKS`] ticks, and the ticks evaluated
    /// beyond the parts' own, summed, at most as many (no more than one more small request would
    /// cost). A part is never evaluated at a finer step than its own unless it is light.
    fn admits(&self, part: &Part, light: Light, k: Kind) -> bool {
        if !(self.vector && k.vector) || self.parts.len() >= TOGETHER_MAX_PARTS {
            return false;
        }
        if self.light_same.is() && self.light_same == light && self.ticks == part.ticks {
            return true;
        }
        // On this grid: at its own step, or, light, at a step of which its own is a multiple (a
        // sparkline's few new ticks among a refresh's).
        let on_grid = self.ticks.aligned(&part.ticks) && (self.ticks.step == part.ticks.step || light.is());
        if !(self.widenable && k.keepable && on_grid) {
            return false;
        }
        let union = ticks_of(&self.ticks.union(&part.ticks));
        let parts = self.parts.len() as i64 + 1;
        let beyond = union.saturating_mul(parts).saturating_sub(self.own.saturating_add(ticks_of(&part.ticks)));
        union <= TOGETHER_MAX_TICKS && beyond <= TOGETHER_MAX_TICKS
    }

    fn add(&mut self, part: Part, light: Light, k: Kind) {
        if self.light_same != light || self.ticks != part.ticks {
            self.light_same = Light::No;
        }
        self.widenable &= k.keepable;
        self.ticks = self.ticks.union(&part.ticks);
        self.own = self.own.saturating_add(ticks_of(&part.ticks));
        self.parts.push(part);
    }
}

fn ticks_of(t: &Ticks) -> i64 {
    i64::try_from(t.count).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promql::Query;
    use crate::upstream::ask::Purpose;

    const M: i64 = 60_000;

    fn t(first: i64, last: i64, step: i64) -> Ticks {
        Ticks::between(first * M, last * M, step * M)
    }

    fn kind(expr: &str) -> Kind {
        Kind { keepable: !expr.contains('@'), vector: !expr.starts_with("scalar") }
    }

    /// Each request as `expr@first..last/step` per part.
    fn wire(plan: &Plan) -> Vec<Vec<String>> {
        plan.requests
            .iter()
            .map(|r| {
                r.parts
                    .iter()
                    .map(|p| {
                        let e = &plan.sources[p.source].expr;
                        format!("{e}@{}..{}/{}", p.ticks.first / M, p.ticks.end() / M, p.ticks.step / M)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_cold_window_sends_each_rule_alone_and_the_graphs_together() {
        // 24 h at 1 m: two rules (one reading the headline x through its filter), x's sparkline at
        // 7 m and its newest tick, another graph, two queue reads on a grid of their own.
        let x_rule = Query::parse("x > 5").unwrap();
        let sources = [("x", Query::parse("x").unwrap())];
        let asks = [
            Ask::reading("x > 5", &x_rule, &sources, t(-17, 1440, 1), Purpose::Rule(0)),
            Ask::new("sum(y) > 1", t(-12, 1440, 1), Purpose::Rule(1)),
            Ask::new("x", t(7, 1435, 7), Purpose::Graph(0)),
            Ask::new("x", t(1440, 1440, 1), Purpose::Graph(0)),
            Ask::new("z", t(7, 1435, 7), Purpose::Graph(1)),
            Ask::new("z", t(1440, 1440, 1), Purpose::Graph(1)),
            Ask::new("z", t(7, 1435, 7), Purpose::Graph(2)),
            Ask::new("b", Ticks::between(1440 * M - 40 * 45_000, 1440 * M, 45_000), Purpose::Queue(0)),
            Ask::new("p", Ticks::between(1440 * M - 40 * 45_000, 1440 * M, 45_000), Purpose::Queue(0)),
        ];
        let plan = plan(&asks, kind, |_, _| None);
        assert_eq!(
            wire(&plan),
            [
                // The finest step first: the queue's 45 s.
                vec!["b@1410..1440/0".to_string(), "p@1410..1440/0".to_string()],
                vec!["x@-17..1440/1".to_string()],
                vec!["sum(y) > 1@-12..1440/1".to_string()],
                vec!["z@1440..1440/1".to_string()],
                vec!["z@7..1435/7".to_string()],
            ]
        );
        // x's sparkline and newest tick are read from the rule's answer; the repeated z once.
        let x = Some(0);
        assert_eq!(plan.routes.iter().map(|r| r.source).collect::<Vec<_>>()[..4], [x, Some(1), x, x]);
        assert_eq!(plan.routes[4].source, plan.routes[6].source);
        assert!(plan.routes[0].filter.is_some() && plan.routes[2].filter.is_none());
    }

    #[test]
    fn a_refresh_asks_what_is_not_settled_in_one_request() {
        // What was kept a minute ago: everything up to ten minutes before the newest tick.
        let asks = [
            Ask::new("r0", t(-17, 1441, 1), Purpose::Rule(0)),
            Ask::new("r1", t(-12, 1441, 1), Purpose::Rule(1)),
            Ask::new("x", t(7, 1435, 7), Purpose::Graph(0)),
            Ask::new("x", t(1441, 1441, 1), Purpose::Graph(0)),
            Ask::new("pinned @ end()", t(1441, 1441, 1), Purpose::Graph(1)),
        ];
        let plan = plan(&asks, kind, |_, want| {
            let last = (1430 * M).min(want.end());
            Some(Ticks::between(want.first, last - (last - want.first).rem_euclid(want.step), want.step))
        });
        assert_eq!(
            wire(&plan),
            [
                vec![
                    "r0@1431..1441/1".to_string(),
                    "r1@1431..1441/1".to_string(),
                    "x@1441..1441/1".to_string(),
                    "x@1435..1435/7".to_string(),
                ],
                vec!["pinned @ end()@1441..1441/1".to_string()],
            ]
        );
        assert_eq!(plan.sources[0].reused, Some(t(-17, 1430, 1)));
        assert_eq!(plan.sources[4].reused, None, "pinned to the range: never kept");
    }

    #[test]
    fn a_part_is_never_evaluated_at_a_finer_step_unless_light() {
        // A refresh: queue reads every 15 s, rules every minute, a sparkline's new tick at 7 m.
        let q = |first: i64| Ticks::between(first, 1441 * M, 15_000);
        let asks = [
            Ask::new("pos", q(1431 * M), Purpose::Queue(0)),
            Ask::new("r0", t(1431, 1441, 1), Purpose::Rule(0)),
            Ask::new("r1", t(1431, 1441, 1), Purpose::Rule(1)),
            Ask::new("x", t(1435, 1435, 7), Purpose::Graph(0)),
        ];
        let p = plan(&asks, kind, |_, _| None);
        let steps: Vec<(i64, usize)> = p.requests.iter().map(|r| (r.ticks.step, r.parts.len())).collect();
        assert_eq!(steps, [(15_000, 1), (M, 3)], "{:?}", wire(&p));
    }

    #[test]
    fn parts_that_cannot_go_together_go_alone() {
        // A scalar cannot be marked; another phase is another grid; past the part limit, another request.
        let mut asks = vec![
            Ask::new("scalar(x)", t(0, 10, 1), Purpose::Rule(0)),
            Ask::new("a", t(0, 10, 1), Purpose::Rule(1)),
            Ask::new("b", Ticks::between(30_000, 30_000 + 10 * M, M), Purpose::Rule(2)),
            // With a, c evaluates 109 ticks beyond the parts' own; d would take that past 120.
            Ask::new("c", t(0, 119, 1), Purpose::Rule(3)),
            Ask::new("d", t(119, 119, 1), Purpose::Rule(4)),
            Ask::new("e", t(119, 119, 1), Purpose::Rule(5)),
        ];
        let p = plan(&asks, kind, |_, _| None);
        let parts: Vec<Vec<&str>> =
            p.requests.iter().map(|r| r.parts.iter().map(|x| p.sources[x.source].expr.as_str()).collect()).collect();
        assert_eq!(parts, [vec!["scalar(x)"], vec!["a", "c"], vec!["b"], vec!["d", "e"]]);
        asks = (0..TOGETHER_MAX_PARTS + 1).map(|i| Ask::new(&format!("e{i}"), t(0, 1, 1), Purpose::Rule(i))).collect();
        let p = plan(&asks, kind, |_, _| None);
        assert_eq!(p.requests.iter().map(|r| r.parts.len()).collect::<Vec<_>>(), [TOGETHER_MAX_PARTS, 1]);
        // Heavy asks on the same big span stay apart; light ones go together.
        let big = |purpose| [Ask::new("f", t(0, 1440, 1), purpose), Ask::new("g", t(0, 1440, 1), purpose)];
        assert_eq!(plan(&big(Purpose::Rule(0)), kind, |_, _| None).requests.len(), 2);
        assert_eq!(plan(&big(Purpose::Graph(0)), kind, |_, _| None).requests.len(), 1);
    }

    #[test]
    fn what_is_all_kept_asks_nothing_and_empty_asks_read_nothing() {
        let asks = [Ask::new("x", t(0, 10, 1), Purpose::Rule(0)), Ask::new("x", t(5, 4, 1), Purpose::Rule(1))];
        let p = plan(&asks, kind, |_, want| Some(*want));
        assert!(p.requests.is_empty());
        assert_eq!((p.routes[0].source, p.routes[1].source), (Some(0), None));
        // A kept span that is not on the source's ticks is not trusted.
        let p = plan(&asks, kind, |_, _| Some(Ticks::between(30_000, 90_000, M)));
        assert_eq!(p.sources[0].reused, None);
    }

    #[test]
    fn only_the_ticks_outside_what_is_kept_are_asked() {
        assert_eq!(missing(Some(t(0, 1440, 1)), &t(1, 1441, 1)), [t(1441, 1441, 1)]);
        assert_eq!(missing(Some(t(0, 1440, 1)), &t(10, 20, 1)), []);
        assert_eq!(missing(Some(t(100, 200, 1)), &t(40, 260, 1)), [t(40, 99, 1), t(201, 260, 1)]);
        assert_eq!(missing(None, &t(12, 20, 1)), [t(12, 20, 1)]);
    }
}
