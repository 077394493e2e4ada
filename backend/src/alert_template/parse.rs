//! The part of Go's `text/template` language alert annotations use, parsed into a tree: text,
//! `{{ pipeline }}` with `{{-`/`-}}` trimming and comments, `if`/`else if`/`else`, `with`/`else`,
//! variables, field chains, function calls and `|` pipelines. Anything else (`range`, `define`,
//! `template`, `block`, …) is [`Unsupported`], and the caller shows the template as written.

use super::Unsupported;

/// How deep `if`, `with` and parentheses may nest: far beyond what an annotation needs, and a
/// bound on the parser's recursion for any text a ruler sends.
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    /// `{{ pipeline }}`: prints the pipeline's value (nothing when it declares a variable).
    Print(Pipeline),
    If {
        cond: Pipeline,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    /// `with`: `then` runs with `.` bound to the pipeline's value when that is non-empty.
    With {
        value: Pipeline,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// `$x := a b | c d`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub declares: Option<String>,
    pub commands: Vec<Vec<Arg>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// `$name.a.b` (`$` alone is the template's data).
    Var(String, Vec<String>),
    /// `.a.b` (`.` alone is the current value).
    Dot(Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Func(String),
    Paren(Box<Pipeline>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Arg(Arg),
    Pipe,
    Declare,
    Open,
    Close,
}

/// Splits a template into text and actions (the text between `{{` and `}}`), trimming as `{{-`
/// and `-}}` ask and dropping comments.
fn pieces(template: &str) -> Result<Vec<Result<String, String>>, Unsupported> {
    let mut out: Vec<Result<String, String>> = Vec::new();
    let mut rest = template;
    let mut trim_next = false;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        if trim_next {
            text = text.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        let mut inner = &rest[start + 2..];
        if let Some(after) = inner.strip_prefix("- ").or_else(|| inner.strip_prefix("-\t")) {
            text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            inner = after;
        }
        out.push(Ok(text.to_string()));
        let end = find_close(inner).ok_or(Unsupported("an action without its closing }}"))?;
        let mut action = &inner[..end];
        rest = &inner[end + 2..];
        trim_next = false;
        if let Some(before) = action.strip_suffix(" -").or_else(|| action.strip_suffix("\t-")) {
            action = before;
            trim_next = true;
        }
        let action = action.trim();
        if !(action.starts_with("/*") && action.ends_with("*/")) {
            out.push(Err(action.to_string()));
        }
    }
    let text = if trim_next { rest.trim_start_matches([' ', '\t', '\r', '\n']) } else { rest };
    out.push(Ok(text.to_string()));
    Ok(out)
}

/// The offset of the `}}` that closes an action, skipping quoted strings.
fn find_close(action: &str) -> Option<usize> {
    let bytes = action.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = i + 1 + skip_quoted(&action[i + 1..], '"')?,
            b'`' => i = i + 1 + action[i + 1..].find('`')? + 1,
            b'}' if bytes.get(i + 1) == Some(&b'}') => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Bytes up to and including the closing quote of a string with backslash escapes.
fn skip_quoted(s: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A Go string literal's value.
fn unquote(body: &str) -> Result<String, Unsupported> {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('\\') => '\\',
            Some('"') => '"',
            Some('\'') => '\'',
            _ => return Err(Unsupported("a string escape other than \\n \\t \\r \\\\ \\\"")),
        });
    }
    Ok(out)
}

/// `.a.b.c` starting at a dot: the field names.
fn fields(s: &str) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut i = 0;
    while s[i..].starts_with('.') {
        let name: String = s[i + 1..].chars().take_while(|&c| is_ident(c)).collect();
        i += 1 + name.len();
        if name.is_empty() {
            break;
        }
        names.push(name);
    }
    (names, i)
}

fn tokens(action: &str) -> Result<Vec<Token>, Unsupported> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = action[i..].chars().next() {
        let rest = &action[i..];
        let (token, len) = match c {
            ' ' | '\t' | '\r' | '\n' => {
                i += 1;
                continue;
            }
            '|' => (Token::Pipe, 1),
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            ':' if rest.starts_with(":=") => (Token::Declare, 2),
            '"' => {
                let len = skip_quoted(&rest[1..], '"').ok_or(Unsupported("an unclosed string"))?;
                (Token::Arg(Arg::Str(unquote(&rest[1..len])?)), len + 1)
            }
            '`' => {
                let len = rest[1..].find('`').ok_or(Unsupported("an unclosed string"))?;
                (Token::Arg(Arg::Str(rest[1..=len].to_string())), len + 2)
            }
            '$' => {
                let name: String = rest[1..].chars().take_while(|&c| is_ident(c)).collect();
                let (names, len) = fields(&rest[1 + name.len()..]);
                (Token::Arg(Arg::Var(name.clone(), names)), 1 + name.len() + len)
            }
            '.' => {
                let (names, len) = fields(rest);
                (Token::Arg(Arg::Dot(names)), len.max(1))
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' => {
                let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "+-._".contains(c))).unwrap_or(rest.len());
                let text = &rest[..len];
                let arg = if let Ok(n) = text.parse::<i64>() {
                    Arg::Int(n)
                } else {
                    Arg::Float(text.parse::<f64>().map_err(|_| Unsupported("a number Go writes differently"))?)
                };
                (Token::Arg(arg), len)
            }
            c if is_ident(c) => {
                let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
                let arg = match name.as_str() {
                    "true" => Arg::Bool(true),
                    "false" => Arg::Bool(false),
                    _ => Arg::Func(name.clone()),
                };
                if rest[name.len()..].starts_with('.') {
                    return Err(Unsupported("a field of a function's result"));
                }
                (Token::Arg(arg), name.len())
            }
            _ => return Err(Unsupported("a character outside the supported actions")),
        };
        out.push(token);
        i += len;
    }
    Ok(out)
}

/// A pipeline from `tokens[*at..]`, up to a closing parenthesis at `depth` > 0.
fn pipeline(tokens: &[Token], at: &mut usize, depth: usize) -> Result<Pipeline, Unsupported> {
    if depth > MAX_DEPTH {
        return Err(Unsupported("parentheses nested too deep"));
    }
    let mut declares = None;
    if let (Some(Token::Arg(Arg::Var(name, f))), Some(Token::Declare)) = (tokens.get(*at), tokens.get(*at + 1)) {
        if !f.is_empty() {
            return Err(Unsupported("a declaration of a field"));
        }
        declares = Some(name.clone());
        *at += 2;
    }
    let mut commands = vec![Vec::new()];
    while let Some(token) = tokens.get(*at) {
        *at += 1;
        match token {
            Token::Arg(arg) => {
                if let Some(command) = commands.last_mut() {
                    command.push(arg.clone());
                }
            }
            Token::Pipe => commands.push(Vec::new()),
            Token::Open => {
                let inner = Arg::Paren(Box::new(pipeline(tokens, at, depth + 1)?));
                if let Some(command) = commands.last_mut() {
                    command.push(inner);
                }
            }
            Token::Close if depth > 0 => return complete(declares, commands),
            Token::Close => return Err(Unsupported("an unopened parenthesis")),
            Token::Declare => return Err(Unsupported("an assignment in the middle of a pipeline")),
        }
    }
    if depth > 0 {
        return Err(Unsupported("an unclosed parenthesis"));
    }
    complete(declares, commands)
}

fn complete(declares: Option<String>, commands: Vec<Vec<Arg>>) -> Result<Pipeline, Unsupported> {
    if commands.iter().any(Vec::is_empty) {
        return Err(Unsupported("an empty command"));
    }
    Ok(Pipeline { declares, commands })
}

fn parse_pipeline(action: &str) -> Result<Pipeline, Unsupported> {
    let tokens = tokens(action)?;
    let mut at = 0;
    pipeline(&tokens, &mut at, 0)
}

/// What ends a list of nodes.
enum Stop {
    Eof,
    End,
    Else(Option<String>),
}

fn nodes(
    pieces: &mut std::vec::IntoIter<Result<String, String>>,
    depth: usize,
) -> Result<(Vec<Node>, Stop), Unsupported> {
    if depth > MAX_DEPTH {
        return Err(Unsupported("if and with nested too deep"));
    }
    let mut out = Vec::new();
    while let Some(piece) = pieces.next() {
        let action = match piece {
            Ok(text) if text.is_empty() => continue,
            Ok(text) => {
                out.push(Node::Text(text));
                continue;
            }
            Err(action) => action,
        };
        let (word, rest) = action.split_once(char::is_whitespace).unwrap_or((action.as_str(), ""));
        match word {
            "end" if rest.trim().is_empty() => return Ok((out, Stop::End)),
            "else" if rest.trim().is_empty() => return Ok((out, Stop::Else(None))),
            "else" => {
                let rest = rest.trim_start();
                let cond = rest.strip_prefix("if ").ok_or(Unsupported("an else other than else and else if"))?;
                return Ok((out, Stop::Else(Some(cond.to_string()))));
            }
            "if" => out.push(conditional(rest, pieces, depth)?),
            "with" => {
                let value = parse_pipeline(rest)?;
                let (then, end) = nodes(pieces, depth + 1)?;
                let otherwise = match end {
                    Stop::End => Vec::new(),
                    Stop::Else(None) => closed(nodes(pieces, depth + 1)?)?,
                    _ => return Err(Unsupported("a with without its end")),
                };
                out.push(Node::With { value, then, otherwise });
            }
            "range" | "define" | "template" | "block" | "break" | "continue" | "nil" => {
                return Err(Unsupported("range, define, template, block, break or continue"))
            }
            _ => out.push(Node::Print(parse_pipeline(&action)?)),
        }
    }
    Ok((out, Stop::Eof))
}

/// `if cond` … up to its `end`, `else if` chains nested as Go nests them.
fn conditional(
    cond: &str,
    pieces: &mut std::vec::IntoIter<Result<String, String>>,
    depth: usize,
) -> Result<Node, Unsupported> {
    let cond = parse_pipeline(cond)?;
    let (then, end) = nodes(pieces, depth + 1)?;
    let otherwise = match end {
        Stop::End => Vec::new(),
        Stop::Else(None) => closed(nodes(pieces, depth + 1)?)?,
        Stop::Else(Some(next)) => vec![conditional(&next, pieces, depth + 1)?],
        Stop::Eof => return Err(Unsupported("an if without its end")),
    };
    Ok(Node::If { cond, then, otherwise })
}

fn closed((nodes, end): (Vec<Node>, Stop)) -> Result<Vec<Node>, Unsupported> {
    match end {
        Stop::End => Ok(nodes),
        _ => Err(Unsupported("an else without its end")),
    }
}

/// The template's tree.
pub fn parse(template: &str) -> Result<Vec<Node>, Unsupported> {
    let mut pieces = pieces(template)?.into_iter();
    match nodes(&mut pieces, 0)? {
        (nodes, Stop::Eof) => Ok(nodes),
        _ => Err(Unsupported("an end or else with no if or with")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_trim_and_comments_vanish() {
        let tree = parse("a  {{- $labels.job -}}  b {{/* note */}}c").unwrap();
        assert_eq!(
            tree,
            vec![
                Node::Text("a".into()),
                Node::Print(Pipeline {
                    declares: None,
                    commands: vec![vec![Arg::Var("labels".into(), vec!["job".into()])]]
                }),
                Node::Text("b ".into()),
                Node::Text("c".into()),
            ]
        );
        // `{{-3}}` is the number -3, not a trim.
        assert_eq!(
            parse("{{-3}}").unwrap(),
            vec![Node::Print(Pipeline { declares: None, commands: vec![vec![Arg::Int(-3)]] })]
        );
    }

    #[test]
    fn pipelines_calls_and_strings() {
        let tree = parse(r#"{{ printf "%.2f \"x\"" (humanize $value) | toUpper }}"#).unwrap();
        let Node::Print(p) = &tree[0] else { panic!("{tree:?}") };
        assert_eq!(p.commands.len(), 2);
        assert_eq!(p.commands[0][1], Arg::Str("%.2f \"x\"".into()));
        assert!(matches!(&p.commands[0][2], Arg::Paren(inner) if inner.commands[0][0] == Arg::Func("humanize".into())));
    }

    #[test]
    fn what_is_not_supported_says_so() {
        for t in [
            "{{ range $labels }}x{{ end }}",
            "{{ if $value }}x",
            "{{ end }}",
            "{{ $value ",
            "{{ \"open }}",
            "{{ (((((((((((((((((( 1 )))))))))))))))))) }}",
            "{{ query \"up\" | first | value }}.x",
        ] {
            let _ = parse(t).map(|tree| assert!(t.contains("query"), "{t}: {tree:?}"));
        }
        let deep = format!("{}x{}", "{{ if true }}".repeat(40), "{{ end }}".repeat(40));
        assert!(parse(&deep).is_err());
    }
}
