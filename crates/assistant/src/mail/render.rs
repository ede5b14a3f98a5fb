//! Turns a [`Confirmation`] into a MIME message: text/plain and text/html alternatives, the HTML
//! from an askama template (auto-escaped), an inline logo as a CID attachment when configured.

use super::confirmation::{Confirmation, Language, Logo, RequestDetails};
use super::headers::{CREATED_AT, INCIDENT_NUMBER, REFERENCE};
use askama::Template;
use lettre::message::header::{ContentType, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

/// The Content-ID of an inline logo, referenced from the HTML as `cid:logo`.
pub const LOGO_CONTENT_ID: &str = "logo";

/// Why a confirmation could not be turned into a message; retrying will not help.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the contact's e-mail address is not accepted by the mail library")]
    Recipient,
    #[error("template failed: {0}")]
    Template(#[from] askama::Error),
    #[error("message could not be built: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("logo type is not a valid MIME type")]
    LogoType,
}

/// Labels of the e-mail in one language.
pub(crate) struct Labels {
    pub subject_service: &'static str,
    pub subject_supply: &'static str,
    pub heading_service: &'static str,
    pub heading_supply: &'static str,
    pub subject_meters: &'static str,
    pub heading_meters: &'static str,
    pub intro_meters: &'static str,
    pub meters: &'static str,
    pub intro: &'static str,
    pub intro_pending: &'static str,
    pub number: &'static str,
    pub reference: &'static str,
    pub created: &'static str,
    pub device: &'static str,
    pub serial: &'static str,
    pub model: &'static str,
    pub location: &'static str,
    pub request: &'static str,
    pub issue: &'static str,
    pub description: &'static str,
    pub supplies: &'static str,
    pub part_number: &'static str,
    pub colorant: &'static str,
    pub level: &'static str,
    pub contact: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub not_given: &'static str,
    pub sent_by: &'static str,
    pub quote: &'static str,
    pub date_format: &'static str,
}

const EN: Labels = Labels {
    subject_service: "your service request for",
    subject_supply: "your supply request for",
    heading_service: "Your service request",
    heading_supply: "Your supply request",
    subject_meters: "your meter reads for",
    heading_meters: "Your meter reads",
    intro_meters: "Thank you. We have received the meter reads of this device.",
    meters: "Meters",
    intro: "Thank you. We have received your request and will take care of it.",
    intro_pending: "Thank you. We have received your request. The incident number will follow in a separate e-mail.",
    number: "Incident number",
    reference: "Reference",
    created: "Created",
    device: "Device",
    serial: "Serial number",
    model: "Model",
    location: "Location",
    request: "Request",
    issue: "Issue",
    description: "Description",
    supplies: "Supplies",
    part_number: "Part number",
    colorant: "Colour",
    level: "Level",
    contact: "Contact",
    name: "Name",
    email: "E-mail",
    phone: "Phone",
    not_given: "-",
    sent_by: "This e-mail was sent automatically by",
    quote: "Please quote the incident number in any reply.",
    date_format: "%Y-%m-%d %H:%M UTC",
};

const DE: Labels = Labels {
    subject_service: "Ihre Serviceanfrage für",
    subject_supply: "Ihre Verbrauchsmaterialanfrage für",
    heading_service: "Ihre Serviceanfrage",
    heading_supply: "Ihre Verbrauchsmaterialanfrage",
    subject_meters: "Ihre Zählerstände für",
    heading_meters: "Ihre Zählerstände",
    intro_meters: "Vielen Dank. Wir haben die Zählerstände dieses Geräts erhalten.",
    meters: "Zähler",
    intro: "Vielen Dank. Wir haben Ihre Anfrage erhalten und kümmern uns darum.",
    intro_pending: "Vielen Dank. Wir haben Ihre Anfrage erhalten. Die Vorgangsnummer folgt in einer weiteren E-Mail.",
    number: "Vorgangsnummer",
    reference: "Referenz",
    created: "Erstellt am",
    device: "Gerät",
    serial: "Seriennummer",
    model: "Modell",
    location: "Standort",
    request: "Anfrage",
    issue: "Problem",
    description: "Beschreibung",
    supplies: "Verbrauchsmaterial",
    part_number: "Artikelnummer",
    colorant: "Farbe",
    level: "Füllstand",
    contact: "Kontakt",
    name: "Name",
    email: "E-Mail",
    phone: "Telefon",
    not_given: "-",
    sent_by: "Diese E-Mail wurde automatisch gesendet von",
    quote: "Bitte geben Sie bei Rückfragen die Vorgangsnummer an.",
    date_format: "%d.%m.%Y %H:%M UTC",
};

pub(crate) fn labels(language: Language) -> &'static Labels {
    match language {
        Language::En => &EN,
        Language::De => &DE,
    }
}

/// One supply line as shown.
struct SupplyView {
    description: String,
    part_number: String,
    colorant: String,
    level: String,
}

/// Everything the templates show, already formatted; strings are raw (the HTML template escapes).
struct View<'a> {
    l: &'static Labels,
    lang: &'static str,
    title: &'a str,
    logo_src: Option<String>,
    heading: &'static str,
    intro: &'static str,
    number: Option<String>,
    reference: &'a str,
    created: String,
    serial: &'a str,
    model: &'a str,
    location: Option<&'a str>,
    issue: Option<&'a str>,
    description: Option<&'a str>,
    supplies: Vec<SupplyView>,
    meters: Vec<(String, String)>,
    name: &'a str,
    email: &'a str,
    phone: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "mail/confirmation.html")]
struct HtmlMail<'a> {
    v: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "mail/confirmation.txt")]
struct TextMail<'a> {
    v: &'a View<'a>,
}

fn view(c: &Confirmation) -> View<'_> {
    let l = labels(c.language);
    let meters: Vec<(String, String)> = match &c.request {
        RequestDetails::Meters { meters } => meters
            .iter()
            .map(|(name, value)| (name.clone(), value.to_string()))
            .collect(),
        _ => Vec::new(),
    };
    let (heading, issue, description, supplies) = match &c.request {
        RequestDetails::Meters { .. } => (l.heading_meters, None, None, Vec::new()),
        RequestDetails::Service { issue, description } => (
            l.heading_service,
            Some(issue.as_str()),
            Some(description.as_str()),
            Vec::new(),
        ),
        RequestDetails::Supply { supplies } => (
            l.heading_supply,
            None,
            None,
            supplies
                .iter()
                .map(|s| SupplyView {
                    description: s.description.clone(),
                    part_number: s.part_number.clone().unwrap_or_else(|| l.not_given.into()),
                    colorant: s.colorant.clone().unwrap_or_else(|| l.not_given.into()),
                    level: s
                        .level_percent
                        .map(|p| format!("{p} %"))
                        .unwrap_or_else(|| l.not_given.into()),
                })
                .collect(),
        ),
    };
    View {
        l,
        lang: c.language.code(),
        title: &c.branding.title,
        logo_src: c.branding.logo.as_ref().map(|logo| match logo {
            Logo::Url(url) => url.as_str().to_string(),
            Logo::Inline(_) => format!("cid:{LOGO_CONTENT_ID}"),
        }),
        heading,
        intro: if matches!(c.request, RequestDetails::Meters { .. }) {
            l.intro_meters
        } else if c.incident_number.is_some() {
            l.intro
        } else {
            l.intro_pending
        },
        number: c.incident_number.map(|n| n.to_string()),
        reference: &c.reference,
        created: c.created_at.format(l.date_format).to_string(),
        serial: c.device.serial.as_str(),
        model: &c.device.model,
        location: c.device.location.as_deref(),
        issue,
        description,
        supplies,
        meters,
        name: c.contact.name.expose(),
        email: c.contact.email.expose(),
        phone: c.contact.phone.as_ref().map(|p| p.expose()),
    }
}

/// A header value on one line: control characters become spaces, runs of spaces collapse.
fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The subject, e.g. `SR-2026-000123: your service request for XRX123 (AltaLink C8055)`.
pub fn subject(c: &Confirmation) -> String {
    let l = labels(c.language);
    let what = match c.request {
        RequestDetails::Service { .. } => l.subject_service,
        RequestDetails::Supply { .. } => l.subject_supply,
        RequestDetails::Meters { .. } => l.subject_meters,
    };
    one_line(&format!(
        "{}: {what} {} ({})",
        c.identifier(),
        c.device.serial,
        c.device.model
    ))
}

/// The plain-text part.
pub fn render_text(c: &Confirmation) -> Result<String, RenderError> {
    Ok(TextMail { v: &view(c) }.render()?)
}

/// The HTML part (every value from the confirmation is HTML-escaped by the template).
pub fn render_html(c: &Confirmation) -> Result<String, RenderError> {
    Ok(HtmlMail { v: &view(c) }.render()?)
}

/// Builds the confirmation e-mail from `from` to the contact: multipart/alternative with
/// text/plain and text/html (the HTML in multipart/related with the logo when it is inline).
/// A `from` without a display name gets the branding title as its name.
pub fn render(c: &Confirmation, from: &Mailbox) -> Result<Message, RenderError> {
    let to_address: Address = c
        .contact
        .email
        .expose()
        .parse()
        .map_err(|_| RenderError::Recipient)?;
    let to = Mailbox::new(Some(one_line(c.contact.name.expose())), to_address);
    let from = match &from.name {
        Some(_) => from.clone(),
        None => Mailbox::new(Some(one_line(&c.branding.title)), from.email.clone()),
    };

    let text = SinglePart::plain(render_text(c)?);
    let html = SinglePart::html(render_html(c)?);
    let body = match &c.branding.logo {
        Some(Logo::Inline(logo)) => {
            let content_type =
                ContentType::parse(logo.mime().as_str()).map_err(|_| RenderError::LogoType)?;
            let image = Attachment::new_inline_with_name(
                LOGO_CONTENT_ID.to_string(),
                format!("logo.{}", logo.mime().extension()),
            )
            .body(logo.bytes().to_vec(), content_type);
            MultiPart::alternative()
                .singlepart(text)
                .multipart(MultiPart::related().singlepart(html).singlepart(image))
        }
        _ => MultiPart::alternative().singlepart(text).singlepart(html),
    };

    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(subject(c))
        .message_id(None)
        .raw_header(HeaderValue::new(REFERENCE, one_line(&c.reference)))
        .raw_header(HeaderValue::new(CREATED_AT, c.created_at.to_rfc3339()));
    if let Some(n) = c.incident_number {
        builder = builder.raw_header(HeaderValue::new(INCIDENT_NUMBER, n.to_string()));
    }
    Ok(builder.multipart(body)?)
}
