//! Console login rate limit: the one login limiter of `platform::limiter` (failures per e-mail
//! and per client address in a sliding window).

pub use platform::limiter::LoginLimiter;
