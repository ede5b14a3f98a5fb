//! The gallery's identifiers are the shared ones (`proto`): one rule per newtype for every
//! service. `Tenant` is the gallery's name for a [`proto::PartnerId`].

pub use proto::text::ParseError as DomainError;
pub use proto::{AppId, DeviceSerial, KeyId, PartnerId, PartnerId as Tenant};
