//! Password hashing: argon2id in PHC string form, one helper for every service.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

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

/// True when `password` matches the PHC string `phc` (any argon2 parameters it names).
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
}
