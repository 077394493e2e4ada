//! An ask: one reader's range query, as data. What the evaluation and the drill-down want from the
//! upstream is a list of these; [`super::plan`] turns them into requests.

use codexflow_core::Ticks;

use crate::prom::PromError;
use crate::promql::{Filter, Query};
use crate::series::RangeSeries;

/// Who reads an ask's answer. It decides how the ask may be sent ([`Purpose::light`]) and names it
/// in plans and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A rule's series over its evaluation ticks (index in rule order).
    Rule(usize),
    /// A rule looking further back for the start of an episode active at the edge.
    Earlier(usize),
    /// The `ALERTS` series the ruler wrote for a rule.
    Ruler(usize),
    /// A headline or an edge's rate (index over stages, then edges) at its sparkline ticks or the newest.
    Graph(usize),
    /// A backlog stage's queue insight: its backlog or its consumer's position (stage index).
    Queue(usize),
    /// A raw panel's target in a stage's drill-down (its index among the stage's targets).
    Panel(usize),
}

impl Purpose {
    /// Light asks read one expression per tick for a sparkline or a trend: on the same ticks they are
    /// sent together however many ticks they have. The others go together only while small.
    pub fn light(self) -> bool {
        matches!(self, Purpose::Graph(_) | Purpose::Queue(_))
    }
}

/// One reader's range query: `expr` at `ticks`, then, when `filter` is set, only the samples it keeps
/// (a rule `X > 1000` reading the `X` a headline reads too, [`Ask::reading`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub expr: String,
    pub filter: Option<Filter>,
    pub ticks: Ticks,
    pub purpose: Purpose,
}

/// What an ask gets back: the series at its ticks, as a range query of its own would answer.
pub type Answer = Result<Vec<RangeSeries>, PromError>;

/// The answer to the ask at `i` of a round's answers: every index a caller keeps is one it pushed,
/// and one that is not reads as an empty answer, never a panic.
pub fn answer_at(answers: &[Answer], i: usize) -> Answer {
    answers.get(i).cloned().unwrap_or_else(|| Ok(Vec::new()))
}

impl Ask {
    pub fn new(expr: &str, ticks: Ticks, purpose: Purpose) -> Ask {
        Ask { expr: expr.to_string(), filter: None, ticks, purpose }
    }

    /// The ask for `query` (whose text is `text`): the first of `sources` it filters, read and
    /// filtered here, when there is one (Prometheus answers `X > 1000` with the samples of `X` above
    /// 1000, labels and values unchanged, [`Query::filters`]); else its own text.
    pub fn reading(text: &str, query: &Query, sources: &[(&str, Query)], ticks: Ticks, purpose: Purpose) -> Ask {
        match sources.iter().find_map(|(source, q)| query.filters(q).map(|f| (*source, f))) {
            Some((source, filter)) => Ask { expr: source.to_string(), filter: Some(filter), ticks, purpose },
            None => Ask::new(text, ticks, purpose),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_filtering_a_source_reads_the_source() {
        let sources = [("y", Query::parse("y").unwrap()), ("x", Query::parse("x").unwrap())];
        let ticks = Ticks::between(0, 10, 1);
        let rule = Ask::reading("x > 1", &Query::parse("x > 1").unwrap(), &sources, ticks, Purpose::Rule(0));
        assert_eq!((rule.expr.as_str(), rule.filter.is_some()), ("x", true));
        let own = Ask::reading("sum(x) > 1", &Query::parse("sum(x) > 1").unwrap(), &sources, ticks, Purpose::Rule(1));
        assert_eq!((own.expr.as_str(), own.filter), ("sum(x) > 1", None));
        assert!(Purpose::Graph(0).light() && !Purpose::Rule(0).light());
    }
}
