//! Pure evaluation: the alert state machine and stage aggregation over 7 days at 15 s ticks for 20 series.
//! Target (issue 2): ≤ 10 ms. Run: cargo bench -p codexflow-core --bench evaluation

use codexflow_core::alerting::{run_alert, AlertState, Observation, RuleTiming, TickState, Ticks};
use codexflow_core::status::{fold_alert_into, StageStatus};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const TICKS: usize = 7 * 24 * 60 * 4; // 40,320
const SERIES: usize = 20;

/// Episodes of presence and absence of varying length, different per series (a cheap LCG, no rand crate).
fn observations() -> Vec<Vec<bool>> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..SERIES)
        .map(|_| {
            let mut out = Vec::with_capacity(TICKS);
            let mut present = false;
            while out.len() < TICKS {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let run = 1 + (seed >> 33) as usize % 240;
                out.extend(std::iter::repeat_n(present, run.min(TICKS - out.len())));
                present = !present;
            }
            out
        })
        .collect()
}

fn evaluate(obs: &[Vec<bool>], buf: &mut Vec<TickState>, stages: &mut [Vec<StageStatus>]) {
    let ticks = Ticks { first: 1_795_000_000_000, step: 15_000, count: TICKS };
    let timing = RuleTiming { hold_ms: 15 * 60_000, keep_firing_for_ms: 5 * 60_000 };
    for s in stages.iter_mut() {
        s.iter_mut().for_each(|x| *x = StageStatus::Ok);
    }
    for (i, series) in obs.iter().enumerate() {
        run_alert(timing, &ticks, |t| if series[t] { Observation::Sample } else { Observation::Absent }, buf);
        let severity = if i % 3 == 0 { "critical" } else { "warning" };
        fold_alert_into(&mut stages[i % stages.len()], buf.iter().map(|s| s.state), severity);
    }
}

fn bench(c: &mut Criterion) {
    let obs = observations();
    let mut buf = Vec::with_capacity(TICKS);
    let mut stages = vec![vec![StageStatus::Ok; TICKS]; 4];
    evaluate(&obs, &mut buf, &mut stages);
    let firing = stages.iter().flatten().filter(|s| **s >= StageStatus::Warning).count();
    assert!(firing > 0 && buf.iter().any(|s| s.state == AlertState::Pending), "the workload must exercise every state");
    c.bench_function("evaluate 7d@15s x 20 series (state machine + stage aggregation)", |b| {
        b.iter(|| evaluate(black_box(&obs), &mut buf, &mut stages))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
