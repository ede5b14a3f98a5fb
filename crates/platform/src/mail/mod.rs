//! The one mailer of every service: a [`MailTransport`] (SMTP through lettre, SendGrid's v3 API,
//! or a folder of `.eml` files) chosen by the one-string [`MailSettings`] of the CLI, and
//! [`build`], which turns a subject and a text + HTML body into a MIME message with the
//! headers ([`headers`]) that transports log and name files by. The assistant's confirmation
//! e-mail and the manager's notifications both go through here.
//!
//! Transports log the message's reference only, never an address; error texts from servers
//! have the recipients' addresses replaced by `[redacted]`. Keep lettre's `tracing` feature
//! off: it would log the SMTP dialogue, recipient addresses included.

mod folder;
pub mod headers;
mod message;
mod sendgrid;
mod settings;
mod smtp;

pub use folder::{FolderTransport, file_name};
pub use headers::reference as message_reference;
pub use lettre::message::Mailbox;
pub use lettre::{Address, Message};
pub use message::{BuildError, InlineImage, Parts, build, one_line};
pub use sendgrid::{SendGridTransport, body_from_message, wire as sendgrid_wire};
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

/// Why a message was not delivered. Outboxes retry `Transient` failures only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later: connection failures, timeouts, 4xx SMTP replies, HTTP 429/5xx.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// Retrying will not help: 5xx SMTP replies, HTTP 4xx other than 429, unbuildable messages.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

impl MailError {
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient(_))
    }
}

impl From<BuildError> for MailError {
    fn from(e: BuildError) -> Self {
        MailError::Permanent(e.to_string())
    }
}

/// Somewhere a built message can be sent.
#[async_trait::async_trait]
pub trait MailTransport: Send + Sync {
    async fn send(&self, message: &Message) -> Result<(), MailError>;

    /// A short name for logs and metrics (`smtp`, `sendgrid`, `folder`).
    fn name(&self) -> &'static str;
}
