//! Integration tests of `assistant::ops`: real servers on 127.0.0.1:0, real TLS clients.
#![allow(clippy::unwrap_used)]

mod health;
mod helpers;
mod limits;
mod logging;
mod metrics;
mod rate_limit;
mod security_headers;
mod tls;
