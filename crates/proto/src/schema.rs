//! OpenAPI schemas of the newtypes and request fields, written from the same rules (and the same
//! constants) their `parse` applies, so the documents say exactly what the services accept.
//!
//! Every pattern is anchored, uses only what ECMA-262 and Python's `re` read alike (character
//! classes with `\xNN`/`\uNNNN` escapes, counted repetition, no lookaround, no `\s`/`\w`), and
//! spells out the two character sets the parsers use:
//! - [`TRIMMED`]: what `str::trim` removes around a value (Unicode `White_Space`), so a pattern
//!   allows exactly the surrounding whitespace `parse` would remove;
//! - [`CONTROL`]: what [`crate::text::has_control`] refuses.
//!
//! Lengths are counted inside the patterns, between the trimmed ends, because a `maxLength` would
//! also count the whitespace that `parse` removes. Tests below check each pattern against `parse`.

use utoipa::openapi::schema::{
    AllOfBuilder, AnyOfBuilder, ArrayBuilder, KnownFormat, Object, ObjectBuilder, Schema,
    SchemaFormat, Type,
};
use utoipa::openapi::{RefOr, schema::SchemaType};

/// Every character `char::is_whitespace` (Unicode `White_Space`) is true for: what `trim` removes.
pub const TRIMMED: &str =
    r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// What `has_control(s, false)` refuses: Unicode `Cc`, line/paragraph separators, bidi overrides.
pub const CONTROL: &str = r"\x00-\x1F\x7F-\x9F\u2028\u2029\u202D\u202E";
/// What `has_control(s, true)` refuses (line breaks and tabs pass).
pub const CONTROL_IN_TEXT: &str = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u2028\u2029\u202D\u202E";

/// `^`, optional trimmed whitespace, `core`, optional trimmed whitespace, `$`.
pub fn trimmed_pattern(core: &str) -> String {
    format!("^[{TRIMMED}]*{core}[{TRIMMED}]*$")
}

fn string(pattern: String, description: impl Into<String>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description.into()))
        .build()
}

/// The core of 1–`max` characters without `control`, the first and last not whitespace.
fn text_core(max: usize, control: &str) -> String {
    let edge = format!("[^{TRIMMED}{control}]");
    if max <= 1 {
        return edge;
    }
    format!("{edge}(?:[^{control}]{{0,{}}}{edge})?", max - 2)
}

/// [`crate::Label`] of at most `max` characters: 1–`max` characters once trimmed, no control
/// characters.
pub fn label(max: usize) -> Object {
    string(
        trimmed_pattern(&text_core(max, CONTROL)),
        format!("1 to {max} characters (surrounding spaces removed), no control characters"),
    )
}

/// [`crate::FreeText`] of at most `max` characters; may be empty; line breaks and tabs allowed.
pub fn free_text(max: usize) -> Object {
    string(
        trimmed_pattern(&format!("(?:{})?", text_core(max, CONTROL_IN_TEXT))),
        format!(
            "at most {max} characters (surrounding spaces removed); line breaks and tabs allowed, other control characters not"
        ),
    )
}

/// Free text of 1–`max` characters that is not only whitespace.
pub fn non_blank_text(max: usize) -> Object {
    string(
        trimmed_pattern(&text_core(max, CONTROL_IN_TEXT)),
        format!("1 to {max} characters, not only spaces; line breaks and tabs allowed"),
    )
}

/// One of `words` (surrounding spaces removed).
pub fn one_of(words: &[&str]) -> Object {
    string(
        trimmed_pattern(&format!("(?:{})", words.join("|"))),
        format!("one of {}", words.join(", ")),
    )
}

/// [`crate::DeviceSerial`].
pub fn device_serial() -> Object {
    string(
        trimmed_pattern(&format!("[A-Za-z0-9._-]{{1,{}}}", crate::DeviceSerial::MAX)),
        "a device serial: 1 to 64 of A-Z a-z 0-9 . _ - (stored upper case)",
    )
}

/// [`crate::IssueCode`].
pub fn issue_code() -> Object {
    string(
        trimmed_pattern(&format!("[a-z0-9_.-]{{1,{}}}", crate::IssueCode::MAX)),
        "a common issue's code such as paper_jam: 1 to 64 of a-z 0-9 _ - .",
    )
}

/// [`crate::IncidentNumber`] and [`crate::MeterReadNumber`]: `PREFIX-YYYY-NNNNNN`.
pub fn year_number(prefix: &str) -> Object {
    // 6–8 digits, not all zero: k leading zeros, a non-zero digit, the rest.
    let seq: Vec<String> = (0..8usize)
        .map(|k| {
            let (lo, hi) = (6usize.saturating_sub(k + 1), 8 - k - 1);
            format!("{}[1-9][0-9]{{{lo},{hi}}}", "0".repeat(k))
        })
        .collect();
    string(
        trimmed_pattern(&format!("{prefix}-[1-9][0-9]{{3}}-(?:{})", seq.join("|"))),
        format!("such as {prefix}-2026-000123"),
    )
}

/// [`crate::EmailAddress`].
pub fn email() -> Object {
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    let local = format!(
        r#"[^{TRIMMED}{CONTROL}@<>"(),;:\\\[\]]{{1,{}}}"#,
        crate::EmailAddress::MAX_LOCAL
    );
    string(
        trimmed_pattern(&format!(r"{local}@(?:{label}\.)+{label}")),
        format!(
            "an e-mail address of at most {} characters: 1 to {} characters before '@', a domain of at least two ASCII labels after it",
            crate::EmailAddress::MAX,
            crate::EmailAddress::MAX_LOCAL
        ),
    )
}

/// [`crate::PhoneNumber`], or only spaces (no phone number).
pub fn phone() -> Object {
    let (min, max) = crate::PhoneNumber::DIGITS;
    string(
        trimmed_pattern(&format!(r"(?:\+?[ ()-]*(?:[0-9][ ()-]*){{{min},{max}}})?")),
        format!(
            "E.164 (+4930123456) or national with + ( ) - and spaces, {min} to {max} digits; empty for none"
        ),
    )
}

/// [`crate::Language`].
pub fn language() -> Object {
    string(
        "^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$".into(),
        "a language tag such as en or de-CH",
    )
}

/// [`crate::PartnerId`].
pub fn partner_id() -> Object {
    string(
        "^[A-Za-z0-9._-]{1,64}$".into(),
        "1 to 64 of A-Z a-z 0-9 - _ .",
    )
}

/// [`crate::AppId`].
pub fn app_id() -> Object {
    string(
        "^[a-z][a-z0-9._-]{0,63}$".into(),
        "1 to 64 of a-z 0-9 - _ ., starting with a letter",
    )
}

/// [`crate::KeyId`].
pub fn key_id() -> Object {
    string("^[A-Za-z0-9_-]{1,32}$".into(), "1 to 32 of A-Z a-z 0-9 - _")
}

/// The `Idempotency-Key` header: 1–255 printable ASCII characters without spaces.
pub fn idempotency_key() -> Object {
    string(
        format!("^[!-~]{{1,{}}}$", crate::manager::limits::IDEMPOTENCY_KEY),
        "1 to 255 printable ASCII characters, unique per request",
    )
}

/// An RFC 3339 time.
pub fn date_time() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .build()
}

/// A reference to the component schema `name`.
pub fn reference(name: &str) -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(name))
}

/// `schema` or JSON `null`.
pub fn nullable(schema: impl Into<RefOr<Schema>>) -> Schema {
    Schema::OneOf(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(schema)
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// An array of `items`, `min`–`max` long.
pub fn array(items: impl Into<RefOr<Schema>>, min: usize, max: usize) -> Schema {
    Schema::Array(
        ArrayBuilder::new()
            .items(items.into())
            .min_items((min > 0).then_some(min))
            .max_items((max != usize::MAX).then_some(max))
            .build(),
    )
}

/// An integer from `min` to `max`.
pub fn integer(min: i64, max: i64) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(min))
        .maximum(Some(max))
        .build()
}

/// All of `parts` (for adding rules to a derived object schema).
pub fn all_of(parts: Vec<RefOr<Schema>>) -> Schema {
    let mut b = AllOfBuilder::new();
    for p in parts {
        b = b.item(p);
    }
    Schema::AllOf(b.build())
}

/// Any of `parts`.
pub fn any_of(parts: Vec<RefOr<Schema>>) -> Schema {
    let mut b = AnyOfBuilder::new();
    for p in parts {
        b = b.item(p);
    }
    Schema::AnyOf(b.build())
}

/// The `Idempotency-Key` header's schema (for `params(("Idempotency-Key" = IdempotencyKey, Header))`).
pub struct IdempotencyKey;

/// Implements `ToSchema` for a newtype from one of the functions above.
macro_rules! newtype_schema {
    ($t:ty, $f:expr) => {
        impl utoipa::PartialSchema for $t {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::Schema::Object($f).into()
            }
        }
        impl utoipa::ToSchema for $t {}
    };
}

newtype_schema!(IdempotencyKey, idempotency_key());
newtype_schema!(crate::DeviceSerial, device_serial());
newtype_schema!(crate::PartnerId, partner_id());
newtype_schema!(crate::AppId, app_id());
newtype_schema!(crate::KeyId, key_id());
newtype_schema!(crate::Language, language());
newtype_schema!(crate::IssueCode, issue_code());
newtype_schema!(crate::FreeText, free_text(crate::FreeText::MAX));
newtype_schema!(crate::EmailAddress, email());
newtype_schema!(crate::PhoneNumber, phone());
newtype_schema!(crate::ContactName, label(crate::ContactName::MAX));
newtype_schema!(
    crate::IncidentNumber,
    year_number(crate::IncidentNumber::PREFIX)
);
newtype_schema!(
    crate::MeterReadNumber,
    year_number(crate::MeterReadNumber::PREFIX)
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The ranges of a character class body (`\xNN`, `\uNNNN`, `\t`/`\n`/`\r`, literal
    /// characters and `a-b` ranges), so the tests need no regex crate: the patterns themselves are
    /// checked by schemathesis against the running services; here the character sets are checked
    /// against the Rust predicates `parse` uses.
    fn ranges(class: &str) -> Vec<(char, char)> {
        let mut items: Vec<char> = Vec::new();
        let mut chars = class.chars();
        while let Some(ch) = chars.next() {
            let hex = |chars: &mut std::str::Chars<'_>, n: usize| {
                let h: String = chars.by_ref().take(n).collect();
                char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap()
            };
            items.push(if ch != '\\' {
                ch
            } else {
                match chars.next().unwrap() {
                    'x' => hex(&mut chars, 2),
                    'u' => hex(&mut chars, 4),
                    't' => '\t',
                    'n' => '\n',
                    'r' => '\r',
                    other => other,
                }
            });
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < items.len() {
            if i + 2 < items.len() && items[i + 1] == '-' {
                out.push((items[i], items[i + 2]));
                i += 3;
            } else {
                out.push((items[i], items[i]));
                i += 1;
            }
        }
        out
    }

    fn contains(ranges: &[(char, char)], c: char) -> bool {
        ranges.iter().any(|&(a, b)| (a..=b).contains(&c))
    }

    #[test]
    fn the_trimmed_class_is_exactly_what_trim_removes() {
        let trimmed = ranges(TRIMMED);
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(contains(&trimmed, c), c.is_whitespace(), "{c:?}");
        }
    }

    #[test]
    fn the_control_classes_are_exactly_what_has_control_refuses() {
        let (control, in_text) = (ranges(CONTROL), ranges(CONTROL_IN_TEXT));
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = c.encode_utf8(&mut buf);
            assert_eq!(
                contains(&control, c),
                crate::text::has_control(s, false),
                "{c:?}"
            );
            assert_eq!(
                contains(&in_text, c),
                crate::text::has_control(s, true),
                "{c:?}"
            );
        }
    }

    #[test]
    fn patterns_carry_the_parsers_limits() {
        let p = |o: Object| o.pattern.unwrap();
        assert!(p(device_serial()).contains("{1,64}"));
        assert!(p(label(100)).contains("{0,98}"));
        assert!(p(free_text(2000)).contains("{0,1998}"));
        assert!(p(email()).contains("{1,64}@"));
        assert!(p(phone()).contains("{6,20}"));
        assert!(p(idempotency_key()).contains("{1,255}"));
        assert!(p(one_of(&["service", "supply"])).contains("(?:service|supply)"));
    }
}
