//! Confirmation e-mail: a typed [`Confirmation`], rendered by [`render`] into a text + HTML
//! message. Sending (SMTP, SendGrid, a folder of `.eml` files), the settings string of the CLI,
//! message building and the scrubbing of server replies are `platform::mail`, the one mailer the
//! manager's notifications use too; they are re-exported here under their old names.

mod confirmation;
mod render;

pub use confirmation::{
    Branding, Confirmation, Contact, ContactName, DeviceInfo, DeviceSerial, EmailAddress,
    IncidentNumber, InlineLogo, Language, Logo, LogoMime, LogoUrl, MeterReadNumber, Number,
    ParseError, PhoneNumber, RequestDetails, RequestKind, SupplyLine,
};
pub use platform::mail::{
    FolderTransport, MailError, MailSettings, MailSettingsError, MailTransport, Mailbox, Message,
    SendGridSettings, SendGridTransport, SmtpSettings, SmtpTls, SmtpTransport, message_reference,
    scrub_addresses, scrub_reply, sendgrid_wire,
};
pub use render::{LOGO_CONTENT_ID, RenderError, render, render_html, render_text, subject};
