//! Where a ruler group's ticks sit within its interval, so that a tick here is the instant the ruler
//! evaluated (and wrote its `ALERTS` sample).
//!
//! * Prometheus (and anything running its rule manager) slots each group at a fixed offset within the
//!   interval: `hash(name, file) mod interval` (`rules/group.go`, `Group.EvalTimestamp`; the hash is
//!   `labels.Labels{file, name}.Hash()`, xxHash64 over `file\xff<file>\xffname\xff<name>\xff`).
//!   We compute that slot and accept it when the group's `lastEvaluation` (the wall-clock start of its
//!   last run, a little after the slot) confirms it.
//! * vmalert aligns the time it queries at to the interval (`-datasource.queryTimeAlignment`, on by
//!   default), whatever the wall-clock phase it runs at; so its ticks are the multiples of the
//!   interval. (It stamps `ALERTS` with its wall clock, which the overlay allows for.)
//! * Any other ruler (Mimir runs Prometheus' manager on its own file paths, so the hash differs): the
//!   phase of `lastEvaluation`, to the millisecond.
//! * Never evaluated: no phase is known; ticks stay the multiples of the interval.

use codexflow_core::api::PhaseSource;

use super::wire::RulerGroup;

/// How far after its slot a Prometheus group's `lastEvaluation` may start for the slot to count as
/// confirmed: at most a quarter of the interval, and never more than five seconds.
pub fn slot_tolerance_ms(interval_ms: i64) -> i64 {
    (interval_ms / 4).min(5_000)
}

/// Prometheus' slot for a group, in ms after each multiple of the interval (the ns offset floored,
/// as sample times are).
pub fn prometheus_slot_ms(file: &str, name: &str, interval_ms: i64) -> i64 {
    let mut key = Vec::with_capacity(file.len() + name.len() + 12);
    for (label, value) in [("file", file), ("name", name)] {
        key.extend_from_slice(label.as_bytes());
        key.push(0xff);
        key.extend_from_slice(value.as_bytes());
        key.push(0xff);
    }
    let hash = twox_hash::XxHash64::oneshot(0, &key);
    let interval_ns = u64::try_from(interval_ms.max(1)).unwrap_or(1).saturating_mul(1_000_000);
    i64::try_from(hash % interval_ns / 1_000_000).unwrap_or(0)
}

/// The phase of `group`'s ticks and how it was found.
pub fn place(group: &RulerGroup) -> (i64, PhaseSource) {
    let interval = group.interval_ms.max(1);
    if group.vmalert {
        return (group.eval_offset_ms.unwrap_or(0).rem_euclid(interval), PhaseSource::Aligned);
    }
    let Some(last) = group.last_evaluation else { return (0, PhaseSource::Epoch) };
    let slot = prometheus_slot_ms(&group.file, &group.name, interval);
    if (last - slot).rem_euclid(interval) <= slot_tolerance_ms(interval) {
        (slot, PhaseSource::GroupHash)
    } else {
        (last.rem_euclid(interval), PhaseSource::LastEvaluation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_is_prometheus_own() {
        // Prometheus 2.42 evaluated this group (10 s interval) at ….662571184 s past each 10 s: its
        // activeAt was 2026-12-01T12:07:15.662571184Z.
        assert_eq!(prometheus_slot_ms("/tmp/vmx/prules.yml", "codex-pipeline-observability.rules", 10_000), 5_662);
        let empty = twox_hash::XxHash64::oneshot(0, b"");
        assert_eq!(empty, 0xEF46_DB37_51D8_E999, "xxHash64's published value for no input");
    }

    #[test]
    fn each_ruler_gets_its_phase() {
        let g = |vmalert, last: Option<i64>| RulerGroup {
            name: "codex-pipeline-observability.rules".into(),
            file: "/tmp/vmx/prules.yml".into(),
            interval_ms: 10_000,
            last_evaluation: last,
            vmalert,
            ..RulerGroup::default()
        };
        let base = 1_796_126_880_000;
        assert_eq!(place(&g(false, Some(base + 5_663))), (5_662, PhaseSource::GroupHash));
        // Late by more than the tolerance: not Prometheus' slot, the last evaluation's phase.
        assert_eq!(place(&g(false, Some(base + 9_100))), (9_100, PhaseSource::LastEvaluation));
        assert_eq!(place(&g(true, Some(base + 347))), (0, PhaseSource::Aligned));
        assert_eq!(place(&g(false, None)), (0, PhaseSource::Epoch));
        assert_eq!(slot_tolerance_ms(10_000), 2_500);
        assert_eq!(slot_tolerance_ms(60_000), 5_000);
    }
}
