//! The panel's root: its state from `use_evaluation`, and which view that state calls for.

use std::rc::Rc;

use codexflow_core::compact::value_spacing;
use codexflow_core::duration::humanize_duration;
use codexflow_core::reason::Clock as _;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::clock::Clock;
use super::hooks::{use_evaluation, State};
use super::{diagram, drilldown, messages, others, share, strip, style, RootProps};
use crate::layout::{layout, px, split_panel};
use crate::state::{Action, Answer, Changes, Phase, Problem, Shared};
use crate::view::{edge_inputs, moment, stages_at};

#[function_component(Root)]
pub fn root(props: &RootProps) -> Html {
    let host = &props.host;
    let state = use_evaluation(host, &props.bridge, props.instance);
    let root_ref = use_node_ref();
    let clock = use_memo(host.time_zone.clone(), |zone| Clock::new(zone));
    let s = &state.0;
    let phase = s.phase();
    share::use_moment_in_url(&props.bridge, host.panel_id, s.moment(), s.answer.is_some());

    let body = match (phase, &s.answer, &s.problem) {
        (Phase::Unconfigured, _, Some(Problem::Unconfigured(m))) => messages::unconfigured(m),
        (Phase::Error, _, Some(Problem::Failed(m))) => {
            let dispatch = state.dispatcher();
            messages::failed(m, Callback::from(move |_| dispatch.dispatch(Action::Retry)))
        }
        (_, Some(a), _) if a.data.stages.is_empty() => messages::no_stages(),
        (_, Some(a), problem) => {
            let stale = match problem {
                Some(Problem::Failed(m)) => Some(m.as_str()),
                _ => None,
            };
            let view = ReadyView {
                answer: a,
                cursor: s.shown(),
                pinned: s.pinned.is_some(),
                hovering: s.cursor.is_some(),
                drill: s.drill.as_deref(),
                stale,
                loading: s.loading,
                clock: &clock,
                changes: &s.changes,
            };
            ready(&view, props, &state.dispatcher(), &root_ref)
        }
        _ => messages::loading(),
    };
    let frame = format!(
        "{}width:{}px;height:{}px;background:transparent;",
        host.theme.css_vars(),
        px(host.width.max(0.0)),
        px(host.height.max(0.0))
    );
    html! {
        <div ref={root_ref} class="cf-root" style={frame} data-testid="codex-flow-panel" data-state={phase.as_str()}
            data-settled={phase.is_settled().then_some("true")}>
            <style>{ style::CSS }</style>
            { body }
        </div>
    }
}

/// What the ready view draws from.
struct ReadyView<'a> {
    answer: &'a Answer,
    /// The tick shown: under the pointer, or pinned.
    cursor: Option<usize>,
    /// Time travel stays at an instant when the pointer leaves the strips.
    pinned: bool,
    /// The pointer is on a strip.
    hovering: bool,
    drill: Option<&'a str>,
    /// The last refresh failed: its message, shown over the last answer.
    stale: Option<&'a str>,
    loading: bool,
    clock: &'a Clock,
    changes: &'a Changes,
}

/// The pipeline: the diagram, the state strips, time travel and the drill-down.
fn ready(v: &ReadyView, props: &RootProps, dispatch: &UseReducerDispatcher<State>, root: &NodeRef) -> Html {
    let host = &props.host;
    let data: &Shared = &v.answer.data;
    let split = split_panel(host.height, data.stages.len());
    let geometry =
        Rc::new(layout(data.stages.len(), &edge_inputs(data), host.width, split.diagram_h, host.options.direction));
    let views = Rc::new(stages_at(data, v.cursor, v.clock));
    let on = |action: fn(Option<usize>) -> Action| {
        let dispatch = dispatch.clone();
        Callback::from(move |c: Option<usize>| dispatch.dispatch(action(c)))
    };
    let on_open = {
        let dispatch = dispatch.clone();
        Callback::from(move |id: String| dispatch.dispatch(Action::Open(id)))
    };
    let on_close = {
        let (dispatch, root) = (dispatch.clone(), root.clone());
        Callback::from(move |id: String| {
            dispatch.dispatch(Action::Close);
            focus_stage(&root, &id);
        })
    };
    let drilled = v.drill.and_then(|id| data.stages.iter().find(|s| s.id == id));
    html! {
        <>
            <diagram::Diagram
                answer={data.clone()} generation={v.answer.generation} views={views} geometry={geometry}
                height={split.diagram_h} width={host.width} theme={host.theme.clone()} instance={props.instance}
                cursor={v.cursor} show_sparklines={host.options.show_sparklines} show_edge_rates={host.options.show_edge_rates}
                on_open={on_open} />
            if split.strips_h > 0.0 {
                <strip::Strips answer={data.clone()} generation={v.answer.generation} cursor={v.cursor} height={split.strips_h}
                    theme={host.theme.clone()} clock={v.clock.clone()} on_cursor={on(Action::Cursor)} on_pin={on(Action::Pin)}
                    changes={v.changes.clone()} />
            }
            <div class="cf-corner">
                if let (None, Some(f)) = (v.cursor, &data.freshness) {
                    // How old the clients' data is now; in time travel the banner says it of the tick.
                    <div class="cf-fresh" role="status" data-testid="codex-flow-freshness">{ f.line.clone() }</div>
                }
                if let Some((i, t)) = v.cursor.and_then(|i| Some((i, data.ticks.get(i)?))) {
                    // Alert values between the sparkline's instants are the latest sent before them: said.
                    <div class="cf-travel" role="status" data-testid="codex-flow-travel">{ format!("Showing {}{}{} · {}", v.clock.date_time(*t),
                        data.freshness.as_ref().and_then(|f| f.lines.get(i)).filter(|l| !l.is_empty()).map(|l| format!(" · {l}")).unwrap_or_default(),
                        value_spacing(&data.alerts).map(|ms| format!(" · alert values every {}", humanize_duration(ms))).unwrap_or_default(),
                        match (v.hovering, v.pinned) {
                            (false, _) => "click the strip to move",
                            (true, true) => "click to stay here, move off the strip to return to the instant kept",
                            (true, false) => "click to stay here, move off the strip to return to now",
                        }) }</div>
                }
                { share::actions(&props.bridge, moment(data, v.cursor),
                    v.pinned.then(|| { let d = dispatch.clone(); Callback::from(move |_: MouseEvent| d.dispatch(Action::Pin(None))) })) }
            </div>
            <div class="cf-notes">
                { others::others(data, v.cursor, v.clock) }
                if let Some(fallback) = &data.source.fallback {
                    <div class="cf-banner" role="alert" data-testid="codex-flow-rules-fallback">{ format!("Rules: {}. {fallback}", data.source.why) }</div>
                }
                if let Some(message) = v.stale {
                    <div class="cf-banner" role="alert">{ format!("Refresh failed, showing the last answer: {message}") }</div>
                }
            </div>
            if v.loading {
                <div class="cf-progress" aria-hidden="true"></div>
            }
            if let Some(stage) = drilled {
                <drilldown::DrillDown stage={stage.clone()} answer={data.clone()} host={host.clone()} bridge={props.bridge.clone()}
                    clock={v.clock.clone()} on_close={on_close} changes={v.changes.clone()} />
            }
        </>
    }
}

/// Gives focus back to the stage a drill-down was opened from.
fn focus_stage(root: &NodeRef, id: &str) {
    let Some(root) = root.cast::<web_sys::Element>() else { return };
    if let Ok(Some(el)) = root.query_selector(&format!("[data-testid=\"codex-flow-stage-{id}\"]")) {
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}
