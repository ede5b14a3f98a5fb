//! How WS-SNMP writes an SNMP value as text: a `Type` name (as net-snmp names them) and a
//! `returnValue`. [`parse`] reads it back, so varbinds an app collected through WS-SNMP can go
//! through `printer::interpret` unchanged.
//!
//! | SNMP value | Type | returnValue |
//! |---|---|---|
//! | INTEGER | `INTEGER` | decimal, e.g. `-2` |
//! | OCTET STRING, printable UTF-8 | `STRING` | the text |
//! | OCTET STRING, anything else | `Hex-STRING` | upper-case hex bytes separated by one space, e.g. `9C 93 4E` |
//! | OBJECT IDENTIFIER | `OID` | dotted, no leading dot |
//! | IpAddress | `IpAddress` | dotted quad |
//! | Counter32, Gauge32, TimeTicks, Counter64 | `Counter32`, `Gauge32`, `Timeticks`, `Counter64` | decimal (TimeTicks in hundredths of a second) |
//! | Opaque | `Opaque` | hex as for Hex-STRING |
//! | NULL | `NULL` | empty |
//! | exceptions | `noSuchObject`, `noSuchInstance`, `endOfMibView` | empty |

use crate::snmp::{Oid, Value};

/// Printable: valid UTF-8 without control characters other than tab, CR and LF (XML 1.0 can carry it).
fn printable(bytes: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(bytes).ok()?;
    s.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .then_some(s)
}

fn hex_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `Type` and `returnValue` of a value.
pub fn format(value: &Value) -> (&'static str, String) {
    match value {
        Value::Integer(v) => ("INTEGER", v.to_string()),
        Value::OctetString(b) => match printable(b) {
            Some(s) => ("STRING", s.to_owned()),
            None => ("Hex-STRING", hex_bytes(b)),
        },
        Value::Null => ("NULL", String::new()),
        Value::ObjectId(o) => ("OID", o.to_string()),
        Value::IpAddress(a) => ("IpAddress", format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])),
        Value::Counter32(v) => ("Counter32", v.to_string()),
        Value::Gauge32(v) => ("Gauge32", v.to_string()),
        Value::TimeTicks(v) => ("Timeticks", v.to_string()),
        Value::Opaque(b) => ("Opaque", hex_bytes(b)),
        Value::Counter64(v) => ("Counter64", v.to_string()),
        Value::NoSuchObject => ("noSuchObject", String::new()),
        Value::NoSuchInstance => ("noSuchInstance", String::new()),
        Value::EndOfMibView => ("endOfMibView", String::new()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {type_name} value {text:?}")]
pub struct ParseValueError {
    pub type_name: String,
    pub text: String,
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    hex::decode(digits).ok()
}

/// Reads a `Type` and `returnValue` back into a value.
pub fn parse(type_name: &str, text: &str) -> Result<Value, ParseValueError> {
    let err = || ParseValueError {
        type_name: type_name.to_owned(),
        text: text.chars().take(80).collect(),
    };
    let t = text.trim();
    let value = match type_name {
        "INTEGER" => Value::Integer(t.parse().map_err(|_| err())?),
        "STRING" => Value::OctetString(text.as_bytes().to_vec()),
        "Hex-STRING" => Value::OctetString(parse_hex(t).ok_or_else(err)?),
        "NULL" => Value::Null,
        "OID" => Value::ObjectId(t.parse::<Oid>().map_err(|_| err())?),
        "IpAddress" => {
            let parts: Vec<u8> = t
                .split('.')
                .map(|p| p.parse::<u8>())
                .collect::<Result<_, _>>()
                .map_err(|_| err())?;
            Value::IpAddress(parts.try_into().map_err(|_| err())?)
        }
        "Counter32" => Value::Counter32(t.parse().map_err(|_| err())?),
        "Gauge32" => Value::Gauge32(t.parse().map_err(|_| err())?),
        "Timeticks" => Value::TimeTicks(t.parse().map_err(|_| err())?),
        "Opaque" => Value::Opaque(parse_hex(t).ok_or_else(err)?),
        "Counter64" => Value::Counter64(t.parse().map_err(|_| err())?),
        "noSuchObject" => Value::NoSuchObject,
        "noSuchInstance" => Value::NoSuchInstance,
        "endOfMibView" => Value::EndOfMibView,
        _ => return Err(err()),
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::oid;

    #[test]
    fn every_value_round_trips_through_its_text() {
        let values = [
            Value::Integer(-3),
            Value::OctetString(b"Black Toner".to_vec()),
            Value::OctetString(vec![0x9c, 0x93, 0x4e, 0x4a, 0x7b, 0x21]),
            Value::OctetString(vec![]),
            Value::OctetString(b"a\x00b".to_vec()),
            Value::Null,
            Value::ObjectId(oid("1.3.6.1.4.1.253")),
            Value::IpAddress([192, 168, 1, 20]),
            Value::Counter32(u32::MAX),
            Value::Gauge32(7),
            Value::TimeTicks(9_123_456),
            Value::Opaque(vec![1, 2]),
            Value::Counter64(u64::MAX),
            Value::NoSuchObject,
            Value::NoSuchInstance,
            Value::EndOfMibView,
        ];
        for v in values {
            let (t, text) = format(&v);
            assert_eq!(parse(t, &text), Ok(v.clone()), "{t} {text:?}");
        }
    }

    #[test]
    fn binary_strings_are_hex_and_text_strings_are_text() {
        assert_eq!(
            format(&Value::OctetString(vec![0x9c, 0x93, 0x00])),
            ("Hex-STRING", "9C 93 00".to_owned())
        );
        assert_eq!(
            format(&Value::OctetString("Küche".as_bytes().to_vec())),
            ("STRING", "Küche".to_owned())
        );
        assert!(parse("INTEGER", "many").is_err());
        assert!(parse("Bits", "").is_err());
    }
}
