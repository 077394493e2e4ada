//! Several expressions in one query, told apart by a label: `label_replace((e0), "<mark>", "0",
//! "", "") or …` evaluates each expression at the same steps exactly as on its own and marks its
//! series with its index, so `or` keeps every one (no series of one part can match another part's
//! label sets). Marks start with `__`, a name Prometheus reserves for itself and no metric carries.
//! An expression two parts share (a sparkline's new tick and the newest tick of the same graph) is
//! written once: the request evaluates every part at all its ticks, so one answer serves both.

use crate::series::RangeSeries;

/// The label that tells a request's parts apart.
pub const MARK: &str = "__codexflow_part";

/// One query answering every expression of `exprs`, each marked with its index under `mark`.
pub fn batched(mark: &str, exprs: &[&str]) -> String {
    exprs
        .iter()
        .enumerate()
        .map(|(i, e)| format!("label_replace(({e}), \"{mark}\", \"{i}\", \"\", \"\")"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The distinct expressions of `exprs`, in first-seen order, and per expression of `exprs` the
/// index of its own among them.
pub fn distinct<'a>(exprs: &[&'a str]) -> (Vec<&'a str>, Vec<usize>) {
    let mut once: Vec<&str> = Vec::new();
    let which = exprs
        .iter()
        .map(|e| match once.iter().position(|o| o == e) {
            Some(i) => i,
            None => {
                once.push(e);
                once.len() - 1
            }
        })
        .collect();
    (once, which)
}

/// The batch's answer back per expression, without the mark; `None` when a series is not marked
/// as one of the `n` (then the upstream did not answer the batch as asked, and it is not trusted).
pub fn split(mark: &str, series: Vec<RangeSeries>, n: usize) -> Option<Vec<Vec<RangeSeries>>> {
    let mut out: Vec<Vec<RangeSeries>> = vec![Vec::new(); n];
    for mut s in series {
        let i: usize = s.labels.remove(mark)?.parse().ok()?;
        out.get_mut(i)?.push(s);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_marks_each_expression_and_splits_back() {
        assert_eq!(
            batched("__m", &["sum(a)", "rate(b[5m]) or c"]),
            r#"label_replace((sum(a)), "__m", "0", "", "") or label_replace((rate(b[5m]) or c), "__m", "1", "", "")"#
        );
        let answer = vec![
            RangeSeries::new(&[("__m", "1"), ("x", "y")], &[(0, 2.0)]),
            RangeSeries::new(&[("__m", "0")], &[(0, 1.0)]),
        ];
        let parts = split("__m", answer, 2).unwrap();
        assert_eq!(parts[0], vec![RangeSeries::new(&[], &[(0, 1.0)])]);
        assert_eq!(parts[1], vec![RangeSeries::new(&[("x", "y")], &[(0, 2.0)])]);
        // A series not marked, or marked out of range: not trusted.
        assert!(split("__m", vec![RangeSeries::new(&[("x", "y")], &[])], 2).is_none());
        assert!(split("__m", vec![RangeSeries::new(&[("__m", "7")], &[])], 2).is_none());
        assert!(split("__m", vec![RangeSeries::new(&[("__m", "-1")], &[])], 2).is_none());
    }

    #[test]
    fn an_expression_two_parts_share_is_asked_once() {
        let (once, which) = distinct(&["a", "b", "a", "c", "b"]);
        assert_eq!(once, ["a", "b", "c"]);
        assert_eq!(which, [0, 1, 0, 2, 1]);
        assert_eq!(distinct(&[]), (Vec::<&str>::new(), Vec::new()));
    }
}
