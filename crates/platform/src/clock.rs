//! Time and identifiers are passed in, so tests can fix them. One [`Clock`] gives both the wall
//! time (stored, shown, compared with expiry dates) and a monotonic instant (timeouts, rate and
//! login limits), so a test clock moves both together.

use chrono::{DateTime, Utc};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;
use uuid::Uuid;

pub trait Clock: Send + Sync + 'static {
    /// The wall time.
    fn now(&self) -> DateTime<Utc>;
    /// A monotonic instant, for durations.
    fn instant(&self) -> Instant;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to (tests). `advance` moves the wall time and the
/// monotonic instant together; `set` moves only the wall time.
#[derive(Debug)]
pub struct FixedClock(Mutex<(DateTime<Utc>, Instant)>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new((at, Instant::now())))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).0 = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        t.0 += by;
        if let Ok(std) = by.to_std() {
            t.1 += std;
        }
    }
}

impl Default for FixedClock {
    fn default() -> Self {
        Self::new(Utc::now())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).0
    }
    fn instant(&self) -> Instant {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).1
    }
}

/// Where new identifiers come from.
pub trait IdSource: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
}

/// Time-ordered random UUIDs (v7).
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7;

impl IdSource for UuidV7 {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// 1, 2, 3, … as UUIDs (tests).
#[derive(Debug, Default)]
pub struct SequentialIds(std::sync::atomic::AtomicU64);

impl IdSource for SequentialIds {
    fn new_id(&self) -> Uuid {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Uuid::from_u128(u128::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_wall_and_monotonic_time_together() {
        let start = Utc::now();
        let clock = FixedClock::new(start);
        let i0 = clock.instant();
        clock.advance(chrono::Duration::seconds(90));
        assert_eq!(clock.now() - start, chrono::Duration::seconds(90));
        assert_eq!(clock.instant() - i0, std::time::Duration::from_secs(90));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn sequential_ids_count_from_one() {
        let ids = SequentialIds::default();
        assert_eq!(ids.new_id(), Uuid::from_u128(1));
        assert_eq!(ids.new_id(), Uuid::from_u128(2));
        assert_ne!(UuidV7.new_id(), UuidV7.new_id());
    }
}
