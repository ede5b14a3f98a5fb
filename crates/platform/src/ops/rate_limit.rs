//! A rate limit per device: one token bucket per key.
//!
//! The key is the [`DeviceKey`] request extension that the App API's authentication inserts once
//! it knows which device is calling; a request without one (not authenticated yet, or a route
//! without authentication) is keyed by the peer's IP address. The limiter must therefore run
//! *after* the authentication layer: see [`crate::ops::layers`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::{respond, status_problem};

/// Which device a request comes from, as the authentication layer established it.
/// Inserted as a request extension; the rate limit keys on it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DeviceKey(pub String);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeviceKey({:?})", self.0)
    }
}

/// How many requests a device may make: `burst` at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitSettings {
    pub burst: u32,
    pub per_second: f64,
}

impl Default for RateLimitSettings {
    /// A person at a panel makes a few requests per screen; 60 at once and 5 a second
    /// sustained leaves room for a weblet that loads several fragments together.
    fn default() -> Self {
        Self {
            burst: 60,
            per_second: 5.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets by key. Time is passed in, so the arithmetic can be tested with fixed instants.
#[derive(Debug)]
pub struct KeyedLimiter {
    settings: RateLimitSettings,
    max_keys: usize,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl KeyedLimiter {
    /// At most `max_keys` buckets are kept; beyond that, buckets that have refilled (they hold no
    /// state worth keeping) are dropped, then the least recently used.
    pub fn new(settings: RateLimitSettings, max_keys: usize) -> Self {
        Self {
            settings,
            max_keys: max_keys.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now`; `Err(wait)` says how long until one is available.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.settings.burst.max(1));
        let rate = self.settings.per_second.max(f64::MIN_POSITIVE);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if !buckets.contains_key(key) && buckets.len() >= self.max_keys {
            Self::evict(&mut buckets, now, burst, rate, self.max_keys);
        }
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.updated = now.max(bucket.updated);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / rate;
            Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX))
        }
    }

    fn evict(
        buckets: &mut HashMap<String, Bucket>,
        now: Instant,
        burst: f64,
        rate: f64,
        max_keys: usize,
    ) {
        buckets.retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate < burst
        });
        while buckets.len() >= max_keys {
            let oldest = buckets
                .iter()
                .min_by_key(|(_, b)| b.updated)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    buckets.remove(&k);
                }
                None => break,
            }
        }
    }

    /// How many keys have a bucket now.
    pub fn tracked_keys(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// A shared per-device limiter: the middleware ([`rate_limit`]) and code that learns the device
/// later (an extractor that verifies the credential) can use the same buckets.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    inner: Arc<KeyedLimiter>,
}

impl RateLimiter {
    /// Keeps at most [`crate::ops::RATE_LIMIT_MAX_KEYS`] buckets.
    pub fn new(settings: RateLimitSettings) -> Self {
        Self {
            inner: Arc::new(KeyedLimiter::new(settings, crate::ops::RATE_LIMIT_MAX_KEYS)),
        }
    }

    /// Takes one request from `device`'s bucket; `Err` answers 429 with Retry-After.
    pub fn check(&self, device: &DeviceKey) -> Result<(), RateLimited> {
        self.check_key(&format!("device:{}", device.0))
    }

    /// Takes one request from `key`'s bucket (`device:…`, `ip:…`): for callers that key requests
    /// themselves, e.g. on buckets shared through a database with this limiter as the fallback.
    pub fn check_key(&self, key: &str) -> Result<(), RateLimited> {
        self.inner
            .check(key, Instant::now())
            .map_err(|retry_after| RateLimited { retry_after })
    }
}

/// A request over its device's limit: 429 problem+json with Retry-After.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many requests from this device; try again in {} s", retry_after_secs(*.retry_after))]
pub struct RateLimited {
    pub retry_after: Duration,
}

/// Retry-After is in whole seconds; round up so a client that obeys it finds a token.
fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl IntoResponse for RateLimited {
    fn into_response(self) -> Response {
        let secs = retry_after_secs(self.retry_after);
        metrics::counter!("http_rate_limited_total").increment(1);
        let mut res = respond(&status_problem(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            self.to_string(),
        ));
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        res
    }
}

/// Paths that are never limited: probes and the metrics scrape.
const EXEMPT: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Middleware: `axum::middleware::from_fn_with_state(limiter, rate_limit)`. Keys on the
/// [`DeviceKey`] extension, else on the peer address (`ConnectInfo<SocketAddr>`).
pub async fn rate_limit(State(limiter): State<RateLimiter>, req: Request, next: Next) -> Response {
    if EXEMPT.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let checked = match req.extensions().get::<DeviceKey>() {
        Some(device) => limiter.check(device),
        None => match req.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => limiter.check_key(&format!("ip:{}", peer.ip())),
            None => limiter.check_key("unknown"),
        },
    };
    match checked {
        Ok(()) => next.run(req).await,
        Err(limited) => limited.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, per_second: f64) -> KeyedLimiter {
        KeyedLimiter::new(RateLimitSettings { burst, per_second }, 100)
    }

    #[test]
    fn burst_then_refusal_then_refill() {
        let l = limiter(3, 1.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check("a", t0).is_ok());
        }
        let wait = l.check("a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(l.check("a", t0 + Duration::from_millis(500)).is_err());
        assert!(l.check("a", t0 + Duration::from_secs(1)).is_ok());
        assert!(l.check("a", t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let l = limiter(1, 0.001);
        let t0 = Instant::now();
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_err());
        assert!(l.check("b", t0).is_ok());
    }

    #[test]
    fn refill_never_exceeds_burst() {
        let l = limiter(2, 10.0);
        let t0 = Instant::now();
        assert!(l.check("a", t0).is_ok());
        let later = t0 + Duration::from_secs(3600);
        assert!(l.check("a", later).is_ok());
        assert!(l.check("a", later).is_ok());
        assert!(l.check("a", later).is_err());
    }

    #[test]
    fn key_count_is_bounded() {
        let l = KeyedLimiter::new(
            RateLimitSettings {
                burst: 5,
                per_second: 0.001,
            },
            10,
        );
        let t0 = Instant::now();
        for i in 0..1000 {
            let _ = l.check(&format!("k{i}"), t0 + Duration::from_millis(i));
        }
        assert!(l.tracked_keys() <= 10);
        // The most recent key keeps its (spent) bucket.
        assert!(l.check("k999", t0 + Duration::from_millis(999)).is_ok());
    }
}

#[cfg(test)]
mod retry_after_tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
