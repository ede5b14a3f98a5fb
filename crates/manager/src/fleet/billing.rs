//! Billing (issue 13, part 5): meter reads per period for every device of a customer, with
//! the start and end value and the difference per meter, from the meter reads that exist (walk-up
//! and automatic alike).
//!
//! The period is the UTC days `from` to `to`, both included: reads with
//! `from 00:00Z <= read_at < (to + 1 day) 00:00Z`. Start is the first read of the period, end the
//! last one.
//!
//! Rollback rule: within the period, a value lower than the previous read of the same meter, or a
//! read marked `meter_replacement`, means the meter was replaced. The difference is the sum over
//! the meter's segments of (last value − first value): the old meter counts up to its last read,
//! the new one from its first read (its start value, not 0). Pages printed between the old
//! meter's last read and the new meter's first read are not known and not counted; `replacements`
//! says how many times that happened.
//!
//! A device of the customer without any read in the period is listed with status `missing`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::console::csv::cell;
use crate::storage::{MeterRead, Result, Storage, StoreError};

/// At most this many reads per device and period are looked at.
pub const MAX_READS_PER_DEVICE: u32 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MeterUsage {
    pub meter_id: String,
    pub name: String,
    pub start_at: DateTime<Utc>,
    pub start_value: i64,
    pub end_at: DateTime<Utc>,
    pub end_value: i64,
    /// Pages in the period; across a meter replacement, counted from the new meter's first read.
    pub difference: i64,
    /// How many times the meter was replaced in the period (a value below the previous read, or
    /// a read marked `meter_replacement`).
    pub replacements: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceBillingStatus {
    /// At least one read in the period.
    Ok,
    /// No read in the period: listed, not left out.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeviceUsage {
    pub serial: String,
    pub model: String,
    pub location: String,
    pub status: DeviceBillingStatus,
    /// Meter reads in the period.
    pub reads: u32,
    pub meters: Vec<MeterUsage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MeterReadsReport {
    pub customer_id: Uuid,
    pub customer_name: String,
    /// First day of the period (UTC), included.
    pub from: NaiveDate,
    /// Last day of the period (UTC), included.
    pub to: NaiveDate,
    pub devices: Vec<DeviceUsage>,
}

/// The start of a UTC day.
fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Per meter of the reads (in time order), start, end and difference with the rollback rule.
/// Meters are listed in the order they first appear.
pub fn usage(reads: &[MeterRead]) -> Vec<MeterUsage> {
    struct Acc {
        u: MeterUsage,
        seg_start: i64,
    }
    let mut acc: Vec<Acc> = Vec::new();
    for r in reads {
        for m in &r.meters {
            match acc.iter_mut().find(|a| a.u.meter_id == m.id) {
                None => acc.push(Acc {
                    u: MeterUsage {
                        meter_id: m.id.clone(),
                        name: m.name.clone(),
                        start_at: r.read_at,
                        start_value: m.value,
                        end_at: r.read_at,
                        end_value: m.value,
                        difference: 0,
                        replacements: 0,
                    },
                    seg_start: m.value,
                }),
                Some(a) => {
                    if r.meter_replacement || m.value < a.u.end_value {
                        a.u.difference += a.u.end_value - a.seg_start;
                        a.seg_start = m.value;
                        a.u.replacements += 1;
                    }
                    a.u.end_at = r.read_at;
                    a.u.end_value = m.value;
                    a.u.name = m.name.clone();
                }
            }
        }
    }
    acc.into_iter()
        .map(|mut a| {
            a.u.difference += a.u.end_value - a.seg_start;
            a.u
        })
        .collect()
}

/// The report for every device of one customer of the partner; `NotFound("customer")` when the
/// customer is not the partner's.
pub async fn meter_reads_report(
    store: &dyn Storage,
    partner_id: Uuid,
    customer_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<MeterReadsReport> {
    let customer = store
        .list_customers(partner_id)
        .await?
        .into_iter()
        .find(|c| c.id == customer_id)
        .ok_or(StoreError::NotFound("customer"))?;
    let start = day_start(from);
    let end = day_start(to) + Duration::days(1);
    let mut devices: Vec<_> = store
        .list_devices(partner_id)
        .await?
        .into_iter()
        .filter(|d| d.customer_id == customer_id)
        .collect();
    devices.sort_by(|a, b| a.serial.as_str().cmp(b.serial.as_str()));
    let mut out = Vec::with_capacity(devices.len());
    for d in devices {
        let reads: Vec<MeterRead> = store
            .list_meter_reads(partner_id, &d.serial, start, MAX_READS_PER_DEVICE)
            .await?
            .into_iter()
            .filter(|r| r.read_at >= start && r.read_at < end)
            .collect();
        out.push(DeviceUsage {
            serial: d.serial.as_str().to_string(),
            model: d.model.clone(),
            location: d.location.clone(),
            status: if reads.is_empty() {
                DeviceBillingStatus::Missing
            } else {
                DeviceBillingStatus::Ok
            },
            reads: u32::try_from(reads.len()).unwrap_or(u32::MAX),
            meters: usage(&reads),
        });
    }
    Ok(MeterReadsReport {
        customer_id,
        customer_name: customer.name,
        from,
        to,
        devices: out,
    })
}

/// The report as CSV: one row per device and meter; a missing device is one row with status
/// `missing` and empty meter cells. Text cells are guarded against formula injection.
pub fn to_csv(report: &MeterReadsReport) -> String {
    let mut out = String::from(
        "customer,serial,model,location,status,meter_id,meter_name,start_at,start_value,end_at,end_value,difference,replacements\r\n",
    );
    let ts = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for d in &report.devices {
        let head = format!(
            "{},{},{},{}",
            cell(&report.customer_name),
            cell(&d.serial),
            cell(&d.model),
            cell(&d.location)
        );
        if d.meters.is_empty() {
            let status = match d.status {
                DeviceBillingStatus::Ok => "ok",
                DeviceBillingStatus::Missing => "missing",
            };
            out.push_str(&format!("{head},{status},,,,,,,,\r\n"));
        }
        for m in &d.meters {
            out.push_str(&format!(
                "{head},ok,{},{},{},{},{},{},{},{}\r\n",
                cell(&m.meter_id),
                cell(&m.name),
                ts(&m.start_at),
                m.start_value,
                ts(&m.end_at),
                m.end_value,
                m.difference,
                m.replacements
            ));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::{DeviceSerial, MeterSource};
    use crate::storage::MeterValue;
    use chrono::TimeZone;

    fn read(day: u32, replacement: bool, values: &[(&str, i64)]) -> MeterRead {
        let at = Utc
            .with_ymd_and_hms(2026, 3, day, 12, 0, 0)
            .single()
            .unwrap();
        MeterRead {
            id: Uuid::new_v4(),
            number: crate::domain::MeterReadNumber::new(2026, i64::from(day)).unwrap(),
            device_serial: DeviceSerial::parse("SN-1").unwrap(),
            read_at: at,
            source: MeterSource::Automatic,
            meter_replacement: replacement,
            meters: values
                .iter()
                .map(|(id, v)| MeterValue {
                    id: (*id).into(),
                    name: id.to_uppercase(),
                    value: *v,
                })
                .collect(),
            created_at: at,
        }
    }

    #[test]
    fn plain_difference_is_end_minus_start() {
        let u = usage(&[
            read(1, false, &[("total", 100), ("color", 10)]),
            read(5, false, &[("total", 180), ("color", 30)]),
            read(9, false, &[("total", 250)]),
        ]);
        assert_eq!(u.len(), 2);
        assert_eq!(
            (u[0].start_value, u[0].end_value, u[0].difference),
            (100, 250, 150)
        );
        assert_eq!(u[0].replacements, 0);
        assert_eq!(
            (u[1].start_value, u[1].end_value, u[1].difference),
            (10, 30, 20)
        );
    }

    #[test]
    fn rollback_counts_from_the_new_meters_start() {
        // Old meter 1000 → 1200 (+200), replaced; the new one 50 → 130 (+80).
        let u = usage(&[
            read(1, false, &[("total", 1000)]),
            read(3, false, &[("total", 1200)]),
            read(4, false, &[("total", 50)]),
            read(8, false, &[("total", 130)]),
        ]);
        assert_eq!(u[0].difference, 280);
        assert_eq!(u[0].replacements, 1);
        assert_eq!((u[0].start_value, u[0].end_value), (1000, 130));
        // A read marked as a replacement starts a new meter even when its value is higher.
        let u = usage(&[
            read(1, false, &[("total", 10)]),
            read(2, false, &[("total", 20)]),
            read(3, true, &[("total", 5000)]),
            read(4, false, &[("total", 5005)]),
        ]);
        assert_eq!(u[0].difference, 15);
        assert_eq!(u[0].replacements, 1);
    }

    #[test]
    fn csv_lists_missing_devices_and_guards_cells() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single().unwrap();
        let report = MeterReadsReport {
            customer_id: Uuid::nil(),
            customer_name: "=Acme".into(),
            from: t.date_naive(),
            to: t.date_naive(),
            devices: vec![DeviceUsage {
                serial: "SN-2".into(),
                model: "M".into(),
                location: "L".into(),
                status: DeviceBillingStatus::Missing,
                reads: 0,
                meters: vec![],
            }],
        };
        let csv = to_csv(&report);
        let lines: Vec<_> = csv.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1], "\"'=Acme\",\"SN-2\",\"M\",\"L\",missing,,,,,,,,");
        assert_eq!(
            lines[0].split(',').count(),
            lines[1].split(',').count(),
            "same number of columns"
        );
    }
}
