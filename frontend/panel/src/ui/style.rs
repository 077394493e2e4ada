//! The panel's CSS. Classes are prefixed `cf-` and scoped under `.cf-root`; colours come from the
//! Grafana theme through CSS variables set on the root, so dark and light both work.

use crate::options::Theme;

pub const CSS: &str = r#"
.cf-root{position:relative;box-sizing:border-box;overflow:hidden;font-family:Inter,Helvetica,Arial,sans-serif;font-size:12px;color:var(--cf-text)}
.cf-root *{box-sizing:border-box}
.cf-message{position:absolute;inset:0;display:flex;flex-direction:column;align-items:center;justify-content:center;gap:8px;padding:12px;text-align:center;color:var(--cf-text-weak)}
.cf-message strong{color:var(--cf-text)}
.cf-message.cf-error strong{color:var(--cf-critical)}
.cf-button{font:inherit;color:var(--cf-text);background:var(--cf-surface);border:1px solid var(--cf-border);border-radius:4px;padding:4px 10px;cursor:pointer}
.cf-button:focus-visible,.cf-stage:focus-visible,.cf-link:focus-visible{outline:2px solid var(--cf-primary);outline-offset:2px}
.cf-diagram{position:relative}
.cf-edges{position:absolute;inset:0;pointer-events:none;overflow:visible}
.cf-edges g path{fill:none;stroke:var(--cf-text-weak);stroke-width:1.5}
.cf-edges text{text-anchor:middle;font-size:11px;fill:var(--cf-text);paint-order:stroke;stroke:var(--cf-bg);stroke-width:3px}
.cf-stage{position:absolute;display:flex;flex-direction:column;gap:2px;padding:6px 8px;border-radius:6px;border:2px solid var(--cf-status);background:color-mix(in srgb,var(--cf-status) 16%,var(--cf-surface));cursor:pointer;overflow:hidden;user-select:none}
.cf-stage[data-suppressed]{border-style:dashed;background:color-mix(in srgb,var(--cf-status) 6%,var(--cf-surface))}
.cf-stage[data-flow=symptom]{opacity:.72;border-style:dotted}
.cf-badge{padding:0 5px;border-radius:8px;font-size:10px;font-weight:600;border:1px solid var(--cf-status);color:var(--cf-text)}
.cf-why{font-weight:500;margin-bottom:4px}
.cf-stage:hover{background:color-mix(in srgb,var(--cf-status) 26%,var(--cf-surface))}
.cf-stage-head{display:flex;align-items:center;gap:6px;font-weight:500;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.cf-icon{display:inline-flex;align-items:center;justify-content:center;min-width:16px;height:16px;border-radius:8px;font-size:11px;font-weight:700;color:var(--cf-bg);background:var(--cf-status)}
.cf-headline{font-size:16px;font-weight:500;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.cf-compact .cf-headline{font-size:12px}
.cf-insight{font-size:11px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:var(--cf-text)}
.cf-queue{white-space:pre-line;margin:4px 0;padding:4px 0;border-top:1px solid var(--cf-border);border-bottom:1px solid var(--cf-border);font-size:11px}
.cf-status-word{font-size:10px;text-transform:uppercase;letter-spacing:.05em;color:var(--cf-text-weak)}
.cf-spark{flex:1;min-height:0}
.cf-spark svg{width:100%;height:100%;display:block}
.cf-tooltip{position:absolute;z-index:5;max-width:360px;padding:8px 10px;border-radius:4px;background:var(--cf-surface);border:1px solid var(--cf-border);box-shadow:0 4px 12px rgba(0,0,0,.35);pointer-events:none}
.cf-tooltip h4{margin:0 0 4px;font-size:12px}
.cf-alert{display:grid;grid-template-columns:auto 1fr;gap:2px 6px;margin:4px 0}
.cf-pill{padding:0 6px;border-radius:8px;font-size:10px;text-transform:uppercase;color:var(--cf-bg);background:var(--cf-text-weak)}
.cf-pill-firing{background:var(--cf-critical)}.cf-pill-pending{background:var(--cf-warning)}.cf-pill-inactive{background:var(--cf-ok)}
.cf-weak{color:var(--cf-text-weak)}
.cf-strips{position:absolute;left:0;right:0;bottom:0;padding:4px 8px}
.cf-strip-rows{height:calc(100% - 22px);overflow-y:auto;overflow-x:hidden}
.cf-strip-rows>div{box-sizing:border-box;overflow:hidden}
.cf-strip-row{display:flex;align-items:center;gap:6px;height:12px;margin:2px 0}
.cf-strip-name{width:120px;flex:none;font-size:10px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:var(--cf-text-weak)}
.cf-strip{flex:1;height:100%;display:block;cursor:crosshair}
.cf-strip-axis{display:flex;justify-content:space-between;margin-left:126px;font-size:10px;color:var(--cf-text-weak)}
.cf-cursor{stroke:var(--cf-text);stroke-width:1}
.cf-corner{position:absolute;top:4px;right:8px;z-index:4;display:flex;gap:6px;align-items:center}
.cf-fresh{font-size:11px;color:var(--cf-text-weak)}
.cf-export{display:flex;gap:4px}
.cf-export .cf-button,.cf-travel .cf-button{padding:0 6px;font-size:11px}
.cf-travel{display:flex;gap:6px;align-items:center;padding:2px 8px;border-radius:4px;background:var(--cf-primary);color:var(--cf-bg);font-size:11px}
.cf-notes{position:absolute;top:4px;left:8px;z-index:4;display:flex;flex-direction:column;align-items:flex-start;gap:4px;max-width:70%}
.cf-banner{padding:2px 8px;border-radius:4px;background:var(--cf-surface);border:1px solid var(--cf-critical);font-size:11px}
.cf-others{padding:2px 8px;border-radius:4px;background:var(--cf-surface);border:1px solid var(--cf-status);font-size:11px;max-height:60vh;overflow:auto}
.cf-others summary{cursor:pointer}
.cf-others summary:focus-visible{outline:2px solid var(--cf-primary)}
.cf-others ul{margin:4px 0;padding-left:12px}
.cf-ruler{color:var(--cf-warning)}
.cf-flag{margin-left:auto;color:var(--cf-warning)}
.cf-drill{position:absolute;inset:0;z-index:10;display:flex;flex-direction:column;background:var(--cf-bg);border:1px solid var(--cf-border);outline:none}
.cf-drill-head{display:flex;align-items:center;gap:8px;padding:8px 10px;border-bottom:1px solid var(--cf-border)}
.cf-drill-head h3{margin:0;font-size:14px;flex:1}
.cf-drill-body{flex:1;overflow:auto;padding:8px 10px;display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px;align-content:start}
.cf-card{border:1px solid var(--cf-border);border-radius:4px;padding:8px;background:var(--cf-surface);min-width:0}
.cf-card h4{margin:0 0 6px;font-size:12px;display:flex;justify-content:space-between;gap:8px}
.cf-chart{position:relative}
.cf-chart svg{display:block}
.cf-chart:focus-visible{outline:2px solid var(--cf-primary);outline-offset:2px}
.cf-crosshair{position:absolute;top:0;bottom:0;width:1px;background:var(--cf-text-weak);pointer-events:none}
.cf-hover{position:absolute;top:4px;z-index:2;padding:4px 6px;border-radius:4px;background:var(--cf-bg);border:1px solid var(--cf-border);font-size:11px;white-space:nowrap;pointer-events:none}
.cf-y{position:absolute;left:0;font-size:10px;color:var(--cf-text-weak);transform:translateY(-50%)}
.cf-x{display:flex;justify-content:space-between;font-size:10px;color:var(--cf-text-weak);padding-left:44px}
.cf-legend{display:flex;flex-wrap:wrap;gap:8px;font-size:11px;margin-top:4px}
.cf-swatch{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
.cf-link{color:var(--cf-primary);text-decoration:none}
.cf-link:hover{text-decoration:underline}
.cf-runbook{display:inline-block;margin:4px 0;text-decoration:none}
.cf-progress{position:absolute;top:0;left:0;right:0;height:2px;z-index:6;background:var(--cf-primary);opacity:.7}
.cf-timeline{display:block;width:100%;height:8px;margin-top:2px}
.cf-changes{position:absolute;top:4px;bottom:22px;left:134px;right:8px;pointer-events:none}
.cf-change{position:absolute;top:0;bottom:0;width:7px;margin-left:-3px;pointer-events:auto;background:linear-gradient(var(--cf-primary),var(--cf-primary)) center/1px 100% no-repeat}
.cf-change:hover::after,.cf-change:focus::after{content:attr(data-text);position:absolute;bottom:100%;left:0;z-index:6;white-space:nowrap;padding:2px 6px;border-radius:4px;background:var(--cf-surface);border:1px solid var(--cf-border);color:var(--cf-text);font-size:11px}
.cf-change-r:hover::after,.cf-change-r:focus::after{left:auto;right:0}
.cf-change:focus-visible{outline:2px solid var(--cf-primary)}
"#;

/// The theme colour of a status, as a CSS variable reference.
pub fn status_var(status: codexflow_core::StageStatus) -> &'static str {
    match status {
        codexflow_core::StageStatus::Ok => "var(--cf-ok)",
        codexflow_core::StageStatus::Warning => "var(--cf-warning)",
        codexflow_core::StageStatus::Critical => "var(--cf-critical)",
        codexflow_core::StageStatus::Nodata => "var(--cf-nodata)",
    }
}

/// The theme colour of a status, as a concrete colour (for SVG drawn by plotters).
pub fn status_color(theme: &Theme, status: codexflow_core::StageStatus) -> &str {
    match status {
        codexflow_core::StageStatus::Ok => &theme.ok,
        codexflow_core::StageStatus::Warning => &theme.warning,
        codexflow_core::StageStatus::Critical => &theme.critical,
        codexflow_core::StageStatus::Nodata => &theme.nodata,
    }
}

/// The non-colour cue of a status: an icon character.
pub fn status_icon(status: codexflow_core::StageStatus) -> &'static str {
    match status {
        codexflow_core::StageStatus::Ok => "✓",
        codexflow_core::StageStatus::Warning => "!",
        codexflow_core::StageStatus::Critical => "✕",
        codexflow_core::StageStatus::Nodata => "?",
    }
}
