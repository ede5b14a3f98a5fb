//! Encryption at rest of contact details, with the one keyring of `platform::keyring` (its
//! blob format, key spec and rotation rule): a fresh random nonce per value, the key id inside
//! each stored value, and the row's context (e.g. `"<incident id>:email"`) bound as associated
//! data so a value copied to another row does not decrypt. Values written by earlier versions
//! (`v1:KEYID:…`) still decrypt.

use platform::keyring::Keyring;
pub use platform::keyring::{KeyringError, SealError as CryptoError};
use secrecy::{ExposeSecret, SecretString};

/// The keys that protect contact details: the first key of the spec encrypts; all decrypt.
#[derive(Debug)]
pub struct KeyRing(Keyring);

impl KeyRing {
    /// A ring with one key.
    pub fn single(id: &str, key: [u8; 32]) -> Result<Self, KeyringError> {
        Keyring::single(id, key).map(Self)
    }

    /// Parses the key spec (`platform::keyring`): `ID=KEY` entries separated by commas or lines.
    pub fn parse(text: &SecretString) -> Result<Self, KeyringError> {
        Keyring::parse(text.expose_secret()).map(Self)
    }

    /// A new random key as a key spec line.
    pub fn generate_line(id: &str) -> SecretString {
        let key = platform::keyring::Key::generate();
        SecretString::from(format!("{id}={}\n", key.to_base64url()))
    }

    pub fn active_key_id(&self) -> &str {
        self.0.current_key_id().as_str()
    }

    /// Encrypts `plain` bound to `context`.
    pub fn encrypt(&self, plain: &str, context: &str) -> Result<String, CryptoError> {
        self.0.seal_str_for(plain, context)
    }

    pub fn decrypt(&self, stored: &str, context: &str) -> Result<String, CryptoError> {
        self.0.unseal_str_for(stored, context)
    }

    /// The key id a stored value was encrypted with.
    pub fn key_id_of(stored: &str) -> Option<String> {
        Keyring::key_id_of(stored)
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
            Err(CryptoError::Tampered(_))
        ));
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_writes_with_the_new_key() {
        let k1 = platform::b64::url_encode(&[1; 32]);
        let k2 = platform::b64::url_encode(&[2; 32]);
        let ring = KeyRing::parse(&SecretString::from(format!("k1={k1}"))).unwrap();
        let old = ring.encrypt("old", "c").unwrap();
        // Rotation: the new key goes first.
        let ring = KeyRing::parse(&SecretString::from(format!("k2={k2},k1={k1}"))).unwrap();
        let new = ring.encrypt("new", "c").unwrap();
        assert_eq!(KeyRing::key_id_of(&old).as_deref(), Some("k1"));
        assert_eq!(KeyRing::key_id_of(&new).as_deref(), Some("k2"));
        assert_eq!(ring.decrypt(&old, "c").unwrap(), "old");
        assert_eq!(ring.decrypt(&new, "c").unwrap(), "new");
        let only_k2 = KeyRing::single("k2", [2; 32]).unwrap();
        assert!(matches!(
            only_k2.decrypt(&old, "c"),
            Err(CryptoError::UnknownKeyId(_))
        ));
    }

    #[test]
    fn key_ring_text_first_entry_is_active() {
        let mut text = KeyRing::generate_line("a").expose_secret().to_string();
        text.push_str(KeyRing::generate_line("b").expose_secret());
        let ring = KeyRing::parse(&SecretString::from(text)).unwrap();
        assert_eq!(ring.active_key_id(), "a");
        assert!(KeyRing::parse(&SecretString::from("a:short".to_string())).is_err());
    }
}
