//! Grafana's theme colours as the `module.js` shims hand them to the WASM frontends (the flow panel
//! and the app's config page), so both read one shape and fall back to the same dark theme.

use serde::Deserialize;

/// Grafana theme colours, picked from `theme2` by the module.js shims.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Theme {
    pub is_dark: bool,
    pub ok: String,
    pub warning: String,
    pub critical: String,
    pub nodata: String,
    pub text: String,
    pub text_weak: String,
    pub background: String,
    pub surface: String,
    pub border: String,
    pub primary: String,
}

impl Default for Theme {
    /// Grafana's dark theme, for hosts that send none.
    fn default() -> Self {
        Theme {
            is_dark: true,
            ok: "#73BF69".into(),
            warning: "#FF9830".into(),
            critical: "#F2495C".into(),
            nodata: "#8E8E8E".into(),
            text: "#CCCCDC".into(),
            text_weak: "#8E8E9E".into(),
            background: "#181B1F".into(),
            surface: "#22252B".into(),
            border: "#34373D".into(),
            primary: "#6E9FFF".into(),
        }
    }
}
