//! The shared vocabulary of Support Assistant's services: parse-once newtypes (one set of rules
//! for each), the wire types services exchange, and the RFC 9457 `Problem` body.
//!
//! Depends only on serde, utoipa, chrono and uuid, so every crate may use it without pulling in
//! another service. Storage rows never live here: each service keeps its own.
//!
//! - [`text`], [`ids`], [`pii`], [`incident`]: the newtypes, each built only through `parse`.
//! - [`problem`]: `Problem` and the one `type` URI convention ([`problem::TYPE_BASE`]).
//! - [`manager`]: the Services Manager's requests and views, and the submission rules
//!   (supply levels, part numbers, meter counts…) every service applies the same way.
//! - [`config`], [`entitlement`], [`credential`]: what the App Gallery hands to the assistant.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod b64;
pub mod config;
pub mod credential;
pub mod entitlement;
pub mod fleet;
pub mod ids;
pub mod incident;
pub mod issues;
pub mod manager;
pub mod pii;
pub mod problem;
pub mod schema;
pub mod text;

pub use config::{AppConfiguration, ConfirmationEmail, ImageType, Logo, Permissions, Tab, Tabs};
pub use credential::{Claims, PublicKeySet, RevocationList};
pub use entitlement::{Contract, DeviceEntitlements, Entitlements};
pub use ids::{AppId, DeviceSerial, KeyId, Language, PartnerId, SnmpCommunity};
pub use incident::{
    IncidentKind, IncidentNumber, IncidentSource, IncidentStatus, MeterReadNumber, MeterSource,
};
pub use pii::{Contact, ContactName, EmailAddress, PhoneNumber};
pub use problem::{FieldProblem, Problem};
pub use text::{FreeText, IssueCode, Label, ParseError};

/// Implements the serde and string conversions of a string newtype that has
/// `fn parse(&str) -> Result<Self, ParseError>` and keeps its text in field 0.
macro_rules! string_conversions {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = $crate::text::ParseError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$t> for String {
            fn from(value: $t) -> String {
                value.0
            }
        }
        impl std::str::FromStr for $t {
            type Err = $crate::text::ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use string_conversions;

/// `Display` as the text itself (not for personal data).
macro_rules! display_as_str {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use display_as_str;
