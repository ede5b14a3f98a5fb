//! `support-assistant serve assistant`.

use std::collections::HashMap;
use std::net::SocketAddr;

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
    /// The configuration sealing keys shared with the gallery (its seal keys):
    /// KEY_ID=BASE64URL_32_BYTES[,older…]; the first is the current one.
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
    #[command(flatten)]
    pub transport: platform::ops::TransportArgs,
    #[command(flatten)]
    pub trust: platform::ops::ClientTrustArgs,
    /// Requests a device may make per second (sustained; bursts of --rate-limit-burst); over it → 429.
    #[arg(long, default_value_t = 5.0, value_parser = positive_rate)]
    pub rate_limit_per_second: f64,
    /// Requests a device may make at once before --rate-limit-per-second applies.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_burst: u32,
    /// Origins allowed to show the pages in a frame (the device panel's origin), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ORIGIN")]
    pub frame_ancestors: Vec<String>,
}

fn positive_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "{s:?} is not a positive number of requests per second"
        )),
    }
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
    // What would make it serve the wrong way is refused before anything else happens.
    let tls = args.transport.decide(args.listen)?;
    let frame_ancestors = args
        .frame_ancestors
        .iter()
        .filter(|o| !o.trim().is_empty())
        .map(|o| platform::ops::FrameAncestor::parse(o))
        .collect::<Result<Vec<_>, _>>()
        .context("--frame-ancestors")?;
    args.trust.install().context("--ca-cert")?;
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
    config.rate_limit = Some(platform::ops::RateLimitSettings {
        burst: args.rate_limit_burst,
        per_second: args.rate_limit_per_second,
    });
    config.ops.frame_ancestors = frame_ancestors;
    config.ops.hsts = tls.is_some();
    let listener = platform::ops::tls::bind(args.listen, tls).await?;
    let (state, _background) = build(config).await?;
    println!("assistant: App API on {}", listener.url());
    crate::run::serve_listener(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
