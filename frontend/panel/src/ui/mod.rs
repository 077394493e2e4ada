//! The Yew app: fetching, states (loading, unconfigured, error, ready), and the
//! `mount` / `update` / `unmount` entry points `module.js` calls.

mod clock;
mod diagram;
mod drilldown;
mod fetch;
mod strip;
mod style;

use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};

use codexflow_core::api::{EvaluateRequest, EvaluateResponse};
use wasm_bindgen::prelude::*;
use web_sys::AbortController;
use yew::prelude::*;

use crate::layout::{layout, px};
use crate::options::HostProps;
use crate::view::stages_at;
use clock::Clock;
use fetch::FetchError;

/// Callbacks into the host (Grafana's `locationService`, through module.js).
#[derive(Clone, Default)]
pub struct Bridge {
    /// `navigate(panelId)`: open a raw panel on the dashboard; returns true when it handled the navigation.
    pub navigate: Option<js_sys::Function>,
}

impl PartialEq for Bridge {
    fn eq(&self, _: &Self) -> bool {
        true // set once per mount
    }
}

impl Bridge {
    /// Asks the host to open panel `id`; false when there is no host navigation (follow the link instead).
    pub fn open_panel(&self, id: u32) -> bool {
        self.navigate
            .as_ref()
            .and_then(|f| f.call1(&JsValue::NULL, &JsValue::from_f64(id as f64)).ok())
            .is_some_and(|v| v.as_bool().unwrap_or(true))
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct RootProps {
    pub host: HostProps,
    pub bridge: Bridge,
    /// Distinguishes panels on one page (element ids, performance marks).
    pub instance: u32,
}

/// The last good answer, numbered so effects and memos can key on it cheaply.
#[derive(Clone)]
struct Answer {
    generation: u32,
    data: Rc<EvaluateResponse>,
}

fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

#[function_component(Root)]
fn root(props: &RootProps) -> Html {
    let host = &props.host;
    let answer = use_state(|| None::<Answer>);
    let error = use_state(|| None::<FetchError>);
    let loading = use_state(|| true);
    let retry = use_state(|| 0u32);
    let cursor = use_state(|| None::<usize>);
    let drill = use_state(|| None::<String>);
    let root_ref = use_node_ref();
    let clock = use_memo(host.time_zone.clone(), |zone| Clock::new(zone));

    // Fetch whenever the window, a refresh, the app URL, the interval or a retry changes; abort the previous call.
    {
        let (answer, error, loading) = (answer.clone(), error.clone(), loading.clone());
        let instance = props.instance;
        // The effect runs with this render's values whenever the deps change.
        let interval = host.options.interval_ms();
        let deps = (host.from, host.to, host.refresh, host.resource_url.clone(), host.options.interval.clone(), *retry);
        use_effect_with(deps, move |(from, to, _, url, _, _)| {
            let controller = AbortController::new().ok();
            let signal = controller.as_ref().map(AbortController::signal);
            loading.set(true);
            let (from, to, url) = (*from, *to, url.clone());
            match interval {
                Err(message) => {
                    error.set(Some(FetchError::Failed(message)));
                    loading.set(false);
                }
                Ok(interval_ms) => {
                    wasm_bindgen_futures::spawn_local(async move {
                        let request = EvaluateRequest { from, to, interval_ms };
                        let generation = answer.as_ref().map_or(1, |a| a.generation + 1);
                        // "Data arrived": the answer's bytes are in; parsing, layout and paint are ours.
                        let arrived = || mark(&format!("codexflow-data-{instance}-{generation}"));
                        let result = fetch::post::<_, EvaluateResponse>(&format!("{url}/v1/evaluate"), &request, signal.as_ref(), arrived).await;
                        match result {
                            Ok(data) => {
                                mark(&format!("codexflow-parsed-{instance}-{generation}"));
                                answer.set(Some(Answer { generation, data: Rc::new(data) }));
                                error.set(None);
                                loading.set(false);
                            }
                            Err(FetchError::Aborted) => {}
                            Err(e) => {
                                error.set(Some(e));
                                loading.set(false);
                            }
                        }
                    });
                }
            }
            move || {
                if let Some(c) = controller {
                    c.abort();
                }
            }
        });
    }

    // Mark the first frame painted after each new answer (the "first paint after data" budget).
    {
        let instance = props.instance;
        let generation = answer.as_ref().map(|a| a.generation);
        use_effect_with(generation, move |generation| {
            if let (Some(g), Some(window)) = (*generation, web_sys::window()) {
                let cb = Closure::once_into_js(move || mark(&format!("codexflow-painted-{instance}-{g}")));
                let _ = window.request_animation_frame(cb.unchecked_ref());
            }
        });
    }

    let vars = style::theme_vars(&host.theme);
    let frame = format!("{vars}width:{}px;height:{}px;background:transparent;", px(host.width.max(0.0)), px(host.height.max(0.0)));
    let on_retry = {
        let retry = retry.clone();
        Callback::from(move |_: MouseEvent| retry.set(*retry + 1))
    };

    let body = match (&*answer, &*error) {
        (_, Some(FetchError::Unconfigured(message))) => html! {
            <div class="cf-message" role="status">
                <strong>{ "Codex Flow is not configured" }</strong>
                <span>{ message.clone() }</span>
                <span class="cf-weak">{ "Open Administration → Plugins and data → Plugins → Codex Flow, set the Prometheus URL, then Save & test." }</span>
            </div>
        },
        (None, Some(FetchError::Failed(message))) => html! {
            <div class="cf-message cf-error" role="alert">
                <strong>{ "Could not load pipeline health" }</strong>
                <span>{ message.clone() }</span>
                <button class="cf-button" onclick={on_retry}>{ "Retry" }</button>
            </div>
        },
        (None, _) => html! {
            <div class="cf-message" role="status" aria-busy="true">{ "Loading pipeline health…" }</div>
        },
        (Some(a), _) if a.data.stages.is_empty() => html! {
            <div class="cf-message" role="status"><strong>{ "The pipeline has no stages" }</strong>
                <span class="cf-weak">{ "Check jsonData.pipeline in the Codex Flow app settings." }</span></div>
        },
        (Some(a), stale_error) => {
            let data = &a.data;
            let n = data.stages.len();
            let show_strips = host.height >= 180.0;
            let strip_h = if show_strips { ((n as f64) * 14.0 + 22.0).min(host.height * 0.35) } else { 0.0 };
            let diagram_h = (host.height - strip_h).max(40.0);
            let edges: Vec<(usize, usize)> = data
                .edges
                .iter()
                .filter_map(|e| Some((data.stages.iter().position(|s| s.id == e.from)?, data.stages.iter().position(|s| s.id == e.to)?)))
                .collect();
            let geometry = layout(n, &edges, host.width, diagram_h, host.options.direction());
            let clock_fn = |t: i64| clock.time(t);
            let views = stages_at(data, *cursor, &clock_fn);
            let on_cursor = {
                let cursor = cursor.clone();
                Callback::from(move |c: Option<usize>| {
                    if *cursor != c {
                        cursor.set(c)
                    }
                })
            };
            let on_open = {
                let drill = drill.clone();
                Callback::from(move |id: String| drill.set(Some(id)))
            };
            let on_close = {
                let (drill, root_ref) = (drill.clone(), root_ref.clone());
                Callback::from(move |id: String| {
                    drill.set(None);
                    // Give focus back to the stage the drill-down was opened from.
                    if let Some(root) = root_ref.cast::<web_sys::Element>() {
                        if let Ok(Some(el)) = root.query_selector(&format!("[data-testid=\"codex-flow-stage-{id}\"]")) {
                            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                                let _ = el.focus();
                            }
                        }
                    }
                })
            };
            html! {
                <>
                    <diagram::Diagram
                        answer={data.clone()} generation={a.generation} views={Rc::new(views)} geometry={Rc::new(geometry)}
                        height={diagram_h} width={host.width} theme={host.theme.clone()} instance={props.instance}
                        cursor={*cursor} show_sparklines={host.options.show_sparklines} show_edge_rates={host.options.show_edge_rates}
                        on_open={on_open.clone()} />
                    if show_strips {
                        <strip::Strips answer={data.clone()} generation={a.generation} cursor={*cursor} height={strip_h}
                            theme={host.theme.clone()} clock={(*clock).clone()} on_cursor={on_cursor} />
                    }
                    if let Some(t) = cursor.and_then(|i| data.ticks.get(i)) {
                        <div class="cf-travel" role="status">{ format!("Showing {} · move off the strip to return to now", clock.date_time(*t)) }</div>
                    }
                    if let Some(FetchError::Failed(message)) = stale_error {
                        <div class="cf-banner" role="alert">{ format!("Refresh failed, showing the last answer: {message}") }</div>
                    }
                    if *loading {
                        <div class="cf-progress" aria-hidden="true"></div>
                    }
                    if let Some(stage) = drill.as_ref().and_then(|id| data.stages.iter().find(|s| &s.id == id)) {
                        <drilldown::DrillDown
                            stage={stage.clone()} answer={data.clone()} host={host.clone()} bridge={props.bridge.clone()}
                            clock={(*clock).clone()} on_close={on_close} />
                    }
                </>
            }
        }
    };
    let state = match (&*answer, &*error) {
        (_, Some(FetchError::Unconfigured(_))) => "unconfigured",
        (None, Some(_)) => "error",
        (None, None) => "loading",
        (Some(_), _) if *loading => "refreshing",
        (Some(_), _) => "ready",
    };
    html! {
        <div ref={root_ref} class="cf-root" style={frame} data-testid="codex-flow-panel" data-state={state}>
            <style>{ style::CSS }</style>
            { body }
        </div>
    }
}

static INSTANCES: AtomicU32 = AtomicU32::new(1);

/// A mounted panel, owned by module.js.
#[wasm_bindgen]
pub struct PanelHandle {
    app: Option<yew::AppHandle<Root>>,
    bridge: Bridge,
    instance: u32,
}

fn parse_props(json: &str) -> Result<HostProps, JsValue> {
    serde_json::from_str(json).map_err(|e| JsValue::from_str(&format!("codexflow panel: invalid props: {e}")))
}

/// Mounts the panel into `element`. `props` is the JSON of [`HostProps`]; `navigate(panelId)` opens a raw panel.
#[wasm_bindgen]
pub fn mount(element: web_sys::Element, props: &str, navigate: Option<js_sys::Function>) -> Result<PanelHandle, JsValue> {
    let host = parse_props(props)?;
    let instance = INSTANCES.fetch_add(1, Ordering::Relaxed);
    let bridge = Bridge { navigate };
    let app = yew::Renderer::<Root>::with_root_and_props(element, RootProps { host, bridge: bridge.clone(), instance }).render();
    Ok(PanelHandle { app: Some(app), bridge, instance })
}

#[wasm_bindgen]
impl PanelHandle {
    /// New props from Grafana (size, time range, options, theme, refresh).
    pub fn update(&mut self, props: &str) -> Result<(), JsValue> {
        let host = parse_props(props)?;
        match self.app.as_mut() {
            Some(app) => {
                app.update(RootProps { host, bridge: self.bridge.clone(), instance: self.instance });
                Ok(())
            }
            None => Err(JsValue::from_str("codexflow panel: update after unmount")),
        }
    }

    /// Tears the Yew app down: components, effects (in-flight fetches are aborted) and listeners.
    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}
