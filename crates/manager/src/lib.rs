//! Services Manager: incidents, meter reads and the partner console, on SQLite or PostgreSQL.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod client;
pub mod clock;
pub mod console;
pub mod crypto;
pub mod domain;
pub mod fleet;
pub mod retention;
pub mod storage;
