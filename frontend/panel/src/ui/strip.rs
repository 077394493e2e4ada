//! A state strip per stage across the window, like Grafana's state timeline. The pointer on a strip
//! moves the whole panel to that moment (time travel); leaving the strips returns to now. The rows
//! scroll when they do not fit.

use crate::state::Shared;
use codexflow_core::reason::Clock as _;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::changes::markers;
use super::clock::Clock;
use super::style::status_color;
use crate::layout::{px, rows_in_view, STRIP_ROW_PX as ROW_PX};
use crate::options::Theme;
use crate::state::Changes;
use crate::view::{run_paths, tick_at_fraction};
use codexflow_core::compact::spans;

#[derive(Properties, PartialEq)]
pub struct StripsProps {
    pub answer: Shared,
    pub generation: u32,
    pub cursor: Option<usize>,
    pub height: f64,
    pub theme: Theme,
    pub clock: Clock,
    pub on_cursor: Callback<Option<usize>>,
    /// A click: time travel stays at the tick.
    pub on_pin: Callback<Option<usize>>,
    pub changes: Changes,
}

#[function_component(Strips)]
pub fn strips(p: &StripsProps) -> Html {
    let ticks = p.answer.ticks.len().max(1);
    // Runs of equal status, so a day of minutes is one path per status a stage had.
    let rows = {
        let answer = p.answer.clone();
        let theme = p.theme.clone();
        use_memo((p.generation, theme), move |(_, theme)| {
            answer
                .stages
                .iter()
                .map(|s| {
                    let paths: Vec<(String, String)> = run_paths(&spans(&s.status_timeline), 0, "1")
                        .into_iter()
                        .map(|(st, d)| (status_color(theme, st).to_string(), d))
                        .collect();
                    (s.id.clone(), s.name.clone(), paths)
                })
                .collect::<Vec<_>>()
        })
    };
    let on_move = pointed(&p.on_cursor, &p.answer);
    let on_click = pointed(&p.on_pin, &p.answer);
    let on_leave = {
        let on_cursor = p.on_cursor.clone();
        Callback::from(move |_: MouseEvent| on_cursor.emit(None))
    };
    // Only the rows in view are built (about 20 of 200 stages'): each row is a dozen elements and
    // attributes, every one a call out of the module. The rows above are the list's top padding.
    let top = use_state(|| 0usize);
    let on_scroll = {
        let top = top.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<web_sys::Element>() {
                top.set(el.scroll_top().max(0) as usize);
            }
        })
    };
    let (start, end) = rows_in_view(*top, p.height as usize, rows.len());
    let first = p.answer.ticks.first().copied();
    let last = p.answer.ticks.last().copied();
    html! {
        <div class="cf-strips" style={format!("height:{}px;", px(p.height))} onmouseleave={on_leave}>
            // The rows scroll when they do not fit (200 stages' rows are 2,800 px); Chromium lets the keyboard scroll them too.
            <div class="cf-strip-rows" onscroll={on_scroll}>
            <div style={format!("height:{}px;padding-top:{}px;", rows.len() * ROW_PX, start * ROW_PX)}>
            { for rows[start..end].iter().map(|(id, name, paths)| html! {
                <div class="cf-strip-row" key={id.clone()} data-testid={format!("codex-flow-strip-{id}")}>
                    <span class="cf-strip-name" title={name.clone()}>{ name.clone() }</span>
                    <svg class="cf-strip" viewBox={format!("0 0 {ticks} 1")} preserveAspectRatio="none" onmousemove={on_move.clone()} onclick={on_click.clone()}
                        role="img" aria-label={format!("{name} state over the time range")}>
                        { for paths.iter().map(|(color, d)| html! { <path d={d.clone()} fill={color.clone()} /> }) }
                        if let Some(c) = p.cursor {
                            <line class="cf-cursor" x1={format!("{}.5", c)} x2={format!("{}.5", c)} y1="0" y2="1" vector-effect="non-scaling-stroke" />
                        }
                    </svg>
                </div>
            }) }
            </div>
            </div>
            if let (Some(Ok(changes)), Some(first), Some(last)) = (&p.changes, first, last) {
                // Each tick's cell is 1/n of the strip; a tick's instant is the middle of its cell.
                <div class="cf-changes">{ markers(&changes.0, first, last, &p.clock, &|_, f| {
                    format!("{}%", 100.0 * (f * (ticks - 1) as f64 + 0.5) / ticks as f64)
                }) }</div>
            }
            <div class="cf-strip-axis">
                <span>{ first.map(|t| p.clock.time(t)).unwrap_or_default() }</span>
                { change_note(&p.changes) }
                <span>{ last.map(|t| p.clock.time(t)).unwrap_or_default() }</span>
            </div>
        </div>
    }
}

/// Emits the tick under the pointer on a strip to `to`.
fn pointed(to: &Callback<Option<usize>>, answer: &Shared) -> Callback<MouseEvent> {
    let (to, answer) = (to.clone(), answer.clone());
    Callback::from(move |e: MouseEvent| {
        // Yew delegates events to the app root, so find the strip from the event's target.
        let Some(target) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest(".cf-strip").ok().flatten())
        else {
            return;
        };
        let rect = target.get_bounding_client_rect();
        if rect.width() > 0.0 {
            to.emit(tick_at_fraction(&answer.ticks, (e.client_x() as f64 - rect.left()) / rect.width()));
        }
    })
}

/// Says when changes could not be read, or when older ones may be missing.
fn change_note(changes: &Changes) -> Html {
    let text = match changes {
        Some(Err(why)) => format!("Changes could not be read: {why}"),
        Some(Ok(c)) if c.1 => {
            format!("Changes: the newest {} a query shown", codexflow_core::changes::CHANGES_PER_QUERY)
        }
        _ => return Html::default(),
    };
    html! { <span data-testid="codex-flow-changes-note">{ text }</span> }
}
