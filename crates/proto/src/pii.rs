//! Personal data: a contact's name, e-mail address and phone number. Each prints as
//! `[redacted]` in `Debug` and `Display`; the text is reached only through `expose`.

use crate::text::{ParseError, err, has_control};
use std::fmt;

macro_rules! redacted {
    ($t:ty) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($t), "([redacted])"))
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

/// An e-mail address (personal data).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);
redacted!(EmailAddress);

impl EmailAddress {
    /// Characters of the whole address (RFC 5321 path limit, less the angle brackets).
    pub const MAX: usize = 254;
    /// Characters before the `@` (RFC 5321 §4.5.3.1.1).
    pub const MAX_LOCAL: usize = 64;
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() {
            return err("must not be empty");
        }
        if s.chars().count() > Self::MAX {
            return err("must be at most 254 characters");
        }
        if has_control(s, false) || s.chars().any(char::is_whitespace) {
            return err("must not contain spaces or control characters");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return err("must contain '@'");
        };
        if local.is_empty() || local.chars().count() > Self::MAX_LOCAL || local.contains('@') {
            return err("has an invalid part before '@'");
        }
        if local.chars().any(|c| {
            matches!(
                c,
                '<' | '>' | '"' | '(' | ')' | ',' | ';' | ':' | '\\' | '[' | ']'
            )
        }) {
            return err("has an invalid character before '@'");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        {
            return err("has an invalid domain after '@'");
        }
        Ok(Self(s.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A phone number: E.164 (`+4930123456`) or national with `+ ( ) -` and spaces; 6–20 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);
redacted!(PhoneNumber);

impl PhoneNumber {
    /// Fewest and most digits.
    pub const DIGITS: (usize, usize) = (6, 20);
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() {
            return err("must not be empty");
        }
        for (i, c) in s.chars().enumerate() {
            match c {
                '0'..='9' | '(' | ')' | '-' | ' ' => {}
                '+' if i == 0 => {}
                '+' => return err("may have '+' only at the start"),
                _ => return err("may contain only digits, '+', '(', ')', '-' and spaces"),
            }
        }
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if !(Self::DIGITS.0..=Self::DIGITS.1).contains(&digits) {
            return err("must have 6 to 20 digits");
        }
        Ok(Self(s.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A contact's name: 1–100 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct ContactName(String);
redacted!(ContactName);

impl ContactName {
    pub const MAX: usize = 100;
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let n = s.chars().count();
        if n == 0 {
            return err("must not be empty");
        }
        if n > Self::MAX {
            return err("must be at most 100 characters");
        }
        if has_control(s, false) {
            return err("must not contain control characters");
        }
        Ok(Self(s.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The person who asked for help (personal data, encrypted at rest).
#[derive(Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: ContactName,
    pub email: EmailAddress,
    pub phone: Option<PhoneNumber>,
}
redacted!(Contact);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_common_addresses_and_refuses_broken_ones() {
        assert!(EmailAddress::parse("ana.lopez@example.com").is_ok());
        assert!(EmailAddress::parse(" a+b@sub.example.co ").is_ok());
        for bad in [
            "",
            "no-at",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "@x.com",
            "a@-x.com",
            "a@x..com",
            "a\u{7}@x.com",
            "<script>@x.com",
            "a@bücher.de",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn phone_accepts_e164_and_national_forms_with_6_to_20_digits() {
        for ok in [
            "+4930123456",
            "(030) 123-456",
            "+1 (555) 010-9999",
            "123456",
        ] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok:?} refused");
        }
        for bad in [
            "12345",
            "+123456789012345678901",
            "12+3456",
            "123456x",
            "",
            "12 34 5a",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn contact_name_is_1_to_100_characters_without_control_characters() {
        assert!(ContactName::parse("Zoë O'Brien").is_ok());
        assert!(ContactName::parse(&"é".repeat(100)).is_ok());
        assert!(ContactName::parse(&"é".repeat(101)).is_err());
        assert!(ContactName::parse("   ").is_err());
        assert!(ContactName::parse("a\u{0}b").is_err());
        assert!(ContactName::parse("a\nb").is_err());
    }

    #[test]
    fn pii_types_print_redacted() {
        let c = Contact {
            name: ContactName::parse("Ana Secret").unwrap(),
            email: EmailAddress::parse("ana@secret.example").unwrap(),
            phone: Some(PhoneNumber::parse("+4930999999").unwrap()),
        };
        let shown = format!("{c:?} {c} {:?} {} {:?}", c.name, c.email, c.phone);
        assert!(!shown.contains("Secret") && !shown.contains("secret") && !shown.contains("999"));
        assert!(shown.contains("[redacted]"));
    }
}
