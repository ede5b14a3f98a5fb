//! Newtypes that parse input once.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    #[error("device serial {0:?} is invalid: use 1 to 32 letters, digits, '-' or '_'")]
    DeviceSerial(String),
    #[error("tenant {0:?} is invalid: use 1 to 64 letters, digits, '-', '_' or '.'")]
    Tenant(String),
    #[error(
        "app id {0:?} is invalid: use 1 to 64 lowercase letters, digits, '-', '_' or '.', starting with a letter"
    )]
    AppId(String),
    #[error("key id {0:?} is invalid: use 1 to 32 letters, digits, '-' or '_'")]
    KeyId(String),
}

fn all_chars(s: &str, max: usize, extra: &[char]) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $check:expr, $err:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, DomainError> {
                let check: fn(&str) -> bool = $check;
                if check(input) {
                    Ok(Self(input.to_owned()))
                } else {
                    Err($err(input.chars().take(80).collect()))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

string_newtype!(
    /// A device's serial number, as the device reports it.
    DeviceSerial,
    |s| all_chars(s, 32, &['-', '_']),
    DomainError::DeviceSerial
);
string_newtype!(
    /// The service partner (and customer) a device belongs to, e.g. `partner-a.customer-7`.
    Tenant,
    |s| all_chars(s, 64, &['-', '_', '.']),
    DomainError::Tenant
);
string_newtype!(
    /// An app's id in the gallery, e.g. `support-assistant`.
    AppId,
    |s| all_chars(s, 64, &['-', '_', '.'])
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.chars().any(|c| c.is_ascii_uppercase()),
    DomainError::AppId
);
string_newtype!(
    /// Names one key of a keyring, so keys can rotate.
    KeyId,
    |s| all_chars(s, 32, &['-', '_']),
    DomainError::KeyId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_rejects_empty_spaces_and_long_input() {
        assert!(DeviceSerial::parse("XRX-3345").is_ok());
        assert!(DeviceSerial::parse("").is_err());
        assert!(DeviceSerial::parse("a b").is_err());
        assert!(DeviceSerial::parse(&"9".repeat(33)).is_err());
    }

    #[test]
    fn app_id_must_be_lowercase_and_start_with_a_letter() {
        assert!(AppId::parse("support-assistant").is_ok());
        assert!(AppId::parse("Support").is_err());
        assert!(AppId::parse("1app").is_err());
    }
}
