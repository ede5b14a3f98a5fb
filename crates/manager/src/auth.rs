//! Credentials: API keys (high entropy, stored as SHA-256) and console passwords (argon2id).

use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// A fresh API key to show once: `sam_` and 32 random bytes in hex.
pub fn generate_api_key() -> SecretString {
    let bytes: [u8; 32] = rand::random();
    SecretString::from(format!("sam_{}", hex::encode(bytes)))
}

/// A random opaque token (sessions, CSRF).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// What is stored for a key or token: SHA-256 hex. Enough for values with 256 bits of entropy.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Equal without leaking where the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Console passwords: the one argon2id helper of `platform::password`.
pub use platform::password::{HashError, PasswordCost, hash_password, verify_password};

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn api_keys_are_random_and_hash_to_hex() {
        let a = generate_api_key();
        let b = generate_api_key();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(token_hash(a.expose_secret()).len(), 64);
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
    }
}
