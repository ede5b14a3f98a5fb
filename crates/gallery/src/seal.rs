//! Sealing: AES-256-GCM with a keyring, so the gallery and the assistant (which hold the same
//! keys) can hand an opaque blob to a device and detect any change to it.
//!
//! Blob layout (then base64url without padding for transport):
//!
//! ```text
//! version (1 byte = 1) | key id length (1 byte) | key id (ASCII) | nonce (12 bytes) | ciphertext + tag (16 bytes)
//! ```
//!
//! The header (version, key id) is authenticated as associated data, so swapping the key id
//! is detected too. Each seal draws a fresh random 96-bit nonce.

use crate::b64;
use crate::domain::KeyId;
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use secrecy::{ExposeSecret, SecretBox};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;

pub const BLOB_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed blob is not base64url text")]
    NotBase64,
    #[error("sealed blob is truncated: {len} bytes is shorter than its {needed}-byte minimum")]
    Truncated { len: usize, needed: usize },
    #[error("sealed blob has format version {0}, this build reads version {BLOB_VERSION}")]
    UnsupportedVersion(u8),
    #[error("sealed blob names key id {0:?}, which is not in the keyring")]
    UnknownKeyId(String),
    #[error(
        "sealed blob failed authentication under key {0:?}: it was changed, or sealed with another key of that id"
    )]
    Tampered(String),
    #[error("sealed blob opened but its content is not the expected JSON: {0}")]
    BadContent(String),
    #[error("could not encode the content to seal: {0}")]
    Encode(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyringError {
    #[error("keyring is empty: give at least one KEY_ID=BASE64URL_32_BYTE_KEY")]
    Empty,
    /// Names the entry by position only: its text may be key material.
    #[error("keyring entry {0} (counting from 1) is not KEY_ID=BASE64URL_KEY")]
    Entry(usize),
    #[error("key {0:?} is not a base64url 32-byte key")]
    KeyMaterial(String),
    #[error("key id appears twice: {0}")]
    Duplicate(String),
    #[error(transparent)]
    KeyId(#[from] crate::domain::DomainError),
}

/// One 256-bit AES key.
pub struct SealingKey(SecretBox<[u8; 32]>);

impl SealingKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// The key as base64url, for writing into the configuration of both services.
    pub fn to_base64url(&self) -> String {
        b64::url_encode(self.0.expose_secret())
    }

    fn cipher(&self) -> Aes256Gcm {
        // A 32-byte key is always a valid AES-256 key.
        Aes256Gcm::new(self.0.expose_secret().into())
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

/// Several keys by id; the current one seals, all of them unseal (rotation).
#[derive(Debug)]
pub struct SealingKeyring {
    current: KeyId,
    keys: BTreeMap<KeyId, SealingKey>,
}

impl SealingKeyring {
    pub fn new(current: KeyId, key: SealingKey) -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(current.clone(), key);
        Self { current, keys }
    }

    /// Adds a key that still unseals but no longer seals.
    pub fn with_retired(mut self, id: KeyId, key: SealingKey) -> Self {
        self.keys.insert(id, key);
        self
    }

    /// Makes another key the one that seals; the previous one keeps unsealing.
    pub fn rotate_to(mut self, id: KeyId, key: SealingKey) -> Self {
        self.keys.insert(id.clone(), key);
        self.current = id;
        self
    }

    /// Parses `current=KEY,older=KEY,...` (comma separated, first entry seals; `ID:KEY` works too).
    pub fn parse(spec: &str) -> Result<Self, KeyringError> {
        let mut entries = spec
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate();
        let (_, first) = entries.next().ok_or(KeyringError::Empty)?;
        let (id, key) = parse_entry(1, first)?;
        let mut ring = Self::new(id, key);
        for (index, entry) in entries {
            let (id, key) = parse_entry(index + 1, entry)?;
            if ring.keys.contains_key(&id) {
                return Err(KeyringError::Duplicate(id.to_string()));
            }
            ring.keys.insert(id, key);
        }
        Ok(ring)
    }

    /// A fresh single-key keyring (development, tests).
    pub fn generate(id: &str) -> Result<Self, KeyringError> {
        Ok(Self::new(KeyId::parse(id)?, SealingKey::generate()))
    }

    /// The `id=key,...` form that [`SealingKeyring::parse`] reads.
    pub fn to_spec(&self) -> String {
        let mut parts = vec![format!(
            "{}={}",
            self.current,
            self.keys[&self.current].to_base64url()
        )];
        for (id, key) in &self.keys {
            if *id != self.current {
                parts.push(format!("{id}={}", key.to_base64url()));
            }
        }
        parts.join(",")
    }

    pub fn current_key_id(&self) -> &KeyId {
        &self.current
    }

    /// Seals bytes with the current key and a fresh nonce; returns base64url text.
    pub fn seal_bytes(&self, plaintext: &[u8]) -> Result<String, SealError> {
        let key = self
            .keys
            .get(&self.current)
            .ok_or_else(|| SealError::UnknownKeyId(self.current.to_string()))?;
        let header = header(&self.current);
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let ciphertext = key
            .cipher()
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: &header,
                },
            )
            .map_err(|_| SealError::Encode("encryption failed".into()))?;
        let mut blob = header;
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Ok(b64::url_encode(&blob))
    }

    /// Opens a blob sealed by any key of this keyring.
    pub fn unseal_bytes(&self, blob: &str) -> Result<Vec<u8>, SealError> {
        let raw = b64::url_decode(blob).map_err(|_| SealError::NotBase64)?;
        let minimum = 2 + 1 + NONCE_LEN + TAG_LEN;
        if raw.len() < 2 {
            return Err(SealError::Truncated {
                len: raw.len(),
                needed: minimum,
            });
        }
        if raw[0] != BLOB_VERSION {
            return Err(SealError::UnsupportedVersion(raw[0]));
        }
        let id_len = raw[1] as usize;
        let needed = 2 + id_len + NONCE_LEN + TAG_LEN;
        if raw.len() < needed.max(minimum) {
            return Err(SealError::Truncated {
                len: raw.len(),
                needed: needed.max(minimum),
            });
        }
        let id_text = String::from_utf8_lossy(&raw[2..2 + id_len]).into_owned();
        let id = KeyId::parse(&id_text).map_err(|_| SealError::UnknownKeyId(id_text.clone()))?;
        let key = self
            .keys
            .get(&id)
            .ok_or_else(|| SealError::UnknownKeyId(id_text.clone()))?;
        let (header, rest) = raw.split_at(2 + id_len);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Truncated {
            len: raw.len(),
            needed,
        })?;
        key.cipher()
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: header,
                },
            )
            .map_err(|_| SealError::Tampered(id_text))
    }

    /// Seals a value as JSON.
    pub fn seal<T: Serialize>(&self, value: &T) -> Result<String, SealError> {
        let json = serde_json::to_vec(value).map_err(|e| SealError::Encode(e.to_string()))?;
        self.seal_bytes(&json)
    }

    /// Opens a blob and reads its JSON content.
    pub fn unseal<T: DeserializeOwned>(&self, blob: &str) -> Result<T, SealError> {
        let bytes = self.unseal_bytes(blob)?;
        serde_json::from_slice(&bytes).map_err(|e| SealError::BadContent(e.to_string()))
    }
}

fn header(id: &KeyId) -> Vec<u8> {
    let id = id.as_str().as_bytes();
    let mut header = Vec::with_capacity(2 + id.len());
    header.push(BLOB_VERSION);
    // KeyId is at most 32 bytes, so it fits one byte.
    header.push(id.len() as u8);
    header.extend_from_slice(id);
    header
}

fn parse_entry(position: usize, entry: &str) -> Result<(KeyId, SealingKey), KeyringError> {
    let (id, key) = entry
        .split_once(['=', ':'])
        .ok_or(KeyringError::Entry(position))?;
    let id = KeyId::parse(id.trim())?;
    let bytes = b64::url_decode(key).map_err(|_| KeyringError::KeyMaterial(id.to_string()))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyringError::KeyMaterial(id.to_string()))?;
    Ok((id, SealingKey::from_bytes(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AppConfiguration;

    fn ring(id: &str) -> SealingKeyring {
        SealingKeyring::generate(id).expect("keyring")
    }

    fn flip(blob: &str, index: usize) -> String {
        let mut raw = b64::url_decode(blob).expect("decode");
        raw[index] ^= 0x01;
        b64::url_encode(&raw)
    }

    #[test]
    fn seal_then_unseal_round_trips_an_app_configuration() {
        let keys = ring("k1");
        let config = AppConfiguration {
            snmp_community: "s3cret".parse().expect("community"),
            help_desk_text: "Call 555-0100".into(),
            ..Default::default()
        };
        let blob = keys.seal(&config).expect("seal");
        let back: AppConfiguration = keys.unseal(&blob).expect("unseal");
        assert_eq!(back, config);
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let keys = ring("k1");
        let a = keys.seal_bytes(b"same").expect("seal");
        let b = keys.seal_bytes(b"same").expect("seal");
        assert_ne!(a, b);
        let nonce = |blob: &str| b64::url_decode(blob).expect("decode")[4..16].to_vec();
        assert_ne!(nonce(&a), nonce(&b));
    }

    #[test]
    fn a_flipped_byte_anywhere_is_rejected() {
        let keys = ring("k1");
        let blob = keys.seal_bytes(b"{\"a\":1}").expect("seal");
        let len = b64::url_decode(&blob).expect("decode").len();
        for index in 0..len {
            let result = keys.unseal_bytes(&flip(&blob, index));
            assert!(result.is_err(), "flipping byte {index} went unnoticed");
        }
        // In the ciphertext the error says the blob was changed.
        assert_eq!(
            keys.unseal_bytes(&flip(&blob, len - 1)),
            Err(SealError::Tampered("k1".into()))
        );
        assert_eq!(
            keys.unseal_bytes(&flip(&blob, 0)),
            Err(SealError::UnsupportedVersion(0))
        );
    }

    #[test]
    fn an_unknown_key_id_is_rejected() {
        let blob = ring("k1").seal_bytes(b"x").expect("seal");
        assert_eq!(
            ring("k2").unseal_bytes(&blob),
            Err(SealError::UnknownKeyId("k1".into()))
        );
    }

    #[test]
    fn a_wrong_key_under_the_same_id_is_rejected() {
        let blob = ring("k1").seal_bytes(b"x").expect("seal");
        assert_eq!(
            ring("k1").unseal_bytes(&blob),
            Err(SealError::Tampered("k1".into()))
        );
    }

    #[test]
    fn a_truncated_blob_is_rejected() {
        let keys = ring("k1");
        let blob = keys.seal_bytes(b"hello").expect("seal");
        let raw = b64::url_decode(&blob).expect("decode");
        for cut in [0, 1, 3, 10, 2 + 2 + NONCE_LEN + TAG_LEN - 1] {
            let short = b64::url_encode(&raw[..cut]);
            assert!(
                matches!(keys.unseal_bytes(&short), Err(SealError::Truncated { .. })),
                "cut at {cut}"
            );
        }
        // Cut after the minimum: the tag no longer matches.
        let short = b64::url_encode(&raw[..raw.len() - 1]);
        assert_eq!(
            keys.unseal_bytes(&short),
            Err(SealError::Tampered("k1".into()))
        );
    }

    #[test]
    fn text_that_is_not_base64url_is_rejected() {
        assert_eq!(ring("k1").unseal_bytes("a+b/c="), Err(SealError::NotBase64));
    }

    #[test]
    fn rotation_keeps_old_blobs_readable_and_seals_with_the_new_key() {
        let old = ring("2025");
        let old_blob = old.seal_bytes(b"old").expect("seal");
        let rotated = SealingKeyring::parse(&old.to_spec())
            .expect("parse")
            .rotate_to(KeyId::parse("2026").expect("id"), SealingKey::generate());
        assert_eq!(rotated.unseal_bytes(&old_blob).expect("old"), b"old");
        let new_blob = rotated.seal_bytes(b"new").expect("seal");
        assert_eq!(rotated.current_key_id().as_str(), "2026");
        assert_eq!(
            old.unseal_bytes(&new_blob),
            Err(SealError::UnknownKeyId("2026".into()))
        );
    }

    #[test]
    fn keyring_spec_round_trips_and_rejects_bad_entries() {
        let keys = ring("k1");
        let again = SealingKeyring::parse(&keys.to_spec()).expect("parse");
        let colon = SealingKeyring::parse(&keys.to_spec().replacen('=', ":", 1)).expect("ID:KEY");
        let blob = keys.seal_bytes(b"x").expect("seal");
        assert_eq!(again.unseal_bytes(&blob).expect("unseal"), b"x");
        assert_eq!(colon.unseal_bytes(&blob).expect("unseal"), b"x");
        assert!(matches!(
            SealingKeyring::parse(""),
            Err(KeyringError::Empty)
        ));
        assert!(matches!(
            SealingKeyring::parse("k1=short"),
            Err(KeyringError::KeyMaterial(_))
        ));
        assert!(matches!(
            SealingKeyring::parse("nokey"),
            Err(KeyringError::Entry(_))
        ));
        assert!(!format!("{keys:?}").contains(&keys.to_spec()[3..]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_bytes_round_trip(plaintext in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let keys = ring("k1");
            let blob = keys.seal_bytes(&plaintext).expect("seal");
            proptest::prop_assert_eq!(keys.unseal_bytes(&blob).expect("unseal"), plaintext);
        }

        #[test]
        fn any_change_to_a_blob_is_rejected(
            plaintext in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            position in proptest::prelude::any::<proptest::sample::Index>(),
            mask in 1u8..=255,
        ) {
            let keys = ring("k1");
            let blob = keys.seal_bytes(&plaintext).expect("seal");
            let mut raw = b64::url_decode(&blob).expect("decode");
            let i = position.index(raw.len());
            raw[i] ^= mask;
            proptest::prop_assert!(keys.unseal_bytes(&b64::url_encode(&raw)).is_err());
        }
    }
}
