//! Delivery without loss: every acknowledged submission in the outbox goes to the Services Manager
//! (idempotent there, keyed by the submission id), then its confirmation e-mail goes out, then its
//! contact details are deleted. Failures are retried with backoff; a lease keeps two workers (or the
//! request that just wrote it) from working on the same submission at once.

use std::sync::Arc;
use std::time::Duration;

use platform::keyring::Keyring as SealingKeyring;
use proto::manager::ContactBody;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::mail::{self, MailError, MailTransport, Mailbox};
use crate::rules::Payload;
use crate::rules::incidents::incident_request;
use crate::rules::meters::meter_request;
use crate::service::ManagerDirectory;
use crate::store::{Claim, OutboxStore, Submission, SubmissionKind, SubmissionState};

/// Acknowledged submissions the Services Manager refused (labelled `kind`): each one is a bug.
pub const REFUSED_TOTAL: &str = "assistant_outbox_refused_total";
/// Confirmations a mail server took (answered 250 / 2xx).
pub const MAIL_SENT_TOTAL: &str = "assistant_confirmations_sent_total";
/// Notices about a refused submission a mail server took (to the partner's support address).
pub const NOTICES_SENT_TOTAL: &str = "assistant_refusal_notices_sent_total";
/// Confirmations a mail server refused for good.
pub const MAIL_REFUSED_TOTAL: &str = "assistant_confirmations_refused_total";

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// In the Services Manager under this number.
    Delivered(String),
    /// Not yet; it stays in the outbox and is tried again.
    Queued,
    /// The Services Manager refused it for good.
    Refused(Refusal),
}

/// Why the Services Manager refused a submission for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The manager's answer in words, scrubbed of anything address-like.
    pub reason: String,
    /// The manager's problem+json (field problems by the `proto` rules), when it sent one.
    pub problem: Option<Box<proto::Problem>>,
}

/// Which letter a claimed row still owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Letter {
    /// The confirmation to the person (`delivered → done`).
    Confirmation,
    /// The notice to the partner about a refused submission (`refusal_notice_due → refused`).
    RefusalNotice,
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
    /// How long a confirmation under the help-desk override waits (from the acknowledgement) for
    /// the partner's ticket number; after that it goes out with the incident number.
    pub help_desk_wait: Duration,
}

/// The default of [`Delivery::help_desk_wait`]: a help desk that answers its webhook at all
/// does so within minutes, and the person should not wait longer for their confirmation.
pub const HELP_DESK_WAIT: Duration = Duration::from_secs(10 * 60);

impl Delivery {
    /// Starts delivering a submission the caller has just written (and holds the claim of). The
    /// receiver gets the outcome once the Services Manager answered; the confirmation e-mail then
    /// goes out under the same claim, so a slow mail server does not hold the answer. A refusal
    /// goes to the receiver while it still waits (the caller then withdraws the submission and
    /// tells the person why); once nobody waits, it is recorded as a refused acknowledged row.
    pub fn deliver_now(self: Arc<Self>, submission: Submission) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        tokio::spawn(async move {
            if let Some((s, claim, letter)) = self.deliver_step(submission, Some(tx)).await {
                self.mail_step(&s, claim, letter).await;
            }
        });
        rx
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

    /// One pass over one submission the caller holds a claim on: deliver if `accepted`, then mail
    /// if `delivered` (or tell the partner if `refusal_notice_due`). Each step is committed under
    /// the claim before the next starts; a lost claim (another worker took over after the lease
    /// ran out) stops the pass.
    pub async fn process(&self, s: Submission) {
        if let Some((s, claim, letter)) = self.deliver_step(s, None).await {
            self.mail_step(&s, claim, letter).await;
        }
    }

    /// `accepted → delivered` (when the row is `accepted`). The outcome goes to `waiting` when a
    /// request waits for it. Returns the letter still owed under the claim, if any.
    async fn deliver_step(
        &self,
        s: Submission,
        waiting: Option<oneshot::Sender<Outcome>>,
    ) -> Option<(Submission, Claim, Letter)> {
        let mut s = s;
        let tell = |waiting: Option<oneshot::Sender<Outcome>>, outcome: Outcome| {
            if let Some(tx) = waiting {
                let _ = tx.send(outcome);
            }
        };
        let Some(claim) = s.claim else {
            tracing::error!(reference = %s.reference, "a submission was processed without a claim; skipped");
            tell(waiting, Outcome::Queued);
            return None;
        };
        if s.state == SubmissionState::RefusalNoticeDue {
            tell(waiting, Outcome::Queued);
            return Some((s, claim, Letter::RefusalNotice));
        }
        if s.state == SubmissionState::Accepted {
            match self.deliver(&s).await {
                Ok(number) => match self.store.record_delivery(s.id, claim.token, &number).await {
                    Ok(true) => {
                        tracing::info!(reference = %s.reference, incident = %number, "delivered to the Services Manager");
                        s.incident_number = Some(number);
                        s.state = if s.send_mail {
                            SubmissionState::Delivered
                        } else {
                            SubmissionState::Done
                        };
                    }
                    Ok(false) => {
                        tracing::warn!(reference = %s.reference, "claim lost before the delivery was recorded; the new holder goes on (the manager is idempotent)");
                        tell(waiting, Outcome::Queued);
                        return None;
                    }
                    Err(e) => {
                        tracing::error!(reference = %s.reference, error = %e, "recording a delivery failed; it will be delivered again (idempotent)");
                        tell(waiting, Outcome::Queued);
                        return None;
                    }
                },
                Err(DeliverError::Retry(reason)) => {
                    let at = self.clock.now() + self.backoff(s.attempts);
                    tracing::warn!(reference = %s.reference, attempts = s.attempts + 1, reason = %mail::scrub_addresses(&reason), "Services Manager not reached; will retry");
                    let _ = self
                        .store
                        .retry_later(s.id, claim.token, at, &mail::scrub_addresses(&reason))
                        .await;
                    tell(waiting, Outcome::Queued);
                    return None;
                }
                Err(DeliverError::Refused(refusal)) => {
                    // A request still waits: it is told, withdraws the row and answers 4xx, so
                    // nothing was acknowledged. Otherwise the refusal is recorded.
                    let refusal = match waiting.map(|tx| tx.send(Outcome::Refused(refusal.clone())))
                    {
                        Some(Ok(())) => return None,
                        _ => refusal,
                    };
                    return self.record_refused(&s, claim, &refusal).await;
                }
            }
        }
        tell(
            waiting,
            Outcome::Delivered(s.incident_number.clone().unwrap_or_default()),
        );
        if s.state == SubmissionState::Delivered {
            Some((s, claim, Letter::Confirmation))
        } else {
            None
        }
    }

    /// An acknowledged submission the manager refused: a bug (the App API checks what the manager
    /// checks). Kept visible (state `refused`, the reason, a metric, an error log naming the
    /// reference only, never a contact detail) and never retried; when the app configuration
    /// names the partner's support address, the partner is told (returned as the letter owed).
    async fn record_refused(
        &self,
        s: &Submission,
        claim: Claim,
        refusal: &Refusal,
    ) -> Option<(Submission, Claim, Letter)> {
        let reason = &refusal.reason;
        metrics::counter!(REFUSED_TOTAL, "kind" => s.kind.as_str()).increment(1);
        tracing::error!(reference = %s.reference, kind = s.kind.as_str(), tenant = %s.tenant, %reason, "BUG: the Services Manager refused an acknowledged submission; it stays in the outbox as refused");
        let notify = self.mail.is_some()
            && serde_json::from_value::<Payload>(s.payload.clone())
                .is_ok_and(|p| p.support_email.is_some());
        match self
            .store
            .record_refusal(s.id, claim.token, reason, notify)
            .await
        {
            Ok(true) if notify => {
                let mut s = s.clone();
                s.state = SubmissionState::RefusalNoticeDue;
                s.last_error = Some(reason.clone());
                s.contact_sealed = None;
                Some((s, claim, Letter::RefusalNotice))
            }
            Ok(_) => None,
            Err(e) => {
                tracing::error!(reference = %s.reference, error = %e, "recording a refusal failed; it will be delivered (and refused) again");
                None
            }
        }
    }

    /// `delivered → done`: sends the confirmation while the claim is provably held. The lease is
    /// renewed every third of its length while the send runs; if a renewal is refused (the claim
    /// is lost) or cannot be made before the lease runs out, the send is dropped before the server
    /// could answer 250 to the end of DATA, so per RFC 5321 §6.1 the server never took
    /// responsibility for it, and the submission is tried again. A send the server answered 250
    /// is recorded without the token, so it is never sent again.
    async fn mail_step(&self, s: &Submission, claim: Claim, letter: Letter) {
        let Some(mut claim) = self
            .store
            .renew(s.id, claim.token, self.clock.now(), self.lease)
            .await
            .ok()
            .flatten()
        else {
            tracing::warn!(reference = %s.reference, "claim lost before the confirmation was sent; the new holder sends it");
            return;
        };
        let lease = self.lease;
        let step = lease / 3;
        let send = async {
            match letter {
                Letter::Confirmation => self.send_confirmation(s).await,
                Letter::RefusalNotice => self.send_refusal_notice(s).await,
            }
        };
        tokio::pin!(send);
        let result = loop {
            // The latest moment to drop the send: a third of a lease before the claim runs out.
            let left = (claim.until - self.clock.now())
                .to_std()
                .unwrap_or_default();
            let wait = step.min(left.saturating_sub(step));
            tokio::select! {
                r = &mut send => break Some(r),
                () = tokio::time::sleep(wait) => {
                    match self.store.renew(s.id, claim.token, self.clock.now(), lease).await {
                        Ok(Some(c)) => claim = c,
                        Ok(None) => {
                            tracing::warn!(reference = %s.reference, "claim lost while sending; the send is dropped unanswered");
                            break None;
                        }
                        Err(e) if self.clock.now() + chrono::Duration::from_std(step).unwrap_or_default() >= claim.until => {
                            tracing::warn!(reference = %s.reference, error = %e, "claim cannot be renewed in time; the send is dropped unanswered");
                            break None;
                        }
                        Err(e) => tracing::warn!(reference = %s.reference, error = %e, "renewing the claim failed; trying again"),
                    }
                }
            }
        };
        match result {
            None => {
                let at = self.clock.now() + self.backoff(s.attempts);
                let _ = self
                    .store
                    .retry_later(
                        s.id,
                        claim.token,
                        at,
                        "confirmation send dropped: claim not renewed",
                    )
                    .await;
            }
            Some(Ok(())) => self.record_sent(s, letter).await,
            Some(Err(MailError::Transient(reason))) => {
                let at = self.clock.now() + self.backoff(s.attempts);
                tracing::warn!(reference = %s.reference, %reason, "confirmation e-mail not sent; will retry");
                let _ = self.store.retry_later(s.id, claim.token, at, &reason).await;
            }
            Some(Err(MailError::Permanent(reason))) if letter == Letter::RefusalNotice => {
                tracing::error!(reference = %s.reference, %reason, "the partner's refusal notice was refused by the mail server");
                let _ = self.store.record_notice_failed(s.id, claim.token).await;
            }
            Some(Err(MailError::Permanent(reason))) => {
                tracing::error!(reference = %s.reference, %reason, "confirmation e-mail refused; contact details deleted");
                metrics::counter!(MAIL_REFUSED_TOTAL).increment(1);
                let _ = self
                    .store
                    .record_mail_refused(s.id, claim.token, &reason)
                    .await;
            }
        }
    }

    /// The server took the confirmation: record it (and erase the contact) now, retrying a failing
    /// database a few times, since until it is recorded a crash would send it again.
    async fn record_sent(&self, s: &Submission, letter: Letter) {
        for attempt in 0..10u32 {
            let recorded = match letter {
                Letter::Confirmation => self.store.record_mail_sent(s.id, self.clock.now()).await,
                Letter::RefusalNotice => {
                    self.store.record_notice_sent(s.id, self.clock.now()).await
                }
            };
            match recorded {
                Ok(true) => {
                    let counter = match letter {
                        Letter::Confirmation => MAIL_SENT_TOTAL,
                        Letter::RefusalNotice => NOTICES_SENT_TOTAL,
                    };
                    metrics::counter!(counter).increment(1);
                    return;
                }
                Ok(false) => {
                    tracing::warn!(reference = %s.reference, "the confirmation was already recorded as sent");
                    return;
                }
                Err(e) => {
                    tracing::error!(reference = %s.reference, error = %e, attempt, "recording a sent confirmation failed; trying again");
                    tokio::time::sleep(Duration::from_millis(200) * (attempt + 1)).await;
                }
            }
        }
    }

    async fn deliver(&self, s: &Submission) -> Result<String, DeliverError> {
        let payload: Payload = serde_json::from_value(s.payload.clone()).map_err(|e| {
            DeliverError::Refused(Refusal::local(format!("stored payload unreadable: {e}")))
        })?;
        let client = self
            .managers
            .for_tenant(&s.tenant)
            .map_err(|e| DeliverError::Retry(e.to_string()))?;
        let key = s.id.to_string();
        let result = match s.kind {
            SubmissionKind::ServiceIncident | SubmissionKind::SupplyIncident => {
                let contact = self.open_contact(s).ok_or_else(|| {
                    DeliverError::Refused(Refusal::local("the contact details cannot be opened"))
                })?;
                client
                    .create_incident(&key, &incident_request(s, &payload, contact))
                    .await
                    .map(|i| i.number)
            }
            SubmissionKind::MeterRead => client
                .record_meter_read(&s.device_serial, &key, &meter_request(s, &payload))
                .await
                .map(|r| r.number),
        };
        result.map_err(|e| {
            if e.is_retryable() {
                DeliverError::Retry(e.to_string())
            } else {
                let reason = mail::scrub_addresses(&e.to_string());
                let problem = match e {
                    platform::manager_client::ClientError::Problem { problem, .. } => Some(problem),
                    platform::manager_client::ClientError::Transport(_) => None,
                };
                DeliverError::Refused(Refusal { reason, problem })
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
        let device = self.registered_device(s).await?;
        let mut confirmation = crate::confirmation::build(s, &payload, &contact, device.as_ref())
            .map_err(MailError::Permanent)?;
        if let Some(ticket) = self.help_desk_ticket(s, &payload).await? {
            confirmation.number = Some(crate::mail::Number::Ticket(ticket));
        }
        let message = mail::render(&confirmation, &self.mail_from)
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        transport.send(&message).await
    }

    async fn send_refusal_notice(&self, s: &Submission) -> Result<(), MailError> {
        let Some(transport) = &self.mail else {
            return Ok(());
        };
        let payload: Payload = serde_json::from_value(s.payload.clone())
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        let reason = s.last_error.as_deref().unwrap_or("not given");
        let message = crate::notice::build(s, &payload, reason, &self.mail_from)
            .map_err(MailError::Permanent)?;
        transport.send(&message).await
    }

    /// The help-desk override: the partner's own ticket number for the incident, asked of the
    /// Services Manager (where the partner's help desk sets it). Until it is there, and for at
    /// most `help_desk_wait` after the acknowledgement, the confirmation waits (retried like a
    /// mail server that does not answer); then it goes out with the incident number.
    async fn help_desk_ticket(
        &self,
        s: &Submission,
        payload: &Payload,
    ) -> Result<Option<String>, MailError> {
        let Some(number) = s.incident_number.as_deref() else {
            return Ok(None);
        };
        if !payload.help_desk_override || s.kind == SubmissionKind::MeterRead {
            return Ok(None);
        }
        let client = self
            .managers
            .for_tenant(&s.tenant)
            .map_err(|e| MailError::Transient(e.to_string()))?;
        let waited_enough = self.clock.now()
            >= s.created_at + chrono::Duration::from_std(self.help_desk_wait).unwrap_or_default();
        match client.ticket_reference(number).await {
            Ok(Some(ticket)) => Ok(Some(ticket)),
            Ok(None) if waited_enough => {
                tracing::warn!(reference = %s.reference, "the partner's help desk gave no ticket number in time; the confirmation shows the incident number");
                Ok(None)
            }
            Ok(None) => Err(MailError::Transient(
                "waiting for the partner's help desk to give its ticket number".into(),
            )),
            Err(e) if waited_enough => {
                tracing::warn!(reference = %s.reference, error = %e, "the partner's ticket number cannot be asked for; the confirmation shows the incident number");
                Ok(None)
            }
            Err(e) => Err(MailError::Transient(format!(
                "the Services Manager did not give the partner's ticket number: {e}"
            ))),
        }
    }

    /// The device as the partner registered it in the Services Manager (model and location for
    /// the confirmation). A manager that does not answer now is retried like the mail server; one
    /// that does not know the device (it just accepted the submission, so only a device removed
    /// since) gives `None`.
    async fn registered_device(
        &self,
        s: &Submission,
    ) -> Result<Option<proto::manager::DeviceView>, MailError> {
        let client = self
            .managers
            .for_tenant(&s.tenant)
            .map_err(|e| MailError::Transient(e.to_string()))?;
        match client.get_device(&s.device_serial).await {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.is_retryable() => Err(MailError::Transient(format!(
                "the Services Manager did not give the device's model and location: {e}"
            ))),
            Err(e) => {
                tracing::warn!(reference = %s.reference, error = %e, "the Services Manager has no record of the device; the confirmation goes without its location");
                Ok(None)
            }
        }
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
    Refused(Refusal),
}

impl Refusal {
    /// A refusal found here, not by the manager.
    fn local(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            problem: None,
        }
    }
}
