//! Inside the panel, for one stage: its alerts with their timelines, full-size charts of its raw
//! series, and links that open its raw panels on the dashboard (`viewPanel`).

use std::rc::Rc;

use codexflow_core::api::{AlertTimeline, EvaluateResponse, StageHealth, StageMetricsRequest, StageMetricsResponse};
use codexflow_core::format::compact;
use codexflow_core::AlertState;
use web_sys::AbortController;
use yew::prelude::*;

use super::clock::Clock;
use super::fetch::{self, FetchError};
use super::style::{status_icon, status_var};
use super::Bridge;
use crate::charts::{chart_svg, nice_ticks, value_range};
use crate::layout::px;
use crate::options::HostProps;
use crate::view::runs;

/// Line colours for the series of one chart (Grafana's classic palette).
const PALETTE: [&str; 6] = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1"];

#[derive(Properties, PartialEq)]
pub struct DrillProps {
    pub stage: StageHealth,
    pub answer: Rc<EvaluateResponse>,
    pub host: HostProps,
    pub bridge: Bridge,
    pub clock: Clock,
    pub on_close: Callback<String>,
}

/// The current dashboard URL with `viewPanel=<id>`: what Grafana's "View" does.
fn view_panel_href(id: u32) -> String {
    let fallback = format!("?viewPanel={id}");
    let Some(href) = web_sys::window().and_then(|w| w.location().href().ok()) else { return fallback };
    match web_sys::Url::new(&href) {
        Ok(url) => {
            url.search_params().set("viewPanel", &id.to_string());
            url.href()
        }
        Err(_) => fallback,
    }
}

fn alert_timeline(a: &AlertTimeline, theme: &crate::options::Theme) -> Html {
    let n = a.timeline.len().max(1);
    let states: Vec<AlertState> = a.timeline.iter().map(|p| p.state).collect();
    html! {
        <svg class="cf-timeline" viewBox={format!("0 0 {n} 1")} preserveAspectRatio="none" role="img"
            aria-label={format!("{} over the time range", a.name)}>
            { for runs(&states).into_iter().filter(|r| r.2 != AlertState::Inactive).map(|(start, len, state)| {
                let fill = if state == AlertState::Firing { theme.critical.clone() } else { theme.warning.clone() };
                html! { <rect x={start.to_string()} y="0" width={len.to_string()} height="1" fill={fill} /> }
            }) }
        </svg>
    }
}

#[function_component(DrillDown)]
pub fn drill_down(p: &DrillProps) -> Html {
    let metrics = use_state(|| None::<Result<StageMetricsResponse, FetchError>>);
    let node = use_node_ref();
    let h = &p.host;

    // Charts sized to the panel: as many 320px+ columns as fit.
    let columns = (((h.width - 20.0) / 332.0).floor() as usize).max(1);
    let card_w = ((h.width - 20.0 - 12.0 * (columns as f64 - 1.0)) / columns as f64 - 18.0).max(120.0);
    let max_points = (card_w as u32).clamp(2, 2000);

    {
        let metrics = metrics.clone();
        let deps = (p.stage.id.clone(), h.from, h.to, h.refresh, h.resource_url.clone(), max_points);
        use_effect_with(deps, move |(stage, from, to, _, url, max_points)| {
            let controller = AbortController::new().ok();
            let signal = controller.as_ref().map(AbortController::signal);
            let request = StageMetricsRequest { stage: stage.clone(), from: *from, to: *to, max_points: Some(*max_points) };
            let url = format!("{url}/v1/stage-metrics");
            wasm_bindgen_futures::spawn_local(async move {
                match fetch::post::<_, StageMetricsResponse>(&url, &request, signal.as_ref(), || ()).await {
                    Err(FetchError::Aborted) => {}
                    result => metrics.set(Some(result)),
                }
            });
            move || {
                if let Some(c) = controller {
                    c.abort();
                }
            }
        });
    }
    // Focus the dialog so Escape works at once and screen readers announce it.
    {
        let node = node.clone();
        use_effect_with((), move |_| {
            if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }

    let close_click = {
        let (on_close, id) = (p.on_close.clone(), p.stage.id.clone());
        Callback::from(move |_: MouseEvent| on_close.emit(id.clone()))
    };
    let keydown = {
        let (on_close, id) = (p.on_close.clone(), p.stage.id.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                e.stop_propagation();
                on_close.emit(id.clone());
            }
        })
    };

    let stage_panels = h.options.stage_panels();
    let panel_ids: Vec<u32> = match &stage_panels {
        Ok(map) => map.get(&p.stage.id).map(<[u32]>::to_vec).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let titles = |id: u32| -> String {
        match &*metrics {
            Some(Ok(m)) => m.panels.iter().find(|x| x.panel_id == Some(id)).map(|x| x.title.clone()),
            _ => None,
        }
        .unwrap_or_else(|| format!("Panel {id}"))
    };
    let links = panel_ids.iter().map(|&id| {
        let bridge = p.bridge.clone();
        let onclick = Callback::from(move |e: MouseEvent| {
            if bridge.open_panel(id) {
                e.prevent_default();
            }
        });
        html! {
            <li><a class="cf-link" data-testid={format!("codex-flow-open-panel-{id}")} href={view_panel_href(id)} onclick={onclick}>
                { format!("Open “{}” ↗", titles(id)) }
            </a></li>
        }
    });

    let alerts: Vec<&AlertTimeline> = p.answer.alerts.iter().filter(|a| a.stage == p.stage.id).collect();
    let charts = match &*metrics {
        None => html! { <div class="cf-card" role="status">{ "Loading raw series…" }</div> },
        Some(Err(FetchError::Unconfigured(m) | FetchError::Failed(m))) => html! { <div class="cf-card" role="alert">{ format!("Could not load raw series: {m}") }</div> },
        Some(Err(FetchError::Aborted)) => html! {},
        Some(Ok(m)) => m.panels.iter().map(|panel| {
            let series: Vec<(&[codexflow_core::api::Point], String)> =
                panel.series.iter().enumerate().map(|(i, s)| (s.points.as_slice(), PALETTE[i % PALETTE.len()].to_string())).collect();
            let chart_h = 140.0;
            let range = value_range(series.iter().map(|(pts, _)| *pts));
            let ticks = range.map(|(lo, hi)| nice_ticks(lo, hi, 4)).unwrap_or_default();
            let (lo, hi) = match (ticks.first(), ticks.last(), range) {
                (Some(a), Some(b), Some((l, h2))) => (a.min(l), b.max(h2)),
                _ => (0.0, 1.0),
            };
            let svg = chart_svg(&series, h.from, h.to, (card_w - 44.0).max(40.0) as u32, chart_h as u32, &p.host.theme.border, &ticks);
            html! {
                <div class="cf-card">
                    <h4><span>{ panel.title.clone() }</span><span class="cf-weak">{ panel.unit.clone() }</span></h4>
                    if svg.is_empty() {
                        <div class="cf-weak" style="height:140px;display:flex;align-items:center;justify-content:center">{ "No data in this time range" }</div>
                    } else {
                        <div class="cf-chart" style={format!("height:{chart_h}px;padding-left:44px;")}>
                            { for ticks.iter().map(|t| {
                                let y = if hi > lo { (1.0 - (t - lo) / (hi - lo)) * (chart_h - 4.0) + 2.0 } else { chart_h / 2.0 };
                                html! { <span class="cf-y" style={format!("top:{}px", px(y))}>{ compact(*t) }</span> }
                            }) }
                            { Html::from_html_unchecked(AttrValue::from(svg)) }
                        </div>
                        <div class="cf-x"><span>{ p.clock.time(h.from) }</span><span>{ p.clock.time(h.to) }</span></div>
                    }
                    <div class="cf-legend">
                        { for panel.series.iter().enumerate().map(|(i, s)| html! {
                            <span><span class="cf-swatch" style={format!("background:{}", PALETTE[i % PALETTE.len()])}></span>{ if s.legend.is_empty() { s.ref_id.clone() } else { s.legend.clone() } }</span>
                        }) }
                    </div>
                    { for panel.errors.iter().map(|e| html! { <div class="cf-weak" role="alert">{ e.clone() }</div> }) }
                </div>
            }
        }).collect::<Html>(),
    };

    html! {
        <div class="cf-drill" role="dialog" aria-modal="true" aria-label={format!("{} details", p.stage.name)} tabindex="-1"
            ref={node} onkeydown={keydown} data-testid="codex-flow-drilldown" data-stage={p.stage.id.clone()}>
            <div class="cf-drill-head" style={format!("--cf-status:{}", status_var(p.stage.status))}>
                <span class="cf-icon" aria-hidden="true">{ status_icon(p.stage.status) }</span>
                <h3>{ format!("{} · {}", p.stage.name, p.stage.status.as_str()) }</h3>
                <button class="cf-button" onclick={close_click} aria-label="Close details (Escape)">{ "✕ Close" }</button>
            </div>
            <div class="cf-drill-body">
                <div class="cf-card">
                    <h4><span>{ "Alerts" }</span></h4>
                    if let Some(reason) = &p.stage.reason {
                        <div>{ reason.clone() }</div>
                    }
                    { for alerts.iter().map(|a| html! {
                        <div class="cf-alert" style="display:block">
                            <span class={classes!("cf-pill", format!("cf-pill-{}", a.state.as_str()))}>{ a.state.as_str() }</span>
                            { format!(" {}", a.name) }
                            if let Some(at) = a.active_at {
                                <span class="cf-weak">{ format!(" since {}", p.clock.date_time(at)) }</span>
                            }
                            if let Some(text) = a.error.clone().or_else(|| a.reason.clone()) {
                                <div class="cf-weak">{ text }</div>
                            }
                            { alert_timeline(a, &p.host.theme) }
                        </div>
                    }) }
                    <h4 style="margin-top:8px"><span>{ "Raw panels" }</span></h4>
                    if let Err(e) = &stage_panels {
                        <div role="alert">{ e.clone() }</div>
                    } else if panel_ids.is_empty() {
                        <div class="cf-weak">{ "No raw panels mapped to this stage (panel option “Raw panels per stage”)." }</div>
                    }
                    <ul style="margin:0;padding-left:16px">{ for links }</ul>
                </div>
                { charts }
            </div>
        </div>
    }
}
