//! `support-assistant demo`: the whole system in one process on loopback, with embedded defaults
//! (SQLite files, mail into a folder, emulated devices). The first run provisions everything and
//! keeps its secrets in DIR/demo.json; later runs reuse the data.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use gallery::config::AppConfiguration;
use gallery::credential::SigningKeyring;
use gallery::seal::SealingKeyring;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the demo keeps its data (databases, mail outbox, device state).
    #[arg(long, default_value = "./demo-data", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// First TCP port the demo uses: manager B, gallery B+1, assistant B+2, device panels B+10….
    #[arg(long, default_value_t = 8081, value_name = "B")]
    pub base_port: u16,
    /// First UDP port of the emulated devices' SNMP agents.
    #[arg(long, default_value_t = 1161)]
    pub snmp_base_port: u16,
    /// The weblet to publish (a directory with manifest.json).
    #[arg(long, env = "SA_WEBLET_DIR", value_name = "DIR")]
    pub weblet: Option<PathBuf>,
    /// PEM certificate for localhost/127.0.0.1: serve manager, gallery and assistant over HTTPS only (TLS 1.2+, HSTS).
    /// Without it the demo serves plain HTTP on loopback. Needs --tls-key.
    #[arg(long, env = "SA_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "SA_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM file of the CA that signed --tls-cert (when not a public one): the services trust it when they call each other.
    #[arg(long, env = "SA_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Speed factor of the emulated devices' usage: F simulated minutes pass per real minute (one
    /// step of 5 simulated minutes every 300/F seconds: pages print, toner falls and is replaced,
    /// alerts come and go). At the default 60 a simulated hour passes every real minute, the
    /// console shows supply forecasts after about 3 minutes and the VersaLink B415 calls for
    /// service after 2 simulated hours. 1 = real time.
    #[arg(long, default_value_t = 60.0, value_name = "F")]
    pub speed: f64,
    /// Seconds between two polls of the demo's fleet agent over the emulated devices.
    #[arg(long, default_value_t = 20, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub poll_interval: u64,
}

impl DemoArgs {
    fn tls(&self) -> Option<platform::ops::TlsSettings> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(platform::ops::TlsSettings {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        }
    }
}

/// An emulated device of the demo.
struct DemoDevice {
    name: &'static str,
    recording: &'static str,
    file: &'static str,
    serial: &'static str,
    model: &'static str,
    location: &'static str,
    supplies_contract: bool,
    /// What the device's accelerated life does whatever chance says (the demo's story).
    script: &'static [device::fleet::Scheduled],
}

/// The VersaLink B415 calls for service (a fuser failure: critical, field service) after 2
/// simulated hours, for 3 simulated hours: the fleet policies raise a service incident and resolve it.
const SERVICE_CALL: &[device::fleet::Scheduled] = &[device::fleet::Scheduled {
    at_step: 24,
    condition: device::fleet::Condition::ServiceCall,
    steps: 36,
}];

/// The demo's forecasts predict from 2 simulated hours of levels (the default policy waits for a
/// real day), in whole real minutes: at least 1.
pub fn forecast_min_history_minutes(speed: f64) -> u32 {
    let minutes = (120.0 / speed).round();
    if minutes.is_finite() && minutes >= 1.0 {
        minutes.min(1440.0) as u32
    } else {
        1
    }
}

const DEVICES: &[DemoDevice] = &[
    DemoDevice {
        name: "Xerox AltaLink C8055 (colour, billing meters)",
        recording: include_str!("../../../fixtures/xerox-altalink-c8055-meters.snmprec"),
        file: "xerox-altalink-c8055-meters.snmprec",
        serial: "XRX9C934E4A7B21",
        model: "AltaLink C8055",
        location: "Building A, 3rd floor, copy room",
        supplies_contract: true,
        script: &[],
    },
    DemoDevice {
        name: "Xerox VersaLink B415 (mono, no supplies contract)",
        recording: include_str!("../../../fixtures/xerox-versalink-b415-mono.snmprec"),
        file: "xerox-versalink-b415-mono.snmprec",
        serial: "XRXB415MONO0012",
        model: "VersaLink B415",
        location: "Ground floor, reception",
        supplies_contract: false,
        script: SERVICE_CALL,
    },
    DemoDevice {
        name: "Xerox VersaLink B405 (mono, low supplies)",
        recording: include_str!("../../../fixtures/xerox-versalink-b405-low.snmprec"),
        file: "xerox-versalink-b405-low.snmprec",
        serial: "XRXB405LOW0007",
        model: "VersaLink B405",
        location: "Building B, print corner",
        supplies_contract: true,
        script: &[],
    },
];

pub const TENANT: &str = "acme";
pub const ADMIN_EMAIL: &str = "admin@acme.example";

/// What the first run generated; the next runs read it back.
#[derive(Serialize, Deserialize)]
struct Secrets {
    manager_keys: String,
    manager_api_key: String,
    gallery_api_key: String,
    gallery_sealing: String,
    gallery_signing: String,
    contact_keys: String,
    admin_password: String,
    device_admin_password: String,
}

impl Secrets {
    fn generate() -> anyhow::Result<Self> {
        Ok(Self {
            manager_keys: manager::crypto::KeyRing::generate_line("demo1")
                .expose_secret()
                .trim()
                .to_string(),
            manager_api_key: manager::auth::generate_api_key()
                .expose_secret()
                .to_string(),
            gallery_api_key: gallery::http::generate_api_key(),
            gallery_sealing: SealingKeyring::generate("cfg1")?.to_spec(),
            gallery_signing: SigningKeyring::generate("sig1")?.to_spec(),
            contact_keys: SealingKeyring::generate("contact1")?.to_spec(),
            admin_password: manager::auth::random_token()[..16].to_string(),
            device_admin_password: manager::auth::random_token()[..12].to_string(),
        })
    }
}

/// The running demo: everything stops when it is dropped.
pub struct Demo {
    pub manager_url: String,
    pub gallery_url: String,
    /// The gallery's admin API key: the password of its admin pages (HTTP Basic, any user name).
    pub gallery_api_key: String,
    pub assistant_url: String,
    pub devices: Vec<(String, String, String)>,
    pub admin_password: String,
    pub device_admin_password: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _devices: Vec<device::serve::RunningDevice>,
    _background: assistant::app::Background,
}

impl Drop for Demo {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn loopback(port: u16) -> std::net::SocketAddr {
    ([127, 0, 0, 1], port).into()
}

/// Binds a service's port on loopback: HTTPS when the demo has a certificate.
async fn listen(
    port: u16,
    what: &str,
    tls: Option<platform::ops::TlsSettings>,
) -> anyhow::Result<(platform::ops::Listener, String)> {
    let l = platform::ops::tls::bind(loopback(port), tls)
        .await
        .with_context(|| format!("{what}: cannot serve on port {port} (taken? use --base-port)"))?;
    let url = l.url();
    Ok((l, url))
}

/// Starts (and on the first run provisions) the whole system.
pub async fn start(args: &DemoArgs) -> anyhow::Result<Demo> {
    let step = device::fleet::step_for_speed(args.speed)?;
    let tls = args.tls();
    let https = tls.is_some();
    if let Some(ca) = &args.ca_cert {
        platform::ops::client::trust_ca_file(ca).context("--ca-cert")?;
    }
    let dir = &args.data_dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let secrets_path = dir.join("demo.json");
    let first_run = !secrets_path.exists();
    let secrets: Secrets = if first_run {
        Secrets::generate()?
    } else {
        serde_json::from_slice(&std::fs::read(&secrets_path)?).with_context(|| {
            format!(
                "{} is damaged; delete the folder to start afresh",
                secrets_path.display()
            )
        })?
    };
    let mut tasks = Vec::new();

    // Services Manager
    let ctx = manager::storage::StoreContext {
        clock: Arc::new(manager::clock::SystemClock),
        ids: Arc::new(manager::clock::UuidV7),
        keys: Arc::new(manager::crypto::KeyRing::parse(&SecretString::from(
            secrets.manager_keys.clone(),
        ))?),
    };
    let mstore = manager::storage::connect(
        &format!("sqlite://{}", dir.join("manager.db").display()),
        ctx,
    )
    .await?;
    let (ml, manager_url) = listen(args.base_port, "manager", tls.clone()).await?;
    let mstate = manager::app::AppState::new(
        mstore.clone(),
        Arc::new(manager::clock::SystemClock),
        manager::app::AppConfig {
            secure_cookies: https,
            ops: manager::app::ops_settings(https),
            // The demo's webhook receivers run on this machine.
            webhook_allow_private: true,
            ..Default::default()
        },
    );
    tasks.push(tokio::spawn(async move {
        if let Err(e) = manager::app::serve_listener(ml, mstate, std::future::pending()).await {
            tracing::error!(error = %format!("{e:#}"), "the demo's manager stopped");
        }
    }));
    // The manager's senders, as `serve manager` runs them: webhooks, the evaluator, and notification e-mails
    // into the demo's mail folder (beside the assistant's confirmations).
    let mclock: Arc<dyn manager::clock::Clock> = Arc::new(manager::clock::SystemClock);
    let webhooks =
        manager::fleet::notify::Notifier::new(mstore.clone(), mclock.clone()).allow_private(true);
    tasks.push(tokio::spawn(webhooks.run_forever(Duration::from_secs(10))));
    // The periodic evaluation `serve manager` runs (silent devices and agents, alerts that must
    // persist), every minute here rather than every 5 so the demo shows it sooner.
    let evaluator = manager::fleet::evaluate::Evaluator::new(mstore.clone(), mclock.clone());
    tasks.push(tokio::spawn(evaluator.run_forever(Duration::from_secs(60))));
    let mailer = manager::fleet::mail::MailNotifier::new(
        mstore.clone(),
        mclock,
        manager::fleet::mail::MailConfig {
            transport: Arc::new(platform::mail::FolderTransport::new(dir.join("outbox"))?),
            from: "Acme Print Services <services-manager@localhost>".parse()?,
        },
    );
    tasks.push(tokio::spawn(mailer.run_forever(Duration::from_secs(5))));

    // App Gallery
    let gstate = gallery::cli::state(
        &format!("sqlite://{}", dir.join("gallery.db").display()),
        SealingKeyring::parse(&secrets.gallery_sealing)?,
        SigningKeyring::parse(&secrets.gallery_signing)?,
    )
    .await?;
    let (gl, gallery_url) = listen(args.base_port + 1, "gallery", tls.clone()).await?;
    let served = gstate.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = gallery::cli::serve_listener(gl, served, std::future::pending()).await {
            tracing::error!(error = %format!("{e:#}"), "the demo's gallery stopped");
        }
    }));

    // Assistant
    let (al, assistant_url) = listen(args.base_port + 2, "assistant", tls.clone()).await?;
    let mut config = assistant::run::AssistantConfig::new(
        &format!("sqlite://{}", dir.join("assistant.db").display()),
        &manager_url,
        SealingKeyring::parse(&secrets.gallery_sealing)?,
        SealingKeyring::parse(&secrets.contact_keys)?,
    )?;
    config.manager_keys = HashMap::from([(
        TENANT.to_string(),
        SecretString::from(secrets.manager_api_key.clone()),
    )]);
    config.gallery_url = Some(gallery_url.clone());
    config.gallery_public_keys = Some(gstate.signing.public_keys());
    config.mail = Some(Arc::new(assistant::mail::FolderTransport::new(
        dir.join("outbox"),
    )?));
    config.ops.hsts = https;
    let (astate, background) = assistant::run::build(config).await?;
    tasks.push(tokio::spawn(async move {
        if let Err(e) = assistant::run::serve_listener(al, astate, std::future::pending()).await {
            tracing::error!(error = %format!("{e:#}"), "the demo's assistant stopped");
        }
    }));

    // Devices
    let mut running = Vec::new();
    let mut devices = Vec::new();
    for (i, d) in DEVICES.iter().enumerate() {
        let offset = u16::try_from(i).unwrap_or(0);
        let varbinds = printer::snmprec::parse(d.recording, d.file)?;
        let device = device::serve::start(device::serve::DeviceSpec {
            varbinds,
            snmp: loopback(args.snmp_base_port + offset),
            http: loopback(args.base_port + 10 + offset),
            community: "public".into(),
            admin_password: secrets.device_admin_password.clone(),
            data_dir: dir.join("devices").join(d.serial),
            simulate: None,
        })
        .await
        .with_context(|| d.name.to_string())?;
        let life =
            device::fleet::FleetDevice::over(d.serial, device.mib.clone(), device.stats.clone());
        tasks.push(device::fleet::spawn_life(
            life,
            step,
            device::fleet::Life::new(0x5eed + u64::from(offset), step)
                .with_script(d.script.to_vec()),
        ));
        devices.push((
            d.name.to_string(),
            format!("http://{}/", device.http),
            format!("udp://{}", device.snmp),
        ));
        running.push(device);
    }

    if first_run {
        provision(
            &secrets,
            mstore.as_ref(),
            &gstate,
            &gallery_url,
            &assistant_url,
            &running,
            args.weblet.as_deref(),
        )
        .await
        .context("provisioning the demo")?;
        std::fs::write(&secrets_path, serde_json::to_vec_pretty(&secrets)?)?;
    }
    fleet_setup(mstore.as_ref(), args.speed)
        .await
        .context("setting up the demo's fleet policies")?;
    tasks.push(
        start_agent(
            &dir,
            mstore.as_ref(),
            &manager_url,
            &running,
            Duration::from_secs(args.poll_interval),
        )
        .await?,
    );
    Ok(Demo {
        manager_url,
        gallery_url,
        gallery_api_key: secrets.gallery_api_key.clone(),
        assistant_url,
        devices,
        admin_password: secrets.admin_password.clone(),
        device_admin_password: secrets.device_admin_password.clone(),
        tasks,
        _devices: running,
        _background: background,
    })
}

/// On every start (also for data of an earlier version): the devices with a supplies contract have
/// it in the manager too (automatic orders need it), and the partner's policy forecasts from the
/// history that `speed` makes in 2 simulated hours ([`forecast_min_history_minutes`]); the partner's
/// other policy fields stay as they are.
async fn fleet_setup(mstore: &dyn manager::storage::Storage, speed: f64) -> anyhow::Result<()> {
    use manager::fleet::policy::{PolicyDocument, PolicyScope};
    let partner = mstore.list_partners().await?.into_iter().next();
    let partner = partner.context("the demo has no partner")?.id;
    let contracts = mstore.supplies_contracts(partner).await?;
    let today = Utc::now().date_naive();
    for d in DEVICES.iter().filter(|d| d.supplies_contract) {
        if contracts.contains_key(d.serial) {
            continue;
        }
        let serial =
            manager::domain::DeviceSerial::parse(d.serial).map_err(|e| anyhow::anyhow!(e.0))?;
        let contract = proto::Contract::new(
            today - chrono::Duration::days(30),
            today + chrono::Duration::days(365),
        )?;
        mstore
            .set_supplies_contract(partner, &serial, Some(contract))
            .await?;
    }
    let mut doc = mstore
        .list_policies(partner)
        .await?
        .into_iter()
        .find(|(scope, _, _)| *scope == PolicyScope::Partner)
        .map(|(_, _, doc)| doc)
        .unwrap_or_else(PolicyDocument::default);
    doc.forecast_min_history_minutes = Some(forecast_min_history_minutes(speed));
    mstore
        .put_policy(partner, PolicyScope::Partner, &partner.to_string(), &doc)
        .await?;
    Ok(())
}

/// The fleet agent of the demo's customer over the demo's devices (enrolled once, then a cycle every
/// `interval`; see ARCHITECTURE.md, "Fleet agent").
async fn start_agent(
    dir: &Path,
    mstore: &dyn manager::storage::Storage,
    manager_url: &str,
    running: &[device::serve::RunningDevice],
    interval: Duration,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use agent::cli::{AgentCommand, DataDir, EnrollArgs, RunArgs};
    let data = DataDir {
        data_dir: dir.join("agent"),
    };
    if !agent::credential::path(&data.data_dir).exists() {
        let partner = mstore.list_partners().await?.into_iter().next();
        let partner = partner.context("the demo has no partner")?;
        let customer = mstore.list_customers(partner.id).await?.into_iter().next();
        let customer = customer.context("the demo has no customer")?;
        let (_, token, _) = manager::fleet::api::add_agent(
            mstore,
            Utc::now(),
            partner.id,
            customer.id,
            "Demo site",
        )
        .await?;
        agent::cli::run(AgentCommand::Enroll(EnrollArgs {
            manager: manager_url.to_string(),
            token,
            data: data.clone(),
        }))
        .await
        .context("enrolling the demo's agent")?;
    }
    let args = RunArgs {
        targets: running.iter().map(|d| d.snmp.to_string()).collect(),
        port: 161,
        communities: vec!["public".into()],
        interval,
        meter_interval: Duration::from_secs(3600),
        discovery_interval: Duration::from_secs(86_400),
        once: false,
        concurrency: 8,
        rate: 100,
        timeout_ms: 1000,
        retries: 1,
        batch_size: 500,
        queue_limit: 100_000,
        no_upload: false,
        upload_only: false,
        data,
    };
    Ok(tokio::spawn(async move {
        if let Err(e) = agent::cli::run(AgentCommand::Run(args)).await {
            tracing::warn!(error = %format!("{e:#}"), "the demo's fleet agent stopped");
        }
    }))
}

async fn provision(
    secrets: &Secrets,
    mstore: &dyn manager::storage::Storage,
    gstate: &gallery::http::AppState,
    gallery_url: &str,
    assistant_url: &str,
    running: &[device::serve::RunningDevice],
    weblet: Option<&Path>,
) -> anyhow::Result<()> {
    use manager::domain::{DeviceSerial, Label};
    let label = |s: &str| Label::parse(s, 100).map_err(|e| anyhow::anyhow!(e.0));
    let partner = mstore
        .create_partner(&label("Acme Print Services")?)
        .await?;
    let customer = mstore
        .create_customer(partner.id, &label("Contoso Ltd")?)
        .await?;
    for d in DEVICES {
        let new = manager::storage::NewDevice {
            customer_id: customer.id,
            serial: DeviceSerial::parse(d.serial).map_err(|e| anyhow::anyhow!(e.0))?,
            model: label(d.model)?,
            location: label(d.location)?,
        };
        mstore.create_device(partner.id, &new).await?;
    }
    mstore
        .create_api_key(
            partner.id,
            &label("assistant")?,
            &manager::auth::token_hash(&secrets.manager_api_key),
        )
        .await?;
    let hash = manager::auth::hash_password(
        &SecretString::from(secrets.admin_password.clone()),
        manager::auth::PasswordCost::Default,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    mstore
        .create_user(
            partner.id,
            ADMIN_EMAIL,
            &hash,
            manager::storage::Role::PartnerAdmin,
        )
        .await?;
    // The partner's notification address: its fleet events are e-mailed (into the mail folder).
    let address =
        manager::domain::EmailAddress::parse(ADMIN_EMAIL).map_err(|e| anyhow::anyhow!(e.0))?;
    mstore
        .create_recipient(partner.id, &address, "en", &[])
        .await?;

    // The gallery: admin key, devices, configuration, entitlements, the weblet.
    let gstate_key = SecretString::from(secrets.gallery_api_key.clone());
    let http = platform::ops::client::client();
    gstate
        .store
        .add_api_key_hash(
            &gallery::http::hash_api_key(&secrets.gallery_api_key),
            "demo",
            Utc::now(),
        )
        .await?;
    let today = Utc::now().date_naive();
    let contract = serde_json::json!({"starts_on": today - chrono::Duration::days(30), "ends_on": today + chrono::Duration::days(365)});
    for d in DEVICES {
        gallery::cli::register_device(gallery_url, &gstate_key, d.serial, TENANT, true).await?;
        let entitlements = if d.supplies_contract {
            serde_json::json!({"service": contract, "supplies": contract})
        } else {
            serde_json::json!({"service": contract})
        };
        let r = http
            .put(format!(
                "{gallery_url}/api/devices/{}/entitlements",
                d.serial
            ))
            .bearer_auth(&secrets.gallery_api_key)
            .json(&entitlements)
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "entitlements for {}: {}",
            d.serial,
            r.text().await.unwrap_or_default()
        );
        let config = AppConfiguration::default();
        let r = http
            .put(format!(
                "{gallery_url}/api/devices/{}/configuration",
                d.serial
            ))
            .bearer_auth(&secrets.gallery_api_key)
            .json(&config)
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "configuration for {}: {}",
            d.serial,
            r.text().await.unwrap_or_default()
        );
    }
    let weblet_dir = match weblet {
        Some(w) => w.to_path_buf(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../weblet"),
    };
    if !weblet_dir.join("manifest.json").exists() {
        println!(
            "note: no weblet at {} (set SA_WEBLET_DIR); devices start without the app",
            weblet_dir.display()
        );
        return Ok(());
    }
    // The weblet learns the assistant's address from its manifest.
    let build = tempfile::tempdir()?;
    copy_dir(&weblet_dir, build.path())?;
    let manifest_path = build.path().join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest_path)?)?;
    manifest["assistant_url"] = serde_json::Value::String(assistant_url.to_string());
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)?;
    let package = gallery::package::Package::build(build.path())
        .map_err(|e| anyhow::anyhow!("packaging the weblet: {e}"))?;
    let app_id = manifest["app_id"]
        .as_str()
        .unwrap_or("support-assistant")
        .to_string();
    let r = http
        .post(format!("{gallery_url}/api/apps/{app_id}/versions"))
        .bearer_auth(&secrets.gallery_api_key)
        .header("content-type", "application/zip")
        .body(package.bytes)
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "publishing the weblet: {}",
        r.text().await.unwrap_or_default()
    );
    for (d, device) in DEVICES.iter().zip(running) {
        let bundle = gallery::install::request_bundle(
            gallery_url,
            &gstate_key,
            d.serial,
            &gallery::http::InstallRequest {
                app_id: None,
                version: None,
                valid_days: None,
            },
        )
        .await?;
        gallery::install::install_into_device(
            &format!("http://{}", device.http),
            &SecretString::from(secrets.device_admin_password.clone()),
            &bundle,
        )
        .await?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let demo = start(&args).await?;
    println!(
        "Support Assistant demo is running (data in {}):",
        args.data_dir.display()
    );
    if args.tls().is_some() {
        println!(
            "  HTTPS only (TLS 1.2+, HSTS) for the manager, gallery and assistant, on loopback; \
             the emulated device panels are plain HTTP on loopback"
        );
    } else {
        println!(
            "  PLAIN HTTP on loopback only (127.0.0.1), not encrypted: for trying it out on this machine. \
             Give --tls-cert FILE --tls-key FILE to serve HTTPS."
        );
    }
    for (name, panel, snmp) in &demo.devices {
        println!(
            "  device panel  {panel}  {name}  (SNMP {snmp}, device admin password {})",
            demo.device_admin_password
        );
    }
    println!(
        "  partner console  {}/console/login  login {ADMIN_EMAIL} / {}",
        demo.manager_url, demo.admin_password
    );
    println!(
        "  App Gallery      {}/admin  login any name / {}  (the gallery's admin API key)",
        demo.gallery_url, demo.gallery_api_key
    );
    println!(
        "  App API          {}/openapi.json  (its OpenAPI document; mail goes to {})",
        demo.assistant_url,
        args.data_dir.join("outbox").display()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    println!("stopping");
    drop(demo);
    Ok(())
}
