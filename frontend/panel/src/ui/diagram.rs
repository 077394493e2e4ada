//! The flow: stages as focusable tiles over an SVG of edges, with a tooltip of the hovered stage's alerts.

use std::rc::Rc;

use crate::state::Shared;
use codexflow_core::AlertState;
use yew::prelude::*;

use super::style::{status_color, status_icon, status_var};
use crate::charts::sparkline_svg;
use crate::layout::{px, tooltip_position, Layout, Rect};
use crate::options::Theme;
use crate::view::{edge_rate_at, StageView};

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub answer: Shared,
    pub generation: u32,
    pub views: Rc<Vec<StageView>>,
    pub geometry: Rc<Layout>,
    pub width: f64,
    pub height: f64,
    pub theme: Theme,
    pub instance: u32,
    pub cursor: Option<usize>,
    pub show_sparklines: bool,
    pub show_edge_rates: bool,
    pub on_open: Callback<String>,
}

#[function_component(Diagram)]
pub fn diagram(p: &DiagramProps) -> Html {
    let hovered = use_state(|| None::<usize>);
    let geometry = &p.geometry;
    let draw_sparks = p.show_sparklines && !geometry.compact;

    // Sparklines are drawn once per answer, size and theme, not on every hover.
    let sparks = {
        let sizes: Vec<(u32, u32)> =
            geometry.nodes.iter().map(|r| ((r.w - 20.0).max(0.0) as u32, (r.h * 0.36).max(0.0) as u32)).collect();
        let answer = p.answer.clone();
        use_memo((p.generation, sizes, p.theme.clone(), draw_sparks), move |(_, sizes, theme, draw)| {
            if !*draw {
                return Vec::new();
            }
            answer
                .stages
                .iter()
                .zip(sizes)
                .map(|(s, (w, h))| AttrValue::from(sparkline_svg(&s.series, *w, *h, status_color(theme, s.status))))
                .collect::<Vec<_>>()
        })
    };
    let on_hover = {
        let hovered = hovered.clone();
        Callback::from(move |i: Option<usize>| hovered.set(i))
    };
    let stages = p.views.iter().zip(&geometry.nodes).enumerate().map(|(i, (v, r))| {
        let tile = Tile {
            index: i,
            view: v,
            rect: *r,
            compact: geometry.compact,
            instance: p.instance,
            hovered: *hovered == Some(i),
            spark: sparks.get(i).filter(|s| !s.is_empty()),
        };
        stage_tile(&tile, &p.on_open, &on_hover)
    });
    let tooltip = hovered.and_then(|i| Some((i, p.views.get(i)?, geometry.nodes.get(i)?)));
    html! {
        <div class="cf-diagram" style={format!("height:{}px;", px(p.height))}>
            { edge_layer(p) }
            <div class={classes!(geometry.compact.then_some("cf-compact"))}>{ for stages }</div>
            // Always one node here: an optional iterated into a list made Yew rebuild the stages beside it.
            { tooltip.map(|(i, v, r)| tooltip_view(&tip_id(p.instance, i), v, r, p.width, p.height)).unwrap_or_default() }
        </div>
    }
}

fn tip_id(instance: u32, i: usize) -> String {
    format!("cf-tip-{instance}-{i}")
}

/// The edges with their throughput, each label found by the edge's own index in the answer.
fn edge_layer(p: &DiagramProps) -> Html {
    let marker = format!("cf-arrow-{}", p.instance);
    let edges = p.geometry.edges.iter().map(|e| {
        let label = if p.show_edge_rates { edge_rate_at(&p.answer, e.index, p.cursor) } else { None };
        html! {
            <g key={e.index} data-edge={e.index.to_string()}>
                <path d={e.path.clone()} />
                if let Some(text) = label {
                    <text x={px(e.label_x)} y={px(e.label_y - 6.0)}>{ text }</text>
                }
            </g>
        }
    });
    html! {
        <svg class="cf-edges" width={px(p.width)} height={px(p.height)} aria-hidden="true">
            <defs>
                <marker id={marker.clone()} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L10,5 L0,10 z" fill={p.theme.text_weak.clone()} />
                </marker>
            </defs>
            // Edge paths and labels are styled by `.cf-edges g` and take the marker from here
            // (`marker-end` is inherited): fewer attributes for each of 200 edges.
            <g marker-end={format!("url(#{marker})")}>{ for edges }</g>
        </svg>
    }
}

/// What one stage tile is drawn from.
struct Tile<'a> {
    index: usize,
    view: &'a StageView,
    rect: Rect,
    compact: bool,
    instance: u32,
    hovered: bool,
    spark: Option<&'a AttrValue>,
}

/// One stage: icon, name, headline, status word, sparkline; opens its drill-down on click, Enter or Space.
fn stage_tile(t: &Tile, on_open: &Callback<String>, on_hover: &Callback<Option<usize>>) -> Html {
    let v = t.view;
    let open = {
        let (on_open, id) = (on_open.clone(), v.id.clone());
        Callback::from(move |_: MouseEvent| on_open.emit(id.clone()))
    };
    let key = {
        let (on_open, id) = (on_open.clone(), v.id.clone());
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                on_open.emit(id.clone());
            }
        })
    };
    let hover = |on: bool| {
        let (on_hover, i) = (on_hover.clone(), t.index);
        move || on_hover.emit(on.then_some(i))
    };
    let (enter, leave, focus, blur) = (hover(true), hover(false), hover(true), hover(false));
    // The tile in one line: what a screen reader hears before "Press Enter", and an image's caption.
    let line = format!(
        "{}: {}{}, {}{}{}{}{}{}",
        v.name,
        v.status.as_str(),
        if v.suppressed { " (silenced)" } else { "" },
        v.headline,
        if v.insight.is_some() { ", " } else { "" },
        v.insight.as_deref().unwrap_or_default(),
        v.reason.as_ref().map(|r| format!(", {r}")).unwrap_or_default(),
        v.ruler.as_ref().map(|r| format!(". Ruler: {r}")).unwrap_or_default(),
        v.flow.as_ref().map(|f| format!(". {}", f.1)).unwrap_or_default()
    );
    let r = &t.rect;
    let style = format!(
        "left:{}px;top:{}px;width:{}px;height:{}px;--cf-status:{};",
        px(r.x),
        px(r.y),
        px(r.w),
        px(r.h),
        status_var(v.status)
    );
    html! {
        <div key={v.id.clone()} class="cf-stage" role="button" tabindex="0" style={style}
            data-testid={format!("codex-flow-stage-{}", v.id)} data-status={v.status.as_str()} data-ruler={v.ruler.is_some().then_some("disagrees")}
            data-suppressed={v.suppressed.then_some("true")} data-flow={v.flow.as_ref().map(|f| if f.0 { "bottleneck" } else { "symptom" })}
            aria-label={format!("{line}. Press Enter for details.")} data-line={line} aria-describedby={t.hovered.then(|| tip_id(t.instance, t.index))}
            onclick={open} onkeydown={key} onmouseenter={Callback::from(move |_: MouseEvent| enter())} onmouseleave={Callback::from(move |_: MouseEvent| leave())}
            onfocus={Callback::from(move |_: FocusEvent| focus())} onblur={Callback::from(move |_: FocusEvent| blur())}>
            <div class="cf-stage-head">
                <span class="cf-icon" aria-hidden="true">{ status_icon(v.status) }</span><span>{ v.name.clone() }</span>
                if v.flow.as_ref().is_some_and(|f| f.0) {
                    <span class="cf-badge" data-testid="codex-flow-bottleneck">{ "bottleneck" }</span>
                }
                if let Some(note) = &v.ruler {
                    <span class="cf-flag" title={note.clone()} aria-hidden="true">{ "⚑" }</span>
                }
            </div>
            <div class="cf-headline">{ v.headline.clone() }</div>
            if let Some(line) = v.insight.as_ref().filter(|_| !t.compact) {
                <div class="cf-insight" data-testid={format!("codex-flow-insight-{}", v.id)}>{ line.clone() }</div>
            }
            if !t.compact {
                <div class="cf-status-word">{ v.status.as_str() }{ if v.suppressed { " · silenced" } else { "" } }</div>
            }
            if let Some(svg) = t.spark {
                <div class="cf-spark" aria-hidden="true">{ Html::from_html_unchecked(svg.clone()) }</div>
            }
        </div>
    }
}

/// The hovered (or focused) stage's alerts with their reasons, beside the stage.
fn tooltip_view(id: &str, v: &StageView, r: &Rect, width: f64, height: f64) -> Html {
    let (left, top) = tooltip_position(r, width, height);
    html! {
        <div class="cf-tooltip" id={id.to_string()} role="tooltip" style={format!("left:{}px;top:{}px;", px(left), px(top))}>
            <h4>{ format!("{} · {}", v.name, v.status.as_str()) }</h4>
            if let Some(reason) = &v.reason {
                <div>{ reason.clone() }</div>
            }
            if let Some((_, why)) = &v.flow {
                <div class="cf-why" data-testid="codex-flow-tooltip-why">{ why.clone() }</div>
            }
            if let Some(note) = &v.ruler {
                <div class="cf-ruler">{ format!("⚑ {note}") }</div>
            }
            if !v.insight_details.is_empty() {
                <div class="cf-queue">{ v.insight_details.clone() }</div>
            }
            { for v.alerts.iter().map(|a| html! {
                <div class="cf-alert">
                    <span class={classes!("cf-pill", format!("cf-pill-{}", a.state.as_str()))}>{ a.state.as_str() }</span>
                    <span>{ a.name.clone() }{ if a.labels.is_empty() { String::new() } else { format!(" {{{}}}", a.labels) } }</span>
                    if let Some(text) = a.error.clone().or_else(|| (a.state != AlertState::Inactive).then(|| a.reason.clone()).flatten()) {
                        <span></span><span class="cf-weak">{ text }</span>
                    }
                    if let Some(words) = &a.held_back {
                        <span></span><span class="cf-weak">{ words.clone() }</span>
                    }
                    if let Some(summary) = &a.summary {
                        <span></span><span data-testid="codex-flow-tooltip-summary">{ summary.clone() }</span>
                    }
                    if let Some(owner) = &a.owner {
                        <span></span><span class="cf-weak">{ owner.clone() }</span>
                    }
                    if a.runbook {
                        <span></span><span class="cf-weak">{ "Runbook in the details" }</span>
                    }
                </div>
            }) }
            <div class="cf-weak">{ "Click or press Enter for raw panels" }</div>
        </div>
    }
}
