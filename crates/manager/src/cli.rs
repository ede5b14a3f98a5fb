//! Command-line entry points: `support-assistant serve manager` and `support-assistant manager …`.

use crate::app::{AppConfig, AppState};
use crate::auth::{PasswordCost, generate_api_key, hash_password, token_hash};
use crate::clock::{SystemClock, UuidV7};
use crate::crypto::KeyRing;
use crate::domain::{DeviceSerial, EmailAddress, Label};
use crate::retention::{DEFAULT_KEEP_DAYS, RetentionJob};
use crate::storage::{self, NewDevice, PgStore, Role, SqliteStore, Storage, StoreContext};
use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

/// Where the data is and how it is protected; shared by `serve manager` and `manager …`.
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(
        long,
        env = "SA_MANAGER_DATABASE_URL",
        default_value = "sqlite://manager.db"
    )]
    pub database: String,
    /// PostgreSQL only: keep the tables in this schema (created if missing).
    #[arg(long, env = "SA_MANAGER_PG_SCHEMA")]
    pub pg_schema: Option<String>,
    /// File with the keys that encrypt contact details, one `KEYID:BASE64` per line; the last
    /// line is the active key (append a line to rotate). Created with a fresh key if missing.
    #[arg(
        long,
        env = "SA_MANAGER_DATA_KEYS_FILE",
        default_value = "manager-data.keys"
    )]
    pub data_keys_file: PathBuf,
}

/// The manager's default address (the assistant's `--manager-url` default points here).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8081";

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SA_MANAGER_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub transport: platform::ops::TransportArgs,
    #[command(flatten)]
    pub data: DataArgs,
    /// Remove contact details of incidents closed more than this many days ago.
    #[arg(long, default_value_t = DEFAULT_KEEP_DAYS)]
    pub retention_days: u32,
    /// Mark the session cookie Secure even over --insecure-http (e.g. behind a TLS proxy on loopback); always on with --tls-cert.
    #[arg(long)]
    pub secure_cookies: bool,
    /// Console login attempts allowed per e-mail and per client address in one window (counted
    /// in the database: shared by every manager on it, kept across restarts).
    #[arg(long, env = "SA_MANAGER_LOGIN_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_attempts: u32,
    /// Length of the login window in seconds: once an e-mail or address used up its attempts,
    /// logins (even with the right password) are refused until its window has passed.
    #[arg(long, env = "SA_MANAGER_LOGIN_WINDOW_SECS", default_value_t = 900, value_parser = clap::value_parser!(u32).range(1..))]
    pub login_window_secs: u32,
    /// Notification e-mails to partners: folder:PATH, smtp://[user:pass@]host[:port]?tls=none|starttls|tls, or sendgrid://?key_env=NAME (the assistant's setting)
    #[arg(
        long,
        env = "SA_MANAGER_MAIL",
        default_value = "folder:./manager-mail",
        value_name = "SETTING"
    )]
    pub mail: String,
    /// The sender of notification e-mails.
    #[arg(
        long,
        env = "SA_MANAGER_MAIL_FROM",
        default_value = "Services Manager <services-manager@localhost>"
    )]
    pub mail_from: String,
    /// Let webhooks call private, loopback and link-local addresses (tests, demos, a receiver on
    /// the manager's own network). Without it such URLs are refused at registration and at delivery.
    #[arg(long, env = "SA_MANAGER_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum ManagerCommand {
    /// Partners (tenants): the service companies that use the manager.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// A partner's customers.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Devices of a partner's customers.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Console users of a partner.
    #[command(subcommand)]
    User(UserCommand),
    /// API keys with which other services (the App Service) call the manager.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Fleet agents of a customer: add (prints a one-time enrolment token), list, revoke.
    #[command(subcommand)]
    Agent(crate::fleet::cli::AgentCommand),
    /// The partner's addresses for e-mail notifications of fleet events: add, list, remove.
    #[command(subcommand, name = "notification-email")]
    NotificationEmail(crate::fleet::cli::NotificationEmailCommand),
    /// Remove contact details of incidents closed long ago, now (the server also does this hourly).
    Retention {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, default_value_t = DEFAULT_KEEP_DAYS)]
        days: u32,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum TenantCommand {
    /// Adds a partner and prints its id.
    Add {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Lists partners.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum CustomerCommand {
    /// Adds a customer to a partner and prints its id.
    Add {
        /// The partner's id or exact name.
        #[arg(long)]
        partner: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum DeviceCommand {
    /// Adds a device to a partner's customer.
    Add {
        #[arg(long)]
        partner: String,
        /// The customer's id.
        #[arg(long)]
        customer: Uuid,
        #[arg(long)]
        serial: String,
        #[arg(long)]
        model: String,
        #[arg(long, default_value = "-")]
        location: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    PartnerAdmin,
    Technician,
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Adds a console user (by default a partner admin). The password is read from the first
    /// line of standard input with --password-stdin; otherwise one is generated and printed once.
    Add {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_enum, default_value = "partner-admin")]
        role: RoleArg,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ApiKeyCommand {
    /// Creates an API key for a partner and prints it once (only its hash is stored).
    Add {
        #[arg(long)]
        partner: String,
        /// What the key is for, e.g. "app-service".
        #[arg(long, default_value = "app-service")]
        name: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Reads the key ring (env `SA_MANAGER_DATA_KEYS` wins over the file); creates the file with a
/// fresh key if neither exists.
pub fn load_or_create_keys(path: &Path) -> anyhow::Result<KeyRing> {
    if let Ok(text) = std::env::var("SA_MANAGER_DATA_KEYS") {
        return KeyRing::parse(&SecretString::from(text)).context("SA_MANAGER_DATA_KEYS");
    }
    if !path.exists() {
        let line = KeyRing::generate_line("k1");
        write_private(path, line.expose_secret())
            .with_context(|| format!("creating key file {}", path.display()))?;
        eprintln!(
            "created a new data key file at {} (keep it safe and backed up)",
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    KeyRing::parse(&SecretString::from(text))
        .with_context(|| format!("key file {}", path.display()))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}

/// Opens the store the arguments name.
pub async fn open_store(data: &DataArgs) -> anyhow::Result<Arc<dyn Storage>> {
    let keys = Arc::new(load_or_create_keys(&data.data_keys_file)?);
    let ctx = StoreContext {
        clock: Arc::new(SystemClock),
        ids: Arc::new(UuidV7),
        keys,
    };
    let url = data.database.as_str();
    let store: Arc<dyn Storage> = match (&data.pg_schema, url.starts_with("postgres")) {
        (Some(schema), true) => Arc::new(PgStore::connect_in_schema(url, schema, ctx).await?),
        (Some(_), false) => bail!("--pg-schema needs a postgres:// database"),
        (None, _) if url.starts_with("sqlite:") => Arc::new(SqliteStore::connect(url, ctx).await?),
        (None, _) => storage::connect(url, ctx).await?,
    };
    Ok(store)
}

async fn find_partner(store: &dyn Storage, partner: &str) -> anyhow::Result<Uuid> {
    let partners = store.list_partners().await?;
    if let Ok(id) = Uuid::parse_str(partner)
        && partners.iter().any(|p| p.id == id)
    {
        return Ok(id);
    }
    match partners
        .iter()
        .filter(|p| p.name == partner)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [p] => Ok(p.id),
        [] => bail!("no partner {partner:?} (see `support-assistant manager tenant list`)"),
        _ => bail!("several partners are named {partner:?}; use the id"),
    }
}

fn label(s: &str, max: usize, what: &str) -> anyhow::Result<Label> {
    Label::parse(s, max).map_err(|e| anyhow::anyhow!("{what}: {e}"))
}

/// `support-assistant serve manager`: prints where it listens, then serves until stopped.
pub async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let tls = args.transport.decide(args.listen)?;
    let https = tls.is_some();
    let listener = platform::ops::tls::bind(args.listen, tls).await?;
    let store = open_store(&args.data).await?;
    let clock = Arc::new(SystemClock);
    let config = AppConfig {
        secure_cookies: args.secure_cookies || https,
        ops: crate::app::ops_settings(https),
        login_attempts: args.login_attempts,
        login_window: chrono::Duration::seconds(i64::from(args.login_window_secs)),
        webhook_allow_private: args.webhook_allow_private,
        ..Default::default()
    };
    tokio::spawn(crate::console::login::clean_login_attempts(
        store.clone(),
        clock.clone(),
        config.login_window,
        std::time::Duration::from_secs(60),
    ));
    let state = AppState::new(store.clone(), clock.clone(), config);
    let evaluator = crate::fleet::evaluate::Evaluator::new(store.clone(), clock.clone());
    tokio::spawn(evaluator.run_forever(std::time::Duration::from_secs(300)));
    let notifier = crate::fleet::notify::Notifier::new(store.clone(), clock.clone())
        .allow_private(args.webhook_allow_private);
    tokio::spawn(notifier.run_forever(std::time::Duration::from_secs(10)));
    let settings =
        platform::mail::MailSettings::parse_with_env(&args.mail, |k| std::env::var(k).ok())?;
    let transport: Arc<dyn platform::mail::MailTransport> = match &settings {
        // The folder is made when the first notification is written, not at start.
        platform::mail::MailSettings::Folder(dir) => {
            Arc::new(platform::mail::FolderTransport::lazy(dir))
        }
        other => other.build()?,
    };
    let mail = crate::fleet::mail::MailConfig {
        transport,
        from: args.mail_from.parse().context("--mail-from")?,
    };
    let mailer = crate::fleet::mail::MailNotifier::new(store.clone(), clock.clone(), mail);
    tokio::spawn(mailer.run_forever(std::time::Duration::from_secs(5)));
    let retention = RetentionJob {
        store,
        clock,
        keep_days: args.retention_days,
    };
    tokio::spawn(retention.run_forever(std::time::Duration::from_secs(3600)));
    let url = listener.url();
    println!("manager listening on {url} (console: {url}/console, OpenAPI: {url}/openapi.json)");
    tracing::info!(%url, "manager listening");
    crate::app::serve_listener(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("stopping");
    })
    .await
}

/// `support-assistant manager …`.
pub async fn run(cmd: ManagerCommand) -> anyhow::Result<()> {
    match cmd {
        ManagerCommand::Tenant(TenantCommand::Add { name, data }) => {
            let store = open_store(&data).await?;
            let p = store.create_partner(&label(&name, 200, "name")?).await?;
            println!("{}", p.id);
        }
        ManagerCommand::Tenant(TenantCommand::List { data }) => {
            let store = open_store(&data).await?;
            for p in store.list_partners().await? {
                println!("{}\t{}", p.id, p.name);
            }
        }
        ManagerCommand::Customer(CustomerCommand::Add {
            partner,
            name,
            data,
        }) => {
            let store = open_store(&data).await?;
            let partner = find_partner(&*store, &partner).await?;
            let c = store
                .create_customer(partner, &label(&name, 200, "name")?)
                .await?;
            println!("{}", c.id);
        }
        ManagerCommand::Device(DeviceCommand::Add {
            partner,
            customer,
            serial,
            model,
            location,
            data,
        }) => {
            let store = open_store(&data).await?;
            let partner = find_partner(&*store, &partner).await?;
            let serial =
                DeviceSerial::parse(&serial).map_err(|e| anyhow::anyhow!("serial: {e}"))?;
            let d = store
                .create_device(
                    partner,
                    &NewDevice {
                        customer_id: customer,
                        serial,
                        model: label(&model, 100, "model")?,
                        location: label(&location, 200, "location")?,
                    },
                )
                .await?;
            println!("{}", d.serial);
        }
        ManagerCommand::User(UserCommand::Add {
            partner,
            email,
            role,
            password_stdin,
            data,
        }) => {
            let store = open_store(&data).await?;
            let partner = find_partner(&*store, &partner).await?;
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("email: {e}"))?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                let pw = line.trim_end_matches(['\r', '\n']).to_string();
                if pw.chars().count() < 12 {
                    bail!("password: must be at least 12 characters");
                }
                (SecretString::from(pw), false)
            } else {
                (
                    SecretString::from(crate::auth::random_token()[..24].to_string()),
                    true,
                )
            };
            let hash = hash_password(&password, PasswordCost::Default)?;
            let role = match role {
                RoleArg::PartnerAdmin => Role::PartnerAdmin,
                RoleArg::Technician => Role::Technician,
            };
            let user = store
                .create_user(partner, email.expose(), &hash, role)
                .await?;
            println!("user {} ({}) created", user.email, role.as_str());
            if generated {
                println!("password: {}", password.expose_secret());
            }
        }
        ManagerCommand::ApiKey(ApiKeyCommand::Add {
            partner,
            name,
            data,
        }) => {
            let store = open_store(&data).await?;
            let partner = find_partner(&*store, &partner).await?;
            let key = generate_api_key();
            store
                .create_api_key(
                    partner,
                    &label(&name, 100, "name")?,
                    &token_hash(key.expose_secret()),
                )
                .await?;
            println!("{}", key.expose_secret());
        }
        ManagerCommand::Agent(cmd) => crate::fleet::cli::run(cmd).await?,
        ManagerCommand::NotificationEmail(cmd) => {
            crate::fleet::cli::run_notification_email(cmd).await?
        }
        ManagerCommand::Retention { data, days } => {
            let store = open_store(&data).await?;
            let job = RetentionJob {
                store,
                clock: Arc::new(SystemClock),
                keep_days: days,
            };
            println!(
                "{} incident(s) lost their contact details",
                job.run_once().await?
            );
        }
    }
    Ok(())
}
