//! Machinery every service of Support Assistant shares: clock and id source, one keyring, password
//! hashing, escaping, cookies, the mailer (SMTP, SendGrid, folder), the clients for the other services, and the ops
//! layer (TLS, HSTS and security headers, body and time limits, metrics, JSON logs with
//! redaction, health and readiness), and what the generic SQL stores share (`sql`).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod b64;
pub mod clock;
pub mod cookies;
pub mod credential;
pub mod entitlement;
pub mod escape;
pub mod i18n;
pub mod keyring;
pub mod limiter;
pub mod mail;
pub mod manager_client;
pub mod net;
pub mod ops;
pub mod password;
pub mod sealed_config;
pub mod sql;
