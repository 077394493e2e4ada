//! The alerts no stage speaks for (rules without a stage the backend could decide): one line that
//! opens into the list, so nothing the ruler knows is hidden. A native `<details>`: keyboard and
//! screen readers work without code of ours.

use codexflow_core::api::EvaluateResponse;
use codexflow_core::AlertState;
use yew::prelude::*;

use super::clock::Clock;
use super::style::status_var;
use crate::view::{alerts_at, others_status};

/// The list at tick `cursor` (None = now); nothing when every alert has a stage. A plain function,
/// not a component: it has no state of its own, and a component costs the `.wasm` more.
pub fn others(answer: &EvaluateResponse, cursor: Option<usize>, clock: &Clock) -> Html {
    let list = alerts_at(answer, None, cursor, clock);
    if list.is_empty() {
        return Html::default();
    }
    let status = others_status(answer, &list);
    let count = |s: AlertState| list.iter().filter(|a| a.state == s).count();
    let summary = format!(
        "Other alerts: {} · {} firing · {} pending",
        list.len(),
        count(AlertState::Firing),
        count(AlertState::Pending)
    );
    html! {
        <details class="cf-others" data-testid="codex-flow-other-alerts" data-status={status.as_str()} style={format!("--cf-status:{}", status_var(status))}>
            <summary>{ summary }</summary>
            <ul>
                { for list.iter().map(|a| html! {
                    <li data-alert={a.name.clone()}>
                        <span class={classes!("cf-pill", format!("cf-pill-{}", a.state.as_str()))}>{ a.state.as_str() }</span>
                        { format!(" {}", a.name) }
                        if !a.labels.is_empty() {
                            <span class="cf-weak">{ format!(" {{{}}}", a.labels) }</span>
                        }
                        if let Some(text) = a.error.clone().or_else(|| a.reason.clone()) {
                            <div class="cf-weak">{ text }</div>
                        }
                        if let Some(note) = &a.ruler {
                            <div class="cf-ruler">{ format!("⚑ {note}") }</div>
                        }
                    </li>
                }) }
            </ul>
        </details>
    }
}
