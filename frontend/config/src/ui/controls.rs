//! The config page's controls: native inputs with a label, help text and an error each, wired for
//! screen readers (`aria-describedby`, `aria-invalid`), and a secret's "configured / Reset" state.

use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::form::{Field, Secret};

fn described_by(field: Field, has_help: bool, has_error: bool) -> String {
    let mut ids = Vec::new();
    if has_help {
        ids.push(format!("{}-help", field.id()));
    }
    if has_error {
        ids.push(format!("{}-error", field.id()));
    }
    ids.join(" ")
}

fn value_of(e: &InputEvent) -> String {
    if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
        return i.value();
    }
    e.target_dyn_into::<HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default()
}

#[derive(Properties, PartialEq)]
struct LabelledProps {
    field: Field,
    label: AttrValue,
    help: AttrValue,
    error: Option<String>,
    children: Html,
}

/// A labelled control with its help text and error.
#[function_component(Labelled)]
fn labelled(p: &LabelledProps) -> Html {
    let id = p.field.id();
    html! {
        <div class="cfc-field">
            <label for={id}>{ p.label.clone() }</label>
            { p.children.clone() }
            if !p.help.is_empty() {
                <span class="cfc-help" id={format!("{id}-help")}>{ p.help.clone() }</span>
            }
            if let Some(e) = &p.error {
                <span class="cfc-error" id={format!("{id}-error")} role="alert">{ e.clone() }</span>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct TextProps {
    pub field: Field,
    pub label: AttrValue,
    #[prop_or_default]
    pub help: AttrValue,
    pub value: AttrValue,
    #[prop_or_default]
    pub placeholder: AttrValue,
    /// The input's `type` (`text`, `url`); ignored for a text area.
    #[prop_or(AttrValue::Static("text"))]
    pub kind: AttrValue,
    /// A text area (rules YAML, pipeline JSON) instead of a one-line input.
    #[prop_or_default]
    pub multiline: bool,
    pub error: Option<String>,
    pub on_input: Callback<String>,
}

/// A text input or text area with its label, help and error.
#[function_component(TextField)]
pub fn text_field(p: &TextProps) -> Html {
    let on_input = p.on_input.clone();
    let oninput = Callback::from(move |e: InputEvent| on_input.emit(value_of(&e)));
    let described = described_by(p.field, !p.help.is_empty(), p.error.is_some());
    let invalid = p.error.is_some().to_string();
    let control = if p.multiline {
        html! { <textarea id={p.field.id()} wrap="off" value={p.value.clone()} placeholder={p.placeholder.clone()} spellcheck="false" {oninput} aria-invalid={invalid} aria-describedby={described} /> }
    } else {
        html! { <input id={p.field.id()} type={p.kind.clone()} value={p.value.clone()} placeholder={p.placeholder.clone()} {oninput} aria-invalid={invalid} aria-describedby={described} autocomplete="off" spellcheck="false" /> }
    };
    html! { <Labelled field={p.field} label={p.label.clone()} help={p.help.clone()} error={p.error.clone()}>{ control }</Labelled> }
}

#[derive(Properties, PartialEq)]
pub struct SecretProps {
    pub field: Field,
    pub label: AttrValue,
    pub secret: Secret,
    pub error: Option<String>,
    pub on_input: Callback<String>,
    pub on_reset: Callback<MouseEvent>,
}

/// A secret: "configured" with a Reset button when Grafana holds one, otherwise a password input.
/// The stored value is never shown, because the page never has it.
#[function_component(SecretInput)]
pub fn secret_input(p: &SecretProps) -> Html {
    let described = described_by(p.field, false, p.error.is_some());
    let id = p.field.id();
    let control = if p.secret.shows_configured() {
        html! {
            <div class="cfc-secret">
                <input id={id} type="text" class="cfc-configured" value="configured" disabled=true aria-describedby={described} />
                <button type="button" class="cfc-button" onclick={p.on_reset.clone()} data-testid={format!("{id}-reset")}>{ "Reset" }</button>
            </div>
        }
    } else {
        let on_input = p.on_input.clone();
        let placeholder = if p.secret.configured {
            "enter a new value (the stored one is removed on save)"
        } else {
            "not configured"
        };
        html! {
            <input id={id} type="password" value={p.secret.value.clone()} autocomplete="new-password" placeholder={placeholder}
                oninput={Callback::from(move |e: InputEvent| on_input.emit(value_of(&e)))}
                aria-invalid={p.error.is_some().to_string()} aria-describedby={described} />
        }
    };
    html! { <Labelled field={p.field} label={p.label.clone()} help="" error={p.error.clone()}>{ control }</Labelled> }
}
