//! SNMP v2c: OIDs, messages and their BER codec, and an async client.

pub mod client;
pub mod message;
pub mod oid;

pub use client::{Client, ClientConfig, SnmpError};
pub use message::{Message, Pdu, PduKind, Value, VarBind};
pub use oid::{Oid, oid};
