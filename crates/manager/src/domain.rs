//! Domain newtypes: each is built only through `parse`, so a value that exists is valid.
//! Personal data (name, e-mail, phone) prints as `[redacted]` in `Debug` and `Display`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused; the caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

fn has_control(s: &str, allow_newlines: bool) -> bool {
    s.chars().any(|c| {
        if allow_newlines && matches!(c, '\n' | '\r' | '\t') {
            return false;
        }
        c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202E}' | '\u{202D}')
    })
}

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
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() {
            return err("must not be empty");
        }
        if s.chars().count() > 254 {
            return err("must be at most 254 characters");
        }
        if has_control(s, false) || s.chars().any(char::is_whitespace) {
            return err("must not contain spaces or control characters");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return err("must contain '@'");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
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
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
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
        if !(6..=20).contains(&digits) {
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
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let n = s.chars().count();
        if n == 0 {
            return err("must not be empty");
        }
        if n > 100 {
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

/// Free text typed by a person: at most 2000 characters; line breaks and tabs allowed,
/// other control characters not.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct FreeText(String);

impl FreeText {
    pub const MAX: usize = 2000;
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::parse_max(input, Self::MAX)
    }
    pub fn parse_max(input: &str, max: usize) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.chars().count() > max {
            return err(format!("must be at most {max} characters"));
        }
        if has_control(s, true) {
            return err("must not contain control characters");
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FreeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A device's serial number: 1–64 of `A-Z 0-9 . _ -`, stored upper case.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct DeviceSerial(String);

impl DeviceSerial {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() || s.len() > 64 {
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

impl fmt::Display for DeviceSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An incident's number, such as `SR-2026-000123`: year and a per-year sequence.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct IncidentNumber {
    year: u16,
    seq: u32,
}

impl IncidentNumber {
    pub fn new(year: i32, seq: i64) -> Result<Self, ParseError> {
        let year = u16::try_from(year)
            .ok()
            .filter(|y| (1000..=9999).contains(y))
            .ok_or_else(|| ParseError("year must have 4 digits".into()))?;
        let seq = u32::try_from(seq)
            .ok()
            .filter(|s| (1..=99_999_999).contains(s))
            .ok_or_else(|| ParseError("sequence out of range".into()))?;
        Ok(Self { year, seq })
    }
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let bad = || ParseError("must look like SR-2026-000123".into());
        let rest = s.strip_prefix("SR-").ok_or_else(bad)?;
        let (year, seq) = rest.split_once('-').ok_or_else(bad)?;
        if year.len() != 4
            || !(6..=8).contains(&seq.len())
            || !year.bytes().all(|b| b.is_ascii_digit())
            || !seq.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let seq: i64 = seq.parse().map_err(|_| bad())?;
        Self::new(year, seq).map_err(|_| bad())
    }
    pub fn year(&self) -> i32 {
        i32::from(self.year)
    }
    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for IncidentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SR-{:04}-{:06}", self.year, self.seq)
    }
}

/// Where an incident stands. open → acknowledged → dispatched → resolved → closed;
/// open, acknowledged or dispatched → cancelled.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    Acknowledged,
    Dispatched,
    Resolved,
    Closed,
    Cancelled,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 6] = [
        Self::Open,
        Self::Acknowledged,
        Self::Dispatched,
        Self::Resolved,
        Self::Closed,
        Self::Cancelled,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Dispatched => "dispatched",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| {
                ParseError(
                    "must be one of open, acknowledged, dispatched, resolved, closed, cancelled"
                        .into(),
                )
            })
    }
    /// The statuses this one may change to.
    pub fn next(&self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            Open => &[Acknowledged, Cancelled],
            Acknowledged => &[Dispatched, Cancelled],
            Dispatched => &[Resolved, Cancelled],
            Resolved => &[Closed],
            Closed | Cancelled => &[],
        }
    }
    pub fn can_become(&self, to: IncidentStatus) -> bool {
        self.next().contains(&to)
    }
    /// Closed or cancelled: no further change; counts for retention.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Closed | Self::Cancelled)
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Service (a fault) or supply (toner, drums...).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    Service,
    Supply,
}

impl IncidentKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Supply => "supply",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s.trim() {
            "service" => Ok(Self::Service),
            "supply" => Ok(Self::Supply),
            _ => err("must be service or supply"),
        }
    }
}

impl fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who took a meter read: a person at the device, or the device on its own.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeterSource {
    WalkUp,
    Automatic,
}

impl MeterSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::WalkUp => "walk_up",
            Self::Automatic => "automatic",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        match s.trim() {
            "walk_up" => Ok(Self::WalkUp),
            "automatic" => Ok(Self::Automatic),
            _ => err("must be walk_up or automatic"),
        }
    }
}

/// A code from the list of common issues, such as `paper_jam`: 1–64 of `a-z 0-9 _ -`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IssueCode(String);

impl IssueCode {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() || s.len() > 64 {
            return err("must be 1 to 64 characters");
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'))
        {
            return err("may contain only a-z, 0-9, '_', '-' and '.'");
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short label (names of customers, models, meters, part numbers...): 1–max characters, no control characters.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Label(String);

impl Label {
    pub fn parse(input: &str, max: usize) -> Result<Self, ParseError> {
        let s = input.trim();
        let n = s.chars().count();
        if n == 0 {
            return err("must not be empty");
        }
        if n > max {
            return err(format!("must be at most {max} characters"));
        }
        if has_control(s, false) {
            return err("must not contain control characters");
        }
        Ok(Self(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
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
    fn free_text_allows_line_breaks_but_not_other_controls_and_at_most_2000_chars() {
        assert!(FreeText::parse("line 1\nline 2\ttab").is_ok());
        assert!(FreeText::parse(&"x".repeat(2000)).is_ok());
        assert!(FreeText::parse(&"x".repeat(2001)).is_err());
        assert!(FreeText::parse("bell\u{7}").is_err());
        assert!(FreeText::parse("rtl\u{202E}override").is_err());
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

    #[test]
    fn device_serial_is_normalised_to_upper_case_and_refuses_odd_characters() {
        assert_eq!(
            DeviceSerial::parse(" ab-12.x_9 ").unwrap().as_str(),
            "AB-12.X_9"
        );
        assert!(DeviceSerial::parse("").is_err());
        assert!(DeviceSerial::parse("a/b").is_err());
        assert!(DeviceSerial::parse(&"A".repeat(65)).is_err());
    }

    #[test]
    fn incident_number_formats_and_parses_round_trip() {
        let n = IncidentNumber::new(2026, 123).unwrap();
        assert_eq!(n.to_string(), "SR-2026-000123");
        assert_eq!(IncidentNumber::parse("SR-2026-000123").unwrap(), n);
        assert_eq!(
            IncidentNumber::parse("SR-2026-1234567").unwrap().seq(),
            1_234_567
        );
        for bad in [
            "SR-26-000001",
            "sr-2026-000001",
            "SR-2026-12",
            "SR-2026-00000a",
            "XX-2026-000001",
            "SR-2026-000000",
        ] {
            assert!(IncidentNumber::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn status_follows_the_lifecycle_and_cancel_only_before_resolution() {
        use IncidentStatus::*;
        assert!(Open.can_become(Acknowledged));
        assert!(Acknowledged.can_become(Dispatched));
        assert!(Dispatched.can_become(Resolved));
        assert!(Resolved.can_become(Closed));
        assert!(Open.can_become(Cancelled) && Dispatched.can_become(Cancelled));
        assert!(!Open.can_become(Resolved));
        assert!(!Resolved.can_become(Cancelled));
        assert!(!Closed.can_become(Open));
        assert!(Cancelled.next().is_empty() && Closed.is_final());
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()).unwrap(), s);
        }
        assert!(IncidentStatus::parse("reopened").is_err());
    }

    #[test]
    fn issue_code_and_label_limits() {
        assert!(IssueCode::parse("paper_jam").is_ok());
        assert!(IssueCode::parse("Paper Jam").is_err());
        assert!(Label::parse("Acme <Ltd>", 10).is_ok());
        assert!(Label::parse("x".repeat(11).as_str(), 10).is_err());
    }
}
