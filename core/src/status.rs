//! Stage health: the worst of its alerts, at one tick or over a window.
//!
//! Order, best to worst: `ok` < `nodata` < `warning` < `critical`. A firing
//! alert outranks missing data because it is actionable; missing data
//! outranks `ok` because a stage we cannot see is not known to be healthy.

use serde::Serialize;

use crate::alerting::AlertState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StageStatus {
    #[default]
    Ok,
    Nodata,
    Warning,
    Critical,
}

crate::by_name!(StageStatus { Ok = "ok", Nodata = "nodata", Warning = "warning", Critical = "critical" });

impl StageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StageStatus::Ok => "ok",
            StageStatus::Nodata => "nodata",
            StageStatus::Warning => "warning",
            StageStatus::Critical => "critical",
        }
    }
}

/// The worst of `items` by status, the first of equals; `None` when there are none.
pub fn worst_first<T>(items: impl IntoIterator<Item = (StageStatus, T)>) -> Option<(StageStatus, T)> {
    let mut worst: Option<(StageStatus, T)> = None;
    for (status, item) in items {
        if worst.as_ref().is_none_or(|(w, _)| status > *w) {
            worst = Some((status, item));
        }
    }
    worst
}

/// The status a firing alert with this `severity` label gives its stage.
///
/// `critical`, `page` and `error` are critical; `info` and `none` leave the
/// stage `ok` (they are notes, not problems); anything else, including a
/// missing label, is a warning.
pub fn severity_status(severity: &str) -> StageStatus {
    match severity.to_ascii_lowercase().as_str() {
        "critical" | "page" | "error" => StageStatus::Critical,
        "info" | "none" => StageStatus::Ok,
        _ => StageStatus::Warning,
    }
}

/// What one alert contributes to its stage at one tick: only firing alerts count.
pub fn alert_status(state: AlertState, severity: &str) -> StageStatus {
    match state {
        AlertState::Firing => severity_status(severity),
        AlertState::Inactive | AlertState::Pending => StageStatus::Ok,
    }
}

/// Folds one alert's timeline into a stage's per-tick status (`acc` and `states` are tick-aligned).
pub fn fold_alert_into(acc: &mut [StageStatus], states: impl IntoIterator<Item = AlertState>, severity: &str) {
    let firing = severity_status(severity);
    for (slot, state) in acc.iter_mut().zip(states) {
        if state == AlertState::Firing && firing > *slot {
            *slot = firing;
        }
    }
}

/// Raises every tick to at least `floor` (used for `nodata`: a blind stage is never `ok`).
pub fn raise_to(acc: &mut [StageStatus], floor: StageStatus) {
    for slot in acc {
        if *slot < floor {
            *slot = floor;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_ok_nodata_warning_critical() {
        assert!(StageStatus::Ok < StageStatus::Nodata);
        assert!(StageStatus::Nodata < StageStatus::Warning);
        assert!(StageStatus::Warning < StageStatus::Critical);
    }

    #[test]
    fn severity_labels_map_to_status() {
        assert_eq!(severity_status("critical"), StageStatus::Critical);
        assert_eq!(severity_status("Page"), StageStatus::Critical);
        assert_eq!(severity_status("warning"), StageStatus::Warning);
        assert_eq!(severity_status(""), StageStatus::Warning);
        assert_eq!(severity_status("info"), StageStatus::Ok);
        assert_eq!(alert_status(AlertState::Pending, "critical"), StageStatus::Ok);
        assert_eq!(alert_status(AlertState::Firing, "critical"), StageStatus::Critical);
    }

    #[test]
    fn folding_keeps_the_worst() {
        use AlertState::*;
        let mut acc = vec![StageStatus::Ok; 4];
        fold_alert_into(&mut acc, [Firing, Pending, Firing, Inactive], "warning");
        fold_alert_into(&mut acc, [Inactive, Inactive, Firing, Inactive], "critical");
        raise_to(&mut acc, StageStatus::Nodata);
        assert_eq!(acc, [StageStatus::Warning, StageStatus::Nodata, StageStatus::Critical, StageStatus::Nodata]);
    }
}
