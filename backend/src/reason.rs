//! One-line explanations of a state, for a person on call reading a tile.

use codexflow_core::alerting::AlertState;
use codexflow_core::duration::humanize_duration;
use codexflow_core::format::{grouped, utc_clock, utc_date};

use crate::rules::Rule;

/// Why an alert is pending or firing: "lag 1,532 > 1,000 for 17m, since 12:03 UTC".
///
/// `value` is the expression's value at `at`; it is absent while
/// `keep_firing_for` holds an alert whose condition has cleared.
pub fn alert_reason(rule: &Rule, state: AlertState, value: Option<f64>, active_at: i64, at: i64, active_at_is_bound: bool) -> Option<String> {
    let what = match (rule.query.threshold(), value) {
        (Some((op, threshold)), Some(v)) => {
            let name = rule.annotations.get("value_name").map_or("value", String::as_str);
            format!("{name} {} {op} {}", grouped(v), grouped(threshold))
        }
        _ => rule.annotations.get("summary").cloned().unwrap_or_else(|| rule.name.clone()),
    };
    let since = since_text(active_at, at, active_at_is_bound);
    let lasted = humanize_duration(at - active_at);
    match state {
        AlertState::Inactive => None,
        AlertState::Pending => Some(format!(
            "pending: {what} for {lasted} of {}, {since}",
            humanize_duration(rule.timing.hold_ms)
        )),
        AlertState::Firing if value.is_none() => Some(format!(
            "{what}: condition cleared, still firing for keep_firing_for {}, {since}",
            humanize_duration(rule.timing.keep_firing_for_ms)
        )),
        AlertState::Firing => Some(format!("{what} for {lasted}, {since}")),
    }
}

/// Why a rule can never fire: its inputs do not exist.
pub fn nodata_reason(rule: &Rule, missing: &[String]) -> String {
    let verb = if missing.len() == 1 { "has" } else { "have" };
    format!("no data: {} {verb} no series, so {} can never fire", missing.join(" and "), rule.name)
}

/// Why a rule could not be evaluated.
pub fn error_reason(rule: &Rule, error: &str) -> String {
    format!("{} could not be evaluated: {error}", rule.name)
}

fn since_text(active_at: i64, at: i64, bound: bool) -> String {
    let clock = if at - active_at >= 86_400_000 {
        format!("{} {} UTC", utc_date(active_at), utc_clock(active_at))
    } else {
        format!("{} UTC", utc_clock(active_at))
    };
    if bound { format!("since before {clock}") } else { format!("since {clock}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str) -> Rule {
        crate::defaults::rules().rules.into_iter().find(|r| r.name == name).unwrap()
    }

    const T: i64 = 1_795_737_600_000 + 12 * 3_600_000 + 3 * 60_000; // 12:03 UTC

    #[test]
    fn firing_reason_reads_like_the_runbook() {
        let r = rule("CodexKafkaCompletionsLagHigh");
        let text = alert_reason(&r, AlertState::Firing, Some(1532.0), T, T + 17 * 60_000, false).unwrap();
        assert_eq!(text, "lag 1,532 > 1,000 for 17m, since 12:03 UTC");
    }

    #[test]
    fn pending_and_summary_reasons() {
        let r = rule("CodexJangarAgentCommsStalled");
        let text = alert_reason(&r, AlertState::Pending, Some(0.4), T, T + 3 * 60_000, true).unwrap();
        assert_eq!(
            text,
            "pending: agent-comms stream is advancing but Jangar inserts nothing for 3m of 10m, since before 12:03 UTC"
        );
        assert_eq!(alert_reason(&r, AlertState::Inactive, None, T, T, false), None);
        let kept = alert_reason(&rule("CodexJangarSseErrorRate"), AlertState::Firing, None, T, T + 86_400_000, false).unwrap();
        assert!(kept.contains("condition cleared") && kept.contains("2026-11-27 12:03 UTC"), "{kept}");
    }

    #[test]
    fn nodata_names_the_missing_series() {
        let r = rule("CodexJangarAgentCommsStalled");
        assert_eq!(
            nodata_reason(&r, &["jangar_agent_comms_inserted_total".into()]),
            "no data: jangar_agent_comms_inserted_total has no series, so CodexJangarAgentCommsStalled can never fire"
        );
    }
}
