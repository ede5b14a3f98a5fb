//! Incidents: their number, kind and status lifecycle; who took a meter read.

use crate::text::{ParseError, err};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A number people can quote: a prefix, the year and a per-partner sequence of that year, such as
/// `SR-2026-000123` (at least six digits, up to eight).
macro_rules! year_number {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        pub struct $name {
            year: u16,
            seq: u32,
        }

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn new(year: i32, seq: i64) -> Result<Self, ParseError> {
                let year = u16::try_from(year)
                    .ok()
                    .filter(|y| (1000..=9999).contains(y))
                    .ok_or_else(|| ParseError("year must have 4 digits".into()))?;
                let seq = u32::try_from(seq)
                    .ok()
                    .filter(|s| (1..=99_999_999).contains(s))
                    .ok_or_else(|| ParseError("sequence out of range".into()))?;
                Ok(Self { year, seq })
            }
            pub fn parse(input: &str) -> Result<Self, ParseError> {
                let s = input.trim();
                let bad = || ParseError(concat!("must look like ", $prefix, "-2026-000123").into());
                let rest = s
                    .strip_prefix($prefix)
                    .and_then(|r| r.strip_prefix('-'))
                    .ok_or_else(bad)?;
                let (year, seq) = rest.split_once('-').ok_or_else(bad)?;
                if year.len() != 4
                    || !(6..=8).contains(&seq.len())
                    || !year.bytes().all(|b| b.is_ascii_digit())
                    || !seq.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(bad());
                }
                let year: i32 = year.parse().map_err(|_| bad())?;
                let seq: i64 = seq.parse().map_err(|_| bad())?;
                Self::new(year, seq).map_err(|_| bad())
            }
            pub fn year(&self) -> i32 {
                i32::from(self.year)
            }
            pub fn seq(&self) -> u32 {
                self.seq
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}-{:04}-{:06}", $prefix, self.year, self.seq)
            }
        }
    };
}

year_number!(
    /// An incident's number, such as `SR-2026-000123`: year and a per-partner sequence.
    IncidentNumber,
    "SR"
);

year_number!(
    /// A meter read's confirmation number, such as `MR-2026-000123`: year and a per-partner
    /// sequence, counted like incident numbers.
    MeterReadNumber,
    "MR"
);

/// Where an incident stands. open → acknowledged → dispatched → resolved → closed;
/// open, acknowledged or dispatched → cancelled.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    Acknowledged,
    Dispatched,
    Resolved,
    Closed,
    Cancelled,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 6] = [
        Self::Open,
        Self::Acknowledged,
        Self::Dispatched,
        Self::Resolved,
        Self::Closed,
        Self::Cancelled,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Dispatched => "dispatched",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| {
                ParseError(
                    "must be one of open, acknowledged, dispatched, resolved, closed, cancelled"
                        .into(),
                )
            })
    }
    /// The statuses this one may change to.
    pub fn next(&self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            Open => &[Acknowledged, Cancelled],
            Acknowledged => &[Dispatched, Cancelled],
            Dispatched => &[Resolved, Cancelled],
            Resolved => &[Closed],
            Closed | Cancelled => &[],
        }
    }
    pub fn can_become(&self, to: IncidentStatus) -> bool {
        self.next().contains(&to)
    }
    /// Closed or cancelled: no further change; counts for retention.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Closed | Self::Cancelled)
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Service (a fault) or supply (toner, drums...).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Service,
    Supply,
}

impl IncidentKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Supply => "supply",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s.trim() {
            "service" => Ok(Self::Service),
            "supply" => Ok(Self::Supply),
            _ => err("must be service or supply"),
        }
    }
}

impl fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an incident came from: the walk-up flow (a person at the panel) or the fleet policies
/// of the Services Manager (an automatic supply order, a printer alert).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IncidentSource {
    #[default]
    WalkUp,
    Automatic,
}

impl IncidentSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::WalkUp => "walk_up",
            Self::Automatic => "automatic",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s.trim() {
            "walk_up" => Ok(Self::WalkUp),
            "automatic" => Ok(Self::Automatic),
            _ => err("must be walk_up or automatic"),
        }
    }
}

/// Who took a meter read: a person at the device, or the device on its own.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeterSource {
    WalkUp,
    Automatic,
}

impl MeterSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::WalkUp => "walk_up",
            Self::Automatic => "automatic",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s.trim() {
            "walk_up" => Ok(Self::WalkUp),
            "automatic" => Ok(Self::Automatic),
            _ => err("must be walk_up or automatic"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_number_formats_and_parses_round_trip() {
        let n = IncidentNumber::new(2026, 123).unwrap();
        assert_eq!(n.to_string(), "SR-2026-000123");
        assert_eq!(IncidentNumber::parse("SR-2026-000123").unwrap(), n);
        assert_eq!(
            IncidentNumber::parse("SR-2026-1234567").unwrap().seq(),
            1_234_567
        );
        for bad in [
            "SR-26-000001",
            "sr-2026-000001",
            "SR-2026-12",
            "SR-2026-00000a",
            "XX-2026-000001",
            "SR-2026-000000",
        ] {
            assert!(IncidentNumber::parse(bad).is_err(), "{bad:?} accepted");
            assert!(MeterReadNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn meter_read_numbers_have_their_own_prefix() {
        let n = MeterReadNumber::new(2026, 123).unwrap();
        assert_eq!(n.to_string(), "MR-2026-000123");
        assert_eq!(MeterReadNumber::parse(" MR-2026-000123 ").unwrap(), n);
        assert!(MeterReadNumber::parse("SR-2026-000123").is_err());
        assert!(IncidentNumber::parse("MR-2026-000123").is_err());
        assert!(MeterReadNumber::parse("MR2026-000123").is_err());
    }

    #[test]
    fn status_follows_the_lifecycle_and_cancel_only_before_resolution() {
        use IncidentStatus::*;
        assert!(Open.can_become(Acknowledged));
        assert!(Acknowledged.can_become(Dispatched));
        assert!(Dispatched.can_become(Resolved));
        assert!(Resolved.can_become(Closed));
        assert!(Open.can_become(Cancelled) && Dispatched.can_become(Cancelled));
        assert!(!Open.can_become(Resolved));
        assert!(!Resolved.can_become(Cancelled));
        assert!(!Closed.can_become(Open));
        assert!(Cancelled.next().is_empty() && Closed.is_final());
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()).unwrap(), s);
        }
        assert!(IncidentStatus::parse("reopened").is_err());
    }
}
