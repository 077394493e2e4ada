//! Save & test: check the form with the backend's own parser, save through Grafana's plugin settings
//! API, then run the health check, all through the host's request function. A rejected check
//! saves nothing; a check that cannot run saves anyway and says so.

use codexflow_core::api::{HealthAnswer, HealthStatus, SettingsCheckResponse};
use codexflow_core::error::ErrorCode;
use codexflow_core::web::{self, CallError};
use wasm_bindgen::JsCast;
use yew::UseReducerDispatcher;

use super::page::Reducer;
use super::Host;
use crate::form::{ConfigForm, Field};
use crate::page::PageAction;

/// Moves keyboard focus to a field's input, so an error is where the admin is.
pub fn focus(field: Field) {
    let el = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(field.id()));
    if let Some(el) = el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

/// Where the app's Grafana APIs are.
#[derive(Clone)]
pub struct Urls {
    pub base: String,
    pub plugin_id: String,
}

impl Urls {
    fn plugin(&self, rest: &str) -> String {
        format!("{}/api/plugins/{}/{rest}", self.base, self.plugin_id)
    }
}

pub async fn save_and_test(host: Host, urls: Urls, submitted: ConfigForm, dispatch: UseReducerDispatcher<Reducer>) {
    let body = serde_json::to_string(&submitted.check_request()).ok();
    let note = match web::call::<SettingsCheckResponse>(
        &host.request,
        "POST",
        &urls.plugin(&format!("resources/{}", codexflow_core::routes::SETTINGS_CHECK)),
        body,
        None,
    )
    .await
    {
        Ok(_) => None,
        Err(CallError::Api { error, .. }) if error.code == ErrorCode::Settings => {
            let field = error.field.as_deref().map_or(Field::Form, Field::from_path);
            dispatch.dispatch(PageAction::Rejected(field, error.error));
            focus(field);
            return;
        }
        // An older backend, or a Grafana that refuses resource calls here: save, and say so.
        Err(e) => Some(format!("The settings could not be checked before saving ({}).", e.message())),
    };
    dispatch.dispatch(PageAction::Busy("Saving…"));
    let update = serde_json::to_string(&submitted.update()).ok();
    if let Err(e) =
        web::call::<serde::de::IgnoredAny>(&host.request, "POST", &urls.plugin("settings"), update, None).await
    {
        dispatch.dispatch(PageAction::Failed(format!("Saving failed: {}. Nothing was changed.", e.message())));
        return;
    }
    host.saved(&submitted.saved_meta());
    dispatch.dispatch(PageAction::Saved(Box::new(submitted)));
    // Grafana answers 400 with the same shape when the check fails, so the body is read either way.
    let tested = match web::call_text(&host.request, "GET", &urls.plugin("health"), None, None).await {
        Ok((status, text)) => serde_json::from_str::<HealthAnswer>(&text)
            .map_err(|_| web::decode::<HealthAnswer>(status, &text).err().map_or_else(String::new, |e| e.message())),
        Err(e) => Err(e.message()),
    };
    dispatch.dispatch(match tested {
        Ok(h) => PageAction::Tested {
            ok: h.status == HealthStatus::Ok,
            message: h.message,
            missing: h.details.map(|d| d.metrics_missing).unwrap_or_default(),
            note,
        },
        Err(why) => PageAction::Tested {
            ok: false,
            message: format!("Saved, but the health check failed: {why}"),
            missing: Vec::new(),
            note,
        },
    });
}
