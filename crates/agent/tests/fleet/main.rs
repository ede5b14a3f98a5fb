//! The agent end to end: the `support-assistant` binary (agent and manager, started as README says)
//! against a fleet of emulated printers on loopback (the real recordings of ../shared/printers and the
//! project's fixtures, plus a device that is not a printer).
#![allow(clippy::unwrap_used)]

mod batches;
mod helpers;
mod robustness;
mod scenarios;
