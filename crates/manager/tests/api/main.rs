//! The manager's integration tests, in one binary.
#![allow(clippy::unwrap_used)]

mod billing;
mod cli;
mod console;
mod fleet;
mod fleet_bench;
mod fleet_devices;
mod fleet_rules;
mod helpers;
mod login_attempts;
mod notify_mail;
mod rest;
mod storage;
