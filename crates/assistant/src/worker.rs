//! Delivery without loss: every acknowledged submission in the outbox goes to the Services Manager
//! (idempotent there, keyed by the submission id), then its confirmation e-mail goes out, then its
//! contact details are deleted. Failures are retried with backoff; a lease keeps two workers (or the
//! request that just wrote it) from working on the same submission at once.

use std::sync::Arc;
use std::time::Duration;

use gallery::seal::SealingKeyring;
use manager::api::types::ContactBody;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::mail::{self, MailError, MailTransport, Mailbox};
use crate::service::{ManagerDirectory, Payload, incident_request, meter_request};
use crate::store::{OutboxStore, Submission, SubmissionKind, SubmissionState};

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// In the Services Manager under this number.
    Delivered(String),
    /// Not yet; it stays in the outbox and is tried again.
    Queued,
    /// The Services Manager refused it for good.
    Refused(String),
}

pub struct Delivery {
    pub store: Arc<dyn OutboxStore>,
    pub managers: ManagerDirectory,
    pub contact_keys: Arc<SealingKeyring>,
    pub mail: Option<Arc<dyn MailTransport>>,
    pub mail_from: Mailbox,
    pub clock: Arc<dyn Clock>,
    pub wake: Notify,
    /// How long a claim holds before another worker may take the submission.
    pub lease: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Delivery {
    /// Starts delivering a submission the caller has just written (and holds the lease of).
    pub fn deliver_now(self: Arc<Self>, submission: Submission) -> JoinHandle<Outcome> {
        tokio::spawn(async move { self.process(submission).await })
    }

    fn backoff(&self, attempts: i64) -> chrono::Duration {
        let secs = 2u64
            .saturating_pow(u32::try_from(attempts.clamp(0, 16)).unwrap_or(16))
            .min(self.max_backoff.as_secs().max(1));
        chrono::Duration::seconds(i64::try_from(secs).unwrap_or(300))
    }

    fn open_contact(&self, s: &Submission) -> Option<ContactBody> {
        s.contact_sealed
            .as_deref()
            .and_then(|blob| self.contact_keys.unseal::<ContactBody>(blob).ok())
    }

    /// One pass over one submission: deliver if pending, then mail if delivered.
    pub async fn process(&self, s: Submission) -> Outcome {
        let mut s = s;
        if s.state == SubmissionState::Pending {
            match self.deliver(&s).await {
                Ok(number) => {
                    if let Err(e) = self.store.record_delivery(s.id, &number).await {
                        tracing::error!(reference = %s.reference, error = %e, "recording a delivery failed; it will be delivered again (idempotent)");
                        return Outcome::Queued;
                    }
                    tracing::info!(reference = %s.reference, incident = %number, "delivered to the Services Manager");
                    s.incident_number = Some(number);
                    s.state = if s.send_mail {
                        SubmissionState::Delivered
                    } else {
                        SubmissionState::Done
                    };
                }
                Err(DeliverError::Retry(reason)) => {
                    let at = self.clock.now() + self.backoff(s.attempts);
                    tracing::warn!(reference = %s.reference, attempts = s.attempts + 1, %reason, "Services Manager not reached; will retry");
                    let _ = self.store.retry_later(s.id, at, &reason).await;
                    return Outcome::Queued;
                }
                Err(DeliverError::Refused(reason)) => {
                    tracing::error!(reference = %s.reference, %reason, "the Services Manager refused a submission");
                    let _ = self.store.record_failure(s.id, &reason).await;
                    return Outcome::Refused(reason);
                }
            }
        }
        let number = s.incident_number.clone().unwrap_or_default();
        if s.state == SubmissionState::Delivered {
            match self.send_confirmation(&s).await {
                Ok(()) => {
                    let _ = self.store.record_done(s.id).await;
                }
                Err(MailError::Transient(reason)) => {
                    let at = self.clock.now() + self.backoff(s.attempts);
                    tracing::warn!(reference = %s.reference, %reason, "confirmation e-mail not sent; will retry");
                    let _ = self.store.retry_later(s.id, at, &reason).await;
                }
                Err(MailError::Permanent(reason)) => {
                    tracing::error!(reference = %s.reference, %reason, "confirmation e-mail refused; contact details deleted");
                    let _ = self.store.record_done(s.id).await;
                }
            }
        }
        Outcome::Delivered(number)
    }

    async fn deliver(&self, s: &Submission) -> Result<String, DeliverError> {
        let payload: Payload = serde_json::from_value(s.payload.clone())
            .map_err(|e| DeliverError::Refused(format!("stored payload unreadable: {e}")))?;
        let client = self
            .managers
            .for_tenant(&s.tenant)
            .map_err(|e| DeliverError::Retry(e.to_string()))?;
        let key = s.id.to_string();
        let result = match s.kind {
            SubmissionKind::ServiceIncident | SubmissionKind::SupplyIncident => {
                let contact = self.open_contact(s).ok_or_else(|| {
                    DeliverError::Refused("the contact details cannot be opened".into())
                })?;
                client
                    .create_incident(&key, &incident_request(s, &payload, contact))
                    .await
                    .map(|i| i.number)
            }
            SubmissionKind::MeterRead => client
                .record_meter_read(&s.device_serial, &key, &meter_request(s, &payload))
                .await
                .map(|r| r.id.to_string()),
        };
        result.map_err(|e| {
            if e.is_retryable() {
                DeliverError::Retry(e.to_string())
            } else {
                DeliverError::Refused(e.to_string())
            }
        })
    }

    async fn send_confirmation(&self, s: &Submission) -> Result<(), MailError> {
        let Some(transport) = &self.mail else {
            return Ok(());
        };
        let Some(contact) = self.open_contact(s) else {
            return Ok(());
        };
        let payload: Payload = serde_json::from_value(s.payload.clone())
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        let confirmation =
            crate::confirmation::build(s, &payload, &contact).map_err(MailError::Permanent)?;
        let message = mail::render(&confirmation, &self.mail_from)
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        transport.send(&message).await
    }

    /// Drains the outbox until the task is aborted: claims due submissions, processes them, sleeps
    /// until woken or a second passes.
    pub fn spawn_worker(self: Arc<Self>) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let claimed = match self.store.claim_due(self.clock.now(), self.lease, 32).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "claiming from the outbox failed");
                        Vec::new()
                    }
                };
                if claimed.is_empty() {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
                    continue;
                }
                let mut tasks = Vec::with_capacity(claimed.len());
                for s in claimed {
                    let me = self.clone();
                    tasks.push(tokio::spawn(async move { me.process(s).await }));
                }
                for t in tasks {
                    let _ = t.await;
                }
            }
        })
    }
}

enum DeliverError {
    Retry(String),
    Refused(String),
}
