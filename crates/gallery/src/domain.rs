//! The gallery's identifiers are the shared ones (`proto`): one rule per newtype for every
//! service. `Tenant` is the gallery's name for a [`proto::PartnerId`].

pub use proto::text::ParseError as DomainError;
pub use proto::{AppId, DeviceSerial, KeyId, PartnerId, PartnerId as Tenant};

/// What a partner-admin API key may see and change.
///
/// A partner key sees only devices (and their configurations, entitlements, installs and
/// credentials) whose tenant is its partner; anything else answers 404, exactly as if it did not
/// exist, so a key cannot learn another partner's serials. The operator's admin key sees all
/// and alone publishes app versions. Keys stored before scopes existed (no partner) are admin
/// keys: they could already do everything, so nobody is locked out by the upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Admin,
    Partner(PartnerId),
}

impl Scope {
    /// Whether this key may see a device of `tenant`.
    pub fn sees(&self, tenant: &PartnerId) -> bool {
        match self {
            Self::Admin => true,
            Self::Partner(partner) => partner == tenant,
        }
    }

    /// The partner of a partner key; `None` for the admin scope.
    pub fn partner(&self) -> Option<&PartnerId> {
        match self {
            Self::Admin => None,
            Self::Partner(partner) => Some(partner),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Admin => f.write_str("admin"),
            Self::Partner(partner) => write!(f, "partner {partner}"),
        }
    }
}
