//! Reading a whole device: walk the subtrees [`interpret`] needs, then interpret them.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::interpret::{DeviceReport, has_printer_mib, interpret, subtrees};
use crate::snmp::client::resolve_target;
use crate::snmp::{Client, ClientConfig, SnmpError, VarBind};

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Snmp(#[from] SnmpError),
    #[error("{0} answers SNMP but has no Printer-MIB (RFC 3805): it does not look like a printer")]
    NoPrinterMib(SocketAddr),
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub community: String,
    pub timeout: Duration,
    pub retries: u32,
    pub max_repetitions: u32,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            community: "public".into(),
            timeout: Duration::from_millis(2000),
            retries: 1,
            max_repetitions: 25,
        }
    }
}

/// What a read cost.
#[derive(Debug, Clone, Copy)]
pub struct ReadStats {
    pub requests: u64,
    pub varbinds: usize,
    pub elapsed: Duration,
}

/// Walks `target` ("HOST[:PORT]", default port 161) and returns the raw varbinds.
pub async fn collect(
    target: &str,
    options: &ReadOptions,
) -> Result<(SocketAddr, Vec<VarBind>, ReadStats), ReadError> {
    let started = Instant::now();
    let addr = resolve_target(target).await?;
    let mut cfg = ClientConfig::new(addr, options.community.clone());
    cfg.timeout = options.timeout;
    cfg.retries = options.retries;
    cfg.max_repetitions = options.max_repetitions;
    let client = Client::connect(cfg).await?;
    let varbinds = client.walk(&subtrees()).await?;
    let stats = ReadStats {
        requests: client.requests_sent(),
        varbinds: varbinds.len(),
        elapsed: started.elapsed(),
    };
    Ok((addr, varbinds, stats))
}

/// Reads and interprets a device.
pub async fn read_device(
    target: &str,
    options: &ReadOptions,
) -> Result<(DeviceReport, ReadStats), ReadError> {
    let (addr, varbinds, stats) = collect(target, options).await?;
    if !has_printer_mib(&varbinds) {
        return Err(ReadError::NoPrinterMib(addr));
    }
    Ok((interpret(&varbinds), stats))
}

/// A readable table: identity, supplies with a level bar, meters.
pub fn render_table(r: &DeviceReport) -> String {
    let mut s = String::new();
    let id = &r.identity;
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(s, "Model   {}", or_dash(&id.model));
    let _ = writeln!(s, "Serial  {}", or_dash(&id.serial));
    let _ = writeln!(s, "MAC     {}", or_dash(&id.mac));
    let st = &r.status;
    let _ = writeln!(
        s,
        "Status  device {}, printer {}{}",
        or_dash(&st.device),
        or_dash(&st.printer),
        if st.errors.is_empty() {
            String::new()
        } else {
            format!(", errors: {}", st.errors.join(", "))
        }
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "SUPPLIES");
    if r.supplies.is_empty() {
        let _ = writeln!(s, "  (the device reports none)");
    }
    let width = r
        .supplies
        .iter()
        .map(|x| x.description.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for x in &r.supplies {
        let bar = match x.percent {
            Some(p) => {
                let filled = usize::from(p) / 5;
                format!(
                    "[{}{}] {:>3}%",
                    "#".repeat(filled),
                    ".".repeat(20 - filled),
                    p
                )
            }
            None => format!("[{}]    ?", " ".repeat(20)),
        };
        let pn = x
            .part_number
            .as_deref()
            .map(|p| format!("  PN {p}"))
            .unwrap_or_default();
        let desc: String = x.description.chars().take(40).collect();
        let _ = writeln!(s, "  {desc:<width$}  {bar}  {:<14}{pn}", x.status.label());
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "METERS");
    if r.meters.is_empty() {
        let _ = writeln!(s, "  (the device reports none)");
    }
    let width = r.meters.iter().map(|m| m.name.len()).max().unwrap_or(0);
    for m in &r.meters {
        let _ = writeln!(s, "  {:<width$}  {:>12}", m.name, m.value);
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "ALERTS");
    if r.alerts.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for a in &r.alerts {
        let _ = writeln!(
            s,
            "  {:<8}  {:<28} {:>5}  {}{}",
            a.severity,
            a.code_name,
            a.code,
            a.description,
            a.training_level
                .as_deref()
                .map(|t| format!("  [{t}]"))
                .unwrap_or_default()
        );
    }
    s
}
