//! The manager's vocabulary is the shared one: every newtype comes from `proto`, with one set of
//! rules for every service. Re-exported here so the manager's modules name them in one place.

pub use proto::text::ParseError;
pub use proto::{
    Contact, ContactName, DeviceSerial, EmailAddress, FreeText, IncidentKind, IncidentNumber,
    IncidentStatus, IssueCode, Label, MeterReadNumber, MeterSource, PhoneNumber,
};
