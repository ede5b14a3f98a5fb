//! The `.snmprec` recording format (snmpsim's): one `OID|TAG|VALUE` per line.
//! Tags: 2 Integer32, 4 OctetString, 4x OctetString as hex, 5 Null, 6 OBJECT IDENTIFIER, 64 IpAddress,
//! 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64 (an `x` suffix means hex for any tag
//! whose value is bytes).

use std::path::Path;

use crate::snmp::{Oid, Value, VarBind};

#[derive(Debug, thiserror::Error)]
pub enum SnmprecError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {reason}")]
    Line {
        file: String,
        line: usize,
        reason: String,
    },
}

/// A line that repeats an earlier line's OID with the same value: accepted, the repeat ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedLine {
    pub file: String,
    pub oid: Oid,
    /// The line that gave the value (1-based).
    pub first_line: usize,
    /// The line that repeats it.
    pub repeat_line: usize,
}

impl std::fmt::Display for RepeatedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: repeats line {} (OID {}, same value); the repeat is ignored",
            self.file, self.repeat_line, self.first_line, self.oid
        )
    }
}

/// A parsed recording: its values in OID order, and the repeated lines that were ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub varbinds: Vec<VarBind>,
    pub repeated: Vec<RepeatedLine>,
}

/// Parses a recording file; errors name the file and the line. Repeated lines are logged as
/// warnings (see [`read_recording`]).
pub fn read_file(path: &Path) -> Result<Vec<VarBind>, SnmprecError> {
    let recording = read_recording(path)?;
    log_repeats(&recording.repeated);
    Ok(recording.varbinds)
}

/// As [`read_file`], returning the repeated lines instead of logging them.
pub fn read_recording(path: &Path) -> Result<Recording, SnmprecError> {
    let file = path.display().to_string();
    let text = std::fs::read(path).map_err(|source| SnmprecError::Io {
        file: file.clone(),
        source,
    })?;
    // Recordings are text, but OctetString values may hold any Latin-1 byte: read lossily per line.
    parse_recording(&String::from_utf8_lossy(&text), &file)
}

fn log_repeats(repeated: &[RepeatedLine]) {
    for r in repeated {
        tracing::warn!("{r}");
    }
}

/// Parses recording text; `name` is used in error messages. Repeated lines are logged as warnings.
pub fn parse(text: &str, name: &str) -> Result<Vec<VarBind>, SnmprecError> {
    let recording = parse_recording(text, name)?;
    log_repeats(&recording.repeated);
    Ok(recording.varbinds)
}

/// Parses recording text. A line repeating an earlier line's OID with the same value is kept once
/// and reported in [`Recording::repeated`]; the same OID with another value is an error naming
/// both lines.
pub fn parse_recording(text: &str, name: &str) -> Result<Recording, SnmprecError> {
    let mut seen: std::collections::BTreeMap<Oid, (usize, Value)> =
        std::collections::BTreeMap::new();
    let mut repeated = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let err = |reason: String| SnmprecError::Line {
            file: name.to_string(),
            line,
            reason,
        };
        let l = raw.trim_end_matches('\r');
        if l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        let mut parts = l.splitn(3, '|');
        let (Some(oid), Some(tag), Some(value)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err(format!(
                "expected OID|TAG|VALUE, got {:?}",
                truncate(l)
            )));
        };
        let oid: Oid = oid.parse().map_err(|e| err(format!("{e}")))?;
        let value = parse_value(tag, value).map_err(err)?;
        match seen.get(&oid) {
            Some((first_line, first)) if *first == value => repeated.push(RepeatedLine {
                file: name.to_string(),
                oid,
                first_line: *first_line,
                repeat_line: line,
            }),
            Some((first_line, _)) => {
                return Err(err(format!(
                    "OID {oid} appears again with another value (first on line {first_line})"
                )));
            }
            None => {
                seen.insert(oid, (line, value));
            }
        }
    }
    Ok(Recording {
        varbinds: seen
            .into_iter()
            .map(|(oid, (_, value))| VarBind::new(oid, value))
            .collect(),
        repeated,
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn parse_value(tag: &str, value: &str) -> Result<Value, String> {
    let (base, hex) = match tag.strip_suffix('x') {
        Some(b) => (b, true),
        None => (tag, false),
    };
    let bytes = || -> Result<Vec<u8>, String> {
        if hex {
            hex::decode(value.trim())
                .map_err(|e| format!("tag {tag}: value {:?} is not hex ({e})", truncate(value)))
        } else {
            Ok(value.as_bytes().to_vec())
        }
    };
    let text = || -> Result<String, String> {
        let b = bytes()?;
        String::from_utf8(b).map_err(|_| format!("tag {tag}: value is not text"))
    };
    let num = |what: &str| -> Result<String, String> {
        let t = text()?;
        if t.trim().is_empty() {
            Err(format!("tag {tag}: empty {what}"))
        } else {
            Ok(t.trim().to_string())
        }
    };
    Ok(match base {
        "2" => Value::Integer(
            num("Integer32")?
                .parse()
                .map_err(|_| format!("tag 2: {:?} is not an Integer32", truncate(value)))?,
        ),
        "4" => Value::OctetString(bytes()?),
        "5" => Value::Null,
        "6" => Value::ObjectId(num("OID")?.parse().map_err(|e| format!("tag 6: {e}"))?),
        "64" => {
            let b = bytes()?;
            if hex {
                Value::IpAddress(
                    <[u8; 4]>::try_from(b.as_slice())
                        .map_err(|_| "tag 64x: an IpAddress is 4 bytes".to_string())?,
                )
            } else {
                let ip: std::net::Ipv4Addr = num("IpAddress")?
                    .parse()
                    .map_err(|_| format!("tag 64: {:?} is not an IPv4 address", truncate(value)))?;
                Value::IpAddress(ip.octets())
            }
        }
        "65" => Value::Counter32(
            num("Counter32")?
                .parse()
                .map_err(|_| format!("tag 65: {:?} is not a Counter32", truncate(value)))?,
        ),
        "66" => Value::Gauge32(
            num("Gauge32")?
                .parse()
                .map_err(|_| format!("tag 66: {:?} is not a Gauge32", truncate(value)))?,
        ),
        "67" => Value::TimeTicks(
            num("TimeTicks")?
                .parse()
                .map_err(|_| format!("tag 67: {:?} is not TimeTicks", truncate(value)))?,
        ),
        "68" => Value::Opaque(bytes()?),
        "70" => Value::Counter64(
            num("Counter64")?
                .parse()
                .map_err(|_| format!("tag 70: {:?} is not a Counter64", truncate(value)))?,
        ),
        _ => {
            return Err(format!(
                "unknown tag {tag:?} (known: 2, 4, 4x, 5, 6, 64, 65, 66, 67, 68, 70)"
            ));
        }
    })
}

/// Writes varbinds back as recording text (used by tests and by `device read --snmprec`).
pub fn to_text(varbinds: &[VarBind]) -> String {
    let mut s = String::new();
    for vb in varbinds {
        let (tag, val) = match &vb.value {
            Value::Integer(v) => ("2".to_string(), v.to_string()),
            Value::OctetString(b) => match std::str::from_utf8(b) {
                Ok(t) if !t.contains(['\n', '\r']) && !t.chars().any(|c| c.is_control()) => {
                    ("4".to_string(), t.to_string())
                }
                _ => ("4x".to_string(), hex::encode(b)),
            },
            Value::Null => ("5".to_string(), String::new()),
            Value::ObjectId(o) => ("6".to_string(), o.to_string()),
            Value::IpAddress(a) => ("64".to_string(), std::net::Ipv4Addr::from(*a).to_string()),
            Value::Counter32(v) => ("65".to_string(), v.to_string()),
            Value::Gauge32(v) => ("66".to_string(), v.to_string()),
            Value::TimeTicks(v) => ("67".to_string(), v.to_string()),
            Value::Opaque(b) => ("68x".to_string(), hex::encode(b)),
            Value::Counter64(v) => ("70".to_string(), v.to_string()),
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => continue,
        };
        s.push_str(&format!("{}|{}|{}\n", vb.oid, tag, val));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_tag() {
        let text = "1.3.6.1.2.1.1.1.0|4|Xerox; a|b\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.253\n1.3.6.1.2.1.1.3.0|67|42\n\
                    1.3.6.1.2.1.2.2.1.6.1|4x|1C7D2265C850\n1.3.6.1.2.1.4.20.1.1.1|64|10.0.0.1\n1.3.6.1.2.1.5.1.0|65|7\n\
                    1.3.6.1.2.1.5.2.0|66|8\n1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615\n1.3.6.1.2.1.43.11.1.1.9.1.1|2|-3\n";
        let vbs = parse(text, "t.snmprec").expect("valid");
        assert_eq!(vbs.len(), 9);
        assert_eq!(vbs[0].value, Value::OctetString(b"Xerox; a|b".to_vec()));
        assert_eq!(
            vbs[3].value,
            Value::OctetString(vec![0x1c, 0x7d, 0x22, 0x65, 0xc8, 0x50])
        );
        assert_eq!(vbs[8].value, Value::Integer(-3));
        assert_eq!(parse(&to_text(&vbs), "again").expect("round trip"), vbs);
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse(
            "1.3.6.1.2.1.1.1.0|4|ok\n1.3.6.1.2.1.1.3.0|2|twelve\n",
            "dev.snmprec",
        )
        .expect_err("bad");
        assert_eq!(
            e.to_string(),
            "dev.snmprec:2: tag 2: \"twelve\" is not an Integer32"
        );
        let e = parse("1.3.6.1.2.1.1.1.0|99|x\n", "dev.snmprec").expect_err("bad");
        assert!(
            e.to_string()
                .starts_with("dev.snmprec:1: unknown tag \"99\""),
            "{e}"
        );
        let e = parse("garbage\n", "dev.snmprec").expect_err("bad");
        assert!(
            e.to_string()
                .starts_with("dev.snmprec:1: expected OID|TAG|VALUE"),
            "{e}"
        );
        let e = parse("1.3.x|2|1\n", "dev.snmprec").expect_err("bad");
        assert!(e.to_string().starts_with("dev.snmprec:1: OID"), "{e}");
        let e = parse(
            "# comment\n\n1.3.6.1.2.1.1.1.0|4|ok\n1.3.6.1.2.1.1.3.0|67|\n",
            "dev.snmprec",
        )
        .expect_err("bad");
        assert!(e.to_string().starts_with("dev.snmprec:4: "), "{e}");
    }

    #[test]
    fn an_exactly_repeated_line_is_kept_once_and_reported_with_both_lines() {
        let text =
            "1.3.6.1.2.1.1.5.0|4|printer\n1.3.6.1.2.1.1.3.0|67|42\n1.3.6.1.2.1.1.5.0|4|printer\n";
        let r = parse_recording(text, "canon.snmprec").expect("accepted");
        assert_eq!(r.varbinds.len(), 2);
        assert_eq!(r.varbinds[1].value, Value::OctetString(b"printer".to_vec()));
        assert_eq!(r.repeated.len(), 1);
        assert_eq!(
            r.repeated[0].to_string(),
            "canon.snmprec:3: repeats line 1 (OID 1.3.6.1.2.1.1.5.0, same value); the repeat is ignored"
        );
        assert_eq!(parse(text, "canon.snmprec").expect("accepted"), r.varbinds);
    }

    #[test]
    fn a_conflicting_repeat_names_the_file_and_both_lines() {
        let text =
            "1.3.6.1.2.1.1.5.0|4|printer\n1.3.6.1.2.1.1.3.0|67|42\n\n1.3.6.1.2.1.1.5.0|4|copier\n";
        let e = parse(text, "canon.snmprec").expect_err("a conflict");
        assert_eq!(
            e.to_string(),
            "canon.snmprec:4: OID 1.3.6.1.2.1.1.5.0 appears again with another value (first on line 1)"
        );
    }

    #[test]
    fn the_project_fixture_with_repeated_lines_loads_and_a_conflicting_copy_does_not() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/canon-lbp-repeated-lines.snmprec");
        let r = read_recording(&path).expect("the fixture loads");
        let pairs: Vec<(usize, usize)> = r
            .repeated
            .iter()
            .map(|x| (x.first_line, x.repeat_line))
            .collect();
        assert_eq!(pairs, vec![(14, 16), (9, 21)]);
        assert_eq!(r.varbinds.len(), 19);
        assert!(r.varbinds.windows(2).all(|w| w[0].oid < w[1].oid));
        let text =
            std::fs::read_to_string(&path).expect("read") + "1.3.6.1.2.1.43.11.1.1.9.1.2|2|11\n";
        let e = parse(&text, "copy.snmprec").expect_err("a conflict");
        assert_eq!(
            e.to_string(),
            "copy.snmprec:22: OID 1.3.6.1.2.1.43.11.1.1.9.1.2 appears again with another value (first on line 20)"
        );
    }
}
