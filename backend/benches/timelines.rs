//! The backend's whole per-rule step after the upstream answers: dense samples, label sets, the state
//! machine and the JSON-ready timelines, for 7 days at 15 s and 20 series.
//! Run: cargo bench -p codexflow-backend --bench timelines

use codexflow_backend::evaluate::alerts::alerts_of;
use codexflow_backend::rules::RuleSet;
use codexflow_backend::series::RangeSeries;
use codexflow_core::Ticks;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let ticks = Ticks { first: 1_795_000_000_000, step: 15_000, count: 7 * 24 * 60 * 4 };
    let rule = RuleSet::parse("groups:\n- name: g\n  rules:\n  - alert: Lag\n    expr: sum by (partition) (lag) > 1000\n    for: 15m\n    labels: {stage: kafka, severity: warning}\n")
        .unwrap()
        .rules
        .remove(0);
    let series: Vec<RangeSeries> = (0..20)
        .map(|p| RangeSeries {
            labels: [("partition".to_string(), p.to_string())].into(),
            samples: ticks
                .iter()
                .enumerate()
                .filter(|(i, _)| (i / (37 + p)) % 3 != 0)
                .map(|(_, t)| (t, 1500.0))
                .collect(),
        })
        .collect();
    c.bench_function("alerts_of 7d@15s x 20 series (dense + machine + timelines)", |b| {
        b.iter(|| {
            alerts_of(
                black_box(&rule),
                0,
                black_box(&series),
                ticks,
                &ticks,
                &codexflow_backend::budget::Budget::default(),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
