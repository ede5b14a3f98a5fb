//! Machinery every service of Support Assistant shares: clock and id source, one keyring, password
//! hashing, a login limiter, escaping, and the ops layer (TLS, HSTS and security headers, body and
//! time limits, metrics, JSON logs with redaction, health and readiness).

pub mod ops;
