//! What one call may ask of the upstream and hold in memory, and what the whole process holds.
//!
//! Every signed-in viewer may call the app's resources, so no call may send unbounded requests or
//! keep unbounded samples. Each call gets a [`Budget`]: its upstream requests are counted before
//! they go out, and the samples it keeps (from answers, and the points of the answer it builds) are
//! reserved against its own limit and against the process-wide one, released when the call ends.
//! A part that would exceed either fails with a reason; nothing waits and nothing aborts.

use std::sync::atomic::{AtomicUsize, Ordering};

use codexflow_core::limits::{MAX_SAMPLES_IN_PROCESS, MAX_SAMPLES_PER_CALL, MAX_UPSTREAM_REQUESTS_PER_CALL};

/// Samples held by all live calls drawing on it, and how many they may hold together.
#[derive(Debug)]
pub struct Pool {
    held: AtomicUsize,
    limit: usize,
}

impl Pool {
    pub const fn new(limit: usize) -> Pool {
        Pool { held: AtomicUsize::new(0), limit }
    }

    /// Samples held now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }
}

/// The process's pool: every call of the plugin draws on it.
pub static PROCESS: Pool = Pool::new(MAX_SAMPLES_IN_PROCESS);

/// Why a part of a call was not done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    #[error("this call would send more than {MAX_UPSTREAM_REQUESTS_PER_CALL} requests upstream; narrow the time range, widen the interval or use fewer rules")]
    Requests,
    #[error("this call would hold more than {} million samples; narrow the time range, widen the interval or aggregate the query (sum by …)", MAX_SAMPLES_PER_CALL / 1_000_000)]
    Samples,
    #[error("the plugin holds {} million samples for other calls right now, its limit; try again in a moment", MAX_SAMPLES_IN_PROCESS / 1_000_000)]
    Process,
}

/// One call's budget; what it reserved is given back to its pool when it is dropped.
#[derive(Debug)]
pub struct Budget {
    requests: AtomicUsize,
    samples: AtomicUsize,
    max_requests: usize,
    max_samples: usize,
    pool: &'static Pool,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(MAX_UPSTREAM_REQUESTS_PER_CALL, MAX_SAMPLES_PER_CALL, &PROCESS)
    }
}

impl Budget {
    /// A budget of `requests` and `samples`, drawing on `pool`.
    pub fn new(requests: usize, samples: usize, pool: &'static Pool) -> Budget {
        Budget {
            requests: AtomicUsize::new(0),
            samples: AtomicUsize::new(0),
            max_requests: requests,
            max_samples: samples,
            pool,
        }
    }

    /// Counts `n` upstream requests about to be sent.
    pub fn send(&self, n: usize) -> Result<(), Exceeded> {
        let before = self.requests.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > self.max_requests {
            self.requests.fetch_sub(n, Ordering::Relaxed);
            return Err(Exceeded::Requests);
        }
        Ok(())
    }

    /// Reserves `n` samples this call is about to keep.
    pub fn hold(&self, n: usize) -> Result<(), Exceeded> {
        let before = self.samples.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > self.max_samples {
            self.samples.fetch_sub(n, Ordering::Relaxed);
            return Err(Exceeded::Samples);
        }
        let in_pool = self.pool.held.fetch_add(n, Ordering::Relaxed);
        if in_pool.saturating_add(n) > self.pool.limit {
            self.pool.held.fetch_sub(n, Ordering::Relaxed);
            self.samples.fetch_sub(n, Ordering::Relaxed);
            return Err(Exceeded::Process);
        }
        Ok(())
    }

    /// Samples this call holds now.
    pub fn held(&self) -> usize {
        self.samples.load(Ordering::Relaxed)
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        let held = *self.samples.get_mut();
        self.pool.held.fetch_sub(held, Ordering::Relaxed);
        // What the call held is freed by now or just after; hand it back to the system.
        if held >= crate::memory::TRIM_AFTER_SAMPLES {
            crate::memory::give_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_samples_are_bounded_per_call() {
        static POOL: Pool = Pool::new(1_000);
        let b = Budget::new(3, 100, &POOL);
        assert_eq!(b.send(2), Ok(()));
        assert_eq!(b.send(2), Err(Exceeded::Requests));
        assert_eq!(b.send(1), Ok(()), "a refused request is not counted");
        assert_eq!(b.hold(60), Ok(()));
        assert_eq!(b.hold(60), Err(Exceeded::Samples));
        assert_eq!(b.held(), 60);
    }

    #[test]
    fn calls_share_the_pool_and_give_back_what_they_held() {
        static POOL: Pool = Pool::new(1_000);
        let a = Budget::new(1, 1_000, &POOL);
        let b = Budget::new(1, 1_000, &POOL);
        a.hold(700).unwrap();
        assert_eq!(b.hold(400), Err(Exceeded::Process), "the pool, not b's own limit, says no");
        assert_eq!((b.held(), POOL.held()), (0, 700));
        drop(a);
        assert_eq!(POOL.held(), 0);
        assert_eq!(b.hold(400), Ok(()));
    }
}
