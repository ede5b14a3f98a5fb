//! `support-assistant agent enroll|run|status`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use proto::fleet::{EnrollRequest, EnrollResponse};

use crate::collect::{CollectConfig, CycleStats};
use crate::credential::{self, Enrolment};
use crate::queue::Queue;
use crate::targets::{self, Target};
use crate::upload::{self, UploadError};

#[derive(Debug, clap::Subcommand)]
pub enum AgentCommand {
    /// Trades a one-time enrolment token (from `manager agent add` or the console) for the agent's
    /// credential, stored with mode 0600 in the data directory.
    Enroll(EnrollArgs),
    /// Discovers and reads the printers on a schedule and uploads the readings (store-and-forward).
    Run(RunArgs),
    /// Shows the known devices, their last poll, the queue depth and the last upload.
    Status(StatusArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct DataDir {
    /// Where the agent keeps its credential (agent.json) and its queue (queue.db).
    #[arg(
        long,
        env = "SA_AGENT_DATA_DIR",
        default_value = "./agent-data",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct EnrollArgs {
    /// The Services Manager's base URL, e.g. https://manager.example.com.
    #[arg(long, value_name = "URL")]
    pub manager: String,
    /// The one-time enrolment token.
    #[arg(long, env = "SA_AGENT_TOKEN", hide_env_values = true)]
    pub token: String,
    #[command(flatten)]
    pub data: DataDir,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// What to sweep: HOST, HOST:PORT or an IPv4 range in CIDR form (at most a /16); repeatable.
    #[arg(long = "target", value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
    /// The SNMP port of targets that name none.
    #[arg(long, default_value_t = 161)]
    pub port: u16,
    /// SNMP v2c read communities to try, in order; repeatable.
    #[arg(long = "community", default_value = "public")]
    pub communities: Vec<String>,
    /// How often to read supplies, status and alerts (e.g. 15m, 30s, 1h).
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    pub interval: Duration,
    /// Meters are sent at most this often per device (at least daily by default).
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub meter_interval: Duration,
    /// How often to sweep the targets for new printers (polls in between walk only known printers).
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub discovery_interval: Duration,
    /// One cycle (discovery, reading, upload) and exit; exit status 1 when the upload failed (the readings stay queued).
    #[arg(long)]
    pub once: bool,
    /// At most this many devices are read at the same time.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// At most this many new devices are contacted per second.
    #[arg(long, default_value_t = 500)]
    pub rate: u32,
    /// How long to wait for each SNMP answer.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub timeout_ms: u64,
    /// How many times to ask again after a timeout.
    #[arg(long, default_value_t = 1)]
    pub retries: u32,
    /// At most this many readings per upload, 1 to 1000 (the manager's limit); a batch also stays
    /// under the manager's 4 MiB body limit whatever this says.
    #[arg(long, default_value_t = 1000, value_parser = batch_size)]
    pub batch_size: usize,
    /// At most this many readings are kept in the queue; when full, older readings of devices with a
    /// newer one are dropped (the latest per device is kept).
    #[arg(long, default_value_t = 100_000)]
    pub queue_limit: u64,
    /// Collect only; do not upload (the readings wait in the queue).
    #[arg(long)]
    pub no_upload: bool,
    /// Upload what is queued and exit, without reading any device.
    #[arg(long, conflicts_with = "no_upload")]
    pub upload_only: bool,
    #[command(flatten)]
    pub data: DataDir,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub data: DataDir,
}

/// `--batch-size`: 1 to [`proto::fleet::MAX_BATCH_READINGS`].
fn batch_size(s: &str) -> Result<usize, String> {
    let max = proto::fleet::MAX_BATCH_READINGS;
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{s:?}: a batch holds 1 to {max} readings (the manager takes at most {max})"
        )),
    }
}

/// "15m", "30s", "24h", "500ms", "2d", or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 15m, 30s, 24h"))?;
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        "d" => Duration::from_secs(n * 86_400),
        _ => return Err(format!("{s:?}: the unit must be ms, s, m, h or d")),
    };
    if d.is_zero() {
        return Err(format!("{s:?}: must be more than zero"));
    }
    Ok(d)
}

pub async fn run(cmd: AgentCommand) -> anyhow::Result<()> {
    match cmd {
        AgentCommand::Enroll(a) => enroll(a).await,
        AgentCommand::Run(a) => run_agent(a).await,
        AgentCommand::Status(a) => status(a).await,
    }
}

async fn enroll(a: EnrollArgs) -> anyhow::Result<()> {
    let manager = a.manager.trim_end_matches('/').to_string();
    anyhow::ensure!(
        manager.starts_with("http://") || manager.starts_with("https://"),
        "--manager must be an http:// or https:// URL"
    );
    let host = std::env::var("HOSTNAME").ok().or_else(|| {
        std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|s| s.trim().to_string())
    });
    let res = upload::client()?
        .post(format!("{manager}/api/v1/agents/enroll"))
        .json(&EnrollRequest {
            token: a.token.trim().to_string(),
            version: crate::VERSION.to_string(),
            host,
        })
        .send()
        .await
        .with_context(|| format!("cannot reach the manager at {manager}"))?;
    if res.status() == reqwest::StatusCode::UNAUTHORIZED {
        anyhow::bail!(
            "the manager refused the token: it is unknown, used already, expired, or the agent was revoked"
        );
    }
    anyhow::ensure!(
        res.status().is_success(),
        "the manager answered HTTP {}",
        res.status()
    );
    let e: EnrollResponse = res.json().await.context("the manager's answer")?;
    let path = credential::save(
        &a.data.data_dir,
        &Enrolment {
            manager,
            agent_id: e.agent_id,
            credential: e.credential,
            customer_name: e.customer_name.clone(),
        },
    )?;
    println!(
        "enrolled as agent {} of {}; credential stored in {} (mode 0600)",
        e.agent_id,
        e.customer_name,
        path.display()
    );
    Ok(())
}

fn summary(s: &CycleStats, discovery: bool) -> String {
    format!(
        "{} of {} addresses: {} printers, {} readings queued, {} failed, {} not printers, {} without serial, \
         {} SNMP requests ({:.2} per printer read), {} ms",
        if discovery { "sweep" } else { "poll" },
        s.addresses,
        s.printers,
        s.readings,
        s.failed,
        s.not_printers,
        s.no_serial,
        s.snmp_requests,
        if s.printers == 0 {
            0.0
        } else {
            s.printer_requests as f64 / s.printers as f64
        },
        s.wall_ms
    )
}

async fn run_agent(a: RunArgs) -> anyhow::Result<()> {
    let parsed: Vec<Target> = a
        .targets
        .iter()
        .map(|t| targets::parse(t).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<_>>()?;
    // Collecting only (--no-upload) needs no enrolment.
    let enrolment = if a.no_upload {
        None
    } else {
        Some(credential::load(&a.data.data_dir)?)
    };
    let queue = Queue::open(&a.data.data_dir, a.queue_limit).await?;
    let http = upload::client()?;
    let cfg = CollectConfig {
        communities: a.communities.clone(),
        timeout: Duration::from_millis(a.timeout_ms.max(1)),
        retries: a.retries,
        concurrency: a.concurrency,
        rate: a.rate,
        meter_interval: a.meter_interval,
    };
    let sweep = targets::expand(&parsed, a.port);
    tracing::info!(agent = ?enrolment.as_ref().map(|e| e.agent_id), addresses = sweep.len(), "agent started");
    let mut last_discovery: Option<tokio::time::Instant> = None;
    loop {
        let started = tokio::time::Instant::now();
        if !a.upload_only {
            let discovery = last_discovery.is_none_or(|t| t.elapsed() >= a.discovery_interval);
            let known = queue.devices().await?;
            let addresses: Vec<(String, Option<String>)> = if discovery {
                sweep
                    .iter()
                    .map(|addr| {
                        let c = known
                            .iter()
                            .find(|d| &d.address == addr)
                            .map(|d| d.community.clone());
                        (addr.clone(), c)
                    })
                    .collect()
            } else {
                known
                    .iter()
                    .map(|d| (d.address.clone(), Some(d.community.clone())))
                    .collect()
            };
            let stats = crate::collect::cycle(&queue, addresses, &cfg, &chrono::Utc::now).await?;
            if discovery {
                last_discovery = Some(started);
            }
            let line = summary(&stats, discovery);
            tracing::info!("{line}");
            if a.once {
                println!("{line}");
            }
            queue
                .set_meta("last_cycle", &serde_json::to_string(&stats)?)
                .await?;
            queue
                .set_meta("last_cycle_at", &chrono::Utc::now().to_rfc3339())
                .await?;
        }
        let mut failed = None;
        if let Some(enrolment) = &enrolment {
            match upload::drain(&http, enrolment, &queue, a.batch_size).await {
                Ok(s) => {
                    queue.set_meta("last_upload_error", "").await?;
                    if a.once || a.upload_only {
                        println!(
                            "uploaded {} batches: {} stored, {} already there, {} refused; {} readings queued",
                            s.batches,
                            s.stored,
                            s.duplicates,
                            s.rejected,
                            queue.depth().await?
                        );
                    }
                }
                Err(UploadError::Local(e)) => return Err(e),
                Err(e) => {
                    tracing::error!(error = %e, "upload failed");
                    queue.set_meta("last_upload_error", &e.to_string()).await?;
                    failed = Some(e);
                }
            }
        }
        if a.once || a.upload_only {
            return match failed {
                Some(e) => Err(anyhow::anyhow!(
                    "{e} ({} readings queued)",
                    queue.depth().await?
                )),
                None => Ok(()),
            };
        }
        let next = started + a.interval;
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("stopping; queued readings are kept");
                return Ok(());
            }
        }
    }
}

async fn status(a: StatusArgs) -> anyhow::Result<()> {
    let queue = Queue::open(&a.data.data_dir, u64::MAX).await?;
    let enrolment = credential::load(&a.data.data_dir).ok();
    let devices = queue.devices().await?;
    let depth = queue.depth().await?;
    let last_upload = queue.meta("last_upload_at").await?;
    let upload_error = queue
        .meta("last_upload_error")
        .await?
        .filter(|e| !e.is_empty());
    let last_cycle_at = queue.meta("last_cycle_at").await?;
    let counters = (
        queue.counter("readings_total").await?,
        queue.counter("uploaded_total").await?,
        queue.counter("dropped_total").await?,
    );
    if a.json {
        let v = serde_json::json!({
            "agent_id": enrolment.as_ref().map(|e| e.agent_id),
            "manager": enrolment.as_ref().map(|e| e.manager.clone()),
            "queue_depth": depth,
            "readings_total": counters.0,
            "uploaded_total": counters.1,
            "dropped_total": counters.2,
            "last_cycle_at": last_cycle_at,
            "last_upload_at": last_upload,
            "last_upload_error": upload_error,
            "devices": devices,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    match &enrolment {
        Some(e) => println!(
            "agent {} of {} → {}",
            e.agent_id, e.customer_name, e.manager
        ),
        None => println!("not enrolled"),
    }
    println!(
        "queue: {depth} readings waiting; {} taken, {} uploaded, {} dropped (queue full)",
        counters.0, counters.1, counters.2
    );
    println!(
        "last cycle: {}",
        last_cycle_at.as_deref().unwrap_or("never")
    );
    println!("last upload: {}", last_upload.as_deref().unwrap_or("never"));
    if let Some(e) = upload_error {
        println!("last upload failed: {e}");
    }
    println!("{} devices:", devices.len());
    for d in devices {
        println!(
            "  {:<24} {:<22} {:<28} last poll {}{}",
            d.serial,
            d.address,
            d.model.as_deref().unwrap_or("-"),
            d.last_poll_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into()),
            d.last_error
                .map(|e| format!("  FAILED: {e}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_units() {
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 weeks").is_err());
    }
}
