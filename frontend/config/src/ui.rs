//! The config page component: a plain form (native inputs, labels, keyboard order) that checks with
//! the backend before saving, saves through Grafana's plugin settings API, then runs the health check.

use std::rc::Rc;

use codexflow_core::api::{ApiError, HealthDetails, SettingsCheckResponse};
use codexflow_core::theme::Theme;
use gloo_net::http::Request;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::form::{AuthKind, ConfigForm, Field, PluginMeta, Secret, DEFAULT_PIPELINE, DEFAULT_RULES};

/// What `module.js` hands the page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageProps {
    pub plugin_id: String,
    /// Grafana's `appSubUrl` (empty unless Grafana is served under a path).
    #[serde(default)]
    pub api_base: String,
    pub meta: PluginMeta,
    #[serde(default)]
    pub theme: Theme,
}

/// `module.js`'s callback for the saved settings meta (JSON), so Grafana's copy is updated in place.
#[derive(Clone)]
struct OnSaved(Option<js_sys::Function>);

impl PartialEq for OnSaved {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl OnSaved {
    fn emit(&self, meta: &crate::form::PluginMeta) {
        if let (Some(f), Ok(json)) = (&self.0, serde_json::to_string(meta)) {
            let _ = f.call1(&JsValue::NULL, &JsValue::from_str(&json));
        }
    }
}

#[derive(Properties, PartialEq)]
struct RootProps {
    page: PageProps,
    on_saved: OnSaved,
}

/// Grafana's answer to `GET /api/plugins/<id>/health`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct HealthAnswer {
    status: String,
    message: String,
    #[serde(default)]
    details: Option<HealthDetails>,
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    Idle,
    Busy(&'static str),
    Failed(String),
    Tested { ok: bool, message: String, missing: Vec<String>, note: Option<String> },
}

/// The form behind a reducer, so quick successive keystrokes never overwrite each other.
#[derive(Debug, Clone, PartialEq)]
struct FormState(ConfigForm);

enum Edit {
    Text(fn(&mut ConfigForm, String), String),
    Apply(fn(&mut ConfigForm)),
    Saved(ConfigForm),
}

impl Reducible for FormState {
    type Action = Edit;
    fn reduce(self: Rc<Self>, action: Edit) -> Rc<Self> {
        let mut form = self.0.clone();
        match action {
            Edit::Text(apply, value) => apply(&mut form, value),
            Edit::Apply(apply) => apply(&mut form),
            Edit::Saved(saved) => form = saved,
        }
        Rc::new(FormState(form))
    }
}

const CSS: &str = r#"
.cfc-root{max-width:760px;font-family:Inter,Helvetica,Arial,sans-serif;font-size:13px;color:var(--cfc-text)}
.cfc-root *{box-sizing:border-box}
.cfc-root h2{font-size:18px;font-weight:500;margin:0 0 4px}
.cfc-root fieldset{border:1px solid var(--cfc-border);border-radius:4px;margin:12px 0;padding:8px 12px 12px}
.cfc-root legend{padding:0 4px;font-weight:500}
.cfc-field{display:flex;flex-direction:column;gap:4px;margin-top:10px}
.cfc-field label,.cfc-radio-label{font-weight:500}
.cfc-help{color:var(--cfc-text-weak);font-size:12px}
.cfc-root input[type=text],.cfc-root input[type=url],.cfc-root input[type=password],.cfc-root textarea{font:inherit;color:var(--cfc-text);background:var(--cfc-bg);border:1px solid var(--cfc-border);border-radius:4px;padding:6px 8px;width:100%}
.cfc-root textarea{font-family:Menlo,Consolas,monospace;font-size:12px;min-height:140px;resize:vertical}
.cfc-root [aria-invalid=true]{border-color:var(--cfc-error)}
.cfc-root input:focus-visible,.cfc-root textarea:focus-visible,.cfc-root button:focus-visible{outline:2px solid var(--cfc-primary);outline-offset:1px}
.cfc-error{color:var(--cfc-error);font-size:12px}
.cfc-radios{display:flex;gap:16px;margin-top:6px}
.cfc-secret{display:flex;gap:8px;align-items:center}
.cfc-configured{flex:1;padding:6px 8px;border:1px dashed var(--cfc-border);border-radius:4px;color:var(--cfc-text-weak)}
.cfc-button{font:inherit;color:var(--cfc-text);background:var(--cfc-surface);border:1px solid var(--cfc-border);border-radius:4px;padding:5px 12px;cursor:pointer}
.cfc-primary{background:var(--cfc-primary);border-color:var(--cfc-primary);color:var(--cfc-on-primary)}
.cfc-button[disabled]{opacity:.6;cursor:default}
.cfc-row{display:flex;gap:8px;align-items:center;margin-top:6px}
.cfc-note{padding:8px 10px;border-radius:4px;border:1px solid var(--cfc-border);background:var(--cfc-surface)}
.cfc-status{margin-top:10px;padding:8px 10px;border-radius:4px;border:1px solid var(--cfc-border);background:var(--cfc-surface)}
.cfc-status.cfc-ok{border-color:var(--cfc-ok)}
.cfc-status.cfc-bad{border-color:var(--cfc-error)}
"#;

fn theme_vars(t: &Theme) -> String {
    // Grafana's primary buttons carry white text in both themes.
    format!(
        "--cfc-text:{};--cfc-text-weak:{};--cfc-bg:{};--cfc-surface:{};--cfc-border:{};--cfc-primary:{};--cfc-on-primary:#FFFFFF;--cfc-error:{};--cfc-ok:{};",
        t.text, t.text_weak, t.background, t.surface, t.border, t.primary, t.critical, t.ok
    )
}

fn focus(field: Field) {
    if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(field.id())) {
        if let Ok(el) = el.dyn_into::<HtmlElement>() {
            let _ = el.focus();
        }
    }
}

fn value_of(e: &InputEvent) -> String {
    if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
        return i.value();
    }
    e.target_dyn_into::<HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default()
}

/// Why the backend's check did not pass.
enum CheckFailure {
    /// The settings are wrong: this field, this message.
    Field(Field, String),
    /// The check could not run (older backend, network): saving goes ahead with this note.
    Unavailable(String),
}

async fn check(base: &str, plugin_id: &str, form: &ConfigForm) -> Result<SettingsCheckResponse, CheckFailure> {
    let url = format!("{base}/api/plugins/{plugin_id}/resources/v1/settings/check");
    let body = serde_json::to_string(&form.check_request()).map_err(|e| CheckFailure::Unavailable(e.to_string()))?;
    let request = Request::post(&url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .body(body)
        .map_err(|e| CheckFailure::Unavailable(e.to_string()))?;
    let response = request.send().await.map_err(|e| CheckFailure::Unavailable(format!("cannot reach Grafana: {e}")))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| CheckFailure::Unavailable(e.to_string()))?;
    if status == 200 {
        return serde_json::from_str(&text).map_err(|e| CheckFailure::Unavailable(format!("unexpected answer: {e}")));
    }
    match serde_json::from_str::<ApiError>(&text) {
        Ok(e) if e.code == "settings" => {
            let field = e.field.as_deref().map_or(Field::Form, Field::from_path);
            Err(CheckFailure::Field(field, e.error))
        }
        Ok(e) => Err(CheckFailure::Unavailable(e.error)),
        Err(_) => Err(CheckFailure::Unavailable(format!("HTTP {status}"))),
    }
}

/// Grafana's error bodies carry `message`.
fn grafana_message(text: &str, status: u16) -> String {
    #[derive(Deserialize)]
    struct Message {
        message: String,
    }
    serde_json::from_str::<Message>(text).map(|m| m.message).unwrap_or_else(|_| format!("HTTP {status}"))
}

async fn save(base: &str, plugin_id: &str, form: &ConfigForm) -> Result<(), String> {
    let body = serde_json::to_string(&form.update()).map_err(|e| e.to_string())?;
    let response = Request::post(&format!("{base}/api/plugins/{plugin_id}/settings"))
        .header("Content-Type", "application/json")
        .body(body)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(|e| format!("cannot reach Grafana: {e}"))?;
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(grafana_message(&response.text().await.unwrap_or_default(), status))
}

async fn health(base: &str, plugin_id: &str) -> Result<HealthAnswer, String> {
    let response = Request::get(&format!("{base}/api/plugins/{plugin_id}/health"))
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("cannot reach Grafana: {e}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<HealthAnswer>(&text).map_err(|_| grafana_message(&text, status))
}

fn error_of(errors: &[(Field, String)], field: Field) -> Option<String> {
    errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone())
}

/// A labelled control with its help text and error, wired for screen readers.
fn labelled(field: Field, label: &str, help: &str, error: Option<String>, control: Html) -> Html {
    html! {
        <div class="cfc-field">
            <label for={field.id()}>{ label }</label>
            { control }
            if !help.is_empty() {
                <span class="cfc-help" id={format!("{}-help", field.id())}>{ help }</span>
            }
            if let Some(e) = error {
                <span class="cfc-error" id={format!("{}-error", field.id())} role="alert">{ e }</span>
            }
        </div>
    }
}

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

#[function_component(ConfigPage)]
fn config_page(props: &RootProps) -> Html {
    let page = &props.page;
    let form = use_reducer(|| FormState(ConfigForm::from_meta(&page.meta)));
    let errors = use_state(Vec::<(Field, String)>::new);
    let status = use_state(|| Status::Idle);
    let busy = matches!(*status, Status::Busy(_));

    let edit = |apply: fn(&mut ConfigForm, String)| {
        let form = form.dispatcher();
        Callback::from(move |e: InputEvent| form.dispatch(Edit::Text(apply, value_of(&e))))
    };
    let act = |apply: fn(&mut ConfigForm)| {
        let form = form.dispatcher();
        Callback::from(move |_: MouseEvent| form.dispatch(Edit::Apply(apply)))
    };
    let choose_auth = |kind: &'static str| {
        let form = form.dispatcher();
        Callback::from(move |_: Event| form.dispatch(Edit::Text(|f, v| f.auth = AuthKind::parse(&v), kind.to_string())))
    };

    let on_submit = {
        let (form, errors, status, on_saved) = (form.clone(), errors.clone(), status.clone(), props.on_saved.clone());
        let (base, plugin_id) = (page.api_base.trim_end_matches('/').to_string(), page.plugin_id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if matches!(*status, Status::Busy(_)) {
                return;
            }
            let submitted = form.0.clone();
            let local = submitted.local_errors();
            if let Some((first, _)) = local.first() {
                let first = *first;
                errors.set(local);
                status.set(Status::Failed("Not saved: fix the fields marked below.".into()));
                focus(first);
                return;
            }
            errors.set(Vec::new());
            status.set(Status::Busy("Checking the settings…"));
            let (form, errors, status, base, plugin_id, on_saved) =
                (form.clone(), errors.clone(), status.clone(), base.clone(), plugin_id.clone(), on_saved.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let note = match check(&base, &plugin_id, &submitted).await {
                    Ok(_) => None,
                    Err(CheckFailure::Field(field, message)) => {
                        errors.set(vec![(field, message)]);
                        status.set(Status::Failed("Not saved: the backend rejected these settings (see below). The saved settings are unchanged.".into()));
                        focus(field);
                        return;
                    }
                    Err(CheckFailure::Unavailable(why)) => Some(format!("The settings could not be checked before saving ({why}).")),
                };
                status.set(Status::Busy("Saving…"));
                if let Err(why) = save(&base, &plugin_id, &submitted).await {
                    status.set(Status::Failed(format!("Saving failed: {why}. Nothing was changed.")));
                    return;
                }
                on_saved.emit(&submitted.saved_meta());
                let mut saved = submitted;
                saved.saved();
                form.dispatch(Edit::Saved(saved));
                status.set(Status::Busy("Saved. Testing the connection…"));
                status.set(match health(&base, &plugin_id).await {
                    Ok(h) => Status::Tested {
                        ok: h.status == "OK",
                        message: h.message,
                        missing: h.details.map(|d| d.metrics_missing).unwrap_or_default(),
                        note,
                    },
                    Err(why) => Status::Tested { ok: false, message: format!("Saved, but the health check failed: {why}"), missing: Vec::new(), note },
                });
            });
        })
    };

    let f = &form.0;
    let text_input = |field: Field, label: &str, help: &str, value: &str, placeholder: &str, kind: &str, oninput: Callback<InputEvent>| {
        let error = error_of(&errors, field);
        let described = described_by(field, !help.is_empty(), error.is_some());
        labelled(
            field,
            label,
            help,
            error.clone(),
            html! {
                <input id={field.id()} type={kind.to_string()} value={value.to_string()} placeholder={placeholder.to_string()} {oninput}
                    aria-invalid={error.is_some().to_string()} aria-describedby={described} autocomplete="off" spellcheck="false" />
            },
        )
    };
    let secret_input = |field: Field, label: &str, secret: &Secret, oninput: Callback<InputEvent>, onreset: Callback<MouseEvent>| {
        let error = error_of(&errors, field);
        let described = described_by(field, false, error.is_some());
        let control = if secret.shows_configured() {
            html! {
                <div class="cfc-secret">
                    <input id={field.id()} type="text" class="cfc-configured" value="configured" disabled=true aria-describedby={described} />
                    <button type="button" class="cfc-button" onclick={onreset} data-testid={format!("{}-reset", field.id())}>{ "Reset" }</button>
                </div>
            }
        } else {
            html! {
                <input id={field.id()} type="password" value={secret.value.clone()} {oninput} autocomplete="new-password"
                    placeholder={if secret.configured { "enter a new value (the stored one is removed on save)" } else { "not configured" }}
                    aria-invalid={error.is_some().to_string()} aria-describedby={described} />
            }
        };
        labelled(field, label, "", error, control)
    };
    let textarea = |field: Field, label: &str, help: &str, value: &str, placeholder: &str, oninput: Callback<InputEvent>| {
        let error = error_of(&errors, field);
        let described = described_by(field, true, error.is_some());
        labelled(
            field,
            label,
            help,
            error.clone(),
            html! { <textarea id={field.id()} wrap="off" value={value.to_string()} placeholder={placeholder.to_string()} {oninput} spellcheck="false" aria-invalid={error.is_some().to_string()} aria-describedby={described} /> },
        )
    };

    let status_view = match &*status {
        Status::Idle => html! {},
        Status::Busy(what) => html! { <div class="cfc-status" data-testid="cfc-status" data-state="busy">{ *what }</div> },
        Status::Failed(why) => html! { <div class="cfc-status cfc-bad" data-testid="cfc-status" data-state="failed">{ why.clone() }</div> },
        Status::Tested { ok, message, missing, note } => html! {
            <div class={classes!("cfc-status", if *ok { "cfc-ok" } else { "cfc-bad" })} data-testid="cfc-status" data-state={if *ok { "ok" } else { "error" }}>
                <strong>{ if *ok { "Saved. Health check passed: " } else { "Saved. Health check failed: " } }</strong>{ message.clone() }
                if !missing.is_empty() {
                    <div class="cfc-help">{ format!("Stages reading these metrics will show no data: {}", missing.join(", ")) }</div>
                }
                if let Some(n) = note { <div class="cfc-help">{ n.clone() }</div> }
            </div>
        },
    };
    let form_error = error_of(&errors, Field::Form);
    html! {
        <form class="cfc-root" style={theme_vars(&page.theme)} onsubmit={on_submit} novalidate=true aria-labelledby="cfc-title" data-testid="cfc-form">
            <style>{ CSS }</style>
            <h2 id="cfc-title">{ "Codex Flow settings" }</h2>
            <p class="cfc-help">{ "Where the pipeline's metrics live and which alert rules decide a stage's health. Saved settings reach the backend with the next request; secrets are stored encrypted by Grafana and never shown again." }</p>
            if !f.enabled {
                <p class="cfc-note" role="note" data-testid="cfc-disabled">{ "The app is not enabled in this organisation. Save & test enables it." }</p>
            }
            <fieldset>
                <legend>{ "Prometheus or Mimir" }</legend>
                { text_input(Field::PrometheusUrl, "Query URL", "Base of the Prometheus HTTP API: http://prometheus:9090, or https://mimir.example/prometheus for Mimir.", &f.prometheus_url, "http://prometheus:9090", "url", edit(|f, v| f.prometheus_url = v)) }
                { text_input(Field::Tenant, "Tenant", "Mimir/Cortex tenant, sent as X-Scope-OrgID. Empty for plain Prometheus.", &f.tenant, "", "text", edit(|f, v| f.tenant = v)) }
                { text_input(Field::Timeout, "Timeout", "Per upstream request. Default 10s.", &f.timeout, "10s", "text", edit(|f, v| f.timeout = v)) }
            </fieldset>
            <fieldset>
                <legend>{ "Authentication" }</legend>
                <div class="cfc-radios" role="radiogroup" aria-label="Authentication">
                    { for [("none", "None"), ("bearer", "Bearer token"), ("basic", "Basic auth")].into_iter().map(|(kind, label)| html! {
                        <label class="cfc-radio-label">
                            <input type="radio" name="cfc-auth" value={kind} checked={f.auth.as_str() == kind} onchange={choose_auth(kind)} data-testid={format!("cfc-auth-{kind}")} />
                            { format!(" {label}") }
                        </label>
                    }) }
                </div>
                if f.auth == AuthKind::Bearer {
                    { secret_input(Field::BearerToken, "Bearer token", &f.bearer_token, edit(|f, v| f.bearer_token.value = v), act(|f| f.bearer_token.reset = true)) }
                }
                if f.auth == AuthKind::Basic {
                    { text_input(Field::BasicAuthUser, "User", "", &f.basic_user, "", "text", edit(|f, v| f.basic_user = v)) }
                    { secret_input(Field::BasicAuthPassword, "Password", &f.basic_password, edit(|f, v| f.basic_password.value = v), act(|f| f.basic_password.reset = true)) }
                }
            </fieldset>
            <fieldset>
                <legend>{ "Alert evaluation" }</legend>
                { text_input(Field::EvaluationInterval, "Evaluation interval", "Tick spacing, like Prometheus' evaluation_interval. Default 1m.", &f.evaluation_interval, "1m", "text", edit(|f, v| f.evaluation_interval = v)) }
                { textarea(Field::RulesYaml, "Alert rules (YAML)", "Prometheus/Mimir rule groups. Empty: the runbook's four rules. A `stage` label maps a rule to a stage.", &f.rules_yaml, "(empty: the runbook's rules)", edit(|f, v| f.rules_yaml = v)) }
                <div class="cfc-row">
                    <button type="button" class="cfc-button" onclick={act(|f| f.rules_yaml = DEFAULT_RULES.to_string())}>{ "Start from the runbook's rules" }</button>
                </div>
            </fieldset>
            <fieldset>
                <legend>{ "Pipeline" }</legend>
                { textarea(Field::Pipeline, "Stages and edges (JSON)", "Empty: Kafka → NATS → Jangar → SSE as in the runbook. Same shape as the backend's v1/pipeline.", &f.pipeline, "(empty: the Codex pipeline)", edit(|f, v| f.pipeline = v)) }
                <div class="cfc-row">
                    <button type="button" class="cfc-button" onclick={act(|f| f.pipeline = DEFAULT_PIPELINE.to_string())}>{ "Start from the Codex pipeline" }</button>
                </div>
            </fieldset>
            if let Some(e) = form_error {
                <p class="cfc-error" role="alert">{ e }</p>
            }
            <div class="cfc-row">
                <button type="submit" class="cfc-button cfc-primary" disabled={busy} data-testid="cfc-save">{ if f.enabled { "Save & test" } else { "Enable, save & test" } }</button>
            </div>
            <div aria-live="polite">{ status_view }</div>
        </form>
    }
}

/// The mounted page; `unmount` when Grafana removes it.
#[wasm_bindgen]
pub struct ConfigHandle {
    app: Option<yew::AppHandle<ConfigPage>>,
}

#[wasm_bindgen]
impl ConfigHandle {
    pub fn unmount(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
    }
}

/// Renders the config page into `element`. `props` is JSON: `{pluginId, apiBase, meta, theme}`;
/// `on_saved` receives the settings meta (JSON, secrets only as flags) after each successful save.
#[wasm_bindgen]
pub fn mount_config(element: web_sys::Element, props: &str, on_saved: Option<js_sys::Function>) -> Result<ConfigHandle, JsValue> {
    let page: PageProps = serde_json::from_str(props).map_err(|e| JsValue::from_str(&format!("Codex Flow config page: bad props: {e}")))?;
    let app = yew::Renderer::<ConfigPage>::with_root_and_props(element, RootProps { page, on_saved: OnSaved(on_saved) }).render();
    Ok(ConfigHandle { app: Some(app) })
}
