//! What the panel says when there is no diagram to draw: loading, not configured, failed (with a
//! retry), an empty pipeline. Never a blank box. Plain view functions: a component each would cost
//! the `.wasm` kilobytes for nothing, as none of them has state.

use yew::prelude::*;

pub fn loading() -> Html {
    html! { <div class="cf-message" role="status" aria-busy="true">{ "Loading pipeline health…" }</div> }
}

pub fn unconfigured(message: &str) -> Html {
    html! {
        <div class="cf-message" role="status">
            <strong>{ "Codex Flow is not configured" }</strong>
            <span>{ message.to_string() }</span>
            <span class="cf-weak">{ "Open Administration → Plugins and data → Plugins → Codex Flow, set the Prometheus URL, then Save & test." }</span>
        </div>
    }
}

pub fn failed(message: &str, on_retry: Callback<MouseEvent>) -> Html {
    html! {
        <div class="cf-message cf-error" role="alert">
            <strong>{ "Could not load pipeline health" }</strong>
            <span>{ message.to_string() }</span>
            <button class="cf-button" onclick={on_retry}>{ "Retry" }</button>
        </div>
    }
}

pub fn no_stages() -> Html {
    html! {
        <div class="cf-message" role="status"><strong>{ "The pipeline has no stages" }</strong>
            <span class="cf-weak">{ "Check jsonData.pipeline in the Codex Flow app settings." }</span></div>
    }
}
