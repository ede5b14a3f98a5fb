//! Reading a printer: an SNMP v2c client, the snmprec recording format, and one
//! `interpret(varbinds) -> DeviceReport` that every path uses (UDP SNMP, and varbinds that a weblet
//! collected through the device's WS-SNMP service).

pub mod contract;
pub mod interpret;
pub mod read;
pub mod snmp;
pub mod status;

pub use interpret::{DeviceReport, Identity, interpret, interpret_with};
/// The interpretation's status, supply, meter and alert types are the fleet wire types.
pub use proto::fleet::{
    FleetAlert, FleetMeter, FleetStatus, FleetSupply, SupplyClass, SupplyStatus,
};
pub mod snmprec;
pub mod wssnmp;
