//! What we need to know about a PromQL expression without running it.
//!
//! Prometheus only tells us "no result" whether a rule is healthy or its
//! inputs are gone. To tell those apart we find the vector selectors a rule
//! reads and decide, from which of them have series, whether the expression
//! could return anything at all: `a or b` needs either side, `a and b` needs
//! both, `absent(x)` always can.

use std::collections::BTreeMap;

use promql_parser::label::Matcher;
use promql_parser::parser::{self, token, Expr, VectorSelector};

use codexflow_core::error::FieldError;
use codexflow_core::limits::{MAX_PROMQL_BYTES, MAX_PROMQL_DEPTH, MAX_PROMQL_DURATION_SECS, MAX_PROMQL_OPERATORS};
use codexflow_core::pipeline::PipelineSpec;

/// A parsed expression and the selectors it reads.
#[derive(Debug, Clone)]
pub struct Query {
    /// The expression as written, sent upstream verbatim.
    pub text: String,
    pub ast: Expr,
    /// Distinct vector selectors, without `offset`/`@`, in order of appearance.
    pub selectors: Vec<String>,
    /// The same selectors, parsed, for matching label sets locally.
    selector_asts: Vec<VectorSelector>,
}

impl Query {
    /// Parses `text`, once [`check_shape`] has made sure nothing in it can make the parser, the
    /// tree or the analysis below deep or slow.
    pub fn parse(text: &str) -> Result<Query, String> {
        check_shape(text)?;
        let ast = parser::parse(text)?;
        let mut selectors = Vec::new();
        let mut selector_asts = Vec::new();
        visit_selectors(&ast, &mut |vs| {
            let s = selector_text(vs);
            if !selectors.contains(&s) {
                selectors.push(s);
                selector_asts.push(vs.clone());
            }
        });
        Ok(Query { text: text.to_string(), ast, selectors, selector_asts })
    }

    /// Which of this query's selectors match at least one of `series` (label sets with `__name__`).
    ///
    /// Lets one `/api/v1/series` call with every selector as a `match[]` answer
    /// for all of them: Prometheus returns the union, and we sort it out here
    /// with the same anchored matching Prometheus uses.
    pub fn selectors_present<'a>(&'a self, series: &[BTreeMap<String, String>]) -> Vec<(&'a str, bool)> {
        self.selectors
            .iter()
            .zip(&self.selector_asts)
            .map(|(text, vs)| (text.as_str(), series.iter().any(|labels| selector_matches(vs, labels))))
            .collect()
    }

    /// Whether the expression can return a sample given which selectors have series.
    pub fn can_have_data(&self, present: &dyn Fn(&str) -> bool) -> bool {
        has_data(&self.ast, present)
    }

    /// Metric names the expression reads (selectors without a name are left out).
    pub fn metric_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        visit_selectors(&self.ast, &mut |vs| {
            if let Some(name) = &vs.name {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        });
        names
    }

    /// Whether the value at a tick depends only on samples at or before it, whatever the query's
    /// range: no negative `offset` and no `@` anywhere (`@ start()`/`@ end()` move with the range; a
    /// fixed `@` may name a future instant). What `crate::upstream::settled` may keep.
    pub fn reads_only_the_past(&self) -> bool {
        only_the_past(&self.ast)
    }

    /// Whether it answers an instant vector (not a scalar or a string), which `label_replace` can
    /// mark to send it together with others (`crate::upstream::batch`).
    pub fn is_vector(&self) -> bool {
        self.ast.value_type() == parser::value::ValueType::Vector
    }

    /// `(operator, threshold)` when the expression is `<something> <cmp> <number>`.
    pub fn threshold(&self) -> Option<(String, f64)> {
        let mut e = &self.ast;
        while let Expr::Paren(p) = e {
            e = &p.expr;
        }
        match e {
            Expr::Binary(b) if b.op.is_comparison_operator() && !b.return_bool() => match &*b.rhs {
                Expr::NumberLiteral(n) => Some((b.op.to_string(), n.val)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A comparison of an instant vector with a number, `X > 1000`, as Prometheus applies it without
/// `bool`: each sample of `X` is kept, labels and value unchanged, where the comparison holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Filter {
    op: Comparison,
    threshold: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl Filter {
    /// Whether a sample of value `v` is kept. IEEE comparisons, as Go's: NaN is kept by `!=` only.
    pub fn keeps(&self, v: f64) -> bool {
        let n = self.threshold;
        match self.op {
            Comparison::Eq => v == n,
            Comparison::Ne => v != n,
            Comparison::Gt => v > n,
            Comparison::Lt => v < n,
            Comparison::Ge => v >= n,
            Comparison::Le => v <= n,
        }
    }
}

fn unparen(mut e: &Expr) -> &Expr {
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    e
}

impl Query {
    /// The filter that makes this expression out of `x`'s answer, when this is `x <cmp> <number>`
    /// (brackets aside, no `bool`) and `x` an instant vector: then asking `x` alone answers both,
    /// tick for tick, which lets a rule and a headline reading the same `x` send it once.
    pub fn filters(&self, x: &Query) -> Option<Filter> {
        let Expr::Binary(b) = unparen(&self.ast) else {
            return None;
        };
        let Expr::NumberLiteral(n) = unparen(&b.rhs) else {
            return None;
        };
        if b.return_bool() || b.modifier.is_some() || !x.is_vector() || unparen(&b.lhs) != unparen(&x.ast) {
            return None;
        }
        let op = match b.op.id() {
            token::T_EQLC => Comparison::Eq,
            token::T_NEQ => Comparison::Ne,
            token::T_GTR => Comparison::Gt,
            token::T_LSS => Comparison::Lt,
            token::T_GTE => Comparison::Ge,
            token::T_LTE => Comparison::Le,
            _ => return None,
        };
        Some(Filter { op, threshold: n.val })
    }
}

/// Bounds an expression before it is parsed: its bytes, how deep its brackets nest and how many
/// operators it has (each binary or unary operator is a level of the tree; label matchers inside
/// `{…}` and string literals are not counted). A linear scan.
pub fn check_shape(text: &str) -> Result<(), String> {
    if text.len() > MAX_PROMQL_BYTES {
        return Err(format!(
            "the expression has {} bytes, more than the {} KiB allowed",
            text.len(),
            MAX_PROMQL_BYTES >> 10
        ));
    }
    let (mut depth, mut deepest, mut braces, mut operators) = (0usize, 0usize, 0usize, 0usize);
    for piece in pieces(text) {
        match piece {
            Piece::Open(b) => {
                depth += 1;
                deepest = deepest.max(depth);
                braces += usize::from(b == b'{');
            }
            Piece::Close(b) => {
                depth = depth.saturating_sub(1);
                braces = braces.saturating_sub(usize::from(b == b'}'));
            }
            _ if braces > 0 => {}
            Piece::Op(_) => operators += 1,
            Piece::Word(w) if ["and", "or", "unless", "atan2"].iter().any(|k| w.eq_ignore_ascii_case(k)) => {
                operators += 1
            }
            Piece::Word(_) | Piece::Space | Piece::Other(_) => {}
        }
    }
    if deepest > MAX_PROMQL_DEPTH {
        return Err(format!("the expression nests brackets {deepest} deep, more than the {MAX_PROMQL_DEPTH} allowed"));
    }
    if operators > MAX_PROMQL_OPERATORS {
        return Err(format!("the expression has {operators} operators, more than the {MAX_PROMQL_OPERATORS} allowed"));
    }
    check_number_durations(text)
}

/// Bounds every duration written as a bare number of seconds (`x[300]`, `x[5m:30]`, `offset 1e3`):
/// the parser turns such a number into a `Duration` without a range check and panics on one too big,
/// infinite or NaN. Go's `time.Duration`, which Prometheus parses into, ends at about 292 years; a
/// duration with a unit (`5m`) is range-checked by the parser itself.
fn check_number_durations(text: &str) -> Result<(), String> {
    let (mut braces, mut in_range, mut expect_duration) = (0usize, false, false);
    for piece in pieces(text) {
        match piece {
            Piece::Open(b'{') => braces += 1,
            Piece::Close(b'}') => braces = braces.saturating_sub(1),
            _ if braces > 0 => {}
            Piece::Open(b'[') => (in_range, expect_duration) = (true, true),
            Piece::Close(b']') => (in_range, expect_duration) = (false, false),
            Piece::Other(b':') if in_range => expect_duration = true,
            // `offset -5m`: a sign may stand between the keyword and the duration.
            Piece::Op(b'+' | b'-') if expect_duration => {}
            Piece::Space => {}
            Piece::Word(word) => {
                if expect_duration {
                    number_duration_in_range(word)?;
                }
                expect_duration = !in_range && word.eq_ignore_ascii_case("offset");
            }
            _ => expect_duration = false,
        }
    }
    Ok(())
}

/// One piece of an expression as the checks before parsing see it. String literals and comments
/// are skipped whole; inside `{…}` the pieces still come, for the checks to skip matchers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece<'a> {
    Open(u8),
    Close(u8),
    /// A name, keyword, number or duration (`sum`, `5m`, `1e+30`, `0x1f`).
    Word(&'a str),
    /// An operator, by its first byte; `==`, `!=`, `<=`, `>=` are one.
    Op(u8),
    Space,
    Other(u8),
}

/// The pieces of `text`, in one linear pass.
fn pieces(text: &str) -> impl Iterator<Item = Piece<'_>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || loop {
        let b = *bytes.get(i)?;
        let start = i;
        i += 1;
        let piece = match b {
            b'"' | b'\'' | b'`' => {
                i = skip_string(bytes, start) + 1;
                continue;
            }
            b'#' => {
                // A comment runs to the end of the line.
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => Piece::Open(b),
            b')' | b']' | b'}' => Piece::Close(b),
            b'+' | b'-' | b'*' | b'/' | b'%' | b'^' => Piece::Op(b),
            b'=' | b'!' | b'<' | b'>' => {
                if bytes.get(i) == Some(&b'=') {
                    i += 1;
                }
                Piece::Op(b)
            }
            c if c.is_ascii_whitespace() => Piece::Space,
            c if c.is_ascii_alphanumeric() || c == b'.' => {
                while i < bytes.len() && continues_word(bytes, start, i) {
                    i += 1;
                }
                Piece::Word(&text[start..i])
            }
            _ => Piece::Other(b),
        };
        return Some(piece);
    })
}

/// Whether the byte at `i` continues the word or number starting at `start` (a decimal number's
/// exponent keeps its sign: `1e+30` is one number).
fn continues_word(bytes: &[u8], start: usize, i: usize) -> bool {
    let b = bytes[i];
    let decimal =
        (bytes[start].is_ascii_digit() || bytes[start] == b'.') && !matches!(bytes.get(start + 1), Some(b'x' | b'X'));
    let exponent_sign = decimal && matches!(b, b'+' | b'-') && matches!(bytes[i - 1], b'e' | b'E');
    b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exponent_sign
}

/// Refuses `word` if it is a bare number of seconds outside Go's `time.Duration` (or not finite).
fn number_duration_in_range(word: &str) -> Result<(), String> {
    let lower = word.to_ascii_lowercase();
    let seconds = match lower.strip_prefix("0x") {
        Some(hex) => u128::from_str_radix(hex, 16).ok().map(|v| v as f64),
        None => lower.parse::<f64>().ok(),
    };
    match seconds {
        Some(s) if !s.is_finite() || s > MAX_PROMQL_DURATION_SECS => {
            Err(format!("the duration {word} is out of range: at most {MAX_PROMQL_DURATION_SECS} seconds"))
        }
        _ => Ok(()),
    }
}

/// The index of the closing quote of the string literal opening at `start` (or the last byte).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() && bytes[i] != quote {
        // Backtick strings are raw; the others take escapes.
        if bytes[i] == b'\\' && quote != b'`' {
            i += 1;
        }
        i += 1;
    }
    i.min(bytes.len().saturating_sub(1))
}

/// Functions that return a sample whether or not their arguments have series.
const ALWAYS_HAS_DATA: [&str; 5] = ["absent", "absent_over_time", "vector", "time", "scalar"];

fn has_data(e: &Expr, present: &dyn Fn(&str) -> bool) -> bool {
    match e {
        Expr::Aggregate(a) => has_data(&a.expr, present),
        Expr::Unary(u) => has_data(&u.expr, present),
        Expr::Paren(p) => has_data(&p.expr, present),
        Expr::Subquery(s) => has_data(&s.expr, present),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => true,
        Expr::VectorSelector(vs) => present(&selector_text(vs)),
        Expr::MatrixSelector(ms) => present(&selector_text(&ms.vs)),
        Expr::Call(c) => ALWAYS_HAS_DATA.contains(&c.func.name) || c.args.args.iter().all(|a| has_data(a, present)),
        Expr::Binary(b) => {
            let (l, r) = (has_data(&b.lhs, present), has_data(&b.rhs, present));
            match b.op.id() {
                token::T_LOR => l || r,
                token::T_LUNLESS => l,
                _ => l && r,
            }
        }
    }
}

fn visit_selectors<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a VectorSelector)) {
    match e {
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                visit_selectors(p, f);
            }
            visit_selectors(&a.expr, f)
        }
        Expr::Unary(u) => visit_selectors(&u.expr, f),
        Expr::Paren(p) => visit_selectors(&p.expr, f),
        Expr::Subquery(s) => visit_selectors(&s.expr, f),
        Expr::Binary(b) => {
            visit_selectors(&b.lhs, f);
            visit_selectors(&b.rhs, f);
        }
        Expr::Call(c) => c.args.args.iter().for_each(|a| visit_selectors(a, f)),
        Expr::VectorSelector(vs) => f(vs),
        Expr::MatrixSelector(ms) => f(&ms.vs),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn only_the_past(e: &Expr) -> bool {
    use promql_parser::parser::Offset;
    let plain = |offset: &Option<Offset>, at: bool| !at && !matches!(offset, Some(Offset::Neg(_)));
    match e {
        Expr::Aggregate(a) => a.param.as_deref().is_none_or(only_the_past) && only_the_past(&a.expr),
        Expr::Unary(u) => only_the_past(&u.expr),
        Expr::Paren(p) => only_the_past(&p.expr),
        Expr::Subquery(s) => plain(&s.offset, s.at.is_some()) && only_the_past(&s.expr),
        Expr::Binary(b) => only_the_past(&b.lhs) && only_the_past(&b.rhs),
        Expr::Call(c) => c.args.args.iter().all(|a| only_the_past(a)),
        Expr::VectorSelector(vs) => plain(&vs.offset, vs.at.is_some()),
        Expr::MatrixSelector(ms) => plain(&ms.vs.offset, ms.vs.at.is_some()),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) => true,
        Expr::Extension(_) => false,
    }
}

/// Whether a label set is selected by `vs`; a missing label reads as "", as in Prometheus.
fn selector_matches(vs: &VectorSelector, labels: &BTreeMap<String, String>) -> bool {
    let get = |k: &str| labels.get(k).map_or("", String::as_str);
    if vs.name.as_deref().is_some_and(|name| get("__name__") != name) {
        return false;
    }
    let all = |ms: &[Matcher]| ms.iter().all(|m| m.is_match(get(&m.name)));
    all(&vs.matchers.matchers) && (vs.matchers.or_matchers.is_empty() || vs.matchers.or_matchers.iter().any(|g| all(g)))
}

/// A selector as `match[]` takes it: name and matchers, no `offset` or `@`.
fn selector_text(vs: &VectorSelector) -> String {
    let mut plain = vs.clone();
    plain.offset = None;
    plain.at = None;
    plain.to_string()
}

/// Parses every query of a pipeline so a typo fails at configuration time, naming its field.
pub fn check_pipeline_queries(p: &PipelineSpec) -> Result<(), FieldError> {
    let check = |field: String, expr: &str| Query::parse(expr).map(|_| ()).map_err(|e| FieldError::new(field, e));
    for (i, stage) in p.stages.iter().enumerate() {
        check(format!("stages[{i}].headline.expr"), &stage.headline.expr)?;
        if let Some(q) = &stage.queue {
            check(format!("stages[{i}].queue.backlog"), &q.backlog)?;
            if !q.position.trim().is_empty() {
                check(format!("stages[{i}].queue.position"), &q.position)?;
            }
        }
        for (j, panel) in stage.raw_panels.iter().enumerate() {
            for (k, t) in panel.targets.iter().enumerate() {
                check(format!("stages[{i}].rawPanels[{j}].targets[{k}].expr"), &t.expr)?;
            }
        }
    }
    for (i, edge) in p.edges.iter().enumerate() {
        check(format!("edges[{i}].rateExpr"), &edge.rate_expr)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Query {
        Query::parse(s).unwrap()
    }

    #[test]
    fn the_checks_see_brackets_words_and_operators_past_strings_and_comments() {
        use Piece::*;
        let got: Vec<Piece> = pieces("sum(x{a=\"(\"}[5m]) >= 1e+30 # ) and\n-.5").filter(|p| *p != Space).collect();
        assert_eq!(
            got,
            [
                Word("sum"),
                Open(b'('),
                Word("x"),
                Open(b'{'),
                Word("a"),
                Op(b'='),
                Close(b'}'),
                Open(b'['),
                Word("5m"),
                Close(b']'),
                Close(b')'),
                Op(b'>'),
                Word("1e+30"),
                Op(b'-'),
                Word(".5")
            ]
        );
    }

    #[test]
    fn selectors_are_found_once_each_without_offsets() {
        let query = q(r#"sum(rate(a{x="1"}[5m] offset 1h)) / sum(b) > 3 and on() a{x="1"}"#);
        assert_eq!(query.selectors, [r#"a{x="1"}"#, "b"]);
        assert_eq!(query.metric_names(), ["a", "b"]);
    }

    #[test]
    fn or_needs_one_side_and_needs_both() {
        let nats = q(r#"max(p{consumer_name="c"} or p{consumer="c"}) > 1000"#);
        let only = |ok: &'static str| move |s: &str| s == ok;
        assert!(nats.can_have_data(&only(r#"p{consumer="c"}"#)));
        assert!(nats.can_have_data(&only(r#"p{consumer_name="c"}"#)));
        assert!(!nats.can_have_data(&|_| false));

        let stall = q("(sum(rate(s[10m])) or sum(rate(t[10m]))) > 0 and sum(rate(ins[10m])) == 0");
        assert!(stall.can_have_data(&|s| s == "s" || s == "ins"));
        assert!(!stall.can_have_data(&|s| s == "s" || s == "t"));
    }

    #[test]
    fn absent_and_unless_are_understood() {
        assert!(q("absent(up)").can_have_data(&|_| false));
        assert!(q("a unless b").can_have_data(&|s| s == "a"));
        assert!(!q("a unless b").can_have_data(&|s| s == "b"));
        assert!(q("vector(1) > 0").can_have_data(&|_| false));
        assert!(!q("rate(x[5m]) > 0").can_have_data(&|_| false));
    }

    #[test]
    fn label_sets_are_matched_like_prometheus() {
        let query = q(r#"max(p{consumer_name="c", stream_name=~"agent-.*"} or p{consumer="c"}) + q{x!="1"}"#);
        let labels = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>()
        };
        let found = query.selectors_present(&[
            labels(&[("__name__", "p"), ("consumer_name", "c"), ("stream_name", "agent-comms")]),
            labels(&[("__name__", "q"), ("x", "1")]),
            labels(&[("__name__", "p"), ("consumer", "other")]),
        ]);
        let found: Vec<bool> = found.into_iter().map(|(_, present)| present).collect();
        assert_eq!(found, [true, false, false]);
        // Regexes are anchored: "agent" alone does not match "agent-.*"'s complement, "xagent-1" is not selected.
        let found = query.selectors_present(&[labels(&[
            ("__name__", "p"),
            ("consumer_name", "c"),
            ("stream_name", "xagent-1"),
        ])]);
        assert!(!found[0].1);
        // A missing label is "", which `x!="1"` accepts.
        assert!(query.selectors_present(&[labels(&[("__name__", "q")])])[2].1);
    }

    #[test]
    fn deep_long_or_huge_expressions_are_refused_before_parsing() {
        let huge = format!("{}x{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(Query::parse(&huge).unwrap_err().contains("bytes"), "10⁵ brackets never reach the parser");
        let deep = format!("{}x{}", "(".repeat(1_000), ")".repeat(1_000));
        assert!(Query::parse(&deep).unwrap_err().contains("nests brackets 1000 deep"));
        let unary = format!("{}x", "- ".repeat(300));
        assert!(Query::parse(&unary).unwrap_err().contains("300 operators"));
        let chain = vec!["a"; 301].join(" + ");
        assert!(Query::parse(&chain).unwrap_err().contains("300 operators"));
        // Matchers, strings and comments do not count; an ordinary runbook query passes.
        assert!(check_shape(r#"sum(rate(x{a!="-+-", b=~"(((("}[5m])) > 0 # a-b-c"#).is_ok());
        assert!(check_shape(&format!("{}x{}", "(".repeat(64), ")".repeat(64))).is_ok());
        assert!(check_shape(&vec!["a"; 257].join(" or ")).is_ok());
        assert!(check_shape(&vec!["a"; 258].join(" or ")).is_err());
        assert!(check_shape("\"unterminated").is_ok(), "the parser reports that, not the scan");
    }

    #[test]
    fn durations_written_as_numbers_are_bounded_before_the_parser_sees_them() {
        // The parser turned each of these into a `Duration` unchecked and panicked (found by fuzzing).
        for text in [
            "x[111111111111111111111111111100:11111111111111111111111111111110m]",
            "x[1e400:]",
            "x[5m:1e+30]",
            "x[1.9e19]",
            "x offset Inf",
            "x offset - 1e30",
            "rate(x[5m] offset 1E+30)",
        ] {
            let err = Query::parse(text).err().unwrap_or_default();
            assert!(err.contains("out of range: at most 9223372036 seconds"), "{text}: {err}");
        }
        // Numbers elsewhere, and durations in range, are not its business.
        for text in ["x[300]", "x[5m:30]", "x offset -300", "x > 1e400", "x @ 1e9", r#"x{le="1e400"}[5m]"#] {
            assert!(Query::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn only_expressions_that_read_the_past_may_be_kept() {
        for text in [
            "rate(x[5m]) > 3",
            "sum by (a) (x offset 5m)",
            "max_over_time(rate(x[1m])[10m:1m])",
            "absent(x) or vector(1)",
            "time() - x",
        ] {
            assert!(q(text).reads_only_the_past(), "{text}");
        }
        for text in [
            "x offset -5m",
            "rate(x[5m] offset -1m)",
            "x @ start()",
            "x @ end()",
            "x @ 1700000000",
            "max_over_time(x[10m:1m] @ end())",
            "sum(rate(x[5m] @ 100))",
            "max_over_time(x[10m:1m] offset -1m)",
        ] {
            assert!(!q(text).reads_only_the_past(), "{text}");
        }
    }

    #[test]
    fn only_instant_vectors_can_be_marked() {
        for text in ["x", "sum(rate(x[5m])) > 3", "absent(x) or vector(1)", "-x", "2 * x"] {
            assert!(q(text).is_vector(), "{text}");
        }
        for text in ["1", "scalar(x)", "time()", "x[5m]", "\"a\"", "1 + scalar(x)"] {
            assert!(!q(text).is_vector(), "{text}");
        }
    }

    #[test]
    fn a_comparison_with_a_number_is_a_filter_of_its_left_side() {
        let x = q("sum(kafka_lag{group=\"a\"})");
        let f = q("(sum(kafka_lag{group=\"a\"}) > 1000)").filters(&x).unwrap();
        assert!(f.keeps(1000.5) && !f.keeps(1000.0) && !f.keeps(f64::NAN) && f.keeps(f64::INFINITY));
        // Written differently but the same expression (spaces, brackets) still counts.
        assert!(q("(sum( kafka_lag{group=\"a\"} )) <= 5")
            .filters(&x)
            .is_some_and(|f| f.keeps(5.0) && !f.keeps(f64::NAN)));
        assert!(q("sum(kafka_lag{group=\"a\"}) != 5").filters(&x).is_some_and(|f| f.keeps(f64::NAN) && !f.keeps(5.0)));
        for (rule, why) in [
            ("sum(kafka_lag{group=\"a\"}) > bool 1000", "bool answers 0/1 for every sample"),
            ("sum(kafka_lag{group=\"b\"}) > 1000", "another selector"),
            ("max(kafka_lag{group=\"a\"}) > 1000", "another aggregation"),
            ("1000 < sum(kafka_lag{group=\"a\"})", "the number on the left"),
            ("sum(kafka_lag{group=\"a\"}) + 1000", "not a comparison"),
            ("sum(kafka_lag{group=\"a\"}) > sum(kafka_lag{group=\"a\"})", "no number"),
        ] {
            assert!(q(rule).filters(&x).is_none(), "{rule}: {why}");
        }
        assert!(q("scalar(x) > bool 1").filters(&q("scalar(x)")).is_none(), "a scalar is no vector to filter");
    }

    #[test]
    fn thresholds_are_read_from_simple_comparisons() {
        assert_eq!(q("sum(x) > 1000").threshold(), Some((">".into(), 1000.0)));
        assert_eq!(q("(sum(x) <= 0.05)").threshold(), Some(("<=".into(), 0.05)));
        assert_eq!(q("sum(x) > bool 1").threshold(), None);
        assert_eq!(q("a > 0 and b == 0").threshold(), None);
    }
}
