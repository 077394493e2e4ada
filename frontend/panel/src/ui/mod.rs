//! The Yew app and the `mount` / `update` / `unmount` entry points `module.js` calls.
//!
//! Shaped like Yew's `function_todomvc`: the state lives in one reducer (`crate::state`, pure),
//! hooks do the fetching (`hooks`), and small components draw it.

mod changes;
mod chart;
mod clock;
mod diagram;
mod drilldown;
mod hooks;
mod messages;
mod others;
mod root;
mod share;
mod strip;
mod style;

use std::sync::atomic::{AtomicU32, Ordering};

use wasm_bindgen::prelude::*;
use yew::prelude::*;

use crate::options::HostProps;
use root::Root;

/// Callbacks into the host (module.js): Grafana's `locationService` and `backendSrv`.
#[derive(Clone)]
pub struct Bridge {
    /// `navigate(panelId)`: open a raw panel on the dashboard; returns true when it handled the navigation.
    pub navigate: Option<js_sys::Function>,
    /// `request(method, url, body, signal)`: Grafana's `backendSrv.fetch`, resolving to `{status, body}`.
    pub request: js_sys::Function,
    /// `evidence(kind, key)`: what module.js found on the dashboard, as text: `title` of a panel id,
    /// `explore` (a URL) and `none` (why no panel shows it) of a stage id.
    pub evidence: Option<js_sys::Function>,
    /// `moment(key)` reads the dashboard URL's query parameter `key`; `moment(key, value)` sets it
    /// (`null` removes it), replacing the history entry.
    pub moment: Option<js_sys::Function>,
    /// `share(what, at)`: `link` copies a link to the dashboard as its URL is, the time range made
    /// absolute (the moment is in the URL already); `svg` and `png` download the diagram as shown, `at`
    /// being the instant travelled to (none: the window's end).
    pub share: Option<js_sys::Function>,
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
            .and_then(|f| f.call1(&JsValue::NULL, &JsValue::from_f64(f64::from(id))).ok())
            .is_some_and(|v| v.as_bool().unwrap_or(true))
    }

    /// The host's word on `kind` of `key` ([`Bridge::evidence`]), if it has one.
    pub fn evidence(&self, kind: &str, key: &str) -> Option<String> {
        self.evidence
            .as_ref()?
            .call2(&JsValue::NULL, &JsValue::from_str(kind), &JsValue::from_str(key))
            .ok()?
            .as_string()
    }

    /// The URL's moment parameter `key`, as the host read it.
    pub fn read_moment(&self, key: &str) -> Option<String> {
        self.moment.as_ref()?.call1(&JsValue::NULL, &JsValue::from_str(key)).ok()?.as_string()
    }

    /// Sets (or with `None` removes) the URL's moment parameter `key`.
    pub fn write_moment(&self, key: &str, value: Option<&str>) {
        if let Some(f) = &self.moment {
            let _ = f.call2(&JsValue::NULL, &JsValue::from_str(key), &value.map_or(JsValue::NULL, JsValue::from_str));
        }
    }

    /// Asks the host to share the moment shown (kept in the URL) as `what` (`link`, `svg`, `png`), the
    /// instant travelled to being `at`; the host says how that went, as Grafana does, in a notification.
    pub fn share(&self, what: &str, at: Option<i64>) {
        if let Some(f) = &self.share {
            let at = at.map_or(JsValue::UNDEFINED, |t| JsValue::from_f64(t as f64));
            let _ = f.call2(&JsValue::NULL, &JsValue::from_str(what), &at);
        }
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct RootProps {
    pub host: HostProps,
    pub bridge: Bridge,
    /// Distinguishes panels on one page (element ids, performance marks).
    pub instance: u32,
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
    serde_json::from_str(json).map_err(|e| {
        JsValue::from_str(&format!("codexflow panel: invalid props: {}", codexflow_core::web::json_problem(&e)))
    })
}

/// Mounts the panel into `element`. `props` is the JSON of [`HostProps`]; `navigate(panelId)` opens
/// a raw panel; `request(method, url, body, signal)` makes the resource calls through Grafana; the
/// rest are [`Bridge`]'s.
#[wasm_bindgen]
pub fn mount(
    element: web_sys::Element,
    props: &str,
    navigate: Option<js_sys::Function>,
    request: js_sys::Function,
    evidence: Option<js_sys::Function>,
    moment: Option<js_sys::Function>,
    share: Option<js_sys::Function>,
) -> Result<PanelHandle, JsValue> {
    let host = parse_props(props)?;
    let instance = INSTANCES.fetch_add(1, Ordering::Relaxed);
    let bridge = Bridge { navigate, request, evidence, moment, share };
    // A panic traps at once (the build's `immediate-abort`), so no panic hook ever runs; without
    // one of ours, Yew would install console_error_panic_hook and keep its code in the `.wasm`.
    yew::set_custom_panic_hook(Box::new(|_| {}));
    let app = yew::Renderer::<Root>::with_root_and_props(element, RootProps { host, bridge: bridge.clone(), instance })
        .render();
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
