//! What changed (Grafana annotations, `core::changes`) as markers over the strips and the drill-down
//! charts: a line at the instant, focusable, its text and time shown on hover and on focus (drawn by
//! CSS from `data-text`, so no state or handler per marker).

use codexflow_core::changes::{fraction, Change};
use yew::prelude::*;

use super::clock::Clock;

/// A marker per change inside `[from, to]`, placed by `left` (the CSS `left` of its instant and its
/// fraction of the range); those in the right half open their text leftwards so it stays in the panel.
pub fn markers(changes: &[Change], from: i64, to: i64, clock: &Clock, left: &dyn Fn(i64, f64) -> String) -> Html {
    changes
        .iter()
        .filter_map(|c| {
            let at = fraction(c.time, from, to)?;
            let text = format!("{} · {}", clock.instant(c.time), c.label());
            let class = if at > 0.5 { "cf-change cf-change-r" } else { "cf-change" };
            Some(html! {
                <span class={class} style={format!("left:{}", left(c.time, at))} tabindex="0" role="note"
                    aria-label={text.clone()} data-text={text} data-testid="codex-flow-change"></span>
            })
        })
        .collect()
}
