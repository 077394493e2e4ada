//! One reading of the ruler shared by every request for about a minute (a failed one for ten
//! seconds, so a ruler that comes back is noticed soon). Concurrent requests while a reading is
//! under way wait for that one reading; no lock is held while it is made.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// A reading that says how long it may be served.
pub trait Expiring {
    fn ttl(&self) -> Duration;
}

struct Slot<T> {
    started: Instant,
    cell: Arc<OnceCell<Arc<T>>>,
}

/// A value read at most once per time-to-live.
pub struct TtlCell<T> {
    slot: Mutex<Option<Slot<T>>>,
}

impl<T> Default for TtlCell<T> {
    fn default() -> Self {
        TtlCell { slot: Mutex::new(None) }
    }
}

impl<T: Expiring> TtlCell<T> {
    /// The current reading, or a new one made by `read` when there is none or it has expired.
    pub async fn get<F, Fut>(&self, now: Instant, read: F) -> Arc<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let cell = {
            let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            let expired = match slot.as_ref() {
                None => true,
                Some(s) => match s.cell.get() {
                    None => false, // under way: join it
                    Some(reading) => now.saturating_duration_since(s.started) >= reading.ttl(),
                },
            };
            if expired {
                *slot = Some(Slot { started: now, cell: Arc::new(OnceCell::new()) });
            }
            match slot.as_ref() {
                Some(s) => s.cell.clone(),
                None => Arc::new(OnceCell::new()),
            }
        };
        cell.get_or_init(|| async move { Arc::new(read().await) }).await.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A reading whose number is how many readings came before; odd ones "failed" and live 10 ms.
    struct Reading(usize);
    impl Expiring for Reading {
        fn ttl(&self) -> Duration {
            Duration::from_millis(if self.0 % 2 == 1 { 10 } else { 60_000 })
        }
    }

    #[tokio::test]
    async fn one_reading_per_ttl_shared_by_concurrent_callers() {
        let cell: TtlCell<Reading> = TtlCell::default();
        let reads = AtomicUsize::new(0);
        let t0 = Instant::now();
        let read = || async {
            let n = reads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Reading(n)
        };
        let (a, b) = tokio::join!(cell.get(t0, read), cell.get(t0, read));
        assert_eq!((a.0, b.0), (0, 0));
        assert_eq!(cell.get(t0 + Duration::from_millis(59_999), read).await.0, 0);
        assert_eq!(cell.get(t0 + Duration::from_millis(60_000), read).await.0, 1);
        let t1 = t0 + Duration::from_millis(60_000);
        assert_eq!(cell.get(t1 + Duration::from_millis(9), read).await.0, 1, "a failed reading still serves its 10 ms");
        assert_eq!(cell.get(t1 + Duration::from_millis(10), read).await.0, 2);
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }
}
