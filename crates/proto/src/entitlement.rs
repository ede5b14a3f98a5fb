//! Entitlements: per device serial, a service contract and/or a supplies contract, each with an
//! inclusive start and end date.

use crate::ids::DeviceSerial;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntitlementError {
    EndsBeforeStart {
        kind: &'static str,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
}

impl fmt::Display for EntitlementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EndsBeforeStart {
                kind,
                starts_on,
                ends_on,
            } => write!(
                f,
                "{kind} contract ends on {ends_on}, before it starts on {starts_on}"
            ),
        }
    }
}

impl std::error::Error for EntitlementError {}

/// A contract runs from `starts_on` to `ends_on`, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contract {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl Contract {
    pub fn new(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<Self, EntitlementError> {
        let contract = Self { starts_on, ends_on };
        contract.check("the")?;
        Ok(contract)
    }

    fn check(&self, kind: &'static str) -> Result<(), EntitlementError> {
        if self.ends_on < self.starts_on {
            return Err(EntitlementError::EndsBeforeStart {
                kind,
                starts_on: self.starts_on,
                ends_on: self.ends_on,
            });
        }
        Ok(())
    }

    /// True on every day from the start date to the end date, both included.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

/// What a device is entitled to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entitlements {
    pub service: Option<Contract>,
    pub supplies: Option<Contract>,
}

impl Entitlements {
    pub fn validate(&self) -> Result<(), EntitlementError> {
        if let Some(c) = &self.service {
            c.check("service")?;
        }
        if let Some(c) = &self.supplies {
            c.check("supplies")?;
        }
        Ok(())
    }

    pub fn service_on(&self, day: NaiveDate) -> bool {
        self.service.is_some_and(|c| c.covers(day))
    }

    pub fn supplies_on(&self, day: NaiveDate) -> bool {
        self.supplies.is_some_and(|c| c.covers(day))
    }
}

/// The entitlement document the gallery serves for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceEntitlements {
    #[schema(value_type = String)]
    pub serial: DeviceSerial,
    #[serde(flatten)]
    pub entitlements: Entitlements,
    /// The version of the device's current sealed app configuration (see
    /// `config::ConfigBinding`): the assistant refuses a configuration older than this.
    /// Absent while the gallery holds no configuration for the device (and from older galleries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_version: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn a_contract_covers_its_first_and_last_day_and_nothing_outside() {
        let c = Contract::new(day(2026, 1, 1), day(2026, 12, 31)).expect("contract");
        assert!(!c.covers(day(2025, 12, 31)));
        assert!(c.covers(day(2026, 1, 1)));
        assert!(c.covers(day(2026, 6, 15)));
        assert!(c.covers(day(2026, 12, 31)));
        assert!(!c.covers(day(2027, 1, 1)));
    }

    #[test]
    fn a_one_day_contract_covers_exactly_that_day() {
        let c = Contract::new(day(2028, 2, 29), day(2028, 2, 29)).expect("contract");
        assert!(c.covers(day(2028, 2, 29)));
        assert!(!c.covers(day(2028, 2, 28)));
        assert!(!c.covers(day(2028, 3, 1)));
    }

    #[test]
    fn a_contract_ending_before_it_starts_is_rejected() {
        let err = Entitlements {
            service: None,
            supplies: Some(Contract {
                starts_on: day(2026, 5, 2),
                ends_on: day(2026, 5, 1),
            }),
        }
        .validate()
        .expect_err("invalid");
        assert!(
            err.to_string()
                .contains("supplies contract ends on 2026-05-01"),
            "{err}"
        );
    }

    #[test]
    fn service_and_supplies_are_independent() {
        let e = Entitlements {
            service: Some(Contract::new(day(2026, 1, 1), day(2026, 6, 30)).expect("c")),
            supplies: Some(Contract::new(day(2026, 7, 1), day(2026, 12, 31)).expect("c")),
        };
        assert!(e.service_on(day(2026, 6, 30)) && !e.supplies_on(day(2026, 6, 30)));
        assert!(!e.service_on(day(2026, 7, 1)) && e.supplies_on(day(2026, 7, 1)));
        assert!(!Entitlements::default().service_on(day(2026, 7, 1)));
    }
}
