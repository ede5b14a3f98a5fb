//! `support-assistant device serve`: one emulated MFD (SNMP agent + the device's web services).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use printer::snmp::VarBind;

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
    /// The panel's size, WIDTHxHEIGHT (320x240 to 1920x1200): the panel page and the canvasSize
    /// apps read from Device Configuration.
    #[arg(long, default_value = "1024x600", value_name = "WxH", value_parser = parse_panel_size)]
    pub panel_size: (u32, u32),
    /// The administrator's e-mail address, given to apps by the Session service (`from`) while the
    /// administrator is logged in at the panel.
    #[arg(long, value_name = "ADDRESS")]
    pub admin_email: Option<String>,
}

fn parse_panel_size(s: &str) -> Result<(u32, u32), String> {
    crate::http::panel::parse_size(s).ok_or_else(|| {
        format!("{s:?} is not WIDTHxHEIGHT between 320x240 and 1920x1200, e.g. 800x480")
    })
}

/// What one emulated device needs.
pub struct DeviceSpec {
    pub varbinds: Vec<VarBind>,
    pub snmp: SocketAddr,
    pub http: SocketAddr,
    pub community: String,
    pub admin_password: String,
    pub data_dir: PathBuf,
    pub simulate: Option<Duration>,
}

/// A running emulator; its tasks stop when it is dropped.
pub struct RunningDevice {
    pub snmp: SocketAddr,
    pub http: SocketAddr,
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

/// Starts the SNMP agent and the web services of one device.
pub async fn start(spec: DeviceSpec) -> anyhow::Result<RunningDevice> {
    start_with(spec, |state| state).await
}

/// As [`start`], letting the caller set more of the web services' state (panel size,
/// administrator e-mail, SOAP log) first.
pub async fn start_with(
    spec: DeviceSpec,
    configure: impl FnOnce(crate::http::HttpState) -> crate::http::HttpState,
) -> anyhow::Result<RunningDevice> {
    anyhow::ensure!(!spec.varbinds.is_empty(), "the recording is empty");
    let mib = Arc::new(Mib::new(spec.varbinds));
    let agent = Agent::new(mib.clone(), &spec.community);
    let (snmp, stats, mut tasks) = crate::agent::spawn(agent, spec.snmp)
        .await
        .with_context(|| format!("cannot listen for SNMP on udp://{}", spec.snmp))?;
    std::fs::create_dir_all(&spec.data_dir)
        .with_context(|| format!("cannot create {}", spec.data_dir.display()))?;
    let state = crate::http::HttpState::new(
        mib.clone(),
        spec.community.clone(),
        &spec.admin_password,
        spec.data_dir.clone(),
    )
    .map_err(|e| anyhow::anyhow!("hashing the admin password: {e}"))?;
    let state = configure(state);
    let listener = tokio::net::TcpListener::bind(spec.http)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}", spec.http))?;
    let http = listener.local_addr()?;
    tasks.push(tokio::spawn(async move {
        if let Err(e) = crate::http::serve(listener, state).await {
            tracing::error!(error = %e, "device web services stopped");
        }
    }));
    if let Some(interval) = spec.simulate {
        tasks.push(crate::simulate::spawn(mib.clone(), interval, 0x5eed));
    }
    Ok(RunningDevice {
        snmp,
        http,
        mib,
        stats,
        tasks,
    })
}

/// Runs until Ctrl-C.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let varbinds = printer::snmprec::read_file(&args.recording)?;
    let (password, generated) = match args.admin_password {
        Some(p) => (p, false),
        None => (random_password(), true),
    };
    let (panel_size, admin_email) = (args.panel_size, args.admin_email.clone());
    let device = start_with(
        DeviceSpec {
            varbinds,
            snmp: args.snmp,
            http: args.http,
            community: args.community.clone(),
            admin_password: password.clone(),
            data_dir: args.data_dir.clone(),
            simulate: args
                .simulate_usage
                .then(|| Duration::from_secs(args.simulate_interval.max(1))),
        },
        move |state| {
            state
                .with_panel_size(panel_size)
                .with_admin_email(admin_email)
        },
    )
    .await
    .with_context(|| args.recording.display().to_string())?;
    println!(
        "SNMP v2c agent on udp://{} (community {:?}), replaying {} values of {}",
        device.snmp,
        args.community,
        device.mib.len(),
        args.recording.display()
    );
    println!("panel and web services on http://{}", device.http);
    if generated {
        println!("device administrator password: {password}");
    }
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

/// A password for a device whose administrator gave none (printed once at start).
pub fn random_password() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}
