//! `support-assistant`: every part of the system behind one binary.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

mod demo;

#[derive(Debug, Parser)]
#[command(name = "support-assistant", version, about = "Help at the printer panel, tracked by the service partner", long_about = None)]
struct Cli {
    /// Log JSON lines (for servers); personal data never goes into logs either way.
    #[arg(long, global = true, env = "SA_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole system on loopback with embedded defaults (SQLite files, mail into a folder, emulated devices).
    Demo(demo::DemoArgs),
    /// Read a real device, or run an emulated one.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Run one service of the system.
    #[command(subcommand)]
    Serve(ServeCommand),
    /// Publish apps to the App Gallery and install them on devices.
    #[command(subcommand)]
    Gallery(gallery::cli::GalleryCommand),
    /// Set up the Services Manager: tenants, customers, devices, console users, API keys.
    #[command(subcommand)]
    Manager(manager::cli::ManagerCommand),
    /// The fleet agent: enrol with the manager, discover and read the site's printers, upload the readings.
    #[command(subcommand)]
    Agent(agent::cli::AgentCommand),
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// Read identity, supplies and meters of a printer over SNMP v2c.
    Read(ReadArgs),
    /// Emulate an MFD: an SNMP v2c agent replaying a recording, and the device's web services.
    Serve(device::serve::ServeArgs),
    /// Emulate a fleet: every recording of a directory as a printer on its own loopback address or port.
    Fleet(device::fleet::FleetArgs),
}

#[derive(Debug, Subcommand)]
enum ServeCommand {
    /// The App Service: App API, rules, delivery outbox, confirmation e-mail.
    Assistant(Box<assistant::cli::ServeArgs>),
    /// The App Gallery: app versions, sealed configuration, entitlements, device credentials.
    Gallery(gallery::cli::ServeArgs),
    /// The Services Manager: incidents, meter reads, partner console.
    Manager(manager::cli::ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ReadArgs {
    /// The device: HOST or HOST:PORT (default port 161).
    #[arg(long, value_name = "HOST[:PORT]")]
    target: String,
    /// The SNMP read community.
    #[arg(long, default_value = "public")]
    community: String,
    /// Print JSON (shared/printers/CONTRACT.md) instead of a table.
    #[arg(long)]
    json: bool,
    /// How long to wait for each answer.
    #[arg(long, default_value_t = 2000, value_name = "N")]
    timeout_ms: u64,
    /// How many times to ask again after a timeout.
    #[arg(long, default_value_t = 1, value_name = "N")]
    retries: u32,
    /// Print how many requests the read took, and how long (to stderr).
    #[arg(long)]
    stats: bool,
}

async fn device_read(args: ReadArgs) -> anyhow::Result<()> {
    let options = printer::read::ReadOptions {
        community: args.community,
        timeout: Duration::from_millis(args.timeout_ms),
        retries: args.retries,
        ..Default::default()
    };
    let (report, stats) = printer::read::read_device(&args.target, &options).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", printer::read::render_table(&report));
    }
    if args.stats {
        eprintln!(
            "{} requests, {} values, {} ms",
            stats.requests,
            stats.varbinds,
            stats.elapsed.as_millis()
        );
    }
    Ok(())
}

fn init_logs(json: bool, command: &Command) {
    // The demo runs at a terminal: its "running" lines must not drown in one access log line per request.
    let default = match command {
        Command::Demo(_) => platform::ops::logging::QUIET_ACCESS_LOG,
        _ => "info",
    };
    if let Err(e) = platform::ops::logging::init_with_default(json, default) {
        eprintln!("warning: {e:#}");
    }
}

/// mimalloc instead of glibc's malloc: under ingestion glibc's allocator took a fifth of the
/// manager's CPU (perf, bench-ingest on SQLite; ARCHITECTURE.md has the numbers).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.log_json, &cli.command);
    let result = match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Device(DeviceCommand::Read(args)) => device_read(args).await,
        Command::Device(DeviceCommand::Serve(args)) => device::serve::run(args).await,
        Command::Device(DeviceCommand::Fleet(args)) => device::fleet::run(args).await,
        Command::Serve(s) => match s {
            ServeCommand::Assistant(args) => assistant::cli::serve(*args).await,
            ServeCommand::Gallery(args) => gallery::cli::run_serve(args).await,
            ServeCommand::Manager(args) => manager::cli::run_serve(args).await,
        },
        Command::Gallery(command) => gallery::cli::run(command).await,
        Command::Manager(command) => manager::cli::run(command).await,
        Command::Agent(command) => agent::cli::run(command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
