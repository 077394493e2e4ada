//! The words for an alert the Alertmanager holds back: who silenced it, why and until when, or that
//! other alerts inhibit it. Written by the backend (in UTC), shown by the panel as they are.

use crate::api::SilenceNote;
use crate::format::{utc_clock, utc_date};

/// "silenced by alice until 2026-12-01 22:00 UTC: draining after the deploy"; several silences are
/// joined with "; ", an inhibition said after them.
pub fn suppressed_words(silences: &[SilenceNote], more_silences: usize, inhibited_by: usize) -> String {
    let mut parts: Vec<String> = silences
        .iter()
        .map(|s| {
            let who = if s.created_by.is_empty() { "someone" } else { s.created_by.as_str() };
            let until = s.ends_at.map(|t| format!(" until {} {} UTC", utc_date(t), utc_clock(t))).unwrap_or_default();
            let why = if s.comment.trim().is_empty() { String::new() } else { format!(": {}", s.comment.trim()) };
            format!("silenced by {who}{until}{why}")
        })
        .collect();
    match more_silences {
        0 => {}
        1 => parts.push("and 1 more silence".to_string()),
        n => parts.push(format!("and {n} more silences")),
    }
    match inhibited_by {
        0 => {}
        1 => parts.push("inhibited by another alert".to_string()),
        n => parts.push(format!("inhibited by {n} other alerts")),
    }
    if parts.is_empty() {
        // Suppressed with neither: a silence that has ended since, or one this reading did not list.
        parts.push("held back by the Alertmanager".to_string());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_why_and_until_when() {
        let alice = SilenceNote {
            id: "1".into(),
            created_by: "alice".into(),
            comment: "draining after the deploy".into(),
            ends_at: Some(1_796_162_400_000),
        };
        assert_eq!(
            suppressed_words(std::slice::from_ref(&alice), 0, 0),
            "silenced by alice until 2026-12-01 22:00 UTC: draining after the deploy"
        );
        let blank = SilenceNote { created_by: String::new(), comment: " ".into(), ends_at: None, ..alice };
        assert_eq!(
            suppressed_words(std::slice::from_ref(&blank), 0, 2),
            "silenced by someone; inhibited by 2 other alerts"
        );
        assert_eq!(suppressed_words(&[blank], 12, 0), "silenced by someone; and 12 more silences");
        assert_eq!(suppressed_words(&[], 0, 1), "inhibited by another alert");
        assert_eq!(suppressed_words(&[], 0, 0), "held back by the Alertmanager");
    }
}
