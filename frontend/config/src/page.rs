//! The config page's state and every way it changes, as a reducer (Yew's `function_todomvc`
//! shape): the form, the errors marked at its fields, and where Save & test has got to. Pure and
//! tested on the host; the component only dispatches.

use crate::form::{ConfigForm, Field};

/// Where Save & test is.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Idle,
    Busy(&'static str),
    Failed(String),
    Tested { ok: bool, message: String, missing: Vec<String>, note: Option<String> },
}

impl Status {
    /// The status element's `data-state`.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Idle => "idle",
            Status::Busy(_) => "busy",
            Status::Failed(_) => "failed",
            Status::Tested { ok: true, .. } => "ok",
            Status::Tested { ok: false, .. } => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageState {
    pub form: ConfigForm,
    pub errors: Vec<(Field, String)>,
    pub status: Status,
}

pub enum PageAction {
    /// A keystroke in a text field.
    Text(fn(&mut ConfigForm, String), String),
    /// A button or choice that changes the form.
    Apply(fn(&mut ConfigForm)),
    /// Local checks failed: nothing was sent.
    Invalid(Vec<(Field, String)>),
    Busy(&'static str),
    /// The backend refused the settings at `Field`: nothing was saved.
    Rejected(Field, String),
    Failed(String),
    /// Grafana stored the form as it was submitted.
    Saved(Box<ConfigForm>),
    Tested {
        ok: bool,
        message: String,
        missing: Vec<String>,
        note: Option<String>,
    },
}

impl PageState {
    pub fn new(form: ConfigForm) -> PageState {
        PageState { form, errors: Vec::new(), status: Status::Idle }
    }

    pub fn busy(&self) -> bool {
        matches!(self.status, Status::Busy(_))
    }

    /// The error marked at `field`, if any.
    pub fn error(&self, field: Field) -> Option<String> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.clone())
    }

    pub fn reduce(&self, action: PageAction) -> PageState {
        let mut next = self.clone();
        match action {
            PageAction::Text(apply, value) => apply(&mut next.form, value),
            PageAction::Apply(apply) => apply(&mut next.form),
            PageAction::Invalid(errors) => {
                next.errors = errors;
                next.status = Status::Failed("Not saved: fix the fields marked below.".into());
            }
            PageAction::Busy(what) => {
                next.errors.clear();
                next.status = Status::Busy(what);
            }
            PageAction::Rejected(field, message) => {
                next.errors = vec![(field, message)];
                next.status = Status::Failed(
                    "Not saved: the backend rejected these settings (see below). The saved settings are unchanged."
                        .into(),
                );
            }
            PageAction::Failed(why) => next.status = Status::Failed(why),
            PageAction::Saved(mut submitted) => {
                submitted.saved();
                next.form = *submitted;
                next.status = Status::Busy("Saved. Testing the connection…");
            }
            PageAction::Tested { ok, message, missing, note } => {
                next.status = Status::Tested { ok, message, missing, note }
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::PluginMeta;

    #[test]
    fn save_and_test_walks_through_its_states() {
        let s = PageState::new(ConfigForm::from_meta(&PluginMeta::default()));
        let s = s.reduce(PageAction::Text(|f, v| f.prometheus_url = v, "http://p".into()));
        assert_eq!(s.form.prometheus_url, "http://p");
        let s = s.reduce(PageAction::Invalid(vec![(Field::TIMEOUT, "bad".into())]));
        assert_eq!((s.status.word(), s.error(Field::TIMEOUT).as_deref()), ("failed", Some("bad")));
        let s = s.reduce(PageAction::Busy("Checking the settings…"));
        assert!(s.busy() && s.errors.is_empty());
        let rejected = s.reduce(PageAction::Rejected(Field::RULES_YAML, "group g, rule 0: …".into()));
        assert_eq!(rejected.error(Field::RULES_YAML).as_deref(), Some("group g, rule 0: …"));
        let mut submitted = s.form.clone();
        submitted.bearer_token.value = "tok".into();
        submitted.auth = crate::form::AuthKind::Bearer;
        let saved = s.reduce(PageAction::Saved(Box::new(submitted)));
        assert!(
            saved.form.bearer_token.configured && saved.form.bearer_token.value.is_empty(),
            "the typed secret is now stored, and no longer held"
        );
        assert!(saved.form.enabled);
        let tested =
            saved.reduce(PageAction::Tested { ok: true, message: "Connected".into(), missing: vec![], note: None });
        assert_eq!(tested.status.word(), "ok");
    }
}
