//! CSV exports (RFC 4180: CRLF line ends, quoted cells, quotes doubled): meter reads for billing
//! and the incident list. Every text cell is quoted; cells that a spreadsheet
//! would run as a formula (starting with = + - @, tab or carriage return) get a leading `'`.

use crate::storage::{Device, Incident, MeterRead};

/// One CSV cell, safe against formula injection.
pub fn cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

pub fn meter_reads(device: &Device, reads: &[MeterRead]) -> String {
    let mut out = String::from(
        "serial,customer,read_at,source,meter_replacement,meter_id,meter_name,value\r\n",
    );
    for r in reads {
        for m in &r.meters {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{}\r\n",
                cell(device.serial.as_str()),
                cell(&device.customer_name),
                r.read_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                r.source.as_str(),
                r.meter_replacement,
                cell(&m.id),
                cell(&m.name),
                m.value
            ));
        }
    }
    out
}

/// The header of the incident export; `incident_row` writes one line of it.
pub const INCIDENTS_HEADER: &str =
    "number,created_at,kind,status,serial,customer,issue,description,supplies\r\n";

/// One incident as a CSV line; `issue` is the human label of its issue code. Contact details are
/// never exported.
pub fn incident_row(i: &Incident, issue: &str) -> String {
    let supplies = i
        .supplies
        .iter()
        .map(|s| s.description.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "{},{},{},{},{},{},{},{},{}\r\n",
        cell(&i.number.to_string()),
        i.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        i.kind.as_str(),
        i.status.as_str(),
        cell(&i.device_serial.to_string()),
        cell(&i.customer_name),
        cell(issue),
        cell(&i.description),
        cell(&supplies),
    )
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formula_cells_are_prefixed_and_quotes_doubled() {
        assert_eq!(cell("=1+2"), "\"'=1+2\"");
        assert_eq!(cell("+cmd"), "\"'+cmd\"");
        assert_eq!(cell("-2"), "\"'-2\"");
        assert_eq!(cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(cell("say \"hi\", ok"), "\"say \"\"hi\"\", ok\"");
        assert_eq!(cell("Total"), "\"Total\"");
    }
}
