//! SendGrid v3: `POST {base_url}/v3/mail/send` with a Bearer API key and a typed JSON body
//! built from the rendered message (subject, from, to, text and HTML, inline logo).

use super::headers::reference;
use super::scrub_reply as scrub;
use super::{MailError, MailTransport};
use base64::Engine;
use lettre::Message;
use mail_parser::{MessageParser, MimeHeaders};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// The request body of `POST /v3/mail/send` (the part of it this service uses).
pub mod wire {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct MailSend {
        pub personalizations: Vec<Personalization>,
        pub from: EmailName,
        pub subject: String,
        /// `text/plain` first, then `text/html`, as SendGrid requires.
        pub content: Vec<Content>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub attachments: Vec<Attachment>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Personalization {
        pub to: Vec<EmailName>,
    }

    #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct EmailName {
        pub email: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
    }

    impl std::fmt::Debug for EmailName {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("EmailName([redacted])")
        }
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Content {
        #[serde(rename = "type")]
        pub mime: String,
        pub value: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Attachment {
        /// Base64 of the bytes.
        pub content: String,
        #[serde(rename = "type")]
        pub mime: String,
        pub filename: String,
        pub disposition: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub content_id: Option<String>,
    }

    /// SendGrid's error answer: `{"errors":[{"message":…,"field":…}]}`.
    #[derive(Debug, Clone, Default, Deserialize)]
    pub struct ErrorBody {
        #[serde(default)]
        pub errors: Vec<ErrorItem>,
    }

    #[derive(Debug, Clone, Deserialize)]
    pub struct ErrorItem {
        #[serde(default)]
        pub message: Option<String>,
        #[serde(default)]
        pub field: Option<String>,
    }
}

pub struct SendGridTransport {
    client: reqwest::Client,
    endpoint: String,
    api_key: SecretString,
}

impl SendGridTransport {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.sendgrid.com";

    /// `base_url` without a trailing slash, e.g. `https://api.sendgrid.com`.
    pub fn new(
        base_url: &str,
        api_key: SecretString,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            endpoint: format!("{}/v3/mail/send", base_url.trim_end_matches('/')),
            api_key,
        })
    }
}

/// Builds SendGrid's body from the RFC 5322 bytes of a rendered message.
pub fn body_from_message(message: &Message) -> Result<wire::MailSend, MailError> {
    let bytes = message.formatted();
    let parsed = MessageParser::default()
        .parse(&bytes)
        .ok_or_else(|| MailError::Permanent("sendgrid: message cannot be parsed".into()))?;
    let address = |a: &mail_parser::Addr<'_>| {
        a.address().map(|email| wire::EmailName {
            email: email.to_string(),
            name: a.name().map(str::to_string),
        })
    };
    let from = parsed
        .from()
        .and_then(|f| f.first())
        .and_then(address)
        .ok_or_else(|| MailError::Permanent("sendgrid: message has no From".into()))?;
    let to: Vec<wire::EmailName> = parsed
        .to()
        .map(|t| t.iter().filter_map(address).collect())
        .unwrap_or_default();
    if to.is_empty() {
        return Err(MailError::Permanent("sendgrid: message has no To".into()));
    }
    let mut content = Vec::new();
    if let Some(text) = parsed.body_text(0) {
        content.push(wire::Content {
            mime: "text/plain".into(),
            value: text.into_owned(),
        });
    }
    if let Some(html) = parsed.body_html(0) {
        content.push(wire::Content {
            mime: "text/html".into(),
            value: html.into_owned(),
        });
    }
    if content.is_empty() {
        return Err(MailError::Permanent("sendgrid: message has no body".into()));
    }
    let attachments = parsed
        .attachments()
        .map(|part| {
            let mime = part
                .content_type()
                .map(|ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()),
                    None => ct.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            let content_id = part
                .content_id()
                .map(|id| id.trim_matches(['<', '>']).to_string());
            wire::Attachment {
                content: base64::engine::general_purpose::STANDARD.encode(part.contents()),
                mime,
                filename: part.attachment_name().unwrap_or("attachment").to_string(),
                disposition: if content_id.is_some() {
                    "inline".into()
                } else {
                    "attachment".into()
                },
                content_id,
            }
        })
        .collect();
    Ok(wire::MailSend {
        personalizations: vec![wire::Personalization { to }],
        from,
        subject: parsed.subject().unwrap_or_default().to_string(),
        content,
        attachments,
    })
}

/// SendGrid's error messages joined, or the start of the raw answer.
fn error_text(body: &str) -> String {
    let parsed: wire::ErrorBody = serde_json::from_str(body).unwrap_or_default();
    let messages: Vec<String> = parsed
        .errors
        .iter()
        .filter_map(|e| {
            e.message.as_ref().map(|m| match &e.field {
                Some(field) => format!("{field}: {m}"),
                None => m.clone(),
            })
        })
        .collect();
    if messages.is_empty() {
        body.chars().take(300).collect()
    } else {
        messages.join("; ")
    }
}

#[async_trait::async_trait]
impl MailTransport for SendGridTransport {
    async fn send(&self, message: &Message) -> Result<(), MailError> {
        let reference = reference(message);
        let body = body_from_message(message)?;
        let result = self
            .client
            .post(&self.endpoint)
            .bearer_auth(self.api_key.expose_secret())
            .json(&body)
            .send()
            .await;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                let error = MailError::Transient(format!(
                    "sendgrid: request failed: {}",
                    scrub(message, &e.to_string())
                ));
                tracing::warn!(%reference, transport = "sendgrid", error = %error, "e-mail not sent");
                return Err(error);
            }
        };
        let status = response.status();
        if status.is_success() {
            tracing::info!(%reference, transport = "sendgrid", status = status.as_u16(), "e-mail sent");
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let detail = scrub(message, &error_text(&text));
        let error = if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            MailError::Transient(format!("sendgrid answered {status}: {detail}"))
        } else {
            MailError::Permanent(format!("sendgrid answered {status}: {detail}"))
        };
        tracing::warn!(%reference, transport = "sendgrid", status = status.as_u16(), transient = error.is_transient(), error = %error, "e-mail not sent");
        Err(error)
    }

    fn name(&self) -> &'static str {
        "sendgrid"
    }
}
