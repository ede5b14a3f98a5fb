//! How WS-SNMP writes an SNMP value as text (`Type` and `returnValue`): the format lives with
//! `printer::interpret`, which reads it back for the values a weblet collected.

pub use printer::wssnmp::{ParseValueError, format, parse};
