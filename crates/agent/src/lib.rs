//! The fleet agent (`support-assistant agent …`), one per customer site:
//! - `enroll`: trades a one-time token from the manager for the agent's credential (file mode 0600);
//! - `run`: discovers printers (SNMP v2c sweep of hosts and CIDR ranges with a list of communities,
//!   bounded concurrency and rate; a printer is a device with the Printer-MIB, keyed by its serial),
//!   reads them on a schedule with one walk each (`printer::interpret`: identity, supplies, meters,
//!   status, alerts), writes every reading to a local SQLite queue first and uploads the queue in
//!   batches with an idempotency id (store-and-forward);
//! - `status`: devices, last poll, queue depth, last upload.

pub mod cli;
pub mod collect;
pub mod credential;
pub mod queue;
pub mod targets;
pub mod upload;

/// The agent's version, sent to the manager and shown in its console.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
