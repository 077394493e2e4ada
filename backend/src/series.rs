//! Series as the upstream returns them, and the dense per-tick views evaluation draws from them.
//! Pure data: no I/O, so evaluation is tested on hand-made series.

use std::collections::BTreeMap;

use codexflow_core::api::Point;
use codexflow_core::Ticks;

pub type Labels = BTreeMap<String, String>;

/// One series of a range query, samples in time order (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub samples: Vec<(i64, f64)>,
}

impl RangeSeries {
    pub fn new(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> RangeSeries {
        RangeSeries {
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            samples: samples.to_vec(),
        }
    }
}

/// Joins series answered in pieces (chunks of one range, or an earlier range in front of a later
/// one), label set by label set, keeping each label set's samples in the order given.
pub fn merge(parts: impl IntoIterator<Item = Vec<RangeSeries>>) -> Vec<RangeSeries> {
    let mut by_labels: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    for part in parts {
        for s in part {
            by_labels.entry(s.labels).or_default().extend(s.samples);
        }
    }
    by_labels.into_iter().map(|(labels, samples)| RangeSeries { labels, samples }).collect()
}

/// Copies of the samples `keep` passes, and of nothing else (a day of a rule's series is read for a
/// few ticks on every refresh); a series left without any is left out, as the upstream leaves it out.
/// The one rule behind a filtered rule's answer, a part of a batch, a kept slice of ticks.
pub fn select(series: &[RangeSeries], keep: impl Fn(i64, f64) -> bool) -> Vec<RangeSeries> {
    series
        .iter()
        .filter_map(|s| {
            let samples: Vec<(i64, f64)> = s.samples.iter().copied().filter(|&(t, v)| keep(t, v)).collect();
            (!samples.is_empty()).then(|| RangeSeries { labels: s.labels.clone(), samples })
        })
        .collect()
}

/// The samples at `ticks`, as a range query over exactly those ticks answers.
pub fn at_ticks(series: &[RangeSeries], ticks: &Ticks) -> Vec<RangeSeries> {
    select(series, |t, _| ticks.contains(t))
}

/// Samples in time order, one per tick (a kept series and a fresh answer overlap where ticks were
/// asked again; the sort finds the few runs and merges them).
pub fn in_tick_order(mut series: Vec<RangeSeries>) -> Vec<RangeSeries> {
    for s in &mut series {
        s.samples.sort_by_key(|&(t, _)| t);
        s.samples.dedup_by_key(|&mut (t, _)| t);
    }
    series
}

/// The value at each tick (`None` where the series has no sample there).
pub fn dense_values(ticks: &Ticks, samples: &[(i64, f64)]) -> Vec<Option<f64>> {
    let mut values = vec![None; ticks.count];
    for &(t, v) in samples {
        if let Some(i) = ticks.index_of(t) {
            values[i] = Some(v);
        }
    }
    values
}

/// One point per tick, `v` from the sample at that tick or null where there is none.
pub fn dense_points(ticks: &Ticks, samples: &[(i64, f64)]) -> Vec<Point> {
    ticks.iter().zip(dense_values(ticks, samples)).map(|(t, v)| Point { t, v }).collect()
}

/// [`summed_points`] at sorted instants that need not be evenly spaced.
pub fn summed_points_at(instants: &[i64], series: &[RangeSeries]) -> Vec<Point> {
    let mut points: Vec<Point> = instants.iter().map(|&t| Point { t, v: None }).collect();
    for s in series {
        for &(t, v) in &s.samples {
            if let Ok(i) = instants.binary_search(&t) {
                points[i].v = Some(points[i].v.unwrap_or(0.0) + v);
            }
        }
    }
    points
}

/// The series summed tick by tick (a headline query that is not aggregated still gives one number);
/// a tick where no series has a sample stays null.
pub fn summed_points(ticks: &Ticks, series: &[RangeSeries]) -> Vec<Point> {
    let instants: Vec<i64> = ticks.iter().collect();
    summed_points_at(&instants, series)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    #[test]
    fn merging_keeps_label_sets_apart_and_samples_in_order() {
        let early = vec![RangeSeries::new(&[("a", "1")], &[(0, 1.0)]), RangeSeries::new(&[("a", "2")], &[(0, 5.0)])];
        let late = vec![RangeSeries::new(&[("a", "1")], &[(M, 2.0)])];
        let merged = merge([early, late]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].samples, [(0, 1.0), (M, 2.0)]);
    }

    #[test]
    fn samples_are_kept_on_their_ticks_in_order_and_empty_series_dropped() {
        let s = vec![
            RangeSeries::new(&[("a", "1")], &[(0, 0.0), (M, 1.0), (2 * M, 2.0), (6 * M, 6.0)]),
            RangeSeries::new(&[("a", "2")], &[(M, 1.0)]),
        ];
        let even = Ticks::between(0, 6 * M, 2 * M);
        assert_eq!(at_ticks(&s, &even), vec![RangeSeries::new(&[("a", "1")], &[(0, 0.0), (2 * M, 2.0), (6 * M, 6.0)])]);
        assert_eq!(select(&s, |_, v| v > 1.5).len(), 1);
        let merged = in_tick_order(merge([
            vec![RangeSeries::new(&[], &[(2 * M, 2.0)])],
            vec![RangeSeries::new(&[], &[(0, 0.0), (M, 1.0), (2 * M, 2.0)])],
        ]));
        assert_eq!(merged[0].samples, [(0, 0.0), (M, 1.0), (2 * M, 2.0)]);
    }

    #[test]
    fn dense_views_put_samples_on_their_ticks() {
        let ticks = Ticks { first: 0, step: M, count: 3 };
        assert_eq!(dense_values(&ticks, &[(M, 2.0), (M + 1, 9.0), (9 * M, 9.0)]), [None, Some(2.0), None]);
        let sum = summed_points(
            &ticks,
            &[RangeSeries::new(&[], &[(0, 1.0), (M, 1.0)]), RangeSeries::new(&[("x", "y")], &[(M, 2.5)])],
        );
        assert_eq!(sum.iter().map(|p| p.v).collect::<Vec<_>>(), [Some(1.0), Some(3.5), None]);
    }
}
