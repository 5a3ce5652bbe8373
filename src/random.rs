//! Random bytes for generated ids: the operating system's generator, read sixteen ids' worth
//! at a time per thread instead of once per id, and read afresh in a child after `fork`.
//!
//! One `getrandom` system call per Message-ID cost about as much as building the rest of a
//! small message's headers; batching keeps the randomness and drops all but one call in
//! sixteen.

use std::cell::RefCell;

/// Ids' worth of random bytes fetched per system call.
const BATCH: usize = 16;

struct Pool {
    bytes: [[u8; 16]; BATCH],
    /// The next unused entry; `BATCH` when all are used.
    next: usize,
    /// [`fork::epoch`] when the pool was filled.
    epoch: u64,
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [[0; 16]; BATCH], next: BATCH, epoch: 0 })
    };
}

/// Sixteen random bytes, each handed out once.
pub(crate) fn bytes16() -> [u8; 16] {
    let epoch = fork::epoch();
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.next == BATCH || pool.epoch != epoch {
            if getrandom::fill(pool.bytes.as_flattened_mut()).is_err() {
                // What `Uuid::new_v4` does when the generator fails: it panics.
                return uuid::Uuid::new_v4().into_bytes();
            }
            pool.next = 0;
            pool.epoch = epoch;
        }
        let out = pool.bytes[pool.next];
        pool.next += 1;
        out
    })
}

/// How many times this process is a `fork` child: a child must not hand out the bytes its
/// parent still holds.
#[cfg(unix)]
mod fork {
    use std::sync::{
        atomic::{AtomicU64, Ordering},
        Once,
    };

    static EPOCH: AtomicU64 = AtomicU64::new(0);

    extern "C" fn in_child() {
        EPOCH.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn epoch() -> u64 {
        static REGISTER: Once = Once::new();
        REGISTER.call_once(|| {
            // SAFETY: `in_child` only updates an atomic, which is safe in a child after fork
            // (async-signal-safe). Registered before any pool is filled, so every fork after a
            // fill is seen. If registration fails (ENOMEM), the bytes still come from the
            // OS generator; a fork child could then repeat up to 15 of its parent's ids.
            unsafe {
                libc::pthread_atfork(None, None, Some(in_child));
            }
        });
        EPOCH.load(Ordering::Relaxed)
    }
}

#[cfg(not(unix))]
mod fork {
    pub(super) fn epoch() -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_never_handed_out_twice() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..BATCH * 20 {
            assert!(seen.insert(bytes16()));
        }
        // Other threads have pools of their own.
        let other: Vec<[u8; 16]> =
            std::thread::spawn(|| (0..BATCH * 3).map(|_| bytes16()).collect())
                .join()
                .unwrap();
        for b in other {
            assert!(seen.insert(b));
        }
    }
}
