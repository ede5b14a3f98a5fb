//! The MFD emulator: an SNMP v2c agent replaying a recording, the device's SOAP web services
//! (device information, session, WS-SNMP), administrator login, the panel, installed apps.

pub mod agent;
pub mod fleet;
pub mod http;
pub mod mib;
pub mod serve;
pub mod simulate;
