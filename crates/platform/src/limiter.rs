//! The login limiter: at most N failed attempts per key (an e-mail, a client address…) in a
//! sliding window; further attempts are refused until old failures age out. In memory, per
//! process; memory is bounded (entries whose failures aged out are dropped past 100 000 keys).

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn prune(q: &mut VecDeque<DateTime<Utc>>, cutoff: DateTime<Utc>) {
        while q.front().is_some_and(|t| *t <= cutoff) {
            q.pop_front();
        }
    }

    /// True if any of `keys` has used up its failures in the window.
    pub fn is_blocked(&self, keys: &[String], now: DateTime<Utc>) -> bool {
        self.retry_after(keys, now).is_some()
    }

    /// How long until none of `keys` is blocked (the `Retry-After` of a refusal); `None` when
    /// none of them is blocked now.
    pub fn retry_after(&self, keys: &[String], now: DateTime<Utc>) -> Option<Duration> {
        let Ok(mut map) = self.failures.lock() else {
            return Some(self.window);
        };
        let cutoff = now - self.window;
        let max = self.max_failures as usize;
        if max == 0 && !keys.is_empty() {
            // No failure allowed: every attempt is refused.
            return Some(self.window);
        }
        keys.iter()
            .filter_map(|k| {
                let q = map.get_mut(k)?;
                Self::prune(q, cutoff);
                // Blocked until the failure that makes the count reach the limit ages out.
                let oldest_counted = q.len().checked_sub(max).and_then(|i| q.get(i))?;
                Some(*oldest_counted + self.window - now)
            })
            .max()
    }

    pub fn record_failure(&self, keys: &[String], now: DateTime<Utc>) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() > 100_000 {
            // Bounded memory: drop entries whose failures all aged out.
            let cutoff = now - self.window;
            map.retain(|_, q| q.back().is_some_and(|t| *t > cutoff));
        }
        for k in keys {
            let q = map.entry(k.clone()).or_default();
            q.push_back(now);
            while q.len() > self.max_failures as usize {
                q.pop_front();
            }
        }
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_until_the_window_passes() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let l = LoginLimiter::new(3, Duration::minutes(10));
        let k = vec!["email:a".to_string()];
        for _ in 0..3 {
            assert!(!l.is_blocked(&k, t0));
            l.record_failure(&k, t0);
        }
        assert!(l.is_blocked(&k, t0));
        assert!(!l.is_blocked(&["email:b".to_string()], t0));
        assert!(l.is_blocked(&k, t0 + Duration::minutes(9)));
        assert!(!l.is_blocked(&k, t0 + Duration::minutes(10)));
    }

    #[test]
    fn retry_after_is_the_time_until_the_oldest_counted_failure_ages_out() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let l = LoginLimiter::new(2, Duration::minutes(1));
        let k = vec!["admin".to_string()];
        assert_eq!(l.retry_after(&k, t0), None);
        l.record_failure(&k, t0);
        assert_eq!(l.retry_after(&k, t0), None, "one failure of two allowed");
        l.record_failure(&k, t0 + Duration::seconds(10));
        assert_eq!(
            l.retry_after(&k, t0 + Duration::seconds(20)),
            Some(Duration::seconds(40))
        );
        assert_eq!(l.retry_after(&k, t0 + Duration::seconds(60)), None);
    }
}
