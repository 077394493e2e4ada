//! The panel's hooks: its state (the reducer of `crate::state`) with the evaluation it fetches, and
//! a stage's raw series for the drill-down. Every fetch is aborted when a newer one supersedes it or
//! the component goes away.

use std::rc::Rc;

use codexflow_core::api::{EvaluateRequest, EvaluateResponse, StageMetricsRequest, StageMetricsResponse};
use codexflow_core::changes::{self, Change};
use codexflow_core::compact::{readable, Encoding};
use codexflow_core::moment_param::{self, Moment};
use codexflow_core::web::{self, CallError};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortController;
use yew::prelude::*;

use super::Bridge;
use crate::options::HostProps;
use crate::state::{Action, PanelState, Problem, Shared};

/// [`PanelState`] as Yew's reducer.
#[derive(PartialEq, Default)]
pub struct State(pub PanelState);

impl Reducible for State {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(State(self.0.reduce(action)))
    }
}

fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Runs `cleanup` when the effect is torn down: aborts the fetch it started.
fn abort_on_drop(controller: Option<AbortController>) -> impl FnOnce() {
    move || {
        if let Some(c) = controller {
            c.abort();
        }
    }
}

/// POSTs `body` to `url` through the host, marking when the answer's bytes are in.
async fn post<B: serde::Serialize, T: serde::de::DeserializeOwned>(
    bridge: &Bridge,
    url: &str,
    body: &B,
    signal: Option<&web_sys::AbortSignal>,
    arrived: impl FnOnce(),
) -> Result<T, CallError> {
    let body = serde_json::to_string(body).map_err(|e| CallError::Decode(web::json_problem(&e)))?;
    let (status, text) = web::call_text(&bridge.request, "POST", url, Some(body), signal).await?;
    arrived();
    web::decode(status, &text)
}

/// The panel's state, with `v1/evaluate` fetched whenever the window, a refresh, the app URL, the
/// interval or a retry changes.
#[hook]
pub fn use_evaluation(host: &HostProps, bridge: &Bridge, instance: u32) -> UseReducerHandle<State> {
    // The moment a link brought, read once, at mount.
    let state = {
        let (bridge, panel_id) = (bridge.clone(), host.panel_id);
        use_reducer(move || {
            State(PanelState::restoring(
                bridge.read_moment(&moment_param::key(panel_id)).and_then(|v| Moment::parse(&v)),
            ))
        })
    };
    let interval = host.options.interval_ms();
    let generation = state.0.answer.as_ref().map_or(1, |a| a.generation.wrapping_add(1));
    let deps = (
        host.from,
        host.to,
        host.refresh,
        host.resource_url.clone(),
        host.options.interval.clone(),
        state.0.retries,
        (host.dashboard_uid.clone(), host.options.change_tags.clone()),
    );
    let (dispatch, bridge) = (state.dispatcher(), bridge.clone());
    use_effect_with(deps, move |(from, to, _, url, _, _, (uid, tags))| {
        let change_urls = changes::queries(*from, *to, uid.as_deref(), &changes::option_tags(tags));
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map(AbortController::signal);
        match interval {
            Err(message) => dispatch.dispatch(Action::Problem(Problem::Failed(message))),
            Ok(interval_ms) => {
                dispatch.dispatch(Action::Fetching);
                // The compact answer (`core::compact`): statuses and graphs expanded here, alerts read from their runs.
                let request = EvaluateRequest { from: *from, to: *to, interval_ms, encoding: Encoding::Runs };
                let url = format!("{url}/{}", codexflow_core::routes::EVALUATE);
                wasm_bindgen_futures::spawn_local(async move {
                    // "Data arrived": the answer's bytes are in; parsing, layout and paint are ours.
                    let arrived = || mark(&format!("codexflow-data-{instance}-{generation}"));
                    match post::<_, EvaluateResponse>(&bridge, &url, &request, signal.as_ref(), arrived).await {
                        Ok(data) => match readable(data) {
                            Ok(data) => {
                                mark(&format!("codexflow-parsed-{instance}-{generation}"));
                                dispatch.dispatch(Action::Arrived(Shared::new(data)));
                            }
                            Err(e) => dispatch.dispatch(Action::Problem(Problem::Failed(e.to_string()))),
                        },
                        Err(e) => dispatch.dispatch(Action::Failed(e)),
                    }
                    if let Some(read) = read_changes(&bridge, change_urls, signal.as_ref()).await {
                        dispatch.dispatch(read);
                    }
                });
            }
        }
        abort_on_drop(controller)
    });

    // Mark the first frame painted after each new answer (the "first paint after data" budget).
    let painted = state.0.answer.as_ref().map(|a| a.generation);
    use_effect_with(painted, move |painted| {
        if let (Some(g), Some(window)) = (*painted, web_sys::window()) {
            let cb = Closure::once_into_js(move || mark(&format!("codexflow-painted-{instance}-{g}")));
            let _ = window.request_animation_frame(cb.unchecked_ref());
        }
    });
    state
}

/// A stage's raw series at `max_points`, fetched for the drill-down (`None` while loading).
#[hook]
pub fn use_stage_metrics(
    stage: &str,
    host: &HostProps,
    bridge: &Bridge,
    max_points: u32,
) -> Option<Result<Rc<StageMetricsResponse>, Problem>> {
    let metrics = use_state(|| None::<Result<Rc<StageMetricsResponse>, Problem>>);
    let deps = (stage.to_string(), host.from, host.to, host.refresh, host.resource_url.clone(), max_points);
    let (setter, bridge) = (metrics.setter(), bridge.clone());
    use_effect_with(deps, move |(stage, from, to, _, url, max_points)| {
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map(AbortController::signal);
        let request = StageMetricsRequest { stage: stage.clone(), from: *from, to: *to, max_points: Some(*max_points) };
        let url = format!("{url}/{}", codexflow_core::routes::STAGE_METRICS);
        wasm_bindgen_futures::spawn_local(async move {
            match post::<_, StageMetricsResponse>(&bridge, &url, &request, signal.as_ref(), || ()).await {
                Ok(m) => setter.set(Some(Ok(Rc::new(m)))),
                Err(e) => {
                    if let Some(problem) = Problem::of(e) {
                        setter.set(Some(Err(problem)));
                    }
                }
            }
        });
        abort_on_drop(controller)
    });
    (*metrics).clone()
}

/// The window's changes (`core::changes`): the dashboard's annotations and those with the option's
/// tags, read through Grafana's annotations API with the viewer's session. Read after each
/// evaluation, under its abort signal, so they refresh with it and cost no effect of their own.
async fn read_changes(bridge: &Bridge, urls: Vec<String>, signal: Option<&web_sys::AbortSignal>) -> Option<Action> {
    let mut answers = Vec::new();
    for url in urls {
        let answer = match web::call_text(&bridge.request, "GET", &url, None, signal).await {
            Ok((status, text)) => web::decode::<Vec<Change>>(status, &text),
            Err(e) => Err(e),
        };
        match answer {
            Ok(a) => answers.push(a),
            Err(CallError::Aborted) => return None,
            Err(e) => return Some(Action::Changes(Err(e.message()))),
        }
    }
    Some(Action::Changes(Ok(Rc::new(changes::merge(answers)))))
}
