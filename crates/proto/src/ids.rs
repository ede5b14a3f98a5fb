//! Identifiers: device serials, partners, apps, keys, languages, SNMP communities.

use crate::text::{ParseError, err};
use serde::{Deserialize, Serialize};
use std::fmt;

fn all_chars(s: &str, max: usize, extra: &[char]) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// A device's serial number: 1–64 of `A-Z a-z 0-9 . _ -`, surrounding spaces removed, stored in
/// upper case.
///
/// Why this rule (and not 1–32, case kept): the serial comes from `prtGeneralSerialNumber`
/// (RFC 3805, an OCTET STRING of up to 255 octets) or the vendor's serial OID; real devices
/// report 11–14 characters (`TC101642170085`), some vendors longer, so 32 was too tight for no
/// reason. Serials are printed on the device and typed by people, and vendors treat them
/// case-insensitively, so one device must not become two because someone typed lower case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceSerial(String);
crate::string_conversions!(DeviceSerial);
crate::display_as_str!(DeviceSerial);

impl DeviceSerial {
    pub const MAX: usize = 64;
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() || s.len() > Self::MAX {
            return err("must be 1 to 64 characters");
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return err("may contain only letters, digits, '.', '_' and '-'");
        }
        Ok(Self(s.to_ascii_uppercase()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The service partner (and customer) a device belongs to in the App Gallery, e.g.
/// `partner-a.customer-7`: 1–64 of `A-Z a-z 0-9 - _ .`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartnerId(String);
crate::string_conversions!(PartnerId);
crate::display_as_str!(PartnerId);

impl PartnerId {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if all_chars(input, 64, &['-', '_', '.']) {
            Ok(Self(input.to_owned()))
        } else {
            err(format!(
                "tenant {:?} is invalid: use 1 to 64 letters, digits, '-', '_' or '.'",
                input.chars().take(80).collect::<String>()
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An app's id in the gallery, e.g. `support-assistant`: 1–64 of `a-z 0-9 - _ .`, starting
/// with a letter.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppId(String);
crate::string_conversions!(AppId);
crate::display_as_str!(AppId);

impl AppId {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if all_chars(input, 64, &['-', '_', '.'])
            && input.starts_with(|c: char| c.is_ascii_lowercase())
            && !input.chars().any(|c| c.is_ascii_uppercase())
        {
            Ok(Self(input.to_owned()))
        } else {
            err(format!(
                "app id {:?} is invalid: use 1 to 64 lowercase letters, digits, '-', '_' or '.', starting with a letter",
                input.chars().take(80).collect::<String>()
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Names one key of a keyring, so keys can rotate: 1–32 of `A-Z a-z 0-9 - _`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);
crate::string_conversions!(KeyId);
crate::display_as_str!(KeyId);

impl KeyId {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if all_chars(input, 32, &['-', '_']) {
            Ok(Self(input.to_owned()))
        } else {
            err(format!(
                "key id {:?} is invalid: use 1 to 32 letters, digits, '-' or '_'",
                input.chars().take(80).collect::<String>()
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A BCP 47-style language tag (`en`, `de-CH`, `pt-BR`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);
crate::string_conversions!(Language);
crate::display_as_str!(Language);

impl Language {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let mut parts = input.split('-');
        let primary = parts.next().unwrap_or_default();
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
        let rest_ok = parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if primary_ok && rest_ok {
            Ok(Self(input.to_owned()))
        } else {
            err(format!(
                "language {:?} is not a language tag such as \"en\" or \"de-CH\"",
                input.chars().take(40).collect::<String>()
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Language {
    fn default() -> Self {
        Self("en".into())
    }
}

/// The SNMP v1/v2c read community the app sends through WS-SNMP: 1–32 printable ASCII
/// characters without spaces. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SnmpCommunity(String);
crate::string_conversions!(SnmpCommunity);

impl SnmpCommunity {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if !input.is_empty() && input.len() <= 32 && input.chars().all(|c| c.is_ascii_graphic()) {
            Ok(Self(input.to_owned()))
        } else {
            err("SNMP community string must be 1 to 32 printable ASCII characters without spaces")
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Default for SnmpCommunity {
    fn default() -> Self {
        Self("public".into())
    }
}

impl fmt::Debug for SnmpCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SnmpCommunity([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_serial_is_normalised_to_upper_case_and_refuses_odd_characters() {
        assert_eq!(
            DeviceSerial::parse(" ab-12.x_9 ").unwrap().as_str(),
            "AB-12.X_9"
        );
        assert!(DeviceSerial::parse("XRX-3345").is_ok());
        assert!(DeviceSerial::parse("").is_err());
        assert!(DeviceSerial::parse("a b").is_err());
        assert!(DeviceSerial::parse("a/b").is_err());
        assert!(DeviceSerial::parse(&"9".repeat(64)).is_ok());
        assert!(DeviceSerial::parse(&"A".repeat(65)).is_err());
    }

    #[test]
    fn device_serial_from_json_is_checked_and_normalised() {
        let s: DeviceSerial = serde_json::from_str("\"tc1016\"").unwrap();
        assert_eq!(s.as_str(), "TC1016");
        assert!(serde_json::from_str::<DeviceSerial>("\"a/b\"").is_err());
    }

    #[test]
    fn app_id_must_be_lowercase_and_start_with_a_letter() {
        assert!(AppId::parse("support-assistant").is_ok());
        assert!(AppId::parse("Support").is_err());
        assert!(AppId::parse("1app").is_err());
    }

    #[test]
    fn key_id_and_tenant_limits() {
        assert!(KeyId::parse("k-2026_1").is_ok());
        assert!(KeyId::parse(&"k".repeat(33)).is_err());
        assert!(KeyId::parse("k.1").is_err());
        assert!(PartnerId::parse("partner-a.customer-7").is_ok());
        assert!(PartnerId::parse("a b").is_err());
    }

    #[test]
    fn language_and_community() {
        assert!(Language::parse("de-CH").is_ok());
        assert!(
            Language::parse("English")
                .unwrap_err()
                .0
                .contains("language")
        );
        assert!(SnmpCommunity::parse("has space").is_err());
        let c = SnmpCommunity::parse("t0p-secret").unwrap();
        assert!(!format!("{c:?}").contains("t0p"));
    }
}
