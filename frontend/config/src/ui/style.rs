//! The config page's CSS: classes prefixed `cfc-`, colours from `core`'s theme variables (`--cf-*`).

pub const CSS: &str = r#"
.cfc-root{max-width:760px;font-family:Inter,Helvetica,Arial,sans-serif;font-size:13px;color:var(--cf-text)}
.cfc-root *{box-sizing:border-box}
.cfc-root h2{font-size:18px;font-weight:500;margin:0 0 4px}
.cfc-root fieldset{border:1px solid var(--cf-border);border-radius:4px;margin:12px 0;padding:8px 12px 12px}
.cfc-root legend{padding:0 4px;font-weight:500}
.cfc-field{display:flex;flex-direction:column;gap:4px;margin-top:10px}
.cfc-field label,.cfc-radio-label,.cfc-label{font-weight:500}
.cfc-help{color:var(--cf-text-weak);font-size:12px}
.cfc-root input[type=text],.cfc-root input[type=url],.cfc-root input[type=password],.cfc-root textarea{font:inherit;color:var(--cf-text);background:var(--cf-bg);border:1px solid var(--cf-border);border-radius:4px;padding:6px 8px;width:100%}
.cfc-root textarea{font-family:Menlo,Consolas,monospace;font-size:12px;min-height:140px;resize:vertical}
.cfc-root [aria-invalid=true]{border-color:var(--cf-critical)}
.cfc-root input:focus-visible,.cfc-root textarea:focus-visible,.cfc-root button:focus-visible{outline:2px solid var(--cf-primary);outline-offset:1px}
.cfc-error{color:var(--cf-critical);font-size:12px}
.cfc-radios{display:flex;flex-wrap:wrap;gap:16px;margin-top:6px}
.cfc-secret{display:flex;gap:8px;align-items:center}
.cfc-configured{flex:1;padding:6px 8px;border:1px dashed var(--cf-border);border-radius:4px;color:var(--cf-text-weak)}
.cfc-button{font:inherit;color:var(--cf-text);background:var(--cf-surface);border:1px solid var(--cf-border);border-radius:4px;padding:5px 12px;cursor:pointer}
.cfc-primary{background:var(--cf-primary);border-color:var(--cf-primary);color:var(--cf-on-primary)}
.cfc-button[disabled]{opacity:.6;cursor:default}
.cfc-row{display:flex;gap:8px;align-items:center;margin-top:6px}
.cfc-note{padding:8px 10px;border-radius:4px;border:1px solid var(--cf-border);background:var(--cf-surface)}
.cfc-status{margin-top:10px;padding:8px 10px;border-radius:4px;border:1px solid var(--cf-border);background:var(--cf-surface)}
.cfc-status.cfc-ok{border-color:var(--cf-ok)}
.cfc-status.cfc-bad{border-color:var(--cf-critical)}
"#;
