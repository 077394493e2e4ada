//! The panel's state and every way it changes, as a reducer (Yew's `function_todomvc` shape): the
//! components only dispatch actions, and what each action does is pure and tested on the host.

use std::rc::Rc;

use codexflow_core::api::EvaluateResponse;
use codexflow_core::changes::Change;
use codexflow_core::error::ErrorCode;
use codexflow_core::moment_param::Moment;
use codexflow_core::web::CallError;

use crate::view::moment;

/// The last good answer, numbered so effects and memos can key on it cheaply.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub generation: u32,
    pub data: Shared,
}

/// An answer compared by identity. Every arrival is a new allocation, so two props hold the same
/// answer exactly when they hold the same one; comparing a day of ticks of every stage field by field
/// on every render cost time, and its code cost the panel's budgeted bytes.
#[derive(Debug, Clone)]
pub struct Shared(Rc<EvaluateResponse>);

impl Shared {
    pub fn new(answer: EvaluateResponse) -> Shared {
        Shared(Rc::new(answer))
    }
}

impl PartialEq for Shared {
    fn eq(&self, other: &Shared) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Shared {
    type Target = EvaluateResponse;
    fn deref(&self) -> &EvaluateResponse {
        &self.0
    }
}

/// Why there is nothing (new) to show, as the panel tells the user.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The app's settings are missing or invalid, or its backend is not installed: say what to do.
    Unconfigured(String),
    /// Anything else, with the message to show.
    Failed(String),
}

impl Problem {
    /// The problem a failed call is, or `None` for a call the panel cancelled itself.
    pub fn of(e: CallError) -> Option<Problem> {
        match e {
            CallError::Aborted => None,
            CallError::Api { error, .. } if error.code == ErrorCode::Settings => {
                Some(Problem::Unconfigured(error.error))
            }
            CallError::Http { status: 404, .. } => Some(Problem::Unconfigured(
                "the Codex Flow app backend is not available: install and enable the proompteng-codexflow-app plugin"
                    .into(),
            )),
            other => Some(Problem::Failed(other.message())),
        }
    }
}

/// What the panel shows as a whole, also its root's `data-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Loading,
    Unconfigured,
    Error,
    Refreshing,
    Ready,
}

impl Phase {
    /// Whether the panel has drawn what it will show until the next fetch: an answer, or why there
    /// is none. Grafana's image renderer is held until then (the root's `data-settled`).
    pub fn is_settled(self) -> bool {
        matches!(self, Phase::Ready | Phase::Error | Phase::Unconfigured)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Loading => "loading",
            Phase::Unconfigured => "unconfigured",
            Phase::Error => "error",
            Phase::Refreshing => "refreshing",
            Phase::Ready => "ready",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PanelState {
    pub answer: Option<Answer>,
    pub problem: Option<Problem>,
    pub loading: bool,
    /// Bumped by Retry, so the fetch effect runs again.
    pub retries: u32,
    /// The tick under the pointer on the state strip (time travel), if any.
    pub cursor: Option<usize>,
    /// The instant (a tick's, epoch ms) time travel stays at when the pointer leaves: chosen by a
    /// click on the strip or restored from the URL, so it can be shared.
    pub pinned: Option<i64>,
    /// The stage whose drill-down is open.
    pub drill: Option<String>,
    /// A moment from the URL, restored when the first answer says whether it exists.
    pub restore: Option<Moment>,
    /// What changed over the window (`core::changes`), read after each answer; `None` until then.
    pub changes: Changes,
}

/// The changes oldest first and whether a query was cut at its limit, or why they could not be read.
pub type Changes = Option<Result<Rc<(Vec<Change>, bool)>, String>>;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A fetch started.
    Fetching,
    /// An answer arrived.
    Arrived(Shared),
    /// A fetch failed (a cancelled one changes nothing).
    Failed(CallError),
    /// Nothing could be asked (the panel's own options are wrong).
    Problem(Problem),
    Retry,
    /// The pointer moved along the strip, or off it.
    Cursor(Option<usize>),
    /// Time travel stays at this tick (a click on the strip), or returns to now.
    Pin(Option<usize>),
    Open(String),
    Close,
    /// The window's changes were read (or could not be).
    Changes(Result<Rc<(Vec<Change>, bool)>, String>),
}

impl PanelState {
    pub fn reduce(&self, action: Action) -> PanelState {
        let mut next = self.clone();
        match action {
            Action::Fetching => next.loading = true,
            Action::Arrived(data) => {
                let generation = self.answer.as_ref().map_or(1, |a| a.generation.wrapping_add(1));
                next.answer = Some(Answer { generation, data });
                next.problem = None;
                next.loading = false;
                let Some(answer) = next.answer.as_ref().map(|a| &a.data) else { return next };
                // A tick index into the old answer means nothing in the new one; an instant does.
                next.cursor = next.cursor.filter(|&c| c < answer.ticks.len());
                if let Some(m) = next.restore.take() {
                    // A moment this answer does not have (another window, a stage gone) is ignored whole.
                    let at = match m.at {
                        None => Some(None),
                        Some(t) => tick_of(&answer.ticks, t).map(|i| moment(answer, Some(i))),
                    };
                    let known = m.stage.as_ref().is_none_or(|id| answer.stages.iter().any(|s| &s.id == id));
                    if let (Some(at), true) = (at, known) {
                        (next.pinned, next.drill) = (at, m.stage);
                    }
                }
                next.pinned = next.pinned.filter(|&t| tick_of(&answer.ticks, t).is_some());
            }
            Action::Failed(e) => {
                if let Some(problem) = Problem::of(e) {
                    next.problem = Some(problem);
                    next.loading = false;
                }
            }
            Action::Problem(problem) => {
                next.problem = Some(problem);
                next.loading = false;
            }
            Action::Retry => next.retries = next.retries.wrapping_add(1),
            Action::Cursor(c) => next.cursor = c,
            Action::Pin(c) => {
                next.pinned = self.answer.as_ref().and_then(|a| moment(&a.data, c));
            }
            Action::Open(id) => next.drill = Some(id),
            Action::Close => next.drill = None,
            Action::Changes(c) => next.changes = Some(c),
        }
        next
    }

    /// A panel that restores `moment` (read from the URL) once its first answer arrives.
    pub fn restoring(moment: Option<Moment>) -> PanelState {
        PanelState { restore: moment, ..PanelState::default() }
    }

    /// The tick shown: the one under the pointer, else the pinned one; `None` is now.
    pub fn shown(&self) -> Option<usize> {
        self.cursor.or_else(|| tick_of(&self.answer.as_ref()?.data.ticks, self.pinned?))
    }

    /// What a link to this moment restores.
    pub fn moment(&self) -> Moment {
        Moment { at: self.pinned, stage: self.drill.clone() }
    }

    pub fn phase(&self) -> Phase {
        match (&self.answer, &self.problem) {
            (_, Some(Problem::Unconfigured(_))) => Phase::Unconfigured,
            (None, Some(_)) => Phase::Error,
            (None, None) => Phase::Loading,
            (Some(_), _) if self.loading => Phase::Refreshing,
            (Some(_), _) => Phase::Ready,
        }
    }
}

/// The tick showing instant `t`: the last at or before it, within the window.
fn tick_of(ticks: &[i64], t: i64) -> Option<usize> {
    (t <= *ticks.last()?).then(|| ticks.partition_point(|&x| x <= t).checked_sub(1)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use codexflow_core::api::ApiError;

    fn answer(ticks: usize) -> Shared {
        let mut a: EvaluateResponse = serde_json::from_str(include_str!("../tests/fixtures/evaluate.json")).unwrap();
        a.ticks.truncate(ticks);
        Shared::new(a)
    }

    #[test]
    fn loading_answers_and_refreshes() {
        let s = PanelState::default().reduce(Action::Fetching);
        assert_eq!(s.phase(), Phase::Loading);
        let s = s.reduce(Action::Arrived(answer(4)));
        assert_eq!((s.phase(), s.answer.as_ref().unwrap().generation), (Phase::Ready, 1));
        let s = s.reduce(Action::Fetching);
        assert_eq!(s.phase(), Phase::Refreshing);
        let s = s.reduce(Action::Failed(CallError::Transport("down".into())));
        assert_eq!(s.phase(), Phase::Ready, "the last answer stays, with the failure beside it");
        assert!(matches!(&s.problem, Some(Problem::Failed(m)) if m.contains("down")));
        let s = s.reduce(Action::Arrived(answer(4)));
        assert_eq!((s.problem.clone(), s.answer.as_ref().unwrap().generation), (None, 2));
    }

    #[test]
    fn a_cancelled_fetch_changes_nothing_and_settings_errors_say_what_to_do() {
        let s = PanelState::default().reduce(Action::Fetching);
        assert_eq!(s.reduce(Action::Failed(CallError::Aborted)), s);
        let unconfigured = CallError::Api {
            status: 503,
            error: ApiError {
                code: ErrorCode::Settings,
                error: "jsonData.prometheusUrl: is required".into(),
                field: None,
            },
        };
        assert_eq!(s.reduce(Action::Failed(unconfigured)).phase(), Phase::Unconfigured);
        let missing = CallError::Http { status: 404, message: "Not found".into() };
        assert_eq!(s.reduce(Action::Failed(missing)).phase(), Phase::Unconfigured);
        assert_eq!(
            s.reduce(Action::Failed(CallError::Http { status: 500, message: "x".into() })).phase(),
            Phase::Error
        );
        assert_eq!(s.reduce(Action::Problem(Problem::Failed("Evaluation interval: bad".into()))).phase(), Phase::Error);
    }

    #[test]
    fn time_travel_and_drill_down() {
        let s = PanelState::default()
            .reduce(Action::Arrived(answer(4)))
            .reduce(Action::Cursor(Some(3)))
            .reduce(Action::Open("kafka".into()));
        assert_eq!((s.cursor, s.drill.as_deref()), (Some(3), Some("kafka")));
        let s = s.reduce(Action::Arrived(answer(2)));
        assert_eq!(s.cursor, None, "the old tick is not in the new answer");
        assert_eq!(s.reduce(Action::Close).drill, None);
        assert_eq!(s.reduce(Action::Retry).retries, 1);
        let read = s.reduce(Action::Changes(Err("HTTP 403: denied".into())));
        assert_eq!(read.changes, Some(Err("HTTP 403: denied".into())));
    }

    #[test]
    fn a_pinned_instant_stays_after_the_pointer_and_a_refresh() {
        let s = PanelState::default().reduce(Action::Arrived(answer(4))).reduce(Action::Pin(Some(2)));
        assert_eq!((s.pinned, s.shown()), (Some(1_795_780_920_000), Some(2)));
        let s = s.reduce(Action::Cursor(Some(1)));
        assert_eq!(s.shown(), Some(1), "the pointer travels over a pinned instant");
        let s = s.reduce(Action::Cursor(None)).reduce(Action::Arrived(answer(4)));
        assert_eq!(s.shown(), Some(2));
        assert_eq!(s.moment().value().as_deref(), Some("1795780920000"));
        assert_eq!(s.reduce(Action::Arrived(answer(2))).pinned, None, "gone from the window");
        assert_eq!(s.reduce(Action::Pin(None)).shown(), None);
        assert_eq!(s.reduce(Action::Pin(Some(3))).pinned, Some(1_795_780_980_000));
    }

    #[test]
    fn a_moment_from_the_url_is_restored_or_ignored_whole() {
        let restore = |value: &str| {
            PanelState::restoring(Moment::parse(value)).reduce(Action::Fetching).reduce(Action::Arrived(answer(4)))
        };
        let s = restore("1795780860000~jangar");
        assert_eq!((s.shown(), s.drill.as_deref()), (Some(1), Some("jangar")));
        assert_eq!(s.moment().value().as_deref(), Some("1795780860000~jangar"));
        // Between ticks: the tick before it, as the strip shows it.
        assert_eq!(restore("1795780890000").pinned, Some(1_795_780_860_000));
        assert_eq!(restore("~sse").drill.as_deref(), Some("sse"));
        for ignored in ["1795780860000~nope", "99995780860000~jangar", "1~jangar", "1795780860000~", "x"] {
            let s = restore(ignored);
            assert_eq!((s.pinned, s.drill.as_deref()), (None, None), "{ignored}");
        }
        let s = restore("1795780860000").reduce(Action::Arrived(answer(4)));
        assert_eq!(s.restore, None, "restored once, from the first answer");
    }
}
