//! `support-assistant serve assistant`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use platform::keyring::Keyring as SealingKeyring;
use secrecy::SecretString;

use crate::run::{AssistantConfig, build};

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Where the App API and the panel pages listen.
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The assistant's outbox: sqlite://PATH (default) or postgres://…
    #[arg(long, default_value = "sqlite://assistant.db", value_name = "URL")]
    pub database: String,
    /// The Services Manager's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8081", value_name = "URL")]
    pub manager_url: String,
    /// Each partner's Services Manager API key: TENANT=KEY, comma-separated (keep it in the environment).
    #[arg(
        long,
        env = "SA_MANAGER_API_KEYS",
        hide_env_values = true,
        value_name = "TENANT=KEY,…"
    )]
    pub manager_api_keys: String,
    /// The App Gallery's base URL (public keys, revocations, entitlements).
    #[arg(long, default_value = "http://127.0.0.1:8082", value_name = "URL")]
    pub gallery_url: String,
    /// The configuration sealing keys shared with the gallery (`ID:BASE64URL[,ID:BASE64URL…]`, current first).
    #[arg(long, env = "SA_CONFIG_KEYS", hide_env_values = true)]
    pub config_keys: String,
    /// The assistant's own keys for contact details at rest (same form).
    #[arg(long, env = "SA_CONTACT_KEYS", hide_env_values = true)]
    pub contact_keys: String,
    /// Confirmation e-mail: folder:PATH, smtp://[user:pass@]host[:port]?tls=none|starttls|tls, or sendgrid://?key_env=NAME
    #[arg(long, default_value = "folder:./outbox", value_name = "SETTING")]
    pub mail: String,
    /// The sender of confirmation e-mails.
    #[arg(
        long,
        default_value = "Support Assistant <support-assistant@localhost>"
    )]
    pub mail_from: String,
    /// A PEM certificate for HTTPS (with --tls-key). Without both, see --dev-tls.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Without --tls-cert/--tls-key: where a generated development CA and certificate are kept.
    #[arg(long, default_value = "./tls", value_name = "DIR")]
    pub dev_tls_dir: PathBuf,
    /// Serve plain HTTP (loopback development only).
    #[arg(long)]
    pub insecure_http: bool,
    /// Requests a device may make per second (sustained; bursts of 60).
    #[arg(long, default_value_t = 5.0)]
    pub rate_limit_per_second: f64,
    /// Origins allowed to show the pages in a frame (the device panel's origin), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ORIGIN")]
    pub frame_ancestors: Vec<String>,
}

pub fn parse_manager_keys(spec: &str) -> anyhow::Result<HashMap<String, SecretString>> {
    let mut out = HashMap::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (tenant, key) = part
            .split_once('=')
            .with_context(|| "--manager-api-keys: expected TENANT=KEY".to_string())?;
        anyhow::ensure!(
            !tenant.trim().is_empty() && !key.trim().is_empty(),
            "--manager-api-keys: empty tenant or key"
        );
        out.insert(
            tenant.trim().to_string(),
            SecretString::from(key.trim().to_string()),
        );
    }
    anyhow::ensure!(
        !out.is_empty(),
        "--manager-api-keys: at least one TENANT=KEY is needed"
    );
    Ok(out)
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config_keys = SealingKeyring::parse(&args.config_keys).context("--config-keys")?;
    let contact_keys = SealingKeyring::parse(&args.contact_keys).context("--contact-keys")?;
    let mut config =
        AssistantConfig::new(&args.database, &args.manager_url, config_keys, contact_keys)?;
    config.manager_keys = parse_manager_keys(&args.manager_api_keys)?;
    config.gallery_url = Some(args.gallery_url.clone());
    config.mail = Some(
        crate::mail::MailSettings::parse_with_env(&args.mail, |k| std::env::var(k).ok())?
            .build()?,
    );
    config.mail_from = args.mail_from.parse().context("--mail-from")?;
    config.rate_limit = Some(crate::ops::RateLimitSettings {
        per_second: args.rate_limit_per_second,
        ..Default::default()
    });
    let (state, _background) = build(config).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    anyhow::ensure!(
        args.insecure_http || args.tls_cert.is_some(),
        "give --tls-cert and --tls-key, or --insecure-http for loopback development"
    );
    println!("assistant: App API on http://{addr}");
    crate::run::serve_on(listener, state).await?;
    Ok(())
}
