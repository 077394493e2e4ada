//! Inside the panel, for one stage: its alerts with their timelines, full-size charts of its raw
//! series, and links that open its raw panels on the dashboard (`viewPanel`).

use std::rc::Rc;

use codexflow_core::api::{AlertTimeline, EvaluateResponse, StageHealth, StageMetricsResponse};
use codexflow_core::reason::Clock as _;
use codexflow_core::runbook;
use codexflow_core::AlertState;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::chart::{chart_card, pointed, stepped};
use super::clock::Clock;
use super::hooks::use_stage_metrics;
use super::style::{status_icon, status_var};
use super::Bridge;
use crate::layout::card_width;
use crate::options::{HostProps, Theme};
use crate::state::{Problem, Shared};
use crate::view::run_paths;
use codexflow_core::compact::spans;

#[derive(Properties, PartialEq)]
pub struct DrillProps {
    pub stage: StageHealth,
    pub answer: Shared,
    pub host: HostProps,
    pub bridge: Bridge,
    pub clock: Clock,
    pub on_close: Callback<String>,
    pub changes: crate::state::Changes,
}

#[function_component(DrillDown)]
pub fn drill_down(p: &DrillProps) -> Html {
    let node = use_node_ref();
    let card_w = card_width(p.host.width);
    let metrics = use_stage_metrics(&p.stage.id, &p.host, &p.bridge, (card_w as u32).clamp(2, 2000));
    // Focus the dialog so Escape works at once and screen readers announce it.
    {
        let node = node.clone();
        use_effect_with((), move |_| {
            if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    let close = {
        let (on_close, id) = (p.on_close.clone(), p.stage.id.clone());
        Callback::from(move |_: MouseEvent| on_close.emit(id.clone()))
    };
    let titles = match &metrics {
        Some(Ok(m)) => m.clone(),
        _ => Rc::new(StageMetricsResponse { stage: p.stage.id.clone(), step_ms: 0, panels: Vec::new() }),
    };
    let cross = use_state_eq(|| None::<(usize, i64)>);
    let (from, to) = (p.host.from, p.host.to);
    // Keys on a focused chart move its crosshair; Escape clears a crosshair, else closes.
    let keydown = {
        let (on_close, id, cross, m) = (p.on_close.clone(), p.stage.id.clone(), cross.clone(), titles.clone());
        Callback::from(move |e: KeyboardEvent| {
            let chart = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.get_attribute("data-chart"))
                .and_then(|i| i.parse().ok());
            let key = e.key();
            if let Some(next) = chart.and_then(|i| stepped(&key, i, *cross, &m)) {
                cross.set(next);
            } else if key == "Escape" {
                on_close.emit(id.clone());
            } else {
                return;
            }
            e.prevent_default();
            e.stop_propagation();
        })
    };
    let pointer = {
        let (cross, m) = (cross.clone(), titles.clone());
        Callback::from(move |e: MouseEvent| cross.set(pointed(&e, &m, card_w, from, to)))
    };
    let left = {
        let cross = cross.clone();
        Callback::from(move |_: MouseEvent| cross.set(None))
    };
    let charts = match &metrics {
        None => html! { <div class="cf-card" role="status">{ "Loading raw series…" }</div> },
        Some(Err(Problem::Unconfigured(m) | Problem::Failed(m))) => {
            html! { <div class="cf-card" role="alert">{ format!("Could not load raw series: {m}") }</div> }
        }
        Some(Ok(m)) => m
            .panels
            .iter()
            .enumerate()
            .map(|(i, panel)| {
                chart_card(
                    panel,
                    i,
                    cross.filter(|c| c.0 == i).map(|c| c.1),
                    from,
                    to,
                    card_w,
                    &p.host.theme.border,
                    &p.clock,
                    match &p.changes {
                        Some(Ok(c)) => &c.0,
                        _ => &[],
                    },
                )
            })
            .collect::<Html>(),
    };
    html! {
        <div class="cf-drill" role="dialog" aria-modal="true" aria-label={format!("{} details", p.stage.name)} tabindex="-1"
            ref={node} onkeydown={keydown} data-testid="codex-flow-drilldown" data-stage={p.stage.id.clone()}>
            <div class="cf-drill-head" style={format!("--cf-status:{}", status_var(p.stage.status))}>
                <span class="cf-icon" aria-hidden="true">{ status_icon(p.stage.status) }</span>
                <h3>{ format!("{} · {}", p.stage.name, p.stage.status.as_str()) }</h3>
                { super::share::copy_link(&p.bridge) }
                <button class="cf-button" onclick={close} aria-label="Close details (Escape)">{ "✕ Close" }</button>
            </div>
            <div class="cf-drill-body" onmousemove={pointer} onmouseleave={left}>
                <div class="cf-card">
                    if let Some((_, why)) = crate::view::flow_now(&p.stage.bottleneck_runs) {
                        <div class="cf-why" data-testid="codex-flow-drill-why">{ why }</div>
                    }
                    if let Some(q) = &p.stage.queue {
                        <h4><span>{ "Queue" }</span><span class="cf-weak">{ q.line.clone().unwrap_or_default() }</span></h4>
                        <div class="cf-queue" data-testid="codex-flow-queue">{ crate::view::lines(&q.details) }</div>
                    }
                    { alerts_card(&p.stage, &p.answer, &p.host.theme, &p.clock) }
                    { panel_links(&p.stage.id, &p.host, &p.bridge, &titles) }
                </div>
                { charts }
            </div>
        </div>
    }
}

/// The stage's reason and each of its alerts with its state over the window.
fn alerts_card(stage: &StageHealth, answer: &EvaluateResponse, theme: &Theme, clock: &Clock) -> Html {
    let alerts: Vec<&AlertTimeline> =
        answer.alerts.iter().filter(|a| a.stage.as_deref() == Some(stage.id.as_str())).collect();
    let reason = codexflow_core::reason::stage_reason_at(&answer.rules, &answer.alerts, Some(&stage.id), None, clock);
    let from_ruler = crate::view::from_ruler(answer);
    html! {
        <>
            <h4><span>{ "Alerts" }</span></h4>
            if let Some(reason) = reason {
                <div>{ reason }</div>
            }
            { for alerts.iter().map(|a| {
                let rule = answer.rules.get(a.rule);
                let text = rule.and_then(|rule| codexflow_core::reason::alert_contribution(rule, a, None, clock).1);
                let note = rule.and_then(|rule| codexflow_core::reason::ruler_note(rule, a, None, from_ruler, clock));
                html! {
                    <div class="cf-alert" style="display:block">
                        <span class={classes!("cf-pill", format!("cf-pill-{}", a.state.as_str()))}>{ a.state.as_str() }</span>
                        { format!(" {}", a.name) }
                        if let Some(at) = a.active_at {
                            <span class="cf-weak">{ format!(" since {}", clock.date_time(at)) }</span>
                        }
                        if let Some(text) = text {
                            <div class="cf-weak">{ text }</div>
                        }
                        if let Some(note) = note {
                            <div class="cf-ruler" data-testid="codex-flow-ruler-note">{ format!("⚑ {note}") }</div>
                        }
                        if let Some(words) = &a.held_back {
                            <div class="cf-weak" data-testid="codex-flow-silence">{ words.clone() }</div>
                        }
                        // As Prometheus, an alert says something of itself only while it is active.
                        if let (true, Some(summary)) = (a.state != AlertState::Inactive, runbook::summary(a)) {
                            <div data-testid="codex-flow-summary">{ summary }</div>
                        }
                        if let (true, Some(description)) = (a.state != AlertState::Inactive, runbook::description(a)) {
                            <div class="cf-weak" style="white-space:pre-line">{ description }</div>
                        }
                        if let Some(owner) = runbook::owner(a) {
                            <div class="cf-weak" data-testid="codex-flow-owner">{ owner }</div>
                        }
                        if let Some(url) = &a.runbook {
                            <a class="cf-button cf-runbook" href={url.clone()} target="_blank" rel="noopener noreferrer"
                                data-testid="codex-flow-runbook">{ runbook::RUNBOOK_BUTTON }</a>
                        }
                        { alert_timeline(a, theme) }
                    </div>
                }
            }) }
        </>
    }
}

/// The alert's state over the window; below it, where the ruler's view is known, the ruler's.
fn alert_timeline(a: &AlertTimeline, theme: &Theme) -> Html {
    let points = a.points();
    let n = points.len().max(1);
    let ours: Vec<AlertState> = points.iter().map(|p| p.state).collect();
    let ruler: Option<Vec<AlertState>> = points.iter().map(|p| p.ruler).collect();
    let rows = if ruler.is_some() { 2 } else { 1 };
    let row = |y: u32, states: &[AlertState]| {
        run_paths(&spans(states), y, "0.9")
            .into_iter()
            .filter(|r| r.0 != AlertState::Inactive)
            .map(|(state, d)| {
                let fill = if state == AlertState::Firing { theme.critical.clone() } else { theme.warning.clone() };
                html! { <path d={d} fill={fill} opacity={if y == 0 { "1" } else { "0.6" }} /> }
            })
            .collect::<Html>()
    };
    let label = if rows == 2 {
        format!("{} over the time range, and below as the ruler saw it", a.name)
    } else {
        format!("{} over the time range", a.name)
    };
    html! {
        <svg class="cf-timeline" viewBox={format!("0 0 {n} {rows}")} preserveAspectRatio="none" role="img" aria-label={label}
            style={format!("height:{}px", 8 * rows)}>
            { row(0, &ours) }
            { ruler.map(|r| row(1, &r)).unwrap_or_default() }
        </svg>
    }
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

/// Links to the stage's raw panels on this dashboard (found by what the panels query, or chosen in
/// the panel option "Raw panels per stage"), named by their titles here. A stage no panel shows gets
/// Explore with its own queries when the host offers it, so a click always leads to evidence.
fn panel_links(stage: &str, host: &HostProps, bridge: &Bridge, titles: &StageMetricsResponse) -> Html {
    let mapping = host.options.stage_panels();
    let ids: Vec<u32> = match &mapping {
        Ok(map) => map.get(stage).map(<[u32]>::to_vec).unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let title = |id: u32| {
        bridge
            .evidence("title", &id.to_string())
            .or_else(|| titles.panels.iter().find(|x| x.panel_id == Some(id)).map(|x| x.title.clone()))
            .unwrap_or_else(|| format!("Panel {id}"))
    };
    let links = ids.iter().map(|&id| {
        let bridge = bridge.clone();
        let onclick = Callback::from(move |e: MouseEvent| {
            if bridge.open_panel(id) {
                e.prevent_default();
            }
        });
        html! {
            <li><a class="cf-link" data-testid={format!("codex-flow-open-panel-{id}")} href={view_panel_href(id)} onclick={onclick}>
                { format!("Open “{}” ↗", title(id)) }
            </a></li>
        }
    });
    let explore = if ids.is_empty() { bridge.evidence("explore", stage) } else { None };
    html! {
        <>
            <h4 style="margin-top:8px"><span>{ "Raw panels" }</span></h4>
            if let Err(e) = &mapping {
                <div role="alert">{ e.clone() }</div>
            } else if ids.is_empty() {
                <div class="cf-weak">{ bridge.evidence("none", stage).unwrap_or_default() }</div>
            }
            <ul style="margin:0;padding-left:16px">{ for links }</ul>
            if let Some(url) = explore {
                <a class="cf-link" data-testid={format!("codex-flow-explore-{stage}")} href={url}>{ "Explore this stage's queries ↗" }</a>
            }
        </>
    }
}
