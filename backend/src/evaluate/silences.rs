//! The Alertmanager's word on an evaluation's alerts: each alert firing at its last tick that the
//! Alertmanager holds silenced or inhibited is marked so, with who silenced it, why and until when.
//! Pure; the answers come from `fetch`. An Alertmanager that fails marks nothing and says why.

use codexflow_core::api::{AlertTimeline, AlertmanagerNote, SilenceNote, Suppressed};
use codexflow_core::silence::suppressed_words;
use codexflow_core::AlertState;

use crate::alertmanager::{active_by_id, suppression, AmAlert, Silence};
use crate::prom::PromError;

/// What the Alertmanager answered: its alerts and silences, or the error.
pub type AmAnswer = Result<(Vec<AmAlert>, Vec<Silence>), PromError>;

/// Marks `alerts` from the Alertmanager at `url`; `None` when none is configured.
pub fn annotate(alerts: &mut [AlertTimeline], url: Option<&str>, answer: Option<AmAnswer>) -> Option<AlertmanagerNote> {
    let (url, answer) = (url?, answer?);
    let (am_alerts, silences) = match answer {
        Ok(a) => a,
        Err(e) => {
            return Some(AlertmanagerNote { url: url.to_string(), error: Some(e.to_string()), ..Default::default() })
        }
    };
    let active = active_by_id(&silences);
    for a in alerts.iter_mut().filter(|a| a.state == AlertState::Firing) {
        let Some(s) = suppression(&a.labels, &am_alerts, &active) else {
            continue;
        };
        let notes: Vec<SilenceNote> = s
            .silences
            .iter()
            .map(|x| SilenceNote {
                id: x.id.clone(),
                created_by: x.created_by.clone(),
                comment: x.comment.clone(),
                ends_at: x.ends_at,
            })
            .collect();
        a.held_back = Some(suppressed_words(&notes, s.more_silences, s.inhibited_by));
        a.suppressed =
            Some(Suppressed { silences: notes, more_silences: s.more_silences, inhibited_by: s.inhibited_by });
    }
    Some(AlertmanagerNote { url: url.to_string(), alerts: am_alerts.len(), silences: silences.len(), error: None })
}
