//! Identical upstream requests share one request while it is in flight and its answer for a short
//! while after, so a hundred viewers of one dashboard cost the upstream one query each.
//!
//! Memory stays bounded: a finished answer is kept only for the TTL and only while all kept answers
//! together stay under a byte budget (the oldest go first), and every insert sweeps out what has
//! expired, so a large answer never outlives its usefulness.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt, Shared};

/// A request's outcome, shared by everyone who asked for it.
pub type SharedResult<T, E> = Shared<BoxFuture<'static, Result<Arc<T>, E>>>;

/// How a request ended, recorded by the request itself.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Answered { at: Instant, weight: usize },
    Failed,
}

struct Slot<T, E> {
    result: SharedResult<T, E>,
    outcome: Arc<OnceLock<Outcome>>,
}

impl<T, E> Slot<T, E> {
    /// In flight, or answered within `ttl`; failures are never reused.
    fn reusable(&self, now: Instant, ttl: Duration) -> bool {
        match self.outcome.get() {
            None => true,
            Some(Outcome::Answered { at, .. }) => now.duration_since(*at) < ttl,
            Some(Outcome::Failed) => false,
        }
    }

    fn answered(&self) -> Option<(Instant, usize)> {
        match self.outcome.get() {
            Some(Outcome::Answered { at, weight }) => Some((*at, *weight)),
            _ => None,
        }
    }
}

/// The table of shared requests.
pub struct ShareTable<K, T, E> {
    slots: HashMap<K, Slot<T, E>>,
    ttl: Duration,
    budget: usize,
}

impl<K, T, E> ShareTable<K, T, E>
where
    K: Hash + Eq + Clone,
    T: Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    pub fn new(ttl: Duration, budget: usize) -> ShareTable<K, T, E> {
        ShareTable { slots: HashMap::new(), ttl, budget }
    }

    /// The shared outcome of `key`: joined when in flight or fresh, otherwise started with `start`.
    /// `weight` tells how many bytes an answer holds, for the budget.
    pub fn join_or_start(
        &mut self,
        key: K,
        now: Instant,
        start: impl FnOnce() -> BoxFuture<'static, Result<T, E>>,
        weight: fn(&T) -> usize,
    ) -> SharedResult<T, E> {
        if let Some(slot) = self.slots.get(&key).filter(|s| s.reusable(now, self.ttl)) {
            return slot.result.clone();
        }
        self.sweep(now);
        let outcome = Arc::new(OnceLock::new());
        let record = outcome.clone();
        let request = start();
        let result: SharedResult<T, E> = async move {
            let result = request.await.map(Arc::new);
            let _ = record.set(match &result {
                Ok(answer) => Outcome::Answered { at: Instant::now(), weight: weight(answer) },
                Err(_) => Outcome::Failed,
            });
            result
        }
        .boxed()
        .shared();
        self.slots.insert(key, Slot { result: result.clone(), outcome });
        result
    }

    /// Drops what can no longer be reused, then the oldest answers beyond the byte budget; how many
    /// bytes of answers it dropped.
    pub fn sweep(&mut self, now: Instant) -> usize {
        let before = self.kept_bytes();
        self.sweep_inner(now);
        before.saturating_sub(self.kept_bytes())
    }

    fn sweep_inner(&mut self, now: Instant) {
        let ttl = self.ttl;
        self.slots.retain(|_, slot| slot.reusable(now, ttl));
        let mut kept: usize = self.slots.values().filter_map(Slot::answered).map(|(_, w)| w).sum();
        if kept <= self.budget {
            return;
        }
        let mut by_age: Vec<(Instant, usize, K)> =
            self.slots.iter().filter_map(|(k, s)| s.answered().map(|(at, w)| (at, w, k.clone()))).collect();
        by_age.sort_by_key(|(at, _, _)| *at);
        for (_, weight, key) in by_age {
            if kept <= self.budget {
                break;
            }
            self.slots.remove(&key);
            kept = kept.saturating_sub(weight);
        }
    }

    /// Slots held now (in flight or kept), for tests.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Bytes of answers kept now.
    pub fn kept_bytes(&self) -> usize {
        self.slots.values().filter_map(Slot::answered).map(|(_, w)| w).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    type Table = ShareTable<u32, Vec<u8>, String>;

    fn start(calls: &Arc<AtomicUsize>, bytes: usize) -> impl FnOnce() -> BoxFuture<'static, Result<Vec<u8>, String>> {
        let calls = calls.clone();
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(vec![0u8; bytes]) }.boxed()
        }
    }

    #[tokio::test]
    async fn identical_requests_share_and_expire() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut t = Table::new(Duration::from_secs(10), 1 << 20);
        let now = Instant::now();
        let a = t.join_or_start(1, now, start(&calls, 10), Vec::len);
        let b = t.join_or_start(1, now, start(&calls, 10), Vec::len);
        assert_eq!((a.await.unwrap().len(), b.await.unwrap().len()), (10, 10));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "in flight: joined");
        let _ = t.join_or_start(1, Instant::now(), start(&calls, 10), Vec::len).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "fresh: reused");
        let later = Instant::now() + Duration::from_secs(11);
        let _ = t.join_or_start(2, later, start(&calls, 10), Vec::len).await;
        assert_eq!(t.len(), 1, "the expired answer was swept out when another request came");
        let _ = t.join_or_start(1, later, start(&calls, 10), Vec::len).await;
        assert_eq!(calls.load(Ordering::SeqCst), 3, "expired: asked again");
    }

    #[tokio::test]
    async fn failures_are_not_reused() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut t = Table::new(Duration::from_secs(10), 1 << 20);
        let fail = |calls: &Arc<AtomicUsize>| {
            let calls = calls.clone();
            move || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<Vec<u8>, _>("down".to_string()) }.boxed()
            }
        };
        assert!(t.join_or_start(1, Instant::now(), fail(&calls), Vec::len).await.is_err());
        assert!(t.join_or_start(1, Instant::now(), fail(&calls), Vec::len).await.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_oldest_answers_go_beyond_the_budget() {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut t = Table::new(Duration::from_secs(10), 250);
        for key in 0..5 {
            let _ = t.join_or_start(key, Instant::now(), start(&calls, 100), Vec::len).await;
        }
        // Each insert sweeps first, so at most the budget plus the newest answer is ever kept.
        assert!(t.kept_bytes() <= 350, "{} bytes kept", t.kept_bytes());
        let _ = t.join_or_start(4, Instant::now(), start(&calls, 100), Vec::len).await;
        assert_eq!(calls.load(Ordering::SeqCst), 5, "the newest answer survived the sweep");
    }
}
