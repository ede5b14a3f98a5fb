//! Credentials: API keys (high entropy, stored as SHA-256) and console passwords (argon2id).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
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

/// Password hashing cost. `Default` is argon2's recommended cost; tests use `Cheap`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PasswordCost {
    #[default]
    Default,
    Cheap,
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError;

pub fn hash_password(password: &SecretString, cost: PasswordCost) -> Result<String, HashError> {
    let argon = match cost {
        PasswordCost::Default => Argon2::default(),
        PasswordCost::Cheap => Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).map_err(|_| HashError)?,
        ),
    };
    argon
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| HashError)
}

pub fn verify_password(password: &SecretString, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let h = hash_password(&SecretString::from("correct horse"), PasswordCost::Cheap).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&SecretString::from("correct horse"), &h));
        assert!(!verify_password(&SecretString::from("wrong"), &h));
        assert!(!verify_password(&SecretString::from("x"), "not a hash"));
    }

    #[test]
    fn api_keys_are_random_and_hash_to_hex() {
        let a = generate_api_key();
        let b = generate_api_key();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert_eq!(token_hash(a.expose_secret()).len(), 64);
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
    }
}
