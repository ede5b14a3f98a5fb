//! The fleet agent's side of the manager (issue 12): agents of a customer with one-time enrolment
//! tokens and revocable credentials (stored as SHA-256), the ingestion API for batches of readings,
//! time series of supply levels and alerts per device, meter readings as automatic meter reads.

pub mod api;
pub mod billing;
pub mod cli;
pub mod console;
pub mod console_mail;
pub mod devices;
pub mod evaluate;
pub mod forecast;
pub mod mail;
pub mod mail_store;
pub mod notify;
pub mod policy;
pub mod rules_store;
pub mod store;
pub mod webhook_guard;

pub use store::{AgentIdentity, FleetStorage, ToEvaluate};

/// A fresh enrolment token (shown once): `sae_` and 32 random bytes in hex.
pub fn generate_enrol_token() -> String {
    format!("sae_{}", hex::encode(rand::random::<[u8; 32]>()))
}

/// A fresh agent credential (shown once, to the agent): `saa_` and 32 random bytes in hex.
pub fn generate_credential() -> String {
    format!("saa_{}", hex::encode(rand::random::<[u8; 32]>()))
}

/// How long an enrolment token stays valid.
pub const ENROL_TOKEN_DAYS: i64 = 7;
