//! Handing memory back to the system once a large call is done, so the plugin's resident size
//! returns to its baseline instead of staying at its peak.
//!
//! glibc's allocator keeps freed memory for reuse: large blocks move below its dynamic mmap
//! threshold after the first big free, and small ones stay in per-thread arenas. So at start-up the
//! threshold is fixed (a block over 256 KiB is always its own mapping, unmapped when freed), and
//! after a call that held many samples, and when expired shared answers are swept, `malloc_trim`
//! returns the free pages of every arena. Elsewhere (not glibc) both are no-ops.

/// Samples a call must have held for its end to be worth a trim.
pub const TRIM_AFTER_SAMPLES: usize = 250_000;

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    /// `M_MMAP_THRESHOLD` of glibc's `mallopt`.
    const M_MMAP_THRESHOLD: libc::c_int = -3;

    pub fn configure() {
        // SAFETY: mallopt only sets a parameter of the allocator; any value is accepted or refused.
        unsafe {
            libc::mallopt(M_MMAP_THRESHOLD, 256 << 10);
        }
    }

    pub fn give_back() {
        // SAFETY: malloc_trim walks the allocator's own free lists; it is safe at any time.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod glibc {
    pub fn configure() {}
    pub fn give_back() {}
}

/// Sets the allocator up; call once at start-up.
pub fn configure() {
    glibc::configure();
}

/// Returns free memory to the system.
pub fn give_back() {
    glibc::give_back();
}
