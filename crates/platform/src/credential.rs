//! Device credentials: an Ed25519-signed token that binds a device serial, a tenant, an app id,
//! an expiry and the signing key's id. The App Gallery issues them ([`SigningKeyring`]); the
//! assistant verifies them offline ([`verify`]) with the gallery's public keys ([`PublicKeys`])
//! and revocation list ([`RevocationList`]). The claims themselves are `proto::Claims`.
//!
//! Token: `base64url(JSON payload) "." base64url(64-byte signature over the first part)`.

use crate::b64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use proto::{AppId, DeviceSerial, KeyId, PartnerId as Tenant};
use secrecy::{ExposeSecret, SecretBox};
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

pub use proto::credential::{Claims, PublicKeySet, RevocationList, TOKEN_VERSION};

/// How far a credential's issue time (`iat`) may lie ahead of the verifier's clock: clocks of
/// the gallery and the assistant may differ this much; a token "issued" later than that is
/// forged or from a broken clock and is refused.
pub const MAX_CLOCK_SKEW_SECS: i64 = 60;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error("credential is malformed: {0}")]
    Malformed(&'static str),
    #[error("credential is signed with key id {0:?}, which is not among the trusted public keys")]
    UnknownKeyId(String),
    #[error("credential signature does not verify with key {0:?}")]
    BadSignature(String),
    #[error("credential expired at {0}")]
    Expired(DateTime<Utc>),
    #[error("credential belongs to device {token_serial}, not to device {expected}")]
    WrongDevice {
        expected: DeviceSerial,
        token_serial: DeviceSerial,
    },
    #[error("credential {0} has been revoked")]
    Revoked(Uuid),
    #[error(
        "credential claims to be issued at {0}, in the future (more than {MAX_CLOCK_SKEW_SECS} s ahead of this clock)"
    )]
    IssuedInFuture(DateTime<Utc>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigningKeyError {
    #[error("signing keyring is empty: give at least one KEY_ID=BASE64URL_32_BYTE_SEED")]
    Empty,
    /// Names the entry by position only: its text may be key material.
    #[error("signing key entry {0} (counting from 1) is not KEY_ID=BASE64URL_SEED")]
    Entry(usize),
    #[error("signing key {0:?} is not a base64url 32-byte seed")]
    KeyMaterial(String),
    #[error("public key {0:?} is not a valid base64url Ed25519 public key")]
    PublicKey(String),
    #[error("{0}")]
    KeyId(#[from] proto::ParseError),
}

/// The gallery's signing keys: the current one signs; all public halves are published.
pub struct SigningKeyring {
    current: KeyId,
    keys: BTreeMap<KeyId, SecretBox<[u8; 32]>>,
}

impl fmt::Debug for SigningKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyring")
            .field("current", &self.current)
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SigningKeyring {
    pub fn from_seed(id: KeyId, seed: [u8; 32]) -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(id.clone(), SecretBox::new(Box::new(seed)));
        Self { current: id, keys }
    }

    pub fn generate(id: &str) -> Result<Self, SigningKeyError> {
        let mut seed = [0u8; 32];
        rand::fill(&mut seed);
        Ok(Self::from_seed(KeyId::parse(id)?, seed))
    }

    /// Signs with a new key from now on; tokens of the older keys keep verifying.
    pub fn rotate_to(mut self, id: KeyId, seed: [u8; 32]) -> Self {
        self.keys.insert(id.clone(), SecretBox::new(Box::new(seed)));
        self.current = id;
        self
    }

    /// Parses `current=SEED,older=SEED` (base64url 32-byte seeds; the first one signs;
    /// `ID:SEED` works too).
    pub fn parse(spec: &str) -> Result<Self, SigningKeyError> {
        let mut ring: Option<Self> = None;
        let entries = spec.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let (id, seed) = entry
                .split_once(['=', ':'])
                .ok_or(SigningKeyError::Entry(index + 1))?;
            let id = KeyId::parse(id.trim())?;
            let seed: [u8; 32] = b64::url_decode(seed)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| SigningKeyError::KeyMaterial(id.to_string()))?;
            ring = Some(match ring {
                None => Self::from_seed(id, seed),
                Some(mut r) => {
                    r.keys.insert(id, SecretBox::new(Box::new(seed)));
                    r
                }
            });
        }
        ring.ok_or(SigningKeyError::Empty)
    }

    pub fn to_spec(&self) -> String {
        let mut ids: Vec<&KeyId> = vec![&self.current];
        ids.extend(self.keys.keys().filter(|id| **id != self.current));
        ids.iter()
            .map(|id| format!("{id}={}", b64::url_encode(self.keys[*id].expose_secret())))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn current_key_id(&self) -> &KeyId {
        &self.current
    }

    /// The public keys to hand to verifiers.
    pub fn public_keys(&self) -> PublicKeys {
        let keys = self
            .keys
            .iter()
            .map(|(id, seed)| {
                (
                    id.clone(),
                    SigningKey::from_bytes(seed.expose_secret()).verifying_key(),
                )
            })
            .collect();
        PublicKeys { keys }
    }

    /// Issues a credential signed with the current key.
    pub fn issue(
        &self,
        id: Uuid,
        serial: DeviceSerial,
        tenant: Tenant,
        app_id: AppId,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(String, Claims), CredentialError> {
        let claims = Claims {
            v: TOKEN_VERSION,
            id,
            kid: self.current.clone(),
            serial,
            tenant,
            app_id,
            iat: issued_at.timestamp(),
            exp: expires_at.timestamp(),
        };
        let seed = self
            .keys
            .get(&self.current)
            .ok_or_else(|| CredentialError::UnknownKeyId(self.current.to_string()))?;
        let payload = serde_json::to_vec(&claims)
            .map_err(|_| CredentialError::Malformed("claims do not serialize"))?;
        let head = b64::url_encode(&payload);
        let signature = SigningKey::from_bytes(seed.expose_secret()).sign(head.as_bytes());
        Ok((
            format!("{head}.{}", b64::url_encode(&signature.to_bytes())),
            claims,
        ))
    }
}

/// Trusted public keys by key id (several during a rotation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeys {
    keys: BTreeMap<KeyId, VerifyingKey>,
}

impl PublicKeys {
    pub fn insert(&mut self, id: KeyId, key: VerifyingKey) {
        self.keys.insert(id, key);
    }

    pub fn to_set(&self) -> PublicKeySet {
        PublicKeySet {
            keys: self
                .keys
                .iter()
                .map(|(id, key)| (id.to_string(), b64::url_encode(key.as_bytes())))
                .collect(),
        }
    }

    pub fn from_set(set: &PublicKeySet) -> Result<Self, SigningKeyError> {
        let mut keys = BTreeMap::new();
        for (id, key) in &set.keys {
            let id = KeyId::parse(id)?;
            let bytes: [u8; 32] = b64::url_decode(key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| SigningKeyError::PublicKey(id.to_string()))?;
            let key = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| SigningKeyError::PublicKey(id.to_string()))?;
            keys.insert(id, key);
        }
        Ok(Self { keys })
    }
}

/// Reads a token's claims without checking anything (for logs and error reports only).
pub fn peek(token: &str) -> Result<Claims, CredentialError> {
    let (head, _) = token
        .trim()
        .split_once('.')
        .ok_or(CredentialError::Malformed("expected PAYLOAD.SIGNATURE"))?;
    let payload = b64::url_decode(head)
        .map_err(|_| CredentialError::Malformed("payload is not base64url"))?;
    serde_json::from_slice(&payload)
        .map_err(|_| CredentialError::Malformed("payload is not the expected JSON"))
}

/// Verifies a device credential offline: the key id is trusted, the signature verifies, it has
/// not expired at `now`, it belongs to `expected_serial` (when given), and it is not revoked.
pub fn verify(
    token: &str,
    public_keys: &PublicKeys,
    revocations: &RevocationList,
    now: DateTime<Utc>,
    expected_serial: Option<&DeviceSerial>,
) -> Result<Claims, CredentialError> {
    let token = token.trim();
    let (head, signature) = token
        .split_once('.')
        .ok_or(CredentialError::Malformed("expected PAYLOAD.SIGNATURE"))?;
    let claims = peek(token)?;
    if claims.v != TOKEN_VERSION {
        return Err(CredentialError::Malformed("unsupported token version"));
    }
    let key = public_keys
        .keys
        .get(&claims.kid)
        .ok_or_else(|| CredentialError::UnknownKeyId(claims.kid.to_string()))?;
    let signature = b64::url_decode(signature)
        .ok()
        .and_then(|bytes| Signature::from_slice(&bytes).ok())
        .ok_or(CredentialError::Malformed(
            "signature is not 64 base64url bytes",
        ))?;
    key.verify_strict(head.as_bytes(), &signature)
        .map_err(|_| CredentialError::BadSignature(claims.kid.to_string()))?;
    if now.timestamp() >= claims.exp {
        return Err(CredentialError::Expired(claims.expires_at()));
    }
    if claims.iat > now.timestamp().saturating_add(MAX_CLOCK_SKEW_SECS) {
        return Err(CredentialError::IssuedInFuture(
            DateTime::from_timestamp(claims.iat, 0).unwrap_or(DateTime::<Utc>::MAX_UTC),
        ));
    }
    if let Some(expected) = expected_serial
        && *expected != claims.serial
    {
        return Err(CredentialError::WrongDevice {
            expected: expected.clone(),
            token_serial: claims.serial,
        });
    }
    if revocations.is_revoked(&claims.id) {
        return Err(CredentialError::Revoked(claims.id));
    }
    Ok(claims)
}

#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("could not fetch {url}: {source}")]
    Fetch {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error(transparent)]
    Keys(#[from] SigningKeyError),
}

/// Fetches what an offline verifier needs from the gallery: its public keys (`GET /api/keys`)
/// and revocation list (`GET /api/credentials/revoked`). Refresh them periodically (the gallery
/// sends max-age 3600 and 60 seconds).
pub async fn fetch_trust(gallery_url: &str) -> Result<(PublicKeys, RevocationList), TrustError> {
    async fn get<T: serde::de::DeserializeOwned>(url: String) -> Result<T, TrustError> {
        let fetch = |source| TrustError::Fetch {
            url: url.clone(),
            source,
        };
        crate::ops::client::client()
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(fetch)?
            .json()
            .await
            .map_err(fetch)
    }
    let base = gallery_url.trim_end_matches('/');
    let set: PublicKeySet = get(format!("{base}/api/keys")).await?;
    let revocations: RevocationList = get(format!("{base}/api/credentials/revoked")).await?;
    Ok((PublicKeys::from_set(&set)?, revocations))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
            .single()
            .expect("time")
    }

    fn serial(s: &str) -> DeviceSerial {
        DeviceSerial::parse(s).expect("serial")
    }

    fn issue(ring: &SigningKeyring, id: Uuid, days: i64) -> String {
        ring.issue(
            id,
            serial("XRX1"),
            Tenant::parse("partner-a").expect("tenant"),
            AppId::parse("support-assistant").expect("app"),
            t0(),
            t0() + Duration::days(days),
        )
        .expect("issue")
        .0
    }

    #[test]
    fn a_fresh_credential_verifies_and_binds_serial_tenant_app_and_key() {
        let ring = SigningKeyring::generate("sig1").expect("ring");
        let id = Uuid::from_u128(7);
        let token = issue(&ring, id, 30);
        let claims = verify(
            &token,
            &ring.public_keys(),
            &RevocationList::default(),
            t0() + Duration::days(1),
            Some(&serial("XRX1")),
        )
        .expect("valid");
        assert_eq!(claims.id, id);
        assert_eq!(claims.serial.as_str(), "XRX1");
        assert_eq!(claims.tenant.as_str(), "partner-a");
        assert_eq!(claims.app_id.as_str(), "support-assistant");
        assert_eq!(claims.kid.as_str(), "sig1");
    }

    #[test]
    fn an_expired_credential_is_rejected() {
        let ring = SigningKeyring::generate("sig1").expect("ring");
        let token = issue(&ring, Uuid::from_u128(1), 30);
        let at_expiry = t0() + Duration::days(30);
        assert_eq!(
            verify(
                &token,
                &ring.public_keys(),
                &RevocationList::default(),
                at_expiry,
                None
            ),
            Err(CredentialError::Expired(at_expiry))
        );
        let just_before = at_expiry - Duration::seconds(1);
        assert!(
            verify(
                &token,
                &ring.public_keys(),
                &RevocationList::default(),
                just_before,
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn a_credential_signed_by_another_key_is_rejected() {
        let ring = SigningKeyring::generate("sig1").expect("ring");
        let impostor = SigningKeyring::generate("sig1").expect("ring");
        let token = issue(&impostor, Uuid::from_u128(1), 30);
        assert_eq!(
            verify(
                &token,
                &ring.public_keys(),
                &RevocationList::default(),
                t0(),
                None
            ),
            Err(CredentialError::BadSignature("sig1".into()))
        );
    }

    #[test]
    fn a_changed_payload_is_rejected() {
        let ring = SigningKeyring::generate("sig1").expect("ring");
        let token = issue(&ring, Uuid::from_u128(1), 30);
        let (_, signature) = token.split_once('.').expect("dot");
        let mut claims = peek(&token).expect("peek");
        claims.serial = serial("OTHER");
        let forged = format!(
            "{}.{signature}",
            b64::url_encode(&serde_json::to_vec(&claims).expect("json"))
        );
        assert_eq!(
            verify(
                &forged,
                &ring.public_keys(),
                &RevocationList::default(),
                t0(),
                None
            ),
            Err(CredentialError::BadSignature("sig1".into()))
        );
    }

    #[test]
    fn a_credential_for_another_serial_is_rejected() {
        let ring = SigningKeyring::generate("sig1").expect("ring");
        let token = issue(&ring, Uuid::from_u128(1), 30);
        assert_eq!(
            verify(
                &token,
                &ring.public_keys(),
                &RevocationList::default(),
                t0(),
                Some(&serial("XRX2"))
            ),
            Err(CredentialError::WrongDevice {
                expected: serial("XRX2"),
                token_serial: serial("XRX1")
            })
        );
    }

    #[test]
    fn a_credential_issued_in_the_future_beyond_the_skew_is_rejected() {
        let ring = SigningKeyring::from_seed(KeyId::parse("k1").expect("kid"), [7; 32]);
        let sign = |issued: DateTime<Utc>| {
            ring.issue(
                Uuid::nil(),
                serial("DEV1"),
                Tenant::parse("acme").expect("tenant"),
                AppId::parse("support-assistant").expect("app"),
                issued,
                issued + chrono::Duration::days(365 * 4),
            )
            .expect("issue")
            .0
        };
        let keys = ring.public_keys();
        let none = RevocationList::default();
        let within = sign(t0() + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECS));
        assert!(
            verify(&within, &keys, &none, t0(), None).is_ok(),
            "within the skew"
        );
        let beyond = sign(t0() + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECS + 1));
        assert!(matches!(
            verify(&beyond, &keys, &none, t0(), None),
            Err(CredentialError::IssuedInFuture(_))
        ));
        let in_three_years = sign(t0() + chrono::Duration::days(3 * 365));
        let err = verify(&in_three_years, &keys, &none, t0(), None).expect_err("future");
        assert!(err.to_string().contains("in the future"), "{err}");
    }

    #[test]
    fn a_revoked_credential_is_rejected() {
        let ring = SigningKeyring::generate("sig1").expect("ring");
        let id = Uuid::from_u128(99);
        let token = issue(&ring, id, 30);
        let mut revoked = RevocationList::default();
        revoked.revoked.insert(id);
        assert_eq!(
            verify(&token, &ring.public_keys(), &revoked, t0(), None),
            Err(CredentialError::Revoked(id))
        );
    }

    #[test]
    fn an_unknown_key_id_is_rejected() {
        let old = SigningKeyring::generate("sig1").expect("ring");
        let other = SigningKeyring::generate("sig9").expect("ring");
        let token = issue(&other, Uuid::from_u128(1), 30);
        assert_eq!(
            verify(
                &token,
                &old.public_keys(),
                &RevocationList::default(),
                t0(),
                None
            ),
            Err(CredentialError::UnknownKeyId("sig9".into()))
        );
    }

    #[test]
    fn garbage_is_rejected_as_malformed() {
        let ring = SigningKeyring::generate("sig1").expect("ring");
        for token in ["", "abc", "abc.def", "e30.AAAA"] {
            assert!(matches!(
                verify(
                    token,
                    &ring.public_keys(),
                    &RevocationList::default(),
                    t0(),
                    None
                ),
                Err(CredentialError::Malformed(_))
            ));
        }
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_and_new_ones_use_the_new_key() {
        let ring = SigningKeyring::generate("2025").expect("ring");
        let old_token = issue(&ring, Uuid::from_u128(1), 30);
        let ring = SigningKeyring::parse(&ring.to_spec())
            .expect("parse")
            .rotate_to(KeyId::parse("2026").expect("id"), [4u8; 32]);
        let new_token = issue(&ring, Uuid::from_u128(2), 30);
        // Keys travel through their published form, as the assistant receives them.
        let keys = PublicKeys::from_set(&ring.public_keys().to_set()).expect("keys");
        let none = RevocationList::default();
        assert_eq!(
            verify(&old_token, &keys, &none, t0(), None)
                .expect("old")
                .kid
                .as_str(),
            "2025"
        );
        assert_eq!(
            verify(&new_token, &keys, &none, t0(), None)
                .expect("new")
                .kid
                .as_str(),
            "2026"
        );
    }
}
