//! What a device credential says, and what the gallery publishes so it can be checked offline:
//! its public keys and its revocation list. Signing and verifying live in `platform::credential`.

use crate::ids::{AppId, DeviceSerial, KeyId, PartnerId};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The credential token format version.
pub const TOKEN_VERSION: u8 = 1;

/// What a credential says, once verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Format version.
    pub v: u8,
    /// The credential's own id (revocation names it).
    pub id: Uuid,
    /// Signing key id.
    pub kid: KeyId,
    pub serial: DeviceSerial,
    pub tenant: PartnerId,
    pub app_id: AppId,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch (not valid from this second on).
    pub exp: i64,
}

impl Claims {
    pub fn expires_at(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(self.exp, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// The published form of the gallery's public keys: key id → base64url public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicKeySet {
    /// Ed25519 public keys, base64url (no padding), by key id.
    pub keys: BTreeMap<String, String>,
}

/// Ids of revoked credentials, as the gallery publishes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevocationList {
    pub revoked: BTreeSet<Uuid>,
}

impl RevocationList {
    pub fn is_revoked(&self, id: &Uuid) -> bool {
        self.revoked.contains(id)
    }
}
