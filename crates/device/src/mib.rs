//! The emulated device's MIB: the recording's values in OID order, shared by the SNMP agent, the
//! WS-SNMP service and the usage simulation.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{PoisonError, RwLock};

use printer::snmp::{Oid, Value, VarBind};

#[derive(Debug, Default)]
pub struct Mib {
    entries: RwLock<BTreeMap<Oid, Value>>,
}

impl Mib {
    pub fn new(varbinds: Vec<VarBind>) -> Self {
        Self {
            entries: RwLock::new(varbinds.into_iter().map(|vb| (vb.oid, vb.value)).collect()),
        }
    }

    fn read<R>(&self, f: impl FnOnce(&BTreeMap<Oid, Value>) -> R) -> R {
        f(&self.entries.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes values in place (the usage simulation). Keys stay as recorded.
    pub fn update<R>(&self, f: impl FnOnce(&mut BTreeMap<Oid, Value>) -> R) -> R {
        f(&mut self.entries.write().unwrap_or_else(PoisonError::into_inner))
    }

    /// A copy of every entry, in OID order.
    pub fn snapshot(&self) -> Vec<VarBind> {
        self.read(|m| {
            m.iter()
                .map(|(o, v)| VarBind::new(o.clone(), v.clone()))
                .collect()
        })
    }

    pub fn len(&self) -> usize {
        self.read(BTreeMap::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// GET: the value, or noSuchInstance when the object exists with other instances, else noSuchObject.
    pub fn get(&self, oid: &Oid) -> Value {
        self.read(|m| match m.get(oid) {
            Some(v) => v.clone(),
            None => {
                let arcs = oid.arcs();
                let parent = arcs
                    .len()
                    .checked_sub(1)
                    .and_then(|n| Oid::from_arcs(arcs[..n].to_vec()).ok());
                match parent {
                    Some(p)
                        if m.range(p.clone()..)
                            .next()
                            .is_some_and(|(k, _)| k.starts_with(&p) && k != &p) =>
                    {
                        Value::NoSuchInstance
                    }
                    _ => Value::NoSuchObject,
                }
            }
        })
    }

    /// GETNEXT: the first entry after `oid`, or endOfMibView.
    pub fn next(&self, oid: &Oid) -> VarBind {
        self.read(|m| Self::next_in(m, oid))
    }

    fn next_in(m: &BTreeMap<Oid, Value>, oid: &Oid) -> VarBind {
        match m
            .range((Bound::Excluded(oid.clone()), Bound::Unbounded))
            .next()
        {
            Some((k, v)) => VarBind::new(k.clone(), v.clone()),
            None => VarBind::new(oid.clone(), Value::EndOfMibView),
        }
    }

    /// GETBULK (RFC 3416 4.2.3): `non_repeaters` GETNEXTs, then up to `max_repetitions` rows of GETNEXTs
    /// for the rest, row by row. Stops early when every repeater reached endOfMibView or `limit` bindings.
    pub fn bulk(
        &self,
        oids: &[Oid],
        non_repeaters: usize,
        max_repetitions: usize,
        limit: usize,
    ) -> Vec<VarBind> {
        self.read(|m| {
            let n = non_repeaters.min(oids.len());
            let mut out: Vec<VarBind> = oids[..n].iter().map(|o| Self::next_in(m, o)).collect();
            let mut cursors: Vec<Oid> = oids[n..].to_vec();
            if cursors.is_empty() {
                return out;
            }
            for _ in 0..max_repetitions {
                let mut all_ended = true;
                for c in cursors.iter_mut() {
                    let vb = Self::next_in(m, c);
                    if vb.value != Value::EndOfMibView {
                        all_ended = false;
                    }
                    *c = vb.oid.clone();
                    out.push(vb);
                    if out.len() >= limit {
                        return out;
                    }
                }
                if all_ended {
                    break;
                }
            }
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use printer::snmp::oid;

    fn mib() -> Mib {
        Mib::new(vec![
            VarBind::new(oid("1.3.6.1.2.1.1.1.0"), Value::OctetString(b"d".to_vec())),
            VarBind::new(oid("1.3.6.1.2.1.43.11.1.1.9.1.2"), Value::Integer(20)),
            VarBind::new(oid("1.3.6.1.2.1.43.11.1.1.9.1.10"), Value::Integer(5)),
        ])
    }

    #[test]
    fn get_distinguishes_missing_object_and_instance() {
        let m = mib();
        assert_eq!(
            m.get(&oid("1.3.6.1.2.1.43.11.1.1.9.1.2")),
            Value::Integer(20)
        );
        assert_eq!(
            m.get(&oid("1.3.6.1.2.1.43.11.1.1.9.1.3")),
            Value::NoSuchInstance
        );
        assert_eq!(m.get(&oid("1.3.6.1.2.1.1.2.0")), Value::NoSuchObject);
    }

    #[test]
    fn next_follows_arc_order_and_ends() {
        let m = mib();
        assert_eq!(
            m.next(&oid("1.3.6.1.2.1.43.11.1.1.9.1.2")).oid,
            oid("1.3.6.1.2.1.43.11.1.1.9.1.10")
        );
        assert_eq!(
            m.next(&oid("1.3.6.1.2.1.43.11.1.1.9.1.10")).value,
            Value::EndOfMibView
        );
        assert_eq!(m.next(&oid("1.3")).oid, oid("1.3.6.1.2.1.1.1.0"));
    }

    #[test]
    fn bulk_is_row_major_and_stops_at_the_end() {
        let m = mib();
        let got = m.bulk(&[oid("1.3.6.1.2.1.1.1.0"), oid("1.3.6.1.2.1.1")], 1, 5, 100);
        let oids: Vec<String> = got.iter().map(|v| v.oid.to_string()).collect();
        assert_eq!(
            oids,
            [
                "1.3.6.1.2.1.43.11.1.1.9.1.2",
                "1.3.6.1.2.1.1.1.0",
                "1.3.6.1.2.1.43.11.1.1.9.1.2",
                "1.3.6.1.2.1.43.11.1.1.9.1.10",
                "1.3.6.1.2.1.43.11.1.1.9.1.10"
            ]
        );
        assert_eq!(got[4].value, Value::EndOfMibView);
        assert_eq!(m.bulk(&[oid("1.3")], 0, 50, 2).len(), 2);
    }
}
