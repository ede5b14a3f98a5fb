//! `support-assistant demo`: the whole system on loopback with embedded defaults.

use std::path::PathBuf;

use anyhow::Context as _;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the demo keeps its data (databases, mail outbox, device state).
    #[arg(long, default_value = "./demo-data", value_name = "DIR")]
    pub data_dir: PathBuf,
}

/// The emulated devices of the demo: (name, recording, SNMP port, HTTP port).
const DEVICES: &[(&str, &str, u16, u16)] = &[
    (
        "Xerox AltaLink C8055 (colour, meters)",
        "xerox-altalink-c8055-meters.snmprec",
        1161,
        8090,
    ),
    (
        "Xerox VersaLink B405 (mono, low supplies)",
        "xerox-versalink-b405-low.snmprec",
        1162,
        8091,
    ),
];

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let fixtures = fixtures_dir()?;
    let mut running = Vec::new();
    for (name, file, snmp, _http) in DEVICES {
        let device = device::serve::start_agent(
            &fixtures.join(file),
            ([127, 0, 0, 1], *snmp).into(),
            "public",
        )
        .await?;
        println!("{name}: SNMP on udp://{} (community public)", device.snmp);
        running.push(device);
    }
    println!("Try: support-assistant device read --target 127.0.0.1:1161");
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    println!("stopped");
    Ok(())
}

/// The fixture recordings: next to the binary's source tree, or SA_FIXTURES.
fn fixtures_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("SA_FIXTURES") {
        return Ok(PathBuf::from(dir));
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    anyhow::ensure!(
        dir.is_dir(),
        "the fixture recordings are not at {}; set SA_FIXTURES",
        dir.display()
    );
    Ok(dir)
}
