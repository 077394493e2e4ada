//! Prometheus duration strings (`1h30m`, `15s`, `2w`, `500ms`).
//!
//! Rule files, settings and the wire protocol all speak Prometheus' duration
//! dialect, so we parse and print it exactly as `model.ParseDuration` and
//! `model.Duration.String` do: units from largest to smallest, each at most
//! once, `d` = 24h, `w` = 7d, `y` = 365d, and `0` alone meaning zero.

use thiserror::Error;

/// Milliseconds in each unit, largest first; the order is the order Prometheus requires.
const UNITS: [(&str, i64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Why a duration string was rejected.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DurationError {
    #[error("empty duration string")]
    Empty,
    #[error("not a valid duration string: \"{0}\"")]
    Invalid(String),
    #[error("duration out of range: \"{0}\"")]
    Overflow(String),
}

/// Parses a Prometheus duration into milliseconds.
pub fn parse_duration(input: &str) -> Result<i64, DurationError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    if s == "0" {
        return Ok(0);
    }
    let invalid = || DurationError::Invalid(input.to_string());
    let bytes = s.as_bytes();
    let mut pos = 0;
    let mut total: i64 = 0;
    // Index into UNITS of the last unit seen: each following unit must be smaller.
    let mut last_unit: Option<usize> = None;
    while pos < bytes.len() {
        let start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        if start == pos {
            return Err(invalid());
        }
        let number: i64 = s[start..pos].parse().map_err(|_| DurationError::Overflow(input.to_string()))?;
        let unit_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_alphabetic() {
            pos += 1;
        }
        let unit = &s[unit_start..pos];
        let idx = UNITS.iter().position(|(name, _)| *name == unit).ok_or_else(invalid)?;
        if matches!(last_unit, Some(prev) if prev >= idx) {
            return Err(invalid());
        }
        last_unit = Some(idx);
        let part = number.checked_mul(UNITS[idx].1).ok_or_else(|| DurationError::Overflow(input.to_string()))?;
        total = total
            .checked_add(part)
            .filter(|t| *t <= crate::limits::MAX_DURATION_MS)
            .ok_or_else(|| DurationError::Overflow(input.to_string()))?;
    }
    Ok(total)
}

/// Formats milliseconds the way Prometheus prints a `model.Duration`.
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    let mut rest = ms.unsigned_abs();
    if ms < 0 {
        out.push('-');
    }
    for (name, size) in UNITS {
        let size = size as u64;
        if rest >= size {
            out.push_str(&(rest / size).to_string());
            out.push_str(name);
            rest %= size;
        }
    }
    out
}

/// Short human form for reasons and tooltips: the two largest units, e.g. `1h 5m`, `17m`, `45s`.
pub fn humanize_duration(ms: i64) -> String {
    if ms <= 0 {
        return "0s".to_string();
    }
    let mut parts = Vec::with_capacity(2);
    let mut rest = ms;
    for (name, size) in UNITS.iter().filter(|(n, _)| *n != "w" && *n != "ms") {
        if rest >= *size {
            parts.push(format!("{}{}", rest / size, name));
            rest %= size;
            if parts.len() == 2 {
                break;
            }
        } else if !parts.is_empty() {
            // Stop at the first empty unit after the largest one: "1h" not "1h 0m 5s".
            break;
        }
    }
    if parts.is_empty() {
        return format!("{ms}ms");
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_examples() {
        assert_eq!(parse_duration("0"), Ok(0));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(parse_duration("15s"), Ok(15_000));
        assert_eq!(parse_duration("1m"), Ok(60_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("1d"), Ok(86_400_000));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400_000));
        assert_eq!(parse_duration("1y"), Ok(365 * 86_400_000));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("1m500ms"), Ok(60_500));
    }

    #[test]
    fn rejects_what_prometheus_rejects() {
        for bad in ["", "1", "m", "1x", "1m1h", "1m1m", "-1m", "1.5m", "1 m", "1mm"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(matches!(parse_duration("99999999999999999999y"), Err(DurationError::Overflow(_))));
        assert!(matches!(parse_duration("9999999999y"), Err(DurationError::Overflow(_))));
        // Where promtool itself draws the line (Go's time.Duration): 106751d is fine, 106752d not.
        assert_eq!(parse_duration("292y"), Ok(292 * 365 * 86_400_000));
        assert_eq!(parse_duration("106751d"), Ok(106_751 * 86_400_000));
        for out in ["293y", "106752d", "292000000y"] {
            assert!(matches!(parse_duration(out), Err(DurationError::Overflow(_))), "{out}");
        }
    }

    #[test]
    fn formats_like_prometheus() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(5_400_000), "1h30m");
        assert_eq!(format_duration(86_400_000), "1d");
        assert_eq!(format_duration(15 * 86_400_000), "2w1d");
        assert_eq!(format_duration(60_500), "1m500ms");
        for s in ["15s", "1h30m", "2w1d", "1y", "10m", "1m500ms"] {
            assert_eq!(format_duration(parse_duration(s).unwrap()), s);
        }
    }

    #[test]
    fn humanizes_two_units() {
        assert_eq!(humanize_duration(17 * 60_000), "17m");
        assert_eq!(humanize_duration(3_900_000), "1h 5m");
        assert_eq!(humanize_duration(3_600_000 + 5_000), "1h");
        assert_eq!(humanize_duration(45_000), "45s");
        assert_eq!(humanize_duration(250), "250ms");
        assert_eq!(humanize_duration(0), "0s");
    }
}
