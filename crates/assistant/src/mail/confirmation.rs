//! What a confirmation e-mail says: a typed value built once, rendered by [`super::render`].

use chrono::{DateTime, Utc};
pub use proto::{
    Contact, ContactName, DeviceSerial, EmailAddress, IncidentNumber, MeterReadNumber, ParseError,
    PhoneNumber,
};
use std::fmt;

/// One confirmation e-mail to the person who pressed Send.
///
/// `Debug` prints the reference, number, date, request kind and serial only: the contact is
/// personal data and prints as `[redacted]`, free text is summarised by its length.
#[derive(Clone)]
pub struct Confirmation {
    /// Who the e-mail goes to (`contact.email`), with their name and phone (personal data).
    pub contact: Contact,
    /// The Services Manager's number (`SR-…` for an incident, `MR-…` for a meter read); `None`
    /// while only the assistant's reference is known.
    pub number: Option<Number>,
    /// The assistant's own reference for the submission (always known, not personal data).
    pub reference: String,
    /// When the submission was accepted.
    pub created_at: DateTime<Utc>,
    pub device: DeviceInfo,
    pub request: RequestDetails,
    pub branding: Branding,
    pub language: Language,
}

impl Confirmation {
    /// The number if known, else the reference: what the subject and file names use.
    pub fn identifier(&self) -> String {
        match &self.number {
            Some(n) => n.to_string(),
            None => self.reference.clone(),
        }
    }
}

impl fmt::Debug for Confirmation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Confirmation")
            .field("contact", &"[redacted]")
            .field("number", &self.number)
            .field("reference", &self.reference)
            .field("created_at", &self.created_at)
            .field("device", &self.device)
            .field("request", &self.request)
            .field("branding", &self.branding)
            .field("language", &self.language)
            .finish()
    }
}

/// The device the request is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    pub serial: DeviceSerial,
    /// As the Services Manager registered it (empty when unknown).
    pub model: String,
    /// Where the device stands, as the Services Manager registered it.
    pub location: Option<String>,
}

/// What was asked for.
#[derive(Clone, PartialEq, Eq)]
pub enum RequestDetails {
    /// A fault: the common issue picked (already a label in the e-mail's language) and the
    /// description the person typed.
    Service { issue: String, description: String },
    /// Supplies picked from what the device reports.
    Supply { supplies: Vec<SupplyLine> },
    /// Billing meters read from the device and submitted (name and value).
    Meters { meters: Vec<(String, u64)> },
}

impl RequestDetails {
    pub fn kind(&self) -> RequestKind {
        match self {
            RequestDetails::Service { .. } => RequestKind::Service,
            RequestDetails::Supply { .. } => RequestKind::Supply,
            RequestDetails::Meters { .. } => RequestKind::Meters,
        }
    }
}

impl fmt::Debug for RequestDetails {
    // Free text typed by a person may hold anything: print its size, not its content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestDetails::Service { issue, description } => f
                .debug_struct("Service")
                .field("issue", issue)
                .field(
                    "description",
                    &format_args!("<{} chars>", description.chars().count()),
                )
                .finish(),
            RequestDetails::Supply { supplies } => f
                .debug_struct("Supply")
                .field("supplies", supplies)
                .finish(),
            RequestDetails::Meters { meters } => {
                f.debug_struct("Meters").field("meters", meters).finish()
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Service,
    Supply,
    Meters,
}

/// One supply asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupplyLine {
    pub description: String,
    pub part_number: Option<String>,
    pub colorant: Option<String>,
    /// Remaining level in percent, when the device reports one.
    pub level_percent: Option<u8>,
}

/// The service partner's look: title (sender name and heading) and an optional logo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branding {
    /// E.g. "Acme Print Services support".
    pub title: String,
    pub logo: Option<Logo>,
}

/// The logo shown at the top of the HTML part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Logo {
    /// Loaded by the mail client from an https URL.
    Url(LogoUrl),
    /// Sent with the message as an inline (CID) attachment.
    Inline(InlineLogo),
}

/// An absolute `https://` URL for a logo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoUrl(String);

impl LogoUrl {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let url = url::Url::parse(input.trim())
            .map_err(|e| ParseError(format!("logo URL is not a URL: {e}")))?;
        if url.scheme() != "https" {
            return Err(ParseError(format!(
                "logo URL must use https, not {}",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ParseError("logo URL has no host".into()));
        }
        Ok(Self(url.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Logo bytes with their image type, at most [`InlineLogo::MAX_BYTES`].
#[derive(Clone, PartialEq, Eq)]
pub struct InlineLogo {
    bytes: Vec<u8>,
    mime: LogoMime,
}

impl InlineLogo {
    pub const MAX_BYTES: usize = 512 * 1024;

    pub fn new(bytes: Vec<u8>, mime: LogoMime) -> Result<Self, ParseError> {
        if bytes.is_empty() {
            return Err(ParseError("logo image is empty".into()));
        }
        if bytes.len() > Self::MAX_BYTES {
            return Err(ParseError(format!(
                "logo image is {} bytes, at most {} allowed",
                bytes.len(),
                Self::MAX_BYTES
            )));
        }
        Ok(Self { bytes, mime })
    }
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    pub fn mime(&self) -> LogoMime {
        self.mime
    }
}

impl fmt::Debug for InlineLogo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "InlineLogo({}, {} bytes)",
            self.mime.as_str(),
            self.bytes.len()
        )
    }
}

/// Image types a logo may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoMime {
    Png,
    Jpeg,
    Svg,
}

impl LogoMime {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "image/png" => Ok(Self::Png),
            "image/jpeg" | "image/jpg" => Ok(Self::Jpeg),
            "image/svg+xml" => Ok(Self::Svg),
            other => Err(ParseError(format!(
                "logo type {other:?} is not one of image/png, image/jpeg, image/svg+xml"
            ))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Svg => "image/svg+xml",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Svg => "svg",
        }
    }
}

/// The language of the e-mail: one of the catalogue's (`platform::i18n`).
pub use platform::i18n::Locale as Language;

/// The number the e-mail confirms: an incident's (`SR-…`), a meter read's (`MR-…`), or, under
/// the app configuration's help-desk override, the partner's own ticket number for the incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Number {
    Incident(IncidentNumber),
    MeterRead(MeterReadNumber),
    /// The partner's help desk's ticket number (`proto::manager::TicketReference`, checked there).
    Ticket(String),
}

impl Number {
    /// Either kind, from its text; `None` for anything else (an old row's UUID, say).
    pub fn parse(text: &str) -> Option<Self> {
        IncidentNumber::parse(text)
            .map(Number::Incident)
            .or_else(|_| MeterReadNumber::parse(text).map(Number::MeterRead))
            .ok()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Incident(n) => n.fmt(f),
            Number::MeterRead(n) => n.fmt(f),
            Number::Ticket(t) => f.write_str(t),
        }
    }
}

impl From<IncidentNumber> for Number {
    fn from(n: IncidentNumber) -> Self {
        Number::Incident(n)
    }
}

impl From<MeterReadNumber> for Number {
    fn from(n: MeterReadNumber) -> Self {
        Number::MeterRead(n)
    }
}
