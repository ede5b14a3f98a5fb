//! E-mail notifications (issue 13): the events of [`super::notify`] e-mailed to the partner's
//! notification addresses, in each address's language (texts `notify-*` of `mail.ftl`).
//!
//! Delivery goes through `mail_outbox` ([`super::mail_store`]): a [`MailNotifier`] (one per
//! manager instance, every few seconds in `serve manager`) claims one due row at a time under a
//! lease, sends it through the one mailer (`platform::mail`: SMTP, SendGrid or a folder) within a
//! third of the lease, and records the server's acceptance by id alone, so several instances
//! never send a message twice (see `mail_store`). Temporary failures are retried after
//! [`super::notify::BACKOFF`]; permanent ones (a 5xx reply) are given up and logged.
//!
//! What a message shows is the event's data (never contact details of the person at a device):
//! device serial, incident number and status, supply, level and forecast, alert condition.
//! Addresses are never logged: logs name the outbox row and the recipient's id.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use platform::escape::xml_escape;
use platform::i18n::{Args, Locale, t, t_args};
use platform::mail::{MailTransport, Mailbox, Message, Parts};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

use super::mail_store::{MailItem, MailView, RecipientView};
use super::notify::{BACKOFF, WebhookEvent, events};
use super::rules_store::AttemptOutcome;
use crate::api::error::ApiError;
use crate::api::types::{FieldProblem, Problem};
use crate::api::{ApiJson, ApiPartner};
use crate::app::AppState;
use crate::clock::Clock;
use crate::domain::EmailAddress;
use crate::storage::{Result, Storage};

/// How long a sender holds a claimed message; it sends within a third of it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(90);

/// At most this many notification addresses per partner.
pub const MAX_RECIPIENTS: usize = 20;

/// Where the manager's notification e-mails go and who they come from (`serve manager --mail`).
#[derive(Clone)]
pub struct MailConfig {
    pub transport: Arc<dyn MailTransport>,
    pub from: Mailbox,
}

/// Sends what the mail outbox holds. One per manager instance.
#[derive(Clone)]
pub struct MailNotifier {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub mail: MailConfig,
    pub lease: Duration,
}

impl MailNotifier {
    pub fn new(store: Arc<dyn Storage>, clock: Arc<dyn Clock>, mail: MailConfig) -> Self {
        Self {
            store,
            clock,
            mail,
            lease: DEFAULT_LEASE,
        }
    }

    /// Sends due messages one by one (at most `limit`); returns how many the server accepted.
    pub async fn run_once(&self, limit: usize) -> Result<usize> {
        let mut sent = 0;
        for _ in 0..limit {
            let token = Uuid::new_v4().to_string();
            let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(90));
            let Some(item) = self
                .store
                .claim_mail(self.clock.now() + lease, &token)
                .await?
            else {
                break;
            };
            if self.attempt(&item).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    async fn attempt(&self, item: &MailItem) -> Result<bool> {
        let result = match render(item, &self.mail.from) {
            Ok(message) => {
                // Within a third of the lease: no other sender can claim the row meanwhile.
                match tokio::time::timeout(self.lease / 3, self.mail.transport.send(&message)).await
                {
                    Ok(r) => r,
                    Err(_) => Err(platform::mail::MailError::Transient(format!(
                        "no answer within {} s",
                        (self.lease / 3).as_secs()
                    ))),
                }
            }
            Err(e) => Err(platform::mail::MailError::Permanent(e)),
        };
        match result {
            Ok(()) => {
                self.store.mail_sent(item.id).await?;
                tracing::info!(outbox = %item.id, recipient = %item.recipient_id, event = %item.event_type, "notification e-mail sent");
                Ok(true)
            }
            Err(e) => {
                let now = self.clock.now();
                let outcome = match BACKOFF.get(item.attempts as usize) {
                    Some(wait) if e.is_transient() => {
                        AttemptOutcome::RetryAt(now + chrono::Duration::seconds(*wait))
                    }
                    _ => AttemptOutcome::GiveUp,
                };
                let error = platform::mail::scrub_addresses(&e.to_string());
                self.store
                    .mail_not_sent(item.id, &item.claim_token, &error, outcome)
                    .await?;
                tracing::warn!(outbox = %item.id, recipient = %item.recipient_id, attempt = item.attempts + 1,
                    gave_up = outcome == AttemptOutcome::GiveUp, error = %error, "notification e-mail not sent");
                Ok(false)
            }
        }
    }

    /// Sends every `every` until the task is dropped.
    pub async fn run_forever(self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = self.run_once(200).await {
                tracing::warn!(error = %e, "notification mail sender failed");
            }
        }
    }
}

/// The message key of an event type (`incident.status_changed` → `incident-status-changed`).
fn key(event_type: &str) -> String {
    event_type.replace(['.', '_'], "-")
}

fn status_text(l: Locale, status: &str) -> String {
    t(l, &format!("panel-status-{status}"))
}

/// The rows of the message: label and value, in the recipient's language.
fn rows(l: Locale, e: &WebhookEvent) -> Vec<(String, String)> {
    let d = &e.data;
    let mut rows = vec![
        (
            t(l, "notify-event"),
            t(l, &format!("notify-event-{}", key(&e.event_type))),
        ),
        (t(l, "notify-occurred"), l.date_time_utc(e.occurred_at)),
    ];
    let mut push = |label: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            rows.push((t(l, label), v));
        }
    };
    push("notify-device", d.device_serial.clone());
    push("notify-incident", d.incident_number.clone());
    push(
        "notify-status",
        d.incident_status.as_deref().map(|s| status_text(l, s)),
    );
    push(
        "notify-source",
        d.source.as_deref().map(|s| match s {
            "automatic" => t(l, "notify-source-automatic"),
            _ => t(l, "notify-source-walk-up"),
        }),
    );
    push("notify-supply", d.supply.clone());
    push("notify-level", d.percent.map(|p| l.percent(u32::from(p))));
    push("notify-days-left", d.days_left.map(|n| l.number(n, 1)));
    push(
        "notify-predicted",
        d.predicted_date.map(|p| l.date(p.date_naive())),
    );
    push("notify-since", d.since.map(|s| l.date_time_utc(s)));
    push("notify-agent", d.agent_id.map(|a| a.to_string()));
    if e.event_type.starts_with("alert.") {
        push("notify-condition", d.condition.clone());
        push("notify-details", Some(d.detail.clone()));
    }
    rows
}

/// The subject of an event's e-mail.
pub fn subject(l: Locale, e: &WebhookEvent) -> String {
    let d = &e.data;
    let args = Args::new()
        .text("number", d.incident_number.clone().unwrap_or_default())
        .text("device", d.device_serial.clone().unwrap_or_default())
        .text(
            "status",
            d.incident_status
                .as_deref()
                .map(|s| status_text(l, s))
                .unwrap_or_default(),
        );
    t_args(l, &format!("notify-subject-{}", key(&e.event_type)), &args)
}

/// The text and HTML bodies of an event's e-mail.
pub fn bodies(l: Locale, e: &WebhookEvent) -> (String, String) {
    let rows = rows(l, e);
    let intro = t(l, "notify-intro");
    let footer = t(l, "notify-footer");
    let mut text = format!("{intro}\n\n");
    for (label, value) in &rows {
        text.push_str(&format!("{label}: {value}\n"));
    }
    text.push_str(&format!("\n{footer}\n"));
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;max-width:640px\"><p>{}</p>\
         <table style=\"table-layout:fixed;width:100%;border-collapse:collapse\">",
        l.code(),
        xml_escape(&subject(l, e)),
        xml_escape(&intro)
    );
    for (label, value) in &rows {
        html.push_str(&format!(
            "<tr><th style=\"text-align:left;width:35%;padding:4px;vertical-align:top\">{}</th>\
             <td style=\"padding:4px;overflow-wrap:anywhere;word-break:break-word\">{}</td></tr>",
            xml_escape(label),
            xml_escape(value)
        ));
    }
    html.push_str(&format!(
        "</table><p style=\"color:#555;font-size:small\">{}</p></body></html>",
        xml_escape(&footer)
    ));
    (text, html)
}

/// The message for one outbox row. The outbox row's id is the message's reference (the
/// `X-Support-Reference` header, the folder transport's file name).
pub fn render(item: &MailItem, from: &Mailbox) -> std::result::Result<Message, String> {
    let event: WebhookEvent = serde_json::from_str(&item.body)
        .map_err(|e| format!("the stored event cannot be read: {e}"))?;
    let l = Locale::from_tag(&item.language).unwrap_or_default();
    let to: Mailbox = item
        .address
        .expose()
        .parse()
        .map_err(|_| "the notification address is not accepted by the mail library".to_string())?;
    let (text, html) = bodies(l, &event);
    platform::mail::build(Parts {
        from: from.clone(),
        to: vec![to],
        subject: subject(l, &event),
        text,
        html,
        reference: item.id.to_string(),
        created_at: event.occurred_at,
        number: event.data.incident_number.clone(),
        inline_image: None,
    })
    .map_err(|e| e.to_string())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/notification-emails",
            get(list_recipients).post(create_recipient),
        )
        .route(
            "/api/v1/notification-emails/{id}",
            delete(delete_recipient),
        )
        .route("/api/v1/notification-emails-log", get(list_mail))
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateRecipientRequest {
    /// Where the e-mails go.
    pub address: String,
    /// en, de, fr, it or es (default en).
    #[serde(default)]
    pub language: Option<String>,
    /// The event types to send; absent or empty: all of them.
    #[serde(default)]
    pub events: Vec<String>,
}

impl CreateRecipientRequest {
    /// The address, language and event types, checked.
    pub fn validate(
        &self,
    ) -> std::result::Result<(EmailAddress, Locale, Vec<String>), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let address = EmailAddress::parse(&self.address)
            .map_err(|e| problems.push(FieldProblem {
                field: "address".into(),
                detail: e.to_string(),
            }))
            .ok();
        let language = match self.language.as_deref().map(str::trim) {
            None | Some("") => Some(Locale::En),
            Some(code) => {
                let l = Locale::ALL.into_iter().find(|l| l.code() == code);
                if l.is_none() {
                    problems.push(FieldProblem {
                        field: "language".into(),
                        detail: "must be one of en, de, fr, it, es".into(),
                    });
                }
                l
            }
        };
        for e in &self.events {
            if !events::ALL.contains(&e.as_str()) {
                problems.push(FieldProblem {
                    field: "events".into(),
                    detail: format!("{e:?} is not one of {}", events::ALL.join(", ")),
                });
            }
        }
        match (address, language) {
            (Some(a), Some(l)) if problems.is_empty() => {
                let mut evs = self.events.clone();
                evs.sort();
                evs.dedup();
                Ok((a, l, evs))
            }
            _ => Err(problems),
        }
    }
}

/// Adds a notification address: the partner's events (those in `events`, or all) are e-mailed
/// to it in its language, through an outbox with retries (30 s, 2 min, 10 min, 30 min, 2 h,
/// 6 h, 12 h, 24 h). The e-mails carry what the webhooks carry (`WebhookEvent`), never
/// contact details of the person at a device.
#[utoipa::path(post, path = "/api/v1/notification-emails", security(("api_key" = [])),
    request_body = CreateRecipientRequest,
    responses((status = 201, body = RecipientView), (status = 422, body = Problem), (status = 401, body = Problem)))]
pub async fn create_recipient(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    ApiJson(req): ApiJson<CreateRecipientRequest>,
) -> std::result::Result<(StatusCode, Json<RecipientView>), ApiError> {
    let (address, language, evs) = req.validate().map_err(ApiError::Validation)?;
    if st.store.list_recipients(p).await?.len() >= MAX_RECIPIENTS {
        return Err(ApiError::Validation(vec![FieldProblem {
            field: "address".into(),
            detail: format!("at most {MAX_RECIPIENTS} notification addresses per partner"),
        }]));
    }
    let view = st
        .store
        .create_recipient(p, &address, language.code(), &evs)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The partner's notification addresses.
#[utoipa::path(get, path = "/api/v1/notification-emails", security(("api_key" = [])),
    responses((status = 200, body = Vec<RecipientView>), (status = 401, body = Problem)))]
pub async fn list_recipients(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
) -> std::result::Result<Json<Vec<RecipientView>>, ApiError> {
    Ok(Json(st.store.list_recipients(p).await?))
}

/// Removes a notification address; what it had not received yet is not sent.
#[utoipa::path(delete, path = "/api/v1/notification-emails/{id}", security(("api_key" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_recipient(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
    Path(id): Path<String>,
) -> std::result::Result<StatusCode, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("notification address"))?;
    st.store.delete_recipient(p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The partner's notification e-mails (newest first, the last 200): state, attempts, last error.
#[utoipa::path(get, path = "/api/v1/notification-emails-log", security(("api_key" = [])),
    responses((status = 200, body = Vec<MailView>), (status = 401, body = Problem)))]
pub async fn list_mail(
    State(st): State<AppState>,
    ApiPartner(p): ApiPartner,
) -> std::result::Result<Json<Vec<MailView>>, ApiError> {
    Ok(Json(st.store.list_mail(p, 200).await?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_recipient, list_recipients, delete_recipient, list_mail),
    components(schemas(CreateRecipientRequest, RecipientView, MailView))
)]
pub struct NotificationEmailsApiDoc;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::notify::EventData;
    use chrono::DateTime;

    fn event(event_type: &str) -> WebhookEvent {
        WebhookEvent {
            id: Uuid::nil(),
            event_type: event_type.into(),
            occurred_at: DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
            data: EventData {
                device_serial: Some("SN<1>".into()),
                incident_number: Some("SR-2026-000001".into()),
                incident_status: Some("acknowledged".into()),
                supply: Some("Black Toner".into()),
                percent: Some(9),
                detail: "paper jam".into(),
                condition: Some("alert/SN1/jam/mediaPath/1".into()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn every_event_has_a_subject_and_name_in_every_language() {
        for l in Locale::ALL {
            for e in events::ALL {
                let s = subject(l, &event(e));
                assert!(!s.contains("[missing"), "{l:?} {e}: {s}");
                let (text, html) = bodies(l, &event(e));
                assert!(!text.contains("[missing") && !html.contains("[missing"), "{l:?} {e}");
                assert!(html.contains("SN&lt;1&gt;"), "escaped: {html}");
            }
        }
        assert_eq!(
            subject(Locale::De, &event(events::INCIDENT_STATUS_CHANGED)),
            "SR-2026-000001: der Vorgang ist jetzt Angenommen"
        );
    }
}
