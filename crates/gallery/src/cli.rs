//! Command-line parts: `serve gallery`, `gallery publish`, `gallery install`, `gallery keygen`.
//! The `support-assistant` binary only delegates here.

use crate::clock::{RandomIds, SystemClock};
use crate::credential::SigningKeyring;
use crate::domain::{Scope, Tenant};
use crate::http::{AppState, InstallRequest, hash_api_key, publish_package};
use crate::package::Package;
use crate::seal::SealingKeyring;
use anyhow::Context;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8082";
pub const DEFAULT_DATABASE: &str = "sqlite:gallery.db";

/// `support-assistant serve gallery`
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SA_GALLERY_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Database URL: sqlite:PATH (default) or postgres://…
    #[arg(long, env = "SA_GALLERY_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database: String,
    /// Sealing keys shared with the assistant: KEY_ID=BASE64URL_32_BYTES[,older…]; the first seals.
    /// Without it, throwaway keys are generated (nothing sealed survives a restart).
    #[arg(long, env = "SA_GALLERY_SEAL_KEYS", hide_env_values = true)]
    pub seal_keys: Option<String>,
    /// Ed25519 credential signing seeds: KEY_ID=BASE64URL_32_BYTES[,older…]; the first signs.
    #[arg(long, env = "SA_GALLERY_SIGNING_KEYS", hide_env_values = true)]
    pub signing_keys: Option<String>,
    /// A partner-admin API key to accept (stored hashed). Without it, one is generated and printed.
    #[arg(long, env = "SA_GALLERY_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    #[command(flatten)]
    pub transport: platform::ops::TransportArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum GalleryCommand {
    /// Build the .weblet of an app directory (reproducibly) and add it as a new version.
    Publish(PublishArgs),
    /// Install an app on a device: the gallery issues a credential, then the package, sealed
    /// configuration and credential are delivered to the device.
    Install(InstallArgs),
    /// Print fresh sealing and signing keys (for SA_GALLERY_SEAL_KEYS, SA_GALLERY_SIGNING_KEYS).
    Keygen,
    /// Create an API key (printed once, stored hashed): for one partner's devices
    /// (--partner) or for the operator (--admin: every device, publishing versions).
    ApiKey(ApiKeyArgs),
}

#[derive(Debug, clap::Args)]
pub struct ApiKeyArgs {
    /// The key sees and changes only this partner's devices, configurations and credentials.
    #[arg(long, conflicts_with = "admin")]
    pub partner: Option<String>,
    /// The key sees every partner's devices and may publish app versions.
    #[arg(long)]
    pub admin: bool,
    /// A label to recognise the key by.
    #[arg(long, default_value = "cli")]
    pub label: String,
    /// Gallery database to add the key to.
    #[arg(long, env = "SA_GALLERY_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database: String,
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The app directory (with manifest.json).
    pub dir: PathBuf,
    /// Gallery database to add the version to.
    #[arg(long, env = "SA_GALLERY_DATABASE_URL", default_value = DEFAULT_DATABASE)]
    pub database: String,
    /// Also write the .weblet to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only build (and write --out); do not add the version.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// The device's base URL.
    #[arg(long, value_name = "URL")]
    pub device: String,
    /// The device's serial number.
    #[arg(long)]
    pub serial: String,
    /// The device administrator's password.
    #[arg(long, env = "SA_DEVICE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    /// The gallery's base URL.
    #[arg(long, env = "SA_GALLERY_URL", default_value = "http://127.0.0.1:8082")]
    pub gallery: String,
    /// A partner-admin API key of the gallery.
    #[arg(long, env = "SA_GALLERY_API_KEY", hide_env_values = true)]
    pub api_key: String,
    #[command(flatten)]
    pub trust: platform::ops::ClientTrustArgs,
    /// Register (or update) the device under this tenant first.
    #[arg(long)]
    pub tenant: Option<String>,
    /// With --tenant: the device opts in to automatic updates.
    #[arg(long)]
    pub auto_update: bool,
    /// The app to install.
    #[arg(long, default_value = crate::http::DEFAULT_APP_ID)]
    pub app_id: String,
    /// The version to install (default: the latest release).
    #[arg(long)]
    pub version: Option<String>,
}

/// Builds the shared state for a server.
pub async fn state(
    database: &str,
    sealing: SealingKeyring,
    signing: SigningKeyring,
) -> anyhow::Result<AppState> {
    let store = crate::storage::connect(database)
        .await
        .with_context(|| format!("opening the gallery database {database}"))?;
    let state = AppState {
        store,
        sealing: Arc::new(sealing),
        signing: Arc::new(signing),
        clock: Arc::new(SystemClock),
        ids: Arc::new(RandomIds),
        logos: crate::logo::LogoFetcher::default(),
    };
    crate::service::bind_stored_configurations(&state)
        .await
        .context("binding stored app configurations to their devices")?;
    Ok(state)
}

/// Serves the gallery on a listener from `platform::ops::tls::bind` (HTTPS when it has a
/// certificate, then with HSTS) until `shutdown` resolves.
pub async fn serve_listener(
    listener: platform::ops::Listener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let settings = crate::http::ops_settings(listener.is_tls());
    listener
        .serve(crate::http::router_with(state, &settings), shutdown)
        .await
        .context("serving the gallery")
}

/// Serves the gallery on a bound listener (plain HTTP) until the future `shutdown` resolves.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving the gallery")
}

pub async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let tls = args.transport.decide(args.listen)?;
    let sealing = match &args.seal_keys {
        Some(spec) => SealingKeyring::parse(spec).context("SA_GALLERY_SEAL_KEYS")?,
        None => {
            tracing::warn!(
                "no sealing keys given: using throwaway keys; the assistant cannot open these configurations"
            );
            SealingKeyring::generate("dev")?
        }
    };
    let signing = match &args.signing_keys {
        Some(spec) => SigningKeyring::parse(spec).context("SA_GALLERY_SIGNING_KEYS")?,
        None => {
            tracing::warn!(
                "no signing keys given: using a throwaway key; credentials will not verify after a restart"
            );
            SigningKeyring::generate("dev")?
        }
    };
    let state = state(&args.database, sealing, signing).await?;
    let key = match &args.api_key {
        Some(key) => key.clone(),
        None => {
            let key = crate::http::generate_api_key();
            println!("gallery API key (shown once): {key}");
            key
        }
    };
    state
        .store
        .add_api_key_hash(&hash_api_key(&key), "cli", state.clock.now())
        .await?;
    let listener = platform::ops::tls::bind(args.listen, tls).await?;
    let url = listener.url();
    println!("App Gallery on {url}");
    tracing::info!(%url, "gallery listening");
    serve_listener(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

pub async fn run(command: GalleryCommand) -> anyhow::Result<()> {
    match command {
        GalleryCommand::Publish(args) => run_publish(args).await,
        GalleryCommand::Install(args) => run_install(args).await,
        GalleryCommand::ApiKey(args) => run_api_key(args).await,
        GalleryCommand::Keygen => {
            println!(
                "SA_GALLERY_SEAL_KEYS={}",
                SealingKeyring::generate(&key_id_now())?.to_spec()
            );
            println!(
                "SA_GALLERY_SIGNING_KEYS={}",
                SigningKeyring::generate(&key_id_now())?.to_spec()
            );
            Ok(())
        }
    }
}

async fn run_api_key(args: ApiKeyArgs) -> anyhow::Result<()> {
    let scope = match (&args.partner, args.admin) {
        (Some(partner), _) => Scope::Partner(Tenant::parse(partner).context("--partner")?),
        (None, true) => Scope::Admin,
        (None, false) => anyhow::bail!(
            "choose the key's scope: --partner PARTNER (that partner's devices) or --admin (all)"
        ),
    };
    let store = crate::storage::connect(&args.database)
        .await
        .with_context(|| format!("opening the gallery database {}", args.database))?;
    let key = crate::service::generate_api_key();
    store
        .add_api_key(&hash_api_key(&key), &args.label, &scope, chrono::Utc::now())
        .await?;
    println!("gallery API key for {scope} (shown once): {key}");
    Ok(())
}

fn key_id_now() -> String {
    chrono::Utc::now().format("k%Y%m%d").to_string()
}

async fn run_publish(args: PublishArgs) -> anyhow::Result<()> {
    let package = Package::build(&args.dir)
        .with_context(|| format!("building the .weblet of {}", args.dir.display()))?;
    if let Some(out) = &args.out {
        std::fs::write(out, &package.bytes)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    let summary = format!(
        "{} {} ({} bytes, sha256 {})",
        package.manifest.app_id,
        package.manifest.version,
        package.bytes.len(),
        package.sha256()
    );
    if args.dry_run {
        println!("built {summary}");
        return Ok(());
    }
    let store = crate::storage::connect(&args.database)
        .await
        .with_context(|| format!("opening the gallery database {}", args.database))?;
    publish_package(store.as_ref(), chrono::Utc::now(), package).await?;
    println!("published {summary}");
    Ok(())
}

async fn run_install(args: InstallArgs) -> anyhow::Result<()> {
    args.trust.install().context("--ca-cert")?;
    let api_key = SecretString::from(args.api_key);
    let password = SecretString::from(args.admin_password);
    if let Some(tenant) = &args.tenant {
        register_device(
            &args.gallery,
            &api_key,
            &args.serial,
            tenant,
            args.auto_update,
        )
        .await?;
    }
    let request = InstallRequest {
        app_id: Some(args.app_id),
        version: args.version,
        valid_days: None,
    };
    let bundle =
        crate::install::request_bundle(&args.gallery, &api_key, &args.serial, &request).await?;
    crate::install::install_into_device(&args.device, &password, &bundle).await?;
    println!(
        "installed {} {} on {} (credential {} valid until {})",
        bundle.app_id,
        bundle.version,
        args.serial,
        bundle.credential_id,
        bundle.credential_expires_at
    );
    Ok(())
}

/// `PUT /api/devices/{serial}` on the gallery.
pub async fn register_device(
    gallery: &str,
    api_key: &SecretString,
    serial: &str,
    tenant: &str,
    auto_update: bool,
) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    let response = platform::ops::client::client()
        .put(format!(
            "{}/api/devices/{serial}",
            gallery.trim_end_matches('/')
        ))
        .bearer_auth(api_key.expose_secret())
        .json(&crate::http::DeviceRequest {
            tenant: tenant.to_owned(),
            auto_update,
        })
        .send()
        .await
        .with_context(|| format!("reaching the gallery at {gallery}"))?;
    if !response.status().is_success() {
        anyhow::bail!(
            "the gallery refused to register {serial}: HTTP {} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
    }
    Ok(())
}
