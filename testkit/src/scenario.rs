//! Pipeline stories as sample data, rendered for both a Prometheus backfill and a promtool test.
//!
//! One scenario is one set of series sampled every `scrape_ms` from `start`.
//! The same samples become OpenMetrics (absolute timestamps, for the real
//! Prometheus the backend queries) and promtool `input_series` (time relative
//! to `start`, which promtool calls 0), so the backend and the oracle see
//! identical data.

use std::fmt::Write;

/// One series: metric name, labels and a value (or none) per scrape.
#[derive(Debug, Clone)]
pub struct SeriesData {
    pub metric: String,
    pub labels: Vec<(String, String)>,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// Epoch ms of the first scrape; a multiple of every evaluation interval used.
    pub start: i64,
    pub scrape_ms: i64,
    pub steps: usize,
    pub series: Vec<SeriesData>,
}

impl Scenario {
    pub fn new(name: &str, start: i64, scrape_ms: i64, duration_ms: i64) -> Scenario {
        Scenario {
            name: name.into(),
            start,
            scrape_ms,
            steps: (duration_ms / scrape_ms) as usize + 1,
            series: Vec::new(),
        }
    }

    pub fn end(&self) -> i64 {
        self.start + (self.steps as i64 - 1) * self.scrape_ms
    }

    /// Adds a series whose value at offset `t` (ms since `start`) is `f(t)`.
    pub fn series(&mut self, metric: &str, labels: &[(&str, &str)], f: impl Fn(i64) -> Option<f64>) -> &mut Self {
        let values = (0..self.steps).map(|i| f(i as i64 * self.scrape_ms)).collect();
        self.series.push(SeriesData {
            metric: metric.into(),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            values,
        });
        self
    }

    /// Adds a counter that grows at `rate(t)` per second, dropping to zero where `reset(t)` is true.
    pub fn counter(
        &mut self,
        metric: &str,
        labels: &[(&str, &str)],
        rate: impl Fn(i64) -> f64,
        reset: impl Fn(i64) -> bool,
        present: impl Fn(i64) -> bool,
    ) -> &mut Self {
        let mut total = 0.0;
        let step_s = self.scrape_ms as f64 / 1000.0;
        let values = (0..self.steps)
            .map(|i| {
                let t = i as i64 * self.scrape_ms;
                if reset(t) {
                    total = 0.0;
                } else if i > 0 {
                    total += rate(t) * step_s;
                }
                // Counters count whole events.
                present(t).then_some(total.floor())
            })
            .collect();
        self.series.push(SeriesData {
            metric: metric.into(),
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            values,
        });
        self
    }

    /// OpenMetrics text (without `# EOF`), series of one metric kept together as the format requires.
    pub fn openmetrics(&self) -> String {
        let mut series: Vec<&SeriesData> = self.series.iter().collect();
        series.sort_by(|a, b| a.metric.cmp(&b.metric));
        let mut out = String::new();
        for s in series {
            let name = selector(s);
            for (i, v) in s.values.iter().enumerate() {
                if let Some(v) = v {
                    let t = self.start + i as i64 * self.scrape_ms;
                    let _ = writeln!(out, "{name} {} {}.{:03}", om_value(*v), t.div_euclid(1000), t.rem_euclid(1000));
                }
            }
        }
        out
    }

    /// promtool `input_series` entries: (series, values with `_` for gaps).
    pub fn promtool_input(&self) -> Vec<(String, String)> {
        self.series
            .iter()
            .map(|s| {
                let values: Vec<String> = s.values.iter().map(|v| v.map_or("_".to_string(), om_value)).collect();
                (selector(s), values.join(" "))
            })
            .collect()
    }
}

/// Several scenarios (in time order) as one backfill file.
///
/// OpenMetrics wants each metric family in one block, so lines are grouped by
/// metric name; the sort is stable, so each series stays in time order.
pub fn openmetrics_of(scenarios: &[Scenario]) -> String {
    let mut lines: Vec<String> =
        scenarios.iter().flat_map(|sc| sc.openmetrics().lines().map(str::to_string).collect::<Vec<_>>()).collect();
    lines.sort_by(|a, b| a.split(['{', ' ']).next().cmp(&b.split(['{', ' ']).next()));
    let mut out: String = lines.into_iter().map(|l| l + "\n").collect();
    out.push_str("# EOF\n");
    out
}

fn selector(s: &SeriesData) -> String {
    if s.labels.is_empty() {
        return s.metric.clone();
    }
    let labels: Vec<String> =
        s.labels.iter().map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))).collect();
    format!("{}{{{}}}", s.metric, labels.join(","))
}

fn om_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_forms_from_the_same_samples() {
        let mut sc = Scenario::new("t", 60_000, 15_000, 30_000);
        sc.series("lag", &[("topic", "a")], |t| (t != 15_000).then_some(t as f64));
        sc.counter("c_total", &[], |_| 2.0, |t| t == 30_000, |_| true);
        assert_eq!(sc.steps, 3);
        assert_eq!(sc.openmetrics(), "c_total 0 60.000\nc_total 30 75.000\nc_total 0 90.000\nlag{topic=\"a\"} 0 60.000\nlag{topic=\"a\"} 30000 90.000\n");
        assert_eq!(
            sc.promtool_input(),
            [("lag{topic=\"a\"}".to_string(), "0 _ 30000".to_string()), ("c_total".to_string(), "0 30 0".to_string())]
        );
    }
}
