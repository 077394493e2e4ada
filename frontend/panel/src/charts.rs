//! Sparklines and drill-down charts drawn with plotters into SVG strings.
//!
//! plotters draws the data (lines, areas, grid); labels are drawn by the
//! panel as HTML so no font backend is needed in the WebAssembly build.

use std::ops::Range;

use codexflow_core::api::Point;
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;

/// The plotting area `margin` pixels inside `root`, mapping `x` and `y` onto it as a chart without
/// axes does (plotters' `ChartBuilder` computes the same, at the cost of its label-area layout code
/// in the `.wasm`): the last pixel row and column are the ranges' ends, `y` grows upwards.
fn plot_area<'a>(
    root: &DrawingArea<SVGBackend<'a>, Shift>,
    margin: i32,
    x: Range<i64>,
    y: Range<f64>,
) -> DrawingArea<SVGBackend<'a>, Cartesian2d<RangedCoordi64, RangedCoordf64>> {
    let area = root.margin(margin, margin, margin, margin);
    let (px, py) = area.get_pixel_range();
    area.apply_coord_spec(Cartesian2d::new(x, y, (px.start..px.end - 1, py.end - 1..py.start)))
}

/// Draws every element of a series; a failure of one only loses that element.
fn draw<'a, E, S>(area: &DrawingArea<SVGBackend<'a>, Cartesian2d<RangedCoordi64, RangedCoordf64>>, series: S)
where
    S: IntoIterator<Item = E>,
    for<'b> &'b E: PointCollection<'b, (i64, f64)>,
    E: Drawable<SVGBackend<'a>>,
{
    for element in series {
        let _ = area.draw(&element);
    }
}

/// Parses `#rgb`, `#rrggbb`, `rgb(r, g, b)` and `rgba(r, g, b, a)`; grey when unreadable.
pub fn parse_color(s: &str) -> RGBColor {
    let s = s.trim();
    let grey = RGBColor(128, 128, 128);
    if let Some(hex) = s.strip_prefix('#') {
        let hex: String =
            if hex.len() == 3 { hex.chars().flat_map(|c| [c, c]).collect() } else { hex.chars().take(6).collect() };
        if hex.len() == 6 {
            if let Ok(v) = u32::from_str_radix(&hex, 16) {
                return RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8);
            }
        }
        return grey;
    }
    // Channels as whole numbers (a fraction is dropped, as drawing rounds it anyway); the alpha is not
    // read: reading it would keep a float parser in the panel for nothing.
    let inner = s.strip_prefix("rgba(").or_else(|| s.strip_prefix("rgb(")).and_then(|r| r.strip_suffix(')'));
    let channel = |p: &str| p.trim().split('.').next()?.parse::<u32>().ok().map(|v| v.min(255) as u8);
    match inner.map(|i| i.split(',').take(3).map(channel).collect::<Option<Vec<_>>>()) {
        Some(Some(c)) if c.len() == 3 => RGBColor(c[0], c[1], c[2]),
        _ => grey,
    }
}

/// Consecutive points with values, as separate runs so gaps stay gaps.
fn runs(points: &[Point]) -> Vec<Vec<(i64, f64)>> {
    let mut out: Vec<Vec<(i64, f64)>> = vec![Vec::new()];
    for p in points {
        match p.v.filter(|v| v.is_finite()) {
            Some(v) => out.last_mut().into_iter().for_each(|r| r.push((p.t, v))),
            None if out.last().is_some_and(|r| !r.is_empty()) => out.push(Vec::new()),
            None => {}
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// The value range to plot: finite min/max, widened when flat; `None` when nothing is finite.
pub fn value_range<'a>(series: impl IntoIterator<Item = &'a [Point]>) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in series {
        for v in s.iter().filter_map(|p| p.v).filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() {
        return None;
    }
    if (hi - lo).abs() < f64::EPSILON {
        let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
        return Some((lo - pad, hi + pad));
    }
    Some((lo, hi))
}

/// A filled sparkline; empty string when there is nothing to draw.
pub fn sparkline_svg(points: &[Point], width: u32, height: u32, color: &str) -> String {
    let (Some((lo, hi)), Some(first), Some(last)) = (value_range([points]), points.first(), points.last()) else {
        return String::new();
    };
    if width < 4 || height < 4 || first.t >= last.t {
        return String::new();
    }
    let color = parse_color(color);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let area = plot_area(&root, 1, first.t..last.t, lo..hi);
        for run in runs(points) {
            draw(&area, AreaSeries::new(run, lo, color.mix(0.18)).border_style(color.stroke_width(1)));
        }
        let _ = root.present();
    }
    svg
}

/// One line per series over a shared time axis, with horizontal grid lines at `ticks` values.
pub fn chart_svg(
    series: &[(&[Point], String)],
    from: i64,
    to: i64,
    width: u32,
    height: u32,
    grid: &str,
    ticks: &[f64],
) -> String {
    let Some((lo, hi)) = value_range(series.iter().map(|(p, _)| *p)) else {
        return String::new();
    };
    if width < 8 || height < 8 || from >= to {
        return String::new();
    }
    let (lo, hi) = (lo.min(ticks.first().copied().unwrap_or(lo)), hi.max(ticks.last().copied().unwrap_or(hi)));
    let grid = parse_color(grid);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let area = plot_area(&root, CHART_MARGIN as i32, from..to, lo..hi);
        for &y in ticks {
            draw(&area, LineSeries::new([(from, y), (to, y)], grid.mix(0.6).stroke_width(1)));
        }
        for (points, color) in series {
            let color = parse_color(color);
            for run in runs(points) {
                draw(&area, LineSeries::new(run, color.stroke_width(2)));
            }
        }
        let _ = root.present();
    }
    svg
}

/// Pixels plotters leaves on each side of a chart's plotting area (`chart_svg`'s margin).
pub const CHART_MARGIN: f64 = 2.0;

/// The instant under pixel `x` of a chart `width` pixels wide over `from..to`, clamped to the
/// plotting area; `None` when there is none.
pub fn instant_at(x: f64, width: f64, from: i64, to: i64) -> Option<i64> {
    let inner = width - 2.0 * CHART_MARGIN;
    if !x.is_finite() || inner <= 0.0 || from >= to {
        return None;
    }
    let fraction = ((x - CHART_MARGIN) / inner).clamp(0.0, 1.0);
    Some(from.saturating_add((fraction * (to - from) as f64) as i64).min(to))
}

/// The sample of `series` nearest to `t` (the earlier on a tie), as Grafana's crosshair snaps to the
/// nearest data point; `None` for an empty series.
pub fn nearest(series: &[Point], t: i64) -> Option<usize> {
    let after = series.partition_point(|p| p.t < t);
    let before = after.checked_sub(1);
    match (before, series.get(after)) {
        (Some(b), Some(a)) => Some(if t.saturating_sub(series[b].t) <= a.t.saturating_sub(t) { b } else { after }),
        (Some(b), None) => Some(b),
        (None, Some(_)) => Some(after),
        (None, None) => None,
    }
}

/// Where instant `t` is drawn, in pixels from the chart's left edge (the inverse of [`instant_at`]).
pub fn x_of(t: i64, width: f64, from: i64, to: i64) -> f64 {
    if from >= to {
        return CHART_MARGIN;
    }
    CHART_MARGIN + (t - from) as f64 / (to - from) as f64 * (width - 2.0 * CHART_MARGIN)
}

/// About `n` round values spanning `[lo, hi]` for axis labels.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() || hi <= lo || n == 0 {
        return Vec::new();
    }
    let raw = (hi - lo) / n as f64;
    if !raw.is_finite() {
        return Vec::new();
    }
    // The power of ten at or below `raw`, by steps (at most ~650 for any finite f64) rather than
    // `powf(log10)`: those two were 2.6 KB of libm in the panel's budgeted .wasm.
    let mut mag = 1.0f64;
    while mag > raw && mag > 0.0 {
        mag /= 10.0;
    }
    while mag * 10.0 <= raw {
        mag *= 10.0;
    }
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut v = start;
    // Until a tick covers the top, so the axis spans all the data.
    while out.last().is_none_or(|last: &f64| *last < hi) && out.len() < 50 {
        out.push((v / step).round() * step);
        v += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(vals: &[Option<f64>]) -> Vec<Point> {
        vals.iter().enumerate().map(|(i, v)| Point { t: i as i64 * 60_000, v: *v }).collect()
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("#73BF69"), RGBColor(0x73, 0xBF, 0x69));
        assert_eq!(parse_color("#fff"), RGBColor(255, 255, 255));
        assert_eq!(parse_color("rgba(242, 73, 92, 0.5)"), RGBColor(242, 73, 92));
        assert_eq!(parse_color("rgb(300, 7.6, 0)"), RGBColor(255, 7, 0));
        assert_eq!(parse_color("rgb(1, 2)"), RGBColor(128, 128, 128));
        assert_eq!(parse_color("rgb(-1, 2, 3)"), RGBColor(128, 128, 128));
        assert_eq!(parse_color("nonsense"), RGBColor(128, 128, 128));
    }

    #[test]
    fn sparklines_draw_runs_and_skip_gaps() {
        let svg = sparkline_svg(
            &pts(&[Some(1.0), Some(3.0), None, Some(2.0), Some(f64::NAN), Some(5.0)]),
            120,
            30,
            "#73BF69",
        );
        assert!(svg.starts_with("<svg") && svg.contains("polygon") || svg.contains("path"), "{svg}");
        assert_eq!(sparkline_svg(&pts(&[None, None]), 120, 30, "#fff"), "");
        assert_eq!(sparkline_svg(&[], 120, 30, "#fff"), "");
        assert!(!sparkline_svg(&pts(&[Some(4.0), Some(4.0)]), 120, 30, "#fff").is_empty(), "a flat line still draws");
    }

    #[test]
    fn charts_and_ticks() {
        let a = pts(&[Some(0.0), Some(10.0), Some(5.0)]);
        let ticks = nice_ticks(0.0, 10.0, 4);
        assert_eq!(ticks, [0.0, 5.0, 10.0]);
        let svg = chart_svg(&[(&a, "#f00".into())], 0, 120_000, 400, 200, "#333", &ticks);
        assert!(svg.contains("<svg"));
        assert_eq!(chart_svg(&[], 0, 1, 400, 200, "#333", &[]), "");
        assert_eq!(nice_ticks(0.0, 1532.0, 4), [0.0, 500.0, 1000.0, 1500.0, 2000.0]);
        assert!(nice_ticks(1.0, 1.0, 4).is_empty());
        assert_eq!(nice_ticks(0.0, 0.03, 3), [0.0, 0.01, 0.02, 0.03]);
        assert_eq!(nice_ticks(0.0, 8e12, 4), [0.0, 2e12, 4e12, 6e12, 8e12]);
        assert!(nice_ticks(-1e308, 1e308, 4).is_empty(), "a span beyond f64 has no ticks");
        assert!(!nice_ticks(0.0, 5e-320, 2).is_empty(), "subnormal spans end too");
    }

    #[test]
    fn the_crosshair_finds_the_instant_and_the_nearest_sample() {
        // 404 px wide: 400 px of plot for 10 minutes.
        let (from, to) = (600_000, 1_200_000);
        assert_eq!(instant_at(2.0, 404.0, from, to), Some(from));
        assert_eq!(instant_at(402.0, 404.0, from, to), Some(to));
        assert_eq!(instant_at(202.0, 404.0, from, to), Some(900_000));
        assert_eq!(instant_at(-50.0, 404.0, from, to), Some(from), "left of the plot: its first instant");
        assert_eq!(instant_at(9_000.0, 404.0, from, to), Some(to));
        assert_eq!(instant_at(f64::NAN, 404.0, from, to), None);
        assert_eq!(instant_at(10.0, 3.0, from, to), None, "no plotting area");
        assert_eq!(instant_at(10.0, 404.0, to, from), None);
        for t in [from, 900_000, to] {
            assert_eq!(instant_at(x_of(t, 404.0, from, to), 404.0, from, to), Some(t));
        }
        // Samples a minute apart: 1:29 past the first is nearest it, 1:31 the next; the ends clamp.
        let s = pts(&[Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(nearest(&s, 29_000), Some(0));
        assert_eq!(nearest(&s, 31_000), Some(1));
        assert_eq!(nearest(&s, 30_000), Some(0), "a tie goes to the earlier sample");
        assert_eq!(nearest(&s, -5_000), Some(0));
        assert_eq!(nearest(&s, 999_000), Some(2));
        assert_eq!(nearest(&[], 0), None);
    }
}
