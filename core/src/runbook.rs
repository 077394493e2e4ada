//! What an alert says about itself, as the panel shows it: its rule's `summary` and `description`
//! (expanded by the backend as Prometheus expands them), who owns it, and its runbook. The names
//! are the Prometheus community's conventions, so rules written for any Prometheus show up here.

use crate::api::AlertTimeline;

pub const SUMMARY: &str = "summary";
pub const DESCRIPTION: &str = "description";
/// Labels (then annotations) that name who owns an alert, in the order they are shown.
pub const OWNER_KEYS: [&str; 2] = ["team", "owner"];
/// The drill-down's button to the runbook (`AlertTimeline::runbook`, an http or https link).
pub const RUNBOOK_BUTTON: &str = "Runbook ↗";

/// The alert's `summary` annotation.
pub fn summary(a: &AlertTimeline) -> Option<&str> {
    a.annotations.get(SUMMARY).filter(|s| !s.trim().is_empty())
}

/// The alert's `description` annotation.
pub fn description(a: &AlertTimeline) -> Option<&str> {
    a.annotations.get(DESCRIPTION).filter(|s| !s.trim().is_empty())
}

/// "team data-platform · owner alice": the owner labels, or annotations when no label names one.
pub fn owner(a: &AlertTimeline) -> Option<String> {
    let mut parts = Vec::new();
    for key in OWNER_KEYS {
        if let Some(v) = a.labels.get(key).or_else(|| a.annotations.get(key)).filter(|v| !v.trim().is_empty()) {
            parts.push(format!("{key} {v}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labels;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn notes_come_from_annotations_and_owners_from_labels_first() {
        let a = AlertTimeline {
            labels: labels(&[("alertname", "LagHigh"), ("team", "data")]),
            annotations: labels(&[
                ("summary", "lag 1.5k"),
                ("description", " "),
                ("owner", "alice"),
                ("team", "ignored"),
            ]),
            ..AlertTimeline::default()
        };
        assert_eq!(summary(&a), Some("lag 1.5k"));
        assert_eq!(description(&a), None, "blank is none");
        assert_eq!(owner(&a).as_deref(), Some("team data · owner alice"));
        assert_eq!(owner(&AlertTimeline::default()), None);
    }
}
