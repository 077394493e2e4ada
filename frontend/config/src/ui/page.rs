//! The config page component: a plain form (native inputs, labels, keyboard order) over the page
//! reducer (`crate::page`), in fieldsets of their own.

use std::rc::Rc;

use codexflow_core::limits::{
    DEFAULT_INTERVAL, DEFAULT_QUEUE_WINDOW, DEFAULT_SETTLE, DEFAULT_TIMEOUT, MAX_INTERVAL, MAX_QUEUE_WINDOW,
    MAX_SETTLE, MAX_TIMEOUT, MIN_INTERVAL, MIN_QUEUE_WINDOW, MIN_SETTLE, MIN_TIMEOUT,
};
use codexflow_core::settings::{AuthKind, DEFAULT_RULE_GROUPS};
use yew::prelude::*;

use super::controls::{SecretInput, TextField};
use super::submit::{focus, save_and_test, Urls};
use super::{style, RootProps};
use crate::form::{ConfigForm, Field, RulesChoice, DEFAULT_PIPELINE, DEFAULT_RULES};
use crate::page::{PageAction, PageState, Status};

/// What happens to edits of a provisioned app (Grafana's provisioning replaces `jsonData` at start).
pub const PROVISIONED_NOTE: &str =
    "If this app is provisioned (a provisioning/plugins/*.yaml file), Grafana applies that file again at every start and these edits are lost: change the file too.";

/// [`PageState`] as Yew's reducer, so quick successive keystrokes never overwrite each other.
#[derive(PartialEq)]
pub struct Reducer(pub PageState);

impl Reducible for Reducer {
    type Action = PageAction;
    fn reduce(self: Rc<Self>, action: PageAction) -> Rc<Self> {
        Rc::new(Reducer(self.0.reduce(action)))
    }
}

type Dispatch = UseReducerDispatcher<Reducer>;

fn text(dispatch: &Dispatch, apply: fn(&mut ConfigForm, String)) -> Callback<String> {
    let dispatch = dispatch.clone();
    Callback::from(move |v: String| dispatch.dispatch(PageAction::Text(apply, v)))
}

fn act<E: 'static>(dispatch: &Dispatch, apply: fn(&mut ConfigForm)) -> Callback<E> {
    let dispatch = dispatch.clone();
    Callback::from(move |_: E| dispatch.dispatch(PageAction::Apply(apply)))
}

/// Save & test: local checks first (focus on the first field at fault), then the backend's; one
/// submission at a time.
fn on_submit(state: &UseReducerHandle<Reducer>, props: &RootProps) -> Callback<SubmitEvent> {
    let (state, host) = (state.clone(), props.host.clone());
    let urls =
        Urls { base: props.page.api_base.trim_end_matches('/').to_string(), plugin_id: props.page.plugin_id.clone() };
    Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        if state.0.busy() {
            return;
        }
        let submitted = state.0.form.clone();
        let local = submitted.local_errors();
        if let Some(&(first, _)) = local.first() {
            state.dispatch(PageAction::Invalid(local));
            focus(first);
            return;
        }
        state.dispatch(PageAction::Busy("Checking the settings…"));
        wasm_bindgen_futures::spawn_local(save_and_test(host.clone(), urls.clone(), submitted, state.dispatcher()));
    })
}

#[function_component(ConfigPage)]
pub fn config_page(props: &RootProps) -> Html {
    let page = &props.page;
    let state = use_reducer(|| Reducer(PageState::new(ConfigForm::from_meta(&page.meta))));
    let on_submit = on_submit(&state, props);
    let (s, dispatch) = (&state.0, state.dispatcher());
    let f = &s.form;
    html! {
        <form class="cfc-root" style={page.theme.css_vars()} onsubmit={on_submit} novalidate=true aria-labelledby="cfc-title" data-testid="cfc-form">
            <style>{ style::CSS }</style>
            <h2 id="cfc-title">{ "Codex Flow settings" }</h2>
            <p class="cfc-help">{ "Where the pipeline's metrics live and which alert rules decide a stage's health. Saved settings reach the backend with the next request; secrets are stored encrypted by Grafana and never shown again." }</p>
            if !f.enabled {
                <p class="cfc-note" role="note" data-testid="cfc-disabled">{ "The app is not enabled in this organisation. Save & test enables it." }</p>
            }
            if let Some(problem) = &f.load_problem {
                <p class="cfc-note" role="note">{ problem.clone() }</p>
            }
            <fieldset>
                <legend>{ "Prometheus or Mimir" }</legend>
                <TextField field={Field::PROMETHEUS_URL} label="Query URL" kind="url" value={f.prometheus_url.clone()} placeholder="http://prometheus:9090"
                    help="Base of the Prometheus HTTP API: http://prometheus:9090, or https://mimir.example/prometheus for Mimir."
                    error={s.error(Field::PROMETHEUS_URL)} on_input={text(&dispatch, |f, v| f.prometheus_url = v)} />
                <TextField field={Field::TENANT} label="Tenant" value={f.tenant.clone()} help="Mimir/Cortex tenant, sent as X-Scope-OrgID. Empty for plain Prometheus."
                    error={s.error(Field::TENANT)} on_input={text(&dispatch, |f, v| f.tenant = v)} />
                <TextField field={Field::TIMEOUT} label="Timeout" value={f.timeout.clone()} placeholder={DEFAULT_TIMEOUT.text}
                    help={format!("Per upstream request, {} to {}. Default {}.", MIN_TIMEOUT.text, MAX_TIMEOUT.text, DEFAULT_TIMEOUT.text)}
                    error={s.error(Field::TIMEOUT)} on_input={text(&dispatch, |f, v| f.timeout = v)} />
            </fieldset>
            <Authentication state={s.clone()} dispatch={dispatch.clone()} />
            <fieldset>
                <legend>{ "Alert evaluation" }</legend>
                <TextField field={Field::EVALUATION_INTERVAL} label="Evaluation interval" value={f.evaluation_interval.clone()} placeholder={DEFAULT_INTERVAL.text}
                    help={format!("Tick spacing for rules whose group has no interval of its own, like Prometheus' evaluation_interval, {} to {}. Default {}.", MIN_INTERVAL.text, MAX_INTERVAL.text, DEFAULT_INTERVAL.text)}
                    error={s.error(Field::EVALUATION_INTERVAL)} on_input={text(&dispatch, |f, v| f.evaluation_interval = v)} />
                <TextField field={Field::QUEUE_WINDOW} label="Queue insight window" value={f.queue_window.clone()} placeholder={DEFAULT_QUEUE_WINDOW.text}
                    help={format!("How far back a backlog's trend, drain time and consumer status look, {} to {}. Default {}.", MIN_QUEUE_WINDOW.text, MAX_QUEUE_WINDOW.text, DEFAULT_QUEUE_WINDOW.text)}
                    error={s.error(Field::QUEUE_WINDOW)} on_input={text(&dispatch, |f, v| f.queue_window = v)} />
                <TextField field={Field::SETTLE_TIME} label="Settle time" value={f.settle_time.clone()} placeholder={DEFAULT_SETTLE.text}
                    help={format!("Ticks older than this are kept and not asked of Prometheus again on refresh; make it longer than samples can arrive late (scrape delays, remote-write retries, the out-of-order window). {} to {}, {} keeps nothing. Default {}.", MIN_SETTLE.text, MAX_SETTLE.text, MIN_SETTLE.text, DEFAULT_SETTLE.text)}
                    error={s.error(Field::SETTLE_TIME)} on_input={text(&dispatch, |f, v| f.settle_time = v)} />
                <TextField field={Field::ALERTMANAGER_URL} label="Alertmanager URL" kind="url" value={f.alertmanager_url.clone()} placeholder="(empty: none)"
                    help="Optional. Base of an Alertmanager's API v2 (http://alertmanager:9093, or https://mimir.example/alertmanager): firing alerts it holds silenced or inhibited are shown so, with who silenced them and until when. Same authentication and tenant."
                    error={s.error(Field::ALERTMANAGER_URL)} on_input={text(&dispatch, |f, v| f.alertmanager_url = v)} />
                <RulesSource state={s.clone()} dispatch={dispatch.clone()} />
                <TextField multiline=true field={Field::RULES_YAML} label="Alert rules (YAML)" value={f.rules_yaml.clone()} placeholder="(empty: the ruler's or the runbook's rules)"
                    help="Prometheus/Mimir rule groups, used when the source is YAML, or Automatic and this is set. A `stage` label maps a rule to a stage."
                    error={s.error(Field::RULES_YAML)} on_input={text(&dispatch, |f, v| f.rules_yaml = v)} />
                <div class="cfc-row">
                    <button type="button" class="cfc-button" onclick={act::<MouseEvent>(&dispatch, |f| f.rules_yaml = DEFAULT_RULES.to_string())}>{ "Start from the runbook's rules" }</button>
                </div>
                <TextField multiline=true field={Field::STAGE_OF} label="Stage of each alert (JSON)" value={f.stage_of.clone()} placeholder={r#"{"DiskFull": "jangar"}"#}
                    help="For rules without a stage label: alert name → stage id. Others are mapped by the runbook's table, then by the metrics they read; the rest show as other alerts."
                    error={s.error(Field::STAGE_OF)} on_input={text(&dispatch, |f, v| f.stage_of = v)} />
            </fieldset>
            <fieldset>
                <legend>{ "Pipeline" }</legend>
                <TextField multiline=true field={Field::PIPELINE} label="Stages and edges (JSON)" value={f.pipeline.clone()} placeholder="(empty: the Codex pipeline)"
                    help="Empty: Kafka → NATS → Jangar → SSE as in the runbook. Same shape as the backend's v1/pipeline."
                    error={s.error(Field::PIPELINE)} on_input={text(&dispatch, |f, v| f.pipeline = v)} />
                <div class="cfc-row">
                    <button type="button" class="cfc-button" onclick={act::<MouseEvent>(&dispatch, |f| f.pipeline = DEFAULT_PIPELINE.to_string())}>{ "Start from the Codex pipeline" }</button>
                </div>
            </fieldset>
            if let Some(e) = s.error(Field::Form) {
                <p class="cfc-error" role="alert">{ e }</p>
            }
            <div class="cfc-row">
                <button type="submit" class="cfc-button cfc-primary" disabled={s.busy()} data-testid="cfc-save">{ if f.enabled { "Save & test" } else { "Enable, save & test" } }</button>
            </div>
            // Grafana applies provisioning files at every start and does not tell the page whether this
            // app came from one, so the rule is stated where it matters.
            <p class="cfc-help" data-testid="cfc-provisioned-note">{ PROVISIONED_NOTE }</p>
            <div aria-live="polite"><StatusView status={s.status.clone()} /></div>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct SectionProps {
    state: PageState,
    dispatch: Dispatch,
}

/// None, a bearer token or basic auth; the secrets as "configured" with Reset, never read back.
#[function_component(Authentication)]
fn authentication(p: &SectionProps) -> Html {
    let (s, dispatch) = (&p.state, &p.dispatch);
    let f = &s.form;
    let choose = |kind: AuthKind| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: Event| {
            dispatch.dispatch(PageAction::Text(|f, v| f.auth = AuthKind::parse(&v), kind.as_str().to_string()))
        })
    };
    let label = |kind: AuthKind| match kind {
        AuthKind::None => "None",
        AuthKind::Bearer => "Bearer token",
        AuthKind::Basic => "Basic auth",
    };
    html! {
        <fieldset>
            <legend>{ "Authentication" }</legend>
            <div class="cfc-radios" role="radiogroup" aria-label="Authentication">
                { for AuthKind::ALL.into_iter().map(|kind| html! {
                    <label class="cfc-radio-label">
                        <input type="radio" name="cfc-auth" value={kind.as_str()} checked={f.auth == kind} onchange={choose(kind)} data-testid={format!("cfc-auth-{}", kind.as_str())} />
                        { format!(" {}", label(kind)) }
                    </label>
                }) }
            </div>
            if f.auth == AuthKind::Bearer {
                <SecretInput field={Field::BEARER_TOKEN} label="Bearer token" secret={f.bearer_token.clone()} error={s.error(Field::BEARER_TOKEN)}
                    on_input={text(dispatch, |f, v| f.bearer_token.value = v)} on_reset={act::<MouseEvent>(dispatch, |f| f.bearer_token.reset = true)} />
            }
            if f.auth == AuthKind::Basic {
                <TextField field={Field::BASIC_AUTH_USER} label="User" value={f.basic_user.clone()} error={s.error(Field::BASIC_AUTH_USER)}
                    on_input={text(dispatch, |f, v| f.basic_user = v)} />
                <SecretInput field={Field::BASIC_AUTH_PASSWORD} label="Password" secret={f.basic_password.clone()} error={s.error(Field::BASIC_AUTH_PASSWORD)}
                    on_input={text(dispatch, |f, v| f.basic_password.value = v)} on_reset={act::<MouseEvent>(dispatch, |f| f.basic_password.reset = true)} />
            }
        </fieldset>
    }
}

/// Where the rules come from: the ruler's API (with its URL and which groups), YAML, built in, or
/// automatic; native radios in a group, as Authentication is.
#[function_component(RulesSource)]
fn rules_source(p: &SectionProps) -> Html {
    let (s, dispatch) = (&p.state, &p.dispatch);
    let f = &s.form;
    let choose = |choice: RulesChoice| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: Event| {
            dispatch.dispatch(PageAction::Text(
                |f, v| f.rules_source = RulesChoice::parse(&v).unwrap_or_default(),
                choice.as_str().to_string(),
            ))
        })
    };
    let label = |c: RulesChoice| match c {
        RulesChoice::Auto => "Automatic",
        RulesChoice::Ruler => "The ruler",
        RulesChoice::Yaml => "YAML below",
        RulesChoice::Builtin => "The runbook's rules",
    };
    let reads_ruler = matches!(f.rules_source, RulesChoice::Auto | RulesChoice::Ruler);
    html! {
        <>
            <div class="cfc-field">
                <span class="cfc-label" id="cfc-rules-source-label">{ "Rules come from" }</span>
                <div class="cfc-radios" role="radiogroup" aria-labelledby="cfc-rules-source-label" id={Field::RULES_SOURCE.id()}>
                    { for RulesChoice::ALL.into_iter().map(|c| html! {
                        <label class="cfc-radio-label">
                            <input type="radio" name="cfc-rules-source" value={c.as_str()} checked={f.rules_source == c} onchange={choose(c)} data-testid={format!("cfc-rules-source-{}", c.as_str())} />
                            { format!(" {}", label(c)) }
                        </label>
                    }) }
                </div>
                <div class="cfc-help">{ "Automatic: the YAML below when set, else the ruler when it has the groups, else the runbook's rules. The ruler's own state is shown beside these rules whatever the source." }</div>
                if let Some(e) = s.error(Field::RULES_SOURCE) { <div class="cfc-error" role="alert">{ e }</div> }
            </div>
            if reads_ruler {
                <TextField field={Field::RULER_URL} label="Ruler URL" kind="url" value={f.ruler_url.clone()} placeholder="(empty: the query URL)"
                    help="Base of the rules API (/api/v1/rules) when it is not the query URL, e.g. vmalert's http://vmalert:8880. Same authentication and tenant."
                    error={s.error(Field::RULER_URL)} on_input={text(dispatch, |f, v| f.ruler_url = v)} />
                <TextField field={Field::RULE_GROUPS} label="Rule groups" value={f.rule_groups.clone()} placeholder={DEFAULT_RULE_GROUPS}
                    help="The ruler's groups that are the pipeline's: a regular expression for the whole name (a|b lists names)."
                    error={s.error(Field::RULE_GROUPS)} on_input={text(dispatch, |f, v| f.rule_groups = v)} />
                <TextField field={Field::RULE_FILES} label="Rule files" value={f.rule_files.clone()} placeholder="(any)"
                    help="Optionally, only groups from files (Mimir: namespaces) matching this regular expression."
                    error={s.error(Field::RULE_FILES)} on_input={text(dispatch, |f, v| f.rule_files = v)} />
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct StatusProps {
    status: Status,
}

/// Where Save & test is, and what the health check said.
#[function_component(StatusView)]
fn status_view(p: &StatusProps) -> Html {
    let word = p.status.word();
    match &p.status {
        Status::Idle => html! {},
        Status::Busy(what) => {
            html! { <div class="cfc-status" data-testid="cfc-status" data-state={word}>{ *what }</div> }
        }
        Status::Failed(why) => {
            html! { <div class="cfc-status cfc-bad" data-testid="cfc-status" data-state={word}>{ why.clone() }</div> }
        }
        Status::Tested { ok, message, missing, note } => html! {
            <div class={classes!("cfc-status", if *ok { "cfc-ok" } else { "cfc-bad" })} data-testid="cfc-status" data-state={word}>
                <strong>{ if *ok { "Saved. Health check passed: " } else { "Saved. Health check failed: " } }</strong>{ message.clone() }
                if !missing.is_empty() {
                    <div class="cfc-help">{ format!("Stages reading these metrics will show no data: {}", missing.join(", ")) }</div>
                }
                if let Some(n) = note { <div class="cfc-help">{ n.clone() }</div> }
            </div>
        },
    }
}
