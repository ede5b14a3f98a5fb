//! SMTP through lettre: plain (local test servers), STARTTLS or implicit TLS, optional login.

use super::headers::reference;
use super::scrub_reply as scrub;
use super::settings::{MailSettingsError, SmtpSettings, SmtpTls};
use super::{MailError, MailTransport};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    /// Bound on one whole delivery (connect, TLS, login, DATA), on top of lettre's own timeout.
    deadline: std::time::Duration,
}

impl SmtpTransport {
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailSettingsError> {
        let host = settings.host.clone();
        let tls_parameters = || -> Result<TlsParameters, MailSettingsError> {
            let mut builder = TlsParameters::builder(host.clone());
            if let Some(path) = &settings.ca_file {
                let pem = std::fs::read(path).map_err(|e| {
                    MailSettingsError(format!("smtp: cannot read ca_file {}: {e}", path.display()))
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|e| {
                    MailSettingsError(format!(
                        "smtp: ca_file {} is not a PEM certificate: {e}",
                        path.display()
                    ))
                })?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| MailSettingsError(format!("smtp: TLS setup failed: {e}")))
        };
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(tls_parameters()?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(settings.port())
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_string(),
            ));
        }
        Ok(Self {
            inner: builder.build(),
            deadline: settings.timeout * 2,
        })
    }
}

/// 5xx replies and errors of the client itself are permanent; 4xx replies, connection, TLS,
/// timeout and protocol errors are worth retrying.
fn classify(message: &Message, e: &lettre::transport::smtp::Error) -> MailError {
    let text = scrub(message, &e.to_string());
    if e.is_permanent() || e.is_client() {
        MailError::Permanent(format!("smtp: {text}"))
    } else {
        MailError::Transient(format!("smtp: {text}"))
    }
}

#[async_trait::async_trait]
impl MailTransport for SmtpTransport {
    async fn send(&self, message: &Message) -> Result<(), MailError> {
        let reference = reference(message);
        let sent = tokio::time::timeout(
            self.deadline,
            self.inner
                .send_raw(message.envelope(), &message.formatted()),
        )
        .await;
        let Ok(sent) = sent else {
            let error = MailError::Transient(format!(
                "smtp: no answer within {} s",
                self.deadline.as_secs()
            ));
            tracing::warn!(%reference, transport = "smtp", transient = true, error = %error, "e-mail not sent");
            return Err(error);
        };
        match sent {
            Ok(response) => {
                tracing::info!(%reference, transport = "smtp", code = %response.code(), "e-mail sent");
                Ok(())
            }
            Err(e) => {
                let error = classify(message, &e);
                tracing::warn!(%reference, transport = "smtp", transient = error.is_transient(), error = %error, "e-mail not sent");
                Err(error)
            }
        }
    }

    fn name(&self) -> &'static str {
        "smtp"
    }
}
