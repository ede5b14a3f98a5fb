//! The one-string mail configuration of the CLI:
//! `folder:PATH`, `smtp://[user:pass@]host[:port]?tls=none|starttls|tls[&ca_file=PATH][&timeout_secs=N]`,
//! `sendgrid://?key_env=NAME[&base_url=URL][&timeout_secs=N]`.

use super::{FolderTransport, MailTransport, SendGridTransport, SmtpTransport};
use secrecy::SecretString;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// What is wrong with a mail setting, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mail settings: {0}")]
pub struct MailSettingsError(pub String);

fn bad<T>(msg: impl Into<String>) -> Result<T, MailSettingsError> {
    Err(MailSettingsError(msg.into()))
}

/// Where e-mails go.
#[derive(Debug, Clone)]
pub enum MailSettings {
    /// `folder:PATH`: `.eml` files in a directory (the demo default).
    Folder(PathBuf),
    Smtp(SmtpSettings),
    SendGrid(SendGridSettings),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text, for local test servers only.
    None,
    /// Plain connection upgraded with STARTTLS (required); default port 587.
    StartTls,
    /// TLS from the first byte; default port 465.
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    /// `None`: 25 without TLS, 587 with STARTTLS, 465 with TLS.
    pub port: Option<u16>,
    pub tls: SmtpTls,
    /// User name and password (`Debug` shows the password as redacted).
    pub credentials: Option<(String, SecretString)>,
    /// An extra CA certificate (PEM) to trust, e.g. a development CA.
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

impl SmtpSettings {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
        })
    }
}

#[derive(Debug, Clone)]
pub struct SendGridSettings {
    /// Read from the environment variable named by `key_env`.
    pub api_key: SecretString,
    pub key_env: String,
    pub base_url: String,
    pub timeout: Duration,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

fn percent_decode(s: &str, what: &str) -> Result<String, MailSettingsError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => out.push(b),
                None => return bad(format!("smtp: {what} has a broken %-escape")),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| MailSettingsError(format!("smtp: {what} is not UTF-8")))
}

fn timeout_from(value: &str, scheme: &str) -> Result<Duration, MailSettingsError> {
    match value.parse::<u64>() {
        Ok(n) if (1..=600).contains(&n) => Ok(Duration::from_secs(n)),
        _ => bad(format!(
            "{scheme}: timeout_secs must be a whole number from 1 to 600, not {value:?}"
        )),
    }
}

impl MailSettings {
    /// Parses a setting, reading environment variables through `env` (tests pass their own).
    pub fn parse_with_env(
        input: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, MailSettingsError> {
        let input = input.trim();
        if let Some(path) = input.strip_prefix("folder:") {
            if path.is_empty() {
                return bad("folder: needs a directory, e.g. folder:./outbox-mail");
            }
            return Ok(MailSettings::Folder(PathBuf::from(path)));
        }
        if input.starts_with("smtp://") {
            return Self::parse_smtp(input).map(MailSettings::Smtp);
        }
        if let Some(rest) = input.strip_prefix("sendgrid://") {
            return Self::parse_sendgrid(rest, env).map(MailSettings::SendGrid);
        }
        let scheme = input.split(':').next().unwrap_or_default();
        bad(format!(
            "unknown kind {scheme:?}: expected folder:PATH, smtp://[user:pass@]host[:port]?tls=none|starttls|tls or sendgrid://?key_env=NAME"
        ))
    }

    fn parse_smtp(input: &str) -> Result<SmtpSettings, MailSettingsError> {
        let url = url::Url::parse(input)
            .map_err(|e| MailSettingsError(format!("smtp: not a valid URL: {e}")))?;
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_matches(['[', ']']).to_string(),
            _ => return bad("smtp: needs a host, e.g. smtp://mail.example.com?tls=starttls"),
        };
        if !matches!(url.path(), "" | "/") {
            return bad(format!(
                "smtp: unexpected path {:?} (settings go in the query: ?tls=…)",
                url.path()
            ));
        }
        let credentials = if url.username().is_empty() {
            if url.password().is_some() {
                return bad("smtp: a password needs a user name (user:pass@host)");
            }
            None
        } else {
            let user = percent_decode(url.username(), "user name")?;
            let Some(pass) = url.password() else {
                return bad("smtp: user name given without a password (user:pass@host)");
            };
            let pass = percent_decode(pass, "password")?;
            Some((user, SecretString::from(pass)))
        };
        let mut tls = None;
        let mut ca_file = None;
        let mut timeout = DEFAULT_TIMEOUT;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "tls" => {
                    tls = Some(match value.as_ref() {
                        "none" => SmtpTls::None,
                        "starttls" => SmtpTls::StartTls,
                        "tls" => SmtpTls::Tls,
                        other => {
                            return bad(format!(
                                "smtp: tls must be none, starttls or tls, not {other:?}"
                            ));
                        }
                    })
                }
                "ca_file" if !value.is_empty() => ca_file = Some(PathBuf::from(value.as_ref())),
                "timeout_secs" => timeout = timeout_from(&value, "smtp")?,
                other => {
                    return bad(format!(
                        "smtp: unknown setting {other:?} (known: tls, ca_file, timeout_secs)"
                    ));
                }
            }
        }
        let Some(tls) = tls else {
            return bad("smtp: say how to secure the connection: ?tls=none|starttls|tls");
        };
        if tls == SmtpTls::None && ca_file.is_some() {
            return bad("smtp: ca_file needs tls=starttls or tls");
        }
        Ok(SmtpSettings {
            host,
            port: url.port(),
            tls,
            credentials,
            ca_file,
            timeout,
        })
    }

    fn parse_sendgrid(
        rest: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SendGridSettings, MailSettingsError> {
        let query = match rest.split_once('?') {
            Some(("", q)) | Some(("/", q)) => q,
            Some((host, _)) => {
                return bad(format!(
                    "sendgrid: unexpected {host:?} before '?' (use base_url=… for another server)"
                ));
            }
            None => {
                return bad("sendgrid: needs ?key_env=NAME (the variable holding the API key)");
            }
        };
        let mut key_env = None;
        let mut base_url = SendGridTransport::DEFAULT_BASE_URL.to_string();
        let mut timeout = DEFAULT_TIMEOUT;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "key_env" => key_env = Some(value.into_owned()),
                "base_url" => {
                    let url = url::Url::parse(&value).map_err(|e| {
                        MailSettingsError(format!("sendgrid: base_url {value:?} is not a URL: {e}"))
                    })?;
                    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                        return bad(format!(
                            "sendgrid: base_url must be an http(s) URL with a host, not {value:?}"
                        ));
                    }
                    base_url = value.trim_end_matches('/').to_string();
                }
                "timeout_secs" => timeout = timeout_from(&value, "sendgrid")?,
                "key" | "api_key" => {
                    return bad(
                        "sendgrid: the API key is never given on the command line; put it in an environment variable and name it with key_env=NAME",
                    );
                }
                other => {
                    return bad(format!(
                        "sendgrid: unknown setting {other:?} (known: key_env, base_url, timeout_secs)"
                    ));
                }
            }
        }
        let Some(key_env) = key_env.filter(|k| !k.is_empty()) else {
            return bad("sendgrid: needs key_env=NAME (the variable holding the API key)");
        };
        let api_key = match env(&key_env) {
            Some(k) if !k.trim().is_empty() => SecretString::from(k.trim().to_string()),
            Some(_) => return bad(format!("sendgrid: environment variable {key_env} is empty")),
            None => {
                return bad(format!(
                    "sendgrid: environment variable {key_env} is not set"
                ));
            }
        };
        Ok(SendGridSettings {
            api_key,
            key_env,
            base_url,
            timeout,
        })
    }

    /// Builds the transport these settings describe.
    pub fn build(&self) -> Result<Arc<dyn MailTransport>, MailSettingsError> {
        Ok(match self {
            MailSettings::Folder(dir) => Arc::new(FolderTransport::new(dir).map_err(|e| {
                MailSettingsError(format!("folder: cannot create {}: {e}", dir.display()))
            })?),
            MailSettings::Smtp(smtp) => Arc::new(SmtpTransport::new(smtp)?),
            MailSettings::SendGrid(sg) => Arc::new(
                SendGridTransport::new(&sg.base_url, sg.api_key.clone(), sg.timeout).map_err(
                    |e| MailSettingsError(format!("sendgrid: HTTP client setup failed: {e}")),
                )?,
            ),
        })
    }
}

impl FromStr for MailSettings {
    type Err = MailSettingsError;

    /// Parses with the process environment.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_with_env(s, |name| std::env::var(name).ok())
    }
}
