//! One raw panel's series as a full-size chart in the drill-down, with a crosshair as Grafana's time
//! series panels have: the pointer (or the arrow keys, once the chart has focus) picks the nearest
//! sample, a line marks it and a box lists every series' value there with the panel's unit.
//!
//! The drill-down keeps the crosshair (chart index and instant) and has one pointer and one key
//! handler for all its charts, found by `data-chart`: a component per chart, each with its own state
//! and handlers, cost 0.6 KB more gzip (3.5 KB against 2.9 KB for the whole crosshair).

use codexflow_core::api::{NamedSeries, PanelSeries, Point, StageMetricsResponse};
use codexflow_core::format::compact;
use codexflow_core::reason::Clock as _;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::changes::markers;
use super::clock::Clock;
use crate::charts::{chart_svg, instant_at, nearest, nice_ticks, value_range, x_of};
use crate::layout::px;
use crate::view::value_at;
use codexflow_core::changes::Change;

/// Line colours for the series of one chart (Grafana's classic palette).
const PALETTE: [&str; 6] = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1"];
const CHART_H: f64 = 140.0;
/// The value axis' labels, left of the plot.
const AXIS_W: f64 = 44.0;

/// Which chart the crosshair is on, and the instant: a sample time of that chart's reference series.
pub type Crosshair = Option<(usize, i64)>;

fn legend(s: &NamedSeries) -> String {
    if s.legend.is_empty() {
        s.ref_id.clone()
    } else {
        s.legend.clone()
    }
}

/// The series the crosshair snaps to: the one with the most samples.
fn reference(panel: &PanelSeries) -> &[Point] {
    panel.series.iter().map(|s| s.points.as_slice()).max_by_key(|p| p.len()).unwrap_or_default()
}

fn plot_width(card: f64) -> f64 {
    (card - AXIS_W).max(40.0)
}

/// The chart under the pointer and its nearest sample; `None` off every chart.
pub fn pointed(e: &MouseEvent, m: &StageMetricsResponse, card: f64, from: i64, to: i64) -> Crosshair {
    let chart = e.target()?.dyn_into::<web_sys::Element>().ok()?.closest("[data-chart]").ok()??;
    let i: usize = chart.get_attribute("data-chart")?.parse().ok()?;
    let series = reference(m.panels.get(i)?);
    let x = e.client_x() as f64 - chart.get_bounding_client_rect().left() - AXIS_W;
    let t = instant_at(x, plot_width(card), from, to)?;
    Some((i, series[nearest(series, t)?].t))
}

/// The crosshair after `key` on chart `i`: the arrows walk its samples, Home and End jump, Escape
/// clears. `None` for a key the chart does not take (Escape without a crosshair closes the drill-down).
pub fn stepped(key: &str, i: usize, at: Crosshair, m: &StageMetricsResponse) -> Option<Crosshair> {
    let series = reference(m.panels.get(i)?);
    let last = series.len().checked_sub(1)?;
    let here = at.filter(|(c, _)| *c == i).and_then(|(_, t)| nearest(series, t));
    let next = match key {
        "ArrowLeft" => here.unwrap_or(last).saturating_sub(1),
        "ArrowRight" => here.map_or(last, |h| (h + 1).min(last)),
        "Home" => 0,
        "End" => last,
        "Escape" if here.is_some() => return Some(None),
        _ => return None,
    };
    Some(Some((i, series[next].t)))
}

/// Chart `index` of the drill-down, `card` pixels wide, with the crosshair at `at` when it is on it
/// and a marker at each change.
#[allow(clippy::too_many_arguments)]
pub fn chart_card(
    panel: &PanelSeries,
    index: usize,
    at: Option<i64>,
    from: i64,
    to: i64,
    card: f64,
    grid: &str,
    clock: &Clock,
    changes: &[Change],
) -> Html {
    let plot_w = plot_width(card);
    let series: Vec<(&[Point], String)> = panel
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (s.points.as_slice(), PALETTE[i % PALETTE.len()].to_string()))
        .collect();
    let range = value_range(series.iter().map(|(pts, _)| *pts));
    let ticks = range.map(|(lo, hi)| nice_ticks(lo, hi, 4)).unwrap_or_default();
    let (lo, hi) = match (ticks.first(), ticks.last(), range) {
        (Some(a), Some(b), Some((l, top))) => (a.min(l), b.max(top)),
        _ => (0.0, 1.0),
    };
    let svg = chart_svg(&series, from, to, plot_w as u32, CHART_H as u32, grid, &ticks);
    let y_of = |t: f64| if hi > lo { (1.0 - (t - lo) / (hi - lo)) * (CHART_H - 4.0) + 2.0 } else { CHART_H / 2.0 };
    let unit = &panel.unit;
    let crosshair = at.map(|t| {
        let x = AXIS_W + x_of(t, plot_w, from, to);
        // The box sits right of the line, or left of it in the chart's right half.
        let side = if x > AXIS_W + plot_w / 2.0 { format!("right:{}px", px(AXIS_W + plot_w - x + 8.0)) } else { format!("left:{}px", px(x + 8.0)) };
        html! {
            <>
                <div class="cf-crosshair" style={format!("left:{}px", px(x))} aria-hidden="true"></div>
                <div class="cf-hover" style={side} role="status" data-testid="codex-flow-crosshair">
                    <div class="cf-weak">{ clock.instant(t) }</div>
                    { for panel.series.iter().enumerate().map(|(i, s)| html! {
                        <div>
                            <span class="cf-swatch" style={format!("background:{}", PALETTE[i % PALETTE.len()])}></span>
                            { format!("{}: {}", legend(s), value_at(&s.points, t).map(|v| format!("{} {unit}", compact(v)).trim_end().to_string()).unwrap_or_else(|| "no value".into())) }
                        </div>
                    }) }
                </div>
            </>
        }
    });
    html! {
        <div class="cf-card">
            <h4><span>{ panel.title.clone() }</span><span class="cf-weak">{ panel.unit.clone() }</span></h4>
            if svg.is_empty() {
                <div class="cf-weak" style="height:140px;display:flex;align-items:center;justify-content:center">{ "No data in this time range" }</div>
            } else {
                <div class="cf-chart" style={format!("height:{}px;padding-left:{}px;", px(CHART_H), px(AXIS_W))} tabindex="0"
                    data-chart={index.to_string()} role="group" aria-label={format!("{}: point or use the arrow keys to read values", panel.title)}>
                    { for ticks.iter().map(|t| html! { <span class="cf-y" style={format!("top:{}px", px(y_of(*t)))}>{ compact(*t) }</span> }) }
                    { Html::from_html_unchecked(AttrValue::from(svg)) }
                    { crosshair.unwrap_or_default() }
                    { markers(changes, from, to, clock, &|t, _| format!("{}px", px(AXIS_W + x_of(t, plot_w, from, to)))) }
                </div>
                <div class="cf-x"><span>{ clock.time(from) }</span><span>{ clock.time(to) }</span></div>
            }
            <div class="cf-legend">
                { for panel.series.iter().enumerate().map(|(i, s)| html! {
                    <span><span class="cf-swatch" style={format!("background:{}", PALETTE[i % PALETTE.len()])}></span>{ legend(s) }</span>
                }) }
            </div>
            { for panel.errors.iter().map(|e| html! { <div class="cf-weak" role="alert">{ e.clone() }</div> }) }
        </div>
    }
}
