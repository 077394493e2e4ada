//! Grafana's Angular detection, as its loader runs it on every plugin's `module.js` before loading:
//! the static patterns of `pkg/plugins/manager/loader/angular/angulardetector/provider.go`
//! (`defaultDetectors`: seven byte strings and one regular expression), matched by
//! `angularinspector.PatternsListInspector.Inspect` against the whole file, first match wins. A
//! plugin detected as Angular is refused by Grafana 12 and flagged deprecated by 11, so the package
//! test runs this over every built `module.js`.

/// The byte strings of `defaultDetectors`, in Grafana's order.
pub const CONTAINS: [&str; 7] = [
    "PanelCtrl",
    "ConfigCtrl",
    "app/plugins/sdk",
    "angular.isNumber(",
    "editor.html",
    "ctrl.annotation",
    "getLegacyAngularInjector",
];

/// Which pattern marks `module_js` as an Angular plugin, if any: one of [`CONTAINS`], or
/// `QueryCtrl` in quotes (the detector's regular expression `["']QueryCtrl["']`).
pub fn angular_pattern(module_js: &[u8]) -> Option<String> {
    let contains = |needle: &[u8]| module_js.windows(needle.len()).any(|w| w == needle);
    if let Some(p) = CONTAINS.iter().find(|p| contains(p.as_bytes())) {
        return Some(p.to_string());
    }
    let quoted = |q: u8, r: u8| [&[q][..], b"QueryCtrl", &[r][..]].concat();
    for (q, r) in [(b'"', b'"'), (b'"', b'\''), (b'\'', b'"'), (b'\'', b'\'')] {
        if contains(&quoted(q, r)) {
            return Some(format!("{}QueryCtrl{}", q as char, r as char));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grafanas_patterns_and_nothing_else() {
        assert_eq!(
            angular_pattern(b"export class MyPanelCtrl extends MetricsPanelCtrl {}").as_deref(),
            Some("PanelCtrl")
        );
        assert_eq!(
            angular_pattern(b"define(['app/plugins/sdk'], function (sdk) {})").as_deref(),
            Some("app/plugins/sdk")
        );
        assert_eq!(angular_pattern(b"templateUrl: 'partials/editor.html'").as_deref(), Some("editor.html"));
        assert_eq!(angular_pattern(br#"{ "QueryCtrl": X }"#).as_deref(), Some("\"QueryCtrl\""));
        assert_eq!(angular_pattern(b"x = 'QueryCtrl\""), Some("'QueryCtrl\"".to_string()));
        // Unquoted, the regular expression does not match.
        assert_eq!(angular_pattern(b"class QueryCtrlHelper {}"), None);
        assert_eq!(
            angular_pattern(b"define(['@grafana/data'], function (d) { return { plugin: new d.PanelPlugin(X) } })"),
            None
        );
    }
}
