//! An alert's annotations as Prometheus writes them: its `summary`, `description` and other
//! annotation templates expanded for one alert (its labels and value), printing exactly what
//! Prometheus' `template.Expander` prints (`template/template.go`, `rules/alerting.go`).
//!
//! Only the part of Go's template language annotations use is run: text, actions with trimming,
//! `$labels`, `$value`, `.Labels`, `.Value`, variables, `if`/`else`/`with`, and the functions
//! `humanize`, `humanize1024`, `humanizeDuration`, `humanizePercentage`, `humanizeTimestamp`,
//! `printf` (`%v %s %d %f %g %e`, with a precision), `toUpper`, `toLower`, `eq ne lt le gt ge`,
//! `and or not`, `len`, `index`. A template using anything else — or one that Prometheus would fail
//! to expand — is [`Unsupported`]: the caller shows it as written, never an error, and never a
//! guess at what Prometheus would print.

mod go_fmt;
mod humanize;
mod parse;

use std::collections::BTreeMap;

use codexflow_core::limits::{MAX_ANNOTATION_BYTES, MAX_EXPANDED_ANNOTATION_BYTES};
use parse::{Arg, Node, Pipeline};

/// Why a template is shown as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("shown as written: {0}")]
pub struct Unsupported(pub &'static str);

/// An annotation template expanded for an alert with these result labels (the query's series
/// labels, not the rule's own) and this value; as written when it cannot be.
pub fn expand_or_as_written(template: &str, labels: &BTreeMap<String, String>, value: f64) -> String {
    expand(template, labels, value).unwrap_or_else(|_| template.to_string())
}

/// An annotation template expanded for one alert.
pub fn expand(template: &str, labels: &BTreeMap<String, String>, value: f64) -> Result<String, Unsupported> {
    if !template.contains("{{") {
        return Ok(template.to_string());
    }
    if template.len() > MAX_ANNOTATION_BYTES {
        return Err(Unsupported("longer than the annotation limit"));
    }
    let tree = parse::parse(template)?;
    let mut run = Run { labels, value, vars: Vec::new(), out: String::new() };
    run.nodes(&tree, &Value::Data)?;
    Ok(run.out)
}

/// A value inside a template.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Str(String),
    Float(f64),
    Int(i64),
    Bool(bool),
    Labels(&'a BTreeMap<String, String>),
    /// The template's data: `.Labels`, `.Value` (`$` and `.` at the top).
    Data,
}

impl Value<'_> {
    /// Go's truth: non-zero, non-empty.
    fn truthy(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Float(f) => *f != 0.0,
            Value::Int(i) => *i != 0,
            Value::Bool(b) => *b,
            Value::Labels(l) => !l.is_empty(),
            Value::Data => true,
        }
    }

    /// What `fmt.Fprint` writes for it.
    fn print(&self) -> Result<String, Unsupported> {
        Ok(match self {
            Value::Str(s) => s.clone(),
            Value::Float(f) => go_fmt::v(*f),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Labels(l) => {
                let pairs: Vec<String> = l.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("map[{}]", pairs.join(" "))
            }
            Value::Data => return Err(Unsupported("printing the whole template data")),
        })
    }

    /// Prometheus' `ConvertToFloat`: numbers and numeric strings.
    fn number(&self) -> Result<f64, Unsupported> {
        match self {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Str(s) => s.parse().map_err(|_| Unsupported("a string that is not a number where one is needed")),
            _ => Err(Unsupported("a value that is not a number where one is needed")),
        }
    }
}

struct Run<'a> {
    labels: &'a BTreeMap<String, String>,
    value: f64,
    vars: Vec<(String, Value<'a>)>,
    out: String,
}

impl<'a> Run<'a> {
    fn nodes(&mut self, nodes: &[Node], dot: &Value<'a>) -> Result<(), Unsupported> {
        for node in nodes {
            let scope = self.vars.len();
            match node {
                Node::Text(text) => self.out.push_str(text),
                Node::Print(p) => {
                    let v = self.pipeline(p, dot)?;
                    if p.declares.is_none() {
                        let printed = v.print()?;
                        self.out.push_str(&printed);
                    }
                    continue; // a declaration stays in scope for what follows
                }
                Node::If { cond, then, otherwise } => {
                    let branch = if self.pipeline(cond, dot)?.truthy() { then } else { otherwise };
                    self.nodes(branch, dot)?;
                }
                Node::With { value, then, otherwise } => {
                    let v = self.pipeline(value, dot)?;
                    if v.truthy() {
                        self.nodes(then, &v)?;
                    } else {
                        self.nodes(otherwise, dot)?;
                    }
                }
            }
            self.vars.truncate(scope);
            if self.out.len() > MAX_EXPANDED_ANNOTATION_BYTES {
                return Err(Unsupported("expands past the annotation limit"));
            }
        }
        Ok(())
    }

    fn pipeline(&mut self, p: &Pipeline, dot: &Value<'a>) -> Result<Value<'a>, Unsupported> {
        let mut piped: Option<Value<'a>> = None;
        for command in &p.commands {
            piped = Some(self.command(command, piped, dot)?);
        }
        let value = piped.ok_or(Unsupported("an empty pipeline"))?;
        if let Some(name) = &p.declares {
            self.vars.push((name.clone(), value.clone()));
        }
        Ok(value)
    }

    fn command(&mut self, words: &[Arg], piped: Option<Value<'a>>, dot: &Value<'a>) -> Result<Value<'a>, Unsupported> {
        match words {
            [Arg::Func(name), rest @ ..] => {
                let mut args = rest.iter().map(|a| self.arg(a, dot)).collect::<Result<Vec<_>, _>>()?;
                args.extend(piped);
                call(name, args)
            }
            [one] if piped.is_none() => self.arg(one, dot),
            _ => Err(Unsupported("arguments given to a value that is not a function")),
        }
    }

    fn arg(&mut self, arg: &Arg, dot: &Value<'a>) -> Result<Value<'a>, Unsupported> {
        match arg {
            Arg::Str(s) => Ok(Value::Str(s.clone())),
            Arg::Int(i) => Ok(Value::Int(*i)),
            Arg::Float(f) => Ok(Value::Float(*f)),
            Arg::Bool(b) => Ok(Value::Bool(*b)),
            Arg::Func(name) => call(name, Vec::new()),
            Arg::Paren(p) => self.pipeline(p, dot),
            Arg::Dot(names) => self.fields(dot.clone(), names),
            Arg::Var(name, names) => {
                let start = match name.as_str() {
                    "" => Value::Data,
                    "labels" => Value::Labels(self.labels),
                    "value" => Value::Float(self.value),
                    _ => match self.vars.iter().rev().find(|(n, _)| n == name) {
                        Some((_, v)) => v.clone(),
                        // `$externalLabels` and `$externalURL` are the ruler's; it does not report them.
                        None => return Err(Unsupported("a variable this backend does not know")),
                    },
                };
                self.fields(start, names)
            }
        }
    }

    fn fields(&self, mut value: Value<'a>, names: &[String]) -> Result<Value<'a>, Unsupported> {
        for name in names {
            value = match (value, name.as_str()) {
                (Value::Data, "Labels") => Value::Labels(self.labels),
                (Value::Data, "Value") => Value::Float(self.value),
                // `missingkey=zero`: a label the alert lacks is the empty string.
                (Value::Labels(l), key) => Value::Str(l.get(key).cloned().unwrap_or_default()),
                _ => return Err(Unsupported("a field this backend does not know")),
            };
        }
        Ok(value)
    }
}

fn call<'a>(name: &str, args: Vec<Value<'a>>) -> Result<Value<'a>, Unsupported> {
    let one = |args: &[Value<'a>]| -> Result<f64, Unsupported> {
        match args {
            [v] => v.number(),
            _ => Err(Unsupported("a function given the wrong number of arguments")),
        }
    };
    Ok(match name {
        "humanize" => Value::Str(humanize::humanize(one(&args)?)),
        "humanize1024" => Value::Str(humanize::humanize1024(one(&args)?)),
        "humanizeDuration" => Value::Str(humanize::humanize_duration(one(&args)?)),
        "humanizePercentage" => Value::Str(humanize::humanize_percentage(one(&args)?)),
        "humanizeTimestamp" => Value::Str(
            humanize::humanize_timestamp(one(&args)?).ok_or(Unsupported("a timestamp past 64-bit nanoseconds"))?,
        ),
        "printf" => Value::Str(printf(&args)?),
        "toUpper" | "toLower" => match args.as_slice() {
            [Value::Str(s)] if s.is_ascii() => {
                Value::Str(if name == "toUpper" { s.to_ascii_uppercase() } else { s.to_ascii_lowercase() })
            }
            _ => return Err(Unsupported("a case change of something other than ASCII text")),
        },
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => Value::Bool(compare(name, &args)?),
        "not" => match args.as_slice() {
            [v] => Value::Bool(!v.truthy()),
            _ => return Err(Unsupported("a function given the wrong number of arguments")),
        },
        "and" | "or" => {
            let want = name == "or";
            let last = args.len().checked_sub(1).ok_or(Unsupported("and/or without arguments"))?;
            let at = args.iter().position(|v| v.truthy() == want).unwrap_or(last);
            args.into_iter().nth(at).ok_or(Unsupported("and/or without arguments"))?
        }
        "len" => match args.as_slice() {
            [Value::Str(s)] => Value::Int(s.len() as i64),
            [Value::Labels(l)] => Value::Int(l.len() as i64),
            _ => return Err(Unsupported("len of something other than text or labels")),
        },
        "index" => match args.as_slice() {
            [Value::Labels(l), Value::Str(key)] => Value::Str(l.get(key).cloned().unwrap_or_default()),
            _ => return Err(Unsupported("index of something other than labels")),
        },
        _ => return Err(Unsupported("a function this backend does not run")),
    })
}

/// Go's `eq`…`ge` on values of one basic kind (mixing an integer and a float fails in Go too).
fn compare(op: &str, args: &[Value]) -> Result<bool, Unsupported> {
    let order = |a: &Value, b: &Value| -> Result<std::cmp::Ordering, Unsupported> {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
            (Value::Float(x), Value::Float(y)) => x.partial_cmp(y).ok_or(Unsupported("a comparison with NaN")),
            (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
            (Value::Bool(x), Value::Bool(y)) if op == "eq" || op == "ne" => Ok(x.cmp(y)),
            _ => Err(Unsupported("a comparison of values of different kinds")),
        }
    };
    use std::cmp::Ordering::*;
    match (op, args) {
        ("eq", [a, rest @ ..]) if !rest.is_empty() => {
            for b in rest {
                if order(a, b)? == Equal {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        (_, [a, b]) => {
            let o = order(a, b)?;
            Ok(match op {
                "eq" => o == Equal,
                "ne" => o != Equal,
                "lt" => o == Less,
                "le" => o != Greater,
                "gt" => o == Greater,
                _ => o != Less,
            })
        }
        _ => Err(Unsupported("a comparison given the wrong number of arguments")),
    }
}

/// Go's `fmt.Sprintf` for the verbs annotations use, each with its argument of the kind it prints.
fn printf(args: &[Value]) -> Result<String, Unsupported> {
    let (Some(Value::Str(format)), rest) = (args.first(), args.get(1..).unwrap_or_default()) else {
        return Err(Unsupported("printf without a format"));
    };
    let mut out = String::new();
    let mut next = rest.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut digits = String::new();
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            precision = Some(digits.parse::<usize>().unwrap_or(0).min(64));
        }
        let verb = chars.next().ok_or(Unsupported("a format ending in %"))?;
        if verb == '%' && precision.is_none() {
            out.push('%');
            continue;
        }
        let arg = next.next().ok_or(Unsupported("printf with too few arguments"))?;
        let text = match (verb, arg, precision) {
            ('v' | 's', Value::Str(s), None) => s.clone(),
            ('v', v, None) => v.print()?,
            ('d', Value::Int(i), None) => i.to_string(),
            ('f', Value::Float(x), p) => go_fmt::f(*x, p.unwrap_or(6)),
            ('e', Value::Float(x), p) => go_fmt::e(*x, p.unwrap_or(6)),
            ('g', Value::Float(x), None) => go_fmt::v(*x),
            ('g', Value::Float(x), Some(p)) => go_fmt::g(*x, p),
            _ => return Err(Unsupported("a printf verb, flag or argument kind this backend does not print")),
        };
        out.push_str(&text);
    }
    if next.next().is_some() {
        return Err(Unsupported("printf with more arguments than verbs"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> BTreeMap<String, String> {
        [("instance", "db-1:9100"), ("job", "node")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// What Prometheus writes for these templates (from its `template_test.go` and the Go rules the
    /// module doc names); the live test compares with a running Prometheus.
    #[test]
    fn templates_expand_as_prometheus_expands_them() {
        for (template, value, want) in [
            ("plain text", 1.0, "plain text"),
            ("{{ $labels.instance }} is down", 1.0, "db-1:9100 is down"),
            ("{{$labels.job}}/{{ .Labels.instance }}", 1.0, "node/db-1:9100"),
            ("{{ $labels.nosuch }}|", 1.0, "|"),
            ("{{ $value }}", 1234567.0, "1.234567e+06"),
            ("{{ .Value }}", 0.5, "0.5"),
            ("{{ $value | humanize }}", 1234567.0, "1.235M"),
            ("{{ humanize $value }}B", 0.12, "120mB"),
            ("{{ $value | humanizePercentage }}", 0.1234567, "12.35%"),
            ("{{ $value | humanizeDuration }}", 90000.0, "1d 1h 0m 0s"),
            ("{{ $value | humanize1024 }}", 1048576.0, "1Mi"),
            ("{{ printf \"%.2f\" $value }}", 2.34567, "2.35"),
            ("{{ $value | printf \"%.0f%%\" }}", 99.5, "100%"),
            ("{{ $labels }}", 1.0, "map[instance:db-1:9100 job:node]"),
            ("{{ if gt $value 80.0 }}high{{ else }}low{{ end }}", 81.0, "high"),
            ("{{ if gt $value 80.0 }}high{{ else if gt $value 50.0 }}mid{{ else }}low{{ end }}", 60.0, "mid"),
            ("{{ with $labels.job -}} on {{ . }} {{- end }}!", 1.0, "on node!"),
            ("{{ with $labels.nosuch }}x{{ else }}none{{ end }}", 1.0, "none"),
            ("{{ $x := humanize $value }}[{{ $x }}]", 2000.0, "[2k]"),
            ("{{ toUpper $labels.job }}", 1.0, "NODE"),
            ("{{ index $labels \"job\" }} {{ len $labels }}", 1.0, "node 2"),
            ("{{ if and (eq $labels.job \"node\") (not false) }}y{{ end }}", 1.0, "y"),
            ("a\n  {{- /* trimmed */ -}}\n  b", 1.0, "ab"),
        ] {
            assert_eq!(expand(template, &labels(), value).as_deref(), Ok(want), "{template}");
        }
    }

    #[test]
    fn what_prometheus_would_fail_on_or_this_backend_does_not_run_is_shown_as_written() {
        for template in [
            "{{ if gt $value 80 }}high{{ end }}",  // int against float: an error in Go
            "{{ range $labels }}{{ . }}{{ end }}", // range is not run
            "{{ query \"up\" | first | value }}",  // nor queries
            "{{ $externalLabels.cluster }}",       // the ruler's, unknown here
            "{{ printf \"%5.1f\" $value }}",       // widths are not printed
            "{{ printf \"%d\" $value }}",          // Go writes %!d(float64=…)
            "{{ humanize \"one\" }}",              // an error in Prometheus
            "{{ title $labels.job }}",             // not run
            "{{ .Foo }}",                          // an error in Go
            "{{ $labels.job",                      // unclosed
        ] {
            assert!(expand(template, &labels(), 1.0).is_err(), "{template}");
            assert_eq!(expand_or_as_written(template, &labels(), 1.0), template);
        }
        let huge = "{{ $labels }}".repeat(2000);
        assert!(expand(&huge, &labels(), 1.0).is_err(), "past the limit");
    }
}
