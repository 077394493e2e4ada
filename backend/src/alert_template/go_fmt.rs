//! Numbers printed as Go prints them, so an expanded annotation reads exactly as Prometheus writes
//! it: `%v` of a float64 (`{{ $value }}`), `%.4g` (every `humanize*`), `%.Nf` and `%.Ne` (`printf`).
//!
//! Rust's formatter gives the correctly rounded decimal digits (shortest, or to a precision, ties to
//! even as Go's `strconv` does); the layout rules on top of them are Go's `strconv.FormatFloat`.

/// Decimal digits of a finite, non-zero magnitude and the exponent of the first one
/// (`1234.5` → `("12345", 3)`), trailing zeros dropped; `sig` digits, or the shortest that
/// round-trips when `None`.
fn digits(v: f64, sig: Option<usize>) -> (String, i32) {
    let text = match sig {
        Some(n) => format!("{:.*e}", n.saturating_sub(1), v.abs()),
        None => format!("{:e}", v.abs()),
    };
    let (mantissa, exp) = text.split_once('e').unwrap_or((text.as_str(), "0"));
    let mut ds: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while ds.len() > 1 && ds.ends_with('0') {
        ds.pop();
    }
    (ds, exp.parse().unwrap_or(0))
}

/// Not-a-number and the infinities as Go prints them in `%v`, `%g`, `%e` and `%f`.
fn special(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("NaN".into())
    } else if v.is_infinite() {
        Some(if v > 0.0 { "+Inf" } else { "-Inf" }.into())
    } else {
        None
    }
}

fn sign(v: f64) -> &'static str {
    if v.is_sign_negative() {
        "-"
    } else {
        ""
    }
}

/// `d.ddde±XX`: the exponent signed and at least two digits, as Go writes it.
fn layout_e(neg: &str, ds: &str, exp: i32, decimals: usize) -> String {
    let mut mantissa = ds.to_string();
    while mantissa.len() < decimals + 1 {
        mantissa.push('0');
    }
    let (first, rest) = mantissa.split_at(1);
    let dot = if decimals > 0 { format!(".{}", &rest[..decimals.min(rest.len())]) } else { String::new() };
    let exp_sign = if exp < 0 { '-' } else { '+' };
    format!("{neg}{first}{dot}e{exp_sign}{:02}", exp.unsigned_abs())
}

/// `ddd.ddd` from digits whose first has exponent `exp`, with `decimals` after the point.
fn layout_f(neg: &str, ds: &str, exp: i32, decimals: usize) -> String {
    let point = exp + 1; // digits before the decimal point
    let digit = |i: i32| -> char {
        if i >= 0 {
            ds.as_bytes().get(i as usize).map_or('0', |&b| b as char)
        } else {
            '0'
        }
    };
    let mut out = String::from(neg);
    if point <= 0 {
        out.push('0');
    } else {
        (0..point).for_each(|i| out.push(digit(i)));
    }
    if decimals > 0 {
        out.push('.');
        (0..decimals as i32).for_each(|i| out.push(digit(point + i)));
    }
    out
}

/// Go's `%g` layout: `%e` when the exponent is below -4 or at least `eprec`, else `%f` with no
/// trailing zeros.
fn layout_g(v: f64, ds: &str, exp: i32, eprec: i32) -> String {
    let nd = ds.len() as i32;
    if exp < -4 || exp >= eprec {
        return layout_e(sign(v), ds, exp, (nd - 1).max(0) as usize);
    }
    layout_f(sign(v), ds, exp, (nd - (exp + 1)).max(0) as usize)
}

/// `%v` of a float64: the shortest digits that read back as the same number, in exponent form
/// from 1e+06 up and below 1e-4 (`1.234567e+06`, `999999`, `0.5`, `1e-05`, `+Inf`).
pub fn v(x: f64) -> String {
    if let Some(s) = special(x) {
        return s;
    }
    if x == 0.0 {
        return format!("{}0", sign(x));
    }
    let (ds, exp) = digits(x, None);
    // `strconv`: the shortest `%g` decides on an exponent precision of 6.
    layout_g(x, &ds, exp, 6)
}

/// `%.Ng` (`prec` significant digits; `%.4g` is what every `humanize` function prints).
pub fn g(x: f64, prec: usize) -> String {
    if let Some(s) = special(x) {
        return s;
    }
    let prec = prec.max(1);
    if x == 0.0 {
        return format!("{}0", sign(x));
    }
    let (ds, exp) = digits(x, Some(prec));
    // With fewer significant digits than the precision and no digit after the point, Go decides on
    // the digits it has.
    let nd = ds.len() as i32;
    let eprec = if prec as i32 > nd && nd > exp { nd } else { prec as i32 };
    layout_g(x, &ds, exp, eprec)
}

/// `%.Nf`.
pub fn f(x: f64, decimals: usize) -> String {
    special(x).unwrap_or_else(|| format!("{x:.decimals$}"))
}

/// `%.Ne`.
pub fn e(x: f64, decimals: usize) -> String {
    if let Some(s) = special(x) {
        return s;
    }
    if x == 0.0 {
        return layout_e(sign(x), "0", 0, decimals);
    }
    let (ds, exp) = digits(x, Some(decimals + 1));
    layout_e(sign(x), &ds, exp, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs of Go's `fmt` for the same numbers (Prometheus' template tests and `strconv`'s).
    #[test]
    fn floats_print_as_go_prints_them() {
        for (x, want) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (1353755652.0, "1.353755652e+09"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.0, "-0"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (1500.0, "1500"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456.0, "123456"),
        ] {
            assert_eq!(v(x), want, "{x}");
        }
    }

    #[test]
    fn precisions_round_and_lay_out_as_go_does() {
        for (x, prec, want) in [
            (1.2345, 4, "1.234"), // the binary value is below …45
            (12.345, 4, "12.35"),
            (120.0, 4, "120"),
            (1.0, 4, "1"),
            (1234.5678, 4, "1235"),
            (12345.0, 4, "1.234e+04"), // ties to even
            (123456789.0, 4, "1.235e+08"),
            (9.223372036854776, 4, "9.223"),
            (0.00012345, 4, "0.0001234"),
            (0.000012345, 4, "1.234e-05"),
            (-22.222, 4, "-22.22"),
            (0.0, 4, "0"),
            (1000.0, 4, "1000"),
            (999.9999, 4, "1000"),
        ] {
            assert_eq!(g(x, prec), want, "%.{prec}g of {x}");
        }
        assert_eq!(
            (f(2.5, 0), f(1.005, 2), f(4.56789, 2), f(f64::NAN, 2)),
            ("2".into(), "1.00".into(), "4.57".into(), "NaN".into())
        );
        assert_eq!(
            (e(1234.5, 2), e(0.0, 1), e(-0.00012, 3)),
            ("1.23e+03".into(), "0.0e+00".into(), "-1.200e-04".into())
        );
    }
}
