//! Object identifiers, ordered the way SNMP orders them (lexicographically by arc).

use std::fmt;
use std::str::FromStr;

/// An SNMP object identifier. `Ord` is the lexicographic arc order that GETNEXT and GETBULK use.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Oid(Vec<u32>);

/// Why a dotted OID string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidParseError {
    #[error("an OID needs at least two arcs, got {0:?}")]
    TooShort(String),
    #[error("OID {oid:?}: arc {arc:?} is not a number between 0 and 4294967295")]
    BadArc { oid: String, arc: String },
    #[error(
        "OID {0:?}: the first arc must be 0, 1 or 2 and the second below 40 unless the first is 2"
    )]
    BadPrefix(String),
    #[error("OID {0:?} has more than 128 arcs")]
    TooLong(String),
}

pub const MAX_ARCS: usize = 128;

impl Oid {
    /// Builds an OID from arcs, checking the rules BER encoding needs.
    pub fn from_arcs(arcs: Vec<u32>) -> Result<Self, OidParseError> {
        let shown = || {
            arcs.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".")
        };
        if arcs.len() < 2 {
            return Err(OidParseError::TooShort(shown()));
        }
        if arcs.len() > MAX_ARCS {
            return Err(OidParseError::TooLong(shown()));
        }
        if arcs[0] > 2
            || (arcs[0] < 2 && arcs[1] >= 40)
            || (arcs[0] == 2 && arcs[1] > u32::MAX - 80)
        {
            return Err(OidParseError::BadPrefix(shown()));
        }
        Ok(Self(arcs))
    }

    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    /// True when `self` lies in the subtree rooted at `root` (or is `root`).
    pub fn starts_with(&self, root: &Oid) -> bool {
        self.0.starts_with(&root.0)
    }

    /// The arcs after `root`, when `self` is inside that subtree.
    pub fn suffix_after(&self, root: &Oid) -> Option<&[u32]> {
        self.0.strip_prefix(root.0.as_slice())
    }

    /// A child OID: `self` followed by `arcs`.
    pub fn child(&self, arcs: &[u32]) -> Oid {
        let mut v = self.0.clone();
        v.extend_from_slice(arcs);
        Oid(v)
    }
}

impl FromStr for Oid {
    type Err = OidParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim().trim_start_matches('.');
        let arcs = trimmed
            .split('.')
            .map(|a| {
                a.parse::<u32>().map_err(|_| OidParseError::BadArc {
                    oid: s.to_string(),
                    arc: a.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Oid::from_arcs(arcs)
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl serde::Serialize for Oid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Oid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses a dotted OID known at compile time. Only for constants written in this code base.
#[allow(clippy::expect_used)]
pub fn oid(s: &str) -> Oid {
    s.parse().expect("a constant OID in the source is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_arc_not_by_text() {
        assert!(oid("1.3.6.1.2") < oid("1.3.6.1.10"));
        assert!(oid("1.3.6.1") < oid("1.3.6.1.0"));
        assert!(oid("1.3.6.1.2.1.43.11.1.1.9.1.10") > oid("1.3.6.1.2.1.43.11.1.1.9.1.9"));
    }

    #[test]
    fn parse_errors_name_the_problem() {
        assert!(matches!(
            "1".parse::<Oid>(),
            Err(OidParseError::TooShort(_))
        ));
        assert!(matches!(
            "1.3.x".parse::<Oid>(),
            Err(OidParseError::BadArc { .. })
        ));
        assert!(matches!(
            "3.1".parse::<Oid>(),
            Err(OidParseError::BadPrefix(_))
        ));
        assert_eq!(
            ".1.3.6".parse::<Oid>().map(|o| o.to_string()),
            Ok("1.3.6".to_string())
        );
    }
}
