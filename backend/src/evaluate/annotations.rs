//! An alert's annotations as the on-call engineer reads them: the rule's `summary`, `description`,
//! `runbook_url` and the rest, expanded for this alert as Prometheus expands them
//! ([`crate::alert_template`]), and the runbook as a link only when it is one a browser may open.

use std::collections::BTreeMap;

use codexflow_core::api::EpochMs;
use codexflow_core::labels::Labels;

use crate::alert_template::expand_or_as_written;
use crate::rules::Rule;

/// The annotation Prometheus' convention names for an alert's runbook.
pub const RUNBOOK_ANNOTATION: &str = "runbook_url";

/// What an alert says about itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotated {
    pub annotations: Labels,
    /// The tick whose sample they were expanded with.
    pub at: Option<EpochMs>,
    /// The runbook, when it is an absolute http or https link.
    pub runbook: Option<String>,
}

/// The rule's annotations for the alert whose latest sample in the window is `sample` (the series'
/// own labels, its tick and value). Without a sample there is no `$value` to expand with, so a
/// template is shown as written, as any template this backend does not run is.
pub fn annotate(rule: &Rule, sample: Option<(&BTreeMap<String, String>, EpochMs, f64)>) -> Annotated {
    let expanded: BTreeMap<String, String> = rule
        .annotations
        .iter()
        .map(|(name, template)| {
            let text = match sample {
                Some((labels, _, value)) => expand_or_as_written(template, labels, value),
                None => template.clone(),
            };
            (name.clone(), text)
        })
        .collect();
    let runbook = expanded.get(RUNBOOK_ANNOTATION).and_then(|url| http_link(url)).map(str::to_string);
    Annotated { annotations: expanded.into(), at: sample.map(|(_, t, _)| t), runbook }
}

/// `url` when it is an absolute `http://` or `https://` link with a host and nothing a browser would
/// read otherwise (no whitespace, no control characters): never `javascript:` or `data:`.
pub fn http_link(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return None;
    };
    let host_ok = rest.split(['/', '?', '#']).next().is_some_and(|h| !h.is_empty());
    let clean = url.len() <= 2048 && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    (host_ok && clean).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(annotations: &str) -> Rule {
        let yaml = format!("groups:\n- name: g\n  rules:\n  - alert: LagHigh\n    expr: sum(lag) > 1000\n    annotations: {annotations}\n");
        crate::rules::RuleSet::parse(&yaml).unwrap().rules.remove(0)
    }

    #[test]
    fn annotations_are_expanded_with_the_alerts_latest_sample() {
        let r = rule(
            r#"{summary: "lag {{ $value | humanize }} on {{ $labels.topic }}", runbook_url: "https://runbooks.example/kafka#lag", team: data}"#,
        );
        let labels: BTreeMap<String, String> = [("topic".to_string(), "completions".to_string())].into();
        let a = annotate(&r, Some((&labels, 60_000, 1500.0)));
        assert_eq!(a.annotations.get("summary"), Some("lag 1.5k on completions"));
        assert_eq!(a.annotations.get("team"), Some("data"));
        assert_eq!((a.at, a.runbook.as_deref()), (Some(60_000), Some("https://runbooks.example/kafka#lag")));
        // No sample: the template as written, never a guessed value.
        let none = annotate(&r, None);
        assert_eq!(none.annotations.get("summary"), Some("lag {{ $value | humanize }} on {{ $labels.topic }}"));
        assert_eq!(none.at, None);
    }

    #[test]
    fn only_http_links_are_runbooks() {
        for ok in ["https://runbooks.example/a", "HTTP://wiki.local:8080/x?y=1", "http://h"] {
            assert_eq!(http_link(ok), Some(ok));
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "//evil.example/",
            "https://",
            "https:///path",
            "https://a b",
            "https://a\nb",
            "https:\\\\evil",
            "ftp://files",
            "runbooks/kafka.md",
            "",
        ] {
            assert_eq!(http_link(bad), None, "{bad:?}");
        }
    }
}
