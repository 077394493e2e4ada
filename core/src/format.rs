//! Numbers as people read them on a dashboard: `1.5K`, `12.3`, `1,532`.

/// Compact form for tiles: three significant figures below a thousand, then K/M/G/T with one decimal under 10.
pub fn compact(v: f64) -> String {
    if let Some(s) = non_finite(v) {
        return s.to_string();
    }
    let abs = v.abs();
    if abs < 1000.0 {
        return small(v);
    }
    let (scaled, suffix) = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")]
        .iter()
        .find(|(size, _)| abs >= *size)
        .map(|(size, suffix)| (v / size, *suffix))
        .unwrap_or((v, ""));
    let text = if scaled.abs() < 10.0 { trim_zeros(fixed(scaled, 1)) } else { fixed(scaled, 0) };
    format!("{text}{suffix}")
}

/// Exact-ish form for sentences: thousands separators, at most two decimals (`1,532`, `0.42`).
pub fn grouped(v: f64) -> String {
    if let Some(s) = non_finite(v) {
        return s.to_string();
    }
    if v.abs() < 1.0 && v != 0.0 {
        return small(v);
    }
    let text = trim_zeros(fixed(v.abs(), 2));
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::with_capacity(text.len() + int.len() / 3 + 1);
    if v < 0.0 {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A headline as the stage tile shows it: `lag 1.5K`, `12.3 ins/s`, `—` when there is no value.
pub fn headline(label: &str, value: Option<f64>, unit: &str) -> String {
    let number = value.map_or_else(|| "—".to_string(), compact);
    [label, number.as_str(), unit].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ")
}

/// `v` with `decimals` digits after the point (0 to 6), rounded half away from zero.
///
/// Integer arithmetic instead of `format!("{:.N}")`: Rust's exact float formatting is several
/// kilobytes of code in the WASM panel, which formats many numbers and coordinates.
pub fn fixed(v: f64, decimals: u32) -> String {
    if let Some(s) = non_finite(v) {
        return s.to_string();
    }
    let decimals = decimals.min(6);
    let scale = 10u64.pow(decimals);
    let scaled = (v * scale as f64).round();
    if scaled.abs() >= 9.0e15 {
        // Beyond exact integers in an f64: the whole part is all that is meaningful.
        return (v as i64).to_string();
    }
    let n = scaled as i64;
    let magnitude = n.unsigned_abs();
    let mut out = String::with_capacity(24);
    if n < 0 {
        out.push('-');
    }
    out.push_str(&(magnitude / scale).to_string());
    if decimals > 0 {
        let frac = (magnitude % scale).to_string();
        out.push('.');
        out.extend(std::iter::repeat_n('0', decimals as usize - frac.len()));
        out.push_str(&frac);
    }
    out
}

fn non_finite(v: f64) -> Option<&'static str> {
    (!v.is_finite()).then(|| crate::value::non_finite_name(v))
}

/// Three significant figures for |v| < 1000; values too small to show become `<0.001`.
fn small(v: f64) -> String {
    let abs = v.abs();
    let text = if abs == 0.0 {
        "0".to_string()
    } else if abs >= 100.0 {
        fixed(v, 0)
    } else if abs >= 10.0 {
        trim_zeros(fixed(v, 1))
    } else if abs >= 1.0 {
        trim_zeros(fixed(v, 2))
    } else if abs >= 0.001 {
        trim_zeros(fixed(v, 3))
    } else {
        return if v > 0.0 { "<0.001".into() } else { ">-0.001".into() };
    };
    if text == "-0" {
        "0".into()
    } else {
        text
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_matches_the_tiles() {
        assert_eq!(compact(1532.0), "1.5K");
        assert_eq!(compact(1000.0), "1K");
        assert_eq!(compact(15_320.0), "15K");
        assert_eq!(compact(2_500_000.0), "2.5M");
        assert_eq!(compact(40.0), "40");
        assert_eq!(compact(12.34), "12.3");
        assert_eq!(compact(0.4217), "0.422");
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(-1532.0), "-1.5K");
        assert_eq!(compact(0.0001), "<0.001");
        assert_eq!(compact(f64::NAN), "NaN");
        assert_eq!(compact(f64::INFINITY), "+Inf");
    }

    #[test]
    fn grouped_for_sentences() {
        assert_eq!(grouped(1532.0), "1,532");
        assert_eq!(grouped(1000.0), "1,000");
        assert_eq!(grouped(1_234_567.891), "1,234,567.89");
        assert_eq!(grouped(999.0), "999");
        assert_eq!(grouped(0.05), "0.05");
        assert_eq!(grouped(-2500.5), "-2,500.5");
        assert_eq!(grouped(0.0), "0");
    }

    #[test]
    fn fixed_matches_format_for_ordinary_values() {
        // Exactly as format! away from ties; at a tie (format! rounds the exact binary value half
        // to even) at most one unit in the last place apart.
        for v in [0.0, 1.0, -1.25, 12.345, 0.05, 999.96, 1532.0, -0.04, 123456.789, 1e-9, 2.5, 0.125] {
            for d in 0..4u32 {
                let ours: f64 = fixed(v, d).parse().unwrap();
                let std: f64 = format!("{v:.*}", d as usize).parse().unwrap();
                assert!((ours - std).abs() <= 10f64.powi(-(d as i32)) * 1.000001, "{v} to {d} places: {ours} vs {std}");
            }
        }
        assert_eq!(fixed(1532.0, 0), "1532");
        assert_eq!(fixed(12.345, 1), "12.3");
        assert_eq!(fixed(-0.5, 2), "-0.50");
        assert_eq!(fixed(0.004, 2), "0.00");
        assert_eq!(fixed(1e20, 1), "9223372036854775807");
        assert_eq!(fixed(f64::NAN, 2), "NaN");
    }

    #[test]
    fn headlines_read_naturally() {
        assert_eq!(headline("lag", Some(1532.0), ""), "lag 1.5K");
        assert_eq!(headline("pending", Some(40.0), ""), "pending 40");
        assert_eq!(headline("", Some(12.3), "ins/s"), "12.3 ins/s");
        assert_eq!(headline("", Some(85.0), "SSE conns"), "85 SSE conns");
        assert_eq!(headline("lag", None, ""), "lag —");
    }
}

/// `HH:MM` of an epoch-ms instant in UTC (reasons are written server-side, without the viewer's zone).
pub fn utc_clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// `YYYY-MM-DD` of an epoch-ms instant in UTC.
pub fn utc_date(ms: i64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn utc_clock_and_date() {
        // 2026-11-27T12:03:45Z
        let t = 1_795_737_600_000 + (12 * 3600 + 3 * 60 + 45) * 1000;
        assert_eq!(utc_date(t), "2026-11-27");
        assert_eq!(utc_clock(t), "12:03");
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_clock(-60_000), "23:59");
        assert_eq!(utc_date(951_782_400_000), "2000-02-29");
    }
}
