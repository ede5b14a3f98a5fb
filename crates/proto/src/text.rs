//! Text a person types: free text, short labels, issue codes; and the one parse error.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused, in words; the caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// Control characters, and the Unicode line/paragraph separators and bidi overrides that
/// change how text around them reads. Line breaks and tabs pass when `allow_newlines`.
pub fn has_control(s: &str, allow_newlines: bool) -> bool {
    s.chars().any(|c| {
        if allow_newlines && matches!(c, '\n' | '\r' | '\t') {
            return false;
        }
        c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202E}' | '\u{202D}')
    })
}

/// Free text typed by a person: at most 2000 characters; line breaks and tabs allowed,
/// other control characters not.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FreeText(String);
crate::string_conversions!(FreeText);
crate::display_as_str!(FreeText);

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

/// A code from the list of common issues, such as `paper_jam`: 1–64 of `a-z 0-9 _ - .`.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IssueCode(String);
crate::string_conversions!(IssueCode);
crate::display_as_str!(IssueCode);

impl IssueCode {
    pub const MAX: usize = 64;
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if s.is_empty() || s.len() > Self::MAX {
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

/// A short label (names of customers, models, meters, part numbers...): 1–max characters,
/// no control characters. The maximum depends on the field, so there is no serde form.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Label(String);
crate::display_as_str!(Label);

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

/// Serde for integer fields of requests that also takes a number written with a zero fraction
/// (`5.0`): JSON (RFC 8259 §6) has one number type and JSON Schema counts `5.0` as an integer,
/// so a client (or schemathesis) may send it. Out of range or with a fraction: refused.
/// `#[serde(deserialize_with = "proto::text::whole::number")]` or `…::whole::optional`.
pub mod whole {
    use serde::Deserialize;
    use serde::de::{Deserializer, Error, Unexpected, Visitor};
    use std::fmt;

    struct Whole(i128);

    impl<'de> Deserialize<'de> for Whole {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Whole;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a whole number")
                }
                fn visit_i64<E: Error>(self, v: i64) -> Result<Whole, E> {
                    Ok(Whole(i128::from(v)))
                }
                fn visit_u64<E: Error>(self, v: u64) -> Result<Whole, E> {
                    Ok(Whole(i128::from(v)))
                }
                fn visit_f64<E: Error>(self, v: f64) -> Result<Whole, E> {
                    // Below 2^64 in magnitude every f64 with no fraction is exactly an integer.
                    if v.is_finite() && v.fract() == 0.0 && v.abs() < 18_446_744_073_709_551_616.0 {
                        #[allow(clippy::cast_possible_truncation)]
                        Ok(Whole(v as i128))
                    } else {
                        Err(E::invalid_value(Unexpected::Float(v), &self))
                    }
                }
            }
            d.deserialize_any(V)
        }
    }

    fn convert<T: TryFrom<i128>, E: Error>(n: i128) -> Result<T, E> {
        T::try_from(n).map_err(|_| {
            E::invalid_value(
                Unexpected::Other("a number out of range"),
                &"a number in range",
            )
        })
    }

    /// A whole number of type `T`.
    pub fn number<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
        convert(Whole::deserialize(d)?.0)
    }

    /// An optional whole number (missing or `null`: `None`); use with `#[serde(default)]`.
    pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<Whole>::deserialize(d)?
            .map(|w| convert(w.0))
            .transpose()
    }
}

/// Serde for a struct-valued field that must be a JSON object: serde's derived `Deserialize`
/// also builds a struct from a JSON array of its fields in order (`"status": [null, null]`),
/// which the OpenAPI documents do not allow (JSON Schema `type: object`).
/// `#[serde(deserialize_with = "proto::text::object::one")]` or `…::object::list` for a list of
/// them (each item an object).
pub mod object {
    use serde::Deserialize;
    use serde::de::value::MapAccessDeserializer;
    use serde::de::{Deserializer, MapAccess, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    struct ObjectOnly<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }
    }

    /// A struct written as a JSON object (an array is refused).
    pub fn one<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
        d.deserialize_map(ObjectOnly(PhantomData))
    }

    struct Item<T>(T);

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Item<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            one(d).map(Item)
        }
    }

    /// A list of structs, each written as a JSON object.
    pub fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        Ok(Vec::<Item<T>>::deserialize(d)?
            .into_iter()
            .map(|i| i.0)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(deserialize_with = "whole::number")]
            n: i64,
            #[serde(default, deserialize_with = "whole::optional")]
            p: Option<u8>,
        }
        let t: T = serde_json::from_str(r#"{"n": 5.0, "p": 100.0}"#).unwrap();
        assert_eq!((t.n, t.p), (5, Some(100)));
        let t: T = serde_json::from_str(r#"{"n": -7, "p": null}"#).unwrap();
        assert_eq!((t.n, t.p), (-7, None));
        assert!(serde_json::from_str::<T>(r#"{"n": 5.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n": 1, "p": 256}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n": 1, "p": -1.0}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n": "1"}"#).is_err());
    }

    #[test]
    fn structs_must_be_json_objects_not_arrays() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Inner {
            a: Option<u8>,
            b: Option<u8>,
        }
        #[derive(serde::Deserialize, Debug)]
        struct T {
            #[serde(deserialize_with = "object::one")]
            one: Inner,
            #[serde(default, deserialize_with = "object::list")]
            list: Vec<Inner>,
        }
        let t: T = serde_json::from_str(r#"{"one": {"a": 1}, "list": [{"b": 2}]}"#).unwrap();
        assert_eq!(
            t.one,
            Inner {
                a: Some(1),
                b: None
            }
        );
        assert_eq!(
            t.list,
            vec![Inner {
                a: None,
                b: Some(2)
            }]
        );
        // Serde alone would take these as the fields in order.
        assert!(serde_json::from_str::<Inner>("[1, 2]").is_ok());
        assert!(serde_json::from_str::<T>(r#"{"one": [1, 2]}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"one": {}, "list": [[1, 2]]}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"one": {}, "list": {}}"#).is_err());
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
    fn issue_code_and_label_limits() {
        assert!(IssueCode::parse("paper_jam").is_ok());
        assert!(IssueCode::parse("Paper Jam").is_err());
        assert!(Label::parse("Acme <Ltd>", 10).is_ok());
        assert!(Label::parse("x".repeat(11).as_str(), 10).is_err());
    }

    #[test]
    fn free_text_from_json_is_checked() {
        assert!(serde_json::from_str::<FreeText>("\"ok\"").is_ok());
        assert!(serde_json::from_str::<FreeText>("\"bell\\u0007\"").is_err());
    }
}
