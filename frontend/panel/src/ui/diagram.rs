//! The flow: stages as focusable tiles over an SVG of edges, with a tooltip of the hovered stage's alerts.

use std::rc::Rc;

use codexflow_core::api::EvaluateResponse;
use codexflow_core::AlertState;
use yew::prelude::*;

use super::style::{status_color, status_icon, status_var};
use crate::charts::sparkline_svg;
use crate::layout::{px, Layout};
use crate::options::Theme;
use crate::view::{edge_rate_at, StageView};

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub answer: Rc<EvaluateResponse>,
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
        let sizes: Vec<(u32, u32)> = geometry.nodes.iter().map(|r| ((r.w - 20.0).max(0.0) as u32, (r.h * 0.36).max(0.0) as u32)).collect();
        let answer = p.answer.clone();
        let theme = p.theme.clone();
        use_memo((p.generation, sizes, theme.clone(), draw_sparks), move |(_, sizes, theme, draw)| {
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

    let marker = format!("cf-arrow-{}", p.instance);
    let edges = geometry.edges.iter().enumerate().map(|(i, e)| {
        let label = if p.show_edge_rates { edge_rate_at(&p.answer, i, p.cursor) } else { None };
        html! {
            <g key={format!("e{i}")}>
                <path class="cf-edge" d={e.path.clone()} marker-end={format!("url(#{marker})")} />
                if let Some(text) = label {
                    <text class="cf-edge-label" x={px(e.label_x)} y={px(e.label_y - 6.0)} text-anchor="middle">{ text }</text>
                }
            </g>
        }
    });

    let stages = p.views.iter().zip(&geometry.nodes).enumerate().map(|(i, (v, r))| {
        let open = {
            let (on_open, id) = (p.on_open.clone(), v.id.clone());
            Callback::from(move |_: MouseEvent| on_open.emit(id.clone()))
        };
        let key = {
            let (on_open, id) = (p.on_open.clone(), v.id.clone());
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    on_open.emit(id.clone());
                }
            })
        };
        let enter = {
            let hovered = hovered.clone();
            Callback::from(move |_: MouseEvent| hovered.set(Some(i)))
        };
        let focus = {
            let hovered = hovered.clone();
            Callback::from(move |_: FocusEvent| hovered.set(Some(i)))
        };
        let leave = {
            let hovered = hovered.clone();
            Callback::from(move |_: MouseEvent| hovered.set(None))
        };
        let blur = {
            let hovered = hovered.clone();
            Callback::from(move |_: FocusEvent| hovered.set(None))
        };
        let tip_id = format!("cf-tip-{}-{}", p.instance, i);
        let label = format!(
            "{}: {}, {}{}. Press Enter for details.",
            v.name,
            v.status.as_str(),
            v.headline,
            v.reason.as_ref().map(|r| format!(", {r}")).unwrap_or_default()
        );
        let style = format!("left:{}px;top:{}px;width:{}px;height:{}px;--cf-status:{};", px(r.x), px(r.y), px(r.w), px(r.h), status_var(v.status));
        html! {
            <div key={v.id.clone()} class="cf-stage" role="button" tabindex="0" style={style}
                data-testid={format!("codex-flow-stage-{}", v.id)} data-status={v.status.as_str()}
                aria-label={label} aria-describedby={(*hovered == Some(i)).then(|| tip_id.clone())}
                onclick={open} onkeydown={key} onmouseenter={enter} onmouseleave={leave} onfocus={focus} onblur={blur}>
                <div class="cf-stage-head"><span class="cf-icon" aria-hidden="true">{ status_icon(v.status) }</span><span>{ v.name.clone() }</span></div>
                <div class="cf-headline">{ v.headline.clone() }</div>
                if !geometry.compact {
                    <div class="cf-status-word">{ v.status.as_str() }</div>
                }
                if let Some(svg) = sparks.get(i).filter(|s| !s.is_empty()) {
                    <div class="cf-spark" aria-hidden="true">{ Html::from_html_unchecked(svg.clone()) }</div>
                }
            </div>
        }
    });

    let tooltip = hovered.and_then(|i| Some((i, p.views.get(i)?, geometry.nodes.get(i)?))).map(|(i, v, r)| {
        // Beside the stage, on whichever side has room; never outside the panel.
        let right = r.x + r.w + 8.0;
        let left = if right + 240.0 <= p.width { right } else { (r.x - 248.0).max(4.0) };
        let top = r.y.min((p.height - 60.0).max(0.0));
        html! {
            <div class="cf-tooltip" id={format!("cf-tip-{}-{}", p.instance, i)} role="tooltip" style={format!("left:{}px;top:{}px;", px(left), px(top))}>
                <h4>{ format!("{} · {}", v.name, v.status.as_str()) }</h4>
                if let Some(reason) = &v.reason {
                    <div>{ reason.clone() }</div>
                }
                { for v.alerts.iter().map(|a| html! {
                    <div class="cf-alert">
                        <span class={classes!("cf-pill", format!("cf-pill-{}", a.state.as_str()))}>{ a.state.as_str() }</span>
                        <span>{ a.name.clone() }{ if a.labels.is_empty() { String::new() } else { format!(" {{{}}}", a.labels) } }</span>
                        if let Some(text) = a.error.clone().or_else(|| (a.state != AlertState::Inactive).then(|| a.reason.clone()).flatten()) {
                            <span></span><span class="cf-weak">{ text }</span>
                        }
                    </div>
                }) }
                <div class="cf-weak">{ "Click or press Enter for raw panels" }</div>
            </div>
        }
    });

    html! {
        <div class="cf-diagram" style={format!("height:{}px;", px(p.height))}>
            <svg class="cf-edges" width={px(p.width)} height={px(p.height)} aria-hidden="true">
                <defs>
                    <marker id={marker.clone()} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" fill={p.theme.text_weak.clone()} />
                    </marker>
                </defs>
                { for edges }
            </svg>
            <div class={classes!(geometry.compact.then_some("cf-compact"))}>{ for stages }</div>
            // Always one node here: an optional iterated into a list made Yew rebuild the stages beside it.
            { tooltip.unwrap_or_default() }
        </div>
    }
}
