//! The panel's options as Grafana's editor stores them, and the props the host hands over.

use codexflow_core::options::Direction;
use serde::Deserialize;

/// Options from the panel editor (`options` in the panel JSON), with Grafana's defaults applied
/// (the plugin's option editors' `defaultValue`, which module.js also fills in for an option missing).
#[derive(Debug, Clone, PartialEq)]
pub struct PanelOptions {
    /// Which raw panels open from which stage, `stage=id,id; stage=id` (a stage listed twice: the
    /// last wins). module.js hands over what it found on the dashboard followed by the panel option,
    /// so a stage chosen by hand wins over the automatic mapping.
    pub stage_panels: String,
    pub show_sparklines: bool,
    pub show_edge_rates: bool,
    pub direction: Direction,
    /// Evaluation interval override (Prometheus duration); empty = the app's.
    pub interval: String,
    /// Besides the dashboard's own annotations, those with any of these tags (comma-separated)
    /// are drawn as changes (`core::changes`).
    pub change_tags: String,
}

/// The options' defaults as Grafana applies them (module.js `DEFAULTS`), for the tests.
#[cfg(test)]
impl Default for PanelOptions {
    fn default() -> Self {
        PanelOptions {
            stage_panels: String::new(),
            show_sparklines: true,
            show_edge_rates: true,
            direction: Direction::LeftToRight,
            interval: String::new(),
            change_tags: String::new(),
        }
    }
}

impl PanelOptions {
    /// The stage → raw panel ids mapping; a malformed entry is reported, not guessed at.
    pub fn stage_panels(&self) -> Result<StagePanels, String> {
        parse_stage_panels(&self.stage_panels)
    }

    /// The interval override in ms, if one is set and valid.
    pub fn interval_ms(&self) -> Result<Option<i64>, String> {
        if self.interval.trim().is_empty() {
            return Ok(None);
        }
        codexflow_core::duration::parse_duration(&self.interval)
            .map_err(|e| format!("Evaluation interval: {e}"))
            .and_then(|ms| {
                codexflow_core::limits::check_interval("Evaluation interval", ms).map(Some).map_err(|e| e.to_string())
            })
    }
}

/// Raw panel ids per stage id, in the order written.
///
/// A plain list rather than a map: a handful of entries, and every map type
/// instantiated in the panel costs bytes in the .wasm.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StagePanels(pub Vec<(String, Vec<u32>)>);

impl StagePanels {
    /// The panel ids of `stage` (the last entry wins if a stage is listed twice).
    pub fn get(&self, stage: &str) -> Option<&[u32]> {
        self.0.iter().rev().find(|(s, _)| s == stage).map(|(_, ids)| ids.as_slice())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parses `kafka=1,2; nats=3` (whitespace and a trailing `;` allowed).
pub fn parse_stage_panels(s: &str) -> Result<StagePanels, String> {
    let mut out = Vec::new();
    for entry in s.split([';', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
        let (stage, ids) =
            entry.split_once('=').ok_or_else(|| format!("Raw panels: \"{entry}\" is not stage=id,id"))?;
        let ids = ids
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(|i| {
                i.parse::<u32>().map_err(|_| format!("Raw panels: \"{i}\" (stage {}) is not a panel id", stage.trim()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push((stage.trim().to_string(), ids));
    }
    Ok(StagePanels(out))
}

pub use codexflow_core::theme::Theme;

/// Everything the host (Grafana, through module.js) hands the panel on each render.
///
/// Sent as a list in the order of the fields, the options a list of their own
/// (`[stagePanels, showSparklines, showEdgeRates, direction, interval, changeTags]`) and the theme as
/// [`Theme`] reads it: an object's deserializer (a matcher for each field's name) costs the panel's
/// budgeted `.wasm` several kilobytes more than a list's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "HostPropsWire")]
pub struct HostProps {
    pub panel_id: u32,
    pub width: f64,
    pub height: f64,
    /// Epoch ms.
    pub from: i64,
    pub to: i64,
    /// Changes whenever the dashboard refreshes (refresh button, auto-refresh).
    pub refresh: u64,
    /// `/api/plugins/<app>/resources` as the browser reaches it.
    pub resource_url: String,
    pub options: PanelOptions,
    pub theme: Theme,
    /// `browser`, `utc` or an IANA zone.
    pub time_zone: String,
    /// The dashboard's uid; absent on a dashboard not saved yet.
    pub dashboard_uid: Option<String>,
}

type OptionsWire = (String, bool, bool, Direction, String, String);
type HostPropsWire = (u32, f64, f64, i64, i64, u64, String, OptionsWire, Theme, String, Option<String>);

impl From<HostPropsWire> for HostProps {
    fn from(
        (panel_id, width, height, from, to, refresh, resource_url, options, theme, time_zone, dashboard_uid): HostPropsWire,
    ) -> HostProps {
        let (stage_panels, show_sparklines, show_edge_rates, direction, interval, change_tags) = options;
        let options = PanelOptions { stage_panels, show_sparklines, show_edge_rates, direction, interval, change_tags };
        HostProps { panel_id, width, height, from, to, refresh, resource_url, options, theme, time_zone, dashboard_uid }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_panels_parse_and_errors_say_where() {
        let m = parse_stage_panels("kafka=1,2; nats=3,4,5; jangar=6,7; sse=8,9").unwrap();
        assert_eq!(m.get("nats"), Some(&[3, 4, 5][..]));
        assert_eq!(m.len(), 4);
        assert_eq!(parse_stage_panels(" a = 1 ;\n b=2,3; ").unwrap().get("b"), Some(&[2, 3][..]));
        assert_eq!(
            parse_stage_panels("a=1; a=2").unwrap().get("a"),
            Some(&[2][..]),
            "found first, then the option: the option wins"
        );
        assert!(parse_stage_panels("kafka 1").unwrap_err().contains("stage=id"));
        assert!(parse_stage_panels("kafka=1,x").unwrap_err().contains("\"x\""));
        assert!(parse_stage_panels("").unwrap().is_empty());
    }

    #[test]
    fn props_are_read_as_a_list() {
        let p: HostProps = serde_json::from_str(
            r#"[3, 800, 300.5, 0, 1, 2, "/r", ["kafka=1", false, true, "tb", "30s", "deploy"],
                [false, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], "utc", null]"#,
        )
        .unwrap();
        assert_eq!(
            (p.panel_id, p.height, p.refresh, p.resource_url.as_str(), p.time_zone.as_str()),
            (3, 300.5, 2, "/r", "utc")
        );
        assert_eq!(p.options.direction, Direction::TopToBottom);
        assert_eq!((p.options.show_sparklines, p.options.show_edge_rates), (false, true));
        assert_eq!(p.options.interval_ms(), Ok(Some(30_000)));
        assert_eq!(p.options.change_tags, "deploy");
        assert!(!p.theme.is_dark && p.dashboard_uid.is_none());
        let bad = PanelOptions { interval: "10ms".into(), ..PanelOptions::default() };
        assert!(bad.interval_ms().is_err());
        let short = serde_json::from_str::<HostProps>(r#"[3, 800, 300]"#).unwrap_err().to_string();
        assert!(short.contains("invalid length"), "{short}");
    }
}
