//! `support-assistant device serve`: one emulated MFD (SNMP agent + the device's web services).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;

use crate::agent::{Agent, AgentStats};
use crate::mib::Mib;

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The recording to replay (snmprec: one OID|TAG|VALUE per line).
    #[arg(long, value_name = "FILE.snmprec")]
    pub recording: PathBuf,
    /// Where the SNMP v2c agent listens (UDP).
    #[arg(long, default_value = "127.0.0.1:1161", value_name = "ADDR")]
    pub snmp: SocketAddr,
    /// Where the device's web services and panel listen (HTTP).
    #[arg(long, default_value = "127.0.0.1:8090", value_name = "ADDR")]
    pub http: SocketAddr,
    /// The SNMP read community; requests with another get no answer.
    #[arg(long, default_value = "public")]
    pub community: String,
    /// The device administrator's password (hashed with argon2 at start). Without it, one is generated and printed.
    #[arg(long, env = "SA_DEVICE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Living data: pages print, counters rise, toner falls.
    #[arg(long)]
    pub simulate_usage: bool,
    /// Seconds between two simulation steps.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    pub simulate_interval: u64,
    /// Where installed apps are kept.
    #[arg(long, default_value = "./device-data", value_name = "DIR")]
    pub data_dir: PathBuf,
}

/// A running emulator.
pub struct RunningDevice {
    pub snmp: SocketAddr,
    pub http: Option<SocketAddr>,
    pub mib: Arc<Mib>,
    pub stats: Arc<AgentStats>,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for RunningDevice {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Loads the recording and starts the SNMP agent.
pub async fn start_agent(
    recording: &std::path::Path,
    snmp: SocketAddr,
    community: &str,
) -> anyhow::Result<RunningDevice> {
    let varbinds = printer::snmprec::read_file(recording)?;
    anyhow::ensure!(
        !varbinds.is_empty(),
        "{}: the recording is empty",
        recording.display()
    );
    let mib = Arc::new(Mib::new(varbinds));
    let agent = Agent::new(mib.clone(), community);
    let (addr, stats, tasks) = crate::agent::spawn(agent, snmp)
        .await
        .with_context(|| format!("cannot listen for SNMP on udp://{snmp}"))?;
    Ok(RunningDevice {
        snmp: addr,
        http: None,
        mib,
        stats,
        tasks,
    })
}

/// Runs until Ctrl-C.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let device = start_agent(&args.recording, args.snmp, &args.community).await?;
    println!(
        "SNMP v2c agent on udp://{} (community {:?}), replaying {} values of {}",
        device.snmp,
        args.community,
        device.mib.len(),
        args.recording.display()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    println!(
        "stopping; {} requests answered, {} with a wrong community ignored",
        device.stats.answered(),
        device.stats.wrong_community()
    );
    Ok(())
}
