//! Confirmation e-mail: a typed [`Confirmation`], rendered by [`render`] into a text + HTML
//! message and handed to a [`MailTransport`]: SMTP, SendGrid or a folder of `.eml` files.
//! [`MailSettings`] parses the one-string configuration the CLI takes.
//!
//! Transports log the submission's reference only, never a contact detail; error texts from
//! servers have the recipient's address replaced by `[redacted]`. Keep lettre's `tracing`
//! feature off: it would log the SMTP dialogue, recipient addresses included.

mod confirmation;
mod folder;
mod headers;
mod render;
mod sendgrid;
mod settings;
mod smtp;

pub use confirmation::{
    Branding, Confirmation, Contact, ContactName, DeviceInfo, DeviceSerial, EmailAddress,
    IncidentNumber, InlineLogo, Language, Logo, LogoMime, LogoUrl, MeterReadNumber, Number,
    ParseError, PhoneNumber, RequestDetails, RequestKind, SupplyLine,
};
pub use folder::FolderTransport;
pub use headers::reference as message_reference;
pub use lettre::Message;
pub use lettre::message::Mailbox;
pub use render::{LOGO_CONTENT_ID, RenderError, render, render_html, render_text, subject};
pub use sendgrid::{SendGridTransport, wire as sendgrid_wire};
pub use settings::{MailSettings, MailSettingsError, SendGridSettings, SmtpSettings, SmtpTls};
pub use smtp::SmtpTransport;

/// Replaces anything address-like in `text` (a server's reply, an error) with `[redacted]`: every
/// run of characters between spaces or `<>()[]{},;:"` that holds an `@`, so a whole address, a
/// local part with its `@` or an `@domain` never reaches a log or a stored error.
pub fn scrub_addresses(text: &str) -> String {
    const DELIMITERS: &[char] = &['<', '>', '(', ')', '[', ']', '{', '}', ',', ';', ':', '"'];
    let is_delimiter = |c: char| c.is_whitespace() || c.is_control() || DELIMITERS.contains(&c);
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.contains('@') || run.contains("%40") {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_delimiter(c) {
            flush(&mut run, &mut out);
            out.push(c);
        } else {
            run.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A mail server's reply or a transport error made safe to log and store: the message's
/// recipients (whole, or their local part alone) and anything else address-like are redacted.
pub fn scrub_reply(message: &Message, text: &str) -> String {
    let mut out = headers::scrub(message, text);
    for to in message.envelope().to() {
        let user = to.user();
        if user.chars().count() >= 3 {
            out = out.replace(user, "[redacted]");
        }
    }
    scrub_addresses(&out)
}

/// Why a message was not delivered. The outbox retries `Transient` failures only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later: connection failures, timeouts, 4xx SMTP replies, HTTP 429/5xx.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// Retrying will not help: 5xx SMTP replies, HTTP 4xx other than 429, unrenderable messages.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

impl MailError {
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient(_))
    }
}

impl From<RenderError> for MailError {
    fn from(e: RenderError) -> Self {
        MailError::Permanent(e.to_string())
    }
}

/// Somewhere a rendered message can be sent.
#[async_trait::async_trait]
pub trait MailTransport: Send + Sync {
    async fn send(&self, message: &Message) -> Result<(), MailError>;

    /// A short name for logs and metrics (`smtp`, `sendgrid`, `folder`).
    fn name(&self) -> &'static str;
}
