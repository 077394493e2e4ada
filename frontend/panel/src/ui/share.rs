//! Sharing a moment: the moment kept in the dashboard's URL (`core::moment_param`), and the
//! "Copy link to this moment" action, which the host carries out as Grafana's share drawer does.

use codexflow_core::moment_param::{key, Moment};
use yew::prelude::*;

use super::Bridge;

/// Keeps `moment` in the URL under panel `panel_id`'s parameter once the first answer has said
/// whether the URL's own moment exists (before that, writing would drop the moment a link brought).
#[hook]
pub fn use_moment_in_url(bridge: &Bridge, panel_id: u32, moment: Moment, answered: bool) {
    let bridge = bridge.clone();
    use_effect_with((moment, answered), move |(moment, answered)| {
        if *answered {
            bridge.write_moment(&key(panel_id), moment.value().as_deref());
        }
    });
}

/// A button that asks the host to share the moment, at `at`, as `what`: `link` (a link to it,
/// copied), `svg` or `png` (the diagram as shown, downloaded).
fn button(bridge: &Bridge, at: Option<i64>, what: &'static str, text: &'static str) -> Html {
    let bridge = bridge.clone();
    html! {
        <button class="cf-button" data-share={what} onclick={Callback::from(move |_: MouseEvent| bridge.share(what, at))}>{ text }</button>
    }
}

/// The button that copies a link to the moment.
pub fn copy_link(bridge: &Bridge) -> Html {
    button(bridge, None, "link", "Copy link to this moment")
}

/// The moment's actions, left out of an image of the diagram: back to now (`now`, when travel stays
/// at an instant), a link to the moment, and the diagram as shown at `at` (none: now) as SVG and PNG.
pub fn actions(bridge: &Bridge, at: Option<i64>, now: Option<Callback<MouseEvent>>) -> Html {
    html! {
        <span class="cf-export" data-export="omit">
            if let Some(onclick) = now {
                <button class="cf-button" data-testid="codex-flow-now" {onclick}>{ "Back to now" }</button>
            }
            { copy_link(bridge) }
            { button(bridge, at, "svg", "Export SVG") }
            { button(bridge, at, "png", "Export PNG") }
        </span>
    }
}
