//! The config page as a Yew app: the `mount_config` entry point `module.js` calls, the page
//! component (`page`), its controls (`controls`) and the Save & test flow (`submit`).

mod controls;
mod page;
mod style;
mod submit;

use serde::Deserialize;
use wasm_bindgen::prelude::*;

use codexflow_core::theme::Theme;
use page::ConfigPage;

use crate::form::PluginMeta;

/// What `module.js` hands the page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageProps {
    pub plugin_id: String,
    /// Grafana's `appSubUrl` (empty unless Grafana is served under a path).
    #[serde(default)]
    pub api_base: String,
    pub meta: PluginMeta,
    #[serde(default)]
    pub theme: Theme,
}

/// The host's functions: `request(method, url, body, signal)` (Grafana's `backendSrv`) and
/// `onSaved(metaJson)` (updates Grafana's copy of the meta in place after a save).
#[derive(Clone)]
pub struct Host {
    pub request: js_sys::Function,
    pub on_saved: Option<js_sys::Function>,
}

impl PartialEq for Host {
    fn eq(&self, _: &Self) -> bool {
        true // set once per mount
    }
}

impl Host {
    fn saved(&self, meta: &PluginMeta) {
        if let (Some(f), Ok(json)) = (&self.on_saved, serde_json::to_string(meta)) {
            let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&json));
        }
    }
}

#[derive(yew::Properties, PartialEq)]
pub struct RootProps {
    pub page: PageProps,
    pub host: Host,
}

/// The mounted page; `unmount` when Grafana removes it.
#[wasm_bindgen]
pub struct ConfigHandle {
    app: Option<yew::AppHandle<ConfigPage>>,
    host: Host,
}

#[wasm_bindgen]
impl ConfigHandle {
    /// New props for the mounted page (Grafana's theme changed): the form and its edits stay, as the
    /// page's state lives in its reducer, not in the props.
    pub fn update(&mut self, props: &str) -> Result<(), JsValue> {
        let page = parse(props)?;
        if let Some(app) = self.app.as_mut() {
            app.update(RootProps { page, host: self.host.clone() });
        }
        Ok(())
    }

    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}

/// Renders the config page into `element`. `props` is JSON: `{pluginId, apiBase, meta, theme}`;
/// `request` makes the HTTP calls through Grafana; `on_saved` receives the settings meta (JSON,
/// secrets only as flags) after each successful save.
#[wasm_bindgen]
pub fn mount_config(
    element: web_sys::Element,
    props: &str,
    request: js_sys::Function,
    on_saved: Option<js_sys::Function>,
) -> Result<ConfigHandle, JsValue> {
    let page = parse(props)?;
    let host = Host { request, on_saved };
    let app =
        yew::Renderer::<ConfigPage>::with_root_and_props(element, RootProps { page, host: host.clone() }).render();
    Ok(ConfigHandle { app: Some(app), host })
}

fn parse(props: &str) -> Result<PageProps, JsValue> {
    serde_json::from_str(props).map_err(|e| JsValue::from_str(&format!("Codex Flow config page: bad props: {e}")))
}
