//! Entitlements: per device serial, a service contract and/or a supplies contract (types in
//! `proto::entitlement`). The one client that reads them (ETag, max-age, last known value when
//! the gallery is down) is `platform::entitlement`.

pub use platform::entitlement::{EntitlementClient, EntitlementError as ClientError, Source};
pub use proto::entitlement::{Contract, DeviceEntitlements, EntitlementError, Entitlements};
