//! App Gallery: app versions (.weblet packages), sealed per-device app configuration,
//! entitlements and device credentials.
//!
//! The modules the assistant reuses offline are [`seal`] (the configuration blob, with the
//! shared AES key), [`credential`] (verifying a device's token with the gallery's public keys)
//! and [`entitlement`] (the contract types and a caching HTTP client).

pub mod admin_page;
pub mod b64;
pub mod cli;
pub mod clock;
pub mod config;
pub mod credential;
pub mod domain;
pub mod entitlement;
pub mod http;
pub mod install;
pub mod logo;
pub mod package;
pub mod seal;
pub mod service;
pub mod storage;
