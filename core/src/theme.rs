//! Grafana's theme colours as the `module.js` shims hand them to the WASM frontends (the flow panel
//! and the app's config page), so both read one shape and fall back to the same dark theme.

use serde::Deserialize;

/// Grafana theme colours, picked from `theme2` by the module.js shims (`themeColors` in
/// `frontend/wasm-host.ts`), which send them as a list in the order of the fields:
/// `[isDark, ok, warning, critical, nodata, text, textWeak, background, surface, border, primary]`.
/// A list, not an object, because an object's deserializer (a matcher for each colour's name) was
/// 5.8 KB of the panel's `.wasm`, whose bytes are budgeted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "ThemeWire")]
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

type ThemeWire = (bool, String, String, String, String, String, String, String, String, String, String);

impl From<ThemeWire> for Theme {
    fn from(
        (is_dark, ok, warning, critical, nodata, text, text_weak, background, surface, border, primary): ThemeWire,
    ) -> Theme {
        Theme { is_dark, ok, warning, critical, nodata, text, text_weak, background, surface, border, primary }
    }
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

impl Theme {
    /// The theme as CSS custom properties (`--cf-ok`, `--cf-text`, …) for a frontend's root element,
    /// so both frontends' stylesheets read the same names and follow dark and light alike.
    pub fn css_vars(&self) -> String {
        // Grafana's primary buttons carry white text in both themes.
        format!(
            "--cf-ok:{};--cf-warning:{};--cf-critical:{};--cf-nodata:{};--cf-text:{};--cf-text-weak:{};--cf-bg:{};--cf-surface:{};--cf-border:{};--cf-primary:{};--cf-on-primary:#FFFFFF;",
            self.ok, self.warning, self.critical, self.nodata, self.text, self.text_weak, self.background, self.surface, self.border, self.primary
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_vars_carry_every_colour() {
        let t = Theme { ok: "#0a0".into(), background: "#fff".into(), ..Theme::default() };
        let vars = t.css_vars();
        assert!(vars.starts_with("--cf-ok:#0a0;") && vars.contains("--cf-bg:#fff;"), "{vars}");
        assert_eq!(vars.matches(';').count(), 11);
    }

    #[test]
    fn the_hosts_list_reads_in_field_order() {
        let t: Theme = serde_json::from_str(r##"[false,"#1","#2","#3","#4","#5","#6","#7","#8","#9","#10"]"##).unwrap();
        assert_eq!((t.is_dark, t.ok.as_str(), t.text_weak.as_str(), t.primary.as_str()), (false, "#1", "#6", "#10"));
        assert!(serde_json::from_str::<Theme>(r#"{"isDark":true}"#).is_err(), "the object form is gone");
    }
}
