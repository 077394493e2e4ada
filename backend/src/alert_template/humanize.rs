//! Prometheus' `humanize*` template functions, each printing what Prometheus prints for the same
//! number (its `template/template.go` and `common/helpers/templates/time.go`).

use codexflow_core::format::{utc_clock, utc_date};

use super::go_fmt;

const BIG: [&str; 8] = ["k", "M", "G", "T", "P", "E", "Z", "Y"];
const SMALL: [&str; 8] = ["m", "u", "n", "p", "f", "a", "z", "y"];
const BINARY: [&str; 8] = ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"];

/// Scales `v` by `factor` while it is at least `factor` in size, through `prefixes`.
fn scale_down(mut v: f64, factor: f64, prefixes: &[&'static str]) -> (f64, &'static str) {
    let mut prefix = "";
    for p in prefixes {
        if v.abs() < factor {
            break;
        }
        prefix = p;
        v /= factor;
    }
    (v, prefix)
}

/// Scales a magnitude below one up by a thousand at a time, through the small SI prefixes.
fn scale_up(mut v: f64) -> (f64, &'static str) {
    let mut prefix = "";
    for p in SMALL {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    (v, prefix)
}

/// `humanize`: SI prefixes, four significant digits (`1234567` → `1.235M`, `0.12` → `120m`).
pub fn humanize(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return go_fmt::g(v, 4);
    }
    let (v, prefix) = if v.abs() >= 1.0 { scale_down(v, 1000.0, &BIG) } else { scale_up(v) };
    format!("{}{prefix}", go_fmt::g(v, 4))
}

/// `humanize1024`: binary prefixes from 1024 up (`1048576` → `1Mi`).
pub fn humanize1024(v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return go_fmt::g(v, 4);
    }
    let (v, prefix) = scale_down(v, 1024.0, &BINARY);
    format!("{}{prefix}", go_fmt::g(v, 4))
}

/// `humanizeDuration`: seconds as `1d 1h 0m 0s`, `12.35s`, `100ms`.
pub fn humanize_duration(v: f64) -> String {
    if !v.is_finite() {
        return go_fmt::g(v, 4);
    }
    if v == 0.0 {
        return "0s".into();
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        // Go truncates to whole seconds with an int64 conversion, saturating far out.
        let secs = v.abs().min(9.2e18) as i64;
        let (days, hours, minutes, seconds) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
        return if days != 0 {
            format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {minutes}m {seconds}s")
        } else if minutes != 0 {
            format!("{sign}{minutes}m {seconds}s")
        } else {
            format!("{sign}{}s", go_fmt::g(v.abs(), 4))
        };
    }
    let (v, prefix) = scale_up(v);
    format!("{}{prefix}s", go_fmt::g(v, 4))
}

/// `humanizePercentage`: a ratio as a percentage (`0.1234567` → `12.35%`).
pub fn humanize_percentage(v: f64) -> String {
    format!("{}%", go_fmt::g(v * 100.0, 4))
}

/// `humanizeTimestamp`: Unix seconds as Go prints a UTC time (`2015-06-23 13:19:44.128 +0000 UTC`),
/// to the millisecond; `None` past what 64-bit nanoseconds hold (Prometheus fails there).
pub fn humanize_timestamp(v: f64) -> Option<String> {
    if !v.is_finite() {
        return Some(go_fmt::g(v, 4));
    }
    let ns = v * 1e9;
    if !(-9.223372036854776e18..9.223372036854776e18).contains(&ns) {
        return None;
    }
    let ms = (ns as i64) / 1_000_000;
    Some(go_time(ms))
}

/// Go's `time.Time.String()` of a UTC instant given in epoch milliseconds, the fraction's trailing
/// zeros dropped.
fn go_time(ms: i64) -> String {
    let frac = ms.rem_euclid(1000);
    let mut fraction = if frac == 0 { String::new() } else { format!(".{frac:03}") };
    while fraction.ends_with('0') {
        fraction.pop();
    }
    let seconds = ms.div_euclid(1000).rem_euclid(60);
    format!("{} {}:{seconds:02}{fraction} +0000 UTC", utc_date(ms), utc_clock(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prometheus' own expected outputs (`template/template_test.go`, `helpers/templates/time_test.go`).
    #[test]
    fn humanize_functions_print_what_prometheus_prints() {
        for (v, want) in [
            (0.0, "0"),
            (1.0, "1"),
            (1234567.0, "1.235M"),
            (0.12, "120m"),
            (-1.0, "-1"),
            (i64::MAX as f64, "9.223E"),
            (u64::MAX as f64, "18.45E"),
            (999999.0, "1000k"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
            (1e30, "1e+06Y"),
        ] {
            assert_eq!(humanize(v), want, "humanize {v}");
        }
        for (v, want) in [
            (1048576.0, "1Mi"),
            (1234567.0, "1.177Mi"),
            (0.12, "0.12"),
            (i64::MAX as f64, "8Ei"),
            (u64::MAX as f64, "16Ei"),
        ] {
            assert_eq!(humanize1024(v), want, "humanize1024 {v}");
        }
        for (v, want) in [
            (0.0, "0s"),
            (1.0, "1s"),
            (1.2345, "1.234s"),
            (12.345, "12.35s"),
            (60.5, "1m 0s"),
            (899.99, "14m 59s"),
            (90000.0, "1d 1h 0m 0s"),
            (-(2.0 * 86400.0 + 3.0 * 3600.0 + 4.0 * 60.0 + 5.0), "-2d 3h 4m 5s"),
            (1234567.0, "14d 6h 56m 7s"),
            (0.1, "100ms"),
            (0.0001, "100us"),
            (0.12345, "123.5ms"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(humanize_duration(v), want, "humanizeDuration {v}");
        }
        for (v, want) in
            [(-0.22222, "-22.22%"), (0.0, "0%"), (0.1234567, "12.35%"), (1.23456, "123.5%"), (1234567.0, "1.235e+08%")]
        {
            assert_eq!(humanize_percentage(v), want, "humanizePercentage {v}");
        }
        for (v, want) in [
            (0.0, "1970-01-01 00:00:00 +0000 UTC"),
            (-1.0, "1969-12-31 23:59:59 +0000 UTC"),
            (1435065584.128, "2015-06-23 13:19:44.128 +0000 UTC"),
            (1.5e9, "2017-07-14 02:40:00 +0000 UTC"),
        ] {
            assert_eq!(humanize_timestamp(v).as_deref(), Some(want), "humanizeTimestamp {v}");
        }
        assert_eq!(humanize_timestamp(1.8446744073709552e19), None);
    }
}
