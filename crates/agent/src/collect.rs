//! One collection cycle: walk every address (a discovery sweep) or every known printer (a poll),
//! with at most `concurrency` walks at a time and at most `rate` new walks per second; interpret each
//! walk and commit a reading per printer to the queue.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use printer::read::{ReadError, ReadOptions};
use printer::snmp::SnmpError;
use proto::fleet::{FleetIdentity, Reading};
use serde::Serialize;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::queue::Queue;

/// Readings are committed to the queue in groups of this many (one transaction each), and at the end
/// of the cycle; a reading is acknowledged to nobody before it is committed.
const FLUSH_EVERY: usize = 100;

#[derive(Debug, Clone)]
pub struct CollectConfig {
    pub communities: Vec<String>,
    pub timeout: Duration,
    pub retries: u32,
    pub concurrency: usize,
    /// New walks started per second, at most.
    pub rate: u32,
    /// Meters are included when the device's last meters are at least this old.
    pub meter_interval: Duration,
}

/// What a cycle did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CycleStats {
    pub addresses: u64,
    pub answered: u64,
    pub printers: u64,
    pub not_printers: u64,
    pub readings: u64,
    pub no_serial: u64,
    pub failed: u64,
    pub dropped: u64,
    /// Every request sent, to silent addresses too.
    pub snmp_requests: u64,
    /// Requests of the walks that read a printer.
    pub printer_requests: u64,
    pub wall_ms: u128,
}

/// How the agent names a device to the manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKey {
    pub key: String,
    /// Neither serial nor MAC: `key` is a stand-in ([`stand_in_key`]).
    pub no_serial: bool,
}

/// The device's key: its serial, else its MAC address (`MAC-…`), else a stand-in made of the
/// agent's site, the address, the model and sysObjectID — as fleet tools do for devices that report
/// no serial (glpi-agent imports them by MAC, then by IP and name; Web Jetadmin identifies a printer
/// by hardware address, IP address or host name), marked so it can be merged later.
pub fn device_key(report: &printer::DeviceReport, site: &str, address: &str) -> DeviceKey {
    let known = report
        .identity
        .serial
        .clone()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            report
                .identity
                .mac
                .as_ref()
                .filter(|m| !m.trim().is_empty())
                .map(|m| format!("MAC-{}", m.replace(':', "").to_uppercase()))
        });
    match known {
        Some(key) => DeviceKey {
            key,
            no_serial: false,
        },
        None => DeviceKey {
            key: stand_in_key(site, address, &report.identity),
            no_serial: true,
        },
    }
}

/// `NS-` and 16 hex digits of SHA-256 over the site, address, model and sysObjectID: the same
/// device at the same address keeps its key across cycles and restarts; another agent's site with
/// the same private address gets another one.
pub fn stand_in_key(site: &str, address: &str, identity: &printer::Identity) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        site,
        address,
        identity.model.as_deref().unwrap_or(""),
        identity.sys_object_id.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("NS-{}", &hex::encode(h.finalize())[..16].to_uppercase())
}

/// The wire form of an interpreted walk.
pub fn to_reading(
    report: &printer::DeviceReport,
    key: DeviceKey,
    address: &str,
    read_at: DateTime<Utc>,
    with_meters: bool,
) -> Reading {
    Reading {
        reading_id: Uuid::now_v7(),
        read_at,
        address: address.to_string(),
        identity: FleetIdentity {
            serial: key.key,
            model: report.identity.model.clone(),
            mac: report.identity.mac.clone(),
            sys_descr: report.identity.sys_descr.clone(),
            sys_object_id: report.identity.sys_object_id.clone(),
            no_serial: key.no_serial,
        },
        // One set of types from the walk to the manager: status, supplies, meters and alerts
        // travel as `printer::interpret` returned them.
        status: report.status.clone(),
        supplies: report.supplies.clone(),
        meters: if with_meters {
            report.meters.clone()
        } else {
            Vec::new()
        },
        alerts: report.alerts.clone(),
    }
}

/// Walks one address with each community in turn (the known one first) until one answers.
async fn walk(
    address: &str,
    communities: &[String],
    cfg: &CollectConfig,
) -> (u64, Result<(printer::DeviceReport, String), (bool, String)>) {
    let mut requests = 0;
    let mut last = String::new();
    for community in communities {
        let options = ReadOptions {
            community: community.clone(),
            timeout: cfg.timeout,
            retries: cfg.retries,
            ..Default::default()
        };
        match printer::read::collect(address, &options).await {
            Ok((_, varbinds, stats)) => {
                requests += stats.requests;
                if !printer::interpret::has_printer_mib(&varbinds) {
                    return (
                        requests,
                        Err((true, "answers SNMP but has no Printer-MIB".into())),
                    );
                }
                return (
                    requests,
                    Ok((printer::interpret(&varbinds), community.clone())),
                );
            }
            Err(ReadError::Snmp(SnmpError::NoAnswer { .. })) => {
                requests += u64::from(cfg.retries) + 1;
                last = format!("no answer (community {community:?} or device off?)");
            }
            Err(e) => {
                // It answered, then went wrong (stopped mid-walk, OIDs not increasing, …).
                return (requests, Err((true, e.to_string())));
            }
        }
    }
    (requests, Err((false, last)))
}

/// Walks `addresses` (with their known community, if any) and queues a reading for every printer.
pub async fn cycle(
    queue: &Queue,
    addresses: Vec<(String, Option<String>)>,
    cfg: &CollectConfig,
    now: &(dyn Fn() -> DateTime<Utc> + Send + Sync),
) -> anyhow::Result<CycleStats> {
    let started = Instant::now();
    let known = queue.devices().await?;
    let sem = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let requests = Arc::new(AtomicU64::new(0));
    let gap = Duration::from_secs_f64(1.0 / f64::from(cfg.rate.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut stats = CycleStats {
        addresses: addresses.len() as u64,
        ..Default::default()
    };
    let mut next_start = tokio::time::Instant::now();
    let mut clock = queue.reading_clock().await?;
    let site = queue.site_id().await?;
    let mut pending: Vec<(Reading, String, bool)> = Vec::new();
    for (address, community) in addresses {
        tokio::time::sleep_until(next_start).await;
        next_start += gap;
        let permit = sem.clone().acquire_owned().await?;
        let mut communities = cfg.communities.clone();
        if let Some(c) = community {
            communities.retain(|x| x != &c);
            communities.insert(0, c);
        }
        let cfg = cfg.clone();
        let requests = requests.clone();
        tasks.spawn(async move {
            let (n, result) = walk(&address, &communities, &cfg).await;
            requests.fetch_add(n, Ordering::Relaxed);
            drop(permit);
            (address, n, result)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (address, n, result) = done?;
        match result {
            Ok((report, community)) => {
                stats.printer_requests += n;
                stats.answered += 1;
                stats.printers += 1;
                let key = device_key(&report, &site, &address);
                if key.no_serial {
                    stats.no_serial += 1;
                    tracing::warn!(%address, key = %key.key,
                        "a printer without serial number or MAC address: reported under a stand-in key (merge it when its serial is known)");
                }
                let read_at = clock.next(now());
                let last_meters = known
                    .iter()
                    .find(|d| d.serial == key.key)
                    .and_then(|d| d.last_meter_at);
                let meters_due = match last_meters {
                    None => true,
                    Some(t) => {
                        let age = read_at - t;
                        age < chrono::Duration::zero()
                            || age.to_std().is_ok_and(|a| a >= cfg.meter_interval)
                    }
                };
                let reading = to_reading(&report, key, &address, read_at, meters_due);
                // A reading no upload could carry would stay in the queue for ever: refused here.
                let size = serde_json::to_vec(&reading).map_or(usize::MAX, |b| b.len());
                if size > proto::fleet::MAX_BATCH_READINGS_BYTES {
                    let error = format!(
                        "the reading is {size} bytes of JSON, more than one upload may carry ({} bytes); not queued",
                        proto::fleet::MAX_BATCH_READINGS_BYTES
                    );
                    stats.failed += 1;
                    tracing::warn!(%address, serial = %reading.identity.serial, %error, "reading the printer failed");
                    if known.iter().any(|d| d.serial == reading.identity.serial) {
                        queue
                            .poll_failed(&reading.identity.serial, now(), &error)
                            .await?;
                    }
                    continue;
                }
                pending.push((reading, community, meters_due));
                stats.readings += 1;
                if pending.len() >= FLUSH_EVERY {
                    stats.dropped += queue.push_many(&pending).await?;
                    pending.clear();
                }
            }
            Err((answered, error)) => {
                if answered {
                    stats.answered += 1;
                }
                if let Some(d) = known.iter().find(|d| d.address == address) {
                    stats.failed += 1;
                    tracing::warn!(%address, serial = %d.serial, %error, "reading the printer failed; nothing queued for it");
                    queue.poll_failed(&d.serial, now(), &error).await?;
                } else if answered && error.contains("Printer-MIB") {
                    stats.not_printers += 1;
                    tracing::debug!(%address, "not a printer");
                } else if answered {
                    stats.failed += 1;
                    tracing::warn!(%address, %error, "reading failed");
                }
            }
        }
    }
    stats.dropped += queue.push_many(&pending).await?;
    stats.snmp_requests = requests.load(Ordering::Relaxed);
    stats.wall_ms = started.elapsed().as_millis();
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(serial: Option<&str>, mac: Option<&str>) -> printer::DeviceReport {
        let mut r = printer::interpret(&[]);
        r.identity.serial = serial.map(String::from);
        r.identity.mac = mac.map(String::from);
        r.identity.model = Some("AltaLink C8045".into());
        r
    }

    #[test]
    fn serial_then_mac_then_a_stand_in_marked_as_such() {
        let a = "10.0.0.7:161";
        assert_eq!(
            device_key(&report(Some("X1"), Some("9c:93:4e:00:00:01")), "site", a),
            DeviceKey {
                key: "X1".into(),
                no_serial: false
            }
        );
        assert_eq!(
            device_key(&report(None, Some("9c:93:4e:00:00:01")), "site", a).key,
            "MAC-9C934E000001"
        );
        let k = device_key(&report(None, None), "site", a);
        assert!(k.no_serial);
        assert!(k.key.starts_with("NS-") && k.key.len() == 19, "{}", k.key);
        assert!(proto::DeviceSerial::parse(&k.key).is_ok());
        // Stable for the same site, address and model; another site or address is another device.
        assert_eq!(device_key(&report(None, None), "site", a), k);
        assert_ne!(device_key(&report(None, None), "other", a).key, k.key);
        assert_ne!(
            device_key(&report(None, None), "site", "10.0.0.8:161").key,
            k.key
        );
    }
}
