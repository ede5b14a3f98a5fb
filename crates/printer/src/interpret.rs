//! `interpret(varbinds) -> DeviceReport`: identity, supplies and meters by the rules of
//! shared/printers/CONTRACT.md. It does not care how the varbinds were fetched (UDP SNMP, or the
//! device's WS-SNMP service through the weblet) nor in which order they come.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::snmp::{Oid, Value, VarBind, oid};
use proto::fleet::{FleetAlert, FleetMeter, FleetStatus, FleetSupply, SupplyClass, SupplyStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    pub identity: Identity,
    pub supplies: Vec<FleetSupply>,
    pub meters: Vec<FleetMeter>,
    /// hrDeviceStatus, hrPrinterStatus and the raised hrPrinterDetectedErrorState bits (added to the contract).
    #[serde(default)]
    pub status: FleetStatus,
    /// prtAlertTable rows (added to the contract).
    #[serde(default)]
    pub alerts: Vec<FleetAlert>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Identity {
    pub model: Option<String>,
    pub serial: Option<String>,
    pub mac: Option<String>,
    pub sys_descr: Option<String>,
    pub sys_object_id: Option<String>,
}

/// Settings of the interpretation.
#[derive(Debug, Clone, Copy)]
pub struct InterpretOptions {
    /// A consumed supply at or below this percentage is `low`; a receptacle with this little space left is `almost_full`.
    pub low_threshold_percent: u8,
}

impl Default for InterpretOptions {
    fn default() -> Self {
        Self {
            low_threshold_percent: 10,
        }
    }
}

pub const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
pub const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";
const IF_PHYS_ADDRESS: &str = "1.3.6.1.2.1.2.2.1.6";
const HR_DEVICE_DESCR: &str = "1.3.6.1.2.1.25.3.2.1.3";
const PRT_GENERAL_SERIAL: &str = "1.3.6.1.2.1.43.5.1.1.17";
const PRT_MARKER_LIFE_COUNT: &str = "1.3.6.1.2.1.43.10.2.1.4.1.1";
const PRT_MARKER_POWER_ON_COUNT: &str = "1.3.6.1.2.1.43.10.2.1.5.1.1";
const PRT_SUPPLIES: &str = "1.3.6.1.2.1.43.11.1.1";
const PRT_COLORANT_VALUE: &str = "1.3.6.1.2.1.43.12.1.1.4";
const PRINTER_MIB: &str = "1.3.6.1.2.1.43";
const XEROX_1284_ID: &str = "1.3.6.1.4.1.253.8.51.1.2.1.20";
const XEROX_SERIAL: &str = "1.3.6.1.4.1.253.8.53.3.2.1.3";
const XEROX_BILLING: &str = "1.3.6.1.4.1.253.8.53.13.2.1.6";
const KONICA_COUNTERS: &str = "1.3.6.1.4.1.18334.1.1.1.5.7.2";
const HP_PAGES: &str = "1.3.6.1.4.1.11.2.3.9.4.2.1.4.1.2";

/// The subtrees a reader must collect for [`interpret`]: walked by `device read` over UDP, and by
/// the weblet through WS-SNMP (the App API names them at startup).
pub fn subtrees() -> Vec<Oid> {
    [
        "1.3.6.1.2.1.1",
        IF_PHYS_ADDRESS,
        HR_DEVICE_DESCR,
        PRT_GENERAL_SERIAL,
        "1.3.6.1.2.1.43.10.2.1.4",
        "1.3.6.1.2.1.43.10.2.1.5",
        "1.3.6.1.2.1.43.11.1.1.3",
        "1.3.6.1.2.1.43.11.1.1.4",
        "1.3.6.1.2.1.43.11.1.1.5",
        "1.3.6.1.2.1.43.11.1.1.6",
        "1.3.6.1.2.1.43.11.1.1.8",
        "1.3.6.1.2.1.43.11.1.1.9",
        PRT_COLORANT_VALUE,
        crate::status::HR_DEVICE_STATUS,
        crate::status::HR_PRINTER_STATUS,
        crate::status::HR_PRINTER_ERROR_STATE,
        crate::status::PRT_ALERT_TABLE,
        XEROX_1284_ID,
        XEROX_SERIAL,
        XEROX_BILLING,
        KONICA_COUNTERS,
        HP_PAGES,
    ]
    .into_iter()
    .map(oid)
    .collect()
}

/// True when the agent answered anything of the Printer-MIB (RFC 3805).
pub fn has_printer_mib(varbinds: &[VarBind]) -> bool {
    let root = oid(PRINTER_MIB);
    varbinds
        .iter()
        .any(|vb| vb.oid.starts_with(&root) && !vb.value.is_exception())
}

pub fn interpret(varbinds: &[VarBind]) -> DeviceReport {
    interpret_with(varbinds, InterpretOptions::default())
}

pub fn interpret_with(varbinds: &[VarBind], options: InterpretOptions) -> DeviceReport {
    let mib: BTreeMap<&Oid, &Value> = varbinds
        .iter()
        .filter(|vb| !vb.value.is_exception())
        .map(|vb| (&vb.oid, &vb.value))
        .collect();
    let view = View { mib };
    let (status, alerts) = crate::status::read(&|root| view.subtree(root).collect(), &value_text);
    DeviceReport {
        identity: identity(&view),
        supplies: supplies(&view, options),
        meters: meters(&view),
        status,
        alerts,
    }
}

struct View<'a> {
    mib: BTreeMap<&'a Oid, &'a Value>,
}

impl<'a> View<'a> {
    fn get(&self, o: &Oid) -> Option<&'a Value> {
        self.mib.get(o).copied()
    }
    fn text(&self, o: &Oid) -> Option<String> {
        self.get(o).and_then(value_text).filter(|s| !s.is_empty())
    }
    fn subtree(&self, root: &Oid) -> std::vec::IntoIter<(&'a Oid, &'a Value)> {
        self.mib
            .range::<Oid, _>(root..)
            .take_while(|(k, _)| k.starts_with(root))
            .map(|(k, v)| (*k, *v))
            .collect::<Vec<_>>()
            .into_iter()
    }
    fn int(&self, o: &Oid) -> Option<i64> {
        self.get(o).and_then(|v| v.as_i64())
    }
}

/// The text of an octet string: UTF-8 (else Latin-1), without trailing NULs and spaces. Descriptions
/// that a device sends as a hex string ("426C61636B20546F6E6572" or "42 6C 61 ...") are decoded.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::OctetString(b) | Value::Opaque(b) => Some(bytes_text(b)),
        Value::ObjectId(o) => Some(o.to_string()),
        other => other.as_i64().map(|n| n.to_string()),
    }
}

fn bytes_text(b: &[u8]) -> String {
    let text = match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => b.iter().map(|c| char::from(*c)).collect(),
    };
    let text = text
        .trim_end_matches(['\0', ' ', '\n', '\r', '\t'])
        .trim_start()
        .to_string();
    decode_hex_text(&text).unwrap_or(text)
}

fn decode_hex_text(s: &str) -> Option<String> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | ':' | '-'))
        .collect();
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .unwrap_or(&digits);
    if digits.len() < 8
        || !digits.len().is_multiple_of(2)
        || !digits.chars().all(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    let bytes = hex::decode(digits).ok()?;
    let decoded = String::from_utf8(bytes).ok()?;
    let decoded = decoded.trim_end_matches('\0').trim().to_string();
    let printable = !decoded.is_empty() && decoded.chars().all(|c| !c.is_control());
    let has_letter = decoded.chars().any(char::is_alphabetic);
    (printable && has_letter).then_some(decoded)
}

fn identity(v: &View<'_>) -> Identity {
    let sys_descr = v.text(&oid(SYS_DESCR));
    let sys_object_id = v.get(&oid(SYS_OBJECT_ID)).and_then(|x| match x {
        Value::ObjectId(o) => Some(o.to_string()),
        _ => None,
    });
    let xerox_model = v
        .subtree(&oid(XEROX_1284_ID))
        .filter_map(|(_, val)| value_text(val))
        .find_map(|id| ieee1284_field(&id, "MDL"));
    let hr_model = v
        .subtree(&oid(HR_DEVICE_DESCR))
        .filter_map(|(_, val)| value_text(val))
        .find(|s| !s.is_empty());
    let sys_model = sys_descr
        .as_deref()
        .map(|d| d.split(';').next().unwrap_or(d).trim().to_string())
        .filter(|s| !s.is_empty());
    let serial = v
        .subtree(&oid(PRT_GENERAL_SERIAL))
        .chain(v.subtree(&oid(XEROX_SERIAL)))
        .filter_map(|(_, val)| value_text(val))
        .find(|s| !s.is_empty());
    let mac = v
        .subtree(&oid(IF_PHYS_ADDRESS))
        .find_map(|(_, val)| mac_address(val));
    Identity {
        model: xerox_model.or(hr_model).or(sys_model),
        serial,
        mac,
        sys_descr,
        sys_object_id,
    }
}

fn ieee1284_field(id: &str, key: &str) -> Option<String> {
    id.split(';').find_map(|part| {
        let (k, val) = part.split_once(':')?;
        (k.trim().eq_ignore_ascii_case(key)
            || (key == "MDL" && k.trim().eq_ignore_ascii_case("MODEL")))
        .then(|| val.trim().to_string())
        .filter(|s| !s.is_empty())
    })
}

/// A 6-byte, non-zero physical address, as lower-case colon-separated hex. Also accepts the text form.
fn mac_address(v: &Value) -> Option<String> {
    let Value::OctetString(b) = v else {
        return None;
    };
    let bytes: Vec<u8> = if b.len() == 6 {
        b.clone()
    } else {
        let text = std::str::from_utf8(b).ok()?;
        let digits: String = text
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | ' ' | '.'))
            .collect();
        if digits.len() != 12 {
            return None;
        }
        hex::decode(digits).ok()?
    };
    if bytes.iter().all(|x| *x == 0) {
        return None;
    }
    Some(
        bytes
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

fn supply_type_name(code: i64) -> &'static str {
    const NAMES: [&str; 34] = [
        "other",
        "unknown",
        "toner",
        "wasteToner",
        "ink",
        "inkCartridge",
        "inkRibbon",
        "wasteInk",
        "opc",
        "developer",
        "fuserOil",
        "solidWax",
        "ribbonWax",
        "wasteWax",
        "fuser",
        "coronaWire",
        "fuserOilWick",
        "cleanerUnit",
        "fuserCleaningPad",
        "transferUnit",
        "tonerCartridge",
        "fuserOiler",
        "water",
        "wasteWater",
        "glueWaterAdditive",
        "wastePaper",
        "bindingSupply",
        "bandingSupply",
        "stitchingWire",
        "shrinkWrap",
        "paperWrap",
        "staples",
        "inserts",
        "covers",
    ];
    usize::try_from(code - 1)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("other")
}

fn infer_type(description: &str) -> &'static str {
    let d = description.to_lowercase();
    if d.contains("waste") {
        "wasteToner"
    } else if d.contains("toner") {
        "toner"
    } else if d.contains("drum") || d.contains("photoconductor") {
        "opc"
    } else if d.contains("developer") {
        "developer"
    } else if d.contains("cleaner") {
        "cleanerUnit"
    } else if d.contains("fuser") || d.contains("fusing") {
        "fuser"
    } else if d.contains("transfer") {
        "transferUnit"
    } else {
        "other"
    }
}

fn colorant_in(description: &str) -> Option<String> {
    let d = description.to_lowercase();
    ["black", "cyan", "magenta", "yellow"]
        .into_iter()
        .filter_map(|c| d.find(c).map(|pos| (pos, c)))
        .min()
        .map(|(_, c)| c.to_string())
}

/// Splits "Black Toner, PN 006R01509;SN48178080E0000481" into description and part number.
fn split_description(raw: &str) -> (String, Option<String>) {
    let before_sn = raw.split(";SN").next().unwrap_or(raw);
    match before_sn.split_once(", PN") {
        Some((d, pn)) => {
            let pn = pn.trim();
            let pn =
                (!pn.is_empty() && !pn.eq_ignore_ascii_case("unknown")).then(|| pn.to_string());
            (d.trim().to_string(), pn)
        }
        None => (before_sn.trim().to_string(), None),
    }
}

fn supplies(v: &View<'_>, options: InterpretOptions) -> Vec<FleetSupply> {
    let table = oid(PRT_SUPPLIES);
    let mut indices: BTreeSet<(u32, u32)> = BTreeSet::new();
    for (k, _) in v.subtree(&table) {
        if let Some([col, d, s]) = k.suffix_after(&table)
            && (1..=9).contains(col)
        {
            indices.insert((*d, *s));
        }
    }
    indices
        .into_iter()
        .map(|(d, s)| {
            let col = |c: u32| table.child(&[c, d, s]);
            let raw = v.text(&col(6)).unwrap_or_default();
            let (description, part_number) = split_description(&raw);
            let kind = match v.int(&col(5)) {
                Some(code) => supply_type_name(code),
                None => infer_type(&description),
            };
            let class = match v.int(&col(4)) {
                Some(3) => SupplyClass::Consumed,
                Some(4) => SupplyClass::Receptacle,
                _ if kind.starts_with("waste") => SupplyClass::Receptacle,
                _ => SupplyClass::Consumed,
            };
            let colorant = v
                .int(&col(3))
                .filter(|ci| *ci > 0)
                .and_then(|ci| u32::try_from(ci).ok())
                .and_then(|ci| v.text(&oid(PRT_COLORANT_VALUE).child(&[d, ci])))
                .map(|c| c.to_lowercase())
                .or_else(|| colorant_in(&description));
            let raw_max = v.int(&col(8));
            let raw_level = v.int(&col(9));
            let max_capacity = raw_max.filter(|m| *m >= 0);
            let level = raw_level.filter(|l| *l >= 0);
            let percent = match (level, max_capacity) {
                (Some(l), Some(m)) if m > 0 => {
                    let p = ((l as f64) * 100.0 / (m as f64)).round().clamp(0.0, 100.0);
                    Some(p as u8)
                }
                _ => None,
            };
            let status = status(raw_level, percent, class, options);
            FleetSupply {
                index: format!("{d}.{s}"),
                description,
                part_number,
                kind: kind.to_string(),
                class,
                colorant,
                max_capacity,
                level,
                percent,
                status,
            }
        })
        .collect()
}

fn status(
    raw_level: Option<i64>,
    percent: Option<u8>,
    class: SupplyClass,
    options: InterpretOptions,
) -> SupplyStatus {
    match (raw_level, percent) {
        (Some(-3), _) => SupplyStatus::SomeRemaining,
        (Some(-1), _) => SupplyStatus::Unrestricted,
        (_, None) => SupplyStatus::Unknown,
        (_, Some(p)) => match class {
            SupplyClass::Consumed if p == 0 => SupplyStatus::Empty,
            SupplyClass::Consumed if p <= options.low_threshold_percent => SupplyStatus::Low,
            SupplyClass::Receptacle if p == 0 => SupplyStatus::Full,
            SupplyClass::Receptacle if p <= options.low_threshold_percent => {
                SupplyStatus::AlmostFull
            }
            _ => SupplyStatus::Ok,
        },
    }
}

/// (suffix under the Xerox billing column `.6`, id, name)
const XEROX_METERS: &[(&[u32], &str, &str)] = &[
    (&[1, 20, 1], "total-impressions", "Total impressions"),
    (&[1, 20, 34], "black-impressions", "Black impressions"),
    (&[1, 20, 33], "color-impressions", "Color impressions"),
    (&[11, 20, 3], "black-copies", "Black copied impressions"),
    (&[11, 20, 25], "color-copies", "Color copied impressions"),
    (&[1, 20, 7], "black-prints", "Black printed impressions"),
    (&[1, 20, 29], "color-prints", "Color printed impressions"),
    (&[10, 20, 11], "scans-email", "Scans sent by e-mail"),
    (&[10, 20, 12], "scans-network", "Scans saved to the network"),
    (
        &[1, 20, 43],
        "color-large-impressions",
        "Color large impressions",
    ),
    (
        &[1, 20, 44],
        "black-large-impressions",
        "Black large impressions",
    ),
    (
        &[1, 20, 47],
        "total-large-impressions",
        "Total large impressions",
    ),
];

const KONICA_METERS: &[(&[u32], &str, &str)] = &[
    (&[2, 1, 5, 1, 1], "black-copies", "Black copies"),
    (&[2, 1, 5, 1, 2], "black-prints", "Black prints"),
    (&[2, 1, 5, 2, 1], "color-copies", "Color copies"),
    (&[2, 1, 5, 2, 2], "color-prints", "Color prints"),
    (&[1, 3, 0], "duplex-sheets", "Duplex sheets"),
    (&[1, 5, 0], "scans", "Scans"),
];

const HP_METERS: &[(&[u32], &str, &str)] = &[
    (&[5, 0], "total-pages", "Total pages"),
    (&[6, 0], "black-pages", "Mono pages"),
];

fn meters(v: &View<'_>) -> Vec<FleetMeter> {
    let mut out: Vec<FleetMeter> = Vec::new();
    let mut push = |o: Oid, id: &str, name: &str| {
        if out.iter().any(|m| m.id == id) {
            return;
        }
        if let Some(value) = v.int(&o).and_then(|n| u64::try_from(n).ok()) {
            out.push(FleetMeter {
                id: id.to_string(),
                name: name.to_string(),
                value,
                oid: o.to_string(),
            });
        }
    };
    for (base, table) in [
        (XEROX_BILLING, XEROX_METERS),
        (KONICA_COUNTERS, KONICA_METERS),
        (HP_PAGES, HP_METERS),
    ] {
        for (suffix, id, name) in table {
            push(oid(base).child(suffix), id, name);
        }
    }
    // Without a vendor total, the Printer-MIB life count is the total.
    push(
        oid(PRT_MARKER_LIFE_COUNT),
        "total-impressions",
        "Total impressions",
    );
    push(
        oid(PRT_MARKER_LIFE_COUNT),
        "marker-life-count",
        "Lifetime impressions (Printer-MIB)",
    );
    push(
        oid(PRT_MARKER_POWER_ON_COUNT),
        "power-on-impressions",
        "Impressions since power on",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vb(o: &str, v: Value) -> VarBind {
        VarBind::new(oid(o), v)
    }
    fn s(t: &str) -> Value {
        Value::OctetString(t.as_bytes().to_vec())
    }

    #[test]
    fn splits_part_and_serial_numbers() {
        assert_eq!(
            split_description("Black Toner, PN 006R01509;SN48178080E0000481"),
            ("Black Toner".into(), Some("006R01509".into()))
        );
        assert_eq!(
            split_description("Fuser, PN unknown;SNunknown"),
            ("Fuser".into(), None)
        );
        assert_eq!(
            split_description("Toner (Cyan)"),
            ("Toner (Cyan)".into(), None)
        );
    }

    #[test]
    fn decodes_hex_descriptions_but_not_words() {
        assert_eq!(bytes_text(b"426C61636B20546F6E6572"), "Black Toner");
        assert_eq!(
            bytes_text(b"42 6C 61 63 6B 20 54 6F 6E 65 72"),
            "Black Toner"
        );
        assert_eq!(bytes_text(b"Black Toner\0\0"), "Black Toner");
        assert_eq!(bytes_text(b"CAFE"), "CAFE");
        assert_eq!(bytes_text(b"DEADBEEF"), "DEADBEEF"); // decodes to control bytes: kept as sent
    }

    #[test]
    fn special_levels_get_their_own_status() {
        let t = "1.3.6.1.2.1.43.11.1.1";
        let varbinds = vec![
            vb(&format!("{t}.6.1.1"), s("Black Toner")),
            vb(&format!("{t}.8.1.1"), Value::Integer(-2)),
            vb(&format!("{t}.9.1.1"), Value::Integer(-3)),
            vb(&format!("{t}.6.1.2"), s("Staples")),
            vb(&format!("{t}.8.1.2"), Value::Integer(-1)),
            vb(&format!("{t}.9.1.2"), Value::Integer(-1)),
            vb(&format!("{t}.6.1.3"), s("Cyan Toner")),
            vb(&format!("{t}.8.1.3"), Value::Integer(100)),
            vb(&format!("{t}.9.1.3"), Value::Integer(-2)),
            vb(&format!("{t}.6.1.4"), s("Yellow Toner")),
            vb(&format!("{t}.8.1.4"), Value::Integer(1000)),
            vb(&format!("{t}.9.1.4"), Value::Integer(0)),
            vb(&format!("{t}.6.1.5"), s("Waste Toner Box")),
            vb(&format!("{t}.8.1.5"), Value::Integer(100)),
            vb(&format!("{t}.9.1.5"), Value::Integer(0)),
            vb(&format!("{t}.6.1.6"), s("Magenta Toner")),
            vb(&format!("{t}.8.1.6"), Value::Integer(200)),
            vb(&format!("{t}.9.1.6"), Value::Integer(300)),
        ];
        let r = interpret(&varbinds);
        let st: Vec<_> = r.supplies.iter().map(|s| s.status).collect();
        assert_eq!(
            st,
            [
                SupplyStatus::SomeRemaining,
                SupplyStatus::Unrestricted,
                SupplyStatus::Unknown,
                SupplyStatus::Empty,
                SupplyStatus::Full,
                SupplyStatus::Ok
            ]
        );
        assert_eq!(r.supplies[0].level, None);
        assert_eq!(r.supplies[0].max_capacity, None);
        assert_eq!(r.supplies[4].class, SupplyClass::Receptacle);
        assert_eq!(
            r.supplies[5].percent,
            Some(100),
            "levels above the capacity are capped at 100 %"
        );
    }

    #[test]
    fn colorant_from_the_colorant_table_wins() {
        let varbinds = vec![
            vb("1.3.6.1.2.1.43.11.1.1.3.1.1", Value::Integer(2)),
            vb("1.3.6.1.2.1.43.11.1.1.6.1.1", s("Toner Cartridge")),
            vb("1.3.6.1.2.1.43.12.1.1.4.1.2", s("Cyan")),
        ];
        assert_eq!(
            interpret(&varbinds).supplies[0].colorant.as_deref(),
            Some("cyan")
        );
    }

    #[test]
    fn order_of_varbinds_does_not_matter() {
        let mut varbinds = vec![
            vb(SYS_DESCR, s("Acme Laser; fw 1.2")),
            vb("1.3.6.1.2.1.43.11.1.1.6.1.1", s("Black Toner")),
            vb("1.3.6.1.2.1.43.11.1.1.9.1.1", Value::Integer(5)),
            vb("1.3.6.1.2.1.43.11.1.1.8.1.1", Value::Integer(100)),
        ];
        let a = interpret(&varbinds);
        varbinds.reverse();
        assert_eq!(interpret(&varbinds), a);
        assert_eq!(a.identity.model.as_deref(), Some("Acme Laser"));
        assert_eq!(a.supplies[0].status, SupplyStatus::Low);
    }
}
