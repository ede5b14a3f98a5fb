//! Encryption at rest of contact details: AES-256-GCM, a fresh random nonce per value,
//! and the key id inside each stored value (`v1:KEYID:BASE64(nonce || ciphertext)`),
//! so new values use the active key while older values stay readable after a rotation.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key ring: {0}")]
    KeyRing(String),
    #[error("stored value is not in the v1 format")]
    Format,
    #[error("no key with id {0:?} in the key ring")]
    UnknownKey(String),
    #[error("stored value failed authentication")]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
}

/// The keys that protect contact details. The active key encrypts; all keys decrypt.
pub struct KeyRing {
    keys: HashMap<String, Aes256Gcm>,
    active: String,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl KeyRing {
    /// A ring with one key.
    pub fn single(id: &str, key: [u8; 32]) -> Result<Self, CryptoError> {
        let mut ring = Self {
            keys: HashMap::new(),
            active: String::new(),
        };
        ring.add(id, key)?;
        Ok(ring)
    }

    /// Adds a key and makes it the active one.
    pub fn add(&mut self, id: &str, key: [u8; 32]) -> Result<(), CryptoError> {
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(CryptoError::KeyRing(format!("bad key id {id:?}")));
        }
        let key = Key::<Aes256Gcm>::from(key);
        self.keys.insert(id.to_string(), Aes256Gcm::new(&key));
        self.active = id.to_string();
        Ok(())
    }

    /// Parses lines `KEYID:BASE64KEY` (32 bytes each); the last line is the active key.
    pub fn parse(text: &SecretString) -> Result<Self, CryptoError> {
        let mut ring = Self {
            keys: HashMap::new(),
            active: String::new(),
        };
        for line in text
            .expose_secret()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (id, b64) = line
                .split_once(':')
                .ok_or_else(|| CryptoError::KeyRing("each line must be KEYID:BASE64KEY".into()))?;
            let bytes = B64
                .decode(b64.trim())
                .map_err(|_| CryptoError::KeyRing(format!("key {id:?} is not base64")))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| CryptoError::KeyRing(format!("key {id:?} must be 32 bytes")))?;
            ring.add(id.trim(), key)?;
        }
        if ring.keys.is_empty() {
            return Err(CryptoError::KeyRing("no keys".into()));
        }
        Ok(ring)
    }

    /// A new random key as a key-ring line.
    pub fn generate_line(id: &str) -> SecretString {
        let key: [u8; 32] = rand::random();
        SecretString::from(format!("{id}:{}\n", B64.encode(key)))
    }

    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Encrypts `plain`; `context` (for example the incident id) is bound as associated data,
    /// so a value copied to another row does not decrypt.
    pub fn encrypt(&self, plain: &str, context: &str) -> Result<String, CryptoError> {
        let cipher = self.keys.get(&self.active).ok_or(CryptoError::Encrypt)?;
        let nonce_bytes: [u8; 12] = rand::random();
        let nonce = Nonce::from(nonce_bytes);
        let ct = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Encrypt)?;
        let mut blob = Vec::with_capacity(12 + ct.len());
        blob.extend_from_slice(&nonce_bytes);
        blob.extend_from_slice(&ct);
        Ok(format!("v1:{}:{}", self.active, B64.encode(blob)))
    }

    pub fn decrypt(&self, stored: &str, context: &str) -> Result<String, CryptoError> {
        let mut parts = stored.splitn(3, ':');
        let (Some("v1"), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Format);
        };
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))?;
        let blob = B64.decode(b64).map_err(|_| CryptoError::Format)?;
        if blob.len() < 12 + 16 {
            return Err(CryptoError::Format);
        }
        let (n, ct) = blob.split_at(12);
        let nonce_bytes: [u8; 12] = n.try_into().map_err(|_| CryptoError::Format)?;
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce_bytes),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Decrypt)
    }

    /// The key id a stored value was encrypted with.
    pub fn key_id_of(stored: &str) -> Option<&str> {
        let mut parts = stored.splitn(3, ':');
        match (parts.next(), parts.next()) {
            (Some("v1"), Some(id)) => Some(id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_uses_fresh_nonces_and_binds_context() {
        let ring = KeyRing::single("k1", [7; 32]).unwrap();
        let a = ring.encrypt("ana@example.com", "inc-1").unwrap();
        let b = ring.encrypt("ana@example.com", "inc-1").unwrap();
        assert_ne!(a, b, "same plaintext must not give the same ciphertext");
        assert!(!a.contains("ana"));
        assert_eq!(ring.decrypt(&a, "inc-1").unwrap(), "ana@example.com");
        assert!(matches!(
            ring.decrypt(&a, "inc-2"),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_writes_with_the_new_key() {
        let mut ring = KeyRing::single("k1", [1; 32]).unwrap();
        let old = ring.encrypt("old", "c").unwrap();
        ring.add("k2", [2; 32]).unwrap();
        let new = ring.encrypt("new", "c").unwrap();
        assert_eq!(KeyRing::key_id_of(&old), Some("k1"));
        assert_eq!(KeyRing::key_id_of(&new), Some("k2"));
        assert_eq!(ring.decrypt(&old, "c").unwrap(), "old");
        assert_eq!(ring.decrypt(&new, "c").unwrap(), "new");
        let only_k2 = KeyRing::single("k2", [2; 32]).unwrap();
        assert!(matches!(
            only_k2.decrypt(&old, "c"),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn key_ring_text_last_line_is_active() {
        let mut text = KeyRing::generate_line("a").expose_secret().to_string();
        text.push_str(KeyRing::generate_line("b").expose_secret());
        let ring = KeyRing::parse(&SecretString::from(text)).unwrap();
        assert_eq!(ring.active_key_id(), "b");
        assert!(KeyRing::parse(&SecretString::from("a:short".to_string())).is_err());
    }
}
