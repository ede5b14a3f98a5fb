//! `support-assistant device fleet`: many emulated printers at once, SNMP v2c only, each on its own
//! loopback address (127.0.0.0/8 is all loopback on Linux) or its own port. Every `.snmprec` file of a
//! directory is one device; `--copies N` serves each recording N times with distinct serial numbers.
//!
//! With `--simulate-usage` the data lives: every simulation step stands for [`STEP_MINUTES`] minutes of
//! office use (the pages of [`crate::simulate`]: counters rise, toner falls), empty toner is replaced
//! after a while, and alerts come and go (a jam, an open door, toner low, a service call). `--speed F`
//! is the speed factor: F simulated minutes pass per real minute, so one step runs every
//! `STEP_MINUTES * 60 / F` real seconds (speed 1 = real time, 300 = one step per second).
//!
//! An alert is what a real device shows: a prtAlertTable row (RFC 3805), the matching
//! hrPrinterDetectedErrorState bit and hrDeviceStatus (RFC 2790) — see [`Condition`].

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use printer::snmp::{Oid, Value, VarBind, oid};
use printer::status::{
    HR_DEVICE_STATUS, HR_PRINTER_ERROR_STATE, HR_PRINTER_STATUS, PRT_ALERT_TABLE, error_state_bytes,
};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::agent::{Agent, AgentStats};
use crate::mib::Mib;
use crate::simulate::{Simulation, XorShift64};

/// Simulated minutes per simulation step.
pub const STEP_MINUTES: f64 = 5.0;

const PRT_GENERAL_SERIAL: &str = "1.3.6.1.2.1.43.5.1.1.17.1";
const XEROX_SERIAL: &str = "1.3.6.1.4.1.253.8.53.3.2.1.3.1";
const SYS_UPTIME: &str = "1.3.6.1.2.1.1.3.0";
const SUPPLIES: &str = "1.3.6.1.2.1.43.11.1.1";

#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// A directory of recordings (*.snmprec): each is one device.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Serve each recording this many times; copies after the first get the serial `SERIAL-0001`, ….
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub copies: u32,
    /// The first device's address; the next devices take the following addresses (127.0.0.0/8 is loopback).
    #[arg(long, default_value = "127.0.10.1", value_name = "IPV4")]
    pub base_address: Ipv4Addr,
    /// The UDP port every device listens on (0: any free port).
    #[arg(long, default_value_t = 1161, value_name = "PORT")]
    pub port: u16,
    /// Put all devices on the base address, one port each (from --port upwards), instead of one address each.
    #[arg(long)]
    pub ports: bool,
    /// The SNMP read community of every device.
    #[arg(long, default_value = "public")]
    pub community: String,
    /// Living data: counters rise, toner falls and is replaced, alerts come and go.
    #[arg(long)]
    pub simulate_usage: bool,
    /// Simulated minutes per real minute (one step of 5 simulated minutes every 300/F real seconds).
    #[arg(long, default_value_t = 60.0, value_name = "F")]
    pub speed: f64,
    /// Seed of the simulation (device i uses seed + i), so a run can be repeated.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,
    /// Also write the device list as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

/// An alert condition the emulator can raise (RFC 3805 alert + RFC 2790 bit and device status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// critical, untrained, group mediaPath(13), code jam(8), bit jammed, device down
    Jam,
    /// critical, untrained, group cover(6), code coverOpen(3), bit doorOpen, device down
    DoorOpen,
    /// warning, untrained, group markerSupplies(11), code markerTonerAlmostEmpty(1104), bit lowToner, device warning
    TonerLow,
    /// critical, fieldService, group generalPrinter(5), code subunitUnrecoverableFailure(30), bit serviceRequested, device down
    ServiceCall,
}

impl Condition {
    pub const ALL: [Condition; 4] = [
        Condition::Jam,
        Condition::DoorOpen,
        Condition::TonerLow,
        Condition::ServiceCall,
    ];

    /// (severity, training level, group, code, error bit, description, device status)
    fn facts(self) -> (i32, i32, i32, i32, &'static str, &'static str, i32) {
        match self {
            Condition::Jam => (3, 3, 13, 8, "jammed", "Paper jam", 5),
            Condition::DoorOpen => (3, 3, 6, 3, "doorOpen", "Front door open", 5),
            Condition::TonerLow => (4, 3, 11, 1104, "lowToner", "Toner low", 3),
            Condition::ServiceCall => (
                3,
                5,
                5,
                30,
                "serviceRequested",
                "Service call: fuser failure",
                5,
            ),
        }
    }

    pub fn code(self) -> i64 {
        i64::from(self.facts().3)
    }

    pub fn severity(self) -> &'static str {
        printer::status::severity_name(i64::from(self.facts().0))
    }
}

/// One emulated device of a fleet.
pub struct FleetDevice {
    pub name: String,
    pub serial: Option<String>,
    pub addr: SocketAddr,
    pub mib: Arc<Mib>,
    pub stats: Arc<AgentStats>,
    /// Answers left before the device falls silent (negative: no limit).
    answer_budget: Arc<AtomicI64>,
    alerts: Mutex<AlertState>,
}

#[derive(Default)]
struct AlertState {
    next_index: u32,
    /// condition → (alert index, steps left; None = until cleared)
    active: BTreeMap<Condition, (u32, Option<u32>)>,
}

impl FleetDevice {
    /// A device whose MIB is already served by another agent (`device::serve`, the demo's devices):
    /// its life ([`Life`], [`spawn_life`]) raises and clears alerts in `mib`.
    pub fn over(name: &str, mib: Arc<Mib>, stats: Arc<AgentStats>) -> Arc<Self> {
        let serial = mib.update(|m| serial_of(m));
        Arc::new(Self {
            name: name.to_string(),
            serial,
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            mib,
            stats,
            answer_budget: Arc::new(AtomicI64::new(-1)),
            alerts: Mutex::new(AlertState::default()),
        })
    }

    /// Stops answering after `n` more requests (a device that dies in the middle of a walk).
    pub fn fall_silent_after(&self, n: i64) {
        self.answer_budget.store(n.max(0), Ordering::SeqCst);
    }

    /// Answers again without limit.
    pub fn wake(&self) {
        self.answer_budget.store(-1, Ordering::SeqCst);
    }

    /// Raises `c` (no-op when it is already raised) until [`FleetDevice::clear`].
    pub fn raise(&self, c: Condition) {
        self.raise_for(c, None);
    }

    fn raise_for(&self, c: Condition, steps: Option<u32>) {
        let mut st = self.alerts.lock().unwrap_or_else(PoisonError::into_inner);
        if st.active.contains_key(&c) {
            return;
        }
        st.next_index += 1;
        let index = st.next_index;
        st.active.insert(c, (index, steps));
        self.write_alerts(&st);
    }

    pub fn clear(&self, c: Condition) {
        let mut st = self.alerts.lock().unwrap_or_else(PoisonError::into_inner);
        if st.active.remove(&c).is_some() {
            self.write_alerts(&st);
        }
    }

    pub fn active(&self) -> Vec<Condition> {
        let st = self.alerts.lock().unwrap_or_else(PoisonError::into_inner);
        st.active.keys().copied().collect()
    }

    /// Writes the alert table, the error bits and the device status for the active conditions.
    fn write_alerts(&self, st: &AlertState) {
        self.mib.update(|m| {
            let row = printer_row(m);
            let table = oid(PRT_ALERT_TABLE);
            let stale: Vec<Oid> = m
                .range(table.clone()..)
                .take_while(|(k, _)| k.starts_with(&table))
                .map(|(k, _)| k.clone())
                .collect();
            for k in stale {
                m.remove(&k);
            }
            let uptime = match m.get(&oid(SYS_UPTIME)) {
                Some(Value::TimeTicks(t)) => *t,
                _ => 0,
            };
            let mut bits = Vec::new();
            let mut device_status = 2; // running
            for (c, (index, _)) in &st.active {
                let (sev, training, group, code, bit, descr, status) = c.facts();
                let col = |n: u32| table.child(&[n, row, *index]);
                m.insert(col(2), Value::Integer(sev));
                m.insert(col(3), Value::Integer(training));
                m.insert(col(4), Value::Integer(group));
                m.insert(col(5), Value::Integer(1));
                m.insert(col(6), Value::Integer(0));
                m.insert(col(7), Value::Integer(code));
                m.insert(col(8), Value::OctetString(descr.as_bytes().to_vec()));
                m.insert(col(9), Value::TimeTicks(uptime));
                bits.push(bit);
                device_status = device_status.max(status);
            }
            m.insert(
                oid(HR_PRINTER_ERROR_STATE).child(&[row]),
                Value::OctetString(error_state_bytes(&bits)),
            );
            m.insert(
                oid(HR_DEVICE_STATUS).child(&[row]),
                Value::Integer(device_status),
            );
        });
    }
}

/// The hrDevice row of the printer: the first with an hrPrinterStatus, else the first hrDevice, else 1.
fn printer_row(m: &BTreeMap<Oid, Value>) -> u32 {
    for root in [HR_PRINTER_STATUS, HR_DEVICE_STATUS] {
        let r = oid(root);
        if let Some((k, _)) = m.range(r.clone()..).next()
            && let Some([row, ..]) = k.suffix_after(&r)
        {
            return *row;
        }
    }
    1
}

/// A running fleet; its tasks stop when it is dropped.
pub struct Fleet {
    pub devices: Vec<Arc<FleetDevice>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// What to serve.
pub struct FleetSpec {
    /// (name, recording)
    pub recordings: Vec<(String, Vec<VarBind>)>,
    pub copies: u32,
    pub base_address: Ipv4Addr,
    pub port: u16,
    pub ports: bool,
    pub community: String,
    /// Real time between two simulation steps (None: no simulation).
    pub step: Option<Duration>,
    pub seed: u64,
}

/// Reads every `*.snmprec` of `dir`, sorted by file name.
pub fn read_dir(dir: &Path) -> anyhow::Result<Vec<(String, Vec<VarBind>)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "snmprec"))
        .collect();
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "{} holds no recordings (*.snmprec)",
        dir.display()
    );
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let vbs = printer::snmprec::read_file(&p)?;
            anyhow::ensure!(!vbs.is_empty(), "{} is empty", p.display());
            Ok((name, vbs))
        })
        .collect()
}

fn serial_of(m: &BTreeMap<Oid, Value>) -> Option<String> {
    [PRT_GENERAL_SERIAL, XEROX_SERIAL]
        .iter()
        .filter_map(|o| m.get(&oid(o)))
        .filter_map(printer::interpret::value_text)
        .find(|s| !s.is_empty())
}

/// Address of device `i`.
fn address(spec: &FleetSpec, i: u32) -> anyhow::Result<SocketAddr> {
    if spec.ports {
        let port = if spec.port == 0 {
            0
        } else {
            u16::try_from(u32::from(spec.port) + i).context("the fleet runs out of ports")?
        };
        Ok(SocketAddr::new(IpAddr::V4(spec.base_address), port))
    } else {
        let ip = u32::from(spec.base_address)
            .checked_add(i)
            .map(Ipv4Addr::from)
            .filter(|ip| ip.octets()[0] == spec.base_address.octets()[0])
            .context("the fleet runs out of addresses")?;
        Ok(SocketAddr::new(IpAddr::V4(ip), spec.port))
    }
}

/// Starts every device of the fleet.
pub async fn start(spec: FleetSpec) -> anyhow::Result<Fleet> {
    let mut devices = Vec::new();
    let mut tasks = Vec::new();
    let mut i = 0u32;
    for copy in 0..spec.copies.max(1) {
        for (name, varbinds) in &spec.recordings {
            let mut map: BTreeMap<Oid, Value> = varbinds
                .iter()
                .map(|vb| (vb.oid.clone(), vb.value.clone()))
                .collect();
            let mut serial = serial_of(&map);
            if copy > 0 {
                let s = format!("{}-{copy:04}", serial.as_deref().unwrap_or(name.as_str()));
                map.insert(
                    oid(PRT_GENERAL_SERIAL),
                    Value::OctetString(s.as_bytes().to_vec()),
                );
                if map.contains_key(&oid(XEROX_SERIAL)) {
                    map.insert(oid(XEROX_SERIAL), Value::OctetString(s.as_bytes().to_vec()));
                }
                serial = Some(s);
            }
            let mib = Arc::new(Mib::new(
                map.into_iter().map(|(o, v)| VarBind::new(o, v)).collect(),
            ));
            let addr = address(&spec, i)?;
            let socket = UdpSocket::bind(addr)
                .await
                .with_context(|| format!("cannot listen for SNMP on udp://{addr}"))?;
            let addr = socket.local_addr()?;
            let agent = Arc::new(Agent::new(mib.clone(), &spec.community));
            let budget = Arc::new(AtomicI64::new(-1));
            let device = Arc::new(FleetDevice {
                name: name.clone(),
                serial,
                addr,
                mib: mib.clone(),
                stats: agent.stats(),
                answer_budget: budget.clone(),
                alerts: Mutex::new(AlertState::default()),
            });
            tasks.push(tokio::spawn(serve(agent, socket, budget)));
            if let Some(step) = spec.step {
                tasks.push(spawn_life(
                    device.clone(),
                    step,
                    Life::new(spec.seed.wrapping_add(u64::from(i)), step),
                ));
            }
            devices.push(device);
            i += 1;
        }
    }
    Ok(Fleet { devices, tasks })
}

/// One task per device: answers while the budget lasts.
async fn serve(agent: Arc<Agent>, socket: UdpSocket, budget: Arc<AtomicI64>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(error = %e, "snmp recv");
                continue;
            }
        };
        let left = budget.load(Ordering::SeqCst);
        if left == 0 {
            continue;
        }
        if left > 0 {
            budget.fetch_sub(1, Ordering::SeqCst);
        }
        if let Some(answer) = agent.handle(&buf[..n])
            && let Err(e) = socket.send_to(&answer, peer).await
        {
            tracing::debug!(error = %e, %peer, "snmp send");
        }
    }
}

/// A condition a [`Life`] raises at a set step, whatever chance says (the demo's story).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled {
    /// Raised after this many steps.
    pub at_step: u32,
    pub condition: Condition,
    /// For this many steps.
    pub steps: u32,
}

/// The life of one device: printing, toner replacement, alerts coming and going.
pub struct Life {
    sim: Simulation,
    rng: XorShift64,
    /// steps each empty supply has been empty
    empty_for: BTreeMap<Oid, u32>,
    steps: u32,
    script: Vec<Scheduled>,
}

impl Life {
    pub fn new(seed: u64, step: Duration) -> Self {
        Self {
            sim: Simulation::new(seed, step),
            rng: XorShift64::new(seed ^ 0xA1E7),
            empty_for: BTreeMap::new(),
            steps: 0,
            script: Vec::new(),
        }
    }

    /// Also raises each scheduled condition at its step (a chance event of the same condition
    /// already raised is not raised twice).
    pub fn with_script(mut self, script: Vec<Scheduled>) -> Self {
        self.script = script;
        self
    }

    /// One step: pages print (see [`crate::simulate`]); a toner empty for 6 steps (30 simulated minutes)
    /// is replaced; toner at or below 10 % raises TonerLow until it is replaced; per step a jam starts
    /// with 2 % chance and lasts 1–3 steps, an open door 1 % for 1–2 steps, a service call 0.2 % for
    /// 12–36 steps.
    pub fn step(&mut self, d: &FleetDevice) {
        self.steps = self.steps.saturating_add(1);
        self.sim.step(&d.mib);
        let supplies = oid(SUPPLIES);
        let (mut low, mut replaced) = (false, Vec::new());
        d.mib.update(|m| {
            let level_col = supplies.child(&[9]);
            for (k, v) in m
                .range(level_col.clone()..)
                .take_while(|(k, _)| k.starts_with(&level_col))
            {
                let Some(row) = k.suffix_after(&level_col) else {
                    continue;
                };
                let kind = m
                    .get(&supplies.child(&[5]).child(row))
                    .and_then(Value::as_i64);
                let is_toner = matches!(kind, Some(3 | 21))
                    || (kind.is_none()
                        && m.get(&supplies.child(&[6]).child(row))
                            .and_then(printer::interpret::value_text)
                            .is_some_and(|t| {
                                t.to_lowercase().contains("toner")
                                    && !t.to_lowercase().contains("waste")
                            }));
                let (Some(level), Some(max)) = (
                    v.as_i64(),
                    m.get(&supplies.child(&[8]).child(row))
                        .and_then(Value::as_i64),
                ) else {
                    continue;
                };
                if !is_toner || level < 0 || max <= 0 {
                    continue;
                }
                if level * 10 <= max {
                    low = true;
                }
                if level == 0 {
                    let n = self.empty_for.entry(k.clone()).or_insert(0);
                    *n += 1;
                    if *n >= 6 {
                        replaced.push((k.clone(), max));
                    }
                }
            }
        });
        if !replaced.is_empty() {
            d.mib.update(|m| {
                for (k, max) in &replaced {
                    if let Some(v) = m.get_mut(k) {
                        *v = match v {
                            Value::Gauge32(_) => Value::Gauge32(u32::try_from(*max).unwrap_or(0)),
                            _ => Value::Integer(i32::try_from(*max).unwrap_or(i32::MAX)),
                        };
                    }
                }
            });
            for (k, _) in &replaced {
                self.empty_for.remove(k);
            }
            low = false;
        }
        let active = d.active();
        if low && !active.contains(&Condition::TonerLow) {
            d.raise(Condition::TonerLow);
        } else if !low && active.contains(&Condition::TonerLow) {
            d.clear(Condition::TonerLow);
        }
        // Timed conditions run out; new ones start by chance.
        let expired: Vec<Condition> = {
            let mut st = d.alerts.lock().unwrap_or_else(PoisonError::into_inner);
            let mut out = Vec::new();
            for (c, (_, left)) in st.active.iter_mut() {
                if let Some(n) = left {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        out.push(*c);
                    }
                }
            }
            out
        };
        for c in expired {
            d.clear(c);
        }
        for s in self.script.iter().filter(|s| s.at_step == self.steps) {
            d.raise_for(s.condition, Some(s.steps.max(1)));
        }
        for (c, per_mille, min, spread) in [
            (Condition::Jam, 20, 1, 3),
            (Condition::DoorOpen, 10, 1, 2),
            (Condition::ServiceCall, 2, 12, 25),
        ] {
            if self.rng.below(1000) < per_mille {
                let steps = min + u32::try_from(self.rng.below(spread)).unwrap_or(0);
                d.raise_for(c, Some(steps));
            }
        }
    }
}

/// Runs `life` on `device`, one step every `step` (at least 10 ms), until the task is aborted.
pub fn spawn_life(device: Arc<FleetDevice>, step: Duration, mut life: Life) -> JoinHandle<()> {
    let step = step.max(Duration::from_millis(10));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + step, step);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            life.step(&device);
        }
    })
}

/// Real time between steps for a speed factor.
pub fn step_for_speed(speed: f64) -> anyhow::Result<Duration> {
    anyhow::ensure!(
        speed.is_finite() && speed > 0.0,
        "--speed must be a positive number, not {speed}"
    );
    Ok(Duration::from_secs_f64(STEP_MINUTES * 60.0 / speed).max(Duration::from_millis(10)))
}

/// One line of the device list (stdout and --manifest).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ManifestEntry {
    pub name: String,
    pub serial: Option<String>,
    pub addr: SocketAddr,
}

pub fn manifest(fleet: &Fleet) -> Vec<ManifestEntry> {
    fleet
        .devices
        .iter()
        .map(|d| ManifestEntry {
            name: d.name.clone(),
            serial: d.serial.clone(),
            addr: d.addr,
        })
        .collect()
}

/// Runs until Ctrl-C (or SIGTERM).
pub async fn run(args: FleetArgs) -> anyhow::Result<()> {
    let recordings = read_dir(&args.dir)?;
    let step = if args.simulate_usage {
        Some(step_for_speed(args.speed)?)
    } else {
        None
    };
    let fleet = start(FleetSpec {
        recordings,
        copies: args.copies,
        base_address: args.base_address,
        port: args.port,
        ports: args.ports,
        community: args.community.clone(),
        step,
        seed: args.seed,
    })
    .await?;
    let list = manifest(&fleet);
    for d in &list {
        println!(
            "{}  {}  {}",
            d.addr,
            d.serial.as_deref().unwrap_or("-"),
            d.name
        );
    }
    if let Some(path) = &args.manifest {
        std::fs::write(path, serde_json::to_vec_pretty(&list)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    println!(
        "fleet of {} devices (community {:?}){}",
        list.len(),
        args.community,
        match step {
            Some(s) => format!(", simulating usage: one step every {} ms", s.as_millis()),
            None => String::new(),
        }
    );
    wait_for_stop().await?;
    let answered: u64 = fleet.devices.iter().map(|d| d.stats.answered()).sum();
    println!("stopping; {answered} requests answered");
    Ok(())
}

async fn wait_for_stop() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
    }

    fn spec(copies: u32) -> FleetSpec {
        FleetSpec {
            recordings: read_dir(&fixtures()).unwrap(),
            copies,
            base_address: Ipv4Addr::new(127, 0, 0, 1),
            port: 0,
            ports: true,
            community: "public".into(),
            step: None,
            seed: 1,
        }
    }

    #[tokio::test]
    async fn copies_get_their_own_serial_and_port() {
        let fleet = start(spec(3)).await.unwrap();
        let n = read_dir(&fixtures()).unwrap().len();
        assert_eq!(fleet.devices.len(), 3 * n);
        let mut serials: Vec<_> = fleet
            .devices
            .iter()
            .filter_map(|d| d.serial.clone())
            .collect();
        serials.sort();
        serials.dedup();
        assert_eq!(
            serials.len(),
            2 * n
                + fleet.devices[..n]
                    .iter()
                    .filter(|d| d.serial.is_some())
                    .count()
        );
        let report = printer::interpret(&fleet.devices[n].mib.snapshot());
        assert_eq!(report.identity.serial, fleet.devices[n].serial);
    }

    #[tokio::test]
    async fn raised_conditions_read_back_through_interpret_and_clear() {
        let fleet = start(spec(1)).await.unwrap();
        let d = &fleet.devices[0];
        d.raise(Condition::Jam);
        d.raise(Condition::TonerLow);
        let r = printer::interpret(&d.mib.snapshot());
        let codes: Vec<(i64, &str)> = r
            .alerts
            .iter()
            .map(|a| (a.code, a.severity.as_str()))
            .collect();
        assert_eq!(codes, [(8, "critical"), (1104, "warning")]);
        assert_eq!(r.status.errors, ["lowToner", "jammed"]);
        assert_eq!(r.status.device.as_deref(), Some("down"));
        d.clear(Condition::Jam);
        d.clear(Condition::TonerLow);
        let r = printer::interpret(&d.mib.snapshot());
        assert!(r.alerts.is_empty());
        assert!(r.status.errors.is_empty());
        assert_eq!(r.status.device.as_deref(), Some("running"));
    }

    #[test]
    fn life_replaces_empty_toner_and_alerts_come_and_go() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let fleet = rt.block_on(start(spec(1))).unwrap();
        let d = fleet
            .devices
            .iter()
            .find(|d| d.name == "xerox-altalink-c8055-meters")
            .unwrap();
        let mut life = Life::new(9, Duration::from_secs(1));
        let black = oid("1.3.6.1.2.1.43.11.1.1.9.1.1");
        let (mut saw_empty, mut saw_refill, mut seen) =
            (false, false, std::collections::BTreeSet::new());
        let mut prev = d.mib.get(&black).as_i64().unwrap();
        for _ in 0..6000 {
            life.step(d);
            let now = d.mib.get(&black).as_i64().unwrap();
            saw_empty |= now == 0;
            saw_refill |= now > prev;
            prev = now;
            seen.extend(d.active());
        }
        assert!(saw_empty && saw_refill, "toner runs out and is replaced");
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            Condition::ALL.to_vec()
        );
    }

    #[test]
    fn a_scheduled_condition_is_raised_at_its_step_for_its_steps() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let fleet = rt.block_on(start(spec(1))).unwrap();
        let served = &fleet.devices[0];
        let d = FleetDevice::over("demo", served.mib.clone(), served.stats.clone());
        assert_eq!(d.serial, served.serial);
        let mut life = Life::new(5, Duration::from_secs(1)).with_script(vec![Scheduled {
            at_step: 3,
            condition: Condition::ServiceCall,
            steps: 4,
        }]);
        let mut seen = Vec::new();
        for _ in 0..9 {
            life.step(&d);
            seen.push(d.active().contains(&Condition::ServiceCall));
        }
        // Steps 3..=6 (chance alone raises a service call with 0.2 % per step; this seed does not).
        assert_eq!(
            seen,
            [false, false, true, true, true, true, false, false, false]
        );
        let r = printer::interpret(&served.mib.snapshot());
        assert!(r.alerts.iter().all(|a| a.code != 30));
    }

    #[test]
    fn speed_factor_sets_the_step() {
        assert_eq!(step_for_speed(1.0).unwrap(), Duration::from_secs(300));
        assert_eq!(step_for_speed(300.0).unwrap(), Duration::from_secs(1));
        assert!(step_for_speed(0.0).is_err());
    }
}
