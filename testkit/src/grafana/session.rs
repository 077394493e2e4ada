//! Signed-in sessions and organisations, as far as a plugin's frontend can tell them apart.
//!
//! - A page load starts a session: the `grafana_session` cookie (HttpOnly) and
//!   `grafana_session_expiry` (readable by the page; `backendSrv` decides by it whether to rotate),
//!   as grafana/grafana `pkg/services/authn/authnimpl/service.go` writes them.
//! - API calls need a live session: none is 401 `Unauthorized`; an expired one is 401 with
//!   `messageId: session.token.rotate` (`pkg/services/authn/clients/session.go`,
//!   `ErrTokenNeedsRotation`) until `POST /api/user/auth-tokens/rotate` renews it
//!   (`pkg/api/user_token.go`, `RotateUserAuthToken`).
//! - The user belongs to orgs 1 and 2. A call's org is its `X-Grafana-Org-Id` header when it has
//!   one, else the session's current org (`pkg/services/contexthandler/contexthandler.go`), which
//!   `POST /api/user/using/<org>` (`pkg/api/user.go`, `UserSetUsingOrg`) or a page's `?orgId=`
//!   (`pkg/middleware/org_redirect.go`) switches, for every tab at once.
//! - `POST /api/devhost/expire-session` expires the caller's session now: the host's own control,
//!   so a test can see what an expiring session does. Grafana has no such endpoint.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The orgs the signed-in user belongs to.
pub const MEMBER_ORGS: [i64; 2] = [1, 2];
/// How long a session lives before it needs rotating (Grafana's `token_rotation_interval_minutes`
/// defaults to 10).
const LIFETIME_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub expires_at_ms: i64,
    pub org_id: i64,
}

/// Why an API call is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    NoSession,
    NeedsRotation,
    NotAMember(i64),
}

impl Denied {
    /// Grafana's answer: status and JSON body.
    pub fn answer(&self) -> (u16, serde_json::Value) {
        match self {
            Denied::NoSession => (401, serde_json::json!({ "message": "Unauthorized" })),
            Denied::NeedsRotation => (
                401,
                serde_json::json!({ "message": "token needs to be rotated", "messageId": "session.token.rotate", "statusCode": 401 }),
            ),
            Denied::NotAMember(org) => {
                (401, serde_json::json!({ "message": format!("user is not a member of organization {org}") }))
            }
        }
    }
}

/// The host's sessions.
#[derive(Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
    next: AtomicU64,
    /// Rotations done, for tests.
    pub rotations: AtomicUsize,
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|kv| kv.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.by_token.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The caller's session token and session, live or not.
    pub fn of(&self, cookie_header: &str) -> Option<(String, Session)> {
        let token = cookie(cookie_header, "grafana_session")?;
        self.lock().get(token).map(|s| (token.to_string(), *s))
    }

    /// A page load: the caller's live session (its org switched to `org` when asked and allowed),
    /// or a new one in org 1; with the cookies to set.
    pub fn page(&self, cookie_header: &str, org: Option<i64>) -> (Session, Vec<String>) {
        let now = now_ms();
        let (token, mut session) = match self.of(cookie_header) {
            Some((t, s)) if s.expires_at_ms > now => (t, s),
            _ => {
                let n = self.next.fetch_add(1, Ordering::Relaxed);
                (format!("devhost-{now}-{n}"), Session { expires_at_ms: now + LIFETIME_MS, org_id: 1 })
            }
        };
        if let Some(org) = org.filter(|o| MEMBER_ORGS.contains(o)) {
            session.org_id = org;
        }
        self.lock().insert(token.clone(), session);
        (session, set_cookies(&token, &session))
    }

    /// The org an API call acts in, or why it may not.
    pub fn authorize(&self, cookie_header: &str, org_header: Option<&str>) -> Result<i64, Denied> {
        let (_, session) = self.of(cookie_header).ok_or(Denied::NoSession)?;
        if session.expires_at_ms <= now_ms() {
            return Err(Denied::NeedsRotation);
        }
        match org_header.and_then(|h| h.trim().parse::<i64>().ok()) {
            Some(org) if MEMBER_ORGS.contains(&org) => Ok(org),
            Some(org) => Err(Denied::NotAMember(org)),
            None => Ok(session.org_id),
        }
    }

    /// `POST /api/user/auth-tokens/rotate`: a new lifetime for the caller's session, live or expired.
    pub fn rotate(&self, cookie_header: &str) -> Option<Vec<String>> {
        let (token, mut session) = self.of(cookie_header)?;
        session.expires_at_ms = now_ms() + LIFETIME_MS;
        self.lock().insert(token.clone(), session);
        self.rotations.fetch_add(1, Ordering::Relaxed);
        Some(set_cookies(&token, &session))
    }

    /// `POST /api/user/using/<org>`: the session's current org, for all its tabs.
    pub fn use_org(&self, cookie_header: &str, org: i64) -> Result<(), Denied> {
        self.authorize(cookie_header, None)?;
        if !MEMBER_ORGS.contains(&org) {
            return Err(Denied::NotAMember(org));
        }
        let (token, mut session) = self.of(cookie_header).ok_or(Denied::NoSession)?;
        session.org_id = org;
        self.lock().insert(token, session);
        Ok(())
    }

    /// The host's control: the caller's session expires now.
    pub fn expire(&self, cookie_header: &str) -> Option<Vec<String>> {
        let (token, mut session) = self.of(cookie_header)?;
        session.expires_at_ms = now_ms() - 1000;
        self.lock().insert(token.clone(), session);
        Some(set_cookies(&token, &session))
    }
}

fn set_cookies(token: &str, session: &Session) -> Vec<String> {
    vec![
        format!("grafana_session={token}; Path=/; HttpOnly; SameSite=Lax"),
        format!("grafana_session_expiry={}; Path=/; SameSite=Lax", session.expires_at_ms.div_euclid(1000)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie_of(set: &[String]) -> String {
        set[0].split(';').next().unwrap().to_string()
    }

    #[test]
    fn a_session_is_needed_then_rotated_when_expired() {
        let s = Sessions::default();
        assert_eq!(s.authorize("", None), Err(Denied::NoSession));
        let (session, set) = s.page("", None);
        assert_eq!(session.org_id, 1);
        let c = cookie_of(&set);
        assert_eq!(s.authorize(&c, None), Ok(1));
        s.expire(&c).unwrap();
        assert_eq!(s.authorize(&c, None), Err(Denied::NeedsRotation));
        assert!(s.rotate(&c).is_some());
        assert_eq!(s.authorize(&c, None), Ok(1));
        assert_eq!(s.rotations.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_org_header_wins_over_the_sessions_org() {
        let s = Sessions::default();
        let c = cookie_of(&s.page("", None).1);
        s.use_org(&c, 2).unwrap();
        assert_eq!(s.authorize(&c, None), Ok(2), "another tab switched the session's org");
        assert_eq!(s.authorize(&c, Some("1")), Ok(1), "this tab's calls say their org");
        assert_eq!(s.authorize(&c, Some("3")), Err(Denied::NotAMember(3)));
        assert_eq!(s.page(&c, Some(1)).0.org_id, 1, "?orgId= switches it back");
        assert_eq!(s.page(&c, Some(9)).0.org_id, 1, "not to an org the user is not in");
    }

    #[test]
    fn cookies_are_read_from_the_header() {
        assert_eq!(cookie("a=1; grafana_session=x; b=2", "grafana_session"), Some("x"));
        assert_eq!(cookie("grafana_session_expiry=5", "grafana_session"), None);
    }
}
