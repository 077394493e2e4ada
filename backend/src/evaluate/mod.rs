//! `v1/evaluate`: the pipeline's health over a window, tick by tick.
//!
//! Each rule's own PromQL runs upstream as a range query whose steps are the evaluation ticks,
//! starting early enough (`for` + `keep_firing_for` + two ticks) that the state at the first tick is
//! already what a ruler that has always been running would report; the results then go through
//! the same state machine Prometheus uses. The work is split so the logic is tested without a
//! server: [`plan`] (which ticks, checked, per rule group), [`fetch`] (what to ask, as asks
//! through `crate::upstream`; a failing query degrades its stage only), [`presence`] (which
//! selectors have series), [`annotations`] (what each alert says about itself), [`overlay`] (the
//! ruler's own states beside ours), [`queue`] (what each backlog stage's insight reads),
//! [`silences`] (the Alertmanager's word on the alerts) and [`assemble`] (pure).

pub mod alerts;
pub mod annotations;
pub mod assemble;
pub mod fetch;
pub mod history;
pub mod overlay;
pub mod plan;
pub mod presence;
pub mod queue;
pub mod silences;

use codexflow_core::api::{EvaluateRequest, EvaluateResponse};
use codexflow_core::error::FieldError;

use crate::budget::Budget;
use crate::rules_in_force::InForce;
use crate::settings::Settings;
use crate::settings_cache::Ready;
use crate::upstream::Upstream;

/// Evaluates `req` now with compiled settings: the rules in force now, the settings' settled ticks
/// kept and reused. What `v1/evaluate` and the data source's queries both answer from.
pub async fn evaluate_now(ready: &Ready, req: &EvaluateRequest) -> Result<EvaluateResponse, FieldError> {
    let now = crate::plugin::now_ms();
    let rules = ready.rules(now).await;
    let upstream = Upstream::new(&ready.client, &ready.settled, now);
    evaluate(&ready.settings, &upstream, &rules, req).await
}

/// Evaluates the window of `req` with the rules in force; what it asks of the upstream and holds is
/// bounded by a budget of its own (`crate::budget`), given back when it returns.
/// Range queries go through `upstream`'s planner: what was kept is not asked again.
pub async fn evaluate(
    settings: &Settings,
    upstream: &Upstream<'_>,
    rules: &InForce,
    req: &EvaluateRequest,
) -> Result<EvaluateResponse, FieldError> {
    let plan = plan::plan(req, settings.interval_ms, &rules.set)?;
    let budget = Budget::default();
    let fetched = fetch::fetch(settings, upstream, rules, &plan, &budget).await;
    Ok(assemble::assemble(settings, rules, req, &plan, fetched, &budget))
}
