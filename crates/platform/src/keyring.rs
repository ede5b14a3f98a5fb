//! The one keyring: AES-256-GCM keys by id, used by every service for everything it seals —
//! the app configuration the gallery hands to a device (and the assistant opens), contact
//! details the manager keeps at rest, contacts in the assistant's outbox.
//!
//! # Blob format
//!
//! ```text
//! base64url-no-pad( version (1 byte = 1) | key id length (1 byte) | key id (ASCII)
//!                   | nonce (12 bytes, fresh random per seal) | ciphertext + tag (16 bytes) )
//! ```
//!
//! Associated data = the header (version, key id length, key id) followed by the caller's
//! context bytes (e.g. `"<incident id>:email"`), so a changed key id, a changed byte anywhere, or
//! a value copied to another row does not open. With an empty context this is byte for byte the
//! App Gallery's sealed-configuration format, so every blob it sealed before still opens.
//!
//! Values the Services Manager encrypted before this keyring (`v1:KEYID:BASE64(nonce ||
//! ciphertext)`, associated data = context) still open: [`Keyring::unseal_bytes_for`]
//! recognises them by their `v1:` prefix (base64url has no `:`), and the manager's next write
//! of that row uses the format above.
//!
//! # Key spec (one syntax)
//!
//! `ID=KEY,ID=KEY,…` — entries separated by commas or new lines; blank lines and lines
//! starting with `#` are skipped; `ID:KEY` works too. An id is 1–32 of `A-Z a-z 0-9 - _`; a
//! key is 32 bytes in base64url without padding (or standard base64, as the manager's key
//! files had).
//!
//! # Rotation rule (one rule)
//!
//! **The first entry seals; every entry opens.** To rotate, put a new key in front and keep
//! the old ones behind it until nothing sealed with them is left. (The manager's key files
//! used to make the *last* line active: such a file with several lines must have its newest
//! key moved to the top; single-key files — what the demo writes — need nothing.)

use crate::b64;
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use proto::KeyId;
use secrecy::{ExposeSecret, SecretBox};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt;

pub const BLOB_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The prefix of the manager's earlier format.
const LEGACY_PREFIX: &str = "v1:";

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
    #[error("{0}")]
    KeyId(#[from] proto::ParseError),
}

/// One 256-bit AES key.
pub struct Key(SecretBox<[u8; 32]>);

impl Key {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// The key as base64url, for writing into the configuration of the services that share it.
    pub fn to_base64url(&self) -> String {
        b64::url_encode(self.0.expose_secret())
    }

    fn cipher(&self) -> Aes256Gcm {
        // A 32-byte key is always a valid AES-256 key.
        Aes256Gcm::new(self.0.expose_secret().into())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key([redacted])")
    }
}

/// Several keys by id; the current one seals, all of them open (rotation).
#[derive(Debug)]
pub struct Keyring {
    current: KeyId,
    keys: BTreeMap<KeyId, Key>,
}

impl Keyring {
    pub fn new(current: KeyId, key: Key) -> Self {
        let mut keys = BTreeMap::new();
        keys.insert(current.clone(), key);
        Self { current, keys }
    }

    /// One key from raw bytes (tests, fixed set-ups).
    pub fn single(id: &str, key: [u8; 32]) -> Result<Self, KeyringError> {
        Ok(Self::new(KeyId::parse(id)?, Key::from_bytes(key)))
    }

    /// Adds a key that still opens but no longer seals.
    pub fn with_retired(mut self, id: KeyId, key: Key) -> Self {
        self.keys.insert(id, key);
        self
    }

    /// Makes another key the one that seals; the previous one keeps opening.
    pub fn rotate_to(mut self, id: KeyId, key: Key) -> Self {
        self.keys.insert(id.clone(), key);
        self.current = id;
        self
    }

    /// Parses the key spec (see the module documentation): the first entry seals.
    pub fn parse(spec: &str) -> Result<Self, KeyringError> {
        let mut entries = spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.starts_with('#'))
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

    /// A fresh single-key keyring.
    pub fn generate(id: &str) -> Result<Self, KeyringError> {
        Ok(Self::new(KeyId::parse(id)?, Key::generate()))
    }

    /// The spec that [`Keyring::parse`] reads back (current key first).
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
        self.seal_bytes_for(plaintext, b"")
    }

    /// Seals bytes bound to `context` (associated data): the blob opens only with the same
    /// context.
    pub fn seal_bytes_for(&self, plaintext: &[u8], context: &[u8]) -> Result<String, SealError> {
        let key = self
            .keys
            .get(&self.current)
            .ok_or_else(|| SealError::UnknownKeyId(self.current.to_string()))?;
        let header = header(&self.current);
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let aad = [header.as_slice(), context].concat();
        let ciphertext = key
            .cipher()
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Encode("encryption failed".into()))?;
        let mut blob = header;
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ciphertext);
        Ok(b64::url_encode(&blob))
    }

    /// Opens a blob sealed by any key of this keyring (without context).
    pub fn unseal_bytes(&self, blob: &str) -> Result<Vec<u8>, SealError> {
        self.unseal_bytes_for(blob, b"")
    }

    /// Opens a blob sealed with `context`; also opens the manager's earlier `v1:ID:…` values.
    pub fn unseal_bytes_for(&self, blob: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        if let Some(rest) = blob.strip_prefix(LEGACY_PREFIX) {
            return self.open_legacy(rest, context);
        }
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
        let key = self.key(&id_text)?;
        let (header, rest) = raw.split_at(2 + id_len);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Truncated {
            len: raw.len(),
            needed,
        })?;
        let aad = [header, context].concat();
        key.cipher()
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Tampered(id_text))
    }

    fn key(&self, id_text: &str) -> Result<&Key, SealError> {
        KeyId::parse(id_text)
            .ok()
            .and_then(|id| self.keys.get(&id))
            .ok_or_else(|| SealError::UnknownKeyId(id_text.to_string()))
    }

    /// `ID:BASE64STD(nonce || ciphertext)`, associated data = context.
    fn open_legacy(&self, rest: &str, context: &[u8]) -> Result<Vec<u8>, SealError> {
        let (id_text, data) = rest.split_once(':').ok_or(SealError::NotBase64)?;
        let key = self.key(id_text)?;
        let raw = b64::std_decode(data).map_err(|_| SealError::NotBase64)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Truncated {
                len: raw.len(),
                needed: NONCE_LEN + TAG_LEN,
            });
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::NotBase64)?;
        key.cipher()
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| SealError::Tampered(id_text.to_string()))
    }

    /// Seals text bound to `context`.
    pub fn seal_str_for(&self, plaintext: &str, context: &str) -> Result<String, SealError> {
        self.seal_bytes_for(plaintext.as_bytes(), context.as_bytes())
    }

    /// Opens text sealed with `context`.
    pub fn unseal_str_for(&self, blob: &str, context: &str) -> Result<String, SealError> {
        let bytes = self.unseal_bytes_for(blob, context.as_bytes())?;
        String::from_utf8(bytes).map_err(|e| SealError::BadContent(e.to_string()))
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

    /// The key id a blob names (either format), without opening it.
    pub fn key_id_of(blob: &str) -> Option<String> {
        if let Some(rest) = blob.strip_prefix(LEGACY_PREFIX) {
            return rest.split_once(':').map(|(id, _)| id.to_string());
        }
        let raw = b64::url_decode(blob).ok()?;
        let len = usize::from(*raw.get(1)?);
        raw.get(2..2 + len)
            .map(|id| String::from_utf8_lossy(id).into_owned())
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

fn parse_entry(position: usize, entry: &str) -> Result<(KeyId, Key), KeyringError> {
    let (id, key) = entry
        .split_once(['=', ':'])
        .ok_or(KeyringError::Entry(position))?;
    let id = KeyId::parse(id.trim())?;
    let bytes = b64::url_decode(key)
        .or_else(|_| b64::std_decode(key))
        .map_err(|_| KeyringError::KeyMaterial(id.to_string()))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| KeyringError::KeyMaterial(id.to_string()))?;
    Ok((id, Key::from_bytes(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::AppConfiguration;

    fn ring(id: &str) -> Keyring {
        Keyring::generate(id).expect("keyring")
    }

    fn flip(blob: &str, index: usize) -> String {
        let mut raw = b64::url_decode(blob).expect("decode");
        raw[index] ^= 0x01;
        b64::url_encode(&raw)
    }

    /// Sealed by the App Gallery before this keyring (gallery::seal, key `cfg1` = 32 × 0x03):
    /// an AppConfiguration with help_desk_text "Call 555-0100".
    const OLD_GALLERY_CONFIG: &str = "AQRjZmcxH__IRFXaK-qUN7cSEwjZQ133bvUQaeSzAUiIBSNTD5SA8Xmfj9zbbTEQPgLdlSXE2KnL5CFSJlIKzCbmByxGEvNGmmv7-911ehrQ77myN4a1iQWDcRnOSGoikaYody8oZKq-EgQGueBYabwsC3Lp_4uhWPq-a4wDPkC_euSOmhSD0N9RuXyDDLpWYeax-axCKh2QWhuS-Gq6JI-rnB1EJfeEQlTf9uIwkaGB5mMVXO2X8kaMML0xgHPJ70IHVTWKuCSpYi2K_PuqWS2UHgh1Dy_8j7wJ6yjfGl_M4wytdGyJx9FNJW5tP7pJQK4Y0g-Q6j7XSNqllApb0pKxnDkf5mW5jKs63dNVP5sa-HY_2watfyvu4Uq4Z-erOh4mRpoieacMwYgaJ-YBeXZzZcqO-SKq8tuRHcnEAzg2Zv1fdqVFzxZ-TBhm1cRhtZhA8YvEr4wYCFzmW-5GdoDifTOwkOH6_6JG2B4BNeQxPvGE7KGVQtHJeirK4zlvVFPpxLRsi0xbRxaCq6_U30bS6sUSlsH1J4cNTQ";
    /// Sealed by the assistant's outbox before this keyring (gallery::seal with the contact
    /// key, here also `cfg1` = 32 × 0x03).
    const OLD_OUTBOX_CONTACT: &str = "AQRjZmcxWr7GBzAoDNGCrAdcBnQk0eajUS5_5a5u38WiqNcegyg_mOdJ8qzWbTSYIsbmNeIHLmmX_pHcHrTbsp2a51r6NeByHl0";
    /// Encrypted by the Services Manager before this keyring (manager::crypto, key `demo1` =
    /// 32 × 0x07, the demo's key-file line syntax), context "<incident id>:email".
    const OLD_MANAGER_CONTACT: &str =
        "v1:demo1:qv33cin8d9vPiv0zVQvuVyPyqE7FVoV+DgCELAA6sILxXOrQg9qhxz37mpHfr3mhDpGHNXX4R6s=";
    const OLD_MANAGER_CONTEXT: &str = "0193a6f0-1111-7000-8000-000000000001:email";

    #[test]
    fn blobs_made_by_the_previous_code_still_open() {
        let gallery = Keyring::single("cfg1", [3; 32]).expect("ring");
        let config: AppConfiguration = gallery.unseal(OLD_GALLERY_CONFIG).expect("old config");
        assert_eq!(config.help_desk_text, "Call 555-0100");
        assert_eq!(
            gallery
                .unseal_bytes(OLD_OUTBOX_CONTACT)
                .expect("old contact"),
            b"{\"name\":\"Ana\",\"email\":\"ana@example.com\"}"
        );
        // The demo's manager key, in the key-file syntax the previous version wrote.
        let b64std = b64::std_encode(&[7; 32]);
        let manager = Keyring::parse(&format!("demo1:{b64std}\n")).expect("old key file");
        assert_eq!(
            manager
                .unseal_str_for(OLD_MANAGER_CONTACT, OLD_MANAGER_CONTEXT)
                .expect("old manager value"),
            "Ana López <ana@example.com>"
        );
        assert_eq!(
            manager.unseal_str_for(OLD_MANAGER_CONTACT, "another-row:email"),
            Err(SealError::Tampered("demo1".into()))
        );
        assert_eq!(
            Keyring::key_id_of(OLD_MANAGER_CONTACT).as_deref(),
            Some("demo1")
        );
        assert_eq!(
            Keyring::key_id_of(OLD_GALLERY_CONFIG).as_deref(),
            Some("cfg1")
        );
    }

    #[test]
    fn context_is_bound_as_associated_data() {
        let keys = ring("k1");
        let a = keys.seal_str_for("ana@example.com", "inc-1").expect("seal");
        let b = keys.seal_str_for("ana@example.com", "inc-1").expect("seal");
        assert_ne!(a, b, "same plaintext must not give the same ciphertext");
        assert!(!a.contains("ana"));
        assert_eq!(
            keys.unseal_str_for(&a, "inc-1").expect("open"),
            "ana@example.com"
        );
        assert_eq!(
            keys.unseal_str_for(&a, "inc-2"),
            Err(SealError::Tampered("k1".into()))
        );
        assert!(
            keys.unseal_bytes(&a).is_err(),
            "no context is another context"
        );
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
        let rotated = Keyring::parse(&old.to_spec())
            .expect("parse")
            .rotate_to(KeyId::parse("2026").expect("id"), Key::generate());
        assert_eq!(rotated.unseal_bytes(&old_blob).expect("old"), b"old");
        let new_blob = rotated.seal_bytes(b"new").expect("seal");
        assert_eq!(rotated.current_key_id().as_str(), "2026");
        assert_eq!(
            old.unseal_bytes(&new_blob),
            Err(SealError::UnknownKeyId("2026".into()))
        );
        // The spec puts the sealing key first, and the first entry of a spec seals.
        let again = Keyring::parse(&rotated.to_spec()).expect("parse");
        assert_eq!(again.current_key_id().as_str(), "2026");
    }

    #[test]
    fn the_first_entry_seals_in_both_separators() {
        let a = b64::url_encode(&[1; 32]);
        let b = b64::std_encode(&[2; 32]);
        for spec in [
            format!("new={a},old={b}"),
            format!("# keys\nnew:{a}\n\nold:{b}\n"),
        ] {
            let ring = Keyring::parse(&spec).expect("spec");
            assert_eq!(ring.current_key_id().as_str(), "new");
        }
        assert!(matches!(
            Keyring::parse(&format!("k={a},k={b}")),
            Err(KeyringError::Duplicate(_))
        ));
    }

    #[test]
    fn keyring_spec_round_trips_and_rejects_bad_entries() {
        let keys = ring("k1");
        let again = Keyring::parse(&keys.to_spec()).expect("parse");
        let colon = Keyring::parse(&keys.to_spec().replacen('=', ":", 1)).expect("ID:KEY");
        let blob = keys.seal_bytes(b"x").expect("seal");
        assert_eq!(again.unseal_bytes(&blob).expect("unseal"), b"x");
        assert_eq!(colon.unseal_bytes(&blob).expect("unseal"), b"x");
        assert!(matches!(Keyring::parse(""), Err(KeyringError::Empty)));
        assert!(matches!(
            Keyring::parse("k1=short"),
            Err(KeyringError::KeyMaterial(_))
        ));
        assert!(matches!(
            Keyring::parse("nokey"),
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
