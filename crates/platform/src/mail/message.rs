//! Building a message: text/plain and text/html alternatives (the HTML in multipart/related with
//! an inline image when there is one), and the headers transports read ([`super::headers`]).

use super::headers::{CREATED_AT, INCIDENT_NUMBER, REFERENCE};
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{ContentType, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

/// Why a message could not be built; retrying will not help.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("message could not be built: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("image type is not a valid MIME type")]
    ImageType,
}

/// An image the HTML shows as `cid:<content_id>`.
#[derive(Debug, Clone)]
pub struct InlineImage {
    pub content_id: String,
    pub file_name: String,
    /// Such as `image/png`.
    pub mime: String,
    pub bytes: Vec<u8>,
}

/// What a message consists of. `subject` is put on one line; `reference` (never personal
/// data) names the message in logs, file names and tests; `number` is the incident's or meter
/// read's number when there is one.
#[derive(Debug, Clone)]
pub struct Parts {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub reference: String,
    pub created_at: DateTime<Utc>,
    pub number: Option<String>,
    pub inline_image: Option<InlineImage>,
}

/// A header value on one line: control characters become spaces, runs of spaces collapse.
pub fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The MIME message of `parts`: multipart/alternative with text/plain and text/html.
pub fn build(parts: Parts) -> Result<Message, BuildError> {
    let text = SinglePart::plain(parts.text);
    let html = SinglePart::html(parts.html);
    let body = match parts.inline_image {
        Some(image) => {
            let content_type = ContentType::parse(&image.mime).map_err(|_| BuildError::ImageType)?;
            let image = Attachment::new_inline_with_name(image.content_id, image.file_name)
                .body(image.bytes, content_type);
            MultiPart::alternative()
                .singlepart(text)
                .multipart(MultiPart::related().singlepart(html).singlepart(image))
        }
        None => MultiPart::alternative().singlepart(text).singlepart(html),
    };
    let mut builder = Message::builder()
        .from(parts.from)
        .subject(one_line(&parts.subject))
        .message_id(None)
        .raw_header(HeaderValue::new(REFERENCE, one_line(&parts.reference)))
        .raw_header(HeaderValue::new(CREATED_AT, parts.created_at.to_rfc3339()));
    for to in parts.to {
        builder = builder.to(to);
    }
    if let Some(n) = parts.number {
        builder = builder.raw_header(HeaderValue::new(INCIDENT_NUMBER, one_line(&n)));
    }
    Ok(builder.multipart(body)?)
}
