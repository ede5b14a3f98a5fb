//! Turns a [`Confirmation`] into a MIME message: text/plain and text/html alternatives, the HTML
//! from an askama template (auto-escaped), an inline logo as a CID attachment when configured.

use super::confirmation::{Confirmation, Language, Logo, Number, RequestDetails};
use askama::Template;
use platform::i18n::{Args, t, t_args};
use platform::mail::{Address, BuildError, InlineImage, Mailbox, Message, Parts, one_line};

/// The Content-ID of an inline logo, referenced from the HTML as `cid:logo`.
pub const LOGO_CONTENT_ID: &str = "logo";

/// Why a confirmation could not be turned into a message; retrying will not help.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the contact's e-mail address is not accepted by the mail library")]
    Recipient,
    #[error("template failed: {0}")]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Build(#[from] BuildError),
}

impl From<RenderError> for platform::mail::MailError {
    fn from(e: RenderError) -> Self {
        platform::mail::MailError::Permanent(e.to_string())
    }
}

/// The e-mail's texts in one language, from the catalogue (`platform::i18n`, `mail.ftl`).
pub(crate) struct Labels {
    pub number: String,
    pub reference: String,
    pub created: String,
    pub device: String,
    pub serial: String,
    pub model: String,
    pub location: String,
    pub request: String,
    pub issue: String,
    pub description: String,
    pub supplies: String,
    pub part_number: String,
    pub colorant: String,
    pub level: String,
    pub meters: String,
    pub meter_value: String,
    pub contact: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub not_given: String,
}

fn labels(l: Language, meters: bool, ticket: bool) -> Labels {
    Labels {
        number: t(
            l,
            match (meters, ticket) {
                (true, _) => "mail-number-meters",
                (false, true) => "mail-ticket-number",
                (false, false) => "mail-number",
            },
        ),
        reference: t(l, "mail-reference"),
        created: t(l, "mail-created"),
        device: t(l, "mail-device"),
        serial: t(l, "mail-serial"),
        model: t(l, "mail-model"),
        location: t(l, "mail-location"),
        request: t(l, "mail-request"),
        issue: t(l, "mail-issue"),
        description: t(l, "mail-description"),
        supplies: t(l, "mail-supplies"),
        part_number: t(l, "mail-part-number"),
        colorant: t(l, "mail-colorant"),
        level: t(l, "mail-level"),
        meters: t(l, "mail-meters"),
        meter_value: t(l, "mail-meter-value"),
        contact: t(l, "mail-contact"),
        name: t(l, "mail-name"),
        email: t(l, "mail-email"),
        phone: t(l, "mail-phone"),
        not_given: t(l, "mail-not-given"),
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
    l: Labels,
    lang: &'static str,
    title: &'a str,
    logo_src: Option<String>,
    heading: String,
    intro: String,
    number: Option<String>,
    reference: &'a str,
    created: String,
    serial: &'a str,
    model: String,
    location: String,
    issue: Option<&'a str>,
    description: Option<&'a str>,
    supplies: Vec<SupplyView>,
    meters: Vec<(String, String)>,
    name: &'a str,
    email: &'a str,
    phone: String,
    footer: String,
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
    let lang = c.language;
    let is_meters = matches!(c.request, RequestDetails::Meters { .. });
    let l = labels(lang, is_meters, matches!(c.number, Some(Number::Ticket(_))));
    let given = |value: Option<&str>| match value.map(str::trim) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => l.not_given.clone(),
    };
    let meters: Vec<(String, String)> = match &c.request {
        RequestDetails::Meters { meters } => meters
            .iter()
            .map(|(name, value)| {
                let value = i64::try_from(*value)
                    .map(|v| lang.integer(v))
                    .unwrap_or_else(|_| value.to_string());
                (name.clone(), value)
            })
            .collect(),
        _ => Vec::new(),
    };
    let (heading, issue, description, supplies) = match &c.request {
        RequestDetails::Meters { .. } => (t(lang, "mail-heading-meters"), None, None, Vec::new()),
        RequestDetails::Service { issue, description } => (
            t(lang, "mail-heading-service"),
            Some(issue.as_str()),
            Some(description.as_str()),
            Vec::new(),
        ),
        RequestDetails::Supply { supplies } => (
            t(lang, "mail-heading-supply"),
            None,
            None,
            supplies
                .iter()
                .map(|s| SupplyView {
                    description: s.description.clone(),
                    part_number: given(s.part_number.as_deref()),
                    colorant: given(
                        s.colorant
                            .as_deref()
                            .map(|c| platform::i18n::colorant_name(lang, c))
                            .as_deref(),
                    ),
                    level: s
                        .level_percent
                        .map(|p| lang.percent(u32::from(p)))
                        .unwrap_or_else(|| l.not_given.clone()),
                })
                .collect(),
        ),
    };
    let intro = if is_meters {
        t(lang, "mail-intro-meters")
    } else if c.number.is_some() {
        t(lang, "mail-intro")
    } else {
        t(lang, "mail-intro-pending")
    };
    let quote = t(
        lang,
        if is_meters {
            "mail-quote-meters"
        } else {
            "mail-quote"
        },
    );
    let sent_by = t_args(
        lang,
        "mail-sent-by",
        &Args::new().text("sender", c.branding.title.as_str()),
    );
    View {
        lang: lang.code(),
        title: &c.branding.title,
        logo_src: c.branding.logo.as_ref().map(|logo| match logo {
            Logo::Url(url) => url.as_str().to_string(),
            Logo::Inline(_) => format!("cid:{LOGO_CONTENT_ID}"),
        }),
        heading,
        intro,
        number: c.number.as_ref().map(ToString::to_string),
        reference: &c.reference,
        created: lang.date_time_utc(c.created_at),
        serial: c.device.serial.as_str(),
        model: given(Some(&c.device.model)),
        location: given(c.device.location.as_deref()),
        issue,
        description,
        supplies,
        meters,
        name: c.contact.name.expose(),
        email: c.contact.email.expose(),
        phone: given(c.contact.phone.as_ref().map(|p| p.expose())),
        footer: format!("{sent_by} {quote}"),
        l,
    }
}

/// The subject, e.g. `SR-2026-000123: your service request for XRX123 (AltaLink C8055)`; the
/// model in brackets only when it is known.
pub fn subject(c: &Confirmation) -> String {
    let id = match c.request {
        RequestDetails::Service { .. } => "mail-subject-service",
        RequestDetails::Supply { .. } => "mail-subject-supply",
        RequestDetails::Meters { .. } => "mail-subject-meters",
    };
    let model = c.device.model.trim();
    let device = if model.is_empty() {
        c.device.serial.to_string()
    } else {
        format!("{} ({model})", c.device.serial)
    };
    let what = t_args(c.language, id, &Args::new().text("device", device));
    one_line(&format!("{}: {what}", c.identifier()))
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

    let inline_image = match &c.branding.logo {
        Some(Logo::Inline(logo)) => Some(InlineImage {
            content_id: LOGO_CONTENT_ID.to_string(),
            file_name: format!("logo.{}", logo.mime().extension()),
            mime: logo.mime().as_str().to_string(),
            bytes: logo.bytes().to_vec(),
        }),
        _ => None,
    };
    Ok(platform::mail::build(Parts {
        from,
        to: vec![to],
        subject: subject(c),
        text: render_text(c)?,
        html: render_html(c)?,
        reference: c.reference.clone(),
        created_at: c.created_at,
        number: match &c.number {
            Some(n @ (Number::Incident(_) | Number::MeterRead(_))) => Some(n.to_string()),
            _ => None,
        },
        inline_image,
    })?)
}
