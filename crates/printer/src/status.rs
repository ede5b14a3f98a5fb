//! Status and alerts of a printer, part of [`crate::interpret`]:
//! - hrDeviceStatus (RFC 2790, 1.3.6.1.2.1.25.3.2.1.5): unknown(1) running(2) warning(3) testing(4) down(5)
//! - hrPrinterStatus (RFC 2790, 1.3.6.1.2.1.25.3.5.1.1): other(1) unknown(2) idle(3) printing(4) warmup(5)
//! - hrPrinterDetectedErrorState (RFC 2790, 1.3.6.1.2.1.25.3.5.1.2): an OCTET STRING bit field, bit 0 is
//!   the most significant bit of the first octet: lowPaper(0) noPaper(1) lowToner(2) noToner(3)
//!   doorOpen(4) jammed(5) offline(6) serviceRequested(7) inputTrayMissing(8) outputTrayMissing(9)
//!   markerSupplyMissing(10) outputNearFull(11) outputFull(12) inputTrayEmpty(13) overduePreventMaint(14)
//! - prtAlertTable (RFC 3805, 1.3.6.1.2.1.43.18.1.1.COLUMN.hrDeviceIndex.prtAlertIndex): .2 severity
//!   (other 1, critical 3, warning 4, warningBinaryChangeEvent 5), .3 training level (other 1, unknown 2,
//!   untrained 3, trained 4, fieldService 5, management 6, noInterventionRequired 7), .4 group
//!   (PrtAlertGroupTC), .5 group index, .6 location, .7 code (PrtAlertCodeTC), .8 description, .9 time
//!   (sysUpTime when the alert was added, TimeTicks).

use proto::fleet::{FleetAlert, FleetStatus};

use crate::snmp::{Oid, Value, oid};

pub const HR_DEVICE_STATUS: &str = "1.3.6.1.2.1.25.3.2.1.5";
pub const HR_PRINTER_STATUS: &str = "1.3.6.1.2.1.25.3.5.1.1";
pub const HR_PRINTER_ERROR_STATE: &str = "1.3.6.1.2.1.25.3.5.1.2";
pub const PRT_ALERT_TABLE: &str = "1.3.6.1.2.1.43.18.1.1";

const ERROR_BITS: [&str; 15] = [
    "lowPaper",
    "noPaper",
    "lowToner",
    "noToner",
    "doorOpen",
    "jammed",
    "offline",
    "serviceRequested",
    "inputTrayMissing",
    "outputTrayMissing",
    "markerSupplyMissing",
    "outputNearFull",
    "outputFull",
    "inputTrayEmpty",
    "overduePreventMaint",
];

/// The raised bits of an hrPrinterDetectedErrorState value (bit 0 = most significant bit of octet 0).
pub fn error_bits(bytes: &[u8]) -> Vec<String> {
    ERROR_BITS
        .iter()
        .enumerate()
        .filter(|(bit, _)| {
            bytes
                .get(bit / 8)
                .is_some_and(|octet| octet & (0x80 >> (bit % 8)) != 0)
        })
        .map(|(_, name)| (*name).to_string())
        .collect()
}

/// The octet string with the named bits raised (the emulator's side of [`error_bits`]).
pub fn error_state_bytes(names: &[&str]) -> Vec<u8> {
    let mut out = vec![0u8; 2];
    for name in names {
        if let Some(bit) = ERROR_BITS.iter().position(|b| b == name) {
            out[bit / 8] |= 0x80 >> (bit % 8);
        }
    }
    out
}

pub fn device_status_name(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "unknown",
        2 => "running",
        3 => "warning",
        4 => "testing",
        5 => "down",
        _ => return None,
    })
}

pub fn printer_status_name(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "other",
        2 => "unknown",
        3 => "idle",
        4 => "printing",
        5 => "warmup",
        _ => return None,
    })
}

pub fn severity_name(code: i64) -> &'static str {
    match code {
        3 => "critical",
        4 => "warning",
        5 => "warning_binary_change_event",
        _ => "other",
    }
}

pub fn training_level_name(code: i64) -> &'static str {
    match code {
        2 => "unknown",
        3 => "untrained",
        4 => "trained",
        5 => "field_service",
        6 => "management",
        7 => "no_intervention_required",
        _ => "other",
    }
}

pub fn group_name(code: i64) -> &'static str {
    match code {
        3 => "host_resources_storage",
        4 => "host_resources_device",
        5 => "general_printer",
        6 => "cover",
        7 => "localization",
        8 => "input",
        9 => "output",
        10 => "marker",
        11 => "marker_supplies",
        12 => "marker_colorant",
        13 => "media_path",
        14 => "channel",
        15 => "interpreter",
        16 => "console_display_buffer",
        17 => "console_lights",
        18 => "alert",
        30 => "finisher_device",
        31 => "finisher_supply",
        32 => "finisher_supply_media_input",
        33 => "finisher_attribute",
        _ => "other",
    }
}

/// PrtAlertCodeTC (RFC 3805).
pub fn code_name(code: i64) -> String {
    let name = match code {
        1 => "other",
        2 => "unknown",
        3 => "coverOpen",
        4 => "coverClosed",
        5 => "interlockOpen",
        6 => "interlockClosed",
        7 => "configurationChange",
        8 => "jam",
        9 => "subunitMissing",
        10 => "subunitLifeAlmostOver",
        11 => "subunitLifeOver",
        12 => "subunitAlmostEmpty",
        13 => "subunitEmpty",
        14 => "subunitAlmostFull",
        15 => "subunitFull",
        16 => "subunitNearLimit",
        17 => "subunitAtLimit",
        18 => "subunitOpened",
        19 => "subunitClosed",
        20 => "subunitTurnedOn",
        21 => "subunitTurnedOff",
        22 => "subunitOffline",
        23 => "subunitPowerSaver",
        24 => "subunitWarmingUp",
        25 => "subunitAdded",
        26 => "subunitRemoved",
        27 => "subunitResourceAdded",
        28 => "subunitResourceRemoved",
        29 => "subunitRecoverableFailure",
        30 => "subunitUnrecoverableFailure",
        31 => "subunitRecoverableStorageError",
        32 => "subunitUnrecoverableStorageError",
        33 => "subunitMotorFailure",
        34 => "subunitMemoryExhausted",
        35 => "subunitUnderTemperature",
        36 => "subunitOverTemperature",
        37 => "subunitTimingFailure",
        38 => "subunitThermistorFailure",
        501 => "doorOpen",
        502 => "doorClosed",
        503 => "powerUp",
        504 => "powerDown",
        505 => "printerNMSReset",
        506 => "printerManualReset",
        507 => "printerReadyToPrint",
        801 => "inputMediaTrayMissing",
        802 => "inputMediaSizeChange",
        803 => "inputMediaWeightChange",
        804 => "inputMediaTypeChange",
        805 => "inputMediaColorChange",
        806 => "inputMediaFormPartsChange",
        807 => "inputMediaSupplyLow",
        808 => "inputMediaSupplyEmpty",
        809 => "inputMediaChangeRequest",
        810 => "inputManualInputRequest",
        811 => "inputTrayPositionFailure",
        812 => "inputTrayElevationFailure",
        813 => "inputCannotFeedSizeSelected",
        901 => "outputMediaTrayMissing",
        902 => "outputMediaTrayAlmostFull",
        903 => "outputMediaTrayFull",
        904 => "outputMailboxSelectFailure",
        1001 => "markerFuserUnderTemperature",
        1002 => "markerFuserOverTemperature",
        1003 => "markerFuserTimingFailure",
        1004 => "markerFuserThermistorFailure",
        1005 => "markerAdjustingPrintQuality",
        1101 => "markerTonerEmpty",
        1102 => "markerInkEmpty",
        1103 => "markerPrintRibbonEmpty",
        1104 => "markerTonerAlmostEmpty",
        1105 => "markerInkAlmostEmpty",
        1106 => "markerPrintRibbonAlmostEmpty",
        1107 => "markerWasteTonerReceptacleAlmostFull",
        1108 => "markerWasteInkReceptacleAlmostFull",
        1109 => "markerWasteTonerReceptacleFull",
        1110 => "markerWasteInkReceptacleFull",
        1111 => "markerOpcLifeAlmostOver",
        1112 => "markerOpcLifeOver",
        1113 => "markerDeveloperAlmostEmpty",
        1114 => "markerDeveloperEmpty",
        1115 => "markerTonerCartridgeMissing",
        1301 => "mediaPathMediaTrayMissing",
        1302 => "mediaPathMediaTrayAlmostFull",
        1303 => "mediaPathMediaTrayFull",
        1304 => "mediaPathCannotDuplexMediaSelected",
        1501 => "interpreterMemoryIncrease",
        1502 => "interpreterMemoryDecrease",
        1503 => "interpreterCartridgeAdded",
        1504 => "interpreterCartridgeDeleted",
        1505 => "interpreterResourceAdded",
        1506 => "interpreterResourceDeleted",
        1507 => "interpreterResourceUnavailable",
        1509 => "interpreterComplexPageEncountered",
        1801 => "alertRemovalOfBinaryChangeEntry",
        other => return format!("code-{other}"),
    };
    name.to_string()
}

/// Reads the status objects and the alert table out of the collected values. `get`/`subtree`
/// are the interpretation's view of the varbinds.
pub(crate) fn read<'a>(
    subtree: &dyn Fn(&Oid) -> Vec<(&'a Oid, &'a Value)>,
    text: &dyn Fn(&Value) -> Option<String>,
) -> (FleetStatus, Vec<FleetAlert>) {
    // The printer's hrDevice row is the one that has an hrPrinterTable entry; else the first.
    let printer_rows: Vec<(u32, i64)> = subtree(&oid(HR_PRINTER_STATUS))
        .into_iter()
        .filter_map(|(k, v)| {
            Some((
                *k.suffix_after(&oid(HR_PRINTER_STATUS))?.first()?,
                v.as_i64()?,
            ))
        })
        .collect();
    let device_rows: Vec<(u32, i64)> = subtree(&oid(HR_DEVICE_STATUS))
        .into_iter()
        .filter_map(|(k, v)| {
            Some((
                *k.suffix_after(&oid(HR_DEVICE_STATUS))?.first()?,
                v.as_i64()?,
            ))
        })
        .collect();
    let row = printer_rows
        .first()
        .map(|(r, _)| *r)
        .or_else(|| device_rows.first().map(|(r, _)| *r));
    let device = row
        .and_then(|r| device_rows.iter().find(|(d, _)| *d == r))
        .and_then(|(_, c)| device_status_name(*c))
        .map(str::to_string);
    let printer = printer_rows
        .first()
        .and_then(|(_, c)| printer_status_name(*c))
        .map(str::to_string);
    let errors = subtree(&oid(HR_PRINTER_ERROR_STATE))
        .into_iter()
        .find(|(k, _)| {
            row.is_none_or(|r| {
                k.suffix_after(&oid(HR_PRINTER_ERROR_STATE))
                    .is_some_and(|s| s.first() == Some(&r))
            })
        })
        .and_then(|(_, v)| v.as_bytes().map(error_bits))
        .unwrap_or_default();

    let table = oid(PRT_ALERT_TABLE);
    let mut rows: std::collections::BTreeMap<(u32, u32), Vec<(u32, &Value)>> = Default::default();
    for (k, v) in subtree(&table) {
        if let Some([col, d, a]) = k.suffix_after(&table) {
            rows.entry((*d, *a)).or_default().push((*col, v));
        }
    }
    let alerts = rows
        .into_iter()
        .filter_map(|((d, a), cols)| {
            let col = |c: u32| cols.iter().find(|(n, _)| *n == c).map(|(_, v)| *v);
            let int = |c: u32| col(c).and_then(Value::as_i64);
            // A row without a code is no alert we can name (a half-answered walk).
            let code = int(7)?;
            Some(FleetAlert {
                index: format!("{d}.{a}"),
                severity: severity_name(int(2).unwrap_or(1)).to_string(),
                training_level: int(3).map(|t| training_level_name(t).to_string()),
                group: int(4).map(|g| group_name(g).to_string()),
                group_index: int(5),
                location: int(6),
                code,
                code_name: code_name(code),
                description: col(8).and_then(text).unwrap_or_default(),
                time: col(9).and_then(|v| match v {
                    Value::TimeTicks(t) => Some(*t),
                    other => other.as_i64().and_then(|n| u32::try_from(n).ok()),
                }),
            })
        })
        .collect();
    (
        FleetStatus {
            device,
            printer,
            errors,
        },
        alerts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_state_bit_zero_is_the_most_significant_bit_of_the_first_octet() {
        assert_eq!(error_bits(&[0x80]), ["lowPaper"]);
        assert_eq!(error_bits(&[0x24]), ["lowToner", "jammed"]);
        assert_eq!(
            error_bits(&[0x01, 0x80]),
            ["serviceRequested", "inputTrayMissing"]
        );
        assert_eq!(error_bits(&[0x00, 0x02]), ["overduePreventMaint"]);
        assert!(error_bits(&[]).is_empty(), "a short value raises nothing");
        assert_eq!(
            error_bits(&[0x00, 0x01]),
            Vec::<String>::new(),
            "bit 15 is not defined"
        );
        for names in [
            &["jammed", "doorOpen"][..],
            &["lowToner", "overduePreventMaint"],
        ] {
            let mut back = error_bits(&error_state_bytes(names));
            back.sort();
            let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(back, want);
        }
    }

    #[test]
    fn alert_codes_have_their_rfc_3805_names() {
        assert_eq!(code_name(8), "jam");
        assert_eq!(code_name(501), "doorOpen");
        assert_eq!(code_name(1104), "markerTonerAlmostEmpty");
        assert_eq!(code_name(30), "subunitUnrecoverableFailure");
        assert_eq!(code_name(4242), "code-4242");
    }

    #[test]
    fn interpret_reads_status_and_the_alert_table() {
        use crate::snmp::VarBind;
        let vb = |o: &str, v: Value| VarBind::new(oid(o), v);
        let t = PRT_ALERT_TABLE;
        let varbinds = vec![
            vb("1.3.6.1.2.1.25.3.2.1.5.1", Value::Integer(3)),
            vb("1.3.6.1.2.1.25.3.2.1.5.2", Value::Integer(2)),
            vb("1.3.6.1.2.1.25.3.5.1.1.1", Value::Integer(3)),
            vb("1.3.6.1.2.1.25.3.5.1.2.1", Value::OctetString(vec![0x04])),
            vb(&format!("{t}.2.1.7"), Value::Integer(3)),
            vb(&format!("{t}.3.1.7"), Value::Integer(3)),
            vb(&format!("{t}.4.1.7"), Value::Integer(13)),
            vb(&format!("{t}.5.1.7"), Value::Integer(1)),
            vb(&format!("{t}.6.1.7"), Value::Integer(0)),
            vb(&format!("{t}.7.1.7"), Value::Integer(8)),
            vb(
                &format!("{t}.8.1.7"),
                Value::OctetString(b"Paper jam in tray 1".to_vec()),
            ),
            vb(&format!("{t}.9.1.7"), Value::TimeTicks(12345)),
            // a row cut off before its code: left out rather than guessed
            vb(&format!("{t}.2.1.9"), Value::Integer(4)),
        ];
        let r = crate::interpret(&varbinds);
        assert_eq!(r.status.device.as_deref(), Some("warning"));
        assert_eq!(r.status.printer.as_deref(), Some("idle"));
        assert_eq!(r.status.errors, ["jammed"]);
        assert_eq!(r.alerts.len(), 1);
        let a = &r.alerts[0];
        assert_eq!(
            (
                a.index.as_str(),
                a.severity.as_str(),
                a.code,
                a.code_name.as_str()
            ),
            ("1.7", "critical", 8, "jam")
        );
        assert_eq!(a.training_level.as_deref(), Some("untrained"));
        assert_eq!(a.group.as_deref(), Some("media_path"));
        assert_eq!(a.description, "Paper jam in tray 1");
        assert_eq!(a.time, Some(12345));
        let json = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(json["alerts"][0]["code"], 8);
        assert_eq!(json["status"]["errors"][0], "jammed");
    }
}
