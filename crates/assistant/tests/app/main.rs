//! Every workflow of the App API against a real Services Manager and App Gallery on loopback.

mod bound;
mod delivery;
mod helpers;
mod outbox;
mod refusals;
mod rules;
mod smtp_sink;
pub mod store;
mod ui;
mod vendor;
mod workflows;
