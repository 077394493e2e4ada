//! Reading the Prometheus HTTP API's answers: the envelope, then the data in the shape the request
//! expects, checked (status, shape, size, values) and never trusted. Pure: bytes in, typed answer or
//! typed error out.

use std::fmt;

use codexflow_core::limits::{MAX_LABEL_BYTES, MAX_SERIES_PER_QUERY};
use codexflow_core::prometheus::{ApiStatus, ResultType};
use codexflow_core::value::parse_sample_value;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::error::{PromError, Redactor};
use crate::series::{Labels, RangeSeries};

/// What a request expects back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `query_range`: a matrix.
    Matrix,
    /// `query`: a vector or a scalar; only its size is kept.
    Vector,
    /// `series`: label sets.
    Series,
    /// `label/<name>/values`: strings.
    Strings,
    /// `rules`: the ruler's groups (`crate::ruler::wire`).
    Rules,
    /// An Alertmanager's `/api/v2/alerts` and `/api/v2/silences`: bare JSON arrays, no envelope.
    AmAlerts,
    AmSilences,
}

/// A checked answer.
#[derive(Debug)]
pub enum Answer {
    Matrix(Vec<RangeSeries>),
    Series(Vec<Labels>),
    Strings(Vec<String>),
    Vector(usize),
    Rules(Vec<crate::ruler::wire::RulerGroup>),
    AmAlerts(Vec<crate::alertmanager::AmAlert>),
    AmSilences(Vec<crate::alertmanager::Silence>),
}

impl Answer {
    /// About how many bytes the answer holds in memory, for the sharing budget.
    pub fn weight(&self) -> usize {
        let labels = |l: &Labels| l.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>();
        match self {
            Answer::Matrix(series) => series.iter().map(|s| labels(&s.labels) + s.samples.len() * 16 + 48).sum(),
            Answer::Series(sets) => sets.iter().map(labels).sum(),
            Answer::Strings(strings) => strings.iter().map(|s| s.len() + 24).sum(),
            Answer::Vector(_) => 8,
            Answer::Rules(groups) => groups
                .iter()
                .flat_map(|g| &g.rules)
                .map(|r| {
                    r.query.len()
                        + r.name.len()
                        + 256
                        + r.alerts
                            .iter()
                            .map(|a| a.labels.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>() + 64)
                            .sum::<usize>()
                })
                .sum(),
            Answer::AmAlerts(alerts) => {
                alerts.iter().map(|a| a.labels.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>() + 96).sum()
            }
            Answer::AmSilences(silences) => {
                silences.iter().map(|s| s.id.len() + s.created_by.len() + s.comment.len() + 96).sum()
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    status: ApiStatus,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryData<'a> {
    result_type: ResultType,
    #[serde(borrow)]
    result: &'a RawValue,
}

#[derive(Deserialize)]
struct MatrixSeries {
    metric: Labels,
    #[serde(default)]
    values: Vec<(Timestamp, SampleValue)>,
}

/// A sample time in seconds, as Prometheus writes it (`1435781430.781`), read as epoch ms.
struct Timestamp(i64);

/// A sample value as Prometheus writes it (`"1.5"`, `"NaN"`, `"+Inf"`), parsed without a copy.
struct SampleValue(f64);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let secs = f64::deserialize(d)?;
        // Beyond ±2^53 ms a timestamp is not exact; far beyond what any answer should carry.
        if !secs.is_finite() || secs.abs() > 9.0e12 {
            return Err(de::Error::custom(format!("sample timestamp {secs} is out of range")));
        }
        Ok(Timestamp((secs * 1000.0).round() as i64))
    }
}

impl<'de> Deserialize<'de> for SampleValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SampleValue, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SampleValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sample value as a string (\"1.5\", \"NaN\", \"+Inf\")")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SampleValue, E> {
                parse_sample_value(v)
                    .map(SampleValue)
                    .ok_or_else(|| E::custom(format!("sample value {v:?} is not a number")))
            }
        }
        d.deserialize_str(V)
    }
}

/// Reads one answer (`status` is the HTTP status) as `expect` says it should look.
pub fn parse(expect: Expect, status: u16, body: &[u8], url: &str, redactor: &Redactor) -> Result<Answer, PromError> {
    // serde's messages quote what they could not read, and an upstream may echo anything (our
    // credentials too): every detail is cleaned, whichever part of the answer it came from.
    let bad = |detail: String| PromError::BadResponse { url: url.to_string(), detail: redactor.clean(&detail) };
    if status == 401 || status == 403 {
        return Err(PromError::Auth { url: url.to_string(), status });
    }
    if matches!(expect, Expect::AmAlerts | Expect::AmSilences) {
        if !(200..300).contains(&status) {
            return Err(PromError::Http { url: url.to_string(), status, detail: redactor.excerpt(body) });
        }
        let read = if expect == Expect::AmAlerts {
            crate::alertmanager::parse_alerts(body).map(Answer::AmAlerts)
        } else {
            crate::alertmanager::parse_silences(body).map(Answer::AmSilences)
        };
        return read.map_err(&bad);
    }
    let envelope: Envelope = match serde_json::from_slice(body) {
        Ok(e) => e,
        Err(e) if (200..300).contains(&status) => {
            return Err(bad(format!("not Prometheus API JSON ({e}): {}", redactor.excerpt(body))))
        }
        Err(_) => return Err(PromError::Http { url: url.to_string(), status, detail: redactor.excerpt(body) }),
    };
    if envelope.status != ApiStatus::Success {
        let message = envelope.error.as_deref().map_or_else(|| redactor.excerpt(body), |m| redactor.clean(m));
        let kind = envelope.error_type.map_or_else(|| "error".into(), |k| redactor.clean(&k));
        return Err(if (400..500).contains(&status) {
            PromError::Query { kind, message }
        } else {
            PromError::Http { url: url.to_string(), status, detail: format!("{kind}: {message}") }
        });
    }
    if !(200..300).contains(&status) {
        return Err(PromError::Http { url: url.to_string(), status, detail: redactor.excerpt(body) });
    }
    let data = envelope.data.ok_or_else(|| bad("no `data`".into()))?.get();
    match expect {
        Expect::Matrix => {
            let q: QueryData = serde_json::from_str(data).map_err(|e| bad(e.to_string()))?;
            if q.result_type != ResultType::Matrix {
                return Err(bad(format!("expected a matrix, got {}", q.result_type.as_str())));
            }
            let raw: Vec<MatrixSeries> = serde_json::from_str(q.result.get()).map_err(|e| bad(e.to_string()))?;
            check_series_count(raw.len(), url)?;
            raw.into_iter()
                .map(|s| {
                    check_labels(&s.metric, url)?;
                    let samples: Vec<(i64, f64)> = s.values.into_iter().map(|(t, v)| (t.0, v.0)).collect();
                    // A range query answers each step once, in time order; anything else is not to be
                    // believed (two values for one tick would give a reason that contradicts itself).
                    if samples.windows(2).any(|w| w[1].0 <= w[0].0) {
                        return Err(bad("a series' sample times repeat or go backwards".into()));
                    }
                    Ok(RangeSeries { labels: s.metric, samples })
                })
                .collect::<Result<_, _>>()
                .map(Answer::Matrix)
        }
        Expect::Vector => {
            let q: QueryData = serde_json::from_str(data).map_err(|e| bad(e.to_string()))?;
            match q.result_type {
                ResultType::Vector => {
                    let items: Vec<&RawValue> = serde_json::from_str(q.result.get()).map_err(|e| bad(e.to_string()))?;
                    Ok(Answer::Vector(items.len()))
                }
                ResultType::Scalar => Ok(Answer::Vector(1)),
                other => Err(bad(format!("expected a vector, got {}", other.as_str()))),
            }
        }
        Expect::Series => {
            let sets: Vec<Labels> = serde_json::from_str(data).map_err(|e| bad(e.to_string()))?;
            check_series_count(sets.len(), url)?;
            sets.iter().try_for_each(|l| check_labels(l, url))?;
            Ok(Answer::Series(sets))
        }
        Expect::Strings => Ok(Answer::Strings(serde_json::from_str(data).map_err(|e| bad(e.to_string()))?)),
        Expect::Rules => {
            let mut groups = crate::ruler::wire::groups(data).map_err(bad)?;
            // A rule's lastError is the ruler's text shown to every viewer: its secrets are cut, but not
            // its length (vmalert's names the query and the answer before the cause).
            for rule in groups.iter_mut().flat_map(|g| g.rules.iter_mut()) {
                rule.status.last_error = rule.status.last_error.as_deref().map(|e| redactor.scrub(e));
            }
            Ok(Answer::Rules(groups))
        }
        Expect::AmAlerts | Expect::AmSilences => Err(bad("read above".into())),
    }
}

fn check_series_count(n: usize, url: &str) -> Result<(), PromError> {
    if n > MAX_SERIES_PER_QUERY {
        return Err(PromError::too_many_series(url, n));
    }
    Ok(())
}

fn check_labels(labels: &Labels, url: &str) -> Result<(), PromError> {
    let bytes: usize = labels.iter().map(|(k, v)| k.len() + v.len()).sum();
    if bytes > MAX_LABEL_BYTES {
        return Err(PromError::TooLarge {
            url: url.to_string(),
            detail: format!(
                "a series carries {bytes} bytes of labels, more than the {} KiB allowed",
                MAX_LABEL_BYTES >> 10
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(expect: Expect, status: u16, body: &str) -> Result<Answer, PromError> {
        parse(expect, status, body.as_bytes(), "http://p/api/v1/x", &Redactor::new(["s3cret".to_string()]))
    }

    #[test]
    fn matrices_with_non_finite_values() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1.5,"1"],[3,"NaN"],[4.25,"+Inf"]]}]}}"#;
        let Answer::Matrix(m) = read(Expect::Matrix, 200, body).unwrap() else { panic!() };
        assert_eq!(m[0].samples[0], (1500, 1.0));
        assert!(m[0].samples[1].1.is_nan());
        assert_eq!(m[0].samples[2], (4250, f64::INFINITY));
    }

    #[test]
    fn every_kind_of_wrong_answer_is_a_typed_error() {
        let cases: [(u16, &str, &str); 11] = [
            (200, "<html>login</html>", "not Prometheus API JSON"),
            // serde quotes the value it could not read: the fuzz pass found a secret through it.
            (200, r#"[{"id":"Bearer s3cret"}]"#, "not Prometheus API JSON (invalid type: string \"Bearer <redacted>\""),
            (
                200,
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"s3cret"},"values":"s3cret"}]}}"#,
                "<redacted>",
            ),
            (503, r#"{"status":"error","errorType":"s3cret","error":"no"}"#, "HTTP 503: <redacted>: no"),
            (
                200,
                r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
                "expected a matrix, got vector",
            ),
            (200, r#"{"status":"success"}"#, "no `data`"),
            (
                200,
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"lots"]]}]}}"#,
                "not a number",
            ),
            (
                200,
                r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1e300,"1"]]}]}}"#,
                "out of range",
            ),
            (
                400,
                r#"{"status":"error","errorType":"bad_data","error":"parse error near s3cret"}"#,
                "(bad_data): parse error near <redacted>",
            ),
            (
                503,
                r#"{"status":"error","errorType":"timeout","error":"query timed out"}"#,
                "HTTP 503: timeout: query timed out",
            ),
            (502, "Bad Gateway\nAuthorization: Basic s3cret", "HTTP 502: Bad Gateway"),
        ];
        for (status, body, needle) in cases {
            let e = read(Expect::Matrix, status, body).unwrap_err().to_string();
            assert!(e.contains(needle), "{status} {body}: {e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
        assert!(matches!(read(Expect::Matrix, 401, ""), Err(PromError::Auth { status: 401, .. })));
    }

    #[test]
    fn a_rules_last_error_is_cleaned_as_any_upstream_text() {
        let body = r#"{"status":"success","data":{"groups":[{"name":"g","file":"f","interval":60,"rules":[
            {"name":"A","query":"up","duration":0,"type":"alerting","health":"err","lastError":"Authorization: Bearer s3cret"}]}]}}"#;
        let Answer::Rules(groups) = read(Expect::Rules, 200, body).unwrap() else { panic!() };
        let error = groups[0].rules[0].status.last_error.clone().unwrap();
        assert!(!error.contains("s3cret"), "{error}");
        // The ruler's words are kept whole, however long (ruler_live reads the cause at their end).
        let long = format!("{} many-to-many s3cret", "x".repeat(2000));
        let body = body.replace("Authorization: Bearer s3cret", &long);
        let Answer::Rules(groups) = read(Expect::Rules, 200, &body).unwrap() else { panic!() };
        let error = groups[0].rules[0].status.last_error.clone().unwrap();
        assert!(error.ends_with("many-to-many <redacted>"), "{error}");
    }

    #[test]
    fn too_many_series_or_label_bytes_are_refused() {
        let many: Vec<String> =
            (0..=MAX_SERIES_PER_QUERY).map(|i| format!(r#"{{"metric":{{"i":"{i}"}},"values":[]}}"#)).collect();
        let body = format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{}]}}}}"#, many.join(","));
        assert!(matches!(read(Expect::Matrix, 200, &body), Err(PromError::TooLarge { .. })));
        let huge = "v".repeat(MAX_LABEL_BYTES + 1);
        let body = format!(r#"{{"status":"success","data":[{{"__name__":"{huge}"}}]}}"#);
        assert!(matches!(read(Expect::Series, 200, &body), Err(PromError::TooLarge { .. })));
    }

    #[test]
    fn repeated_or_backward_sample_times_are_not_believed() {
        for values in [r#"[[1,"5"],[1,"1500"]]"#, r#"[[2,"1"],[1,"1"]]"#] {
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":{values}}}]}}}}"#
            );
            assert!(
                read(Expect::Matrix, 200, &body).unwrap_err().to_string().contains("repeat or go backwards"),
                "{values}"
            );
        }
    }

    #[test]
    fn vectors_series_and_strings() {
        assert!(matches!(
            read(Expect::Vector, 200, r#"{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}"#),
            Ok(Answer::Vector(1))
        ));
        assert!(matches!(
            read(Expect::Vector, 200, r#"{"status":"success","data":{"resultType":"vector","result":[{},{}]}}"#),
            Ok(Answer::Vector(2))
        ));
        assert!(
            matches!(read(Expect::Strings, 200, r#"{"status":"success","data":["a","b"]}"#), Ok(Answer::Strings(s)) if s.len() == 2)
        );
        assert!(
            matches!(read(Expect::Series, 200, r#"{"status":"success","data":[{"__name__":"up"}]}"#), Ok(Answer::Series(s)) if s.len() == 1)
        );
    }
}
