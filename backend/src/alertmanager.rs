//! What an Alertmanager says about our alerts: which of them it holds silenced or inhibited, by
//! whom, why and until when (its API v2: `GET /api/v2/alerts`, `GET /api/v2/silences`, as
//! prometheus/alertmanager `api/v2/openapi.yaml` defines them).
//!
//! Pure: the answers are read here, bounded and distrusted like every upstream answer, and matched
//! to our alerts; the requests are the Prometheus client's (same credentials and tenant). Matching
//! follows how Alertmanager receives an alert from a ruler: with the rule's labels, the result's
//! labels and `alertname`, plus whatever the ruler adds (`external_labels`) — so an Alertmanager
//! alert is ours when it carries every label of ours with the same value.

use std::collections::{BTreeMap, HashMap};

use codexflow_core::limits::{MAX_ALERTMANAGER_ITEMS as MAX_ITEMS, MAX_SILENCES_NAMED, MAX_SILENCE_TEXT_CHARS};
use codexflow_core::web::json_problem;
use codexflow_core::Labels;
use serde::Deserialize;

/// Alertmanager's state of one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AmState {
    Unprocessed,
    Active,
    Suppressed,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatus {
    state: AmState,
    #[serde(default)]
    silenced_by: Vec<String>,
    #[serde(default)]
    inhibited_by: Vec<String>,
}

/// One alert as Alertmanager holds it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AmAlert {
    pub labels: BTreeMap<String, String>,
    #[serde(rename = "status")]
    wire: WireStatus,
}

impl AmAlert {
    pub fn state(&self) -> AmState {
        self.wire.state
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSilence {
    id: String,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
    ends_at: String,
    status: WireSilenceStatus,
}

#[derive(Debug, Clone, Deserialize)]
struct WireSilenceStatus {
    state: String,
}

/// A silence, as the drill-down names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub id: String,
    pub created_by: String,
    pub comment: String,
    /// When it ends, epoch ms (`None`: a time Alertmanager wrote that cannot be read).
    pub ends_at: Option<i64>,
    /// Only active silences mute; pending (future) and expired ones are listed by the API too.
    pub active: bool,
}

/// Why Alertmanager is not notifying about one of our alerts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Suppression {
    /// The first [`MAX_SILENCES_NAMED`] active silences that match it (Alertmanager's `silencedBy`).
    pub silences: Vec<Silence>,
    /// The active matching silences beyond those.
    pub more_silences: usize,
    /// How many alerts inhibit it (`inhibitedBy`).
    pub inhibited_by: usize,
}

/// Reads `GET /api/v2/alerts`.
pub fn parse_alerts(body: &[u8]) -> Result<Vec<AmAlert>, String> {
    let alerts: Vec<AmAlert> = parse_list(body, "alerts")?;
    Ok(alerts)
}

/// Reads `GET /api/v2/silences`.
pub fn parse_silences(body: &[u8]) -> Result<Vec<Silence>, String> {
    let wire: Vec<WireSilence> = parse_list(body, "silences")?;
    Ok(wire
        .into_iter()
        .map(|s| Silence {
            ends_at: chrono::DateTime::parse_from_rfc3339(&s.ends_at).ok().map(|t| t.timestamp_millis()),
            active: s.status.state == "active",
            id: s.id,
            created_by: cut(s.created_by),
            comment: cut(s.comment),
        })
        .collect())
}

/// At most [`MAX_SILENCE_TEXT_CHARS`] characters, "…" where cut.
fn cut(text: String) -> String {
    match text.char_indices().nth(MAX_SILENCE_TEXT_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// The active silences by id, built once per answer so matching costs one lookup per `silencedBy`
/// entry, whatever a hostile Alertmanager lists.
pub fn active_by_id(silences: &[Silence]) -> HashMap<&str, &Silence> {
    silences.iter().filter(|s| s.active).map(|s| (s.id.as_str(), s)).collect()
}

/// A JSON array of at most [`MAX_ITEMS`] `T`s; any other shape is an error that says what came.
fn parse_list<T: for<'de> Deserialize<'de>>(body: &[u8], what: &str) -> Result<Vec<T>, String> {
    let items: Vec<&serde_json::value::RawValue> = serde_json::from_slice(body)
        .map_err(|e| format!("the Alertmanager's {what} are not a JSON array of {what} ({})", json_problem(&e)))?;
    if items.len() > MAX_ITEMS {
        return Err(format!("the Alertmanager listed {} {what}, more than the {MAX_ITEMS} read here", items.len()));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            serde_json::from_str(raw.get())
                .map_err(|e| format!("the Alertmanager's {what}[{i}] is not one ({})", json_problem(&e)))
        })
        .collect()
}

/// What Alertmanager holds against the alert with `labels`: `None` when it does not hold the alert
/// or holds it unsuppressed. Of several matching alerts (one per `external_labels` set, say), the
/// first suppressed one speaks.
pub fn suppression(labels: &Labels, alerts: &[AmAlert], silences: &HashMap<&str, &Silence>) -> Option<Suppression> {
    let ours = |a: &&AmAlert| labels.iter().all(|(k, v)| a.labels.get(k).map(String::as_str) == Some(v));
    let held = alerts.iter().filter(ours).find(|a| a.state() == AmState::Suppressed)?;
    let mut matching = held.wire.silenced_by.iter().filter_map(|id| silences.get(id.as_str()));
    let named: Vec<Silence> = matching.by_ref().take(MAX_SILENCES_NAMED).map(|s| (*s).clone()).collect();
    Some(Suppression { silences: named, more_silences: matching.count(), inhibited_by: held.wire.inhibited_by.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALERTS: &str = r#"[
      {"labels": {"alertname": "CodexKafkaCompletionsLagHigh", "severity": "warning", "cluster": "prod"},
       "annotations": {}, "receivers": [{"name": "oncall"}], "fingerprint": "a1", "startsAt": "2026-12-01T20:00:00Z",
       "updatedAt": "2026-12-01T20:01:00Z", "endsAt": "2026-12-01T20:05:00Z",
       "status": {"state": "suppressed", "silencedBy": ["s-1", "s-old"], "inhibitedBy": []}},
      {"labels": {"alertname": "CodexNatsAgentCommsLagHigh", "severity": "warning"},
       "annotations": {}, "receivers": [], "fingerprint": "b2", "startsAt": "2026-12-01T20:00:00Z",
       "updatedAt": "2026-12-01T20:01:00Z", "endsAt": "2026-12-01T20:05:00Z",
       "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}},
      {"labels": {"alertname": "CodexJangarAgentCommsStalled", "severity": "warning"},
       "annotations": {}, "receivers": [], "fingerprint": "c3", "startsAt": "2026-12-01T20:00:00Z",
       "updatedAt": "2026-12-01T20:01:00Z", "endsAt": "2026-12-01T20:05:00Z",
       "status": {"state": "suppressed", "silencedBy": [], "inhibitedBy": ["d4"]}}
    ]"#;
    const SILENCES: &str = r#"[
      {"id": "s-1", "matchers": [{"name": "alertname", "value": "CodexKafkaCompletionsLagHigh", "isRegex": false}],
       "startsAt": "2026-12-01T19:55:00Z", "endsAt": "2026-12-01T22:00:00.5+01:00", "createdBy": "alice",
       "comment": "draining after the deploy", "status": {"state": "active"}, "updatedAt": "2026-12-01T19:55:00Z"},
      {"id": "s-old", "matchers": [], "startsAt": "2026-11-01T00:00:00Z", "endsAt": "2026-11-02T00:00:00Z",
       "createdBy": "bob", "comment": "old", "status": {"state": "expired"}, "updatedAt": "2026-11-01T00:00:00Z"}
    ]"#;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn a_silenced_alert_names_its_active_silences_with_author_comment_and_end() {
        let (alerts, silences) =
            (parse_alerts(ALERTS.as_bytes()).unwrap(), parse_silences(SILENCES.as_bytes()).unwrap());
        // Ours carries no `cluster`: the Alertmanager's extra external label does not stop the match.
        let ours = labels(&[("alertname", "CodexKafkaCompletionsLagHigh"), ("severity", "warning")]);
        let silences = active_by_id(&silences);
        let s = suppression(&ours, &alerts, &silences).expect("silenced");
        assert_eq!(s.inhibited_by, 0);
        assert_eq!(s.silences.len(), 1, "the expired silence mutes nothing");
        let silence = &s.silences[0];
        assert_eq!((silence.created_by.as_str(), silence.comment.as_str()), ("alice", "draining after the deploy"));
        assert_eq!(silence.ends_at, Some(1_796_158_800_500), "22:00:00.5 at +01:00 is 21:00:00.5 UTC");
        let inhibited = suppression(&labels(&[("alertname", "CodexJangarAgentCommsStalled")]), &alerts, &silences)
            .expect("inhibited");
        assert_eq!((inhibited.silences.len(), inhibited.inhibited_by), (0, 1));
    }

    #[test]
    fn alerts_it_does_not_hold_or_notifies_about_are_not_suppressed() {
        let alerts = parse_alerts(ALERTS.as_bytes()).unwrap();
        assert_eq!(
            suppression(&labels(&[("alertname", "CodexNatsAgentCommsLagHigh")]), &alerts, &HashMap::new()),
            None,
            "active"
        );
        assert_eq!(
            suppression(&labels(&[("alertname", "CodexJangarSseErrorRate")]), &alerts, &HashMap::new()),
            None,
            "not held"
        );
        let other_value = labels(&[("alertname", "CodexKafkaCompletionsLagHigh"), ("severity", "critical")]);
        assert_eq!(suppression(&other_value, &alerts, &HashMap::new()), None, "a label of ours with another value");
    }

    #[test]
    fn wrong_huge_or_hostile_answers_are_refused_with_what_came() {
        assert!(parse_alerts(b"<html>").unwrap_err().contains("not valid JSON"));
        assert!(parse_alerts(br#"{"status":"success","data":[]}"#).unwrap_err().contains("another type"));
        assert!(parse_alerts(br#"[{"labels": 5}]"#).unwrap_err().contains("alerts[0]"));
        let many = format!("[{}]", vec![r#"{"labels":{},"status":{"state":"active"}}"#; MAX_ITEMS + 1].join(","));
        assert!(parse_alerts(many.as_bytes()).unwrap_err().contains("more than the 20000"));
        // A state a later version adds, and an unreadable end time, are read, not refused.
        let odd = parse_alerts(br#"[{"labels":{},"status":{"state":"snoozed"}}]"#).unwrap();
        assert_eq!(odd[0].state(), AmState::Unknown);
        let s = parse_silences(br#"[{"id":"x","endsAt":"soon","status":{"state":"active"}}]"#).unwrap();
        assert_eq!((s[0].ends_at, s[0].active), (None, true));
    }

    #[test]
    fn one_alert_silenced_many_times_names_a_few_and_counts_the_rest() {
        let ids: Vec<String> = (0..50).map(|i| format!("s{i}")).collect();
        let alert = format!(
            r#"[{{"labels":{{"alertname":"A"}},"status":{{"state":"suppressed","silencedBy":{}}}}}]"#,
            serde_json::json!(ids)
        );
        let long = "x".repeat(1_000);
        let silences: Vec<String> = ids
            .iter()
            .map(|id| format!(r#"{{"id":"{id}","createdBy":"{long}","comment":"{long}","endsAt":"2026-12-01T22:00:00Z","status":{{"state":"active"}}}}"#))
            .collect();
        let alerts = parse_alerts(alert.as_bytes()).unwrap();
        let silences = parse_silences(format!("[{}]", silences.join(",")).as_bytes()).unwrap();
        let s = suppression(&labels(&[("alertname", "A")]), &alerts, &active_by_id(&silences)).expect("silenced");
        assert_eq!((s.silences.len(), s.more_silences), (MAX_SILENCES_NAMED, 50 - MAX_SILENCES_NAMED));
        assert_eq!(s.silences[0].comment.chars().count(), MAX_SILENCE_TEXT_CHARS + 1, "cut, with an ellipsis");
        assert!(s.silences[0].created_by.ends_with('…'));
    }
}
