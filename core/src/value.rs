//! Serde for sample values that may be NaN or ±Inf.
//!
//! JSON has no NaN, and serde_json would silently turn one into `null`, which
//! on our wire means "no sample". Like Prometheus' own API we send the
//! non-finite values as strings (`"NaN"`, `"+Inf"`, `"-Inf"`) and accept
//! numbers or those strings back.

/// For `Option<f64>` fields: `null` = absent, a number, or a non-finite string.
pub mod opt {
    use serde::de::{self, Deserializer, Visitor};
    use serde::Serializer;
    use std::fmt;

    pub fn serialize<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            None => s.serialize_none(),
            Some(v) if v.is_finite() => s.serialize_f64(*v),
            Some(v) => s.serialize_str(super::non_finite_name(*v)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<f64>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number, null, or one of \"NaN\", \"+Inf\", \"-Inf\"")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Some(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Some(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Some(v as f64))
            }
            // Only the three names: the wire writes every finite value as a number, and reading a
            // number from text would keep a float parser in the panel's budgeted `.wasm`.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                super::non_finite(v).map(Some).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_option(V)
    }
}

/// `NaN`, `+Inf` or `-Inf` for a non-finite value, as Prometheus writes them.
pub(crate) fn non_finite_name(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// A non-finite value by the name Prometheus writes it (`NaN`, `+Inf` or `Inf`, `-Inf`).
fn non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Parses a sample value as Prometheus' API writes it (`"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`).
pub fn parse_sample_value(s: &str) -> Option<f64> {
    non_finite(s).or_else(|| s.parse::<f64>().ok())
}

#[cfg(test)]
mod tests {
    use crate::api::Point;

    #[test]
    fn non_finite_values_survive_a_round_trip() {
        for v in [Some(1.5), None, Some(f64::INFINITY), Some(f64::NEG_INFINITY), Some(0.0)] {
            let p = Point { t: 1, v };
            let json = serde_json::to_string(&p).unwrap();
            let back: Point = serde_json::from_str(&json).unwrap();
            assert_eq!(back, p, "{json}");
        }
        let nan = Point { t: 1, v: Some(f64::NAN) };
        let json = serde_json::to_string(&nan).unwrap();
        assert_eq!(json, r#"{"t":1,"v":"NaN"}"#);
        let back: Point = serde_json::from_str(&json).unwrap();
        assert!(back.v.unwrap().is_nan());
    }

    #[test]
    fn garbage_values_are_rejected() {
        assert!(serde_json::from_str::<Point>(r#"{"t":1,"v":"lots"}"#).is_err());
        assert!(serde_json::from_str::<Point>(r#"{"t":1,"v":[1]}"#).is_err());
        assert_eq!(serde_json::from_str::<Point>(r#"{"t":1,"v":null}"#).unwrap().v, None);
        assert_eq!(serde_json::from_str::<Point>(r#"{"t":1,"v":3}"#).unwrap().v, Some(3.0));
        // A finite value is a number on the wire, never text.
        assert!(serde_json::from_str::<Point>(r#"{"t":1,"v":"1.5"}"#).is_err());
        assert_eq!(super::parse_sample_value("1.5"), Some(1.5), "as Prometheus' API writes it");
    }
}
